"""Crafted files cost what they really hold: counts, offsets and sizes are checked first.

Every user's server indexes the shared xclbin search path, so one crafted file
there must not make any of them allocate gigabytes or think for seconds. The
huge files here are sparse (made with ``truncate``): gigabytes long, a few
blocks on disk.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from jupyter_ext.xclbin import XclbinError, parse_bytes, parse_xclbin
from jupyter_ext.xclbin import format as fmt
from tests.support.xclbin_samples import sparse_cases, sparse_xclbin
from tests.support.xclbin_writer import build_xclbin

GIB = 1 << 30
DATA = 4096  # where crafted sections start


def _count(kind: int, n: int) -> bytes:
    st = {fmt.CLOCK_FREQ_TOPOLOGY: "<h", fmt.DEBUG_IP_LAYOUT: "<H"}.get(kind, "<i")
    return struct.pack(st, n)


TABLES = [
    (fmt.IP_LAYOUT, "IP_LAYOUT", fmt.MAX_IPS, 80, 8),
    (fmt.MEM_TOPOLOGY, "MEM_TOPOLOGY", fmt.MAX_MEMS, 40, 8),
    (fmt.ASK_GROUP_TOPOLOGY, "GROUP_TOPOLOGY", fmt.MAX_MEMS, 40, 8),
    (fmt.CONNECTIVITY, "CONNECTIVITY", fmt.MAX_CONNECTIONS, 12, 4),
    (fmt.CLOCK_FREQ_TOPOLOGY, "CLOCK_FREQ_TOPOLOGY", fmt.MAX_CLOCKS, 136, 2),
    (fmt.DEBUG_IP_LAYOUT, "DEBUG_IP_LAYOUT", fmt.MAX_DEBUG_IPS, 144, 8),
]


@pytest.mark.parametrize("kind, name, limit, entry, first", TABLES)
def test_a_count_larger_than_its_section_is_refused(kind, name, limit, entry, first):
    body = _count(kind, 1000).ljust(first + 3 * entry, b"\0")
    with pytest.raises(XclbinError) as e:
        parse_bytes(build_xclbin(platform="p", extra_sections=[(kind, "t", body)]))
    assert f"{name} section says 1000 entries ({first + 1000 * entry} bytes)" in str(e.value)
    assert f"but the section is {len(body)} bytes" in str(e.value)


@pytest.mark.parametrize("kind, name, limit, entry, first", TABLES)
def test_a_count_that_fits_a_huge_sparse_section_is_refused_above_the_limit(
    tmp_path, kind, name, limit, entry, first
):
    count = min((GIB - DATA - first) // entry, 0x7FFF)
    if count <= limit:  # a 16-bit count cannot pass its limit; use the largest it can say
        count = limit + 1
    p = sparse_xclbin(tmp_path / "t.xclbin", GIB, [(kind, DATA, GIB - DATA)],
                      {DATA: _count(kind, count)})  # fmt: skip
    with pytest.raises(
        XclbinError, match=f"{name} section says {count} entries; more than {limit}"
    ):
        parse_xclbin(p)


@pytest.mark.parametrize(
    "offset, size, phrase",
    [
        (GIB, 1, "spans bytes 1073741824..1073741825, past the end of the file"),
        (DATA, GIB, "past the end of the file (1073741824 bytes)"),
        (2**64 - 8, 16, "past the end of the file"),
        (DATA, 2**64 - 1, "past the end of the file"),
    ],
)
def test_sections_beyond_the_end_of_the_file_are_refused(tmp_path, offset, size, phrase):
    p = sparse_xclbin(tmp_path / "t.xclbin", GIB, [(fmt.BUILD_METADATA, offset, size)])
    with pytest.raises(XclbinError) as e:
        parse_xclbin(p)
    assert phrase in str(e.value) and "section #0 (BUILD_METADATA" in str(e.value)


@pytest.mark.parametrize("size", [GIB, 256 * GIB], ids=["1GiB", "256GiB"])
def test_huge_sparse_files_are_answered_fast_and_in_flat_memory(tmp_path, size):
    cases = sparse_cases(tmp_path, size)
    for name, (p, phrase) in cases.items():
        assert os.stat(p).st_blocks * 512 < 1 << 20, f"{name} is not sparse"
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            parse_xclbin(p)
            got = None
        except XclbinError as e:
            got = str(e)
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if phrase is None:
            assert got is None, f"{name}: {got}"
        else:
            assert got is not None and phrase in got, f"{name}: {got}"
        assert elapsed < 0.5, f"{name} took {elapsed:.3f} s"
        assert peak < 2 << 20, f"{name} allocated {peak} bytes"
    x = parse_xclbin(cases["padded_json"][0])
    assert x.kernel_names == ["k"] and len(x.kernels[0].args) == 1
    assert parse_xclbin(cases["soft_kernel"][0]).sections[0].index_name == "sk"
    trailer = parse_xclbin(cases["trailer"][0])
    assert trailer.user_signature is None and f"the file has {size}" in trailer.xrt_refusal


def test_peak_rss_stays_flat_over_every_sparse_case(tmp_path):
    """The process-wide figure (mapped pages included), measured in a fresh interpreter."""
    paths = [str(p) for p, _ in sparse_cases(tmp_path, GIB).values()]
    code = (
        "import resource, sys\n"
        "from jupyter_ext.xclbin import XclbinError, parse_xclbin\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n        parse_xclbin(p)\n    except XclbinError:\n        pass\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True,
                       timeout=120, cwd=Path(__file__).resolve().parents[3])  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) < 50, f"peak RSS grew by {r.stdout.strip()} MB"

"""Bad input: one clear XclbinError naming the file and the defect, never a crash."""

from __future__ import annotations

import os
import random
import struct
import time
import tracemalloc

import pytest

from jupyter_ext.xclbin import XclbinError, parse_bytes, parse_xclbin
from jupyter_ext.xclbin import format as fmt
from tests.support.xclbin_samples import full_xclbin
from tests.support.xclbin_writer import build_xclbin


def _patch(data: bytes, offset: int, st: str, value) -> bytes:
    b = bytearray(data)
    struct.pack_into(st, b, offset, value)
    return bytes(b)


def _section(data: bytes, kind_name: str):
    x = parse_bytes(data)
    return x.section(kind_name)


@pytest.fixture(scope="module")
def good() -> bytes:
    return full_xclbin()


def test_error_names_the_file(tmp_path, good):
    p = tmp_path / "cut.xclbin"
    p.write_bytes(good[:300])
    with pytest.raises(XclbinError) as e:
        parse_xclbin(p)
    assert str(p) in str(e.value) and "truncated" in str(e.value)
    assert e.value.source == str(p)


@pytest.mark.parametrize(
    "mutate, phrase",
    [
        (lambda d: b"", "not an xclbin"),
        (lambda d: b"xclbin1\0" + d[8:], "not an xclbin: starts with b'xclbin1"),
        (lambda d: b"PK\x03\x04" + d[4:], "not an xclbin"),
        (lambda d: d[:200], "truncated: 200 bytes"),
        (lambda d: d[: len(d) - 10], "truncated: the header says"),
        (lambda d: _patch(d, fmt.OFF_NUM_SECTIONS, "<I", 0xFFFFFFFF), "section count 4294967295 needs"),
        (lambda d: _patch(d, fmt.OFF_SECTIONS + 24, "<Q", 2**63), "past the end of the file"),
        (lambda d: _patch(d, fmt.OFF_SECTIONS + 32, "<Q", 2**64 - 1), "past the end of the file"),
        (lambda d: _patch(d, fmt.OFF_PLATFORM_VBNV, "<2s", b"\xff\xfe"), "platform VBNV is not valid UTF-8"),
        (lambda d: _patch(d, fmt.OFF_SECTIONS + 4, "<2s", b"\xc3\x28"), "section #0 (BITSTREAM) name is not valid UTF-8"),
    ],
)  # fmt: skip
def test_header_defects(good, mutate, phrase):
    with pytest.raises(XclbinError, match="^<bytes>: ") as e:
        parse_bytes(mutate(good))
    assert phrase in str(e.value)


def test_section_defects(good):
    ip = _section(good, "IP_LAYOUT")
    conn = _section(good, "CONNECTIVITY")
    mem = _section(good, "MEM_TOPOLOGY")
    cases = [
        (_patch(good, ip.offset, "<i", 2**31 - 1), "IP_LAYOUT section says 2147483647 entries"),
        (_patch(good, ip.offset, "<i", -5), "IP_LAYOUT section has a negative entry count (-5)"),
        (_patch(good, ip.offset + 8 + 16, "<3s", b"k\xff:"), "IP_LAYOUT entry #0 name is not valid UTF-8"),
        (_patch(good, mem.offset + 8 + 24, "<1s", b"\x80"), "MEM_TOPOLOGY entry #0 tag is not valid UTF-8"),
        (_patch(good, conn.offset + 4 + 4, "<i", 77), "points at IP_LAYOUT entry 77, but IP_LAYOUT has 3"),
        (_patch(good, conn.offset + 4 + 8, "<i", 9), "points at MEM_TOPOLOGY entry 9, but MEM_TOPOLOGY has 4"),
        (_patch(good, conn.offset + 4, "<i", -1), "negative argument index"),
    ]  # fmt: skip
    for data, phrase in cases:
        with pytest.raises(XclbinError) as e:
            parse_bytes(data)
        assert phrase in str(e.value)


@pytest.mark.parametrize(
    "kw, phrase",
    [
        (dict(extra_sections=[(fmt.SYSTEM_METADATA, "sys", b'"text"')]), "SYSTEM_METADATA should hold a JSON object, found a single value"),
        (dict(extra_sections=[(fmt.BUILD_METADATA, "bm", b'{"a": NaN}')]), "BUILD_METADATA is not valid JSON (NaN is not JSON)"),
        (dict(embedded_metadata="<project><kernel name='k'"), "EMBEDDED_METADATA is not valid XML"),
        (dict(embedded_metadata='<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'), "contains a DTD"),
        (dict(extra_sections=[(fmt.BUILD_METADATA, "bm", b"{not json")]), "BUILD_METADATA is not valid JSON"),
        (dict(extra_sections=[(fmt.BUILD_METADATA, "bm", b'{"a": "\xff"}')]), "BUILD_METADATA is not valid UTF-8"),
        (dict(extra_sections=[(fmt.BUILD_METADATA, "bm", b"[" * 100000)]), "BUILD_METADATA is not valid JSON"),
        (dict(extra_sections=[(fmt.KEYVALUE_METADATA, "kv", b"[1, 2]")]), "should hold a JSON object"),
        (dict(extra_sections=[(fmt.BUILD_METADATA, "bm", b'{"a": ' * 300 + b"1" + b"}" * 300)]), "BUILD_METADATA nests deeper than 256 levels"),
        (dict(embedded_metadata='<?xml version="1.0" encoding="bogus"?><project/>'), "EMBEDDED_METADATA is not valid XML (unknown encoding"),
        (dict(extra_sections=[(fmt.PARTITION_METADATA, "pm", b"\xd0\x0d\xfe\xed" + bytes(60))]), "PARTITION_METADATA device tree says 0 bytes, the section is 64"),
        (dict(extra_sections=[(fmt.SOFT_KERNEL, "sk", bytes(40))]), "SOFT_KERNEL section is 40 bytes, smaller than its 80-byte header"),
        (dict(extra_sections=[(fmt.SOFT_KERNEL, "sk", b"\xff" * 80)]), "SOFT_KERNEL name offset 4294967295 is outside the 80-byte section"),
        (dict(extra_sections=[(fmt.AIE_PARTITION, "aie", bytes(4) + b"\xb8" + bytes(179) + b"x" * 8)]), "AIE_PARTITION name at offset 184 has no terminating NUL"),
    ],
)  # fmt: skip
def test_metadata_defects(kw, phrase):
    base = dict(platform="p", build_metadata=False, embedded_metadata=False)
    base.update(kw)
    with pytest.raises(XclbinError) as e:
        parse_bytes(build_xclbin(**base))
    assert phrase in str(e.value)


def test_metadata_of_the_wrong_shape_reads_as_xclbinutil_reads_it():
    """A text where a list belongs is a list with no entries (a property tree), not an error."""
    x = parse_bytes(
        build_xclbin(
            platform="p",
            embedded_metadata=False,
            build_metadata={"build_metadata": {"xclbin": {"user_regions": 7}}},
        )
    )
    assert x.kernels == () and x.build_tree is not None
    assert x.build_tree.get("xclbin.user_regions") == "7"


def test_not_a_file(tmp_path):
    with pytest.raises(XclbinError, match="cannot open"):
        parse_xclbin(tmp_path / "missing.xclbin")
    with pytest.raises(XclbinError, match="not a regular file"):
        parse_xclbin(tmp_path)
    os.mkfifo(tmp_path / "pipe.xclbin")  # open() on a FIFO would block forever
    with pytest.raises(XclbinError, match="not a regular file"):
        parse_xclbin(tmp_path / "pipe.xclbin")
    (tmp_path / "empty.xclbin").write_bytes(b"")
    with pytest.raises(XclbinError, match="file is empty"):
        parse_xclbin(tmp_path / "empty.xclbin")


def test_huge_counts_allocate_nothing_like_the_count(good):
    ip = _section(good, "IP_LAYOUT")
    bad = [
        _patch(good, fmt.OFF_NUM_SECTIONS, "<I", 0x7FFFFFFF),
        _patch(good, ip.offset, "<i", 0x7FFFFFFF),
        _patch(good, _section(good, "CLOCK_FREQ_TOPOLOGY").offset, "<h", 0x7FFF),
    ]
    tracemalloc.start()
    try:
        for data in bad:
            with pytest.raises(XclbinError):
                parse_bytes(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < len(good)


def _mutations(good: bytes, rng: random.Random):
    """Byte flips, extreme integers at aligned offsets, truncations and splices."""
    n = len(good)
    hot = [fmt.OFF_LENGTH, fmt.OFF_NUM_SECTIONS] + [
        fmt.OFF_SECTIONS + i * 40 + f for i in range(8) for f in (0, 24, 32)
    ]
    extremes = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 2**63, 2**64 - 1]
    while True:
        b = bytearray(good)
        how = rng.randrange(5)
        if how == 0:
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(n)] = rng.randrange(256)
        elif how == 1:
            off = rng.choice(hot) if rng.random() < 0.5 else rng.randrange(0, n - 8) & ~3
            v = rng.choice(extremes)
            if rng.random() < 0.5 and off + 8 <= n:
                struct.pack_into("<Q", b, off, v & (2**64 - 1))
            else:
                struct.pack_into("<I", b, off, v & 0xFFFFFFFF)
        elif how == 2:
            b = b[: rng.randrange(n)]
        elif how == 3:
            a, c = sorted(rng.randrange(n) for _ in range(2))
            b[a:c] = bytes(rng.randrange(256) for _ in range(min(c - a, 64)))
        else:
            off = rng.randrange(fmt.OFF_SECTIONS, n)
            b[off : off + 4] = rng.choice(
                [b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\xc3\x28<!", b"]}\0\0"]
            )
        yield bytes(b)


def test_fuzz_ten_thousand_mutants_only_xclbin_errors(good):
    rng = random.Random(20241125)
    parsed = failed = 0
    t0 = time.perf_counter()
    for data, _ in zip(_mutations(good, rng), range(10_000), strict=False):
        try:
            parse_bytes(data, source="mutant")
            parsed += 1
        except XclbinError as e:
            assert str(e).startswith("mutant: ") and e.defect
            failed += 1
    assert parsed + failed == 10_000
    assert failed > 1000 and parsed > 100  # both paths were exercised
    assert time.perf_counter() - t0 < 30


def test_fuzz_a_rich_file_parses_and_reports_or_fails_cleanly():
    """Mutants of a file with every decoded section: the report never crashes either."""
    import json as _json

    from jupyter_ext.xclbin.info import info_dict, info_text
    from tests.support.xclbin_samples import partition_metadata, user_signature

    soft = struct.pack("<7I", 80, 0, 0, 80, 80, 80, 1).ljust(80, b"\0") + b"sk\0"
    system = _json.dumps({"system_diagram_metadata": {"xsa": {"clocks": [
        {"orig_name": "c", "type": "SCALABLE", "spec_frequency": 100}]}}}).encode()  # fmt: skip
    rich = full_xclbin(
        group_topology=["HBM[0]", "HBM[1]"],
        group_connectivity=[(0, 0, 1)],
        extra_sections=[
            (fmt.SOFT_KERNEL, "sk", soft),
            (fmt.SYSTEM_METADATA, "sys", system),
            (fmt.PARTITION_METADATA, "pm", partition_metadata(["abc"])),
        ],
    ) + user_signature("sig")
    rng = random.Random(7)
    parsed = failed = 0
    for data, _ in zip(_mutations(rich, rng), range(3000), strict=False):
        try:
            x = parse_bytes(data, source="mutant")
        except XclbinError as e:
            assert str(e).startswith("mutant: ") and e.defect
            failed += 1
            continue
        parsed += 1
        info_text(x)
        _json.dumps(info_dict(x))
    assert failed > 300 and parsed > 100  # both paths were exercised

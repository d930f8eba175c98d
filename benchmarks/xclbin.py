"""Parse time and memory of the xclbin reader vs. file size, honest and crafted.

1. Crafted sparse files (tests/support/xclbin_samples.sparse_cases): 1 GiB
   files made with ``truncate`` that claim huge tables, section counts,
   metadata or bitstreams they do not hold. Every user's server indexes the
   shared search path, so each must be refused or answered in under 100 ms
   with peak RSS growing less than 50 MB. Measured first, while the process's
   peak RSS is still its start-up figure.
2. Two xclbins with the same kernels and metadata, one with a 1 MB and one
   with a 100 MB bitstream: ``parse_xclbin`` (mmap; ours) against the baseline
   a naive reader would use (read the whole file, then parse the bytes).
   Target: the 100 MB parse under 5 ms, like the 1 MB one, and no memory growth
   with the bitstream size.

Run: .venv/bin/python benchmarks/xclbin.py
The last line is JSON: {"parse_ms_100mb": .., "rss_growth_mb": .., "sparse_1gib_max_ms": ..,
"sparse_1gib_rss_growth_mb": .., "sparse_1gib_cases": ..}
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from jupyter_ext.xclbin import XclbinError, parse_bytes, parse_xclbin
from tests.support.xclbin_samples import sparse_cases
from tests.support.xclbin_specs import KernelSpec, MemSpec
from tests.support.xclbin_writer import write_xclbin

RUNS = 200
KERNELS = [
    KernelSpec("krnl_vadd", args=["float* a", "float* b", "float* c", "int n"], instances=4),
    KernelSpec(
        "stereo_bm",
        args=["unsigned char* l", "unsigned char* r", "short* d", "int rows", "int cols"],
    ),
    KernelSpec(
        "gzip_compress", args=["char* in", "char* out", "unsigned int* size", "unsigned int n"]
    ),
]
MEMS = [MemSpec(f"HBM[{i}]", "MEM_HBM", size_kb=256 * 1024) for i in range(32)]


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def time_ms(fn, runs: int = RUNS) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), max(samples)


def sparse() -> tuple[float, float, int]:
    """Parse every crafted 1 GiB sparse file: (slowest ms, peak RSS growth MB, cases)."""
    rss0 = maxrss_mb()
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        cases = sparse_cases(tmp, 1 << 30)
        for name, (path, phrase) in cases.items():
            t0 = time.perf_counter()
            try:
                parse_xclbin(path)
                outcome = "read"
            except XclbinError as e:
                outcome = "refused: " + e.defect
            ms = (time.perf_counter() - t0) * 1000
            assert (phrase is None) == (outcome == "read") and (phrase or "") in outcome, name
            worst = max(worst, ms)
            disk = os.stat(path).st_blocks * 512
            print(f"sparse {name:<17} {os.stat(path).st_size >> 20:>5} MiB ({disk} B on disk): "
                  f"{ms:7.3f} ms, {outcome[:70]}")  # fmt: skip
    growth = maxrss_mb() - rss0
    print(
        f"sparse: slowest {worst:.3f} ms, peak RSS growth {growth:.2f} MB over {len(cases)} files"
    )
    return worst, growth, len(cases)


def main() -> int:
    sparse_ms, sparse_rss, sparse_n = sparse()
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for label, size in (("1mb", 1 << 20), ("100mb", 100 << 20)):
            paths[label] = write_xclbin(
                Path(tmp, f"{label}.xclbin"),
                platform="xilinx_u280_gen3x16_xdma_base_1",
                kernels=KERNELS,
                mems=MEMS,
                bitstream_size=size,
            )
        x = parse_xclbin(paths["100mb"])
        assert x.section("BITSTREAM").size == 100 << 20 and len(x.kernels) == 3
        print(
            f"files: 1 MB = {paths['1mb'].stat().st_size} B, 100 MB = {paths['100mb'].stat().st_size} B"
        )

        # ours first, before the baseline raises the process's peak RSS
        time_ms(lambda: parse_xclbin(paths["100mb"]), 20)  # warm the page cache
        rss0 = maxrss_mb()
        ours = {k: time_ms(lambda p=p: parse_xclbin(p)) for k, p in paths.items()}
        rss_growth = maxrss_mb() - rss0
        for k, (med, worst) in ours.items():
            print(f"ours     (mmap)       {k:>6}: median {med:.3f} ms, max {worst:.3f} ms")
        print(f"ours: peak RSS growth over {2 * RUNS} parses: {rss_growth:.2f} MB")

        base0 = maxrss_mb()
        base = {
            k: time_ms(lambda p=p: parse_bytes(p.read_bytes(), str(p)), 10)
            for k, p in paths.items()
        }
        for k, (med, worst) in base.items():
            print(f"baseline (read file)  {k:>6}: median {med:.3f} ms, max {worst:.3f} ms")
        print(f"baseline: peak RSS growth: {maxrss_mb() - base0:.2f} MB")

    parse_100 = ours["100mb"][0]
    ok = parse_100 < 5.0 and rss_growth < 5.0
    print(f"target: 100 MB parse < 5 ms and flat memory -> {'met' if ok else 'NOT met'}")
    sparse_ok = sparse_ms < 100.0 and sparse_rss < 50.0
    print(f"target: crafted 1 GiB sparse files answered < 100 ms, RSS growth < 50 MB -> "
          f"{'met' if sparse_ok else 'NOT met'}")  # fmt: skip
    print(
        json.dumps(
            {
                "parse_ms_100mb": round(parse_100, 3),
                "rss_growth_mb": round(rss_growth, 3),
                "sparse_1gib_max_ms": round(sparse_ms, 3),
                "sparse_1gib_rss_growth_mb": round(sparse_rss, 3),
                "sparse_1gib_cases": sparse_n,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

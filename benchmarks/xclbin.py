"""Parse time and memory of the xclbin reader vs. file size.

Writes two xclbins with the same kernels and metadata, one with a 1 MB and one
with a 100 MB bitstream, then times ``parse_xclbin`` (mmap; ours) and the
baseline a naive reader would use (read the whole file, then parse the bytes)
in the same process. Target: the 100 MB parse under 5 ms, the same as the
1 MB one, and no memory growth with the bitstream size.

Run: .venv/bin/python benchmarks/xclbin.py
The last line is JSON: {"parse_ms_100mb": .., "rss_growth_mb": ..}
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from jupyter_ext.xclbin import parse_bytes, parse_xclbin
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


def main() -> int:
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
    print(
        json.dumps({"parse_ms_100mb": round(parse_100, 3), "rss_growth_mb": round(rss_growth, 3)})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

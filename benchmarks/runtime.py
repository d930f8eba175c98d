"""Runtime benchmark: dispatch overhead, copies per call on the XRT path, emulation speed.

Measures, in one process:

1. the overhead of our dispatch (input checks, KernelCall, backend, Result)
   per call over calling the backend directly -- the CPU model for the
   emulation, a hand-written pyxrt sequence for XRT (on the pyxrt double from
   tests/support/pyxrt_double -- XRT 2.25's surface, generated, over a fake
   device with no latency; its argument conversion costs a few microseconds
   per call that the real binding does in C++);
2. host copies per call on the XRT path, with inputs placed in device memory
   once: explicit ``bo.write``/``bo.read`` recorded by the double plus
   the staging copies the backend makes (the syncs themselves are the DMA);
3. each emulated function's time over its reference library's on the same
   inputs (median of interleaved runs), at the registry's default sizes
   (every function, ``%fpga bench``'s inputs);
4. the emulation's speed target and the prediction error, with
   ``benchmarks/emulation.py``'s code (imported, not repeated): each
   kernel-exact model at 1M options, 1080p and 4K images, 100 MB gzip, a
   2048x2048 GEMM against the fastest CPU reference (target <= 1.5x), and the
   predicted board times against AMD's published figures (target <= 25%).

Usage: ``.venv/bin/python benchmarks/runtime.py [--quick]``. Last line: JSON with
``emulation_ratios``, ``emulation_ratio_max`` and ``prediction_error_max``
(section 4), section 3's ratios as ``registry_ratios`` /
``registry_ratio_max``, and sections 1 and 2's figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from time import perf_counter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from benchmarks import emulation as emulation_bench  # noqa: E402
from jupyter_ext.library import FUNCTIONS, gaussian_filter  # noqa: E402
from jupyter_ext.library.registry import natural_gray  # noqa: E402
from jupyter_ext.library.vision import _gaussian_model  # noqa: E402
from jupyter_ext.runtime import EmulationBackend, f32_bits, repository_locator, select_runtime  # noqa: E402
from tests.support.pyxrt_double import load, write_xclbins  # noqa: E402


def interleaved(fns: list, budget_s: float, min_reps: int) -> list[float]:
    """Median seconds of each function, run in turn so machine noise hits all alike."""
    times: list[list[float]] = [[] for _ in fns]
    start = perf_counter()
    reps = 0
    while reps < min_reps or perf_counter() - start < budget_s:
        for i, f in enumerate(fns):
            t0 = perf_counter()
            f()
            times[i].append(perf_counter() - t0)
        reps += 1
        if reps >= 20 * min_reps:
            break
    return [statistics.median(t) for t in times]


def dispatch_overhead(xrt, fake, reps: int) -> dict[str, float]:
    img = natural_gray(8, 8)
    emu = EmulationBackend("benchmark")
    lib_emu, direct_emu = interleaved(
        [lambda: gaussian_filter(img, runtime=emu), lambda: _gaussian_model(img, 3, 0.5)],
        1.0, reps,
    )  # fmt: skip

    placed = xrt.prepare("gaussian_filter_accel", 0, img)
    k = xrt._load("gaussian_filter_accel").kernel
    px = fake
    to_dev = px.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE
    from_dev = px.xclBOSyncDirection.XCL_BO_SYNC_BO_FROM_DEVICE
    done = px.ert_cmd_state.ERT_CMD_STATE_COMPLETED
    sigma = f32_bits(0.5)

    def direct() -> np.ndarray:  # what a careful user would write by hand, fresh output
        in_bo = placed.bo
        out_bo = px.bo(xrt.device, img.nbytes, px.bo.normal, k.group_id(1))
        out = np.frombuffer(out_bo.map(), np.uint8).reshape(img.shape)
        in_bo.sync(to_dev, img.nbytes, 0)  # the sync every XRT from 2022.1 on has
        run = px.run(k)
        for i, v in enumerate((in_bo, out_bo, 8, 8, sigma)):
            run.set_arg(i, v)
        run.start()
        assert run.wait(60000) == done
        out_bo.sync(from_dev, img.nbytes, 0)
        return out

    assert np.array_equal(direct(), gaussian_filter(placed, runtime=xrt).value)
    lib_xrt, direct_xrt = interleaved(
        [lambda: gaussian_filter(placed, runtime=xrt), direct], 1.0, reps
    )
    return {
        "emulated_us": (lib_emu - direct_emu) * 1e6,
        "xrt_us": (lib_xrt - direct_xrt) * 1e6,
        "emulated_direct_us": direct_emu * 1e6,
        "xrt_direct_us": direct_xrt * 1e6,
    }


SMALL = {"finance.black_scholes": 10_000, "finance.mc_european": 1 << 14, "vision.gaussian_filter": 128,
         "vision.resize": 128, "vision.color_detect": 128, "vision.stereo_bm": 160,
         "compression.gzip": 100_000, "compression.zlib": 100_000, "blas.gemm": 128}  # fmt: skip


def copies_per_call(xrt, fake, calls: int) -> dict[str, dict[str, float]]:
    out = {}
    for name, spec in FUNCTIONS.items():
        inputs = spec.make_inputs(SMALL[name])
        placed = spec.prepare(inputs, xrt)
        spec.run(placed, xrt)  # warm-up: kernel loaded, parameter blocks written
        c0 = dict(fake.COPIES)
        s0 = (xrt.stats.staged_copies, xrt.stats.param_writes)
        for _ in range(calls):
            spec.run(placed, xrt)
        explicit = (fake.COPIES["write"] - c0["write"]) + (fake.COPIES["read"] - c0["read"])
        staged = xrt.stats.staged_copies - s0[0]
        # the same call with plain (not device-resident) inputs: one staging copy per input
        s1 = xrt.stats.staged_copies
        spec.run(inputs, xrt)
        out[name] = {
            "copies": (explicit + staged) / calls,
            "param_writes": (xrt.stats.param_writes - s0[1]) / calls,
            "plain_input_copies": float(xrt.stats.staged_copies - s1),
        }
    return out


def emulation_ratios(budget_s: float, reps: int, scale: float) -> dict[str, dict[str, float]]:
    emu = EmulationBackend("benchmark")
    out = {}
    for name, spec in FUNCTIONS.items():
        size = max(1, int(spec.default_size * scale))
        inputs = spec.make_inputs(size)
        result = spec.run(inputs, emu)
        ref = spec.run_reference(inputs)
        check = spec.compare(result.value, ref, inputs)
        assert check.ok, (name, check)
        t_emu, t_ref = interleaved(
            [lambda s=spec, i=inputs: s.run(i, emu), lambda s=spec, i=inputs: s.run_reference(i)],
            budget_s, reps,
        )  # fmt: skip
        out[name] = {"size": size, "emulated_ms": t_emu * 1e3, "reference_ms": t_ref * 1e3,
                     "ratio": t_emu / t_ref}  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller inputs, shorter runs (CI)")
    args = ap.parse_args()
    reps, budget, scale = (5, 0.3, 0.25) if args.quick else (15, 2.0, 1.0)

    fake = load()
    with tempfile.TemporaryDirectory() as d:
        write_xclbins(Path(d))
        xrt = select_runtime({}, import_pyxrt=lambda: fake, locator=repository_locator([d]))
        print(f"XRT path: {xrt!r} (the pyxrt double from tests/support/pyxrt_double)")

        ov = dispatch_overhead(xrt, fake, reps=200)
        print("\n1. dispatch overhead per call (8x8 gaussian_filter, median of interleaved runs)")
        print(f"   emulated: library {ov['emulated_direct_us'] + ov['emulated_us']:.1f} us vs "
              f"CPU model called directly {ov['emulated_direct_us']:.1f} us -> {ov['emulated_us']:.1f} us")  # fmt: skip
        print(f"   xrt:      library {ov['xrt_direct_us'] + ov['xrt_us']:.1f} us vs "
              f"hand-written pyxrt sequence {ov['xrt_direct_us']:.1f} us -> {ov['xrt_us']:.1f} us")  # fmt: skip

        cp = copies_per_call(xrt, fake, calls=5)
        print("\n2. host copies per call on the XRT path (inputs placed in device memory once)")
        for name, c in cp.items():
            print(f"   {name:24s} copies {c['copies']:.0f}, parameter writes {c['param_writes']:.0f}, "
                  f"with plain numpy inputs: {c['plain_input_copies']:.0f} staging copies")  # fmt: skip
        print("   (gzip/zlib additionally build their bytes result -- header, deflate data,")
        print("    trailer -- with one copy of the compressed output, as any bytes API must)")

    ratios = emulation_ratios(budget, reps, scale)
    print("\n3. emulated function time / reference library time (same inputs, median)")
    for name, r in ratios.items():
        spec = FUNCTIONS[name]
        print(f"   {name:24s} {r['size']:>8} {spec.size_unit:16s} emulated {r['emulated_ms']:8.3f} ms  "
              f"{spec.reference_name} {r['reference_ms']:8.3f} ms  ratio {r['ratio']:.2f}")  # fmt: skip

    print("\n4. the emulation's speed target and the predictions (benchmarks/emulation.py)")
    target = emulation_bench.summary(args.quick)
    print(json.dumps({
        "dispatch_overhead_us": round(max(ov["emulated_us"], ov["xrt_us"]), 2),
        "xrt_copies_per_call": max(c["copies"] for c in cp.values()),
        "registry_ratio_max": round(max(r["ratio"] for r in ratios.values()), 3),
        "registry_ratios": {n: round(r["ratio"], 3) for n, r in ratios.items()},
        "emulation_ratios": target["emulation_ratios"],
        "emulation_ratio_max": target["emulation_ratio_max"],
        "emulation_ratio_max_case": target["emulation_ratio_max_case"],
        "prediction_error_max": target["prediction_error_max"],
        "prediction_error_max_excluding_suspect": target["prediction_error_max_excluding_suspect"],
        "quick": args.quick,
    }))  # fmt: skip


if __name__ == "__main__":
    main()

"""Emulation benchmark: kernel-exact CPU models against the fastest CPU references, and predictions.

Measures, in one process:

1. each kernel-exact CPU model's time, called as a user calls it (the
   library function on the emulation backend: input checks, the model, the
   host-side post-processing), as a ratio to the fastest CPU library doing
   the same math (the registry's references, what ``%fpga bench`` uses):
   Black-Scholes at 1M options, Gaussian / resize / color detect at 1080p and
   4K, stereo block matching at 1080p, gzip of 100 MB, a 2048x2048 GEMM. The
   two sides alternate after one warm-up each; medians and spreads are
   printed. Target: at most 1.5x.
2. each kernel model's predicted board time beside AMD's published figure
   for the same configuration (``jupyter_ext.library.predict_published``).
   Target: within 25%.

Usage: ``.venv/bin/python benchmarks/emulation.py [--quick]``. Last line: JSON
with ``emulation_ratios``, ``emulation_ratio_max``, ``prediction_error_max``
and ``predictions`` (predicted and published seconds per figure).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from jupyter_ext.library import FUNCTIONS  # noqa: E402
from jupyter_ext.library.bench import Spread, alternate  # noqa: E402
from jupyter_ext.library.board_models import BOARDS, DEFAULT_BOARD  # noqa: E402
from jupyter_ext.library.predict import predict  # noqa: E402
from jupyter_ext.library.predict_published import checks  # noqa: E402
from jupyter_ext.library.registry import (  # noqa: E402
    bs_inputs,
    color_scene,
    natural_gray,
    stereo_pair,
    text_bytes,
)
from jupyter_ext.runtime import EmulationBackend  # noqa: E402

HD, UHD = (1080, 1920), (2160, 3840)


def cases(quick: bool) -> list[tuple[str, str, Callable[[], dict[str, Any]], int]]:
    """(case, registry function, inputs in the registry's form, timed runs per side)."""
    s = 4 if quick else 1  # --quick: a quarter of every linear size, for a smoke run
    hd, uhd = (HD[0] // s, HD[1] // s), (UHD[0] // s, UHD[1] // s)

    def gzip_input() -> dict[str, Any]:
        # 10 MB of word-like text, ten times: deflate's window and the kernel's blocks are
        # 32 KiB, so the repetition is invisible to both sides and costs 7 s less to build.
        return {"data": text_bytes(10_000_000 // s**2) * 10}

    def gemm_input() -> dict[str, Any]:
        rng = np.random.default_rng(2048)
        n = 2048 // s
        return {"a": rng.standard_normal((n, n), np.float32),
                "b": rng.standard_normal((n, n), np.float32)}  # fmt: skip

    def image(shape: tuple[int, int]) -> Callable[[], dict[str, Any]]:
        return lambda: {"img": natural_gray(*shape)}

    def halved(shape: tuple[int, int]) -> Callable[[], dict[str, Any]]:
        return lambda: {"img": natural_gray(*shape), "rows": shape[0] // 2, "cols": shape[1] // 2}

    def scene(shape: tuple[int, int]) -> Callable[[], dict[str, Any]]:
        return lambda: {"img": color_scene(*shape)}

    return [
        ("black_scholes_1M", "finance.black_scholes", lambda: bs_inputs(1_000_000 // s**2), 7),
        # milliseconds a call: more runs cost little and steady the medians against other load
        ("gaussian_1080p", "vision.gaussian_filter", image(hd), 21),
        ("gaussian_4k", "vision.gaussian_filter", image(uhd), 11),
        ("resize_1080p", "vision.resize", halved(hd), 21),
        ("resize_4k", "vision.resize", halved(uhd), 11),
        ("color_detect_1080p", "vision.color_detect", scene(hd), 5),
        ("color_detect_4k", "vision.color_detect", scene(uhd), 3),
        ("stereo_1080p", "vision.stereo_bm",
         lambda: dict(zip(("left", "right"), stereo_pair(*hd), strict=True)), 3),
        ("gzip_100MB", "compression.gzip", gzip_input, 3),
        ("gemm_2048", "blas.gemm", gemm_input, 3),
    ]  # fmt: skip


def ms(s: float) -> str:
    return f"{s * 1e3:9.2f} ms"


def measure(name: str, inputs: dict[str, Any], repeat: int, emu: EmulationBackend) -> dict:
    """Alternating timed runs of the emulated library call and its reference."""
    spec = FUNCTIONS[name]
    out: dict[str, Any] = {}

    def ours() -> float:
        t0 = perf_counter()
        out["result"] = spec.run(inputs, emu)
        return perf_counter() - t0

    def reference() -> float:
        t0 = perf_counter()
        out["reference"] = spec.run_reference(inputs)
        return perf_counter() - t0

    ours(), reference()  # warm-ups
    a, b, _ = alternate(ours, reference, repeat)
    agree = spec.compare(out["result"].value, out["reference"], inputs)
    return {"ours": Spread.of(a), "ref": Spread.of(b), "result": out["result"], "agree": agree,
            "reference_name": spec.reference_name}  # fmt: skip


def emulation_figures(quick: bool) -> tuple[dict[str, float], dict[str, Any]]:
    """Section 1: prints the table, returns (ratio per case, details per case)."""
    import cv2

    emu = EmulationBackend("benchmark")
    board = BOARDS[DEFAULT_BOARD]
    print(f"CPUs: {os.cpu_count()}, OpenCV threads: {cv2.getNumThreads()}, "
          f"numpy {np.__version__}, OpenCV {cv2.__version__}")  # fmt: skip
    print("\n1. Kernel-exact CPU models vs the fastest CPU reference (median, alternating runs)")
    print(f"{'case':20} {'emulated':>12} {'reference':>12} {'ratio':>7}  {'predicted on U250':>18}"
          "  agrees  reference")  # fmt: skip
    ratios: dict[str, float] = {}
    details: dict[str, Any] = {}
    for case, name, make, repeat in cases(quick):
        m = measure(name, make(), repeat, emu)
        ours, ref = m["ours"], m["ref"]
        ratio = ours.median / ref.median
        ratios[case] = ratio
        pred = predict(m["result"], board)
        details[case] = {
            "emulated_s": ours.median, "emulated_spread_s": [ours.low, ours.high],
            "reference_s": ref.median, "reference_spread_s": [ref.low, ref.high],
            "reference": m["reference_name"], "runs": ours.runs,
            "predicted_board_s": pred.total_s if pred else None,
            "agrees": m["agree"].ok,
        }  # fmt: skip
        print(f"{case:20} {ms(ours.median)} {ms(ref.median)} {ratio:6.2f}x  "
              f"{ms(pred.total_s) if pred else 'n/a':>18}  {str(m['agree'].ok):6}  "
              f"{m['reference_name']}")  # fmt: skip
    worst = max(ratios, key=lambda k: ratios[k])
    print(f"worst: {worst} at {ratios[worst]:.2f}x the reference's time (target <= 1.5x)")
    return ratios, details


def prediction_figures() -> tuple[float, float, dict[str, Any]]:
    """Section 2: prints the table, returns (largest error, largest non-suspect error, per figure)."""
    print("\n2. Predicted board time vs AMD's published figure (same configuration)")
    print(f"{'figure':24} {'compares':11} {'predicted':>12} {'published':>12} {'error':>8}  flags")
    predictions: dict[str, Any] = {}
    for c in checks():
        p = c.published
        flags = ", ".join(f for f, on in (("counted", p.in_max), ("SUSPECT", p.suspect),
                                          ("calibrated", p.calibrated)) if on)  # fmt: skip
        print(f"{p.key:24} {p.what:11} {ms(c.predicted_s)} {ms(p.seconds)} "
              f"{c.error:+7.1%}  {flags}")  # fmt: skip
        predictions[p.key] = c.as_dict()
    counted = [c for c in checks() if c.published.in_max]
    err_max = max(abs(c.error) for c in counted)
    clean = [c for c in counted if not c.published.suspect]
    err_clean = max(abs(c.error) for c in clean)
    print(f"largest error over counted figures: {err_max:.1%}; excluding figures that "
          f"contradict their own build: {err_clean:.1%} (target <= 25%)")  # fmt: skip
    return err_max, err_clean, predictions


def summary(quick: bool) -> dict[str, Any]:
    """Both sections, printed; the JSON object of the last line (``runtime.py`` reuses it)."""
    ratios, details = emulation_figures(quick)
    worst = max(ratios, key=lambda k: ratios[k])
    err_max, err_clean, predictions = prediction_figures()
    return {
        "emulation_ratios": {k: round(v, 3) for k, v in ratios.items()},
        "emulation_ratio_max": round(ratios[worst], 3),
        "emulation_ratio_max_case": worst,
        "prediction_error_max": round(err_max, 4),
        "prediction_error_max_excluding_suspect": round(err_clean, 4),
        "predictions": predictions,
        "cases": details,
        "board": BOARDS[DEFAULT_BOARD].name,
        "quick": quick,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="quarter-size inputs (smoke test)")
    args = ap.parse_args()
    print(json.dumps(summary(args.quick)))


if __name__ == "__main__":
    main()

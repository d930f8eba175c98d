"""The registry of library functions: what ``%fpga list`` shows and ``%fpga bench`` runs.

Each :class:`FunctionSpec` ties a library function to its kernel, a
benchmark input generator, its independent CPU reference (see
:mod:`.references`: the fastest CPU library doing the same math, since
``%fpga bench`` times against it) and the comparison that decides whether
the two agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..runtime.base import Backend
from . import blas, compression, finance, references, vision, vision_opencv


@dataclass(frozen=True)
class Comparison:
    """Whether a result agrees with its reference, and by how much."""

    ok: bool
    max_error: float
    tolerance: float
    detail: str

    def __str__(self) -> str:
        verdict = "agrees with" if self.ok else "DIFFERS from"
        return f"{verdict} the reference: {self.detail}"


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    kernel: str
    description: str
    function: Callable[..., Any]
    make_inputs: Callable[[int], dict[str, Any]]
    reference: Callable[..., Any]
    reference_name: str
    compare: Callable[[Any, Any, Mapping[str, Any]], Comparison]
    default_size: int
    size_unit: str
    placement: Mapping[str, int] = field(default_factory=dict)
    """Input name -> kernel argument index, for zero-copy placement on XRT."""
    min_size: int = 1
    """Smallest size make_inputs accepts; bench refuses less rather than silently growing it."""

    def run(self, inputs: Mapping[str, Any], runtime: Backend | None = None) -> Any:
        return self.function(**inputs, runtime=runtime)

    def run_reference(self, inputs: Mapping[str, Any]) -> Any:
        return self.reference(**inputs)

    def prepare(self, inputs: Mapping[str, Any], runtime: Backend) -> dict[str, Any]:
        """Inputs placed in device buffers once (XRT), so timed calls copy nothing."""
        return {
            k: runtime.prepare(self.kernel, self.placement[k], v) if k in self.placement else v
            for k, v in inputs.items()
        }


# --- comparisons -----------------------------------------------------------------


def _close(name: str, got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> Comparison:
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if got.shape != want.shape:
        return Comparison(False, math.inf, atol, f"{name}: shape {got.shape} vs {want.shape}")
    err = np.abs(got - want)
    excess = err - (atol + rtol * np.abs(want))
    worst = float(err.max()) if err.size else 0.0
    ok = bool((excess <= 0).all())
    return Comparison(
        ok, worst, atol, f"{name}: max |diff| {worst:.3g} (rtol {rtol:g}, atol {atol:g})"
    )


def compare_black_scholes(got: dict, want: dict, inputs: Mapping[str, Any]) -> Comparison:
    # float32 outputs: relative 1e-5 plus an absolute floor scaled to the greek's magnitude.
    parts = [
        _close(g, got[g], want[g], 2e-5, 1e-5 * float(np.abs(want[g]).max() or 1.0))
        for g in finance.GREEKS
    ]
    bad = [p for p in parts if not p.ok]
    worst = max(parts, key=lambda p: p.max_error / (p.tolerance or 1))
    return Comparison(not bad, worst.max_error, worst.tolerance,
                      "; ".join(p.detail for p in (bad or [worst])))  # fmt: skip


def compare_mc(got: float, want: dict, inputs: Mapping[str, Any]) -> Comparison:
    # Within 3 standard errors of the closed form; the reference run's standard
    # error stands in for the result's when the backend did not report one.
    se = want["stderr"]
    err = abs(got - want["closed_form"])
    return Comparison(
        err <= 3 * se,
        err,
        3 * se,
        f"price {got:.4f} vs closed form {want['closed_form']:.4f}: "
        f"{err / se:.2f} standard errors (limit 3)",
    )


def compare_image(max_diff: int, max_fraction: float) -> Callable[..., Comparison]:
    def compare(got: np.ndarray, want: np.ndarray, inputs: Mapping[str, Any]) -> Comparison:
        got, want = np.asarray(got), np.asarray(want)
        if got.shape != want.shape:
            return Comparison(False, math.inf, max_diff, f"shape {got.shape} vs {want.shape}")
        diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
        worst = int(diff.max()) if diff.size else 0
        frac = float((diff > 0).mean()) if diff.size else 0.0
        ok = worst <= max_diff and frac <= max_fraction
        return Comparison(
            ok, worst, max_diff,
            f"max |diff| {worst} (limit {max_diff}), {frac:.2%} of pixels differ "
            f"(limit {max_fraction:.2%})",
        )  # fmt: skip

    return compare


def kernel_agreement(
    check: Callable[[Any, Any, Mapping[str, Any]], tuple[bool, float, float, str]],
) -> Callable[..., Comparison]:
    """A vision check that allows exactly the kernel's known deviations from OpenCV.

    The kernels' arithmetic (8-bit taps, truncated weights, tie-breaking) is
    not OpenCV's, so a fixed pixel tolerance would either hide a real error
    or refuse the kernel's own answer; :mod:`.vision_opencv` knows which
    differences the kernel makes and where.
    """

    def compare(got: Any, want: Any, inputs: Mapping[str, Any]) -> Comparison:
        return Comparison(*check(got, want, inputs))

    return compare


def compare_stream(decompress: Callable[[bytes], bytes]) -> Callable[..., Comparison]:
    def compare(got: bytes, want: bytes, inputs: Mapping[str, Any]) -> Comparison:
        data = bytes(inputs["data"])
        try:
            back = decompress(got)
        except Exception as exc:
            return Comparison(False, math.inf, 0, f"standard decompressor rejected it: {exc}")
        ok = back == data and decompress(want) == data
        return Comparison(
            ok, 0.0 if ok else 1.0, 0,
            f"round trip {'exact' if ok else 'WRONG'}; {len(got)} bytes vs reference "
            f"{len(want)} ({len(data)} in)",
        )  # fmt: skip

    return compare


def compare_gemm(got: np.ndarray, want: np.ndarray, inputs: Mapping[str, Any]) -> Comparison:
    a = np.asarray(inputs["a"], np.float64)
    b = np.asarray(inputs["b"], np.float64)
    # float32 accumulation error grows like sqrt(k) * eps * |a||b| (generous: k * eps).
    scale = float((np.abs(a) @ np.abs(b)).max())
    return _close("C", got, want, 0.0, a.shape[1] * np.finfo(np.float32).eps * scale)


# --- benchmark inputs --------------------------------------------------------------


def _rng(size: int) -> np.random.Generator:
    return np.random.default_rng(20240 + size)


def bs_inputs(size: int) -> dict[str, Any]:
    rng = _rng(size)
    spot = rng.uniform(20, 200, size).astype(np.float32)
    return {
        "spot": spot,
        "strike": (spot * rng.uniform(0.7, 1.3, size)).astype(np.float32),
        "volatility": rng.uniform(0.1, 0.6, size).astype(np.float32),
        "rate": rng.uniform(0.0, 0.08, size).astype(np.float32),
        "time": rng.uniform(0.1, 3.0, size).astype(np.float32),
    }


def mc_inputs(size: int) -> dict[str, Any]:
    return {
        "option_type": "put", "underlying": 36.0, "strike": 40.0, "risk_free_rate": 0.06,
        "dividend_yield": 0.0, "volatility": 0.20, "time_to_maturity": 1.0,
        "required_tolerance": 0.02, "samples": int(size), "time_steps": 4, "seed": 7,
    }  # fmt: skip


def natural_gray(rows: int, cols: int, seed: int = 0) -> np.ndarray:
    """A textured grayscale test image: smooth gradients, edges and noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float32)
    base = 96 + 60 * np.sin(x / 23.0) * np.cos(y / 17.0) + 0.2 * (x + y) % 64
    noise = rng.normal(0, 18, (rows, cols))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def color_scene(rows: int, cols: int, seed: int = 0) -> np.ndarray:
    """A BGR scene with yellow, green, red and blue discs on a gray, noisy background."""
    import cv2

    rng = np.random.default_rng(seed)
    img = np.full((rows, cols, 3), 110, np.uint8)
    bgr = [(0, 220, 230), (40, 200, 40), (30, 30, 220), (200, 60, 20)]  # yellow green red blue
    for i in range(24):
        c = bgr[i % 4]
        center = (int(rng.integers(0, cols)), int(rng.integers(0, rows)))
        cv2.circle(img, center, int(rng.integers(max(3, rows // 40), max(4, rows // 8))), c, -1)
    noise = rng.integers(-12, 13, img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def stereo_pair(
    rows: int, cols: int, shift: int = 8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A textured left image and the right view of a plane ``shift`` pixels away."""
    left = natural_gray(rows, cols + shift, seed)
    right = left[:, shift:]  # right[y, x] = left[y, x + shift] -> disparity `shift`
    return np.ascontiguousarray(left[:, :cols]), np.ascontiguousarray(right)


def text_bytes(size: int, seed: int = 0) -> bytes:
    """Word-like text: compresses about 2:1, like logs or CSV."""
    rng = np.random.default_rng(seed)
    alphabet = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", np.uint8)
    words = [alphabet[rng.integers(0, 26, int(rng.integers(2, 10)))].tobytes() for _ in range(3000)]
    picks = rng.integers(0, len(words), size // 3 + 1)
    return b" ".join(words[i] for i in picks)[:size]


def _image_inputs(size: int) -> dict[str, Any]:
    return {"img": natural_gray(size, size)}


FUNCTIONS: dict[str, FunctionSpec] = {}


def _register(spec: FunctionSpec) -> None:
    FUNCTIONS[spec.name] = spec


_register(FunctionSpec(
    "finance.black_scholes", finance.BS_KERNEL,
    "Closed-form Black-Scholes price and greeks over arrays of European options",
    finance.black_scholes, bs_inputs, references.black_scholes_reference,
    references.black_scholes_reference_name(), compare_black_scholes, 100_000, "options",
    {"spot": 0, "volatility": 1, "rate": 2, "time": 3, "strike": 4},
))  # fmt: skip
_register(FunctionSpec(
    "finance.mc_european", finance.MC_KERNEL,
    "Monte-Carlo price of a European option (seed, samples, time steps)",
    finance.mc_european, mc_inputs, references.mc_european_reference,
    "numpy Monte-Carlo + Black-Scholes-Merton closed form", compare_mc, 1 << 18, "paths",
))  # fmt: skip
_register(FunctionSpec(
    "vision.gaussian_filter", vision.GAUSSIAN_KERNEL,
    "Gaussian blur (3x3, sigma 0.5, zero border) of a grayscale image",
    vision.gaussian_filter, _image_inputs, references.gaussian_reference,
    "cv2.GaussianBlur", kernel_agreement(vision_opencv.gaussian_vs_opencv), 1024, "pixels per side", {"img": 0},
))  # fmt: skip
_register(FunctionSpec(
    "vision.resize", vision.RESIZE_KERNEL, "Bilinear resize of a grayscale image to 3/4 x 1/2",
    vision.resize,
    lambda size: {"img": natural_gray(size, size), "rows": max(1, size * 3 // 4), "cols": max(1, size // 2)},
    references.resize_reference, "cv2.resize(INTER_LINEAR)",
    kernel_agreement(vision_opencv.resize_vs_opencv), 1024,
    "pixels per side", {"img": 0},
))  # fmt: skip
_register(FunctionSpec(
    "vision.color_detect", vision.COLOR_KERNEL,
    "Mask of yellow, green and red areas of a BGR image (HSV ranges, erode/dilate)",
    vision.color_detect, lambda size: {"img": color_scene(size, size)},
    references.color_detect_reference, "Vitis testbench's OpenCV colordetect",
    compare_image(0, 0.0), 1024, "pixels per side", {"img": 0},
))  # fmt: skip
_register(FunctionSpec(
    "vision.stereo_bm", vision.STEREO_KERNEL,
    "Disparity of a rectified grayscale stereo pair (block matching, 32 disparities)",
    vision.stereo_bm,
    lambda size: dict(zip(("left", "right"), stereo_pair(size * 3 // 4, size), strict=True)),
    references.stereo_bm_reference, "cv2.StereoBM",
    kernel_agreement(vision_opencv.stereo_vs_opencv), 640,
    "pixels per row", {"left": 0, "right": 1}, min_size=64,
))  # fmt: skip
_register(FunctionSpec(
    "compression.gzip", compression.KERNEL, "gzip stream of a byte buffer (readable by gzip -d)",
    compression.gzip_compress, lambda size: {"data": text_bytes(size)},
    references.gzip_reference, "zlib level 1 (gzip wrapper)", compare_stream(__import__("gzip").decompress),
    1 << 20, "bytes", {"data": 0},
))  # fmt: skip
_register(FunctionSpec(
    "compression.zlib", compression.KERNEL, "zlib stream of a byte buffer (readable by zlib)",
    compression.zlib_compress, lambda size: {"data": text_bytes(size)},
    references.zlib_reference, "zlib.compress(level 1)", compare_stream(__import__("zlib").decompress),
    1 << 20, "bytes", {"data": 0},
))  # fmt: skip
_register(FunctionSpec(
    "blas.gemm", blas.KERNEL, "float32 matrix product C = A @ B",
    blas.gemm,
    lambda size: {"a": _rng(size).standard_normal((size, size), np.float32),
                  "b": _rng(size + 1).standard_normal((size, size), np.float32)},
    references.gemm_reference, "numpy.matmul (float32)", compare_gemm, 256, "rows = cols",
    {"a": 0, "b": 0},
))  # fmt: skip

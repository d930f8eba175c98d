"""How far each vision kernel's answer may be from OpenCV's, and the checks that say so.

Why: OpenCV is the functional model of Vitis Vision and the CPU version users
time against, but the kernels do their own integer arithmetic. A check that
demands OpenCV's pixels fails on a board that works; a check with a loose,
arbitrary tolerance hides a broken one. These checks allow exactly the
kernel's known deviations (Vitis Libraries 2020.2):

* Gaussian: the kernel's 8-bit taps differ from OpenCV's by ``dw``, so a pixel
  may differ by ``ceil(255 * sum|dw|) + 1`` levels; and a 3x3 filter whose taps
  sum above 256 wraps 256 to 0 instead of saturating;
* resize: 10-bit truncated weights against OpenCV's rounded 11-bit ones:
  at most 2 levels;
* color detection: none (the kernel's HSV equals OpenCV's for all 2^24 colours,
  and its rectangular morphology is OpenCV's with the default borders);
* stereo BM: the same borders, validity and disparity (within 1/16 pixel)
  except near the first and last rows (the kernel's prefilter sets them to
  the cap, OpenCV mirrors the image), where two disparities share the lowest
  cost (the kernel keeps the larger, OpenCV the smaller) and where the
  kernel's sub-pixel denominator overflows its 15 bits (11x11 window).

Each check returns an :class:`Agreement` (ok, max_error, tolerance, detail),
the fields of the registry's ``Comparison``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from . import xfcv_gaussian, xfcv_stereo

RESIZE_TOLERANCE = 2


class Agreement(NamedTuple):
    ok: bool
    max_error: float
    tolerance: float
    detail: str


def _shapes(got: np.ndarray, want: np.ndarray) -> Agreement | None:
    if got.shape != want.shape:
        return Agreement(False, math.inf, 0, f"shape {got.shape} vs OpenCV's {want.shape}")
    return None


def gaussian_tolerance(ksize: int, sigma: float) -> int:
    """Largest per-pixel difference from ``cv2.GaussianBlur`` the kernel's taps allow."""
    import cv2

    w = xfcv_gaussian.taps(ksize, sigma).astype(np.float64)
    g = cv2.getGaussianKernel(ksize, sigma).ravel()
    dev = 255 * np.abs(np.outer(w, w) / 65536 - np.outer(g, g)).sum()
    return int(math.ceil(dev - 1e-9)) + 1


def gaussian_vs_opencv(got: Any, want: Any, inputs: Mapping[str, Any]) -> Agreement:
    """The kernel's Gaussian against ``cv2.GaussianBlur`` (zero border) with the same sigma."""
    got, want = np.asarray(got), np.asarray(want)
    if bad := _shapes(got, want):
        return bad
    ksize, sigma = int(inputs.get("ksize", 3)), float(inputs.get("sigma", 0.5))
    tol = gaussian_tolerance(ksize, sigma)
    g, w = got.astype(np.int64), want.astype(np.int64)
    diff = np.abs(g - w)
    wraps = ksize == 3 and int(xfcv_gaussian.taps(3, sigma).sum()) > 256
    wrapped = np.zeros(diff.shape, bool)
    if wraps:  # 3x3 does not saturate: 256 (and 257) come back as 0 (and 1)
        wrapped = (np.abs(g + 256 - w) <= tol) & (diff > tol)
        diff = np.where(wrapped, np.abs(g + 256 - w), diff)
    worst = int(diff.max()) if diff.size else 0
    detail = (f"max |diff| {worst} (kernel taps allow {tol}), {(diff > 0).mean():.2%} of pixels "
              f"differ")  # fmt: skip
    if wrapped.any():
        detail += f", {int(wrapped.sum())} bright pixels wrapped to 0/1 (3x3 does not saturate)"
    return Agreement(worst <= tol, worst, tol, detail)


def resize_vs_opencv(got: Any, want: Any, inputs: Mapping[str, Any]) -> Agreement:
    """The kernel's bilinear resize against ``cv2.resize(INTER_LINEAR)``."""
    got, want = np.asarray(got), np.asarray(want)
    if bad := _shapes(got, want):
        return bad
    diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
    worst = int(diff.max()) if diff.size else 0
    return Agreement(
        worst <= RESIZE_TOLERANCE, worst, RESIZE_TOLERANCE,
        f"max |diff| {worst} (fixed-point weights allow {RESIZE_TOLERANCE}), "
        f"{(diff > 0).mean():.2%} of pixels differ",
    )  # fmt: skip


def color_detect_vs_opencv(got: Any, want: Any, inputs: Mapping[str, Any]) -> Agreement:
    """The kernel's mask against OpenCV's cvtColor / inRange / erode / dilate: identical."""
    got, want = np.asarray(got), np.asarray(want)
    if bad := _shapes(got, want):
        return bad
    n = int((got != want).sum())
    return Agreement(n == 0, float(n > 0) * 255, 0, f"{n} of {got.size} mask pixels differ")


def stereo_explained(left: np.ndarray, right: np.ndarray, prm: xfcv_stereo.BMParams) -> np.ndarray:
    """Pixels where the kernel may differ from ``cv2.StereoBM``: its known deviations.

    Inside the kernel's valid window: the ``h + 2`` rows at the top and bottom
    (prefilter border), wherever the lowest SAD is shared by two disparities
    (the kernel keeps the larger one, OpenCV the smaller) and where the
    kernel's sub-pixel denominator overflows its ``bitlen(255 W^2)`` bits (a
    large ``pre_filter_cap`` on a strongly textured pair).
    Assumes one sweep (``units == disparities``), the ``stereolbm_accel`` build.
    """
    rows, cols = left.shape
    lp = xfcv_stereo.prefilter(left, prm.pre_filter_cap)
    rp = xfcv_stereo.prefilter(right, prm.pre_filter_cap)
    sad, _ = xfcv_stereo.costs(lp, rp, prm)
    low = sad.min(axis=0)
    explained = (sad == low).sum(axis=0) > 1
    # the sub-pixel denominator k = p + n - 2 min + |p - n| wraps in bitlen(255 W^2) signed bits
    n_d = sad.shape[0]
    best = n_d - 1 - np.argmin(sad[::-1], axis=0)
    before = np.take_along_axis(sad, np.where(best > 0, best - 1, 1)[None], 0)[0].astype(np.int64)
    after = np.take_along_axis(sad, np.where(best < n_d - 1, best + 1, n_d - 2)[None], 0)[0]
    k = before + after - 2 * low.astype(np.int64) + np.abs(before - after)
    explained |= k >= 1 << (int(255 * prm.window * prm.window).bit_length() - 1)
    h = prm.window // 2
    explained[: h + 2] = True
    explained[max(0, rows - h - 2) :] = True
    ys, xs = xfcv_stereo.valid_window(rows, cols, prm)
    inside = np.zeros((rows, cols), bool)
    inside[ys, xs] = True
    return explained & inside  # outside its window the kernel is 0, as OpenCV is


def stereo_vs_opencv(got: Any, want: Any, inputs: Mapping[str, Any]) -> Agreement:
    """The kernel's disparities against ``cv2.StereoBM`` (its invalid values set to 0).

    Everywhere but the pixels :func:`stereo_explained` names, both must agree on
    valid/invalid and, where valid, within 1/16 pixel (sub-pixel rounding).
    """
    got, want = np.asarray(got), np.asarray(want)
    if bad := _shapes(got, want):
        return bad
    prm = xfcv_stereo.BMParams(
        int(inputs.get("pre_filter_cap", 31)), int(inputs.get("uniqueness_ratio", 15)),
        int(inputs.get("texture_threshold", 20)), int(inputs.get("block_size") or 11),
        int(inputs.get("num_disparities") or 32), int(inputs.get("num_disparities") or 32),
    )  # fmt: skip
    g, w = got.astype(np.int64), np.maximum(want.astype(np.int64), 0)
    both = (g > 0) & (w > 0)
    differs = ((g > 0) != (w > 0)) | (both & (np.abs(g - w) > 1))
    explained = stereo_explained(np.asarray(inputs["left"]), np.asarray(inputs["right"]), prm)
    unexplained = differs & ~explained
    worst = int(np.abs(g - w)[both].max()) if both.any() else 0
    n_bad = int(unexplained.sum())
    known = "first/last rows, equal-cost ties or sub-pixel overflow"
    where = f"all at {known}" if n_bad == 0 else f"{n_bad} of them not at {known}"
    return Agreement(
        n_bad == 0, float(n_bad), 0,
        f"{int(differs.sum())} of {g.size} pixels differ in validity or by more than 1/16 px, "
        f"{where}; max |diff| where both valid {worst / 16:g} px",
    )  # fmt: skip

"""CPU model of xf::cv::StereoBM (local block matching) as the Vitis kernels compute it.

Why not ``cv2.StereoBM``: the kernel (Vitis Libraries 2020.2: ``stereolbm_accel``
and the block-matching stage of ``stereopipeline_accel``) differs from OpenCV
in borders, ties, uniqueness and the invalid value, and the emulation must
give the board's disparities. What it computes, for a window of ``W x W``
(``h = W // 2``), ``N`` disparities searched ``U`` at a time (``N / U`` sweeps):

* prefilter, both images: ``gx`` = 3x3 x-Sobel (right minus left column,
  weights 1 2 1); pixels of the outermost image row and column get ``gx = 0``;
  then ``clip(gx, -cap, cap) + cap`` (0..2 cap);
* cost ``SAD_d(y, x)`` = sum over the window of ``|L(y', x') - R(y', x' - d)|``,
  ``d = 0 .. N-1``; texture = sum over the window of ``|L - cap|``;
* best disparity: the smallest SAD; among equal SADs the *largest* disparity
  wins (within a sweep and across sweeps);
* uniqueness (ratio ``u`` > 0): with ``t = m + m * u // 100`` (``m`` the best SAD
  so far), the pixel is rejected when a disparity more than one away from the
  best has a SAD ``<= t``. The kernel decides this sweep by sweep, carrying
  the best SAD, its neighbours and the lowest rejecting SAD between sweeps
  (``xfcv_stereo_loop`` follows it step by step);
* sub-pixel: ``p``/``n`` the SADs either side of the best ``D`` (the other side
  at the ends of the range), ``k = p + n - 2 m + |p - n|`` kept in
  ``bitlen(255 W^2)`` signed bits, ``delta = ((p - n) << 8) / k`` (toward zero,
  10-bit signed, 0 when ``k`` is 0), output ``(256 D + delta + 15) >> 4`` in 16 bits:
  disparity times 16;
* invalid pixels are 0: the ``h`` rows at the top and bottom, the first
  ``N - 1 + h`` and last ``h`` columns, texture below the threshold, and pixels
  rejected by the uniqueness test. ``minDisparity`` is not used by the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BMParams:
    """The block matcher's parameters: three from the call, three fixed by the build."""

    pre_filter_cap: int = 31
    uniqueness_ratio: int = 15
    texture_threshold: int = 20
    window: int = 11  # SAD_WINDOW_SIZE
    disparities: int = 32  # NO_OF_DISPARITIES
    units: int = 32  # PARALLEL_UNITS: disparities per sweep


def _cv2() -> Any:
    import cv2

    return cv2


def prefilter(img: np.ndarray, cap: int) -> np.ndarray:
    """x-Sobel clipped to ``[-cap, cap]`` and offset by ``cap``; the image's outer ring is ``cap``."""
    p = img.astype(np.int32)
    out = np.full(img.shape, cap, np.int32)
    if img.shape[0] >= 3 and img.shape[1] >= 3:
        d = p[:, 2:] - p[:, :-2]  # right minus left
        gx = d[:-2] + 2 * d[1:-1] + d[2:]
        out[1:-1, 1:-1] = np.clip(gx, -cap, cap) + cap
    return out


def _box(a: np.ndarray, window: int) -> np.ndarray:
    """Window sums centred on every pixel (float32 is exact: sums of small ints stay < 2^24)."""
    cv2 = _cv2()
    s = cv2.boxFilter(a.astype(np.float32), cv2.CV_32F, (window, window), normalize=False,
                      borderType=cv2.BORDER_CONSTANT)  # fmt: skip
    return s.astype(np.int32)  # whole numbers already: truncation is exact


def costs(lp: np.ndarray, rp: np.ndarray, prm: BMParams) -> tuple[np.ndarray, np.ndarray]:
    """(SAD volume N x H x W, texture H x W) of a prefiltered pair; exact where the window fits."""
    rows, cols = lp.shape
    sad = np.empty((prm.disparities, rows, cols), np.int32)
    for d in range(prm.disparities):  # disparities, not pixels
        full = np.zeros((rows, cols), np.int32)
        full[:, d:] = np.abs(lp[:, d:] - rp[:, : cols - d])
        sad[d] = _box(full, prm.window)
    return sad, _box(np.abs(lp - prm.pre_filter_cap), prm.window)


def valid_window(rows: int, cols: int, prm: BMParams) -> tuple[slice, slice]:
    """Rows and columns where the kernel can output a disparity (all others are 0)."""
    h = prm.window // 2
    return slice(h, max(h, rows - h)), slice(prm.disparities - 1 + h, max(0, cols - h))


def disparity(left: np.ndarray, right: np.ndarray, prm: BMParams) -> np.ndarray:
    """The kernel's uint16 disparity map (x16, 0 = invalid) of a rectified grayscale pair.

    The prefilter and the texture sums are OpenCV calls (exact: see
    :func:`prefilter_u8`); the costs, the sweeps and the sub-pixel step are the
    kernel's per-pixel loop, compiled (:mod:`.xfcv_stereo_loop`), over bands of
    rows, one per core.
    """
    from .jit import in_bands
    from .xfcv_stereo_loop import band_kernel

    rows, cols = left.shape
    out = np.zeros((rows, cols), np.uint16)
    ys, xs = valid_window(rows, cols, prm)
    if ys.stop <= ys.start or xs.stop <= xs.start:
        return out
    cap, w, n = prm.pre_filter_cap, prm.window, prm.disparities
    lp, rp = prefilter_u8(left, cap), prefilter_u8(right, cap)
    texture = _texture(lp, prm)
    # 16-bit costs when the largest window sum stays below 2^16 (the builds': 2 * 31 * 15^2)
    cost_type = np.uint16 if 2 * cap * w * w < 0xFFFF else np.int32
    kbits = int(255 * w * w).bit_length()  # the kernel's register for k and the SADs
    kernel = band_kernel()

    def run(y0: int, y1: int) -> None:
        columns = np.empty((n, cols - (n - 1)), cost_type)
        sads = np.empty((n, xs.stop - xs.start), cost_type)
        kernel(lp, rp, texture, prm.texture_threshold, w, n, prm.units, prm.uniqueness_ratio,
               kbits, y0, y1, out, columns, sads)  # fmt: skip

    in_bands(run, ys.start, ys.stop, cols * n)  # about 1 ns per pixel and disparity
    return out


def prefilter_u8(img: np.ndarray, cap: int) -> np.ndarray:
    """:func:`prefilter` as uint8 (0 .. 2 cap <= 510 needs caps up to 127: the kernel's are <= 63).

    ``cv2.Sobel`` with ``ksize=3`` is exactly the x-Sobel above (weights 1 2 1,
    right minus left), in int16; the outer ring is overwritten with ``cap``.
    """
    if cap > 127 or img.shape[0] < 3 or img.shape[1] < 3:
        return prefilter(img, cap).astype(np.uint16 if cap > 127 else np.uint8)
    cv2 = _cv2()
    gx = cv2.Sobel(np.ascontiguousarray(img), cv2.CV_16S, 1, 0, ksize=3)
    np.clip(gx, -cap, cap, out=gx)
    gx += cap
    out = gx.astype(np.uint8)
    out[0], out[-1], out[:, 0], out[:, -1] = cap, cap, cap, cap
    return out


def _texture(lp: np.ndarray, prm: BMParams) -> np.ndarray:
    """Window sums of ``|L - cap|`` (exact in int32)."""
    cv2 = _cv2()
    dev = cv2.absdiff(lp, np.full_like(lp, prm.pre_filter_cap))
    return cv2.boxFilter(dev, cv2.CV_32S, (prm.window, prm.window), normalize=False,
                         borderType=cv2.BORDER_CONSTANT)  # fmt: skip

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
  (``_sweep`` below follows it step by step);
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

INT_MAX = 2**31 - 1


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


def _argmin_last(sad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, value) of the minimum along axis 0; ties go to the largest index."""
    rev = sad[::-1]
    idx = sad.shape[0] - 1 - np.argmin(rev, axis=0)
    return idx, np.take_along_axis(sad, idx[None], 0)[0]


def _sweep(sads: np.ndarray, prm: BMParams) -> tuple[np.ndarray, ...]:
    """Best disparity, its SAD, the SADs either side and the uniqueness verdict, sweep by sweep.

    ``sads`` is N x P (P pixels). Follows the kernel's per-column state: it is
    what makes ties, uniqueness and the neighbours at sweep edges come out as
    the board's.
    """
    units, ur = prm.units, prm.uniqueness_ratio
    npx = sads.shape[1]
    big = np.full(npx, INT_MAX, np.int64)
    gmin, gmind = big.copy(), np.zeros(npx, np.int64)
    skip, skip_val = np.zeros(npx, bool), big.copy()
    edge_nb, edge = big.copy(), np.zeros(npx, np.int64)
    min_p, min_n = big.copy(), big.copy()
    for s in range(prm.disparities // units):  # sweeps, not pixels
        sad = sads[s * units : (s + 1) * units]
        base = s * units
        if s == 0:
            g_edge = sad[1] if units != 1 else np.zeros(npx, np.int64)
            g_edge_nb = big.copy()
            g_n = min_n
        else:
            g_edge = edge
            g_edge_nb = big.copy() if (s == 1 and units == 1) else edge_nb
            g_n = np.where(gmind == base - 1, sad[0], min_n)
        lmind, lmin = _argmin_last(sad)
        new = lmin <= gmin
        # --- a new best in this sweep -------------------------------------------------
        n_skip = np.zeros(npx, bool)
        n_val = skip_val.copy()
        if ur > 0:
            thresh = lmin + (lmin * ur) // 100
            close = gmin <= thresh
            far = close & (lmind + base > gmind + 1)
            nxt = close & (lmind + base == gmind + 1)
            c2 = nxt & (skip_val <= thresh)
            c3 = nxt & ~c2 & (g_edge_nb <= thresh)
            n_skip = far | c2 | c3
            n_val = np.where(far, gmin, np.where(c3, g_edge_nb, skip_val))  # a new array
            for d in range(units):  # disparities of the sweep, not pixels
                hit = (sad[d] <= thresh) & (sad[d] < n_val) & ((d < lmind - 1) | (d > lmind + 1))
                n_skip |= hit
                np.copyto(n_val, sad[d], where=hit)
        n_p = np.where(lmind == 0, g_edge, sad[np.maximum(lmind - 1, 0), np.arange(npx)])
        if units == 1:
            n_n = sad[0]
        else:
            nb = np.where(lmind == units - 1, lmind - 1, lmind + 1)
            n_n = sad[nb, np.arange(npx)]
        # --- no new best: only the uniqueness test against this sweep -----------------
        o_skip, o_val = skip.copy(), skip_val.copy()
        if ur > 0:
            thresh = gmin + (gmin * ur) // 100
            at_edge = gmind == base - 1
            for d in range(units):
                ok_d = ~at_edge | (base + d > gmind + 1)
                hit = (sad[d] <= thresh) & (sad[d] < o_val) & ok_d
                o_skip |= hit
                np.copyto(o_val, sad[d], where=hit)
        # --- keep one or the other ----------------------------------------------------
        skip = np.where(new, n_skip, o_skip)
        skip_val = np.where(new, n_val, o_val)
        min_p = np.where(new, n_p, min_p)
        min_n = np.where(new, n_n, g_n)
        gmind = np.where(new, lmind + base, gmind)
        gmin = np.where(new, lmin, gmin)
        edge_nb = edge.copy() if units == 1 else sad[units - 2].copy()
        edge = sad[units - 1].copy()
    return gmind, gmin, min_p, min_n, skip


def _wrap(v: np.ndarray, bits: int) -> np.ndarray:
    """Two's complement wrap of ``v`` to ``bits`` signed bits (ap_int assignment)."""
    m = 1 << bits
    return ((v + (m >> 1)) % m) - (m >> 1)


def subpixel(gmind: np.ndarray, gmin: np.ndarray, p_: np.ndarray, n_: np.ndarray,
             prm: BMParams) -> np.ndarray:  # fmt: skip
    """The kernel's 16-bit output ``(256 D + delta + 15) >> 4`` from the best SAD and its neighbours."""
    bits = int(255 * prm.window * prm.window).bit_length()
    p = _wrap(np.where(gmind == 0, n_, p_), bits)
    n = _wrap(np.where(gmind == prm.disparities - 1, p_, n_), bits)
    k = _wrap(p + n - 2 * gmin + np.abs(p - n), bits)
    num = _wrap((p - n) << 8, bits + 8)
    safe = np.where(k == 0, 1, k)
    q = np.abs(num) // np.abs(safe) * np.sign(num) * np.sign(safe)  # C division: toward zero
    delta = _wrap(np.where(k == 0, 0, q), 10)
    return ((gmind * 256 + delta + 15) >> 4) & 0xFFFF


def disparity(left: np.ndarray, right: np.ndarray, prm: BMParams, band: int = 64) -> np.ndarray:
    """The kernel's uint16 disparity map (x16, 0 = invalid) of a rectified grayscale pair.

    Works through bands of ``band`` output rows so that the SAD volume of a
    full-HD pair never has to be held at once.
    """
    rows, cols = left.shape
    out = np.zeros((rows, cols), np.uint16)
    ys, xs = valid_window(rows, cols, prm)
    if ys.stop <= ys.start or xs.stop <= xs.start:
        return out
    cap, h = prm.pre_filter_cap, prm.window // 2
    lp, rp = prefilter(left, cap), prefilter(right, cap)
    for y0 in range(ys.start, ys.stop, band):  # bands of rows, each vectorised
        y1 = min(y0 + band, ys.stop)
        sad, texture = costs(lp[y0 - h : y1 + h], rp[y0 - h : y1 + h], prm)
        inner = (slice(None), slice(h, h + y1 - y0), xs)
        sads = sad[inner].reshape(prm.disparities, -1).astype(np.int64)
        gmind, gmin, p_, n_, skip = _sweep(sads, prm)
        disp = subpixel(gmind, gmin, p_, n_, prm)
        low_texture = texture[inner[1:]].reshape(-1) < prm.texture_threshold
        disp = np.where(skip | low_texture, 0, disp)
        out[y0:y1, xs] = disp.reshape(y1 - y0, -1).astype(np.uint16)
    return out

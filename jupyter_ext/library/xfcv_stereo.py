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


def window_sads(lp: np.ndarray, rp: np.ndarray, prm: BMParams, rows: slice,
                xs: slice) -> np.ndarray:  # fmt: skip
    """SAD of every disparity at every pixel of ``rows`` x ``xs``: an ``N x rows x cols`` view.

    ``lp``/``rp`` are the prefiltered pair as uint8 (0 .. 2 cap), ``rows`` the
    output rows (``h`` rows of context either side must exist in the arrays),
    ``xs`` the valid columns. Only the columns a valid window reaches are
    computed: from ``N - 1`` on, where every disparity has its right-image
    column. The absolute differences are uint8 and the window sums uint16
    (exact: ``2 cap W^2 < 65535``; int32 otherwise), so the volume is as small
    as it can be: its passes are memory-bound. One ``cv2.boxFilter`` sums all
    planes stacked vertically: each plane carries its own ``h`` context rows,
    so no output row's window reaches a neighbouring plane.
    """
    cv2 = _cv2()
    n, h, w = prm.disparities, prm.window // 2, prm.window
    y0, y1 = rows.start - h, rows.stop + h
    x0 = n - 1  # first column any valid window touches
    width = lp.shape[1] - x0
    diff = np.empty((n, y1 - y0, width), lp.dtype)
    left = lp[y0:y1, x0:]
    for d in range(n):  # disparities, not pixels: one cv2 call per plane
        cv2.absdiff(left, rp[y0:y1, x0 - d : x0 - d + width], dst=diff[d])
    exact16 = 2 * prm.pre_filter_cap * w * w < 0xFFFF  # the largest sum, below the sentinel
    sums = cv2.boxFilter(diff.reshape(-1, width), cv2.CV_16U if exact16 else cv2.CV_32S, (w, w),
                         normalize=False,
                         borderType=cv2.BORDER_CONSTANT).reshape(diff.shape)  # fmt: skip
    return sums[:, h : h + rows.stop - rows.start, xs.start - x0 : xs.stop - x0]


def _best(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(smallest SAD, its disparity) per pixel; ties go to the largest disparity, as on the kernel.

    A ``min`` over the planes, then the last plane equal to it: numpy's argmin
    over the first axis is several times slower, and it keeps the first tie.
    """
    low = block.min(axis=0)
    at = np.zeros(low.shape, np.int32)
    for d in range(block.shape[0]):  # disparities, not pixels
        np.copyto(at, d, where=block[d] == low)
    return low.astype(np.int32), at


def _take(block: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``block[d[y, x], y, x]`` as int32."""
    return np.take_along_axis(block, d[None], 0)[0].astype(np.int32)


def _min_except_near(block: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Per pixel, the smallest SAD whose disparity is more than one away from ``centre``.

    Overwrites the three near entries of ``block`` with its dtype's largest
    value *in place* (the caller has read all it needs from it: no copy of the
    block); that sentinel, where nothing else is left, comes back as INT_MAX.
    """
    top = np.iinfo(block.dtype).max
    for off in (-1, 0, 1):  # the best disparity and its two neighbours
        at = centre + off
        at = np.where((at >= 0) & (at < block.shape[0]), at, centre)
        np.put_along_axis(block, at[None], top, 0)
    low = block.min(axis=0).astype(np.int32)
    return np.where(low == top, INT_MAX, low)


def _sweep(sads: np.ndarray, prm: BMParams) -> tuple[np.ndarray, ...]:
    """Best disparity, its SAD, the SADs either side and the uniqueness verdict, sweep by sweep.

    ``sads`` is N x rows x cols (see :func:`window_sads`; overwritten). Follows
    the kernel's per-column state: it is what makes ties, uniqueness and the
    neighbours at sweep edges come out as the board's. The kernel's in-sweep
    uniqueness loop (a rejecting SAD replaces the one kept when lower) ends with
    the lowest qualifying SAD, so it is one masked minimum per sweep. Per-pixel
    state is int32: SADs stay below 2^17 (``2 cap W^2``) and INT_MAX is only compared.
    """
    units, ur = prm.units, prm.uniqueness_ratio
    shape = sads.shape[1:]
    big = np.full(shape, INT_MAX, np.int32)
    gmin, gmind = big.copy(), np.zeros(shape, np.int32)
    skip, skip_val = np.zeros(shape, bool), big.copy()
    edge_nb, edge = big.copy(), np.zeros(shape, np.int32)
    min_p, min_n = big.copy(), big.copy()
    for s in range(prm.disparities // units):  # sweeps, not pixels
        block = sads[s * units : (s + 1) * units]
        base = s * units
        if s == 0:
            g_edge = block[1].astype(np.int32) if units != 1 else np.zeros(shape, np.int32)
            g_edge_nb = big
            g_n = min_n
        else:
            g_edge = edge
            g_edge_nb = big if (s == 1 and units == 1) else edge_nb
            g_n = np.where(gmind == base - 1, block[0], min_n)
        lmin, lmind = _best(block)
        new = lmin <= gmin
        # --- a new best in this sweep -------------------------------------------------
        n_skip = np.zeros(shape, bool)
        n_val = skip_val
        thresh_n = lmin + (lmin * ur) // 100
        if ur > 0:
            close = gmin <= thresh_n
            far = close & (lmind + base > gmind + 1)
            nxt = close & (lmind + base == gmind + 1)
            c2 = nxt & (skip_val <= thresh_n)
            c3 = nxt & ~c2 & (g_edge_nb <= thresh_n)
            n_skip = far | c2 | c3
            n_val = np.where(far, gmin, np.where(c3, g_edge_nb, skip_val))
        n_p = np.where(lmind == 0, g_edge, _take(block, np.maximum(lmind - 1, 0)))
        if units == 1:
            n_n = block[0].astype(np.int32)
        else:
            n_n = _take(block, np.where(lmind == units - 1, lmind - 1, lmind + 1))
        next_edge_nb = edge if units == 1 else block[units - 2].astype(np.int32)
        next_edge = block[units - 1].astype(np.int32)
        # --- no new best: only the uniqueness test against this sweep -----------------
        o_skip, o_val = skip, skip_val
        if ur > 0 and s > 0:  # in the first sweep every pixel has a new best
            thresh = gmin + (gmin * ur) // 100
            at_edge = gmind == base - 1
            m_rest = block[1:].min(axis=0).astype(np.int32) if units > 1 else big
            m_ok = np.where(at_edge, m_rest, lmin)
            hit = (m_ok <= thresh) & (m_ok < o_val)
            o_skip = skip | hit
            o_val = np.where(hit, m_ok, skip_val)
        if ur > 0:  # last: masks the block in place
            m_far = _min_except_near(block, lmind)
            hit = (m_far <= thresh_n) & (m_far < n_val)
            n_skip = n_skip | hit
            n_val = np.where(hit, m_far, n_val)
        # --- keep one or the other ----------------------------------------------------
        skip = np.where(new, n_skip, o_skip)
        skip_val = np.where(new, n_val, o_val)
        min_p = np.where(new, n_p, min_p)
        min_n = np.where(new, n_n, g_n)
        gmind = np.where(new, lmind + base, gmind)
        gmin = np.where(new, lmin, gmin)
        edge_nb, edge = next_edge_nb, next_edge
    return gmind, gmin, min_p, min_n, skip


def _wrap(v: np.ndarray, bits: int) -> np.ndarray:
    """Two's complement wrap of ``v`` to ``bits`` signed bits (ap_int assignment)."""
    half = 1 << (bits - 1)
    return ((v + half) & ((half << 1) - 1)) - half  # two's complement: & is the modulo


def subpixel(gmind: np.ndarray, gmin: np.ndarray, p_: np.ndarray, n_: np.ndarray,
             prm: BMParams) -> np.ndarray:  # fmt: skip
    """The kernel's 16-bit output ``(256 D + delta + 15) >> 4`` from the best SAD and its neighbours.

    When no SAD can reach ``2^(bits - 2)`` (``pre_filter_cap`` 31 and the
    builds' windows), none of the kernel's narrow registers can wrap and the
    arithmetic runs in int32 without the wrap steps -- the same integers.
    """
    bits = int(255 * prm.window * prm.window).bit_length()
    p = np.where(gmind == 0, n_, p_)
    n = np.where(gmind == prm.disparities - 1, p_, n_)
    if 4 * prm.pre_filter_cap * prm.window**2 < 1 << (bits - 1):  # 2 max SAD: k's bound
        p, n, m = p.astype(np.int32), n.astype(np.int32), gmin.astype(np.int32)
        k = p + n - 2 * m + np.abs(p - n)
        num = (p - n) << 8
    else:
        p, n, m = _wrap(p.astype(np.int64), bits), _wrap(n.astype(np.int64), bits), gmin
        k = _wrap(p + n - 2 * m.astype(np.int64) + np.abs(p - n), bits)
        num = _wrap((p - n) << 8, bits + 8)
    safe = np.where(k == 0, 1, k)
    # C division, toward zero; float64 is exact here (|num| < 2^32, 0 < |k| < 2^20: the
    # quotient never rounds across an integer)
    q = np.trunc(num / safe).astype(np.int64)
    delta = _wrap(np.where(k == 0, 0, q), 10)
    return ((gmind.astype(np.int64) * 256 + delta + 15) >> 4) & 0xFFFF


def disparity(left: np.ndarray, right: np.ndarray, prm: BMParams, band: int = 64) -> np.ndarray:
    """The kernel's uint16 disparity map (x16, 0 = invalid) of a rectified grayscale pair.

    Works through bands of ``band`` output rows so that the cost volume of a
    full-HD pair never has to be held at once (and a band's stays in cache).
    """
    rows, cols = left.shape
    out = np.zeros((rows, cols), np.uint16)
    ys, xs = valid_window(rows, cols, prm)
    if ys.stop <= ys.start or xs.stop <= xs.start:
        return out
    cap = prm.pre_filter_cap
    lp, rp = prefilter_u8(left, cap), prefilter_u8(right, cap)
    texture_all = _texture(lp, prm)
    for y0 in range(ys.start, ys.stop, band):  # bands of rows, each vectorised
        y1 = min(y0 + band, ys.stop)
        sads = window_sads(lp, rp, prm, slice(y0, y1), xs)
        gmind, gmin, p_, n_, skip = _sweep(sads, prm)
        disp = subpixel(gmind, gmin, p_, n_, prm)
        low_texture = texture_all[y0:y1, xs] < prm.texture_threshold
        out[y0:y1, xs] = np.where(skip | low_texture, 0, disp)
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

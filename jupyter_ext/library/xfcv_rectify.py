"""CPU model of the rectification stage of ``stereopipeline_accel``: maps and bilinear remap.

Why not ``cv2.initUndistortRectifyMap`` + ``cv2.remap``: the kernel (Vitis
Libraries 2020.2) computes the maps in fixed point and interpolates with its
own buffer, and the emulation must give the board's pixels. Facts modelled:

* parameters arrive as float32 and become ``ap_fixed<32,12>``: 20 fractional
  bits, truncated toward minus infinity, wrapping outside [-2048, 2048);
* for output pixel (row i, column j): ``x = (j ir0 + i ir1 + ir2)``,
  ``y = (j ir3 + i ir4 + ir5)``, ``w = (j ir6 + i ir7 + ir8)``; 1/w is
  approximated by ``2 - w``; ``x, y`` are multiplied by it. Radial (k1, k2, k3)
  and tangential (p1, p2) distortion follow OpenCV's formula; every product
  stored in a 32-bit value is truncated to 20 fractional bits, ``x^2`` and
  ``y^2`` keep 40 until they are summed;
* ``u = fx (...) + cx`` and ``v = fy (...) + cy`` are rounded (half up) to 5
  fractional bits and saturated to the map's range (12 integer bits for 1920
  columns);
* remap: source ``(x, y)`` = integer part of ``32 u`` split into a pixel and a
  5-bit fraction; a pixel is 0 unless ``0 <= x``, ``u <= cols - 1``, ``0 <= y``,
  ``v <= rows - 1`` and rows ``y`` and ``y + 1`` are inside the kernel's window of
  XF_REMAP_BUFSIZE rows around the output row (``o - B/2 + 1 <= y <= o + B/2 - 1``);
* the weights are ``(32-V)(32-U)``, ``(32-V)U``, ``V(32-U)``, ``VU`` over 1024, the
  sum is truncated. The kernel's buffer hands the four neighbours back swapped
  incompletely when ``x`` or ``y`` is odd: with ``x`` odd the lower-right
  neighbour is read from the lower-left; with ``y`` odd it is read from the
  upper-right; with both odd the upper-right and lower-right are the upper-left.
  (Later library releases fixed this; 2020.2 computes it.)
* the lower row of the last window row (``y + 1`` = the row being read in)
  holds, right of the current column, the row ``B`` rows above it (0 when
  there is none yet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

F = 20  # fractional bits of ap_fixed<32,12>
MAP_FRAC = 5  # fractional bits of the map (and of the remap's position)


def to_fixed(values: np.ndarray) -> np.ndarray:
    """float32 values as ap_fixed<32,12> raw integers (floor, 32-bit wrap)."""
    v = np.asarray(values, np.float32).astype(np.float64)
    return _wrap32(np.floor(v * (1 << F)).astype(np.int64))


def _wrap32(v: np.ndarray) -> np.ndarray:
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _mul(a: np.ndarray, b: np.ndarray | int, shift: int, add: np.ndarray | int = 0) -> np.ndarray:
    """floor((a * b + add) / 2^shift), exact for |a| < 2^35, |b| < 2^33 (no int64 overflow)."""
    b = np.asarray(b, np.int64)
    bl = b & 0xFFFF
    bh = b >> 16
    hi = a * bh
    lo = a * bl + add
    return (hi + (lo >> 16)) >> (shift - 16)


@dataclass(frozen=True)
class Camera:
    """One camera's rectification inputs as the kernel reads them (raw ap_fixed<32,12>)."""

    matrix: np.ndarray  # 9: fx 0 cx 0 fy cy 0 0 1
    dist: np.ndarray  # 5: k1 k2 p1 p2 k3
    inv: np.ndarray  # 9: inverse of (new camera matrix @ rectifying rotation)

    @classmethod
    def from_floats(cls, matrix: np.ndarray, dist: np.ndarray, inv: np.ndarray) -> Camera:
        return cls(to_fixed(matrix), to_fixed(dist), to_fixed(inv))


def maps(
    cam: Camera, rows: int, cols: int, max_rows: int = 1080, max_cols: int = 1920
) -> tuple[np.ndarray, np.ndarray]:
    """(map_x, map_y) in units of 1/32 pixel (int64), as the kernel computes them."""
    ir, k, d = cam.inv, cam.matrix, cam.dist
    i = np.arange(rows, dtype=np.int64)[:, None]
    j = np.arange(cols, dtype=np.int64)[None, :]
    one = 1 << F
    _x = _wrap32(i * ir[1] + j * ir[0] + ir[2])
    _y = _wrap32(i * ir[4] + j * ir[3] + ir[5])
    w = _wrap32(i * ir[7] + j * ir[6] + ir[8])
    winv = _wrap32(2 * one - w)
    x = _wrap32(_mul(_x, winv, F))
    y = _wrap32(_mul(_y, winv, F))
    x2t, y2t = x * x, y * y  # 40 fractional bits, kept
    mask = (1 << F) - 1
    r2 = _wrap32((x2t >> F) + (y2t >> F) + (((x2t & mask) + (y2t & mask)) >> F))
    xy2 = _wrap32(_mul(x, y, F - 1))  # 2 x y
    x2, y2 = _wrap32(x2t >> F), _wrap32(y2t >> F)
    k1, k2, p1, p2, k3 = d[0], d[1], d[2], d[3], d[4]
    t1 = _wrap32(_mul(r2, k3, F, k2 << F))
    t2 = _wrap32(_mul(t1, r2, F, k1 << F))
    kr = _wrap32(_mul(t2, r2, F, 1 << (2 * F)))
    ax = _wrap32(_mul(x, kr, F)) + _wrap32(_mul(xy2, p1, F)) + _wrap32(_mul(2 * x2 + r2, p2, F))
    ay = _wrap32(_mul(y, kr, F)) + _wrap32(_mul(r2 + 2 * y2, p1, F)) + _wrap32(_mul(xy2, p2, F))
    u = _round_sat(ax, k[0], k[2], max_cols)
    v = _round_sat(ay, k[4], k[5], max_rows)
    return u, v


def _round_sat(acc: np.ndarray, focal: int, centre: int, limit: int) -> np.ndarray:
    """``focal * acc + centre`` rounded half up to 5 fractional bits, saturated to the map type."""
    half = 1 << (2 * F - MAP_FRAC - 1)
    val = _mul(acc, focal, 2 * F - MAP_FRAC, (int(centre) << F) + half)
    ibits = 1 + int(limit).bit_length()  # 1 + BitWidth<limit>
    hi = (1 << (ibits - 1 + MAP_FRAC)) - 1
    return np.clip(val, -hi - 1, hi)


def remap(img: np.ndarray, mx: np.ndarray, my: np.ndarray, bufrows: int = 128) -> np.ndarray:
    """The kernel's bilinear remap of a uint8 image through maps in 1/32 pixel units."""
    rows, cols = img.shape
    x, y = mx >> MAP_FRAC, my >> MAP_FRAC
    fu, fv = mx & 31, my & 31
    o = np.arange(rows)[:, None]
    j = np.arange(cols)[None, :]
    half = bufrows // 2
    ok = (x >= 0) & (mx <= (cols - 1) << MAP_FRAC) & (y >= 0) & (my <= (rows - 1) << MAP_FRAC)
    ok &= (y >= o - half + 1) & (y <= o + half - 1)
    # the image with a zero column and row beyond its end (what the buffer holds there)
    src = np.zeros((rows + 1, cols + 1), np.int64)
    src[:rows, :cols] = img
    xs, ys = np.where(ok, x, 0), np.where(ok, y, 0)
    x1, y1 = xs + 1, ys + 1

    def pix(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        val = src[r, c]
        # the row being read in (y + 1 = o + B/2): right of column j it still holds row - B
        stale = (r == o + half) & (c > j)
        old = np.where(r - bufrows >= 0, src[np.maximum(r - bufrows, 0), c], 0)
        return np.where(stale, old, val)

    x_odd, y_odd = (xs & 1) == 1, (ys & 1) == 1
    d00 = pix(ys, xs)
    d01 = np.where(x_odd & y_odd, d00, pix(ys, x1))
    d10 = pix(y1, xs)
    d11 = np.select([x_odd & y_odd, x_odd, y_odd], [d00, d10, pix(ys, x1)], pix(y1, x1))
    k00 = (32 - fv) * (32 - fu)
    k01 = (32 - fv) * fu
    k10 = fv * (32 - fu)
    k11 = fv * fu
    val = (d00 * k00 + d01 * k01 + d10 * k10 + d11 * k11) >> 10
    return np.where(ok, val, 0).astype(np.uint8)

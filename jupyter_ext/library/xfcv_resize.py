"""CPU model of xf::cv::resize (bilinear, one pixel per clock) as ``resize_accel`` computes it.

Why not ``cv2.resize``: OpenCV interpolates with rounded 11-bit weights; the
kernel (Vitis Libraries 2020.2, L2 build) uses its own fixed point, and the
emulation must give the board's pixels. The arithmetic, per axis:

* scale ``S = floor((n_in << 32) / n_out)``, a Q32.32 number;
* source position of output index ``c``: ``(c + 0.5) * S - 0.5`` kept with 22
  fractional bits (truncated toward minus infinity), clamped to ``[0, n_in-1]``;
  its integer part is the first source pixel, the next one is clamped to the
  last pixel;
* the 22-bit fraction is cut to a 10-bit weight ``w`` (truncated);
  ``wxy = (wx * wy) >> 10``;
* ``P = 1024*A0 + (A1-A0)*wx + (B0-A0)*wy + (A0+B1-B0-A1)*wxy`` with ``A`` the
  upper row, ``B`` the lower row, ``0``/``1`` the left/right column; the pixel is
  ``P / 1024`` truncated toward zero, kept to 8 bits.

Every channel of an RGB build is interpolated the same way.
"""

from __future__ import annotations

import numpy as np

FRAC = 22  # fractional bits of the source position
WBITS = 10  # bits of the interpolation weights


def positions(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first source index, next source index, 10-bit weight) for every output index."""
    scale = (n_in << 32) // n_out
    c = np.arange(n_out, dtype=np.int64)
    # ((c + 0.5) * S - 0.5) in units of 2^-22: ((2c + 1) * S - 2^32) / 2^11, floored
    pos = ((2 * c + 1) * scale - (1 << 32)) >> 11
    pos = np.clip(pos, 0, (n_in - 1) << FRAC)
    first = pos >> FRAC
    nxt = np.minimum(first + 1, n_in - 1)
    weight = (pos & ((1 << FRAC) - 1)) >> (FRAC - WBITS)
    return first, nxt, weight


def resize(img: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The kernel's ``rows`` x ``cols`` output for an HxW or HxWxC uint8 image.

    int32 is exact (``|P| < 2^19``); the four neighbours are gathered as uint8,
    rows first (a copy of whole rows), then columns, and the sum is built in
    place to keep the temporaries few.
    """
    y0, y1, wy = positions(img.shape[0], rows)
    x0, x1, wx = positions(img.shape[1], cols)
    extra = (1,) * (img.ndim - 2)  # broadcast the weights over channels
    wy_ = wy.astype(np.int32).reshape((-1, 1) + extra)
    wx_ = wx.astype(np.int32).reshape((1, -1) + extra)
    wxy = (wx_ * wy_) >> WBITS
    top, bottom = img[y0], img[y1]
    a0 = np.take(top, x0, axis=1).astype(np.int32)
    da = np.take(top, x1, axis=1).astype(np.int32)
    b0 = np.take(bottom, x0, axis=1).astype(np.int32)
    p = np.take(bottom, x1, axis=1).astype(np.int32)
    da -= a0  # A1 - A0
    p -= b0
    p -= da  # A0 + B1 - B0 - A1
    p *= wxy
    da *= wx_
    p += da
    b0 -= a0
    b0 *= wy_
    p += b0
    a0 <<= WBITS
    p += a0
    # toward zero: P >= 0 always (the weights of A0, A1, B0, B1 are nonnegative), but keep
    # the kernel's rule for any input
    neg = p < 0
    p = np.where(neg, -((-p) >> WBITS), p >> WBITS) if neg.any() else (p >> WBITS)
    return p.astype(np.uint8)  # the low 8 bits, as ``& 0xFF``

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

from functools import lru_cache

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

    A grayscale image halved on both axes (every weight 1/2, see
    :func:`_halve`) has its own fast path; every other size goes through the
    general interpolation (:func:`_interpolate`).
    """
    if img.ndim == 2 and img.shape == (2 * rows, 2 * cols) and img.flags.c_contiguous:
        return _halve(img)
    return _interpolate(img, rows, cols)


def _halve(img: np.ndarray) -> np.ndarray:
    """Exact halving: ``floor((A0 + A1 + B0 + B1) / 4)``, the kernel's arithmetic at scale 2.

    With ``n_in = 2 n_out`` the source position of output ``c`` is ``2c + 1/2``:
    the neighbours are ``2c`` and ``2c + 1``, ``wx = wy = 512``, ``wxy = 256``,
    and ``P = 256 (A0 + A1 + B0 + B1)``, so the pixel is the four-pixel sum
    shifted right by two -- a floor, where ``cv2.resize`` (INTER_AREA at
    scale 2) rounds. ``cv2.add`` sums each upper and lower pixel pair into
    uint16, two columns at a time; a little-endian pair of uint16 read as one
    uint32 ``w = lo + 2^16 hi`` times ``2^6 (2^16 + 1)`` holds
    ``(lo + hi) >> 2`` in its top byte (``lo 2^6 < 2^16`` cannot carry into
    it; the wrap drops ``hi 2^38``), taken as a strided uint8 view.
    """
    import cv2

    rows, cols = img.shape[0] // 2, img.shape[1] // 2
    pairs = img.reshape(rows, 2, cols, 2)  # (row pair, upper/lower, column pair, left/right)
    sums = cv2.add(pairs[:, 0], pairs[:, 1], dtype=cv2.CV_16U)  # rows x cols x 2, contiguous
    word = sums.view(np.uint32).reshape(rows, cols)
    word *= np.uint32(0x10001 << 6)  # in place: ``sums`` is ours
    top = 3 if np.little_endian else 0
    return np.ascontiguousarray(word.view(np.uint8).reshape(rows, cols, 4)[:, :, top])


@lru_cache(maxsize=16)
def _weights(shape: tuple[int, int], rows: int, cols: int) -> tuple[np.ndarray, ...]:
    """Gather indices and the four int32 weight planes for one (input size, output size).

    ``P = A0 W00 + A1 W01 + B0 W10 + B1 W11`` with ``W11 = wxy``,
    ``W01 = wx - wxy``, ``W10 = wy - wxy``, ``W00 = 1024 - wx - wy + wxy`` is
    the kernel's sum regrouped (every weight is >= 0, so ``P >= 0`` and the
    kernel's truncation toward zero is ``>> 10``). A video resized frame after
    frame reuses them. Read-only: they are shared between calls.
    """
    y0, y1, wy = positions(shape[0], rows)
    x0, x1, wx = positions(shape[1], cols)
    wy_ = wy.astype(np.int32)[:, None]
    wx_ = wx.astype(np.int32)[None, :]
    wxy = (wx_ * wy_) >> WBITS
    planes = ((1 << WBITS) - wx_ - wy_ + wxy, wx_ - wxy, wy_ - wxy, wxy)
    out = (y0, y1, x0, x1) + tuple(np.ascontiguousarray(p, np.int32) for p in planes)
    for a in out:
        a.flags.writeable = False
    return out


def _interpolate(img: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The general case: the four neighbours gathered (whole rows, then columns) and weighted.

    int32 is exact (``P < 2^18``); the weight planes come from :func:`_weights`
    and broadcast over the channels of an RGB image.
    """
    y0, y1, x0, x1, w00, w01, w10, w11 = _weights(img.shape[:2], rows, cols)
    extra = (1,) * (img.ndim - 2)
    top, bottom = img[y0], img[y1]
    acc = np.multiply(np.take(top, x0, axis=1), w00.reshape(w00.shape + extra), dtype=np.int32)
    for src, cx, w in ((top, x1, w01), (bottom, x0, w10), (bottom, x1, w11)):
        acc += np.take(src, cx, axis=1) * w.reshape(w.shape + extra)
    acc >>= WBITS
    return acc.astype(np.uint8)  # 0..255 already: the weights sum to 1024

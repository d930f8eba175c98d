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

from functools import cache, lru_cache
from typing import Any

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

    The kernel's loop, compiled (:mod:`.jit`): a grayscale image halved on both
    axes has its own kernel (every weight 1/2, see :func:`_halving`); every
    other size gathers the four neighbours with the weights of :func:`_weights`.
    """
    from .jit import in_bands

    src = np.ascontiguousarray(img)
    ch = src.shape[2] if src.ndim == 3 else 1
    flat = src.reshape(src.shape[0], -1)
    out = np.empty((rows, cols * ch), np.uint8)
    if ch == 1 and src.shape == (2 * rows, 2 * cols):
        kernel = _halving()
        in_bands(lambda y0, y1: kernel(flat, out, y0, y1), 0, rows, cols // 4)  # ~0.25 ns a pixel
    else:
        y0, y1, wy, x0, x1, wx = _weights(src.shape[:2], rows, cols)
        general = _bilinear(ch)
        in_bands(lambda r0, r1: general(flat, out, y0, y1, wy, x0, x1, wx, r0, r1), 0, rows,
                 cols * ch)  # fmt: skip  # about 1 ns per output value (gathers)
    return out.reshape((rows, cols, ch) if src.ndim == 3 else (rows, cols))


@cache
def _halving() -> Any:
    """Exact halving: ``(A0 + A1 + B0 + B1) >> 2``, the kernel's arithmetic at scale 2.

    With ``n_in = 2 n_out`` the source position of output ``c`` is ``2c + 1/2``:
    the neighbours are ``2c`` and ``2c + 1``, ``wx = wy = 512``, ``wxy = 256``,
    and ``P = 256 (A0 + A1 + B0 + B1)``, so the pixel is the four-pixel sum
    shifted right by two -- a floor, where ``cv2.resize`` (INTER_AREA at
    scale 2) rounds.
    """
    from .jit import compiled

    def halve(img, out, r0, r1):  # type: ignore[no-untyped-def]
        cols = out.shape[1]
        for r in range(r0, r1):
            a, b, o = img[2 * r], img[2 * r + 1], out[r]
            for c in range(cols):
                s = np.uint16(a[2 * c]) + np.uint16(a[2 * c + 1]) + np.uint16(b[2 * c])
                o[c] = np.uint8((s + np.uint16(b[2 * c + 1])) >> 2)

    return compiled(halve)


@lru_cache(maxsize=16)
def _weights(shape: tuple[int, int], rows: int, cols: int) -> tuple[np.ndarray, ...]:
    """Source rows and columns (first, next) and 10-bit weights for one (input size, output size).

    Indices uint32 (Numba then knows they are not negative and the gathers
    vectorise), weights int32; read-only (shared between calls: a video resized
    frame after frame reuses them).
    """
    y0, y1, wy = positions(shape[0], rows)
    x0, x1, wx = positions(shape[1], cols)
    kinds = (np.uint32, np.uint32, np.int32) * 2
    out = tuple(
        np.ascontiguousarray(a, k) for a, k in zip((y0, y1, wy, x0, x1, wx), kinds, strict=True)
    )
    for a in out:
        a.flags.writeable = False
    return out


@cache
def _bilinear(ch: int) -> Any:
    """The general case for ``ch`` channels, output rows ``r0..r1``: ``P >> 10`` per channel.

    ``P = A0 W00 + A1 W01 + B0 W10 + B1 W11`` with ``W11 = wxy``,
    ``W01 = wx - wxy``, ``W10 = wy - wxy``, ``W00 = 1024 - wx - wy + wxy`` is
    the kernel's sum regrouped (every weight is >= 0, so ``P >= 0`` and the
    kernel's truncation toward zero is ``>> 10``; int32 is exact, ``P < 2^18``).
    Column offsets are computed unsigned, so the gathers need no negative-index check.
    """
    from .jit import compiled

    step = np.uint32(ch)

    def bilinear(img, out, y0, y1, wy, x0, x1, wx, r0, r1):  # type: ignore[no-untyped-def]
        cols = wx.shape[0]
        one = np.int32(1 << WBITS)
        for r in range(r0, r1):
            a, b, o = img[y0[r]], img[y1[r]], out[r]
            wr = wy[r]
            for c in range(cols):
                wc = wx[c]
                wxy = (wc * wr) >> WBITS
                w00, w01, w10 = one - wc - wr + wxy, wc - wxy, wr - wxy
                i0, i1 = x0[c] * step, x1[c] * step
                for k in range(ch):
                    uk = np.uint32(k)
                    p = (np.int32(a[i0 + uk]) * w00 + np.int32(a[i1 + uk]) * w01
                         + np.int32(b[i0 + uk]) * w10 + np.int32(b[i1 + uk]) * wxy)  # fmt: skip
                    o[c * ch + k] = np.uint8(p >> WBITS)

    return compiled(bilinear)

"""CPU model of xf::cv::GaussianBlur as ``gaussian_filter_accel`` computes it, bit for bit.

Why not ``cv2.GaussianBlur``: the kernel does its own integer arithmetic, and a
user comparing a board's answer with the emulation must get the same pixels.
The facts modelled here (Vitis Libraries 2020.2, the release behind InAccel's
bitstreams; one pixel per clock, the L2 build):

* taps: ``n`` float32 Gaussian weights ``exp(-x^2 / (2 sigma^2))`` normalised to
  sum 1, each turned into an unsigned 8-bit tap as ``trunc(w * 256 + 0.5)``.
  The taps of one filter sum to 253..257, not 256;
* each output pixel is ``(sum_ij tap_i * tap_j * p_ij + 32768) >> 16`` over the
  window, accumulated exactly in integers;
* 3x3 stores that value in 8 bits without saturating: 256 (bright areas when
  the taps sum to 257) wraps to 0. 5x5 and 7x7 clamp to 255;
* pixels outside the image are 0 (XF_BORDER_CONSTANT); every channel of an
  RGB build is filtered the same way.

Newer library releases diffuse the rounding error across the taps of 3x3 and
5x5 filters; this model is the 2020.2 arithmetic.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

import numpy as np

KSIZES = (3, 5, 7)


def taps(ksize: int, sigma: float) -> np.ndarray:
    """The kernel's 8-bit taps for a ``ksize`` filter, as int64 (may exceed 255: see ``taps_fit``).

    The kernel computes them from the float32 ``sigma`` it receives.
    """
    return np.array(_taps(int(ksize), float(np.float32(sigma))), np.int64)


@lru_cache(maxsize=256)
def _taps(ksize: int, sigma: float) -> tuple[int, ...]:
    """The taps, computed once per (ksize, sigma): the Gaussian is called with few sigmas.

    Follows the kernel's float32 evaluation order: ``-(1 / (sigma*sigma*2))``,
    ``exp`` of ``scale * x * x``, a running float32 sum, its reciprocal taken in
    double and stored as float32, then ``float32(w * 256) + 0.5`` truncated.
    """
    f32 = np.float32
    s = f32(sigma)
    scale = -(f32(1) / ((s * s) * f32(2)))
    half = (ksize - 1) >> 1
    cf = []
    total = f32(0)
    for i in range(ksize):  # ksize taps, not pixels
        x = f32(i - half)
        # expf: float64 exp rounded to float32 (correctly rounded but for ties of 1 ulp)
        t = f32(np.exp(np.float64((scale * x) * x)))
        cf.append(t)
        total = f32(total + t)
    inv = f32(1.0 / np.float64(total))
    return tuple(int(np.float64(f32(f32(c * inv) * f32(256))) + 0.5) for c in cf)


def taps_fit(ksize: int, sigma: float) -> bool:
    """True when every tap fits the kernel's unsigned 8 bits (a tiny sigma gives a 256 centre)."""
    return bool((taps(ksize, sigma) <= 255).all())


def gaussian(img: np.ndarray, ksize: int, sigma: float) -> np.ndarray:
    """The kernel's output for an HxW or HxWxC uint8 image.

    The kernel's own loop (:func:`_filter`), compiled: each row's vertical
    window sum ``sum_i tap_i p`` (at most ``257 * 255``: 16 bits when the taps
    sum to 257 or less), then the horizontal one and the kernel's rounding,
    ``(acc + 32768) >> 16``, wrapped or clamped to 8 bits. Rows run in bands, one
    per core. A colour image is filtered as rows of ``W * C`` values whose
    horizontal neighbours are ``C`` apart.
    """
    from .jit import in_bands

    w = taps(ksize, sigma)
    r = ksize // 2
    half = [np.int32(v) for v in w[r:]] + [np.int32(0)] * (3 - r)
    src = np.ascontiguousarray(img)
    ch = src.shape[2] if src.ndim == 3 else 1
    flat = src.reshape(src.shape[0], -1)
    out = np.empty(flat.shape, np.uint8)
    kernel = _filter(r, int(w.sum()) * 255 > 0xFFFF)
    row_ns = flat.shape[1] * ksize // 10  # about 0.1 ns per value and tap on one core

    def run(y0: int, y1: int) -> None:
        kernel(flat, *half, out, ksize == 3, ch, y0, y1)

    in_bands(run, 0, flat.shape[0], row_ns)
    return out.reshape(src.shape)


@cache
def _filter(radius: int, wide: bool) -> Any:
    """The compiled filter for one window radius (1..3); ``wide``: 32-bit vertical sums.

    ``radius`` is a constant of the compiled loop (its unused taps vanish);
    3x3 keeps the low 8 bits (``wrap``), 5x5 and 7x7 clamp to 255. Pixels
    outside the image are 0 (XF_BORDER_CONSTANT): missing rows read a zero row,
    and the row buffer has ``3 C`` zeros either side.
    """
    from .jit import compiled

    sums = np.int32 if wide else np.uint16

    def filt(img, w0, w1, w2, w3, out, wrap, ch, y0, y1):  # type: ignore[no-untyped-def]
        rows, n = img.shape
        pad = 3 * ch
        zero = np.zeros(n, np.uint8)
        buf = np.zeros(n + 2 * pad, sums)  # one row's vertical sums, zero-padded
        mid, l1, r1 = buf[pad : pad + n], buf[pad - ch : pad - ch + n], buf[pad + ch : pad + ch + n]
        l2, r2 = buf[pad - 2 * ch : pad - 2 * ch + n], buf[pad + 2 * ch : pad + 2 * ch + n]
        l3, r3 = buf[0:n], buf[2 * pad : 2 * pad + n]
        for y in range(y0, y1):
            c = img[y]
            u1 = img[y - 1] if y >= 1 else zero
            d1 = img[y + 1] if y + 1 < rows else zero
            u2 = img[y - 2] if y >= 2 and radius >= 2 else zero
            d2 = img[y + 2] if y + 2 < rows and radius >= 2 else zero
            u3 = img[y - 3] if y >= 3 and radius >= 3 else zero
            d3 = img[y + 3] if y + 3 < rows and radius >= 3 else zero
            for x in range(n):
                s = w0 * np.int32(c[x]) + w1 * (np.int32(u1[x]) + np.int32(d1[x]))
                if radius >= 2:
                    s += w2 * (np.int32(u2[x]) + np.int32(d2[x]))
                if radius >= 3:
                    s += w3 * (np.int32(u3[x]) + np.int32(d3[x]))
                mid[x] = sums(s)
            o = out[y]
            for x in range(n):
                s = w0 * np.int32(mid[x]) + w1 * (np.int32(l1[x]) + np.int32(r1[x])) + 32768
                if radius >= 2:
                    s += w2 * (np.int32(l2[x]) + np.int32(r2[x]))
                if radius >= 3:
                    s += w3 * (np.int32(l3[x]) + np.int32(r3[x]))
                v = s >> 16
                o[x] = np.uint8(v & 255) if wrap else np.uint8(min(v, 255))

    return compiled(filt)

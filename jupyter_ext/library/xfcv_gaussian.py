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

from functools import lru_cache

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
    """The kernel's output for an HxW or HxWxC uint8 image (vectorised over pixels).

    ``cv2.sepFilter2D`` with the taps divided by 256 and ``delta`` 0.5 gives
    ``(acc + 32768) / 65536`` exactly: every tap, product and partial sum is an
    integer multiple of 2^-16 below 2^8 (float32, 24-bit mantissa, when
    ``sum(taps)^2 * 255 + 32768 < 2^24``, i.e. taps summing to at most 256) or
    below 2^37 (float64 otherwise). Truncating to an integer is then the
    kernel's ``>> 16``; zero padding is ``BORDER_CONSTANT``. With taps summing
    to at most 256 the value stays below 256 and one cast to uint8 truncates.
    (``sepFilter2D`` straight to 8 bits is faster but not exact: with these
    taps it differed from the kernel's pixels on random images, OpenCV 5.0.)
    The image is filtered in bands of :data:`BAND` rows, each with the ``ksize // 2``
    rows its windows reach (the zero border only at the image's own edges).
    """
    import cv2

    w = taps(ksize, sigma)
    total = int(w.sum())
    exact32 = total * total * 255 + 32768 < (1 << 24)
    ftype = np.float32 if exact32 else np.float64
    wf = w.astype(ftype) / ftype(256)  # powers of two: exact
    src = np.ascontiguousarray(img)
    out = np.empty(src.shape, np.uint8)
    rows, r = src.shape[0], ksize // 2
    for y0 in range(0, rows, BAND):  # bands of rows, not pixels
        y1 = min(rows, y0 + BAND)
        a, b = max(0, y0 - r), min(rows, y1 + r)  # the band and the rows its windows reach
        z = cv2.sepFilter2D(src[a:b], cv2.CV_32F if exact32 else cv2.CV_64F, wf, wf, delta=0.5,
                            borderType=cv2.BORDER_CONSTANT)  # fmt: skip
        _store(z[y0 - a : y1 - a], out[y0:y1], total, ksize)
    return out


BAND = 32
"""Rows filtered per ``sepFilter2D`` call: the float intermediate of a band stays in cache
(a whole 4K image's is 33 MB, and writing and reading it back cost more than the filter)."""


def _store(z: np.ndarray, out: np.ndarray, total: int, ksize: int) -> None:
    """The kernel's 8-bit pixels from ``(acc + 32768) / 65536`` (``z >= 0``), into ``out``."""
    if total <= 256:  # z < 256: one truncating cast, no wrap or clamp can apply
        out[...] = z
        return
    val = z.astype(np.int16)  # truncation is the floor; at most 257 * 257 * 255 >> 16
    if ksize == 3:
        out[...] = val.astype(np.uint8)  # 3x3 keeps the low 8 bits: 256 wraps to 0
    else:
        out[...] = np.minimum(val, 255)

"""CPU model of the ``color_detect`` kernel: bgr2hsv, colorthresholding, erode/dilate.

Why a model of its own rather than the OpenCV calls it ports: each step is
written down here from the kernel's arithmetic (Vitis Libraries 2020.2, the L3
colordetect build), so the emulation is the board's answer by construction and
the tests can show where (if anywhere) OpenCV differs.

* ``bgr2hsv``: integer HSV with 12-bit reciprocal tables,
  ``sdiv[i] = round((255 << 12) / i)`` and ``hdiv[i] = round((180 << 12) / (6 i))``
  (both 0 at 0); ``s = (diff * sdiv[v] + 2048) >> 12``; the hue numerator is
  ``g - b`` (v is red), ``b - r + 2 diff`` (v is green) or ``r - g + 4 diff``,
  ``h = (num * hdiv[diff] + 2048) >> 12`` plus 180 when negative. Hue is 0..179;
* thresholding: a pixel is 255 when ``low <= (h, s, v) <= high`` holds for every
  channel of any of the MAXCOLORS ranges, else 0;
* erode, dilate, dilate, erode with a FILTER_SIZE x FILTER_SIZE element: erode is
  the minimum over the element with 255 outside the image, dilate the maximum
  with 0 outside. A rectangular build (XF_SHAPE_RECT, the default) uses all
  ones and ignores the ``process_shape`` argument; other builds use it (nonzero
  entries count).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

SHIFT = 12


@lru_cache(maxsize=1)
def tables() -> tuple[np.ndarray, np.ndarray]:
    """(sdiv, hdiv): the kernel's reciprocal tables for S and for H in 0..179."""
    i = np.arange(256, dtype=np.float64)
    with np.errstate(divide="ignore"):
        sdiv = np.where(i > 0, np.floor((255 << SHIFT) / i + 0.5), 0)
        hdiv = np.where(i > 0, np.floor((180 << SHIFT) / (6 * i) + 0.5), 0)
    return sdiv.astype(np.int32), hdiv.astype(np.int32)


def bgr2hsv_arithmetic(img: np.ndarray) -> np.ndarray:
    """HxWx3 BGR uint8 -> HxWx3 HSV uint8 (H 0..179), written out as the kernel computes it."""
    sdiv, hdiv = tables()
    b, g, r = (img[..., k].astype(np.int32) for k in range(3))
    v = np.maximum(np.maximum(b, g), r)
    diff = v - np.minimum(np.minimum(b, g), r)
    s = (diff * sdiv[v] + (1 << (SHIFT - 1))) >> SHIFT
    num = np.where(v == r, g - b, np.where(v == g, b - r + 2 * diff, r - g + 4 * diff))
    h = (num * hdiv[diff] + (1 << (SHIFT - 1))) >> SHIFT
    h = np.where(h < 0, h + 180, h)
    return np.stack([h, s, v], axis=-1).astype(np.uint8)


def bgr2hsv(img: np.ndarray) -> np.ndarray:
    """HxWx3 BGR uint8 -> HxWx3 HSV uint8 (H 0..179), as the kernel computes it.

    ``cv2.cvtColor(COLOR_BGR2HSV)`` gives :func:`bgr2hsv_arithmetic`'s answer for
    every one of the 2^24 colours (checked exhaustively; OpenCV uses the same
    12-bit rounded reciprocal tables), at a fraction of the cost.
    """
    cv2 = _cv2()
    return cv2.cvtColor(np.ascontiguousarray(img, np.uint8), cv2.COLOR_BGR2HSV)


def threshold(hsv: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """255 where the pixel is inside any (low[k], high[k]) range, all bounds inclusive."""
    lows, highs = np.asarray(low).reshape(-1, 3), np.asarray(high).reshape(-1, 3)
    bounds = np.concatenate([lows, highs])
    if (
        bounds.size
        and np.all(bounds == np.round(bounds))
        and bounds.min() >= 0
        and bounds.max() <= 255
    ):
        # integer bounds within uint8: cv2.inRange is the same inclusive test per channel
        cv2 = _cv2()
        src = np.ascontiguousarray(hsv, np.uint8)
        mask = np.zeros(hsv.shape[:2], np.uint8)
        for lo, hi in zip(lows, highs, strict=True):  # ranges, not pixels
            lo_t, hi_t = tuple(int(x) for x in lo), tuple(int(x) for x in hi)
            cv2.bitwise_or(mask, cv2.inRange(src, lo_t, hi_t), dst=mask)
        return mask
    mask = np.zeros(hsv.shape[:2], bool)
    chans = [hsv[..., c] for c in range(3)]
    for lo, hi in zip(lows, highs, strict=True):  # ranges, not pixels
        inside = np.ones(hsv.shape[:2], bool)
        for c in range(3):
            inside &= (chans[c] >= lo[c]) & (chans[c] <= hi[c])
        mask |= inside
    return np.where(mask, 255, 0).astype(np.uint8)


def _cv2() -> Any:
    import cv2

    return cv2


def erode(mask: np.ndarray, element: np.ndarray) -> np.ndarray:
    cv2 = _cv2()
    return cv2.erode(mask, element, borderType=cv2.BORDER_CONSTANT, borderValue=255)


def dilate(mask: np.ndarray, element: np.ndarray) -> np.ndarray:
    cv2 = _cv2()
    return cv2.dilate(mask, element, borderType=cv2.BORDER_CONSTANT, borderValue=0)


def element(shape: np.ndarray, size: int, rectangular: bool) -> np.ndarray:
    """The structuring element the kernel really uses (all ones for a rectangular build)."""
    if rectangular:
        return np.ones((size, size), np.uint8)
    return (np.asarray(shape).reshape(size, size) != 0).astype(np.uint8)


def color_detect(
    img: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    shape: np.ndarray,
    *,
    size: int = 3,
    rectangular: bool = True,
) -> np.ndarray:
    """The kernel's HxW mask for an HxWx3 BGR image and flat ``3 * MAXCOLORS`` thresholds."""
    el = element(shape, size, rectangular)
    mask = threshold(bgr2hsv(img), low, high)
    mask = erode(mask, el)
    mask = dilate(dilate(mask, el), el)
    return erode(mask, el)

"""Checks of the vision functions' arguments: each bad input named, with what is allowed.

Why here and not in each function: the same rules (8-bit images, build
limits, integer parameters, HSV ranges, camera parameters) apply to several
kernels, and a message must read the same wherever it comes from. Nothing
here writes into a caller's array: every conversion makes a new one or
returns the caller's array untouched (a C-contiguous uint8 image is passed
on as it is, so a device-resident array is used in place on XRT).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..runtime.base import InvalidArgument
from .vision_build import VisionBuild


def image(name: str, img: Any, channels: tuple[int, ...], why: str = "") -> np.ndarray:
    """An 8-bit HxW (1 channel) or HxWxC image, C-contiguous (the kernel reads whole rows)."""
    arr = np.asanyarray(img)  # a DeviceArray stays one: used in place on XRT
    if not isinstance(arr, np.ndarray) or arr.dtype != np.uint8:
        raise InvalidArgument(name, f"dtype {getattr(arr, 'dtype', type(img).__name__)}",
                              "uint8 images")  # fmt: skip
    ch = 1 if arr.ndim == 2 else (arr.shape[2] if arr.ndim == 3 else 0)
    if ch not in channels or (arr.ndim == 3 and ch == 1):
        allowed = " or ".join("HxW" if c == 1 else f"HxWx{c}" for c in channels)
        raise InvalidArgument(name, f"shape {arr.shape}", allowed + (f": {why}" if why else ""))
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InvalidArgument(name, f"shape {arr.shape}", "at least 1x1 pixels")
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)


def channels_why(kernel: str, build: VisionBuild) -> str:
    kind = "GRAY (1 channel)" if build.channels == 1 else "RGB (3 channels)"
    return (f"the {kernel} build is {kind} ({build.source}); "
            "pass build=VisionBuild(channels=...) to emulate another build")  # fmt: skip


def fits(name: str, shape: tuple[int, ...], max_rows: int, max_cols: int, min_rows: int = 1,
         min_cols: int = 1, where: str = "") -> None:  # fmt: skip
    """Refuse an image the kernel was not built for (too large) or cannot stream (too small)."""
    rows, cols = shape[0], shape[1]
    if not (min_rows <= rows <= max_rows and min_cols <= cols <= max_cols):
        raise InvalidArgument(
            name, f"{rows}x{cols} pixels",
            f"{min_rows}..{max_rows} rows and {min_cols}..{max_cols} columns" + (
                f" ({where})" if where else ""),
        )  # fmt: skip


def integer(name: str, value: Any, lo: int, hi: int, why: str = "") -> int:
    """An int (or numpy integer, or an integral float) in ``lo..hi``; bools are refused."""
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if not ok and isinstance(value, float | np.floating) and math.isfinite(value):
        ok = float(value).is_integer()
    if not ok or not lo <= int(value) <= hi:
        raise InvalidArgument(
            name, repr(value), f"an int in {lo}..{hi}" + (f": {why}" if why else "")
        )
    return int(value)


def number(name: str, value: Any, allowed: str) -> float:
    """A finite real number that fits a 32-bit float (the kernels take float32)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(name, repr(value), allowed) from None
    if isinstance(value, bool) or not math.isfinite(v) or abs(v) > float(np.finfo(np.float32).max):
        raise InvalidArgument(name, repr(value), allowed)
    return v


def int_array(name: str, value: Any, lo: int, hi: int) -> np.ndarray:
    """A copy of ``value`` as int64, every entry an integer in ``lo..hi`` (no uint8 wrap-around)."""
    try:
        arr = np.array(value, dtype=object if not isinstance(value, np.ndarray) else None)
    except (TypeError, ValueError):
        raise InvalidArgument(name, repr(value), "numbers") from None
    try:
        num = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise InvalidArgument(name, f"{value!r}", "numbers") from None
    if num.size == 0:
        raise InvalidArgument(name, "no values", f"integers in {lo}..{hi}")
    if not np.isfinite(num).all() or (num != np.round(num)).any():
        raise InvalidArgument(name, f"{arr.ravel().tolist()}", f"integers in {lo}..{hi}")
    bad = (num < lo) | (num > hi)
    if bad.any():
        raise InvalidArgument(name, f"{num[bad][0]:g} out of range", f"integers in {lo}..{hi}")
    return num.astype(np.int64)


HSV_MAX = np.array([179, 255, 255])


def hsv_ranges(low: Any, high: Any, default_low: Any, default_high: Any,
               colors: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(low, high) as flat uint8 arrays of ``3 * colors`` values, the kernel's layout.

    Accepts InAccel's flat layout (9 values: H S V of range 1, then range 2...),
    one (H, S, V) triple, or a list / array of up to ``colors`` triples. H is
    0..179 (the kernel's hue), S and V 0..255, each low <= its high. Fewer
    ranges than the build's MAXCOLORS are padded with the first (OR-ing a
    range twice changes nothing).
    """
    lo = _triples("low", default_low if low is None else low, colors)
    hi = _triples("high", default_high if high is None else high, colors)
    if lo.shape != hi.shape:
        raise InvalidArgument("high", f"{hi.shape[0]} ranges for {lo.shape[0]} low ranges",
                              "as many ranges as low")  # fmt: skip
    for k in range(lo.shape[0]):
        for c, ch in enumerate("HSV"):
            if lo[k, c] > hi[k, c]:
                raise InvalidArgument(f"low[{k}]", f"{ch} {lo[k, c]} above high {hi[k, c]}",
                                      "low <= high in every channel")  # fmt: skip
    pad = colors - lo.shape[0]
    lo = np.vstack([lo] + [lo[:1]] * pad)
    hi = np.vstack([hi] + [hi[:1]] * pad)
    return lo.astype(np.uint8).reshape(-1), hi.astype(np.uint8).reshape(-1)


def _triples(name: str, value: Any, colors: int) -> np.ndarray:
    arr = int_array(name, value, 0, 255)
    if arr.ndim == 1 and arr.size % 3 == 0:
        arr = arr.reshape(-1, 3)
    if arr.ndim != 2 or arr.shape[1] != 3 or not 1 <= arr.shape[0] <= colors:
        raise InvalidArgument(
            name, f"shape {np.shape(value)}",
            f"1 to {colors} (H, S, V) triples, flat ({3 * colors} values) or as rows",
        )  # fmt: skip
    over = arr > HSV_MAX
    if over.any():
        k, c = map(int, np.argwhere(over)[0])
        raise InvalidArgument(f"{name}[{k}]", f"{'HSV'[c]} {arr[k, c]}",
                              "H 0..179 (the kernel's 8-bit hue), S and V 0..255")  # fmt: skip
    return arr

"""Input checks of the finance functions: every refusal names the argument and the allowed range.

The kernels compute in float32 (``bs_kernel``, ``mc_euro_k``) or float64
(MC American) and keep their counters in narrow integers, so a value can be
a perfectly good Python number and still leave the kernel's range: 1e39
becomes float32 ``inf``, 1e-46 becomes 0, a sample count above 2**27 is cut
to its low 27 bits. Each of those would come back as NaN or as an answer to
a different question, so they are refused here, before any kernel runs.
Checks never modify the caller's arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..runtime.base import InvalidArgument

F32 = np.finfo(np.float32)
F64 = np.finfo(np.float64)
OPTION_TYPES = {"call": 0, "put": 1}  # the kernels' optionType: 1 is a put


def _range_text(info: np.finfo, positive: bool) -> str:
    name = "float32" if info.dtype == np.float32 else "float64"
    if positive:
        return (f"finite numbers > 0, from {info.smallest_normal:.8g} (smallest normal {name}) "
                f"to {info.max:.8g}")  # fmt: skip
    return f"finite numbers from {-info.max:.8g} to {info.max:.8g} ({name})"


def _refuse(name: str, arr: np.ndarray, bad: np.ndarray, allowed: str, indexed: bool) -> None:
    flat = bad.reshape(-1)
    if flat.any():
        i = int(np.flatnonzero(flat)[0])
        got = arr.reshape(-1)[i].item()
        where = f" at index {i}" if indexed else ""
        raise InvalidArgument(name, f"{got!r}{where}", allowed)


def real_array(
    name: str, value: Any, *, positive: bool, info: np.finfo = F32, indexed: bool = True
) -> np.ndarray:
    """``value`` as an array (a DeviceArray stays one), refused unless every element fits ``info``.

    ``positive``: strictly positive and a normal number of the kernel's type
    (tiny values would be flushed or divide into ``inf``); otherwise any
    finite value of the type.
    """
    arr = np.asanyarray(value)
    if arr.dtype.kind not in "fiu":
        raise InvalidArgument(name, f"dtype {arr.dtype}", "numbers or arrays of numbers")
    if arr.ndim > 1:
        raise InvalidArgument(name, f"has {arr.ndim} dimensions", "a scalar or a 1-D array")
    allowed = _range_text(info, positive)
    with np.errstate(over="ignore", invalid="ignore"):
        as_kernel = arr.astype(info.dtype, copy=False)
        bad = ~np.isfinite(as_kernel) | ~np.isfinite(arr)
        if positive:
            bad |= ~(as_kernel >= info.smallest_normal)
    _refuse(name, arr, bad, allowed, indexed)
    return arr


def real_scalar(name: str, value: Any, *, positive: bool, info: np.finfo = F32) -> float:
    """One number, checked as :func:`real_array` checks each element."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidArgument(name, repr(value), "a number")
    return float(real_array(name, value, positive=positive, info=info, indexed=False))


def option_kind(name: str, value: Any) -> bool:
    """True for a put, False for a call."""
    if value not in OPTION_TYPES:
        raise InvalidArgument(name, repr(value), "'call', 'put'")
    return value == "put"


def whole_number(name: str, value: Any, low: int, high: int, allowed: str = "") -> int:
    """An int in ``[low, high]``; ``allowed`` describes the range when it needs more words."""
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not ok or not low <= int(value) <= high:
        raise InvalidArgument(name, repr(value), allowed or f"an int from {low:,} to {high:,}")
    return int(value)


def sample_count(value: Any, batch: int, limit: int) -> int:
    """``samples``: 0 (run until the tolerance is met) or a count the kernel's counter can hold."""
    allowed = (f"0 to run until required_tolerance is met, or an int from 2 to {limit:,} "
               f"(rounded up to whole batches of {batch:,} paths; the kernel counts in 27 bits)")  # fmt: skip
    if isinstance(value, int | np.integer) and not isinstance(value, bool) and int(value) == 0:
        return 0
    return whole_number("samples", value, 2, limit, allowed)


def tolerance(value: Any, samples: int, info: np.finfo = F32) -> float:
    """``required_tolerance``: a positive number of the kernel's type when it decides the run."""
    if samples:
        return real_scalar("required_tolerance", value, positive=False, info=info)
    return real_scalar("required_tolerance", value, positive=True, info=info)


def seed_pair(value: Any) -> tuple[int, int]:
    """``mc_euro_k``'s two 32-bit seeds: a pair, or an int split into (low, high) 32-bit halves."""
    allowed = ("an int in [0, 2**64) whose low and high 32-bit halves differ, "
               "or a pair of different ints in [0, 2**32)")  # fmt: skip
    if isinstance(value, tuple | list) and len(value) == 2:
        words = tuple(whole_number("seed", v, 0, 2**32 - 1, allowed) for v in value)
    else:
        s = whole_number("seed", value, 0, 2**64 - 1, allowed)
        words = (s & 0xFFFFFFFF, s >> 32)
    if words[0] == words[1]:
        raise InvalidArgument(
            "seed", f"{value!r}: both generators would be seeded {words[0]} and draw the same paths",
            allowed)  # fmt: skip
    return words[0], words[1]


def finite_outputs(label: str, outputs: dict[str, np.ndarray], describe: Any) -> None:
    """Refuse results the kernel's arithmetic overflowed, naming the first such option.

    ``describe(i)`` gives the inputs of option ``i`` for the message.
    """
    for key, arr in outputs.items():
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidArgument(
                label,
                f"option {i} ({describe(i)}) gives {key} = {arr[i].item()!r}: the kernel's float32 "
                "arithmetic leaves its range",
                "inputs whose intermediate results stay within float32 (e.g. spot/strike "
                "ratios and volatilities of everyday sizes)",
            )

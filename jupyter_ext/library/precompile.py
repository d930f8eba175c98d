"""Compile every emulation kernel ahead of the first notebook call (``jupyter-fpga compile-emulation``).

Why: a kernel is compiled on its first call on a machine (about a second
each, see :mod:`.jit`), and a user's first emulated call would carry that
time. An image build (BinderHub's ``postBuild``, a Dockerfile) runs this once
so the machine code is in Numba's cache before anyone starts a notebook.
Each kernel is compiled by calling its model on a tiny input of every kind it
is specialised for, so the cache holds exactly what real calls look up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

import numpy as np


@dataclass(frozen=True)
class Compiled:
    """One kernel specialisation: what it is for and how long compiling (or loading) took."""

    kernel: str
    variant: str
    seconds: float


def _calls() -> list[tuple[str, str, Callable[[], object]]]:
    from . import xfcv_gaussian, xfcv_resize, xfcv_stereo

    gray = (np.arange(32 * 48) % 251).astype(np.uint8).reshape(32, 48)
    bgr = np.stack([gray, gray[::-1], 255 - gray], axis=2)
    calls: list[tuple[str, str, Callable[[], object]]] = []
    for ksize, sigma in ((3, 0.5), (5, 1.0), (7, 1.5)):  # one loop per window (BGR: the same)
        calls.append(("gaussian_filter_accel", f"{ksize}x{ksize}",
                      lambda k=ksize, s=sigma: xfcv_gaussian.gaussian(gray, k, s)))  # fmt: skip
    calls.append(("resize_accel", "halving GRAY", lambda: xfcv_resize.resize(gray, 16, 24)))
    for img, kind in ((gray, "GRAY"), (bgr, "BGR")):
        calls.append(("resize_accel", f"bilinear {kind}",
                      lambda i=img: xfcv_resize.resize(i, 20, 30)))  # fmt: skip
    for prm, variant in ((xfcv_stereo.BMParams(), "16-bit costs"),
                         (xfcv_stereo.BMParams(63, 15, 20, 23, 8, 8), "32-bit costs")):  # fmt: skip
        calls.append(("stereolbm_accel", variant,
                      lambda p=prm: xfcv_stereo.disparity(gray, gray, p)))  # fmt: skip
    return calls


def precompile() -> list[Compiled]:
    """Compile (or load from the cache) every kernel specialisation; the time each took."""
    done = []
    for kernel, variant, call in _calls():
        t0 = perf_counter()
        call()
        done.append(Compiled(kernel, variant, perf_counter() - t0))
    return done


def cache_dirs() -> list[str]:
    """Where Numba keeps the compiled kernels (one directory per source file)."""
    from . import xfcv_gaussian, xfcv_resize, xfcv_stereo_loop

    dirs = set()
    for dispatcher in (xfcv_gaussian._filter(1, False), xfcv_resize._halving(),
                       xfcv_stereo_loop.band_kernel()):  # fmt: skip
        cache = getattr(dispatcher, "_cache", None)
        path = getattr(cache, "cache_path", None)
        dirs.add(str(path) if path else "(not cached: no writable cache directory)")
    return sorted(dirs)

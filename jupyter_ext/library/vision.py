"""Vision: Gaussian filter, resize, color detection, stereo block matching (and the stereo pipeline).

Each function checks its arguments against the kernel's build (see
:mod:`.vision_build`), builds the :class:`KernelCall` in the kernel's own
argument order (Vitis_Libraries/vision, L2/L3 examples) and hands it to the
runtime, which runs it on a board through XRT or runs the CPU model:

* ``gaussian_filter_accel(img_inp, img_out, int rows, int cols, float sigma)``
  (filter width fixed at build time: 3, 5 or 7; zero border);
* ``resize_accel(img_inp, img_out, int rows_in, int cols_in, int rows_out,
  int cols_out)`` (bilinear);
* ``color_detect(img_in, uchar low_thresh[9], uchar high_thresh[9], uchar
  process_shape[9], img_out, int rows, int cols)``: BGR -> HSV, three HSV
  ranges OR-ed, then erode, dilate, dilate, erode;
* ``stereolbm_accel(img_in_l, img_in_r, uchar bm_state[4], img_out, int rows,
  int cols)``: bm_state = preFilterCap, uniquenessRatio, textureThreshold,
  minDisparity (read but unused); 11x11 window and 32 disparities by default;
* ``stereopipeline_accel`` (:mod:`.vision_stereo`): rectification, then 15x15
  block matching over 48 disparities.

The CPU models (``xfcv_*`` modules) compute what these kernels compute, bit for
bit: the 8-bit Gaussian taps, resize's fixed point, the kernel's HSV and
morphology, its block matcher's borders, ties and uniqueness. OpenCV is where
the kernels come from, not the emulation's answer; :mod:`.vision_opencv` says
how far from OpenCV each kernel may be. OpenCV is imported on first use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..runtime import In, KernelCall, Out, Result, Scalar, get_runtime
from ..runtime.base import Backend, InvalidArgument
from . import xfcv_color, xfcv_gaussian, xfcv_resize, xfcv_stereo
from .vision_args import channels_why, fits, hsv_ranges, image, int_array, integer, number
from .vision_build import (
    COLOR_KERNEL,
    GAUSSIAN_KERNEL,
    RESIZE_KERNEL,
    SHAPES,
    STEREO_KERNEL,
    VisionBuild,
    resolve,
)
from .vision_stereo import Rectification, stereo_pipeline

__all__ = [
    "COLOR_KERNEL", "DEFAULT_HSV_HIGH", "DEFAULT_HSV_LOW", "GAUSSIAN_KERNEL", "MODEL",
    "RESIZE_KERNEL", "STEREO_KERNEL", "Rectification", "VisionBuild", "color_detect",
    "gaussian_filter", "resize", "stereo_bm", "stereo_pipeline",
]  # fmt: skip

MODEL = "Vitis Libraries 2020.2 arithmetic"

# The Vitis color-detect testbench's ranges (OpenCV HSV: H 0..179): yellow, green, red.
DEFAULT_HSV_LOW = ((22, 150, 60), (38, 150, 60), (160, 150, 60))
DEFAULT_HSV_HIGH = ((38, 255, 255), (75, 255, 255), (179, 255, 255))
MAX_COLORS = 3


def _min_sigma(ksize: int) -> float:
    """The smallest sigma whose taps fit 8 bits (below it the centre tap rounds to 256)."""
    lo, hi = 1e-3, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if xfcv_gaussian.taps_fit(ksize, mid) else (mid, hi)
    return hi


def _gaussian_model(img: np.ndarray, ksize: int, sigma: float) -> list[np.ndarray]:
    """The Gaussian's CPU model alone, no checks: benchmarks/runtime.py times dispatch against it."""
    return [xfcv_gaussian.gaussian(img, ksize, sigma)]


def gaussian_filter(img: Any, sigma: float = 0.5, *, ksize: int = 3,
                    build: VisionBuild | None = None, runtime: Backend | None = None) -> Result:  # fmt: skip
    """Gaussian blur of an 8-bit image (zero border) with the kernel's 8-bit fixed-point taps.

    ``ksize`` must be the filter width the xclbin was built with (3, 5 or 7;
    checked when the xclbin's metadata declares it). Unlike ``cv2.GaussianBlur``
    the taps sum to 253..257 / 256, and a 3x3 filter does not saturate: with
    taps summing above 256 a bright area wraps to 0. Images are GRAY unless the
    build says RGB.
    """
    rt = runtime or get_runtime()
    b = resolve(GAUSSIAN_KERNEL, rt, build)
    src = image("img", img, (b.channels,), channels_why(GAUSSIAN_KERNEL, b))
    whole = isinstance(ksize, int | np.integer) and not isinstance(ksize, bool)
    if not whole or ksize not in xfcv_gaussian.KSIZES:
        raise InvalidArgument("ksize", repr(ksize), "3, 5, 7")
    ksize = int(ksize)
    if b.filter_width and ksize != b.filter_width:
        raise InvalidArgument("ksize", repr(ksize),
                              f"{b.filter_width}: the FILTER_WIDTH of the xclbin ({b.source})")  # fmt: skip
    s = number("sigma", sigma, "a finite number > 0")
    if not (s > 0 and xfcv_gaussian.taps_fit(ksize, s)):
        raise InvalidArgument("sigma", repr(sigma), f"a finite number >= {_min_sigma(ksize):.4f}: "
                              "a smaller sigma rounds the centre tap to 256, beyond the kernel's 8 bits")  # fmt: skip
    half = max(1, ksize // 2)  # the kernel reads ksize // 2 rows and columns before it writes
    fits("img", src.shape, b.max_rows, b.max_cols, half, half, f"{GAUSSIAN_KERNEL}: {b.source}")
    rows, cols = src.shape[:2]
    kc = KernelCall(
        function="vision.gaussian_filter",
        kernel=GAUSSIAN_KERNEL,
        args=(
            In(src, "img_inp"),
            Out(src.shape, np.uint8, "img_out"),
            Scalar.i32(rows, "rows"),
            Scalar.i32(cols, "cols"),
            Scalar.f32(s, "sigma"),
        ),
        model=lambda: [xfcv_gaussian.gaussian(src, ksize, s)],
        details={"shape": src.shape, "ksize": ksize, "sigma": s, "build": b.source, "model": MODEL},
    )
    return rt.run(kc)


def resize(img: Any, rows: int, cols: int, *, build: VisionBuild | None = None,
           runtime: Backend | None = None) -> Result:  # fmt: skip
    """Bilinear resize of an 8-bit image to ``rows`` x ``cols`` in the kernel's fixed point.

    Within the build's limits (by default: input up to 2160x3840, output up to
    1080x1920, at most 2x smaller per axis, GRAY). Close to ``cv2.INTER_LINEAR``
    but not equal: 10-bit weights, truncated rather than rounded.
    """
    rt = runtime or get_runtime()
    b = resolve(RESIZE_KERNEL, rt, build)
    src = image("img", img, (b.channels,), channels_why(RESIZE_KERNEL, b))
    where = f"{RESIZE_KERNEL}: {b.source}"
    # the kernel reads two rows before its first output row
    fits("img", src.shape, b.max_rows, b.max_cols, 2, 1, where)
    n_in = src.shape[:2]
    out = []
    for name, v, n, top in (("rows", rows, n_in[0], b.max_out_rows), ("cols", cols, n_in[1],
                                                                       b.max_out_cols)):  # fmt: skip
        least = -(-n // b.max_downscale)
        integer(name, v, least, top, f"at most {b.max_downscale}x smaller than the input's {n} "
                f"and at most {top} ({where})")  # fmt: skip
        out.append(int(v))
    out_shape = (out[0], out[1], *src.shape[2:])
    kc = KernelCall(
        function="vision.resize",
        kernel=RESIZE_KERNEL,
        args=(
            In(src, "img_inp"),
            Out(out_shape, np.uint8, "img_out"),
            Scalar.i32(n_in[0], "rows_in"),
            Scalar.i32(n_in[1], "cols_in"),
            Scalar.i32(out[0], "rows_out"),
            Scalar.i32(out[1], "cols_out"),
        ),
        model=lambda: [xfcv_resize.resize(src, out[0], out[1])],
        details={"from": src.shape, "to": out_shape, "build": b.source, "model": MODEL},
    )
    return rt.run(kc)


def _element(shape: Any, b: VisionBuild) -> np.ndarray:
    n = b.filter_size * b.filter_size
    if shape is None:
        return np.ones(n, np.uint8)
    el = int_array("shape", shape, 0, 255)
    if el.size != n:
        raise InvalidArgument("shape", f"{el.size} elements",
                              f"a {b.filter_size}x{b.filter_size} structuring element ({n} values)")  # fmt: skip
    if not el.any():
        raise InvalidArgument("shape", "all zeros", "at least one nonzero entry")
    if b.shape == 0 and not el.all():
        raise InvalidArgument(
            "shape", f"{el.ravel().tolist()}",
            f"None or all nonzero: the color_detect build uses a {SHAPES[0]} (KERNEL_SHAPE 0, "
            f"{b.source}) and ignores process_shape",
        )  # fmt: skip
    return el.astype(np.uint8).reshape(-1)


def color_detect(img: Any, low: Any = None, high: Any = None, *, shape: Any = None,
                 build: VisionBuild | None = None, runtime: Backend | None = None) -> Result:  # fmt: skip
    """Mask (255/0) of the pixels of a BGR image inside any of up to three HSV ranges.

    ``low``/``high``: InAccel's flat 9 values (H, S, V per range), one triple, or
    up to three triples; default: the Vitis testbench's yellow, green and red.
    H is 0..179, S and V 0..255. The mask is cleaned by erode, dilate, dilate,
    erode with a 3x3 element: all ones on the default (rectangular) build,
    whose kernel ignores ``shape``; an ellipse or cross build uses ``shape``.
    The caller's arrays are read, never changed.
    """
    rt = runtime or get_runtime()
    b = resolve(COLOR_KERNEL, rt, build)
    src = image("img", img, (3,))
    fits("img", src.shape, b.max_rows, b.max_cols, where=f"{COLOR_KERNEL}: {b.source}")
    lo, hi = hsv_ranges(low, high, DEFAULT_HSV_LOW, DEFAULT_HSV_HIGH, b.colors)
    el = _element(shape, b)
    rows, cols = src.shape[:2]
    kc = KernelCall(
        function="vision.color_detect",
        kernel=COLOR_KERNEL,
        args=(
            In(src, "img_in"),
            In(lo, "low_thresh", constant=True),
            In(hi, "high_thresh", constant=True),
            In(el, "process_shape", constant=True),
            Out((rows, cols), np.uint8, "img_out"),
            Scalar.i32(rows, "rows"),
            Scalar.i32(cols, "cols"),
        ),
        model=lambda: [
            xfcv_color.color_detect(src, lo, hi, el, size=b.filter_size, rectangular=b.shape == 0)
        ],  # fmt: skip
        details={
            "shape": src.shape,
            "ranges": int(lo.size // 3),
            "build": b.source,
            "model": MODEL,
        },  # fmt: skip
    )
    return rt.run(kc)


def stereo_bm(left: Any, right: Any, *, pre_filter_cap: int = 31, uniqueness_ratio: int = 15,
              texture_threshold: int = 20, min_disparity: int = 0,
              num_disparities: int | None = None, block_size: int | None = None,
              build: VisionBuild | None = None, runtime: Backend | None = None) -> Result:  # fmt: skip
    """Disparity (x16, uint16, 0 = invalid) of a rectified grayscale pair by block matching.

    The window (``block_size``) and the number of disparities are fixed when
    the xclbin is built (11 and 32 by default); passing them only checks them.
    The kernel searches disparities 0..N-1 (it has no minimum disparity), marks
    invalid pixels 0 -- borders, low texture, ambiguous matches -- and resolves
    equal costs towards the larger disparity. For an unrectified pair from
    calibrated cameras use :func:`stereo_pipeline`.
    """
    rt = runtime or get_runtime()
    b = resolve(STEREO_KERNEL, rt, build)
    lft = image("left", left, (1,))
    rgt = image("right", right, (1,))
    if lft.shape != rgt.shape:
        raise InvalidArgument("right", f"shape {rgt.shape} differs from left {lft.shape}",
                              "same shape")  # fmt: skip
    where = f"{STEREO_KERNEL}: {b.source}"
    for name, given, built in (("num_disparities", num_disparities, b.disparities),
                               ("block_size", block_size, b.window)):  # fmt: skip
        if given is not None and integer(name, given, 1, 1 << 16) != built:
            raise InvalidArgument(name, repr(given), f"{built}, fixed by the build ({where}); "
                                  "pass build=VisionBuild(window=..., disparities=..., units=...) "
                                  "to emulate another build")  # fmt: skip
    fits("left", lft.shape, b.max_rows, b.max_cols, b.window + 1,
         max(b.window, b.disparities) + 1, where)  # fmt: skip
    cap = integer("pre_filter_cap", pre_filter_cap, 1, 63)
    ur = integer("uniqueness_ratio", uniqueness_ratio, 0, 255)
    tt = integer("texture_threshold", texture_threshold, 0, 255)
    if integer("min_disparity", min_disparity, -(1 << 15), 1 << 15) != 0:
        raise InvalidArgument("min_disparity", repr(min_disparity), f"0: the kernel searches "
                              f"disparities 0..{b.disparities - 1} and ignores minDisparity")  # fmt: skip
    state = np.array([cap, ur, tt, 0], np.uint8)
    prm = xfcv_stereo.BMParams(cap, ur, tt, b.window, b.disparities, b.units)
    rows, cols = lft.shape
    kc = KernelCall(
        function="vision.stereo_bm",
        kernel=STEREO_KERNEL,
        args=(
            In(lft, "img_in_l"),
            In(rgt, "img_in_r"),
            In(state, "bm_state_in", constant=True),
            Out((rows, cols), np.uint16, "img_out"),
            Scalar.i32(rows, "rows"),
            Scalar.i32(cols, "cols"),
        ),
        model=lambda: [xfcv_stereo.disparity(lft, rgt, prm)],
        details={
            "shape": lft.shape,
            "num_disparities": b.disparities,
            "block_size": b.window,
            "build": b.source,
            "model": MODEL,
        },  # fmt: skip
    )
    return rt.run(kc)

"""Vision: Gaussian filter, resize, color detection, stereo block matching.

Vitis Vision functions are ports of OpenCV's, and OpenCV is their functional
model; the kernels' argument lists (Vitis_Libraries/vision, L1/L3 examples):

* ``gaussian_filter_accel(img_inp, img_out, int rows, int cols, float sigma)``
  (filter width fixed when the xclbin is built: 3, 5 or 7; zero border);
* ``resize_accel(img_inp, img_out, int rows_in, int cols_in, int rows_out,
  int cols_out)`` (bilinear);
* ``color_detect(img_in, uchar low_thresh[9], uchar high_thresh[9], uchar
  process_shape[9], img_out, int rows, int cols)``: BGR -> HSV, three HSV
  ranges OR-ed, then erode, dilate, dilate, erode with a 3x3 element;
* ``stereolbm_accel(img_in_l, img_in_r, uchar bm_state[4], img_out, int rows,
  int cols)``: 11x11 SAD window and 32 disparities fixed at build time;
  bm_state = preFilterCap, uniquenessRatio, textureThreshold, minDisparity;
  output 16-bit disparity x16, invalid pixels 0.

OpenCV is imported on first use, not at import time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..runtime import In, KernelCall, Out, Result, Scalar, get_runtime
from ..runtime.base import Backend, InvalidArgument

GAUSSIAN_KERNEL = "gaussian_filter_accel"
RESIZE_KERNEL = "resize_accel"
COLOR_KERNEL = "color_detect"
STEREO_KERNEL = "stereolbm_accel"

# The Vitis color-detect testbench's ranges (OpenCV HSV: H 0..179): yellow, green, red.
DEFAULT_HSV_LOW = ((22, 150, 60), (38, 150, 60), (160, 150, 60))
DEFAULT_HSV_HIGH = ((38, 255, 255), (75, 255, 255), (179, 255, 255))
MAX_COLORS = 3


def _cv2() -> Any:
    import cv2

    return cv2


def _image(name: str, img: Any, channels: tuple[int, ...]) -> np.ndarray:
    """An 8-bit image with one of ``channels`` channels, C-contiguous (the kernel reads rows)."""
    arr = np.asanyarray(img)  # a DeviceArray stays one: used in place on XRT
    if not isinstance(arr, np.ndarray) or arr.dtype != np.uint8:
        raise InvalidArgument(name, f"dtype {arr.dtype}", "uint8 images")
    ch = 1 if arr.ndim == 2 else (arr.shape[2] if arr.ndim == 3 else 0)
    if ch not in channels or (arr.ndim == 3 and ch == 1 and 1 not in channels):
        allowed = " or ".join("HxW" if c == 1 else f"HxWx{c}" for c in channels)
        raise InvalidArgument(name, f"shape {arr.shape}", allowed)
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InvalidArgument(name, f"shape {arr.shape}", "at least 1x1 pixels")
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)


def _gaussian_model(img: np.ndarray, ksize: int, sigma: float) -> list[np.ndarray]:
    cv2 = _cv2()
    # xf::cv::GaussianBlur is a port of OpenCV's: same taps from sigma, zero border
    # (XF_BORDER_CONSTANT). The tests check it against an independent numpy convolution.
    return [cv2.GaussianBlur(img, (ksize, ksize), sigma, sigma, borderType=cv2.BORDER_CONSTANT)]


def gaussian_filter(
    img: Any, sigma: float = 0.5, *, ksize: int = 3, runtime: Backend | None = None
) -> Result:
    """Gaussian blur of an 8-bit image (zero border), like ``cv2.GaussianBlur``.

    ``ksize`` must match the filter width the xclbin was built with (3, 5 or 7).
    """
    src = _image("img", img, (1, 3))
    if ksize not in (3, 5, 7):
        raise InvalidArgument("ksize", repr(ksize), "3, 5, 7")
    if not (np.isfinite(sigma) and sigma > 0):
        raise InvalidArgument("sigma", repr(sigma), "a finite number > 0")
    rows, cols = src.shape[:2]
    kc = KernelCall(
        function="vision.gaussian_filter",
        kernel=GAUSSIAN_KERNEL,
        args=(
            In(src, "img_inp"),
            Out(src.shape, np.uint8, "img_out"),
            Scalar.i32(rows, "rows"),
            Scalar.i32(cols, "cols"),
            Scalar.f32(sigma, "sigma"),
        ),
        model=lambda: _gaussian_model(src, ksize, float(sigma)),
        details={"shape": src.shape, "ksize": ksize, "sigma": float(sigma)},
    )
    return (runtime or get_runtime()).run(kc)


def resize(img: Any, rows: int, cols: int, *, runtime: Backend | None = None) -> Result:
    """Bilinear resize of an 8-bit image to ``rows`` x ``cols`` (like ``cv2.INTER_LINEAR``)."""
    src = _image("img", img, (1, 3))
    for name, v in (("rows", rows), ("cols", cols)):
        if not (isinstance(v, int | np.integer) and 1 <= v <= 16384):
            raise InvalidArgument(name, repr(v), "an int in 1..16384")
    out_shape = (int(rows), int(cols), *src.shape[2:])

    def model() -> list[np.ndarray]:
        cv2 = _cv2()
        return [cv2.resize(src, (int(cols), int(rows)), interpolation=cv2.INTER_LINEAR)]

    kc = KernelCall(
        function="vision.resize",
        kernel=RESIZE_KERNEL,
        args=(
            In(src, "img_inp"),
            Out(out_shape, np.uint8, "img_out"),
            Scalar.i32(src.shape[0], "rows_in"),
            Scalar.i32(src.shape[1], "cols_in"),
            Scalar.i32(rows, "rows_out"),
            Scalar.i32(cols, "cols_out"),
        ),
        model=model,
        details={"from": src.shape, "to": out_shape},
    )
    return (runtime or get_runtime()).run(kc)


def _hsv_ranges(low: Any, high: Any) -> tuple[np.ndarray, np.ndarray]:
    lo = np.asarray(DEFAULT_HSV_LOW if low is None else low)
    hi = np.asarray(DEFAULT_HSV_HIGH if high is None else high)
    for name, a in (("low", lo), ("high", hi)):
        if a.ndim == 1:
            a.shape = (1, -1)
        if a.ndim != 2 or a.shape[1] != 3 or not 1 <= a.shape[0] <= MAX_COLORS:
            raise InvalidArgument(name, f"shape {a.shape}", "1 to 3 (H, S, V) triples")
        if (a < 0).any() or (a > 255).any():
            raise InvalidArgument(name, "values outside 0..255", "H 0..179, S and V 0..255")
    lo, hi = lo.reshape(-1, 3), hi.reshape(-1, 3)
    if lo.shape != hi.shape:
        raise InvalidArgument(
            "high", f"{hi.shape[0]} ranges for {lo.shape[0]} low", "as many as low"
        )
    # The kernel always tests MAXCOLORS ranges: repeat the first (OR is idempotent).
    while lo.shape[0] < MAX_COLORS:
        lo, hi = np.vstack([lo, lo[:1]]), np.vstack([hi, hi[:1]])
    return lo.astype(np.uint8).reshape(-1), hi.astype(np.uint8).reshape(-1)


def _color_model(img: np.ndarray, lo: np.ndarray, hi: np.ndarray, shape: np.ndarray) -> list:
    cv2 = _cv2()
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    mask = cv2.inRange(hsv, lo[0:3], hi[0:3])
    for c in range(1, MAX_COLORS):  # three ranges, not a loop over pixels
        cv2.bitwise_or(mask, cv2.inRange(hsv, lo[3 * c : 3 * c + 3], hi[3 * c : 3 * c + 3]), mask)
    el = shape.reshape(3, 3)
    border = cv2.BORDER_CONSTANT
    mask = cv2.erode(mask, el, borderType=border)
    mask = cv2.dilate(mask, el, borderType=border, iterations=2)
    return [cv2.erode(mask, el, borderType=border)]


def color_detect(
    img: Any,
    low: Any = None,
    high: Any = None,
    *,
    shape: Any = None,
    runtime: Backend | None = None,
) -> Result:
    """Mask (255/0) of the pixels of a BGR image inside any of up to three HSV ranges.

    Defaults are the Vitis testbench's yellow, green and red ranges; the mask is
    cleaned by erode, dilate, dilate, erode with the 3x3 ``shape`` (default: all ones).
    """
    src = _image("img", img, (3,))
    lo, hi = _hsv_ranges(low, high)
    el = np.ones(9, np.uint8) if shape is None else np.asarray(shape, dtype=np.uint8).reshape(-1)
    if el.size != 9:
        raise InvalidArgument("shape", f"{el.size} elements", "a 3x3 structuring element")
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
        model=lambda: _color_model(src, lo, hi, el),
        details={"shape": src.shape, "ranges": int(lo.size // 3)},
    )
    return (runtime or get_runtime()).run(kc)


def _stereo_model(left, right, state: np.ndarray, ndisp: int, block: int) -> list[np.ndarray]:
    cv2 = _cv2()
    bm = cv2.StereoBM_create(numDisparities=ndisp, blockSize=block)
    bm.setPreFilterCap(int(state[0]))
    bm.setUniquenessRatio(int(state[1]))
    bm.setTextureThreshold(int(state[2]))
    bm.setMinDisparity(int(state[3]))
    disp = bm.compute(left, right)
    # The kernel writes unsigned 16-bit disparities: OpenCV's negative "invalid" becomes 0.
    return [np.maximum(disp, 0).astype(np.uint16)]


def stereo_bm(
    left: Any,
    right: Any,
    *,
    pre_filter_cap: int = 31,
    uniqueness_ratio: int = 15,
    texture_threshold: int = 20,
    min_disparity: int = 0,
    num_disparities: int = 32,
    block_size: int = 11,
    runtime: Backend | None = None,
) -> Result:
    """Disparity (x16, uint16, 0 = invalid) of a rectified grayscale pair by block matching.

    ``num_disparities`` and ``block_size`` are fixed when the xclbin is built
    (Vitis default 32 and 11); the other four go to the kernel at run time.
    """
    lft = _image("left", left, (1,))
    rgt = _image("right", right, (1,))
    if lft.shape != rgt.shape:
        raise InvalidArgument(
            "right", f"shape {rgt.shape} differs from left {lft.shape}", "same shape"
        )
    if not (num_disparities > 0 and num_disparities % 16 == 0 and num_disparities < lft.shape[1]):
        raise InvalidArgument(
            "num_disparities", repr(num_disparities), "a multiple of 16 below the width"
        )
    if not (block_size % 2 == 1 and 5 <= block_size <= 255 and block_size <= min(lft.shape)):
        raise InvalidArgument(
            "block_size", repr(block_size), "odd, 5..255, not above the image size"
        )
    state = np.array([pre_filter_cap, uniqueness_ratio, texture_threshold, min_disparity])
    if (state < 0).any() or (state > 255).any() or not 1 <= pre_filter_cap <= 63:
        raise InvalidArgument("pre_filter_cap/uniqueness_ratio/texture_threshold/min_disparity",
                              f"{state.tolist()}", "0..255 each, pre_filter_cap 1..63")  # fmt: skip
    state = state.astype(np.uint8)
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
        model=lambda: _stereo_model(lft, rgt, state, num_disparities, block_size),
        details={"shape": lft.shape, "num_disparities": num_disparities, "block_size": block_size},
    )
    return (runtime or get_runtime()).run(kc)

"""The stereo pipeline: rectify a calibrated camera pair and match it, in one kernel call.

Why a function of its own: ``stereopipeline_accel`` (the kernel behind
InAccel's stereoBM notebook) takes the raw views plus, for each camera, its
camera matrix, distortion coefficients and the inverse of (new camera matrix
x rectifying rotation) -- what ``cv2.stereoRectify`` gives -- so a user need
not rectify on the CPU first. Its signature::

    stereopipeline_accel(img_L, img_R, img_disp, float cameraMA_l[9],
        float cameraMA_r[9], float distC_l[5], float distC_r[5], float irA_l[9],
        float irA_r[9], int bm_state_arr[11], int rows, int cols)

``bm_state_arr``: preFilterType (0: x-Sobel), preFilterSize, preFilterCap,
SADWindowSize, minDisparity, numberOfDisparities, textureThreshold,
uniquenessRatio, ndisp_unit, sweepFactor, remainder. The window (15),
disparities (48) and disparities per sweep (16) are fixed at build time; the
kernel reads the sweep count from the array, which we derive from the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..runtime import In, KernelCall, Out, Result, Scalar, get_runtime
from ..runtime.base import Backend, InvalidArgument
from . import xfcv_rectify, xfcv_stereo
from .vision_args import fits, image, integer
from .vision_build import PIPELINE_KERNEL, VisionBuild, resolve

FIXED_LIMIT = 2048.0  # ap_fixed<32,12> holds [-2048, 2048)


def _floats(name: str, value: Any, size: int) -> np.ndarray:
    """A new float32 array of ``size`` values (3x3 matrices may come flat or square)."""
    try:
        arr = np.array(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidArgument(name, repr(value), f"{size} numbers") from None
    if arr.size != size:
        raise InvalidArgument(name, f"{arr.size} values", f"{size} numbers"
                              + (" (3x3 or flat)" if size == 9 else ""))  # fmt: skip
    if not np.isfinite(arr).all() or (np.abs(arr) >= FIXED_LIMIT).any():
        raise InvalidArgument(name, f"{arr.tolist()}", "finite numbers in (-2048, 2048): the "
                              "kernel holds them as ap_fixed<32,12>")  # fmt: skip
    return arr.astype(np.float32)


@dataclass(frozen=True, init=False, eq=False)
class Rectification:
    """One camera's inputs to the stereo pipeline kernel, checked and held as float32 copies.

    ``camera_matrix``: fx 0 cx / 0 fy cy / 0 0 1 (the kernel reads fx, cx, fy,
    cy only, so skew must be 0); ``dist_coeffs``: k1 k2 p1 p2 k3 (OpenCV's order);
    ``inverse``: inv(P[:, :3] @ R), InAccel's ``irA``. Use
    :meth:`from_calibration` with ``cv2.stereoRectify``'s R and P.
    """

    camera_matrix: np.ndarray
    dist_coeffs: np.ndarray
    inverse: np.ndarray

    def __init__(self, camera_matrix: Any, dist_coeffs: Any, inverse: Any, *,
                 name: str = "camera") -> None:  # fmt: skip
        k = _floats(f"{name}.camera_matrix", camera_matrix, 9)
        if k[1] != 0 or k[3] != 0 or tuple(k[6:]) != (0, 0, 1) or k[0] <= 0 or k[4] <= 0:
            raise InvalidArgument(f"{name}.camera_matrix", f"{k.tolist()}",
                                  "fx 0 cx / 0 fy cy / 0 0 1 with fx, fy > 0")  # fmt: skip
        d = np.zeros(5, np.float32)
        given = _floats(f"{name}.dist_coeffs", dist_coeffs, np.size(dist_coeffs))
        if given.size not in (4, 5):
            raise InvalidArgument(f"{name}.dist_coeffs", f"{given.size} values",
                                  "k1 k2 p1 p2 [k3]: the kernel has no k4..k6")  # fmt: skip
        d[: given.size] = given
        inv = _floats(f"{name}.inverse", inverse, 9)
        for attr, val in (("camera_matrix", k), ("dist_coeffs", d), ("inverse", inv)):
            val.flags.writeable = False
            object.__setattr__(self, attr, val)

    @classmethod
    def from_calibration(cls, camera_matrix: Any, dist_coeffs: Any, rotation: Any,
                         projection: Any, *, name: str = "camera") -> Rectification:  # fmt: skip
        """From calibration (K, D) and ``cv2.stereoRectify``'s R and P for this camera."""
        r = np.asarray(rotation, np.float64).reshape(3, 3)
        p = np.asarray(projection, np.float64).reshape(3, -1)[:, :3]
        try:
            inv = np.linalg.inv(p @ r)
        except np.linalg.LinAlgError:
            raise InvalidArgument(f"{name}.projection", "P[:, :3] @ R is singular",
                                  "an invertible rectifying projection") from None  # fmt: skip
        return cls(camera_matrix, dist_coeffs, inv, name=name)

    def fixed(self) -> xfcv_rectify.Camera:
        return xfcv_rectify.Camera.from_floats(self.camera_matrix, self.dist_coeffs, self.inverse)


def _camera(name: str, value: Any) -> Rectification:
    if isinstance(value, Rectification):
        return value
    if isinstance(value, dict):
        return Rectification(**value, name=name)
    if isinstance(value, tuple | list) and len(value) == 3:
        return Rectification(*value, name=name)
    raise InvalidArgument(name, repr(value)[:80], "a Rectification, or (camera_matrix, "
                          "dist_coeffs, inverse)")  # fmt: skip


def pipeline_model(left: np.ndarray, right: np.ndarray, cams: tuple[Rectification, ...],
                   prm: xfcv_stereo.BMParams, b: VisionBuild) -> np.ndarray:  # fmt: skip
    """Rectify both views as the kernel does, then its block matcher."""
    rows, cols = left.shape
    views = []
    for img, cam in zip((left, right), cams, strict=True):
        mx, my = xfcv_rectify.maps(cam.fixed(), rows, cols, b.max_rows, b.max_cols)
        views.append(xfcv_rectify.remap(img, mx, my, b.remap_rows))
    return xfcv_stereo.disparity(views[0], views[1], prm)


def stereo_pipeline(left: Any, right: Any, left_camera: Any, right_camera: Any, *,
                    pre_filter_cap: int = 31, uniqueness_ratio: int = 15,
                    texture_threshold: int = 20, build: VisionBuild | None = None,
                    runtime: Backend | None = None) -> Result:  # fmt: skip
    """Disparity (x16, uint16, 0 = invalid) of a raw grayscale pair from two calibrated cameras.

    The kernel undistorts and rectifies both views (fixed-point maps, bilinear
    remap) and runs 15x15 block matching over 48 disparities. Each camera is a
    :class:`Rectification` or ``(camera_matrix, dist_coeffs, inverse)``.
    """
    rt = runtime or get_runtime()
    b = resolve(PIPELINE_KERNEL, rt, build)
    lft = image("left", left, (1,))
    rgt = image("right", right, (1,))
    if lft.shape != rgt.shape:
        raise InvalidArgument("right", f"shape {rgt.shape} differs from left {lft.shape}",
                              "same shape")  # fmt: skip
    fits("left", lft.shape, b.max_rows, b.max_cols, b.window + 1,
         max(b.window, b.disparities) + 1, f"{PIPELINE_KERNEL}: {b.source}")  # fmt: skip
    cams = (_camera("left_camera", left_camera), _camera("right_camera", right_camera))
    cap = integer("pre_filter_cap", pre_filter_cap, 1, 63)
    ur = integer("uniqueness_ratio", uniqueness_ratio, 0, 2**31 - 1)
    tt = integer("texture_threshold", texture_threshold, 0, 2**31 - 1)
    sweeps = b.disparities // b.units
    state = np.array([0, b.window, cap, b.window, 0, b.disparities, tt, ur, b.units, sweeps, 0],
                     np.int32)  # fmt: skip
    prm = xfcv_stereo.BMParams(cap, ur, tt, b.window, b.disparities, b.units)
    rows, cols = lft.shape
    kc = KernelCall(
        function="vision.stereo_pipeline",
        kernel=PIPELINE_KERNEL,
        args=(
            In(lft, "img_L"),
            In(rgt, "img_R"),
            Out((rows, cols), np.uint16, "img_disp"),
            In(cams[0].camera_matrix, "cameraMA_l", constant=True),
            In(cams[1].camera_matrix, "cameraMA_r", constant=True),
            In(cams[0].dist_coeffs, "distC_l", constant=True),
            In(cams[1].dist_coeffs, "distC_r", constant=True),
            In(cams[0].inverse, "irA_l", constant=True),
            In(cams[1].inverse, "irA_r", constant=True),
            In(state, "bm_state_arr", constant=True),
            Scalar.i32(rows, "rows"),
            Scalar.i32(cols, "cols"),
        ),
        model=lambda: [pipeline_model(lft, rgt, cams, prm, b)],
        details={
            "shape": lft.shape,
            "num_disparities": b.disparities,
            "block_size": b.window,
            "build": b.source,
            "model": "Vitis Libraries 2020.2 arithmetic",
        },  # fmt: skip
    )
    return rt.run(kc)

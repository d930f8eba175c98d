"""The stereo pipeline: raw views from two calibrated cameras, rectified and matched in one call.

The raw views are made here: a layered scene is drawn in rectified
coordinates, then warped into each camera through its calibration (the
inverse of what the kernel undoes), so the true disparities are known.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from jupyter_ext.library import xfcv_rectify
from jupyter_ext.library.vision import Rectification, stereo_pipeline
from tests.pod.library.test_vision_opencv import _layered


def _rig(rows: int, cols: int):
    """A calibrated pair (K, D, R, P per camera), as cv2.stereoRectify gives it."""
    f = 0.75 * cols
    k1 = np.array([[f, 0, cols / 2 + 3.3], [0, f * 1.001, rows / 2 - 2.1], [0, 0, 1]])
    k2 = np.array([[f * 1.002, 0, cols / 2 - 4.7], [0, f, rows / 2 + 1.6], [0, 0, 1]])
    d1 = np.array([-0.17, 0.023, 0.001, -0.0005, 0.002])
    d2 = d1 * 1.05
    rot, _ = cv2.Rodrigues(np.array([0.004, 0.02, -0.003]))
    r1, r2, p1, p2, *_ = cv2.stereoRectify(k1, d1, k2, d2, (cols, rows), rot,
                                           np.array([[-0.12], [0.002], [0.001]]), alpha=0)  # fmt: skip
    return (k1, d1, r1, p1), (k2, d2, r2, p2)


def _raw_views(rows: int, cols: int, seed: int = 1):
    """(raw left, raw right, cameras, true disparity): a scene seen through the rig's lenses."""
    rect_left, rect_right = _layered(rows, cols, seed)
    truth = np.full((rows, cols), 6.0)
    truth[rows // 5 : rows // 5 + rows // 2, cols // 3 : cols // 3 + cols // 4] = 14
    truth[rows // 2 : rows // 2 + rows // 3, 2 * cols // 3 : 2 * cols // 3 + cols // 5] = 23
    raws, cams = [], []
    grid = np.stack(np.meshgrid(np.arange(cols), np.arange(rows)), -1).reshape(-1, 1, 2)
    for img, (k, d, r, p) in zip((rect_left, rect_right), _rig(rows, cols), strict=True):
        where = cv2.undistortPoints(grid.astype(np.float64), k, d, R=r, P=p)
        where = where.reshape(rows, cols, 2).astype(np.float32)
        raws.append(cv2.remap(img, where[..., 0], where[..., 1], cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REFLECT))  # fmt: skip
        cams.append(Rectification.from_calibration(k, d, r, p))
    return raws[0], raws[1], cams, truth


def test_pipeline_recovers_the_scene_through_rectification(emulated):
    left, right, cams, truth = _raw_views(240, 320)
    r = stereo_pipeline(left, right, cams[0], cams[1], runtime=emulated)
    assert r.emulated and r.kernel == "stereopipeline_accel" and "emulated" in repr(r)
    d = r.value
    assert d.dtype == np.uint16 and d.shape == (240, 320)
    valid = d > 0
    err = np.abs(d[valid] / 16 - truth[valid])
    assert valid.mean() > 0.6 and np.median(err) <= 0.25 and (err <= 1).mean() > 0.95
    # the kernel's borders: 7 rows top and bottom, the first 47 + 7 and last 7 columns
    assert not d[:7].any() and not d[-7:].any() and not d[:, :54].any() and not d[:, -7:].any()
    # InAccel's flat arrays work as well as Rectification objects
    flat = [(c.camera_matrix.tolist(), c.dist_coeffs.tolist(), c.inverse.tolist()) for c in cams]
    again = stereo_pipeline(left, right, flat[0], flat[1], runtime=emulated).value
    assert np.array_equal(again, d)


def test_pipeline_agrees_with_opencvs_rectify_remap_and_bm(emulated):
    left, right, cams, _ = _raw_views(240, 320, seed=2)
    got = stereo_pipeline(left, right, cams[0], cams[1], runtime=emulated).value.astype(int)
    views = []
    for raw, (k, d, r, p) in zip((left, right), _rig(240, 320), strict=True):
        mx, my = cv2.initUndistortRectifyMap(k, d, r, p[:3, :3], (320, 240), cv2.CV_32FC1)
        views.append(cv2.remap(raw, mx, my, cv2.INTER_LINEAR))
    bm = cv2.StereoBM_create(48, 15)
    bm.setPreFilterCap(31)
    bm.setUniquenessRatio(15)
    bm.setTextureThreshold(20)
    want = np.maximum(bm.compute(views[0], views[1]).astype(int), 0)
    both = (got > 0) & (want > 0)
    # the rectified views differ (fixed-point maps, the remap's truncation and neighbour swap),
    # so BM agrees on most pixels, not all
    assert ((got > 0) == (want > 0)).mean() > 0.95
    assert (np.abs(got - want)[both] <= 16).mean() > 0.99


def test_maps_are_opencvs_within_a_32nd_of_a_pixel():
    """With the parameters as the kernel holds them (20 fractional bits), OpenCV's maps within 1/32.

    The quantised parameters themselves move the maps by a few hundredths of a pixel.
    """
    for rows, cols in ((60, 80), (240, 320)):
        for k, d, r, p in _rig(rows, cols):
            cam = Rectification.from_calibration(k, d, r, p)
            fixed = cam.fixed()
            mx, my = xfcv_rectify.maps(fixed, rows, cols)
            kq, dq, iq = (np.asarray(v, np.float64) / (1 << 20) for v in (fixed.matrix, fixed.dist,
                                                                          fixed.inv))  # fmt: skip
            cx, cy = cv2.initUndistortRectifyMap(kq.reshape(3, 3), dq, None,
                                                 np.linalg.inv(iq.reshape(3, 3)), (cols, rows),
                                                 cv2.CV_32FC1)  # fmt: skip
            assert np.abs(mx / 32 - cx).max() <= 1 / 32 and np.abs(my / 32 - cy).max() <= 1 / 32
            ox, oy = cv2.initUndistortRectifyMap(k, d, r, p[:3, :3], (cols, rows), cv2.CV_32FC1)
            assert np.abs(mx / 32 - ox).max() < 0.1 and np.abs(my / 32 - oy).max() < 0.1


def test_remap_is_opencvs_but_for_the_neighbour_swap():
    """Where x and y are even, OpenCV's bilinear remap within one level (the kernel truncates).

    Where either is odd, the 2020.2 kernel reads one or two neighbours from the
    wrong place: the error is at most that neighbour's weight times the difference.
    """
    rows, cols = 60, 80
    img = cv2.GaussianBlur(
        np.random.default_rng(3).integers(0, 256, (rows, cols), np.uint8), (5, 5), 2
    )
    k, d, r, p = _rig(rows, cols)[0]
    mx, my = xfcv_rectify.maps(Rectification.from_calibration(k, d, r, p).fixed(), rows, cols)
    got = xfcv_rectify.remap(img, mx, my).astype(int)
    want = cv2.remap(img, (mx / 32).astype(np.float32), (my / 32).astype(np.float32),
                     cv2.INTER_LINEAR).astype(int)  # fmt: skip
    x, y, u, v = mx >> 5, my >> 5, mx & 31, my & 31
    inside = (x >= 0) & (y >= 0) & (x < cols - 1) & (y < rows - 1)
    even = inside & (x % 2 == 0) & (y % 2 == 0)
    assert np.abs(got - want)[even].max() <= 1
    src = img.astype(int)
    xs, ys = np.clip(x, 0, cols - 2), np.clip(y, 0, rows - 2)
    spread = np.maximum.reduce([np.abs(src[ys + a, xs + b] - src[ys, xs])
                                for a in (0, 1) for b in (0, 1)])  # fmt: skip
    bound = (np.maximum(u, v) * 32 * 2 * spread) // 1024 + 2  # misread weight x difference
    assert (np.abs(got - want)[inside] <= bound[inside]).all()
    assert np.abs(got - want)[inside & ~even].max() > 1  # the swap is visible


@pytest.fixture
def pipeline_board(fake, tmp_path):
    from jupyter_ext.runtime import repository_locator, select_runtime
    from tests.support.fake_pyxrt import PLATFORM
    from tests.support.xclbin_writer import write_xclbin

    write_xclbin(tmp_path / "stereo.xclbin", platform=PLATFORM, kernels=["stereopipeline_accel"])
    return select_runtime({}, import_pyxrt=lambda: fake,
                          locator=repository_locator([str(tmp_path)]))  # fmt: skip


def test_pipeline_on_the_stand_in_board_is_the_emulation(pipeline_board, emulated):
    from tests.support.fake_pyxrt.kernels import LAST

    left, right, cams, _ = _raw_views(36, 96, seed=3)
    board = stereo_pipeline(left, right, cams[0], cams[1], texture_threshold=12,
                            runtime=pipeline_board)  # fmt: skip
    assert board.backend == "xrt" and board.xclbin.endswith("stereo.xclbin")
    assert LAST["stereopipeline_accel"] == {
        "rows": 36, "cols": 96,
        # preFilterType (x-Sobel), preFilterSize, cap, window, minDisparity, disparities,
        # texture, uniqueness, disparities per sweep, sweeps, remainder
        "state": [0, 15, 31, 15, 0, 48, 12, 15, 16, 3, 0],
    }  # fmt: skip
    model = stereo_pipeline(left, right, cams[0], cams[1], texture_threshold=12, runtime=emulated)
    assert np.array_equal(np.asarray(board.value), model.value) and model.value.any()

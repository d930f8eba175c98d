"""Bad inputs are refused with the argument's name and what is allowed; callers' arrays stay as given.

Also the build limits: a call the kernel's build could not complete is refused,
with the limits taken from the xclbin's metadata when it declares them.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from jupyter_ext.library import color_detect, gaussian_filter, resize, stereo_bm
from jupyter_ext.library.registry import color_scene, natural_gray, stereo_pair
from jupyter_ext.library.vision import Rectification, VisionBuild, stereo_pipeline
from jupyter_ext.library.vision_build import from_keyvalues
from jupyter_ext.runtime import InvalidArgument, repository_locator, select_runtime
from tests.support.fake_pyxrt import PLATFORM

GRAY = natural_gray(40, 60)
BGR = color_scene(40, 60)
LEFT, RIGHT = stereo_pair(40, 60, shift=4)
K = [[50.0, 0, 30], [0, 50, 20], [0, 0, 1]]
CAM = (K, [-0.1, 0.01, 0, 0, 0], np.linalg.inv(np.array(K)))


def _pipe(**kw):
    args = {"left": LEFT, "right": RIGHT, "left_camera": CAM, "right_camera": CAM, **kw}
    return lambda rt: stereo_pipeline(runtime=rt, **args)


BAD = [  # (call, message the error must contain)
    (lambda rt: gaussian_filter(GRAY, 0.0, runtime=rt), "sigma: 0.0 (allowed: a finite number >="),
    (lambda rt: gaussian_filter(GRAY, float("nan"), runtime=rt), "sigma: nan (allowed: a finite"),
    (lambda rt: gaussian_filter(GRAY, 0.2, runtime=rt), "centre tap to 256"),
    (lambda rt: gaussian_filter(GRAY, "wide", runtime=rt), "sigma: 'wide'"),
    (lambda rt: gaussian_filter(GRAY, ksize=True, runtime=rt), "ksize: True (allowed: 3, 5, 7)"),
    (lambda rt: gaussian_filter(GRAY[:2], ksize=7, runtime=rt), "img: 2x60 pixels (allowed: 3..2160 rows"),
    (lambda rt: gaussian_filter(BGR, runtime=rt), "img: shape (40, 60, 3) (allowed: HxW: the gaussian_filter_accel build is GRAY"),
    (lambda rt: resize(GRAY, 19, 30, runtime=rt), "rows: 19 (allowed: an int in 20..1080: at most 2x smaller"),
    (lambda rt: resize(GRAY, 40, 2000, runtime=rt), "cols: 2000 (allowed: an int in 30..1920"),
    (lambda rt: resize(GRAY, 40.5, 60, runtime=rt), "rows: 40.5"),
    (lambda rt: resize(GRAY, True, 60, runtime=rt), "rows: True"),
    (lambda rt: resize(GRAY[:1], 2, 60, runtime=rt), "img: 1x60 pixels (allowed: 2..2160 rows"),
    (lambda rt: color_detect(BGR, [(180, 0, 0)], [(181, 9, 9)], runtime=rt), "low[0]: H 180 (allowed: H 0..179"),
    (lambda rt: color_detect(BGR, [(0, 0, 256)], [(9, 9, 9)], runtime=rt), "low: 256 out of range (allowed: integers in 0..255)"),
    (lambda rt: color_detect(BGR, [(0, 0, -1)], [(9, 9, 9)], runtime=rt), "low: -1 out of range"),
    (lambda rt: color_detect(BGR, [(0, 0, 1.5)], [(9, 9, 9)], runtime=rt), "low: [0, 0, 1.5] (allowed: integers"),
    (lambda rt: color_detect(BGR, [(10, 0, 0)], [(5, 9, 9)], runtime=rt), "low[0]: H 10 above high 5 (allowed: low <= high"),
    (lambda rt: color_detect(BGR, [(0, 0, 0)] * 4, [(9, 9, 9)] * 4, runtime=rt), "low: shape (4, 3) (allowed: 1 to 3 (H, S, V) triples"),
    (lambda rt: color_detect(BGR, [1, 2, 3, 4], [5, 6, 7, 8], runtime=rt), "low: shape (4,)"),
    (lambda rt: color_detect(BGR, [(0, 0, 0)], [(9, 9, 9)] * 2, runtime=rt), "high: 2 ranges for 1 low ranges"),
    (lambda rt: color_detect(BGR, shape=[1] * 8, runtime=rt), "shape: 8 elements (allowed: a 3x3"),
    (lambda rt: color_detect(BGR, shape=[0, 1, 0, 1, 1, 1, 0, 1, 0], runtime=rt), "ignores process_shape"),
    (lambda rt: color_detect(BGR, shape=[256] * 9, runtime=rt), "shape: 256 out of range"),
    (lambda rt: stereo_bm(LEFT, RIGHT, min_disparity=16, runtime=rt), "min_disparity: 16 (allowed: 0: the kernel searches disparities 0..31"),
    (lambda rt: stereo_bm(LEFT, RIGHT, num_disparities=64, runtime=rt), "num_disparities: 64 (allowed: 32, fixed by the build"),
    (lambda rt: stereo_bm(LEFT, RIGHT, block_size=9, runtime=rt), "block_size: 9 (allowed: 11"),
    (lambda rt: stereo_bm(LEFT, RIGHT, pre_filter_cap=64, runtime=rt), "pre_filter_cap: 64 (allowed: an int in 1..63)"),
    (lambda rt: stereo_bm(LEFT, RIGHT, uniqueness_ratio=256, runtime=rt), "uniqueness_ratio: 256 (allowed: an int in 0..255)"),
    (lambda rt: stereo_bm(LEFT, RIGHT, texture_threshold=-1, runtime=rt), "texture_threshold: -1"),
    (lambda rt: stereo_bm(LEFT[:, :30], RIGHT[:, :30], runtime=rt), "left: 40x30 pixels (allowed: 12..1080 rows and 33..1920 columns"),
    (_pipe(left_camera=([[50, 1, 30], [0, 50, 20], [0, 0, 1]], CAM[1], CAM[2])), "left_camera.camera_matrix: [50.0, 1.0"),
    (_pipe(right_camera=(K, [0.1] * 8, CAM[2])), "right_camera.dist_coeffs: 8 values (allowed: k1 k2 p1 p2 [k3]"),
    (_pipe(right_camera=(K, CAM[1], np.full((3, 3), np.nan))), "right_camera.inverse: [nan"),
    (_pipe(left_camera=(np.eye(3) * 3000, CAM[1], CAM[2])), "finite numbers in (-2048, 2048)"),
    (_pipe(left_camera="calibrated"), "left_camera: 'calibrated' (allowed: a Rectification"),
    (_pipe(left=LEFT[:, :40], right=RIGHT[:, :40]), "left: 40x40 pixels (allowed: 16..1080 rows and 49..1920"),
]  # fmt: skip


@pytest.mark.parametrize("call,message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_input_is_named_with_what_is_allowed(emulated, call, message):
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        call(emulated)


def _frozen(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def test_callers_arrays_are_never_modified(emulated):
    img, bgr = _frozen(GRAY), _frozen(BGR)
    left, right = _frozen(LEFT), _frozen(RIGHT)
    low, high = _frozen([22, 150, 60]), _frozen([38, 255, 255])  # 1-D: once reshaped in place
    low_list, shape = [[22, 150, 60]], _frozen(np.ones((3, 3), np.int64))
    copies = [x.copy() for x in (img, bgr, left, right, low, high, shape)]
    gaussian_filter(img, runtime=emulated)
    resize(img, 30, 40, runtime=emulated)
    color_detect(bgr, low, high, shape=shape, runtime=emulated)
    color_detect(bgr, low_list, [[38, 255, 255]], runtime=emulated)
    stereo_bm(left, right, runtime=emulated)
    cam = (_frozen(K), _frozen([-0.1, 0.01, 0, 0, 0]), _frozen(CAM[2]))
    stereo_pipeline(left, right, cam, cam, runtime=emulated)
    for before, after in zip(copies, (img, bgr, left, right, low, high, shape), strict=True):
        assert np.array_equal(before, after) and before.shape == after.shape
    assert low_list == [[22, 150, 60]]


def test_a_build_refuses_what_it_was_not_built_for(emulated):
    small = VisionBuild(max_rows=32, max_cols=32)
    with pytest.raises(
        InvalidArgument, match=r"img: 40x60 pixels \(allowed: 1..32 rows .*given by"
    ):
        gaussian_filter(GRAY, build=VisionBuild(max_rows=32, max_cols=32, source="given by me"),
                        runtime=emulated)  # fmt: skip
    assert gaussian_filter(GRAY[:32, :32], build=small, runtime=emulated).value.shape == (32, 32)
    assert resize(GRAY, 10, 15, build=VisionBuild(max_downscale=4), runtime=emulated).emulated
    rgb = resize(BGR, 20, 30, build=VisionBuild(channels=3), runtime=emulated).value
    assert rgb.shape == (20, 30, 3)
    with pytest.raises(InvalidArgument, match=r"build.units: 5 \(allowed: a divisor of"):
        VisionBuild(units=5)
    with pytest.raises(InvalidArgument, match=r"build.filter_width: 4 \(allowed: 3, 5, 7\)"):
        VisionBuild(filter_width=4)


def test_color_detect_takes_the_shape_on_an_ellipse_or_cross_build(emulated):
    cross = [0, 1, 0, 1, 1, 1, 0, 1, 0]
    got = color_detect(BGR, shape=cross, build=VisionBuild(channels=3, shape=2), runtime=emulated)
    rect = color_detect(BGR, runtime=emulated)
    assert got.value.shape == rect.value.shape and not np.array_equal(got.value, rect.value)


def test_key_value_metadata_names_the_build():
    pairs = (("resize_accel.NEWWIDTH", "64"), ("NEWWIDTH", "32"), ("MAXDOWNSCALE", "4"),
             ("RGB", "1"), ("other.HEIGHT", "5"), ("VERSION", "2020.2"))  # fmt: skip
    assert from_keyvalues("resize_accel", pairs, "x") == {
        "max_out_cols": 64,
        "max_downscale": 4,
        "channels": 3,
    }
    with pytest.raises(InvalidArgument, match=r"x: HEIGHT: 'tall' \(allowed: an integer\)"):
        from_keyvalues("resize_accel", (("HEIGHT", "tall"),), "x")


def _board(fake, tmp_path, kernels, keyvalues):
    from tests.support.xclbin_writer import write_xclbin

    d = tmp_path / "xclbin"
    d.mkdir()
    write_xclbin(d / "vision.xclbin", platform=PLATFORM, kernels=kernels, keyvalues=keyvalues)
    return select_runtime({}, import_pyxrt=lambda: fake, locator=repository_locator([str(d)]))


def test_limits_come_from_the_xclbin_when_it_declares_them(fake, tmp_path):
    rt = _board(fake, tmp_path, ["resize_accel", "gaussian_filter_accel"],
                {"resize_accel.NEWWIDTH": "48", "MAXDOWNSCALE": "4", "FILTER_WIDTH": "5"})  # fmt: skip
    with pytest.raises(InvalidArgument, match=r"cols: 50 .*xclbin metadata \(.*vision.xclbin\)"):
        resize(GRAY, 20, 50, runtime=rt)
    r = resize(GRAY, 10, 15, runtime=rt)  # 4x smaller: this build allows it
    assert r.backend == "xrt" and r.value.shape == (10, 15)
    with pytest.raises(
        InvalidArgument, match=r"ksize: 3 \(allowed: 5: the FILTER_WIDTH of the xclbin"
    ):
        gaussian_filter(GRAY, runtime=rt)


def test_undeclared_limits_are_the_example_builds_on_a_board_too(xrt):
    with pytest.raises(InvalidArgument, match=r"rows: 19 \(allowed: an int in 20..1080: .*example"):
        resize(GRAY, 19, 30, runtime=xrt)
    with pytest.raises(InvalidArgument, match="GRAY"):
        gaussian_filter(BGR, runtime=xrt)


def test_rectification_helpers():
    r = Rectification.from_calibration(
        K, [0.1, 0.01, 0, 0], np.eye(3), np.hstack([K, np.zeros((3, 1))])
    )
    assert r.dist_coeffs.tolist() == pytest.approx([0.1, 0.01, 0, 0, 0])
    assert np.allclose(r.inverse.reshape(3, 3), np.linalg.inv(K))
    with pytest.raises(ValueError):
        r.inverse[0] = 1  # held read-only
    with pytest.raises(InvalidArgument, match="camera.projection: P"):
        Rectification.from_calibration(K, CAM[1], np.eye(3), np.zeros((3, 4)))

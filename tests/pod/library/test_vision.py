"""Vision functions: the kernels' answers, checked against OpenCV within their known deviation.

The bit-exact checks (model == port of the kernel) are in test_vision_kernels.py;
bad inputs and build limits in test_vision_args.py; the stereo pipeline in
test_vision_stereo.py.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from jupyter_ext.library import color_detect, gaussian_filter, resize, stereo_bm
from jupyter_ext.library.registry import color_scene, natural_gray, stereo_pair
from jupyter_ext.library.vision import VisionBuild
from jupyter_ext.library.vision_opencv import gaussian_vs_opencv, resize_vs_opencv
from jupyter_ext.library.xfcv_gaussian import taps
from jupyter_ext.runtime import InvalidArgument


@pytest.mark.parametrize("ksize,sigma", [(3, 0.5), (5, 0.8333), (7, 1.16666), (5, 2.0)])
def test_gaussian_is_opencv_within_the_kernels_taps(emulated, ksize, sigma):
    # was: within one level of cv2.GaussianBlur; the kernel's 8-bit taps allow more (3x3 0.5: 2)
    img = natural_gray(200, 300, seed=ksize)
    got = gaussian_filter(img, sigma, ksize=ksize, runtime=emulated).value
    want = cv2.GaussianBlur(img, (ksize, ksize), sigma, sigma, borderType=cv2.BORDER_CONSTANT)
    assert got.shape == img.shape and got.dtype == np.uint8
    check = gaussian_vs_opencv(got, want, {"ksize": ksize, "sigma": sigma})
    assert check.ok, check.detail
    # zero border (XF_BORDER_CONSTANT): a white image keeps round(255 * S^2 / 2^16) inside,
    # S the taps' sum, and at the corner only the taps that fall inside the image count
    w = taps(ksize, sigma)
    inside, total = int(w[ksize // 2 :].sum()), int(w.sum())
    white = gaussian_filter(np.full((15, 15), 255, np.uint8), sigma, ksize=ksize, runtime=emulated)
    centre = (255 * total * total + 32768) >> 16
    assert white.value[7, 7] == (centre % 256 if ksize == 3 else min(centre, 255))
    assert white.value[0, 0] == (255 * inside * inside + 32768) >> 16


def test_gaussian_does_not_saturate_like_opencv(emulated):
    """3x3, sigma 0.6: taps 43 171 43 sum to 257, so bright areas wrap to 0 instead of 254."""
    img = np.full((8, 8), 254, np.uint8)
    got = gaussian_filter(img, 0.6, runtime=emulated).value
    assert got[4, 4] == 0 and cv2.GaussianBlur(img, (3, 3), 0.6)[4, 4] == 254
    check = gaussian_vs_opencv(got, cv2.GaussianBlur(img, (3, 3), 0.6, 0.6, borderType=0),
                               {"ksize": 3, "sigma": 0.6})  # fmt: skip
    assert check.ok and "wrapped" in check.detail, check.detail


def test_gaussian_colour_image_needs_an_rgb_build(emulated):
    # was: accepted by default; the example build is GRAY, so colour needs build=RGB
    img = color_scene(64, 80)
    with pytest.raises(InvalidArgument, match=r"img: shape \(64, 80, 3\) \(allowed: HxW: .*GRAY"):
        gaussian_filter(img, 1.0, ksize=5, runtime=emulated)
    rgb = VisionBuild(channels=3)
    got = gaussian_filter(img, 1.0, ksize=5, build=rgb, runtime=emulated).value
    want = cv2.GaussianBlur(img, (5, 5), 1.0, 1.0, borderType=cv2.BORDER_CONSTANT)
    assert got.shape == img.shape
    assert gaussian_vs_opencv(got, want, {"ksize": 5, "sigma": 1.0}).ok


def test_resize_is_opencv_within_the_kernels_fixed_point(emulated):
    # was: within 1 of cv2.resize and 240 -> 100 rows; the build scales down 2x at most
    img = natural_gray(240, 320)
    for rows, cols in ((120, 160), (480, 640), (130, 333)):
        got = resize(img, rows, cols, runtime=emulated).value
        want = cv2.resize(img, (cols, rows), interpolation=cv2.INTER_LINEAR)
        assert got.shape == (rows, cols)
        check = resize_vs_opencv(got, want, {})
        assert check.ok and check.max_error <= 1, check.detail


def test_resize_is_bilinear_on_a_ramp(emulated):
    """Bilinear interpolation reproduces a linear ramp: x' = (x + 0.5) * scale - 0.5."""
    ramp = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (8, 1))  # 8 x 64, value = 4 * x
    got = resize(ramp, 8, 128, runtime=emulated).value.astype(float)
    x_out = np.arange(128)
    x_src = np.clip((x_out + 0.5) * 0.5 - 0.5, 0, 63)
    assert np.abs(got[4, 2:-2] - 4 * x_src[2:-2]).max() <= 1


def test_color_detect_matches_the_vitis_testbench_reference(emulated):
    img = color_scene(300, 400, seed=3)
    got = color_detect(img, runtime=emulated).value
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    ranges = [((22, 150, 60), (38, 255, 255)), ((38, 150, 60), (75, 255, 255)),
              ((160, 150, 60), (179, 255, 255))]  # fmt: skip
    mask = np.zeros(img.shape[:2], np.uint8)
    for lo, hi in ranges:
        mask |= cv2.inRange(hsv, np.array(lo, np.uint8), np.array(hi, np.uint8))
    el = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    want = cv2.erode(mask, el, borderType=cv2.BORDER_CONSTANT)
    want = cv2.dilate(want, el, borderType=cv2.BORDER_CONSTANT)
    want = cv2.dilate(want, el, borderType=cv2.BORDER_CONSTANT)
    want = cv2.erode(want, el, borderType=cv2.BORDER_CONSTANT)
    assert np.array_equal(got, want)  # the testbench demands 0 differing pixels
    assert 0.02 < (got > 0).mean() < 0.6


def test_color_detect_finds_the_colours_asked_for(emulated):
    img = np.full((60, 90, 3), 128, np.uint8)
    img[10:30, 10:30] = (0, 220, 230)  # yellow (BGR)
    img[10:30, 50:70] = (200, 60, 20)  # blue
    default = color_detect(img, runtime=emulated).value
    assert default[20, 20] == 255 and default[20, 60] == 0 and default[50, 45] == 0
    # one custom range (H of blue ~ 108): only the blue square
    blue = color_detect(img, [(100, 150, 60)], [(125, 255, 255)], runtime=emulated).value
    assert blue[20, 60] == 255 and blue[20, 20] == 0
    assert (blue > 0).sum() == pytest.approx(400, abs=40)
    # InAccel's flat layout: three ranges in nine values
    flat = color_detect(img, [100, 150, 60] * 3, [125, 255, 255] * 3, runtime=emulated).value
    assert np.array_equal(flat, blue)


def test_stereo_bm_recovers_a_known_shift(emulated):
    for shift in (5, 12, 20):
        left, right = stereo_pair(120, 200, shift=shift, seed=shift)
        d = stereo_bm(left, right, runtime=emulated).value
        assert d.dtype == np.uint16 and d.shape == (120, 200)
        inner = d[15:-15, 50:-15]  # away from the borders BM cannot match
        valid = inner[inner > 0]
        assert valid.size > 0.8 * inner.size
        assert np.median(valid) == pytest.approx(16 * shift, abs=2)  # disparities are x16
        # the kernel's borders: h rows, the first N - 1 + h and last h columns are 0
        assert not d[:5].any() and not d[-5:].any() and not d[:, :36].any() and not d[:, -5:].any()


def test_stereo_bm_is_opencv_but_for_ties_and_border_rows(emulated):
    # was: equal to cv2.StereoBM; the kernel differs where costs tie and near the first/last rows
    from jupyter_ext.library.vision_opencv import stereo_vs_opencv

    left, right = stereo_pair(180, 240, shift=9, seed=4)
    got = stereo_bm(left, right, runtime=emulated).value
    bm = cv2.StereoBM_create(32, 11)
    bm.setPreFilterCap(31)
    bm.setUniquenessRatio(15)
    bm.setTextureThreshold(20)
    want = bm.compute(left, right)
    check = stereo_vs_opencv(got, want, {"left": left, "right": right})
    assert check.ok, check.detail
    assert (got == np.maximum(want, 0)).mean() > 0.99


def test_vision_bad_input_names_the_field(emulated):
    with pytest.raises(InvalidArgument, match=r"img: dtype float64 \(allowed: uint8 images\)"):
        gaussian_filter(np.zeros((4, 4)), runtime=emulated)
    with pytest.raises(InvalidArgument, match=r"img: shape \(4, 4\) \(allowed: HxWx3\)"):
        color_detect(np.zeros((4, 4), np.uint8), runtime=emulated)
    with pytest.raises(InvalidArgument, match="ksize: 4"):
        gaussian_filter(np.zeros((4, 4), np.uint8), ksize=4, runtime=emulated)
    with pytest.raises(InvalidArgument, match="right: shape"):
        stereo_bm(np.zeros((40, 80), np.uint8), np.zeros((40, 81), np.uint8), runtime=emulated)
    with pytest.raises(InvalidArgument, match="rows: 0"):
        resize(np.zeros((4, 4), np.uint8), 0, 3, runtime=emulated)
    # was "values outside 0..255": now the value and the channel's range are named
    with pytest.raises(InvalidArgument, match=r"low: 300 out of range \(allowed: integers"):
        color_detect(np.zeros((4, 4, 3), np.uint8), [(0, 0, 300)], [(1, 1, 1)], runtime=emulated)

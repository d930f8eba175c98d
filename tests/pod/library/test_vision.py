"""Vision functions against OpenCV called independently, and against geometry we know."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from jupyter_ext.library import color_detect, gaussian_filter, resize, stereo_bm
from jupyter_ext.library.registry import color_scene, natural_gray, stereo_pair
from jupyter_ext.runtime import InvalidArgument


def _numpy_gaussian(img: np.ndarray, ksize: int, sigma: float) -> np.ndarray:
    """Separable Gaussian in float64 with a zero border: the textbook definition."""
    x = np.arange(ksize) - ksize // 2
    w = np.exp(-(x**2) / (2 * sigma**2))
    w /= w.sum()
    r = ksize // 2
    p = np.pad(img.astype(np.float64), r)
    rows = sum(w[i] * p[i : i + img.shape[0], :] for i in range(ksize))  # taps, not pixels
    out = sum(w[i] * rows[:, i : i + img.shape[1]] for i in range(ksize))
    return np.clip(np.rint(out), 0, 255)


@pytest.mark.parametrize("ksize,sigma", [(3, 0.5), (5, 0.8333), (7, 1.16666), (5, 2.0)])
def test_gaussian_matches_opencv_within_one_level(emulated, ksize, sigma):
    img = natural_gray(200, 300, seed=ksize)
    got = gaussian_filter(img, sigma, ksize=ksize, runtime=emulated).value
    want = cv2.GaussianBlur(img, (ksize, ksize), sigma, sigma, borderType=cv2.BORDER_CONSTANT)
    assert got.shape == img.shape and got.dtype == np.uint8
    assert np.abs(got.astype(int) - want).max() <= 1
    exact = np.abs(got - _numpy_gaussian(img, ksize, sigma))
    assert exact.max() <= 1 and (exact > 0).mean() < 0.1
    # zero border (XF_BORDER_CONSTANT): a white image darkens at the corner by the
    # weight that falls outside: 255 * (1 - outside taps)^2, unchanged inside
    white = gaussian_filter(np.full((15, 15), 255, np.uint8), sigma, ksize=ksize, runtime=emulated)
    taps = cv2.getGaussianKernel(ksize, sigma).ravel()
    inside = taps[ksize // 2 :].sum()
    assert white.value[7, 7] == 255
    assert abs(int(white.value[0, 0]) - 255 * inside**2) <= 1


def test_gaussian_colour_image(emulated):
    img = color_scene(64, 80)
    got = gaussian_filter(img, 1.0, ksize=5, runtime=emulated).value
    want = cv2.GaussianBlur(img, (5, 5), 1.0, 1.0, borderType=cv2.BORDER_CONSTANT)
    assert got.shape == img.shape and np.abs(got.astype(int) - want).max() <= 1


def test_resize_matches_opencv(emulated):
    img = natural_gray(240, 320)
    for rows, cols in ((120, 160), (480, 640), (100, 333)):
        got = resize(img, rows, cols, runtime=emulated).value
        want = cv2.resize(img, (cols, rows), interpolation=cv2.INTER_LINEAR)
        assert got.shape == (rows, cols)
        assert np.abs(got.astype(int) - want).max() <= 1


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


def test_stereo_bm_recovers_a_known_shift(emulated):
    for shift in (5, 12, 20):
        left, right = stereo_pair(120, 200, shift=shift, seed=shift)
        d = stereo_bm(left, right, runtime=emulated).value
        assert d.dtype == np.uint16 and d.shape == (120, 200)
        inner = d[15:-15, 50:-15]  # away from the borders BM cannot match
        valid = inner[inner > 0]
        assert valid.size > 0.8 * inner.size
        assert np.median(valid) == pytest.approx(16 * shift, abs=2)  # disparities are x16


def test_stereo_bm_matches_opencv_with_the_testbench_settings(emulated):
    left, right = stereo_pair(180, 240, shift=9, seed=4)
    got = stereo_bm(left, right, runtime=emulated).value
    bm = cv2.StereoBM_create(32, 11)
    bm.setPreFilterCap(31)
    bm.setUniquenessRatio(15)
    bm.setTextureThreshold(20)
    want = bm.compute(left, right)
    want[want < 0] = 0
    assert np.array_equal(got, want.astype(np.uint16))


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
    with pytest.raises(InvalidArgument, match="low: values outside 0..255"):
        color_detect(np.zeros((4, 4, 3), np.uint8), [(0, 0, 300)], [(1, 1, 1)], runtime=emulated)

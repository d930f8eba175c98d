"""The library's answers against OpenCV: different where the kernels are, and only there.

OpenCV is what Vitis Vision ports; each kernel's known deviation from it
(jupyter_ext/library/vision_opencv.py) must hold on every input, and the
checks must catch an answer outside it.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from jupyter_ext.library import color_detect, gaussian_filter, resize, stereo_bm
from jupyter_ext.library.references import stereo_bm_reference
from jupyter_ext.library.registry import color_scene, natural_gray, stereo_pair
from jupyter_ext.library.vision_opencv import (
    color_detect_vs_opencv,
    gaussian_tolerance,
    gaussian_vs_opencv,
    resize_vs_opencv,
    stereo_vs_opencv,
)
from jupyter_ext.library.xfcv_color import bgr2hsv

RNG = np.random.default_rng(7)
IMAGES = {
    "scene": natural_gray(120, 160, seed=1),
    "noise": RNG.integers(0, 256, (90, 110), dtype=np.uint8),
    "bright": np.clip(natural_gray(80, 80, seed=2).astype(int) + 140, 0, 255).astype(np.uint8),
    "binary": (RNG.integers(0, 2, (64, 96)) * 255).astype(np.uint8),
}


@pytest.mark.parametrize("ksize", [3, 5, 7])
@pytest.mark.parametrize("sigma", [0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0])
def test_gaussian_within_the_taps_deviation(emulated, ksize, sigma):
    for name, img in IMAGES.items():
        got = gaussian_filter(img, sigma, ksize=ksize, runtime=emulated).value
        want = cv2.GaussianBlur(img, (ksize, ksize), sigma, sigma, borderType=cv2.BORDER_CONSTANT)
        check = gaussian_vs_opencv(got, want, {"ksize": ksize, "sigma": sigma})
        assert check.ok, (name, check.detail)


def test_gaussian_deviation_at_the_library_default(emulated):
    """3x3, sigma 0.5: taps 27 201 27 (sum 255) darken most pixels by 1 or 2 levels."""
    img = IMAGES["scene"]
    got = gaussian_filter(img, runtime=emulated).value.astype(int)
    want = cv2.GaussianBlur(img, (3, 3), 0.5, 0.5, borderType=cv2.BORDER_CONSTANT).astype(int)
    assert (got - want).max() <= 0 and (want - got).max() == 2
    assert (got != want).mean() > 0.8 and gaussian_tolerance(3, 0.5) == 3
    # 7x7, sigma 1.5: taps sum to 253, up to 6 levels darker
    got7 = gaussian_filter(img, 1.5, ksize=7, runtime=emulated).value.astype(int)
    want7 = cv2.GaussianBlur(img, (7, 7), 1.5, 1.5, borderType=cv2.BORDER_CONSTANT).astype(int)
    assert 5 <= np.abs(got7 - want7).max() <= gaussian_tolerance(7, 1.5) == 7


def test_resize_within_two_levels(emulated):
    for name, img in IMAGES.items():
        for f in (0.5, 0.7, 1.0, 1.6, 3.1):
            g = f if f < 0.6 else f * 0.9  # the build scales down 2x at most
            rows, cols = max(2, round(img.shape[0] * f)), max(1, round(img.shape[1] * g))
            rows, cols = min(rows, 1080), min(cols, 1920)
            got = resize(img, rows, cols, runtime=emulated).value
            want = cv2.resize(img, (cols, rows), interpolation=cv2.INTER_LINEAR)
            check = resize_vs_opencv(got, want, {})
            assert check.ok, (name, f, check.detail)


def test_kernel_hsv_is_opencvs():
    colours = RNG.integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    assert np.array_equal(bgr2hsv(colours), cv2.cvtColor(colours, cv2.COLOR_BGR2HSV))


def test_color_detect_is_opencvs(emulated):
    from jupyter_ext.library.references import color_detect_reference

    for seed in range(3):
        img = color_scene(120, 160, seed=seed)
        got = color_detect(img, runtime=emulated).value
        assert color_detect_vs_opencv(got, color_detect_reference(img), {}).ok


def _layered(rows: int, cols: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Textured background at disparity 6 with two nearer layers (14 and 23), noisy."""
    r = np.random.default_rng(seed)

    def texture(h: int, w: int) -> np.ndarray:
        coarse = r.normal(128, 40, (h // 4 + 2, w // 4 + 2))
        return cv2.resize(coarse, (w + 8, h + 8), interpolation=cv2.INTER_CUBIC)[:h, :w] + r.normal(
            0, 12, (h, w))  # fmt: skip

    bg = texture(rows, cols + 40)
    left, right = bg[:, :cols].copy(), bg[:, 6 : 6 + cols].copy()
    for d, y0, x0, h, w in ((14, rows // 5, cols // 3, rows // 2, cols // 4),
                            (23, rows // 2, 2 * cols // 3, rows // 3, cols // 5)):  # fmt: skip
        t = texture(h, w)
        left[y0 : y0 + h, x0 : x0 + w] = t
        right[y0 : y0 + h, x0 - d : x0 - d + w] = t
    noisy = [np.clip(v + r.normal(0, 4, v.shape), 0, 255).astype(np.uint8) for v in (left, right)]
    return noisy[0], noisy[1]


STEREO_SETTINGS = [{}, {"texture_threshold": 0, "uniqueness_ratio": 0},
                   {"pre_filter_cap": 63, "uniqueness_ratio": 5, "texture_threshold": 5}]  # fmt: skip


@pytest.mark.parametrize("settings", STEREO_SETTINGS, ids=["default", "no-filters", "cap63"])
def test_stereo_bm_differs_from_opencv_only_at_ties_and_border_rows(emulated, settings):
    noise = RNG.integers(0, 256, (60, 120), dtype=np.uint8)
    binary = (RNG.integers(0, 2, (60, 120)) * 255).astype(np.uint8)
    pairs = [_layered(120, 200, s) for s in range(2)] + [
        stereo_pair(96, 128, shift=8),
        (noise, np.clip(np.roll(noise, -5, 1) + RNG.integers(-20, 20, noise.shape), 0, 255)
         .astype(np.uint8)),
        (binary, np.roll(binary, -4, 1)),
    ]  # fmt: skip
    for left, right in pairs:
        got = stereo_bm(left, right, runtime=emulated, **settings).value
        want = stereo_bm_reference(left, right, **settings)
        check = stereo_vs_opencv(got, want, {"left": left, "right": right, **settings})
        assert check.ok, check.detail


def test_the_checks_catch_an_answer_outside_the_deviation(emulated):
    img = IMAGES["scene"]
    blur = gaussian_filter(img, runtime=emulated).value.copy()
    want = cv2.GaussianBlur(img, (3, 3), 0.5, 0.5, borderType=cv2.BORDER_CONSTANT)
    blur[60, 80] = want[60, 80] + 4
    assert not gaussian_vs_opencv(blur, want, {}).ok
    small = resize(img, 60, 80, runtime=emulated).value.copy()
    small[30, 40] = (int(small[30, 40]) + 5) % 256
    assert not resize_vs_opencv(small, cv2.resize(img, (80, 60)), {}).ok
    left, right = stereo_pair(96, 128, shift=8)
    disp = stereo_bm(left, right, runtime=emulated).value.copy()
    disp[48, 64] += 7  # inside the valid window, no tie there
    assert not stereo_vs_opencv(disp, stereo_bm_reference(left, right),
                                {"left": left, "right": right}).ok  # fmt: skip

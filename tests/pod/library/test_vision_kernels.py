"""The emulation computes what the kernels compute: each CPU model against a port of the kernel.

The models (jupyter_ext/library/xfcv_*.py) are vectorised; the ports
(tests/support/kernel_ports_vision.py) walk the kernels' loops one pixel at a
time. Every comparison asks for identical pixels, on real photographs
(scikit-image's bundled data files: tests/support/photos.py), textured scenes,
random noise and the cases where the kernels' arithmetic bites (saturation,
wrap, ties, borders, window limits). The ports are slow, so photographs are
compared in crops; the models alone also run on whole photographs below.
"""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_ext.library import xfcv_color, xfcv_gaussian, xfcv_rectify, xfcv_resize, xfcv_stereo
from jupyter_ext.library.registry import color_scene, natural_gray, stereo_pair
from jupyter_ext.library.vision_build import DEFAULTS, PIPELINE_KERNEL
from jupyter_ext.library.vision_stereo import Rectification, pipeline_model
from tests.support import kernel_ports_vision as port
from tests.support import photos

RNG = np.random.default_rng(20240)


def _noise(*shape: int) -> np.ndarray:
    return RNG.integers(0, 256, shape, dtype=np.uint8)


GRAY = {
    "scene": natural_gray(23, 31, seed=2),
    "noise": _noise(17, 19),
    "white": np.full((9, 12), 255, np.uint8),
    "bright": np.clip(natural_gray(13, 15, seed=5).astype(int) + 150, 0, 255).astype(np.uint8),
    "checker": (np.indices((12, 14)).sum(0) % 2 * 255).astype(np.uint8),
}


@pytest.mark.parametrize("ksize,sigma", [(3, 0.5), (3, 0.6), (3, 0.3), (5, 0.8333), (5, 2.0),
                                         (7, 1.5), (7, 1.16666), (7, 4.0)])  # fmt: skip
def test_gaussian_taps_and_pixels_are_the_kernels(ksize, sigma):
    assert xfcv_gaussian.taps(ksize, sigma).tolist() == port.gaussian_taps(ksize, sigma)
    for name, img in GRAY.items():
        got = xfcv_gaussian.gaussian(img, ksize, sigma)
        assert np.array_equal(got, port.gaussian(img, ksize, sigma)), name
    rgb = color_scene(11, 13, seed=ksize)
    assert np.array_equal(
        xfcv_gaussian.gaussian(rgb, ksize, sigma), port.gaussian(rgb, ksize, sigma)
    )


def test_gaussian_taps_sum_is_not_256():
    sums = {(k, s): int(xfcv_gaussian.taps(k, s).sum()) for k in (3, 5, 7)
            for s in np.linspace(0.3, 3.0, 28)}  # fmt: skip
    assert min(sums.values()) >= 253 and max(sums.values()) <= 257
    assert {253, 255, 257} <= set(sums.values())


@pytest.mark.parametrize("size_in,size_out", [((24, 32), (12, 16)), ((24, 32), (48, 64)),
                                              ((20, 30), (13, 17)), ((7, 9), (30, 5)),
                                              ((2, 5), (9, 9)), ((31, 17), (16, 9)),
                                              ((5, 40), (3, 21)), ((3, 3), (40, 40)),
                                              ((26, 18), (13, 9))])  # fmt: skip
def test_resize_is_the_kernels_streaming_loop(size_in, size_out):
    for img in (natural_gray(*size_in), _noise(*size_in), _noise(*size_in, 3)):
        got = xfcv_resize.resize(img, *size_out)
        assert np.array_equal(got, port.resize(img, *size_out)), img.shape


def test_hsv_is_the_kernels_on_random_colours():
    colours = _noise(256, 256, 3)
    got = xfcv_color.bgr2hsv(colours)
    want = [port.hsv_pixel(*map(int, c)) for c in colours.reshape(-1, 3)]
    assert np.array_equal(got.reshape(-1, 3), np.array(want))


LOW = np.array([22, 150, 60, 38, 150, 60, 160, 150, 60], np.uint8)
HIGH = np.array([38, 255, 255, 75, 255, 255, 179, 255, 255], np.uint8)


@pytest.mark.parametrize("rect,shape", [(True, [1] * 9), (True, [0, 1, 0, 1, 1, 1, 0, 1, 0]),
                                        (False, [0, 1, 0, 1, 1, 1, 0, 1, 0]),
                                        (False, [1, 0, 0, 0, 1, 0, 0, 0, 2])])  # fmt: skip
def test_color_detect_is_the_kernels(rect, shape):
    el = np.array(shape, np.uint8)
    for img in (color_scene(20, 24, seed=2), _noise(11, 13, 3)):
        got = xfcv_color.color_detect(img, LOW, HIGH, el, rectangular=rect)
        assert np.array_equal(got, port.color_detect(img, LOW, HIGH, el, rectangular=rect))


def _pair(kind: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    if kind == "shift":
        return stereo_pair(rows, cols, shift=6, seed=rows)
    if kind == "noise":
        return _noise(rows, cols), _noise(rows, cols)
    flat = np.tile((np.arange(cols) * 6 % 256).astype(np.uint8), (rows, 1))  # many equal costs
    return flat, np.roll(flat, -3, axis=1)


STEREO_CASES = [  # (pair, cap, uniqueness, texture, window, disparities, units)
    ("shift", 31, 15, 20, 5, 16, 8), ("noise", 20, 30, 5, 5, 16, 4), ("ramp", 63, 50, 0, 7, 8, 1),
    ("ramp", 31, 0, 10, 5, 16, 16), ("shift", 31, 15, 20, 11, 32, 32),
]  # fmt: skip


@pytest.mark.parametrize("case", STEREO_CASES, ids=lambda c: "-".join(map(str, c)))
def test_stereo_bm_is_the_kernels_sweeps(case):
    kind, cap, ur, tt, w, n, u = case
    rows, cols = (24, 60) if w == 11 else (18, 44)
    left, right = _pair(kind, rows, cols)
    prm = xfcv_stereo.BMParams(cap, ur, tt, w, n, u)
    got = xfcv_stereo.disparity(left, right, prm)
    want = port.stereo_bm(left, right, cap, ur, tt, w=w, ndisp=n, units=u)
    assert np.array_equal(got, want)
    assert got.any() or kind == "noise"


def test_stereo_bm_window_sums_past_16_bits_are_the_kernels():
    # 2 cap W^2 >= 65535: the model sums windows in int32, not uint16 (a wide window, cap 63),
    # and its sub-pixel step keeps the wrap steps
    left, right = _pair("shift", 26, 44)
    prm = xfcv_stereo.BMParams(63, 15, 0, 23, 8, 8)
    got = xfcv_stereo.disparity(left, right, prm)
    want = port.stereo_bm(left, right, 63, 15, 0, w=23, ndisp=8, units=8)
    assert np.array_equal(got, want)
    assert got.any()


def _rig(rows: int, cols: int):
    import cv2

    f = 0.75 * cols
    k1 = np.array([[f, 0, cols / 2 + 3.3], [0, f * 1.001, rows / 2 - 2.1], [0, 0, 1]])
    k2 = np.array([[f * 1.002, 0, cols / 2 - 4.7], [0, f, rows / 2 + 1.6], [0, 0, 1]])
    d1 = np.array([-0.17, 0.023, 0.001, -0.0005, 0.002])
    rot, _ = cv2.Rodrigues(np.array([0.004, 0.02, -0.003]))
    r1, r2, p1, p2, *_ = cv2.stereoRectify(k1, d1, k2, d1 * 1.05, (cols, rows), rot,
                                           np.array([[-0.12], [0.002], [0.001]]), alpha=0)  # fmt: skip
    return (Rectification.from_calibration(k1, d1, r1, p1),
            Rectification.from_calibration(k2, d1 * 1.05, r2, p2))  # fmt: skip


def test_rectification_maps_and_remap_are_the_kernels():
    rows, cols = 30, 48
    cam = _rig(rows, cols)[0]
    mx, my = xfcv_rectify.maps(cam.fixed(), rows, cols)
    px, py = port.rectify_maps(cam.camera_matrix, cam.dist_coeffs, cam.inverse, rows, cols)
    assert np.array_equal(mx, px) and np.array_equal(my, py)
    img = natural_gray(rows, cols, seed=9)
    for window in (128, 16, 8, 4):  # small windows: the row limits and the stale lower row
        got = xfcv_rectify.remap(img, mx, my, window)
        assert np.array_equal(got, port.remap(img, mx, my, window)), window
    # a map that reaches far up and down, and past the right and bottom edges
    wild_x = np.clip(mx + RNG.integers(-200, 300, mx.shape), -64, 32 * cols + 64)
    wild_y = np.clip(my + RNG.integers(-300, 300, my.shape), -64, 32 * rows + 64)
    for window in (128, 8):
        got = xfcv_rectify.remap(img, wild_x, wild_y, window)
        assert np.array_equal(got, port.remap(img, wild_x, wild_y, window)), window


def test_rectification_fixed_point_at_the_ends_of_its_range():
    rows, cols = 6, 9
    matrix = np.array([2047.9, 0, -2047.5, 0, 1900.0, 2000.0, 0, 0, 1], np.float32)
    dist = np.array([1500.0, -1700.0, 900.0, -1000.0, 1999.0], np.float32)
    inv = np.array([1800.0, -5.5, -2047.0, 3.25, 1234.5, 7.0, 0.5, -0.25, 1.5], np.float32)
    cam = xfcv_rectify.Camera.from_floats(matrix, dist, inv)
    mx, my = xfcv_rectify.maps(cam, rows, cols)
    px, py = port.rectify_maps(matrix, dist, inv, rows, cols)
    assert np.array_equal(mx, px) and np.array_equal(my, py)


def test_stereo_pipeline_is_the_kernels():
    rows, cols = 36, 90
    cams = _rig(rows, cols)
    left, right = stereo_pair(rows, cols, shift=8, seed=1)
    prm = xfcv_stereo.BMParams(31, 15, 20, 15, 48, 16)
    build = DEFAULTS[PIPELINE_KERNEL]
    got = pipeline_model(left, right, cams, prm, build)
    raw = [(c.camera_matrix, c.dist_coeffs, c.inverse) for c in cams]
    assert np.array_equal(got, port.stereo_pipeline(left, right, raw))
    assert got.any()


# --- real photographs ---------------------------------------------------------------------


@pytest.mark.parametrize("name", photos.GRAY)
def test_gaussian_and_resize_on_gray_photographs_are_the_kernels(name):
    img = photos.crop(photos.photo(name), 40, 56)
    for ksize, sigma in ((3, 0.5), (3, 2.0), (5, 1.0), (7, 1.5)):
        got = xfcv_gaussian.gaussian(img, ksize, sigma)
        assert np.array_equal(got, port.gaussian(img, ksize, sigma)), (ksize, sigma)
    for size in ((20, 28), (27, 37), (40, 56)):
        assert np.array_equal(xfcv_resize.resize(img, *size), port.resize(img, *size)), size


@pytest.mark.parametrize("name", photos.COLOUR)
def test_colour_photographs_are_the_kernels(name):
    img = photos.crop(photos.photo(name, colour=True), 24, 32)
    assert np.array_equal(xfcv_gaussian.gaussian(img, 3, 0.8), port.gaussian(img, 3, 0.8))
    assert np.array_equal(xfcv_resize.resize(img, 13, 17), port.resize(img, 13, 17))
    got = xfcv_color.color_detect(img, LOW, HIGH, np.ones(9, np.uint8))
    assert np.array_equal(got, port.color_detect(img, LOW, HIGH, np.ones(9, np.uint8)))
    hsv = xfcv_color.bgr2hsv(img)
    want = [port.hsv_pixel(*map(int, c)) for c in img.reshape(-1, 3)]
    assert np.array_equal(hsv.reshape(-1, 3), np.array(want))


def test_stereo_bm_on_the_middlebury_pair_is_the_kernels():
    left, right = photos.stereo()
    at = (0.55, 0.5)
    lc, rc = photos.crop(left, 26, 96, at), photos.crop(right, 26, 96, at)
    got = xfcv_stereo.disparity(lc, rc, xfcv_stereo.BMParams())
    assert np.array_equal(got, port.stereo_bm(lc, rc))
    assert got.any()  # the motorcycle is textured: most pixels find a match


def test_whole_photographs_run_in_bands_as_in_one(monkeypatch):
    """The models split rows across cores: every band count gives the same pixels."""
    from jupyter_ext.library import jit

    img = photos.photo("camera.png")
    left, right = photos.stereo()
    runs = []
    for min_band_ns in (jit.MIN_BAND_NS, 1):  # the default, then one band per core always
        monkeypatch.setattr(jit, "MIN_BAND_NS", min_band_ns)
        runs.append((xfcv_gaussian.gaussian(img, 5, 1.0), xfcv_resize.resize(img, 300, 400),
                     xfcv_stereo.disparity(left, right, xfcv_stereo.BMParams())))  # fmt: skip
    for one, many in zip(*runs, strict=True):
        assert np.array_equal(one, many)

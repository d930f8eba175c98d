"""Emulation gives the board's answer: the stand-in board (running ports of the kernels) agrees.

The stand-in device (tests/support/fake_pyxrt) computes each vision kernel
with tests/support/kernel_ports_vision.py from the raw bytes the XRT backend
puts in device memory; the emulation runs the library's models. Same pixels.
"""

from __future__ import annotations

import numpy as np

from jupyter_ext.library import color_detect, gaussian_filter, resize, stereo_bm
from jupyter_ext.library.registry import color_scene, natural_gray, stereo_pair


def _same(a, b) -> bool:
    return a.backend == "xrt" and b.emulated and np.array_equal(np.asarray(a.value), b.value)


def test_gaussian_board_and_emulation_agree(xrt, emulated):
    for img, sigma in ((natural_gray(30, 41), 0.5), (np.full((12, 14), 254, np.uint8), 0.6),
                       (natural_gray(9, 70, seed=3), 1.7)):  # fmt: skip
        assert _same(
            gaussian_filter(img, sigma, runtime=xrt), gaussian_filter(img, sigma, runtime=emulated)
        )


def test_resize_board_and_emulation_agree(xrt, emulated):
    img = natural_gray(33, 47)
    for rows, cols in ((17, 24), (70, 90), (33, 47), (20, 61)):
        assert _same(
            resize(img, rows, cols, runtime=xrt), resize(img, rows, cols, runtime=emulated)
        )


def test_color_detect_board_and_emulation_agree(xrt, emulated):
    img = color_scene(40, 52, seed=5)
    ranges = ([0, 0, 0, 100, 150, 60, 22, 150, 60], [10, 255, 255, 125, 255, 255, 38, 255, 255])
    for low, high in ((None, None), ranges):
        a = color_detect(img, low, high, runtime=xrt)
        assert _same(a, color_detect(img, low, high, runtime=emulated)) and a.value.any()


def test_stereo_bm_board_and_emulation_agree(xrt, emulated):
    left, right = stereo_pair(40, 90, shift=7, seed=2)
    for kw in ({}, {"pre_filter_cap": 63, "uniqueness_ratio": 0, "texture_threshold": 2}):
        a = stereo_bm(left, right, runtime=xrt, **kw)
        assert _same(a, stereo_bm(left, right, runtime=emulated, **kw)) and a.value.any()

"""Real photographs for the kernel tests: the ones scikit-image's wheel ships as data files.

Why these: the emulation must match the kernels on natural images (sensor noise,
saturated highlights, flat regions, fine texture), not only on synthetic scenes.
scikit-image bundles public-domain and CC0 photographs inside its wheel (no download at
test time); only its files are read here, with OpenCV, never its code. The
motorcycle pair is a rectified stereo pair from the Middlebury 2014 dataset.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

GRAY = ("camera.png", "moon.png", "text.png")  # 8-bit grayscale photographs
COLOUR = ("astronaut.png", "coffee.png", "chelsea.png")  # RGB photographs, returned as BGR
STEREO = ("motorcycle_left.png", "motorcycle_right.png")


def _data_dir() -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("scikit-image (the test extra) provides the photographs")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def photo(name: str, colour: bool = False) -> np.ndarray:
    """A photograph as uint8: grayscale (HxW) or BGR (HxWx3, OpenCV's order, as the kernels')."""
    import cv2

    path = _data_dir() / name
    img = cv2.imread(str(path), cv2.IMREAD_COLOR if colour else cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise FileNotFoundError(path)
    return img


def crop(img: np.ndarray, rows: int, cols: int, at: tuple[float, float] = (0.4, 0.4)) -> np.ndarray:
    """A ``rows`` x ``cols`` window of ``img`` whose top left is at fractions ``at`` of its size."""
    y = int((img.shape[0] - rows) * at[0])
    x = int((img.shape[1] - cols) * at[1])
    return np.ascontiguousarray(img[y : y + rows, x : x + cols])


def stereo() -> tuple[np.ndarray, np.ndarray]:
    """The Middlebury motorcycle pair, grayscale, rectified (as block matching needs)."""
    left, right = (photo(n) for n in STEREO)
    return left, right

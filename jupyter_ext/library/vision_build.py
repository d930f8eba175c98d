"""What each vision kernel was built for: image limits and the parameters fixed at build time.

Why this exists: a Vitis vision kernel is compiled for a maximum image size,
a channel count and fixed filter/search sizes (``xf_config_params.h``). A call
outside those limits does not fail cleanly on a board -- the kernel reads or
writes past its buffers, hangs, or answers for another configuration -- so
the library refuses it before anything runs, on a board and in emulation.

Where the numbers come from, first that applies:

1. the xclbin the call will run from, when it says: its key-value metadata
   (``xclbinutil --add-key-value USER:KEY:VALUE``) holds ``<kernel>.<MACRO>`` or
   ``<MACRO>`` entries named after the build macros (``HEIGHT``, ``WIDTH``,
   ``NEWHEIGHT``, ``NEWWIDTH``, ``MAXDOWNSCALE``, ``CHANNELS`` (1 or 3; ``RGB=1``
   also means 3), ``FILTER_WIDTH``, ``SAD_WINDOW_SIZE``, ``NO_OF_DISPARITIES``,
   ``PARALLEL_UNITS``, ``MAXCOLORS``, ``FILTER_SIZE``, ``KERNEL_SHAPE``,
   ``XF_REMAP_BUFSIZE``; ``XF_HEIGHT``/``XF_WIDTH`` for ``HEIGHT``/``WIDTH``);
2. the ``build=`` a caller passes (what an emulated call should assume);
3. the Vitis Libraries example builds (L2, L3 for color detection and the
   stereo pipeline), listed in :data:`DEFAULTS`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..runtime.base import Backend, InvalidArgument
from . import xclbin_keys

GAUSSIAN_KERNEL = "gaussian_filter_accel"
RESIZE_KERNEL = "resize_accel"
COLOR_KERNEL = "color_detect"
STEREO_KERNEL = "stereolbm_accel"
PIPELINE_KERNEL = "stereopipeline_accel"

SHAPES = {0: "rectangle", 1: "ellipse", 2: "cross"}  # XF_SHAPE_RECT / ELLIPSE / CROSS
DEFAULT_SOURCE = "Vitis Libraries example build"


@dataclass(frozen=True)
class VisionBuild:
    """One kernel's build configuration. Fields a kernel does not use are ignored.

    ``filter_width`` 0 means "not declared": the Gaussian then takes the
    caller's ``ksize`` as the width the xclbin was built with.
    """

    max_rows: int = 2160  # HEIGHT
    max_cols: int = 3840  # WIDTH
    channels: int = 1  # GRAY (1) or RGB (3)
    filter_width: int = 0  # Gaussian FILTER_WIDTH
    max_out_rows: int = 1080  # resize NEWHEIGHT
    max_out_cols: int = 1920  # resize NEWWIDTH
    max_downscale: int = 2  # resize MAXDOWNSCALE
    window: int = 11  # SAD_WINDOW_SIZE
    disparities: int = 32  # NO_OF_DISPARITIES
    units: int = 32  # PARALLEL_UNITS
    colors: int = 3  # MAXCOLORS
    filter_size: int = 3  # color detect FILTER_SIZE
    shape: int = 0  # KERNEL_SHAPE: 0 rectangle (process_shape ignored), 1 ellipse, 2 cross
    remap_rows: int = 128  # XF_REMAP_BUFSIZE
    source: str = DEFAULT_SOURCE

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name != "source" and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise InvalidArgument(f"build.{f.name}", repr(v), "a non-negative int")
        _check(self.channels in (1, 3), "channels", self.channels, "1 (GRAY) or 3 (RGB)")
        _check(self.filter_width in (0, 3, 5, 7), "filter_width", self.filter_width, "3, 5, 7")
        _check(self.window % 2 == 1 and self.window >= 5, "window", self.window, "odd, >= 5")
        _check(self.units >= 1 and self.disparities % self.units == 0, "units", self.units,
               f"a divisor of disparities ({self.disparities})")  # fmt: skip
        _check(self.disparities >= 2, "disparities", self.disparities, ">= 2")
        _check(self.filter_size % 2 == 1, "filter_size", self.filter_size, "odd")
        _check(self.shape in SHAPES, "shape", self.shape, "0 (rectangle), 1, 2")
        _check(self.remap_rows % 2 == 0 and self.remap_rows >= 2, "remap_rows",
               self.remap_rows, "even, >= 2")  # fmt: skip
        for name in ("max_rows", "max_cols", "max_out_rows", "max_out_cols", "max_downscale",
                     "colors"):  # fmt: skip
            _check(getattr(self, name) >= 1, name, getattr(self, name), ">= 1")


def _check(ok: bool, name: str, value: Any, allowed: str) -> None:
    if not ok:
        raise InvalidArgument(f"build.{name}", repr(value), allowed)


# The example builds' xf_config_params.h / *_config.h (Vitis Libraries 2020.2).
DEFAULTS: dict[str, VisionBuild] = {
    GAUSSIAN_KERNEL: VisionBuild(max_rows=2160, max_cols=3840, channels=1),
    RESIZE_KERNEL: VisionBuild(
        max_rows=2160,
        max_cols=3840,
        channels=1,
        max_out_rows=1080,
        max_out_cols=1920,
        max_downscale=2,
    ),  # fmt: skip
    COLOR_KERNEL: VisionBuild(
        max_rows=2160, max_cols=3840, channels=3, colors=3, filter_size=3, shape=0
    ),  # fmt: skip
    STEREO_KERNEL: VisionBuild(max_rows=1080, max_cols=1920, window=11, disparities=32, units=32),
    PIPELINE_KERNEL: VisionBuild(
        max_rows=1080, max_cols=1920, window=15, disparities=48, units=16, remap_rows=128
    ),  # fmt: skip
}

_KEYS = {
    "HEIGHT": "max_rows", "XF_HEIGHT": "max_rows", "WIDTH": "max_cols", "XF_WIDTH": "max_cols",
    "CHANNELS": "channels", "FILTER_WIDTH": "filter_width", "NEWHEIGHT": "max_out_rows",
    "NEWWIDTH": "max_out_cols", "MAXDOWNSCALE": "max_downscale", "SAD_WINDOW_SIZE": "window",
    "NO_OF_DISPARITIES": "disparities", "PARALLEL_UNITS": "units", "MAXCOLORS": "colors",
    "FILTER_SIZE": "filter_size", "KERNEL_SHAPE": "shape", "XF_REMAP_BUFSIZE": "remap_rows",
}  # fmt: skip


def from_keyvalues(kernel: str, pairs: tuple[tuple[str, str], ...], where: str) -> dict[str, int]:
    """The build fields an xclbin's key-value metadata declares for ``kernel``.

    ``<kernel>.<MACRO>`` wins over a bare ``<MACRO>`` (which an xclbin holding
    one kernel may use). Unknown keys are someone else's and are ignored.
    """
    found: dict[str, int] = {}
    for name, (key, value) in xclbin_keys.for_kernel(kernel, pairs).items():
        if name in ("RGB", "GRAY"):
            field, raw = "channels", ("3" if (name == "RGB") == (value.strip() == "1") else "1")
        elif name in _KEYS:
            field, raw = _KEYS[name], value
        else:
            continue
        try:
            found[field] = int(raw.strip(), 0)
        except ValueError:
            raise InvalidArgument(f"{where}: {key}", repr(value), "an integer") from None
    return found


def xclbin_build(kernel: str, path: str, base: VisionBuild) -> VisionBuild:
    """``base`` with whatever the xclbin at ``path`` declares for ``kernel``."""
    pairs = xclbin_keys.keyvalues(path)
    declared = from_keyvalues(kernel, pairs, f"xclbin {Path(path).name}")
    if not declared:
        return base
    try:
        return replace(base, **declared, source=f"xclbin metadata ({path})")
    except InvalidArgument as exc:
        raise InvalidArgument(f"xclbin {Path(path).name}", str(exc)) from None


def resolve(kernel: str, runtime: Backend, given: VisionBuild | None = None) -> VisionBuild:
    """The build ``kernel`` has where ``runtime`` will run it (see the module docstring)."""
    if given is not None and not isinstance(given, VisionBuild):
        raise InvalidArgument("build", repr(given), "a VisionBuild or None")
    base = DEFAULTS[kernel]
    if given is not None:
        base = given if given.source != DEFAULT_SOURCE else replace(given, source="build= argument")
    where = getattr(runtime, "where", None)
    if where is None:
        return base
    w = where(kernel)
    if w.hardware and w.xclbin:
        return xclbin_build(kernel, w.xclbin, base)
    return base

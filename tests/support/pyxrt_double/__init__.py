"""A test double of XRT's ``pyxrt``: the real module's surface, generated; a fake device behind it.

``load()`` returns a fresh module whose names, classes, overloads, docstrings,
enum values and argument refusals are those of XRT 2.25's own binding, read
into ``surface.json`` by ``generate.py`` (and checked against the real module
by ``tests/xrt/test_pyxrt_double_drift.py``). Behind that surface sit one or
more fake devices (``board.py``, ``device.py``, ``runs.py``): buffers with
separate host and device memory, kernels that compute with the functions in
``tests/support/fake_pyxrt/kernels.py``, and runs that hang or fail where a
board would (``kernel_rules.py``). ``load(xrt="2022.1")`` gives the pyxrt of
XRT 2022.1 to 2023.1 (``variants.py``).

Beyond the real module's names the double has exactly these test hooks:
``CALLS`` (every device-visible call as ``(name, details)``), ``COPIES``
(explicit ``bo.write``/``bo.read`` copies), ``BEHAVIOUR`` (device count,
name, BDF, forced end states) and ``_double`` (the board: device memory,
trace, hangs).

Regenerate the surface after an XRT upgrade (as root)::

    chroot /var/cache/jupyterhub-fpga/xrt-trixie python3 - \\
        < tests/support/pyxrt_double/generate.py > tests/support/pyxrt_double/surface.json

The module is never put on ``sys.path``: other test areas in the same session
must keep seeing "no pyxrt". :func:`install_on_path` makes ``import pyxrt``
find a double for one test.
"""

from __future__ import annotations

import functools
import json
import sys
import types
from pathlib import Path
from typing import Any

from . import generate, variants
from .board import BDF, PLATFORM, Behaviour, Board, BoardHang, FakeKernel
from .build import Builder
from .device import device_behaviour
from .runs import run_behaviour

HERE = Path(__file__).resolve().parent
SURFACE = HERE / "surface.json"
HOOKS = ("CALLS", "COPIES", "BEHAVIOUR", "_double")

__all__ = ["BDF", "HOOKS", "PLATFORM", "SURFACE", "Behaviour", "BoardHang", "FakeKernel", "generate",
           "install_on_path", "load", "surface", "write_xclbins"]  # fmt: skip


@functools.lru_cache(maxsize=4)
def _surface_text(xrt: str) -> str:
    return json.dumps(variants.derive(json.loads(SURFACE.read_text()), xrt))


def surface(xrt: str = "2.25") -> dict[str, Any]:
    """The surface of XRT release ``xrt`` (a fresh copy)."""
    return json.loads(_surface_text(xrt))  # type: ignore[no-any-return]


def load(devices: int = 1, *, xrt: str = "2.25", compute: bool = True,
         trace: bool = False) -> types.ModuleType:  # fmt: skip
    """A fresh double with ``devices`` fake boards.

    ``compute=False`` runs no kernel function (only the contracts are judged),
    for environments without the kernels' dependencies (the real-XRT tier has
    no scipy). ``trace=True`` records every call with its raw arguments in
    ``module._double.trace``.
    """
    data = surface(xrt)
    board = Board(Behaviour(devices=devices), compute=compute,
                  warn_deprecated="hw_context" in data["module"]["members"])  # fmt: skip
    behaviour = {**device_behaviour(board), **run_behaviour(board)}
    mod = Builder(data, behaviour, "pyxrt", tracer=board.tracer).module()
    board.module = mod
    board.trace = [] if trace else None
    mod.CALLS = board.calls  # type: ignore[attr-defined]
    mod.COPIES = board.copies  # type: ignore[attr-defined]
    mod.BEHAVIOUR = board.behaviour  # type: ignore[attr-defined]
    mod._double = board  # type: ignore[attr-defined]
    from tests.support.fake_pyxrt import kernels

    kernels.install(board)
    return mod


def install_on_path(monkeypatch: Any, module: types.ModuleType | None = None) -> types.ModuleType:
    """Make ``import pyxrt`` find a double, for one test (monkeypatch undoes it)."""
    mod = module or load()
    monkeypatch.setitem(sys.modules, "pyxrt", mod)
    return mod


def write_xclbins(directory: Path, platform: str = PLATFORM) -> dict[str, Path]:
    """Real AXLF files (our xclbin writer) holding the kernels the fake device runs."""
    from tests.support.fake_pyxrt import kernels
    from tests.support.xclbin_writer import write_xclbin

    directory.mkdir(parents=True, exist_ok=True)
    return {
        name: write_xclbin(directory / name, platform=platform, kernels=names)
        for name, names in kernels.KERNEL_FILES.items()
    }

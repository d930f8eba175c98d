"""Load the stand-in ``pyxrt`` (a fresh module each time) and write xclbins for it.

The module is loaded from its file under a private name, NOT as ``pyxrt`` and
NOT on ``sys.path``: other test areas in the same session must
keep seeing "no pyxrt". A test that wants ``import pyxrt`` itself to succeed
uses :func:`install_on_path` with pytest's ``monkeypatch``.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from . import kernels

HERE = Path(__file__).resolve().parent
PLATFORM = "xilinx_u250_gen3x16_xdma_shell_4_1"


_loaded = itertools.count()


def load(devices: int = 1) -> ModuleType:
    # A private module name (dataclasses need the module in sys.modules), never "pyxrt".
    name = f"_fake_pyxrt_{next(_loaded)}"
    spec = importlib.util.spec_from_file_location(name, HERE / "pyxrt.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)  # installs the kernel behaviours of kernels.py
    mod.reset(devices)
    return mod


def install_on_path(monkeypatch: Any) -> None:
    """Make ``import pyxrt`` find the fake, for one test (monkeypatch undoes it)."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.delitem(sys.modules, "pyxrt", raising=False)


def write_xclbins(directory: Path, platform: str = PLATFORM) -> dict[str, Path]:
    """Real AXLF files (our xclbin writer) holding the kernels the fake device runs."""
    from tests.support.xclbin_writer import write_xclbin

    directory.mkdir(parents=True, exist_ok=True)
    return {
        name: write_xclbin(directory / name, platform=platform, kernels=names)
        for name, names in kernels.KERNEL_FILES.items()
    }

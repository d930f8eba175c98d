"""Fixtures of the pod-side tests: the real xclbin fixture, the pyxrt double and its xclbins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from jupyter_ext.runtime import EmulationBackend, repository_locator, select_runtime, set_runtime
from jupyter_ext.runtime.xrt import XRTBackend
from tests.support.fake_pyxrt import load, write_xclbins
from tests.support.paths import VCK190_XCLBIN


@pytest.fixture(scope="session")
def vck190_path() -> Path:
    assert VCK190_XCLBIN.is_file(), f"real xclbin fixture missing: {VCK190_XCLBIN}"
    return VCK190_XCLBIN


@pytest.fixture(scope="session")
def vck190_bytes(vck190_path: Path) -> bytes:
    return vck190_path.read_bytes()


@pytest.fixture(scope="session")
def xclbin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real AXLF files holding every kernel the library uses, for the u250 platform."""
    d = tmp_path_factory.mktemp("xclbin")
    write_xclbins(d)
    return d


@pytest.fixture
def fake() -> ModuleType:
    """A fresh pyxrt double, generated from the real module (one device, empty call log)."""
    return load()


@pytest.fixture
def xrt(fake: ModuleType, xclbin_dir: Path) -> XRTBackend:
    """The XRT backend on the fake device, finding xclbins through the bitstream repository."""
    rt = select_runtime(
        {}, import_pyxrt=lambda: fake, locator=repository_locator([str(xclbin_dir)])
    )
    assert isinstance(rt, XRTBackend), rt
    fake.CALLS.clear()
    return rt


@pytest.fixture
def emulated() -> EmulationBackend:
    return EmulationBackend("no pyxrt")


@pytest.fixture(autouse=True)
def _no_leaked_runtime() -> Iterator[None]:
    """Tests that set the process-wide runtime must not leak it to other tests."""
    yield
    set_runtime(None)

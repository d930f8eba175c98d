"""Which backend the pod gets, and that the user is told which and why."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_ext.contract import FPGARequest
from jupyter_ext.library import black_scholes, gaussian_filter
from jupyter_ext.library.registry import natural_gray
from jupyter_ext.runtime import (
    EmulationBackend,
    get_runtime,
    repository_locator,
    select_runtime,
    set_runtime,
)
from jupyter_ext.runtime.xrt import XRTBackend
from tests.support.fake_pyxrt import PLATFORM, install_on_path, load


def _no_pyxrt():
    raise ModuleNotFoundError("No module named 'pyxrt'")


def test_no_pyxrt_means_emulation_and_says_so():
    rt = select_runtime({}, import_pyxrt=_no_pyxrt)
    assert (rt.name, rt.reason) == ("emulated", "no pyxrt")
    where = rt.where("bs_kernel")
    assert (where.backend, where.reason) == ("emulated", "no pyxrt")
    r = gaussian_filter(natural_gray(8, 8), runtime=rt)
    assert r.backend == "emulated" and r.emulated and r.reason == "no pyxrt"
    assert repr(r).startswith("<Result vision.gaussian_filter [emulated on CPU (no pyxrt)]")
    assert str(r) == repr(r)
    assert r.timings.h2d is None and r.timings.d2h is None  # nothing was transferred
    assert "h2d" not in repr(r)


def test_broken_pyxrt_install_means_emulation_with_the_error():
    def broken():
        raise ImportError("libxrt_coreutil.so.2: cannot open shared object file")

    rt = select_runtime({}, import_pyxrt=broken)
    assert rt.name == "emulated"
    assert (
        rt.reason
        == "no pyxrt (import failed: libxrt_coreutil.so.2: cannot open shared object file)"
    )


def test_pyxrt_without_devices_means_emulation():
    rt = select_runtime({}, import_pyxrt=lambda: load(devices=0))
    assert (rt.name, rt.reason) == ("emulated", "no device")


def test_device_index_beyond_what_pyxrt_sees():
    rt = select_runtime({}, import_pyxrt=lambda: load(devices=1), device_index=2)
    assert rt.name == "emulated" and rt.reason == "no device 2 (pyxrt sees 1)"


def test_emulation_requested_by_the_hub_wins_over_a_device():
    env = FPGARequest(board="u250", count=1, resource="x", emulation=True).to_env()
    rt = select_runtime(env, import_pyxrt=load)
    assert rt.name == "emulated" and rt.reason == "emulation requested (FPGA_EMULATION=1)"


def test_platform_comes_from_the_contract_then_the_device(xclbin_dir):
    fake = load()
    env = FPGARequest(board="u250", count=1, resource="x", platform="from_env_vbnv").to_env()
    rt = select_runtime(env, import_pyxrt=lambda: fake, locator=lambda k, p: None)
    assert isinstance(rt, XRTBackend) and rt.platform == "from_env_vbnv"
    rt = select_runtime({}, import_pyxrt=lambda: fake, locator=lambda k, p: None)
    assert rt.platform == PLATFORM  # pyxrt's device name
    assert rt.describe() == {
        "backend": "xrt",
        "reason": f"pyxrt device {PLATFORM} [0000:65:00.1]",
        "device": f"{PLATFORM} [0000:65:00.1]",
        "platform": PLATFORM,
    }


def test_real_import_and_default_repository(monkeypatch, xclbin_dir):
    """``import pyxrt`` + FPGA_XCLBIN_PATH + the bitstream repository, as in a pod."""
    install_on_path(monkeypatch)
    monkeypatch.setenv("FPGA_XCLBIN_PATH", str(xclbin_dir))
    monkeypatch.delenv("FPGA_EMULATION", raising=False)
    rt = get_runtime(refresh=True)
    assert rt.name == "xrt"
    assert get_runtime() is rt  # chosen once
    spot = np.array([100.0, 90.0], np.float32)
    r = black_scholes(spot, 100.0, 0.2, 0.05, 1.0)
    assert r.backend == "xrt" and r.xclbin == str(xclbin_dir / "finance.xclbin")
    assert r["price"][0] == pytest.approx(10.4506, abs=1e-3)  # Hull's textbook call


def test_set_runtime_overrides_and_none_chooses_again():
    emu = EmulationBackend("user asked")
    set_runtime(emu)
    assert get_runtime() is emu
    assert gaussian_filter(natural_gray(4, 4)).reason == "user asked"
    set_runtime(None)
    assert get_runtime() is not emu


def test_repository_locator_without_matches(tmp_path):
    locate = repository_locator([str(tmp_path)])
    assert locate("bs_kernel", PLATFORM) is None

"""Every library function on the pyxrt users run: XRT 2.25, and 2022.1 to 2023.1.

The older releases (``load(xrt="2022.1")``, derived from 2.25 as their
``pyxrt.cpp`` differs) have no ``hw_context``, no ``register_xclbin``, no
one-argument ``bo.sync`` and no ``enumerate_devices``: a backend that used
any of them would fail there on every call.
"""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_ext.library import FUNCTIONS, gaussian_filter, gzip_compress
from jupyter_ext.library.registry import natural_gray
from jupyter_ext.runtime import repository_locator, select_runtime
from jupyter_ext.runtime.xrt import XRTBackend
from tests.support.fake_pyxrt import load

SIZES = {"finance.black_scholes": 40, "finance.mc_european": 4096, "vision.stereo_bm": 64,
         "compression.gzip": 5000, "compression.zlib": 5000, "blas.gemm": 70}  # fmt: skip


def _runtime(xclbin_dir, xrt: str):
    px = load(xrt=xrt)
    rt = select_runtime({}, import_pyxrt=lambda: px, locator=repository_locator([str(xclbin_dir)]))
    assert isinstance(rt, XRTBackend), rt
    return px, rt


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_runs_on_both_releases_alike(xclbin_dir, name):
    spec = FUNCTIONS[name]
    inputs = spec.make_inputs(SIZES.get(name, 24))
    results = {}
    for xrt in ("2.25", "2022.1"):
        px, rt = _runtime(xclbin_dir, xrt)
        r = spec.run(inputs, runtime=rt)
        assert r.backend == "xrt", (xrt, r.reason)
        names = [n for n, _ in px.CALLS]
        if xrt == "2022.1":
            assert "load_xclbin" in names and not {"register_xclbin", "hw_context"} & set(names)
        else:
            assert "hw_context" in names and "load_xclbin" not in names
        assert all("offset" in d for n, d in px.CALLS if n == "sync")  # sync(dir, size, offset)
        assert px._double.hangs == [] and px._double.errors == []
        results[xrt] = r.value
    assert _same(results["2.25"], results["2022.1"])


def test_an_old_xrt_has_no_enumerate_devices_and_the_device_is_opened_instead():
    assert select_runtime({}, import_pyxrt=lambda: load(xrt="2022.1")).name == "xrt"
    rt = select_runtime({}, import_pyxrt=lambda: load(0, xrt="2022.1"))
    assert rt.name == "emulated"
    assert rt.reason == "no device (opening device 0 failed:  No such device with index '0')"


def test_loading_another_xclbin_on_an_old_xrt_reopens_what_it_replaced(xclbin_dir):
    """load_xclbin replaces the device's xclbin: kernels of the previous one must be reopened."""
    px, rt = _runtime(xclbin_dir, "2022.1")
    img = natural_gray(16, 16)
    first = gaussian_filter(img, runtime=rt).value.copy()
    assert gzip_compress(b"abc" * 100, runtime=rt).backend == "xrt"
    again = gaussian_filter(img, runtime=rt)
    assert again.backend == "xrt" and np.array_equal(again.value, first)
    loads = [d["uuid"] for n, d in px.CALLS if n == "load_xclbin"]
    assert len(loads) == 3 and loads[0] == loads[2] != loads[1]


def test_a_kernel_of_a_replaced_xclbin_cannot_run(xclbin_dir):
    """What the runtime's forgetting protects against: the double refuses a stale kernel."""
    px = load(xrt="2022.1")
    dev = px.device(0)
    vision = px.xclbin(str(xclbin_dir / "vision.xclbin"))
    k = px.kernel(dev, dev.load_xclbin(vision), "gaussian_filter_accel", px.kernel.shared)
    dev.load_xclbin(px.xclbin(str(xclbin_dir / "gzip.xclbin")))
    with pytest.raises(RuntimeError, match="is loaded on the device"):
        px.kernel(dev, vision.get_uuid(), "gaussian_filter_accel", px.kernel.shared)
    with pytest.raises(RuntimeError, match="no longer loaded"):
        px.run(k).start()

"""The compiled emulation kernels: compiled ahead (``jupyter-fpga compile-emulation``), run in bands."""

from __future__ import annotations

import pytest

from jupyter_ext.cli import main
from jupyter_ext.library import jit, xfcv_gaussian, xfcv_resize, xfcv_stereo_loop


def test_compile_emulation_compiles_every_kernel_variant(capsys):
    assert main(["compile-emulation"]) == 0
    out = capsys.readouterr().out
    for kernel in ("gaussian_filter_accel", "resize_accel", "stereolbm_accel"):
        assert kernel in out
    assert "kernel variants ready in" in out and "cache: " in out
    # what the command compiled is what real calls look up: one signature per variant
    assert len(xfcv_stereo_loop.band_kernel().signatures) >= 2  # 16- and 32-bit costs
    assert xfcv_resize._bilinear(1).signatures and xfcv_resize._bilinear(3).signatures
    for radius in (1, 2, 3):
        assert xfcv_gaussian._filter(radius, False).signatures


def test_cores_honours_a_cgroup_cpu_quota(monkeypatch, tmp_path):
    """A pod limited to 1.5 CPUs on a bigger node runs 2 bands, not one per node CPU."""
    import builtins

    real_open = builtins.open
    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")

    def fake_open(path, *a, **kw):  # type: ignore[no-untyped-def]
        return real_open(quota if path == "/sys/fs/cgroup/cpu.max" else path, *a, **kw)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(jit.os, "sched_getaffinity", lambda pid: set(range(64)))
    jit.cores.cache_clear()
    try:
        assert jit.cores() == 2
        quota.write_text("max 100000\n")
        jit.cores.cache_clear()
        assert jit.cores() == 64
    finally:
        jit.cores.cache_clear()


def test_a_failing_band_is_raised_after_every_band_has_finished(monkeypatch):
    import threading
    import time

    monkeypatch.setattr(jit, "cores", lambda: 2)
    done: list[tuple[int, int]] = []
    lock = threading.Lock()

    def run(y0: int, y1: int) -> None:
        if y0 == 0:
            raise ValueError("band 0 failed")
        time.sleep(0.05)  # the other band is still writing when the first one fails
        with lock:
            done.append((y0, y1))

    with pytest.raises(ValueError, match="band 0 failed"):
        jit.in_bands(run, 0, 100, jit.MIN_BAND_NS)
    assert done == [(50, 100)]  # finished before in_bands gave up


def test_without_a_writable_cache_the_kernels_still_compile(monkeypatch):
    """A read-only image with no writable home: Numba refuses ``cache=True``; we compile anyway."""
    import numba
    import numpy as np

    real_njit = numba.njit

    def njit(*args, cache=False, **kw):  # type: ignore[no-untyped-def]
        if cache:  # what Numba raises when no cache locator is writable
            raise RuntimeError("cannot cache function 'f': no locator available for file 'x.py'")
        return real_njit(*args, cache=cache, **kw)

    monkeypatch.setattr(numba, "njit", njit)

    def twice(a, out):  # type: ignore[no-untyped-def]
        for i in range(a.shape[0]):
            out[i] = 2 * a[i]

    kernel = jit.compiled(twice)
    out = np.empty(5, np.int64)
    kernel(np.arange(5), out)
    assert out.tolist() == [0, 2, 4, 6, 8]

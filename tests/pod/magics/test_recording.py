"""The ``%%fpga`` recorder wraps a backend: every question goes to the backend it wraps."""

from __future__ import annotations

from jupyter_ext.library import FUNCTIONS
from jupyter_ext.magics.celltime import RecordingBackend
from jupyter_ext.magics.listing import function_rows
from jupyter_ext.runtime import Backend, repository_locator, select_runtime
from tests.support.fake_pyxrt import PLATFORM


def test_the_recorder_passes_on_every_backend_method():
    """A method the recorder inherits from Backend would answer for the recorder, not the runtime."""
    public = {n for n, v in vars(Backend).items() if callable(v) and not n.startswith("_")}
    assert "where" in public
    assert public <= set(vars(RecordingBackend)), public - set(vars(RecordingBackend))


def test_the_recorder_reports_emulated_where_the_xrt_backend_it_wraps_does(fake, tmp_path):
    xrt = select_runtime({}, import_pyxrt=lambda: fake,
                         locator=repository_locator([str(tmp_path)]))  # no xclbin at all  # fmt: skip
    recorder = RecordingBackend(xrt)
    assert recorder.name == "xrt"  # the process-wide backend is XRT ...
    where = recorder.where("gaussian_filter_accel")  # ... but this kernel has no xclbin
    assert where == xrt.where("gaussian_filter_accel")
    assert where.backend == "emulated" and not where.hardware
    assert where.reason == f"no xclbin for kernel gaussian_filter_accel on platform {PLATFORM}"
    rows = function_rows(FUNCTIONS, recorder)
    assert [r.runs_on for r in rows] == ["emulated"] * len(rows)


def test_the_recorder_reports_hardware_where_the_backend_does(xrt, xclbin_dir):
    where = RecordingBackend(xrt).where("bs_kernel")
    assert where.hardware and where.xclbin == str(xclbin_dir / "finance.xclbin")
    assert RecordingBackend(xrt).load_kernel("bs_kernel") == where
    assert xrt.kernel_source("bs_kernel") == xclbin_dir / "finance.xclbin"  # opened on the device


def test_the_recorder_around_the_emulation(emulated):
    where = RecordingBackend(emulated).where("bs_kernel")
    assert (where.backend, where.reason) == ("emulated", "no pyxrt")

"""The XRT backend's objects against XRT's own pyxrt: xclbins, uuids, enums, flags, states.

Everything here needs no board: ``pyxrt.xclbin(path)`` reads a file, enums
and constructors of empty handles exist without a device. The double is
held to the same answers on the same files.
"""

from __future__ import annotations

import pytest

from jupyter_ext.runtime import EmulationBackend, FPGARuntimeError, select_runtime
from jupyter_ext.runtime.xrt import _UNFINISHED, XRTBackend
from jupyter_ext.runtime.xrt_open import has_hw_context, read_xclbin
from tests.support.pyxrt_double import generate, load

from .xclbin_xrt_view import pyxrt_refuses, pyxrt_view


def test_the_double_reads_every_xclbin_as_pyxrt_does(xclbin_corpus, pyxrt):
    """uuid, XSA name, kernels with their argument counts, banks, and XRT's refusals."""
    px = load(compute=False)
    differ = []
    for name, path in xclbin_corpus.items():
        real_refusal, double_refusal = pyxrt_refuses(pyxrt, path), pyxrt_refuses(px, path)
        if (real_refusal is None) != (double_refusal is None):
            differ.append(
                f"{name}: pyxrt refuses: {real_refusal}; double refuses: {double_refusal}"
            )
        elif real_refusal is None and pyxrt_view(px, path) != pyxrt_view(pyxrt, path):
            differ.append(
                f"{name}:\n  double {pyxrt_view(px, path)}\n  pyxrt  {pyxrt_view(pyxrt, path)}"
            )
    assert differ == [], "\n".join(differ)


def test_reading_an_xclbin_through_the_backend_helper(xclbin_corpus, pyxrt):
    path = xclbin_corpus["vadd_ddr4"]
    xb = read_xclbin(pyxrt, path, "vadd")
    assert isinstance(xb, pyxrt.xclbin) and isinstance(xb.get_uuid(), pyxrt.uuid)
    assert len(xb.get_uuid().to_string()) == 36
    with pytest.raises(FPGARuntimeError, match="for kernel 'gemm' but it holds only vadd"):
        read_xclbin(pyxrt, path, "gemm")


def test_the_backend_takes_its_enums_and_flags_from_the_real_module(pyxrt):
    rt = XRTBackend(pyxrt, pyxrt.device(), platform="p", locator=lambda k, p: None)
    assert rt._to_dev is pyxrt.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE
    assert int(rt._from_dev) == 1 and int(rt._completed) == 4
    assert rt._completed == pyxrt.ert_cmd_state.ERT_CMD_STATE_COMPLETED
    assert set(pyxrt.ert_cmd_state.__members__) >= _UNFINISHED
    assert "ERT_CMD_STATE_RUNNING" not in pyxrt.ert_cmd_state.__members__
    assert int(pyxrt.bo.normal) == 0 and int(pyxrt.bo.flags.cacheable) == 0x1000000
    assert has_hw_context(pyxrt, pyxrt.device())
    assert not hasattr(pyxrt.run, "abort")


def test_without_a_board_the_real_module_means_emulation(pyxrt):
    rt = select_runtime({}, import_pyxrt=lambda: pyxrt)
    assert isinstance(rt, EmulationBackend) and rt.reason == "no device"


def test_the_sync_the_backend_calls_exists_in_every_release(pyxrt):
    """``sync(direction, size, offset)``: what 2022.1 to 2023.1 have, and 2.25 still has."""
    sigs = [[p["type"] for p in o["params"][1:]]
            for o in generate.parse_doc("sync", pyxrt.bo.sync.__doc__)]  # fmt: skip
    assert ["pyxrt.xclBOSyncDirection", "int", "int"] in sigs
    old = load(xrt="2022.1", compute=False)
    assert [list(o.types) for o in old.bo.sync.overloads] == [sigs[sigs.index(
        ["pyxrt.xclBOSyncDirection", "int", "int"])]]  # fmt: skip

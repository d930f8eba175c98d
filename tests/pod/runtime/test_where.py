"""``Backend.where``: the one answer to "where would this kernel run, and why", before a call.

Every test here pins the answer to what the call then does, so a view that
shows ``where()`` can never claim FPGA for a call that runs emulated.
"""

from __future__ import annotations

import re

import pytest

from jupyter_ext.library import gaussian_filter, resize
from jupyter_ext.library.registry import natural_gray
from jupyter_ext.runtime import EmulationBackend, Where, repository_locator, select_runtime
from tests.support.fake_pyxrt import PLATFORM, write_xclbins


def _same_words(where: Where, result) -> None:
    assert (where.backend, where.reason, where.device, where.xclbin) == (
        result.backend, result.reason, result.device, result.xclbin
    )  # fmt: skip
    assert where.hardware is not result.emulated


def test_a_kernel_on_the_board_is_answered_as_the_call_then_runs(xrt, fake, xclbin_dir):
    where = xrt.where("gaussian_filter_accel")
    assert where.hardware and where.xclbin == str(xclbin_dir / "vision.xclbin")
    assert where.detail == where.xclbin
    assert fake.CALLS == []  # answering opens nothing
    _same_words(where, gaussian_filter(natural_gray(8, 8), runtime=xrt))
    assert xrt.where("gaussian_filter_accel") == where  # and stays the same once open


def test_a_kernel_without_xclbin_is_answered_emulated_with_the_results_reason(fake, xclbin_dir):
    repo = repository_locator([str(xclbin_dir)])
    rt = select_runtime({}, import_pyxrt=lambda: fake,
                        locator=lambda k, p: None if k == "resize_accel" else repo(k, p))  # fmt: skip
    where = rt.where("resize_accel")
    assert not where.hardware and where.backend == "emulated"
    assert where.reason == f"no xclbin for kernel resize_accel on platform {PLATFORM}"
    assert where.detail == where.reason and where.device == "CPU" and where.xclbin == ""
    _same_words(where, resize(natural_gray(8, 8), 4, 4, runtime=rt))


def test_the_emulation_answers_emulated_for_every_kernel(emulated):
    where = emulated.where("gaussian_filter_accel")
    assert where == Where("gaussian_filter_accel", "emulated", "no pyxrt", device="CPU")
    _same_words(where, gaussian_filter(natural_gray(8, 8), runtime=emulated))


def test_a_failing_xclbin_search_is_answered_and_run_alike(fake):
    def broken(kernel, platform):
        raise PermissionError("/opt/xclbin: permission denied")

    rt = select_runtime({}, import_pyxrt=lambda: fake, locator=broken)
    where = rt.where("gaussian_filter_accel")
    assert where.reason == "xclbin search failed: /opt/xclbin: permission denied"
    _same_words(where, gaussian_filter(natural_gray(8, 8), runtime=rt))


def test_the_answer_follows_the_decision_not_a_new_file(fake, tmp_path):
    """Once a call ran emulated, a file appearing later does not make where() say FPGA."""
    rt = select_runtime({}, import_pyxrt=lambda: fake,
                        locator=repository_locator([str(tmp_path)]))  # fmt: skip
    assert resize(natural_gray(8, 8), 4, 4, runtime=rt).emulated
    files = write_xclbins(tmp_path)
    assert not rt.where("resize_accel").hardware  # the next call is still emulated
    _same_words(rt.where("resize_accel"), resize(natural_gray(8, 8), 4, 4, runtime=rt))
    # %fpga load FILE is how a session changes its mind
    rt.pin_xclbin(files["vision.xclbin"], ["resize_accel"], platform=PLATFORM)
    assert rt.where("resize_accel").xclbin == str(files["vision.xclbin"])
    _same_words(rt.where("resize_accel"), resize(natural_gray(8, 8), 4, 4, runtime=rt))


@pytest.mark.parametrize(
    ("platform", "mode", "refusal"),
    [
        ("xilinx_u280_gen3x16_xdma_base_1", "hw",
         f"is built for platform xilinx_u280_gen3x16_xdma_base_1, but {PLATFORM} [0000:65:00.1] "
         f"runs {PLATFORM}"),
        (PLATFORM, "sw_emu", "is a sw_emu xclbin (for XRT's emulator); it cannot program a board"),
    ],
)  # fmt: skip
def test_pinning_a_file_the_board_cannot_run_is_refused(xrt, xclbin_dir, platform, mode, refusal):
    from jupyter_ext.runtime import LoadRefused

    before = xrt.where("bs_kernel")
    with pytest.raises(LoadRefused, match=re.escape(refusal)):
        xrt.pin_xclbin(xclbin_dir / "other.xclbin", ["bs_kernel"], platform=platform, mode=mode)
    assert xrt.where("bs_kernel") == before  # nothing changed


def test_the_emulation_pins_nothing_and_refuses_nothing(xclbin_dir):
    emu = EmulationBackend("no pyxrt")
    emu.pin_xclbin(xclbin_dir / "x.xclbin", ["bs_kernel"], platform="other", mode="sw_emu")
    assert emu.load_kernel("bs_kernel") == emu.where("bs_kernel")
    assert not emu.where("bs_kernel").hardware

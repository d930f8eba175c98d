"""``jupyter_ext.runtime.load.load``: the search, the programming, and an honest LoadResult."""

from __future__ import annotations

import re

import pytest

from jupyter_ext.library import FUNCTIONS
from jupyter_ext.runtime import LoadRefused, repository_locator, select_runtime
from jupyter_ext.runtime.load import LoadResult, load
from tests.support.fake_pyxrt import PLATFORM
from tests.support.xclbin_writer import write_xclbin

KERNELS = {name: spec.kernel for name, spec in FUNCTIONS.items()}


class Steps:
    """Records what load() reports to a progress bar."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.events: list[tuple] = []

    def phase(self, text: str) -> None:
        self.events.append(("phase", text))

    def advance(self, n: int = 1) -> None:
        self.events.append(("advance", n))

    def finish(self, text: str, ok: bool = True) -> None:
        self.events.append(("finish", text, ok))


@pytest.fixture
def steps() -> list[Steps]:
    return []


def _progress(made: list[Steps]):
    def make(total: int) -> Steps:
        made.append(Steps(total))
        return made[-1]

    return make


def test_a_function_in_emulation_programs_nothing_and_says_why(emulated, steps):
    r = load("vision.stereo_bm", emulated, KERNELS, progress=_progress(steps))
    assert isinstance(r, LoadResult)
    assert (r.target, r.xclbin, r.kernels, r.opened) == ("vision.stereo_bm", None,
                                                         ("stereolbm_accel",), ())  # fmt: skip
    assert not r.programmed and r.emulated and r.reason == "no pyxrt" and r.device == "CPU"
    assert r.functions == ("vision.stereo_bm",)
    assert [w.kernel for w in r.where] == ["stereolbm_accel"]
    (s,) = steps
    assert s.total == 2 and not any(e[0] == "phase" for e in s.events)  # no "programming"
    assert s.events[-1] == ("finish", "emulated: nothing was programmed", True)


def test_an_xclbin_file_programs_the_board(xrt, fake, xclbin_dir, steps):
    path = xclbin_dir / "finance.xclbin"
    r = load(str(path), xrt, KERNELS, progress=_progress(steps))
    assert r.programmed and not r.emulated and r.reason == ""
    assert r.xclbin == str(path) and r.platform == PLATFORM
    assert r.opened == r.kernels == ("bs_kernel", "mc_euro_k")
    assert r.functions == ("finance.black_scholes", "finance.mc_european")
    assert r.device == xrt.device_label
    assert all(w.hardware and w.xclbin == str(path) for w in r.where)
    assert "register_xclbin" in [n for n, _ in fake.CALLS]
    phases = [e[1] for e in steps[0].events if e[0] == "phase"]
    assert phases == [f"programming {xrt.device_label}: kernel bs_kernel (1/2)",
                      f"programming {xrt.device_label}: kernel mc_euro_k (2/2)"]  # fmt: skip
    assert steps[0].events[-1] == ("finish", f"programmed {xrt.device_label}", True)


def test_a_function_finds_its_xclbin_through_the_runtime(xrt, xclbin_dir):
    r = load("finance.black_scholes", xrt, KERNELS)
    assert r.programmed and r.xclbin == str(xclbin_dir / "finance.xclbin")
    assert r.opened == ("bs_kernel",) and r.functions == ("finance.black_scholes",)


def test_a_function_without_xclbin_on_a_board_is_emulated(fake, tmp_path):
    rt = select_runtime({}, import_pyxrt=lambda: fake, locator=repository_locator([str(tmp_path)]))
    r = load("vision.stereo_bm", rt, KERNELS)
    assert not r.programmed and r.emulated
    assert r.reason == f"no xclbin for kernel stereolbm_accel on platform {PLATFORM}"


def test_a_file_found_through_a_symlinked_directory_on_the_search_path(
    xrt, xclbin_dir, tmp_path, monkeypatch
):
    search = tmp_path / "search"
    search.mkdir()
    (search / "linked").symlink_to(xclbin_dir, target_is_directory=True)
    monkeypatch.setenv("FPGA_XCLBIN_PATH", str(search))
    r = load("finance.xclbin", xrt, KERNELS)
    assert r.xclbin == str(search / "linked" / "finance.xclbin")
    assert r.programmed and r.opened == ("bs_kernel", "mc_euro_k")


def test_kernels_already_open_from_another_file_are_not_called_emulated(xrt, tmp_path):
    first = load("finance.black_scholes", xrt, KERNELS)
    other = write_xclbin(tmp_path / "other.xclbin", platform=PLATFORM, kernels=["bs_kernel"])
    r = load(str(other), xrt, KERNELS)
    assert not r.programmed and not r.emulated  # bs_kernel still runs on the board
    assert r.where[0].xclbin == first.xclbin and r.reason == ""
    assert r.notes == (f"kernel bs_kernel stays open from {first.xclbin}, loaded earlier in "
                       "this kernel session (restart the kernel to switch xclbins)",)  # fmt: skip


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("nope.func", "no xclbin file 'nope.func' (not a path, and not on the xclbin search path"),
        ("missing.xclbin", "no xclbin file 'missing.xclbin'"),
    ],
)
def test_a_target_that_is_neither_function_nor_file_is_refused(emulated, steps, target, problem):
    with pytest.raises(LoadRefused, match=re.escape(problem)):
        load(target, emulated, KERNELS, progress=_progress(steps))
    assert steps == []  # refused before any progress was shown


def test_an_xclbin_without_kernels_is_refused(emulated, tmp_path):
    empty = write_xclbin(tmp_path / "empty.xclbin", platform=PLATFORM, kernels=[])
    with pytest.raises(LoadRefused, match="holds no kernels; there is nothing to run"):
        load(str(empty), emulated, KERNELS)


def test_a_file_for_another_platform_is_refused_and_changes_nothing(xrt, tmp_path, steps):
    other = write_xclbin(tmp_path / "u280.xclbin", platform="xilinx_u280_gen3x16_xdma_base_1",
                         kernels=["bs_kernel"])  # fmt: skip
    before = xrt.where("bs_kernel")
    with pytest.raises(LoadRefused, match=re.escape(f"but {xrt.device_label} runs {PLATFORM}")):
        load(str(other), xrt, KERNELS, progress=_progress(steps))
    assert steps[0].events[-1] == ("finish", "refused", False)
    assert xrt.where("bs_kernel") == before and not xrt._kernels


def test_without_a_progress_sink_nothing_is_reported(emulated):
    assert load("finance.black_scholes", emulated, KERNELS).emulated

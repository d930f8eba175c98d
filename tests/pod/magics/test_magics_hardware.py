"""With a board: the status widget says "hardware" honestly, and load/bench use XRT.

The board is a sysfs + /dev tree laid out as the AMD-Xilinx drivers publish
an Alveo U250 (tests/pod's host builder); XRT is the runtime tests' stand-in
``pyxrt``, whose kernels compute with independent implementations, over real
AXLF files on the xclbin search path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_ext.runtime import EmulationBackend, repository_locator, select_runtime, set_runtime
from jupyter_ext.runtime.xrt import XRTBackend
from tests.support.fake_pyxrt import PLATFORM, load, write_xclbins
from tests.support.ipython_shell import Shell
from tests.support.sysfs_trees import Host
from tests.support.xclbin_writer import write_xclbin

BDF = "0000:65:00.1"


@pytest.fixture
def board(shell: Shell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Host:
    """A pod given one U250 (no emulation): sysfs tree, device nodes, the hub's request."""
    host = Host(tmp_path / "host")
    host.alveo("0000:65:00", PLATFORM, render=128)
    monkeypatch.delenv("FPGA_EMULATION")
    shell.magics.sysfs_root, shell.magics.dev_root = str(host.sys), str(host.dev)
    return host


def xrt_runtime(xclbin_dir: Path) -> XRTBackend:
    fake = load()
    rt = select_runtime(
        {}, import_pyxrt=lambda: fake, locator=repository_locator([str(xclbin_dir)])
    )
    assert isinstance(rt, XRTBackend)
    return rt


def test_status_shows_the_hardware_backend_honestly(shell: Shell, board: Host, tmp_path) -> None:
    write_xclbins(tmp_path / "xclbin")
    set_runtime(xrt_runtime(tmp_path / "xclbin"))
    out = shell.run("%fpga status")
    assert not out.failed, out.stderr
    for rendering in (out.text, out.html):
        assert "HARDWARE" in rendering
        assert BDF in rendering and PLATFORM in rendering
        assert "Alveo U250" in rendering
        assert "emulated" not in rendering.lower()
    row = next(ln for ln in out.text.splitlines() if BDF in ln)
    assert row.rstrip().endswith("hardware") and " ok " in row
    assert "Library calls: on the FPGA through XRT" in out.text


def test_hardware_without_pyxrt_says_calls_are_emulated(shell: Shell, board: Host) -> None:
    set_runtime(EmulationBackend("no pyxrt"))
    out = shell.run("%fpga status")
    assert "HARDWARE" in out.text and BDF in out.text
    assert "Library calls: emulated on the CPU (no pyxrt)." in out.text
    assert ">emulated</span>" in out.html


def test_list_tells_hardware_from_emulated_per_function(
    shell: Shell, board: Host, tmp_path
) -> None:
    d = tmp_path / "xclbin"
    write_xclbin(d / "finance.xclbin", platform=PLATFORM, kernels=["bs_kernel", "mc_euro_k"])
    write_xclbin(d / "other.xclbin", platform="xilinx_u280_gen3x16_xdma_base_1",
                 kernels=["resize_accel"])  # fmt: skip
    rt = xrt_runtime(d)
    set_runtime(rt)
    out = shell.run("%fpga list")
    lines = {
        ln.split()[0]: ln for ln in out.text.splitlines() if ln.startswith(("finance.", "vision."))
    }
    assert f"hardware: {d / 'finance.xclbin'}" in lines["finance.black_scholes"]
    assert f"hardware: {d / 'finance.xclbin'}" in lines["finance.mc_european"]
    # an xclbin for another platform does not count
    assert (
        f"emulated: no xclbin for kernel resize_accel on platform {PLATFORM}"
        in lines["vision.resize"]
    )
    assert "9 library functions: 2 run on the FPGA here, 7 emulated on the CPU." in out.text
    assert not {"load_xclbin", "register_xclbin"} & {
        c[0] for c in rt.pyxrt.CALLS
    }  # programs nothing
    assert not rt._kernels  # nothing opened


def test_load_programs_the_board_and_bench_runs_on_it(shell: Shell, board: Host, tmp_path) -> None:
    d = tmp_path / "xclbin"
    files = write_xclbins(d)
    rt = xrt_runtime(d)
    set_runtime(rt)
    out = shell.run(f"%fpga load {files['finance.xclbin']}")
    assert not out.failed, out.stderr
    assert f"Programmed {rt.device_label} with {files['finance.xclbin']}" in out.text
    assert "now run on the FPGA: finance.black_scholes, finance.mc_european." in out.text
    assert "emulated" not in out.text.lower()
    assert rt.kernel_source("bs_kernel") == files["finance.xclbin"]
    calls = [name for name, _ in rt.pyxrt.CALLS]
    assert any(c in ("register_xclbin", "load_xclbin") for c in calls), calls
    assert "programmed on" in shell.run("%fpga status").text

    bench = shell.run("report = %fpga bench finance.black_scholes --size 3000 --repeat 2 -o")
    assert not bench.failed, bench.stderr
    report = shell.ip.user_ns["report"]
    assert report.backend == "xrt" and report.comparison.ok
    assert report.h2d is not None and report.kernel is not None and report.d2h is not None
    assert "host->device" in bench.text and "Results agree" in bench.text
    assert "emulated" not in bench.text.lower() and "emulated" not in bench.html.lower()
    assert "host-&gt;device" in bench.html or "host->device" in bench.html

    cell = shell.run("%%fpga\nfrom jupyter_ext.library import black_scholes\n"
                     "r = black_scholes([100.0, 90.0], 95.0, 0.2, 0.03, 1.0)")  # fmt: skip
    assert not cell.failed, cell.stderr
    row = next(ln for ln in cell.text.splitlines() if ln.startswith("finance.black_scholes"))
    assert f"FPGA ({rt.device_label})" in row and "n/a" not in row  # transfers timed
    assert "emulated" not in cell.text.lower()


def test_load_refuses_an_xclbin_for_another_platform(shell: Shell, board: Host, tmp_path) -> None:
    rt = xrt_runtime(tmp_path / "xclbin")
    set_runtime(rt)
    other = write_xclbin(tmp_path / "u280.xclbin", platform="xilinx_u280_gen3x16_xdma_base_1",
                         kernels=["bs_kernel"])  # fmt: skip
    out = shell.run(f"%fpga load {other}")
    assert out.failed
    assert (f"is built for platform xilinx_u280_gen3x16_xdma_base_1, but {rt.device_label} "
            f"runs {PLATFORM}") in out.stderr  # fmt: skip
    assert "Traceback" not in out.text


def test_load_function_without_xclbin_is_emulated_on_hardware(
    shell: Shell, board: Host, tmp_path
) -> None:
    set_runtime(xrt_runtime(tmp_path / "xclbin"))  # empty search path
    out = shell.run("%fpga load vision.stereo_bm")
    assert not out.failed
    assert (f"EMULATED: nothing was programmed (no xclbin for kernel stereolbm_accel on platform "
            f"{PLATFORM})") in out.text  # fmt: skip


def test_compare_on_hardware_runs_the_cpu_model_second(shell: Shell, board: Host, tmp_path) -> None:
    write_xclbins(tmp_path / "xclbin")
    set_runtime(xrt_runtime(tmp_path / "xclbin"))
    out = shell.run("%%fpga --compare\nfrom jupyter_ext.library import mc_european\n"
                    "v = mc_european(samples=4096)")  # fmt: skip
    assert not out.failed, out.stderr
    assert "this cell (FPGA)" in out.html and "CPU model (emulated)" in out.html
    assert "Both runs were emulated" not in out.text
    assert "emulated" in out.text  # the second run was, and says so
    assert shell.ip.user_ns["v"].backend == "emulated"  # v is from the last (CPU) run


def test_bench_progress_says_emulated_for_a_kernel_without_xclbin(
    shell: Shell, board: Host, tmp_path
) -> None:
    """The runtime is XRT, but this function's kernel is in no xclbin: the bar must not say FPGA."""
    set_runtime(xrt_runtime(tmp_path / "xclbin"))  # empty search path
    out = shell.run("%fpga bench vision.gaussian_filter --size 64 --repeat 1")
    assert not out.failed, out.stderr
    assert "%fpga bench vision.gaussian_filter: accelerated runs (emulated)" in out.stdout
    assert "(FPGA)" not in out.stdout
    # the same inside %%fpga, where the runtime is wrapped by the cell's recorder
    cell = shell.run("%%fpga\n%fpga bench vision.gaussian_filter --size 64 --repeat 1")
    assert not cell.failed, cell.stderr
    assert "%fpga bench vision.gaussian_filter: accelerated runs (emulated)" in cell.stdout
    assert "(FPGA)" not in cell.stdout


def test_bench_progress_says_fpga_for_a_kernel_on_the_board(
    shell: Shell, board: Host, tmp_path
) -> None:
    write_xclbins(tmp_path / "xclbin")
    set_runtime(xrt_runtime(tmp_path / "xclbin"))
    out = shell.run("%fpga bench vision.gaussian_filter --size 64 --repeat 1")
    assert not out.failed, out.stderr
    assert "%fpga bench vision.gaussian_filter: accelerated runs (FPGA)" in out.stdout


def test_list_inside_a_timed_cell_asks_the_wrapped_runtime(
    shell: Shell, board: Host, tmp_path
) -> None:
    d = tmp_path / "xclbin"
    write_xclbin(d / "finance.xclbin", platform=PLATFORM, kernels=["bs_kernel", "mc_euro_k"])
    set_runtime(xrt_runtime(d))
    out = shell.run("%%fpga\n%fpga list")
    assert not out.failed, out.stderr
    assert "9 library functions: 2 run on the FPGA here, 7 emulated on the CPU." in out.text


def test_load_of_kernels_already_open_elsewhere_is_not_called_emulated(
    shell: Shell, board: Host, tmp_path
) -> None:
    files = write_xclbins(tmp_path / "xclbin")
    rt = xrt_runtime(tmp_path / "xclbin")
    set_runtime(rt)
    assert not shell.run(f"%fpga load {files['finance.xclbin']}").failed
    other = write_xclbin(tmp_path / "other.xclbin", platform=PLATFORM, kernels=["bs_kernel"])
    out = shell.run(f"%fpga load {other}")
    assert not out.failed, out.stderr
    assert f"Nothing was programmed: bs_kernel already run on {rt.device_label}." in out.text
    assert f"kernel bs_kernel stays open from {files['finance.xclbin']}" in out.text
    assert "emulated" not in out.text.lower() and "emulated" not in out.html.lower()
    status = shell.run("%fpga status").text
    assert f"{other}: nothing programmed, already open on {rt.device_label}" in status

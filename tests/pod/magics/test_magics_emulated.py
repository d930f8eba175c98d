"""Every %fpga command in the demo pod's emulation mode, through a real IPython shell."""

from __future__ import annotations

import re

import numpy as np
import pytest

from jupyter_ext.library import FUNCTIONS
from tests.support.ipython_shell import U250_PLATFORM, Shell
from tests.support.xclbin_specs import ArgSpec, ClockSpec, KernelSpec, MemSpec
from tests.support.xclbin_writer import write_xclbin

VISION_KERNELS = [
    KernelSpec(
        "gaussian_filter_accel",
        args=[
            "ap_uint<64>* img_inp",
            ArgSpec("img_out", "ap_uint<64>*", memory="DDR[1]"),
            "int rows",
            "int cols",
            "float sigma",
        ],
    ),  # fmt: skip
    KernelSpec(
        "resize_accel",
        args=[
            "ap_uint<64>* img_inp",
            "ap_uint<64>* img_out",
            "int rows_in",
            "int cols_in",
            "int rows_out",
            "int cols_out",
        ],
    ),  # fmt: skip
]
MEMS = [MemSpec("DDR[0]", "MEM_DDR4", size_kb=16 << 20), MemSpec("DDR[1]", "MEM_DDR4", size_kb=16 << 20),
        MemSpec("PLRAM[0]", "MEM_DRAM", size_kb=128, used=False)]  # fmt: skip
CLOCKS = [ClockSpec("DATA_CLK", 300, "DATA"), ClockSpec("KERNEL_CLK", 500, "KERNEL")]


def vision_xclbin(path, platform=U250_PLATFORM):
    return write_xclbin(path, platform=platform, kernels=VISION_KERNELS, mems=MEMS, clocks=CLOCKS)


def test_status_shows_the_emulated_board(shell: Shell) -> None:
    out = shell.run("%fpga status")
    assert not out.failed
    for rendering in (out.text, out.html):
        assert "AMD Alveo U250" in rendering
        assert U250_PLATFORM in rendering
        assert "EMULATED" in rendering and "emulated" in rendering
    assert "FPGA_EMULATION=1" in out.text  # why it is emulated, in plain words
    assert "Traceback" not in out.text
    # bare %fpga is the same command
    assert "AMD Alveo U250" in shell.run("%fpga").text


def test_status_shows_problems_plainly(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FPGA_COUNT", "two")
    out = shell.run("%fpga status")
    assert "PROBLEM: FPGA_COUNT='two' is not a whole number" in out.text
    assert "FPGA_COUNT=&#x27;two&#x27; is not a whole number" in out.html


def test_list_names_every_function_and_why_it_is_emulated(shell: Shell) -> None:
    out = shell.run("%fpga list")
    assert not out.failed
    assert f"{len(FUNCTIONS)} library functions: 0 run on the FPGA here" in out.text
    for name, spec in FUNCTIONS.items():
        line = next(ln for ln in out.text.splitlines() if ln.startswith(name + " "))
        assert spec.kernel in line
        assert "emulated: emulation requested (FPGA_EMULATION=1)" in line
    assert out.html.count(">emulated</span>") == len(FUNCTIONS)


def test_info_describes_kernels_banks_clocks_platform(shell: Shell, tmp_path) -> None:
    path = vision_xclbin(tmp_path / "vision.xclbin")
    out = shell.run(f"%fpga info {path}")
    assert not out.failed, out.stderr
    text = out.text
    assert f"platform: {U250_PLATFORM}" in text
    assert "gaussian_filter_accel" in text and "resize_accel" in text
    assert "sigma: float" in text
    assert re.search(r"DDR\[1\]\s+MEM_DDR4\s+16 GB", text)
    assert re.search(r"PLRAM\[0\]\s+MEM_DRAM\s+128 KB\s+\S+\s+no", text)
    assert re.search(r"KERNEL_CLK\s+KERNEL\s+500 MHz", text)
    assert "img_out -> DDR[1]" in text
    assert ">500 MHz</td>" in out.html and ">gaussian_filter_accel</td>" in out.html
    # --full adds the xclbinutil-style report; a bare name is found on FPGA_XCLBIN_PATH
    vision_xclbin(tmp_path / "xclbin" / "on_path.xclbin")
    full = shell.run("%fpga info on_path.xclbin --full")
    assert "xclbin Information" in full.text and "Memory Configuration" in full.text


def test_info_on_the_real_fixture(shell: Shell, vck190_path) -> None:
    real = vck190_path
    assert real.is_file()
    out = shell.run(f"%fpga info {real}")
    assert not out.failed, out.stderr
    assert "platform: " in out.text and "UUID: " in out.text


def test_load_function_says_nothing_was_programmed(shell: Shell) -> None:
    out = shell.run("%fpga load vision.stereo_bm")
    assert not out.failed
    assert "EMULATED: nothing was programmed (emulation requested (FPGA_EMULATION=1))" in out.text
    assert "vision.stereo_bm will run emulated on the CPU" in out.text
    assert "programmed" in out.html and ">emulated</span>" in out.html
    status = shell.run("%fpga status").text
    assert "Loaded in this session: vision.stereo_bm: emulated, nothing programmed" in status


def test_load_xclbin_file_in_emulation(shell: Shell, tmp_path) -> None:
    path = vision_xclbin(tmp_path / "v.xclbin")
    out = shell.run(f"%fpga load {path}")
    assert not out.failed, out.stderr
    assert "EMULATED: nothing was programmed" in out.text
    assert "vision.gaussian_filter, vision.resize will run emulated" in out.text
    assert f"platform {U250_PLATFORM}, kernels gaussian_filter_accel, resize_accel" in out.text


@pytest.mark.parametrize("command", ["load", "info"])
def test_a_name_is_found_through_a_symlinked_directory_on_the_search_path(
    shell: Shell, tmp_path, command: str
) -> None:
    """FPGA_XCLBIN_PATH entries often link to shared storage: the search follows the link."""
    (tmp_path / "linked-target").mkdir()
    vision_xclbin(tmp_path / "linked-target" / "deep.xclbin")
    (tmp_path / "xclbin" / "linked").symlink_to(
        tmp_path / "linked-target", target_is_directory=True
    )
    out = shell.run(f"%fpga {command} deep.xclbin")
    assert not out.failed, out.stderr
    found = tmp_path / "xclbin" / "linked" / "deep.xclbin"
    if command == "load":
        assert f"{found}: platform {U250_PLATFORM}, kernels gaussian_filter_accel" in out.text
        assert "vision.gaussian_filter, vision.resize will run emulated" in out.text
    else:
        assert f"file: {found}" in out.text


def test_bench_checks_agreement_and_charts_times_without_a_speedup(shell: Shell) -> None:
    """Emulated: the emulated time, the CPU reference's, and a predicted board time; no speedup."""
    out = shell.run("report = %fpga bench finance.black_scholes --size 2000 --repeat 2 -o")
    assert not out.failed, out.stderr
    report = shell.ip.user_ns["report"]
    assert report.backend == "emulated" and report.size == 2000 and report.repeat == 2
    assert report.comparison.ok and not report.on_hardware
    text, html = out.text, out.html
    assert "finance.black_scholes: 2,000 options, median of 2 runs, emulated on CPU" in text
    # No speedup in emulation: the old view printed "Speedup 6.7x" of CPU model over CPU reference.
    assert "Speedup" not in text and f"{report.speedup:.2f}x" not in text
    assert "no FPGA ran, so no speedup is shown" in text
    assert all("emulated" in ln.lower() for ln in text.splitlines() if "speedup" in ln.lower())
    assert "Emulated (our CPU model)" in text and "CPU reference" in text
    assert "(range " in text and "too few runs to tell a difference" in text  # --repeat 2
    assert report.prediction is not None
    assert "Predicted on AMD Alveo U250: " in text and "predicted from the kernel's clock" in text
    assert "Results agree" in text
    assert "<svg" in html and html.count("<rect") >= 3 and "accelerated (emulated)" in html
    assert "board (predicted)" in html
    # the bars are to scale: width ratio = time ratio
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)"', html)[:2]]
    ratio = report.seconds / report.reference_seconds
    assert widths[0] / widths[1] == pytest.approx(ratio, rel=0.05, abs=2 / 240)


def test_bench_progress_phases_in_text_mode(shell: Shell) -> None:
    out = shell.run("%fpga bench vision.gaussian_filter --size 64 --repeat 1")
    assert "%fpga bench vision.gaussian_filter: accelerated runs (emulated)" in out.stdout
    assert "CPU reference (cv2.GaussianBlur)" in out.stdout


def test_cell_magic_times_library_calls(shell: Shell) -> None:
    shell.run("import numpy as np\nfrom jupyter_ext.library import black_scholes, gaussian_filter")
    cell = (
        "%%fpga\n"
        "r = black_scholes(np.full(5000, 100.0), 95.0, 0.2, 0.03, 1.0)\n"
        "r = black_scholes(np.full(5000, 100.0), 95.0, 0.2, 0.03, 1.0)\n"
        "g = gaussian_filter(np.zeros((64, 64), np.uint8))\n"
        "print('cell ran', r.backend)\n"
    )
    out = shell.run(cell)
    assert not out.failed, out.stderr
    assert "cell ran emulated" in out.stdout  # the cell's own output is kept
    assert "in 3 library call(s)" in out.text
    assert "EMULATED: these calls ran on the CPU model" in out.text
    bs = next(ln for ln in out.text.splitlines() if ln.startswith("finance.black_scholes"))
    assert "emulated (emulation requested (FPGA_EMULATION=1))" in bs
    assert re.search(r"\s2\s", bs)  # two calls grouped
    assert "n/a" in bs  # no transfers to time in emulation: not shown as 0
    assert "host (outside calls)" in out.html and "<svg" in out.html
    assert shell.ip.user_ns["g"].value.shape == (64, 64)  # the cell ran in the user namespace


def test_cell_magic_compare_runs_the_cpu_model_quietly(shell: Shell) -> None:
    shell.run("from jupyter_ext.library import mc_european\ncount = 0")
    out = shell.run("%%fpga --compare\ncount += 1\nv = mc_european(samples=20000)\nprint('once')")
    assert not out.failed, out.stderr
    assert out.stdout.count("once") == 1  # the second run's output is hidden
    # it did run: once shown, then as run and on the CPU model alternating, 3 timed runs each
    # (was once each: count 2, and a verdict of "noise" without any spread to judge it by)
    assert shell.ip.user_ns["count"] == 7
    assert "--compare: the cell again on the CPU model (emulated; its output hidden)" in out.text
    assert "alternating with the cell as run, 3 run(s) each" in out.text and "(range " in out.text
    assert "Both runs were emulated on the CPU: no FPGA ran, so no speedup is shown" in out.text
    assert "run-to-run noise" not in out.text  # no longer asserted without looking at spreads
    assert "Speedup" not in out.text
    assert "Predicted on AMD Alveo U250: " in out.text and "predicted, not measured" in out.text
    assert "board (predicted)" in out.html
    assert "CPU model (emulated)" in out.html
    assert "forced to the CPU model by %%fpga --compare" in out.text


def test_cell_magic_without_library_calls_says_so(shell: Shell) -> None:
    out = shell.run("%%fpga\nx = sum(range(1000))")
    assert "No library call went through the runtime" in out.text


def test_cell_magic_failure_stops_without_timings(shell: Shell) -> None:
    out = shell.run("%%fpga\n1 / 0")
    assert out.failed
    assert "ZeroDivisionError" in out.stderr + out.stdout
    assert "UsageError: %%fpga: the cell raised ZeroDivisionError" in out.stderr
    assert "cell took" not in out.text


@pytest.mark.parametrize(
    "source",
    [
        "%fpga status",
        "%fpga list",
        "%fpga load finance.black_scholes",
        "%fpga bench compression.zlib --size 4096 --repeat 1",
        "%fpga bench finance.mc_european --size 4096 --repeat 1",
        "%%fpga\nfrom jupyter_ext.library import resize\nimport numpy as np\n"
        "resize(np.zeros((32, 32), np.uint8), 16, 16)",
    ],
)
def test_every_output_says_emulated_when_emulation_ran(shell: Shell, source: str) -> None:
    out = shell.run(source)
    assert not out.failed, out.stderr
    for bundle in out.bundles:
        for mime in ("text/plain", "text/html"):
            assert "emulated" in bundle[mime].lower(), (mime, bundle[mime][:300])
    assert out.bundles, "nothing was displayed"


def test_library_results_agree_with_numpy_inside_the_shell(shell: Shell) -> None:
    # the magic's own runtime choice is what plain library calls use too
    shell.run("%fpga status")
    out = shell.run(
        "from jupyter_ext.library import gemm\nimport numpy as np\n"
        "a = np.arange(64 * 64, dtype=np.float32).reshape(64, 64) / 4096\n"
        "res = gemm(a, a)"
    )
    assert not out.failed, out.stderr
    ns = shell.ip.user_ns
    assert ns["res"].backend == "emulated"
    assert np.allclose(ns["res"].value, ns["a"] @ ns["a"], rtol=1e-5)


def test_cell_magic_restores_the_runtime_unless_the_cell_chose_one(shell: Shell) -> None:
    from jupyter_ext.magics.celltime import RecordingBackend
    from jupyter_ext.runtime import get_runtime

    before = get_runtime()
    shell.run("%%fpga\nx = 1")
    assert get_runtime() is before and not isinstance(get_runtime(), RecordingBackend)
    out = shell.run(
        "%%fpga\nfrom jupyter_ext.runtime import EmulationBackend, set_runtime\n"
        "set_runtime(EmulationBackend('chosen in the cell'))"
    )
    assert not out.failed, out.stderr
    assert get_runtime().reason == "chosen in the cell"

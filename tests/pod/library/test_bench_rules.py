"""``bench``'s rules: alternating runs, spreads and the noise rule, no speedup without a board."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from jupyter_ext.library import FUNCTIONS, bench
from jupyter_ext.library.bench import (
    ACCELERATED,
    REFERENCE,
    BenchReport,
    Spread,
    alternate,
    compare_spreads,
)
from jupyter_ext.library.registry import Comparison, FunctionSpec
from jupyter_ext.magics.benchview import BenchView
from jupyter_ext.runtime import KernelCall


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A registered function whose accelerated side and reference log every call, in order."""
    log: list[str] = []

    def function(x: np.ndarray, runtime=None):
        log.append(ACCELERATED)
        return runtime.run(KernelCall("test.logged", "logged_kernel", (), model=lambda: [x]))

    def reference(x: np.ndarray) -> np.ndarray:
        log.append(REFERENCE)
        return x

    spec = FunctionSpec(
        "test.logged", "logged_kernel", "logs its calls", function,
        lambda n: {"x": np.arange(n)}, reference, "a logging reference",
        lambda got, want, inputs: Comparison(True, 0.0, 0.0, "same"), 8, "items",
    )  # fmt: skip
    monkeypatch.setitem(FUNCTIONS, spec.name, spec)
    return log


def test_the_two_sides_alternate_after_one_warm_up_each(logged, emulated) -> None:
    steps: list[str] = []
    report = bench("test.logged", 8, repeat=4, runtime=emulated, on_step=steps.append)
    warm_up = [ACCELERATED, REFERENCE]
    timed = [ACCELERATED, REFERENCE] * 4
    assert logged == warm_up + timed  # never all of one side, then all of the other
    assert steps == logged  # the progress bar sees every run, warm-ups included
    assert report.order == tuple(timed)
    assert report.times.runs == report.reference_times.runs == 4


def test_alternate_runs_the_sides_in_turn() -> None:
    calls: list[str] = []

    def side(name: str, seconds: float):
        return lambda: calls.append(name) or seconds

    a, b, order = alternate(side("a", 1.0), side("b", 2.0), 3)
    assert calls == ["a", "b", "a", "b", "a", "b"]
    assert (a, b) == ([1.0] * 3, [2.0] * 3)
    assert order == (ACCELERATED, REFERENCE) * 3


def test_spread_is_the_range_for_few_runs_and_the_iqr_for_many() -> None:
    few = Spread.of([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (few.median, few.low, few.high, few.kind) == (3.0, 1.0, 5.0, "range")
    many = Spread.of([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 50.0])
    assert many.kind == "IQR" and (many.low, many.high) == (2.75, 6.25)  # 50 is not in it
    one = Spread.of([2.0])
    assert (one.low, one.high) == (2.0, 2.0)
    with pytest.raises(ValueError):
        Spread.of([])


@pytest.mark.parametrize(
    ("first", "second", "noise"),
    [
        ([1.0, 1.1, 1.2, 1.3], [3.0, 3.1, 3.2, 3.3], False),  # ranges 1.0..1.3 and 3.0..3.3
        ([1.0, 2.0, 3.0], [3.5, 4.0, 5.0], False),  # 1..3 and 3.5..5
        ([1.0, 2.0, 3.0], [2.5, 3.0, 4.0], True),  # 1..3 and 2.5..4
        ([1.0, 2.0, 3.0], [3.0, 4.0, 5.0], True),  # touching counts
        ([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], True),  # identical
        # 8 runs a side: interquartile ranges, so one slow outlier cannot hide a 2x gap
        ([1.0, 1.0, 1.1, 1.1, 1.2, 1.2, 1.3, 9.0], [2.4] * 8, False),
        ([1.0, 1.5, 2.0, 2.2, 2.4, 2.5, 2.6, 3.0], [2.4] * 8, True),
    ],
)
def test_a_difference_is_noise_only_when_the_spreads_overlap(first, second, noise) -> None:
    d = compare_spreads(Spread.of(first), Spread.of(second))
    assert d.noise == noise
    assert d.enough_runs and d.measurable == (not noise)
    assert d.ratio == pytest.approx(float(np.median(first)) / float(np.median(second)))


def test_a_repeatable_gap_is_not_called_noise() -> None:
    """Injected timings: a steady 3x gap is a difference; spreads reaching each other are not."""
    fast, slow = Spread.of([1.0, 1.05, 1.1]), Spread.of([3.0, 3.1, 3.2])
    d = compare_spreads(fast, slow)
    assert d.measurable and d.ratio == pytest.approx(1.05 / 3.1)
    assert "their ranges do not overlap" in d.verdict("A", "B")
    wide = Spread.of([0.9, 1.0, 2.9, 2.95, 2.99])  # range ends just below slow's 3.0
    assert not compare_spreads(wide, slow).noise
    wider = Spread.of([0.9, 1.0, 2.9, 2.95, 3.05])  # reaches into slow's range
    d = compare_spreads(wider, slow)
    assert d.noise and not d.measurable
    assert "no measurable difference" in d.verdict("A", "B")


def test_too_few_runs_give_no_verdict() -> None:
    d = compare_spreads(Spread.of([1.0, 1.1]), Spread.of([5.0, 5.1]))
    assert not d.enough_runs and not d.measurable
    assert "too few runs" in d.verdict("A", "B")


def _with(report: BenchReport, ours: list[float], theirs: list[float], hw: bool) -> BenchReport:
    return dataclasses.replace(
        report, times=Spread.of(ours), reference_times=Spread.of(theirs),
        seconds=float(np.median(ours)), reference_seconds=float(np.median(theirs)),
        on_hardware=hw,
    )  # fmt: skip


def test_no_speedup_is_printed_in_emulation(emulated) -> None:
    report = bench("blas.gemm", 64, repeat=3, runtime=emulated)
    assert report.emulated and not report.on_hardware
    # even with a clear, repeatable gap between the two CPU implementations
    report = _with(report, [1.0, 1.01, 1.02], [3.0, 3.01, 3.02], hw=False)
    text = BenchView(report).text()
    speed_lines = [ln for ln in text.splitlines() if "speedup" in ln.lower()]
    assert speed_lines and all("no speedup is shown" in ln for ln in speed_lines)
    assert "Speedup" not in text and "speedup 3" not in str(report).lower()
    assert report.as_dict()["speedup"] is None
    # what is shown instead: the emulated time, the reference's and a predicted board time
    assert "Emulated (our CPU model)" in text and "CPU reference" in text
    assert "Predicted on AMD Alveo U250" in text and "predicted from the kernel's clock" in text
    assert "board (predicted)" in text and "board (predicted)" in BenchView(report).html()
    assert "predicted, not measured" in str(report)


def test_a_speedup_needs_the_board_and_spreads_that_do_not_overlap(xrt) -> None:
    report = bench("blas.gemm", 64, repeat=3, runtime=xrt)
    assert report.on_hardware and not report.emulated
    apart = _with(report, [1.0, 1.01, 1.02], [3.0, 3.01, 3.02], hw=True)
    text = BenchView(apart).text()
    assert f"Speedup {apart.speedup:.2f}x over numpy.matmul (float32)" in text
    assert "emulated" not in text.lower() and "predicted" in text  # the model vs the measurement
    assert apart.as_dict()["speedup"] == pytest.approx(apart.speedup)
    overlapping = _with(report, [1.0, 2.0, 3.0], [2.0, 2.5, 3.0], hw=True)
    text = BenchView(overlapping).text()
    assert "Speedup" not in text and "No speedup claimed" in text
    assert "no measurable difference" in text


def test_a_result_from_the_cpu_model_is_never_a_speedup(xrt) -> None:
    """The XRT runtime without an xclbin for the kernel emulates it: no speedup either."""
    report = bench("vision.stereo_bm", 64, repeat=3, runtime=xrt.__class__(
        xrt.pyxrt, xrt.device, platform=xrt.platform, locator=lambda k, p: None))  # fmt: skip
    assert report.emulated and not report.on_hardware
    assert "Speedup" not in BenchView(report).text()

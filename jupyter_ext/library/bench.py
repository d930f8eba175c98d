"""Run one library function against its CPU reference: agreement, timings, and what they mean.

The core of ``%fpga bench FUNCTION [--size N] [--repeat R]``. Why it is
built the way it is:

* the two sides **alternate** (ours, reference, ours, reference, ...) after
  one untimed warm-up each, so a machine that slows down or speeds up during
  the benchmark slows both sides alike; running all of one side first once
  turned a 1x difference into anything from 0.08x to 12.5x;
* both sides are timed the same way (wall clock around the call), and each
  side is reported as its **median and interquartile range** (:class:`Spread`);
* a difference is called run-to-run noise **only when the two spreads
  overlap** (:func:`compare_spreads`), and with fewer than three runs a side
  no verdict is given at all;
* a **speedup** is reported only when the accelerated side ran on the
  hardware it names (every Result came from XRT and the runtime's
  ``where()`` says hardware). In emulation the report holds the emulated
  time, the CPU reference's time and a **predicted** board time
  (:mod:`.predict`) instead.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from ..runtime import get_runtime
from ..runtime.base import Backend, InvalidArgument, Result
from .board_models import board_for
from .predict import Prediction, predict
from .registry import FUNCTIONS, Comparison

MIN_RUNS_FOR_VERDICT = 3
IQR_FROM_RUNS = 8  # below: the spread is min-max; from here: the interquartile range
ACCELERATED, REFERENCE = "accelerated", "reference"


@dataclass(frozen=True)
class Spread:
    """Repeated timings of one side: the median and a spread around it.

    With fewer than :data:`IQR_FROM_RUNS` runs the spread is the full range
    (min to max): with 3 runs a side, two sets of times with no real
    difference between them fail to overlap only 1 time in 10, where their
    interquartile ranges would fail far more often. From that many runs on it
    is the interquartile range (linear interpolation), so one outlier cannot
    hide a real difference.
    """

    samples: tuple[float, ...]

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        if not samples:
            raise ValueError("a spread needs at least one timing")
        return cls(tuple(float(s) for s in samples))

    @property
    def runs(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def kind(self) -> str:
        """``"range"`` (min to max) or ``"IQR"``: what :attr:`low` and :attr:`high` are."""
        return "IQR" if self.runs >= IQR_FROM_RUNS else "range"

    def _bounds(self) -> tuple[float, float]:
        if self.kind == "range":
            return min(self.samples), max(self.samples)
        q1, _, q3 = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q1, q3

    @property
    def low(self) -> float:
        return self._bounds()[0]

    @property
    def high(self) -> float:
        return self._bounds()[1]

    def overlaps(self, other: Spread) -> bool:
        """True when the two spreads share any time (touching counts)."""
        return self.low <= other.high and other.low <= self.high

    def describe(self, fmt: Callable[[float], str]) -> str:
        if self.runs == 1:
            return f"{fmt(self.median)} (1 run)"
        return (f"{fmt(self.median)} ({self.kind} {fmt(self.low)} to {fmt(self.high)}, "
                f"{self.runs} runs)")  # fmt: skip


@dataclass(frozen=True)
class Difference:
    """How two spreads compare: the ratio of their medians and whether it is noise."""

    ratio: float  # first.median / second.median: below 1 the first side is faster
    noise: bool  # the spreads overlap: no measurable difference
    enough_runs: bool  # both sides ran at least MIN_RUNS_FOR_VERDICT times
    spreads: str = "ranges"  # what was compared: "ranges" or "interquartile ranges"

    @property
    def measurable(self) -> bool:
        return self.enough_runs and not self.noise

    def verdict(self, first: str, second: str) -> str:
        """One sentence a user reads, e.g. ``"the FPGA took 0.32x the time of ..."``."""
        if not self.enough_runs:
            return (f"too few runs to tell a difference between {first} and {second} from "
                    f"run-to-run noise (use --repeat {MIN_RUNS_FOR_VERDICT} or more)")  # fmt: skip
        if self.noise:
            return (f"{first} and {second} differ by less than their run-to-run spread "
                    f"(their {self.spreads} overlap; medians {self.ratio:.2f}x): no measurable "
                    "difference")  # fmt: skip
        return (f"{first} took {self.ratio:.2f}x the time of {second}; their {self.spreads} "
                "do not overlap")  # fmt: skip


def compare_spreads(first: Spread, second: Spread) -> Difference:
    """The noise rule: a difference is noise only when the two spreads overlap."""
    ratio = first.median / second.median if second.median > 0 else float("inf")
    enough = min(first.runs, second.runs) >= MIN_RUNS_FOR_VERDICT
    kinds = {first.kind, second.kind}
    spreads = "interquartile ranges" if kinds == {"IQR"} else "ranges"
    return Difference(ratio, first.overlaps(second), enough, spreads)


def alternate(
    first: Callable[[], float], second: Callable[[], float], repeat: int
) -> tuple[list[float], list[float], tuple[str, ...]]:
    """Call ``first`` then ``second``, ``repeat`` times; their returned times, and the order run.

    Strict alternation: each timed call of one side comes right after a call
    of the other, so slow drifts of the machine fall on both sides alike.
    """
    a: list[float] = []
    b: list[float] = []
    order: list[str] = []
    for _ in range(repeat):
        a.append(first())
        order.append(ACCELERATED)
        b.append(second())
        order.append(REFERENCE)
    return a, b, tuple(order)


@dataclass(frozen=True)
class BenchReport:
    function: str
    size: int
    size_unit: str
    repeat: int
    backend: str
    reason: str
    device: str
    seconds: float
    reference_seconds: float
    reference_name: str
    h2d: float | None
    kernel: float | None
    d2h: float | None
    comparison: Comparison
    result: Result
    times: Spread
    reference_times: Spread
    order: tuple[str, ...]
    on_hardware: bool
    prediction: Prediction | None = None
    board: str = ""

    @property
    def speedup(self) -> float:
        """Reference time over accelerated time (medians).

        An FPGA speedup only when :attr:`on_hardware`; in emulation it compares
        two CPU implementations, and the views do not print it.
        """
        return self.reference_seconds / self.seconds if self.seconds > 0 else float("inf")

    @property
    def emulated(self) -> bool:
        return self.result.emulated

    @property
    def difference(self) -> Difference:
        """Accelerated side vs reference, with the noise rule applied."""
        return compare_spreads(self.times, self.reference_times)

    def as_dict(self) -> dict[str, Any]:
        d = self.difference
        return {
            "function": self.function, "size": self.size, "size_unit": self.size_unit,
            "repeat": self.repeat, "backend": self.backend, "reason": self.reason,
            "device": self.device, "seconds": self.seconds,
            "seconds_spread": (self.times.low, self.times.high),
            "reference_seconds": self.reference_seconds,
            "reference_seconds_spread": (self.reference_times.low, self.reference_times.high),
            "reference": self.reference_name, "on_hardware": self.on_hardware,
            "speedup": self.speedup if self.on_hardware else None,
            "noise": d.noise if d.enough_runs else None,
            "predicted": self.prediction.as_dict() if self.prediction else None,
            "h2d": self.h2d, "kernel": self.kernel, "d2h": self.d2h,
            "agrees": self.comparison.ok, "comparison": self.comparison.detail,
        }  # fmt: skip

    def __str__(self) -> str:
        ms = _ms
        lines = [f"{self.function} ({self.size} {self.size_unit}, median of {self.repeat} "
                 f"alternating runs): {self.result.label()}"]  # fmt: skip
        if self.on_hardware:
            lines.append(f"  accelerated {self.times.describe(ms)}, {self.reference_name} "
                         f"{self.reference_times.describe(ms)} (FPGA vs CPU)")  # fmt: skip
            d = self.difference
            if d.measurable:
                lines.append(f"  speedup {self.speedup:.2f}x: {d.verdict('FPGA', 'CPU')}")
            else:
                lines.append(f"  no speedup claimed: {d.verdict('FPGA', 'CPU')}")
        else:
            lines.append(f"  emulated {self.times.describe(ms)} (our CPU model: not an FPGA "
                         f"figure), {self.reference_name} {self.reference_times.describe(ms)}")  # fmt: skip
            if self.prediction is not None:
                p = self.prediction
                lines.append(f"  predicted on {self.board}: {ms(p.total_s)} (host->device "
                             f"{ms(p.h2d_s)}, kernel {ms(p.kernel_s)}, device->host "
                             f"{ms(p.d2h_s)}; predicted, not measured)")  # fmt: skip
        if self.h2d is not None:
            lines.append(f"  host->device {ms(self.h2d)}, kernel {ms(self.kernel)}, "
                         f"device->host {ms(self.d2h)}")  # fmt: skip
        lines.append(f"  {self.comparison}")
        return "\n".join(lines)


def _ms(s: float | None) -> str:
    return "n/a" if s is None else f"{s * 1e3:.3f} ms"


def _median(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return statistics.median(vals) if len(vals) == len(xs) and vals else None


def _runs_on_hardware(rt: Backend, kernel: str, results: list[Result]) -> bool:
    """Every timed call came from XRT, and the runtime's one answer for the kernel is hardware."""
    if not results or any(r.emulated for r in results):
        return False
    try:
        return bool(rt.where(kernel).hardware)
    except NotImplementedError:  # a backend that cannot say: the Results decide alone
        return True


def bench(name: str, size: int | None = None, repeat: int = 5, *, runtime: Backend | None = None,
          on_step: Callable[[str], None] | None = None) -> BenchReport:  # fmt: skip
    """Time ``FUNCTIONS[name]`` against its reference on generated inputs of ``size``.

    One untimed warm-up of each side, then ``repeat`` alternating timed runs
    of each. ``on_step(side)`` is called after every run (warm-ups included),
    ``side`` being ``"accelerated"`` or ``"reference"``: the magic's progress bar.
    """
    spec = FUNCTIONS.get(name)
    if spec is None:
        raise InvalidArgument("function", repr(name), ", ".join(sorted(FUNCTIONS)))
    if size is not None and (not isinstance(size, int) or size < spec.min_size):
        raise InvalidArgument("size", repr(size), f"an int >= {spec.min_size} ({spec.size_unit})")
    if not isinstance(repeat, int) or not 1 <= repeat <= 1000:
        raise InvalidArgument("repeat", repr(repeat), "an int in 1..1000")
    n = size or spec.default_size
    rt = runtime or get_runtime()
    inputs = spec.make_inputs(n)
    placed = spec.prepare(inputs, rt)  # device-resident once: timed calls copy nothing
    step = on_step or (lambda side: None)
    results: list[Result] = []
    ref_value: list[Any] = [None]

    def accelerated() -> float:
        t0 = perf_counter()
        results.append(spec.run(placed, rt))
        dt = perf_counter() - t0
        step(ACCELERATED)
        return dt

    def reference() -> float:
        t0 = perf_counter()
        ref_value[0] = spec.run_reference(inputs)
        dt = perf_counter() - t0
        step(REFERENCE)
        return dt

    accelerated()  # warm-ups: load the xclbin, import OpenCV, fault the pages in
    reference()
    results.clear()
    ours, theirs, order = alternate(accelerated, reference, repeat)
    last = results[-1]
    choice = board_for(rt)
    return BenchReport(
        function=name,
        size=n,
        size_unit=spec.size_unit,
        repeat=repeat,
        backend=last.backend,
        reason=last.reason,
        device=last.device,
        seconds=statistics.median(ours),
        reference_seconds=statistics.median(theirs),
        reference_name=spec.reference_name,
        h2d=_median([r.timings.h2d for r in results]),
        kernel=_median([r.timings.kernel for r in results]),
        d2h=_median([r.timings.d2h for r in results]),
        comparison=spec.compare(last.value, ref_value[0], inputs),
        result=last,
        times=Spread.of(ours),
        reference_times=Spread.of(theirs),
        order=order,
        on_hardware=_runs_on_hardware(rt, spec.kernel, results),
        prediction=predict(last, choice.board),
        board=choice.label(),
    )

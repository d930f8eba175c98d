"""``%%fpga``: time a cell and split it into transfer, kernel and host time.

Library functions run through the process-wide runtime (``get_runtime()``),
so for the cell's duration that runtime is wrapped in a
:class:`RecordingBackend` that keeps every :class:`Result` -- each carries
its backend and its own timings. ``--compare`` runs the cell again with the
runtime replaced by the CPU model (the emulation backend), which is what
"the same cell without the FPGA" means in this runtime.

``--compare`` is held to the rules of ``%fpga bench``: after the first run
(the one whose output is shown, and the warm-up), the cell as run and the
cell on the CPU model **alternate** (up to :data:`COMPARE_ROUNDS` runs each,
fewer when a cell is slow), each side is shown as a median and spread,
and a difference counts as noise only when the spreads overlap. A speedup is shown only when the cell's library calls ran
on the FPGA; when they were emulated the view shows the two CPU times and a
*predicted* board time for the cell instead.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

from ..library.bench import Spread, compare_spreads
from ..library.board_models import board_for
from ..library.predict import Prediction, predict_all
from ..runtime import EmulationBackend, get_runtime, set_runtime
from ..runtime.base import Backend, KernelCall, Result, Where
from ..widgets import (
    AMBER,
    BLUE,
    GREEN,
    GREY,
    Bar,
    View,
    badge,
    bar_chart_svg,
    bar_chart_text,
    esc,
    fmt_seconds,
    table,
    text_table,
)

FORCED_CPU_REASON = "forced to the CPU model by %%fpga --compare"
COMPARE_ROUNDS = 3  # runs of each side: the fewest that give the noise rule a spread
COMPARE_BUDGET_S = 60.0  # stop adding rounds once --compare has spent this long


class RecordingBackend(Backend):
    """Delegates to ``inner`` and keeps each Result; ``on_result`` sees them as they come.

    Every :class:`Backend` method is passed on, ``where`` above all: the
    recorder runs nothing itself, so where a call runs is ``inner``'s answer.
    """

    def __init__(self, inner: Backend, on_result: Callable[[Result], None] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.reason = inner.reason
        self.results: list[Result] = []
        self.on_result = on_result

    def run(self, call: KernelCall) -> Result:
        result = self.inner.run(call)
        self.results.append(result)
        if self.on_result is not None:
            self.on_result(result)
        return result

    def where(self, kernel: str) -> Where:
        return self.inner.where(kernel)

    def load_kernel(self, kernel: str) -> Where:
        return self.inner.load_kernel(kernel)

    def pin_xclbin(
        self, path: Path, kernels: Iterable[str], *, platform: str = "", mode: str = "hw"
    ) -> None:
        self.inner.pin_xclbin(path, kernels, platform=platform, mode=mode)

    def prepare(self, kernel: str, arg_index: int, array: Any) -> Any:
        return self.inner.prepare(kernel, arg_index, array)

    def describe(self) -> dict[str, str]:
        return self.inner.describe()

    def __getattr__(self, name: str) -> Any:  # kernel_source, locator, platform, stats ...
        return getattr(self.inner, name)


def _sum(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


@dataclass
class CallGroup:
    """All calls of one function on one backend within the cell."""

    function: str
    emulated: bool
    reason: str
    device: str
    calls: int = 0
    total: float = 0.0
    h2d: float | None = 0.0
    kernel: float | None = 0.0
    d2h: float | None = 0.0

    def add(self, r: Result) -> None:
        t = r.timings
        self.calls += 1
        self.total += t.total
        self.h2d, self.kernel, self.d2h = (_sum([self.h2d, t.h2d]), _sum([self.kernel, t.kernel]),
                                           _sum([self.d2h, t.d2h]))  # fmt: skip

    @property
    def where(self) -> str:
        if self.emulated:
            return f"emulated ({self.reason})"
        return f"FPGA ({self.device})"


@dataclass
class CellTiming:
    label: str
    wall: float
    groups: list[CallGroup] = field(default_factory=list)

    @classmethod
    def from_results(cls, label: str, wall: float, results: list[Result]) -> CellTiming:
        groups: dict[tuple[str, str, str], CallGroup] = {}
        for r in results:
            key = (r.function, r.backend, r.reason)
            groups.setdefault(key, CallGroup(r.function, r.emulated, r.reason, r.device)).add(r)
        return cls(label, wall, list(groups.values()))

    @property
    def in_calls(self) -> float:
        return sum(g.total for g in self.groups)

    @property
    def emulated(self) -> bool:
        return any(g.emulated for g in self.groups)

    def phases(self) -> tuple[tuple[str, float], ...]:
        """Stacked segments of the wall time; transfers only where every call timed them."""
        h2d, kern, d2h = (_sum([g.h2d for g in self.groups]), _sum([g.kernel for g in self.groups]),
                          _sum([g.d2h for g in self.groups]))  # fmt: skip
        host = max(self.wall - self.in_calls, 0.0)
        if self.groups and None not in (h2d, kern, d2h):
            segs = (("host->device", h2d), ("kernel", kern), ("device->host", d2h))
        else:
            segs = (("kernel", self.in_calls),)  # emulated: the model's time, no transfers
        return (*segs, ("host (outside calls)", host))  # type: ignore[return-value]


def time_cell(run: Callable[[], Any], backend: Backend | None = None) -> tuple[Any, float, list]:
    """Run ``run()`` with the runtime recorded (and replaced by ``backend`` if given)."""
    previous = get_runtime()
    recorder = RecordingBackend(backend or previous)
    set_runtime(recorder)
    try:
        t0 = perf_counter()
        outcome = run()
        wall = perf_counter() - t0
    finally:
        if get_runtime() is recorder:  # a cell that chose its own runtime keeps it
            set_runtime(previous)
    return outcome, wall, recorder.results


def cpu_backend() -> Backend:
    return EmulationBackend(FORCED_CPU_REASON)


@dataclass
class CompareRuns:
    """What ``--compare`` measured: both sides' wall times, in the order they ran."""

    first: Spread  # the cell as run (after the first run, whose output was shown)
    cpu: Spread  # the cell on the CPU model
    order: tuple[str, ...]
    cpu_timing: CellTiming  # the last CPU-model run, for the table
    on_hardware: bool  # every library call of the runs as run came from the FPGA
    any_calls: bool
    all_emulated: bool  # every library call of the first run was emulated
    prediction: Prediction | None = None  # the first run's library calls, on ``board``
    missing: tuple[str, ...] = ()  # functions with no kernel model
    host_outside: float = 0.0  # median time outside library calls of the timed runs as run
    board: str = ""

    @property
    def predicted_cell(self) -> float | None:
        return None if self.prediction is None else self.prediction.total_s + self.host_outside


AS_RUN, ON_CPU = "as run", "CPU model"


def compare_runs(run: Callable[[], Any], first: CellTiming, first_results: list[Result],
                 check: Callable[[Any, str], None], *, rounds: int = COMPARE_ROUNDS,
                 budget_s: float = COMPARE_BUDGET_S) -> CompareRuns:  # fmt: skip
    """After the first (shown, cold) run: the cell as run and on the CPU model, alternating.

    The first run loads xclbins, imports and fills caches, so it is the
    as-run side's warm-up and is not timed against anything. Then: as run,
    CPU model, as run, CPU model, ... ending on the CPU model, ``rounds``
    times (fewer once ``budget_s`` is spent, never fewer than one).
    ``check(outcome, what)`` stops everything on a failing run.
    """
    walls: list[float] = []
    cpu_walls: list[float] = []
    outside: list[float] = []
    order: list[str] = []
    as_run_results = list(first_results)
    start = perf_counter()
    while True:
        outcome, wall, calls = time_cell(run)
        check(outcome, "the cell")
        walls.append(wall)
        outside.append(max(wall - sum(r.timings.total for r in calls), 0.0))
        order.append(AS_RUN)
        as_run_results += calls
        outcome, wall, calls = time_cell(run, cpu_backend())
        check(outcome, "the --compare run on the CPU model")
        cpu_walls.append(wall)
        order.append(ON_CPU)
        cpu_timing = CellTiming.from_results("CPU model (emulated)", wall, calls)
        if len(cpu_walls) >= rounds or perf_counter() - start > budget_s:
            break
    choice = board_for(get_runtime())
    prediction, missing = predict_all(first_results, choice.board)
    return CompareRuns(
        first=Spread.of(walls),
        cpu=Spread.of(cpu_walls),
        order=tuple(order),
        cpu_timing=cpu_timing,
        on_hardware=bool(as_run_results) and not any(r.emulated for r in as_run_results),
        any_calls=bool(first_results),
        all_emulated=bool(first_results) and all(r.emulated for r in first_results),
        prediction=prediction,
        missing=tuple(missing),
        host_outside=statistics.median(outside),
        board=choice.label(),
    )


def compare_lines(c: CompareRuns) -> list[str]:
    """The --compare verdict: a speedup only from the FPGA, and noise only when spreads overlap."""
    runs = f"{c.first.runs} run(s) each" if c.first.runs == c.cpu.runs else "runs"
    out = [f"--compare: the cell again on the CPU model (emulated; its output hidden), "
           f"alternating with the cell as run, {runs}: as run "
           f"{c.first.describe(fmt_seconds)}, on the CPU model {c.cpu.describe(fmt_seconds)}."]  # fmt: skip
    d = compare_spreads(c.first, c.cpu)
    if c.on_hardware:
        if d.measurable:
            out.append(f"Speedup {1 / d.ratio:.2f}x over the CPU model: "
                       f"{d.verdict('the FPGA cell', 'the CPU model cell')}.")  # fmt: skip
        else:
            out.append(f"No speedup claimed: {d.verdict('the FPGA cell', 'the CPU model cell')}.")
        return out
    if not c.any_calls:
        out.append(f"No library call ran, so there is no FPGA time to compare: "
                   f"{d.verdict('the first runs', 'the second runs')}.")  # fmt: skip
        return out
    if c.all_emulated:
        out.append("Both runs were emulated on the CPU: no FPGA ran, so no speedup is shown; "
                   f"{d.verdict('this cell', 'the CPU model run')}.")  # fmt: skip
    else:
        out.append("Some library calls were emulated: no speedup is shown; "
                   f"{d.verdict('this cell', 'the CPU model run')}.")  # fmt: skip
    if c.prediction is not None and c.predicted_cell is not None:
        p = c.prediction
        line = (f"Predicted on {c.board}: {fmt_seconds(c.predicted_cell)} for this cell -- "
                f"its library calls' predicted board time {fmt_seconds(p.total_s)} (host->device "
                f"{fmt_seconds(p.h2d_s)}, kernel {fmt_seconds(p.kernel_s)}, device->host "
                f"{fmt_seconds(p.d2h_s)}) plus {fmt_seconds(c.host_outside)} measured outside "
                "them; predicted, not measured.")  # fmt: skip
        if c.missing:
            line += f" No kernel model for: {', '.join(c.missing)}."
        out.append(line)
    return out


class CellView(View):
    HEADERS = ("function", "ran", "calls", "total", "host->device", "kernel", "device->host")

    def __init__(self, first: CellTiming, compare: CompareRuns | None = None) -> None:
        self.first = first
        self.compare = compare
        self.second = compare.cpu_timing if compare is not None else None

    @property
    def emulated(self) -> bool:
        return self.first.emulated or self.second is not None

    def _rows(self, t: CellTiming) -> list[tuple[str, ...]]:
        return [(g.function, g.where, str(g.calls), fmt_seconds(g.total), fmt_seconds(g.h2d),
                 fmt_seconds(g.kernel), fmt_seconds(g.d2h)) for g in t.groups]  # fmt: skip

    def _bars(self) -> list[Bar]:
        f, c = self.first, self.compare
        color = AMBER if f.emulated else GREEN
        if c is None:
            return [Bar(f.label, f.wall, color, f.phases())]
        bars = [Bar(f"{f.label}, median of {c.first.runs}", c.first.median, color),
                Bar(f"CPU model (emulated), median of {c.cpu.runs}", c.cpu.median, GREY)]  # fmt: skip
        if not c.on_hardware and c.prediction is not None and c.predicted_cell is not None:
            segs = (*c.prediction.phases(), ("host (outside calls)", c.host_outside))
            bars.append(Bar("board (predicted)", c.predicted_cell, BLUE, segs))
        return bars

    def lines(self) -> list[str]:
        f = self.first
        out = [f"%%fpga: cell took {fmt_seconds(f.wall)}, of which {fmt_seconds(f.in_calls)} in "
               f"{sum(g.calls for g in f.groups)} library call(s)."]  # fmt: skip
        if not f.groups:
            out.append("No library call went through the runtime (calls given an explicit "
                       "runtime= are not seen).")  # fmt: skip
        if f.emulated:
            out.append("EMULATED: these calls ran on the CPU model, not an FPGA; kernel time is "
                       "the model's time and there are no transfers to time.")  # fmt: skip
        if self.compare is not None:
            out += compare_lines(self.compare)
        return out

    def text(self) -> str:
        parts = self.lines()
        if self.first.groups:
            parts.append(text_table(self.HEADERS, self._rows(self.first)))
        if self.second is not None and self.second.groups:
            parts.append(text_table(self.HEADERS, self._rows(self.second)))
        parts.append(bar_chart_text(self._bars()))
        return "\n".join(parts)

    def html(self) -> str:
        head, *rest = self.lines()
        tag = badge("emulated", AMBER) if self.emulated else badge("FPGA", GREEN)
        out = [f'<div style="font-family:sans-serif">{tag} <b>{esc(head)}</b>']
        out += [f"<div>{esc(line)}</div>" for line in rest]
        for t in (self.first, self.second):
            if t is not None and t.groups:
                out.append(f'<div style="color:{BLUE}">{esc(t.label)}</div>')
                out.append(table(self.HEADERS, self._rows(t)))
        out.append(bar_chart_svg(self._bars(), title="cell time"))
        return "".join(out) + "</div>"

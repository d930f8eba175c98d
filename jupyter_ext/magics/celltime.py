"""``%%fpga``: time a cell and split it into transfer, kernel and host time.

Library functions run through the process-wide runtime (``get_runtime()``),
so for the cell's duration that runtime is wrapped in a
:class:`RecordingBackend` that keeps every :class:`Result` -- each carries
its backend and its own timings. ``--compare`` runs the cell again with the
runtime replaced by the CPU model (the emulation backend), which is what
"the same cell without the FPGA" means in this runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

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


class CellView(View):
    HEADERS = ("function", "ran", "calls", "total", "host->device", "kernel", "device->host")

    def __init__(self, first: CellTiming, second: CellTiming | None = None) -> None:
        self.first = first
        self.second = second

    @property
    def emulated(self) -> bool:
        return self.first.emulated or self.second is not None

    def _rows(self, t: CellTiming) -> list[tuple[str, ...]]:
        return [(g.function, g.where, str(g.calls), fmt_seconds(g.total), fmt_seconds(g.h2d),
                 fmt_seconds(g.kernel), fmt_seconds(g.d2h)) for g in t.groups]  # fmt: skip

    def _bars(self) -> list[Bar]:
        bars = [Bar(self.first.label, self.first.wall,
                    AMBER if self.first.emulated else GREEN, self.first.phases())]  # fmt: skip
        if self.second is not None:
            bars.append(Bar(self.second.label, self.second.wall, GREY, self.second.phases()))
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
        if self.second is not None:
            s = self.second
            ratio = s.wall / f.wall if f.wall > 0 else float("inf")
            out.append(f"--compare: the cell again on the CPU model (emulated; its output hidden)"
                       f" took {fmt_seconds(s.wall)}: {ratio:.2f}x the first run.")  # fmt: skip
            if f.emulated:
                out.append("Both runs were emulated on the CPU: the difference is run-to-run "
                           "noise, not an FPGA speedup.")  # fmt: skip
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

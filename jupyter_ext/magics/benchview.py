"""``%fpga bench``: the Vitis notebooks' "accelerated vs CPU, speedup" cell, in one line.

The work is :func:`jupyter_ext.library.bench` (same inputs to both sides,
agreement check, medians). This module only adds a progress bar -- by
counting the runs that pass through the runtime -- and draws the answer.
"""

from __future__ import annotations

from IPython.core.error import UsageError

from ..library import FUNCTIONS, BenchReport, bench
from ..runtime.base import Backend, FPGARuntimeError, InvalidArgument, Result
from ..widgets import (
    AMBER,
    GREEN,
    GREY,
    RED,
    Bar,
    Progress,
    View,
    badge,
    bar_chart_svg,
    bar_chart_text,
    esc,
    fmt_seconds,
)
from .celltime import RecordingBackend


def run_bench(name: str, size: int | None, repeat: int, runtime: Backend) -> BenchReport:
    """``bench()`` with a progress bar: warm-up + ``repeat`` accelerated runs, then the reference."""
    if name not in FUNCTIONS:
        raise UsageError(f"%fpga bench: unknown function {name!r}; choose from: "
                         f"{', '.join(sorted(FUNCTIONS))}")  # fmt: skip
    runs = repeat + 1
    progress = Progress(f"%fpga bench {name}", 2 * runs)
    # The runtime's answer for this kernel: XRT emulates a kernel it has no xclbin for.
    where = "FPGA" if runtime.where(FUNCTIONS[name].kernel).hardware else "emulated"
    progress.phase("preparing inputs")

    def seen(result: Result) -> None:
        progress.advance()
        done = len(recorder.results)
        if done < runs:
            progress.phase(f"accelerated runs ({where})")
        else:
            progress.phase(f"CPU reference ({FUNCTIONS[name].reference_name})")

    recorder = RecordingBackend(runtime, seen)
    try:
        report = bench(name, size, repeat, runtime=recorder)
    except InvalidArgument as exc:
        progress.finish("bad input", ok=False)
        raise UsageError(f"%fpga bench: {exc}") from None
    except FPGARuntimeError as exc:
        progress.finish("failed", ok=False)
        raise UsageError(f"%fpga bench {name}: {exc}") from None
    label = "results agree" if report.comparison.ok else "results DIFFER"
    progress.finish(f"{label} ({'emulated' if report.emulated else 'FPGA'})", report.comparison.ok)
    return report


class BenchView(View):
    def __init__(self, report: BenchReport) -> None:
        self.r = report

    @property
    def emulated(self) -> bool:
        return self.r.emulated

    def _accel_label(self) -> str:
        return "accelerated (emulated)" if self.r.emulated else "FPGA"

    def bars(self) -> list[Bar]:
        r = self.r
        phases: tuple[tuple[str, float], ...] = ()
        if None not in (r.h2d, r.kernel, r.d2h):
            phases = (("host->device", r.h2d), ("kernel", r.kernel), ("device->host", r.d2h))  # type: ignore[assignment]
        color = AMBER if r.emulated else GREEN
        return [Bar(self._accel_label(), r.seconds, color, phases),
                Bar(f"CPU: {r.reference_name}", r.reference_seconds, GREY)]  # fmt: skip

    def lines(self) -> list[str]:
        r = self.r
        head = (f"{r.function}: {r.size:,} {r.size_unit}, median of {r.repeat} runs, "
                f"{r.result.label()}")  # fmt: skip
        speed = f"Speedup {r.speedup:.2f}x over {r.reference_name}"
        if r.emulated:
            speed += (" -- EMULATED: our CPU model vs the CPU reference, not an FPGA figure"
                      f" ({r.reason}).")  # fmt: skip
        else:
            speed += f" on {r.device}."
        times = (f"{self._accel_label()} {fmt_seconds(r.seconds)}, "
                 f"CPU reference {fmt_seconds(r.reference_seconds)}")  # fmt: skip
        if r.h2d is not None:
            times += (f" (host->device {fmt_seconds(r.h2d)}, kernel {fmt_seconds(r.kernel)}, "
                      f"device->host {fmt_seconds(r.d2h)})")  # fmt: skip
        verdict = (
            "Results agree" if r.comparison.ok else "Results DIFFER"
        ) + f": {r.comparison.detail}"
        return [head, speed, times, verdict]

    def text(self) -> str:
        return "\n".join([*self.lines(), bar_chart_text(self.bars())])

    def html(self) -> str:
        r = self.r
        head, speed, times, verdict = self.lines()
        tag = badge("emulated", AMBER) if r.emulated else badge("FPGA", GREEN)
        ok = badge("agree", GREEN) if r.comparison.ok else badge("DIFFER", RED)
        return (f'<div style="font-family:sans-serif">{tag} <b>{esc(head)}</b>'
                f'<div style="font-size:120%;margin:4px 0"><b>{esc(speed)}</b></div>'
                f"{bar_chart_svg(self.bars(), title=f'{r.function}: time per call (median)')}"
                f"<div>{esc(times)}</div><div>{ok} {esc(verdict)}</div></div>")  # fmt: skip

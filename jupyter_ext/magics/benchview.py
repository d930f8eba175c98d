"""``%fpga bench``: the Vitis notebooks' "accelerated vs CPU" cell, in one line, without the lies.

The work is :func:`jupyter_ext.library.bench` (same inputs to both sides,
alternating timed runs, medians and spreads, agreement check, a predicted
board time). This module adds a progress bar and draws the answer, which
depends on where the accelerated side ran:

* on the board it names: a speedup, but only when the two sides' spreads do
  not overlap; otherwise "no measurable difference";
* emulated: no speedup at all -- the emulated time, the CPU reference's time
  and the board time the kernel model *predicts*, each labelled as what it is.
"""

from __future__ import annotations

from IPython.core.error import UsageError

from ..library import FUNCTIONS, BenchReport, bench
from ..runtime.base import Backend, FPGARuntimeError, InvalidArgument
from ..widgets import (
    AMBER,
    BLUE,
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

PREDICTED_LABEL = "board (predicted)"


def run_bench(name: str, size: int | None, repeat: int, runtime: Backend) -> BenchReport:
    """``bench()`` with a progress bar: a warm-up and ``repeat`` runs of each side, alternating."""
    if name not in FUNCTIONS:
        raise UsageError(f"%fpga bench: unknown function {name!r}; choose from: "
                         f"{', '.join(sorted(FUNCTIONS))}")  # fmt: skip
    spec = FUNCTIONS[name]
    progress = Progress(f"%fpga bench {name}", 2 * (repeat + 1))
    # The runtime's answer for this kernel: XRT emulates a kernel it has no xclbin for.
    where = "FPGA" if runtime.where(spec.kernel).hardware else "emulated"
    progress.phase("preparing inputs")
    steps = [0]

    def step(side: str) -> None:
        steps[0] += 1
        progress.advance()
        if steps[0] == 2:  # both warm-ups done
            progress.phase(f"accelerated runs ({where}) alternating with the CPU reference "
                           f"({spec.reference_name})")  # fmt: skip

    try:
        report = bench(name, size, repeat, runtime=runtime, on_step=step)
    except InvalidArgument as exc:
        progress.finish("bad input", ok=False)
        raise UsageError(f"%fpga bench: {exc}") from None
    except FPGARuntimeError as exc:
        progress.finish("failed", ok=False)
        raise UsageError(f"%fpga bench {name}: {exc}") from None
    label = "results agree" if report.comparison.ok else "results DIFFER"
    progress.finish(f"{label} ({'FPGA' if report.on_hardware else 'emulated'})",
                    report.comparison.ok)  # fmt: skip
    return report


def _spread(report: BenchReport, reference: bool = False) -> str:
    return (report.reference_times if reference else report.times).describe(fmt_seconds)


class BenchView(View):
    def __init__(self, report: BenchReport) -> None:
        self.r = report

    @property
    def emulated(self) -> bool:
        return not self.r.on_hardware

    def _accel_label(self) -> str:
        return "FPGA" if self.r.on_hardware else "accelerated (emulated)"

    def bars(self) -> list[Bar]:
        r = self.r
        phases: tuple[tuple[str, float], ...] = ()
        if r.on_hardware and None not in (r.h2d, r.kernel, r.d2h):
            phases = (("host->device", r.h2d), ("kernel", r.kernel), ("device->host", r.d2h))  # type: ignore[assignment]
        color = GREEN if r.on_hardware else AMBER
        bars = [Bar(self._accel_label(), r.seconds, color, phases),
                Bar(f"CPU: {r.reference_name}", r.reference_seconds, GREY)]  # fmt: skip
        if not r.on_hardware and r.prediction is not None:
            p = r.prediction
            bars.append(Bar(PREDICTED_LABEL, p.total_s, BLUE, p.phases()))
        return bars

    def lines(self) -> list[str]:
        """Head, the verdict on time, the times, the prediction (if any), agreement."""
        r = self.r
        head = (f"{r.function}: {r.size:,} {r.size_unit}, median of {r.repeat} runs, "
                f"{r.result.label()}")  # fmt: skip
        d = r.difference
        if r.on_hardware:
            if d.measurable:
                speed = (f"Speedup {r.speedup:.2f}x over {r.reference_name} on {r.device}: "
                         f"{d.verdict('the FPGA', 'the CPU reference')}.")  # fmt: skip
            else:
                speed = (f"No speedup claimed over {r.reference_name} on {r.device}: "
                         f"{d.verdict('the FPGA', 'the CPU reference')}.")  # fmt: skip
            times = f"FPGA {_spread(r)}, CPU reference {_spread(r, True)}, runs alternating"
            if r.h2d is not None:
                times += (f" (host->device {fmt_seconds(r.h2d)}, kernel {fmt_seconds(r.kernel)}, "
                          f"device->host {fmt_seconds(r.d2h)})")  # fmt: skip
            extra = []
            if r.prediction is not None:
                extra.append(f"The kernel model predicted {fmt_seconds(r.prediction.total_s)} "
                             f"on {r.board} (measured {fmt_seconds(r.seconds)}).")  # fmt: skip
        else:
            speed = (f"EMULATED ({r.reason}): no FPGA ran, so no speedup is shown; below are "
                     "the emulated time, the CPU reference's time and a predicted board time.")  # fmt: skip
            times = (f"Emulated (our CPU model) {_spread(r)}; CPU reference "
                     f"{_spread(r, True)}; runs alternating: "
                     f"{d.verdict('the emulation', 'the CPU reference')}.")  # fmt: skip
            extra = [self._prediction_line()]
        verdict = ("Results agree" if r.comparison.ok else "Results DIFFER") + (
            f": {r.comparison.detail}")  # fmt: skip
        return [head, speed, times, *extra, verdict]

    def _prediction_line(self) -> str:
        r = self.r
        p = r.prediction
        if p is None:
            return "Predicted board time: no kernel model for this call."
        from ..library.predict_published import check_for

        line = (f"Predicted on {r.board}: {fmt_seconds(p.total_s)} (host->device "
                f"{fmt_seconds(p.h2d_s)}, kernel {fmt_seconds(p.kernel_s)}, device->host "
                f"{fmt_seconds(p.d2h_s)}) -- predicted from the kernel's clock, initiation "
                "interval and parallelism and the bytes over PCIe, not measured; per-call "
                "overheads are left out.")  # fmt: skip
        check = check_for(r.function)
        if check is not None and not check.published.suspect:
            pub = check.published
            if pub.calibrated:
                line += (f" It matches AMD's published {fmt_seconds(pub.seconds)} at {pub.size} "
                         "by construction: that measurement is one of its inputs.")  # fmt: skip
            else:
                line += (f" At {pub.size} the model is {check.error:+.0%} from AMD's published "
                         f"{fmt_seconds(pub.seconds)} ({pub.what}).")  # fmt: skip
        return line

    def text(self) -> str:
        return "\n".join([*self.lines(), bar_chart_text(self.bars())])

    def html(self) -> str:
        r = self.r
        head, speed, *rest = self.lines()
        tag = badge("FPGA", GREEN) if r.on_hardware else badge("emulated", AMBER)
        ok = badge("agree", GREEN) if r.comparison.ok else badge("DIFFER", RED)
        body = "".join(f"<div>{esc(line)}</div>" for line in rest[:-1])
        return (f'<div style="font-family:sans-serif">{tag} <b>{esc(head)}</b>'
                f'<div style="font-size:120%;margin:4px 0"><b>{esc(speed)}</b></div>'
                f"{bar_chart_svg(self.bars(), title=f'{r.function}: time per call (median)')}"
                f"{body}<div>{ok} {esc(rest[-1])}</div></div>")  # fmt: skip

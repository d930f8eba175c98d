"""``%%fpga --compare``'s rules: alternating runs, the noise rule, no speedup without a board."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_ext.library import black_scholes
from jupyter_ext.library.bench import Spread
from jupyter_ext.magics.celltime import (
    AS_RUN,
    FORCED_CPU_REASON,
    ON_CPU,
    CellTiming,
    CompareRuns,
    compare_lines,
    compare_runs,
    time_cell,
)
from jupyter_ext.runtime import EmulationBackend, get_runtime, set_runtime


def test_the_cell_and_the_cpu_model_alternate() -> None:
    set_runtime(EmulationBackend("no pyxrt"))
    seen: list[str] = []

    def run() -> str:
        reason = get_runtime().reason
        seen.append(ON_CPU if reason == FORCED_CPU_REASON else AS_RUN)
        black_scholes(np.full(32, 100.0), 95.0, 0.2, 0.03, 1.0)
        return "ok"

    def check(outcome: str, what: str) -> None:
        assert outcome == "ok", what

    outcome, wall, calls = time_cell(run)
    first = CellTiming.from_results("this cell (emulated)", wall, calls)
    c = compare_runs(run, first, calls, check, rounds=3)
    assert seen == [AS_RUN] + [AS_RUN, ON_CPU] * 3  # the shown (warm-up) run, then in turn
    assert c.order == (AS_RUN, ON_CPU) * 3
    assert c.first.runs == c.cpu.runs == 3
    assert c.all_emulated and not c.on_hardware and c.prediction is not None
    assert c.board == "AMD Alveo U250" or "assumed" in c.board


def _runs(first: list[float], cpu: list[float], *, hardware: bool) -> CompareRuns:
    timing = CellTiming("CPU model (emulated)", cpu[-1])
    return CompareRuns(Spread.of(first), Spread.of(cpu), (AS_RUN, ON_CPU) * len(first), timing,
                       on_hardware=hardware, any_calls=True, all_emulated=not hardware,
                       board="AMD Alveo U250")  # fmt: skip


@pytest.mark.parametrize("hardware", [True, False])
def test_a_repeatable_gap_is_not_called_noise(hardware: bool) -> None:
    text = "\n".join(compare_lines(_runs([1.0, 1.02, 1.04], [3.0, 3.1, 3.2], hardware=hardware)))
    assert "noise" not in text and "do not overlap" in text
    if hardware:
        assert "Speedup 3.04x over the CPU model" in text
    else:  # a 3x gap between two CPU runs is real, but it is not an FPGA speedup
        assert "Speedup" not in text and "no FPGA ran, so no speedup is shown" in text


def test_overlapping_spreads_are_no_measurable_difference() -> None:
    text = "\n".join(compare_lines(_runs([1.0, 2.0, 3.0], [2.0, 2.5, 3.0], hardware=True)))
    assert "Speedup" not in text and "No speedup claimed" in text
    assert "no measurable difference" in text


def test_one_run_each_gives_no_verdict() -> None:
    text = "\n".join(compare_lines(_runs([1.0], [3.0], hardware=True)))
    assert "Speedup" not in text and "too few runs" in text

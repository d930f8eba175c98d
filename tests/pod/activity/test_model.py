"""Merging the kernels' records, the API answer, idle time and the notices (pure functions)."""

from __future__ import annotations

import pytest

from jupyter_ext.activity.model import (
    MAX_XCLBINS,
    Limits,
    ProcessRecord,
    XclbinSeen,
    activity_answer,
    idle_line,
    idle_status,
    limits_from_env,
    max_age_line,
    merge,
    retire,
    shared_line,
)
from jupyter_ext.contract import FPGARequest

T0 = 1_790_000_000.0


def rec(**kw) -> ProcessRecord:
    return ProcessRecord(pid=kw.pop("pid", 1), started=kw.pop("started", T0), **kw)


def test_merge_sums_counts_and_keeps_the_latest_times():
    a = rec(runs=3, loads=1, last_run=T0 + 10, last_load=T0 + 2, backend="emulation")
    b = rec(pid=2, runs=2, cells=4, last_run=T0 + 30, last_cell=T0 + 40, backend="xrt", busy=True)
    pod = merge([a, b])
    assert (pod.runs, pod.loads, pod.cells, pod.processes) == (5, 1, 4, 2)
    assert (pod.last_run, pod.last_load, pod.last_cell) == (T0 + 30, T0 + 2, T0 + 40)
    assert pod.last_activity == T0 + 40 and pod.busy is True
    assert pod.backend == "xrt"  # the process that ran last says which backend runs


def test_merge_of_nothing_is_no_activity():
    pod = merge([])
    assert (pod.runs, pod.last_activity, pod.busy, pod.processes) == (0, None, False, 0)


def test_loaded_xclbins_are_distinct_newest_first_and_bounded():
    many = tuple(XclbinSeen(f"k{i}.xclbin", f"uuid-{i}", T0 + i) for i in range(20))
    older_copy = (XclbinSeen("k19-renamed.xclbin", "uuid-19", T0 - 5),)
    pod = merge([rec(xclbins=many[:10]), rec(pid=2, xclbins=many[10:] + older_copy)])
    assert [x.uuid for x in pod.xclbins] == [f"uuid-{i}" for i in range(19, 19 - MAX_XCLBINS, -1)]
    assert pod.xclbins[0].name == "k19.xclbin"  # the newer sighting of the same UUID wins


def test_a_retired_process_adds_its_counts_but_is_never_busy():
    total = retire(rec(runs=1, processes=1), rec(pid=7, runs=4, busy=True, last_run=T0 + 9))
    assert (total.runs, total.busy, total.processes, total.last_run) == (5, False, 2, T0 + 9)


@pytest.mark.parametrize("doc", [
    {}, {"version": 2}, {"version": 1, "runs": -1}, {"version": 1, "runs": "many"},
    {"version": 1, "xclbins": [{"name": "x"}]}, [1, 2],
])  # fmt: skip
def test_a_malformed_record_is_refused(doc):
    with pytest.raises(ValueError):
        ProcessRecord.from_dict(doc)


def test_a_record_round_trips():
    r = rec(runs=2, last_run=T0, backend="xrt", xclbins=(XclbinSeen("a.xclbin", "u", T0),))
    assert ProcessRecord.from_dict(r.to_dict()) == r


def test_limits_from_env_name_a_bad_value_and_ignore_it():
    limits = limits_from_env({"FPGA_IDLE_TIMEOUT": "3600", "FPGA_IDLE_WARNING": "ten",
                              "FPGA_MAX_AGE": "-5"})  # fmt: skip
    assert (limits.idle_timeout, limits.idle_warning, limits.max_age) == (3600, None, None)
    assert limits.problems == (
        "FPGA_IDLE_WARNING='ten' ignored: allowed is a whole number of seconds > 0",
        "FPGA_MAX_AGE='-5' ignored: allowed is a whole number of seconds > 0",
    )
    assert limits_from_env({}) == Limits()


def test_the_api_answer_has_the_contract_keys_in_iso_utc():
    pod = merge([rec(runs=2, loads=1, last_run=T0 + 60, last_load=T0 + 1, backend="xrt",
                     xclbins=(XclbinSeen("vadd.xclbin", "u-1", T0 + 1),))])  # fmt: skip
    a = activity_answer(
        pod, started=T0, limits=Limits(3600, 300, 86400), default_backend="emulation"
    )
    assert a == {
        "runs": 2, "loads": 1, "cells": 0,
        "last_run": "2026-09-21T14:14:20Z", "last_load": "2026-09-21T14:13:21Z",
        "last_activity": "2026-09-21T14:14:20Z", "busy": False,
        "loaded_xclbins": [{"name": "vadd.xclbin", "uuid": "u-1"}],
        "backend": "xrt", "emulated": False, "started": "2026-09-21T14:13:20Z",
        "idle_timeout": 3600, "idle_warning": 300, "max_age": 86400,
    }  # fmt: skip
    none = activity_answer(merge([]), started=T0, limits=Limits(), default_backend="emulation")
    assert (none["backend"], none["emulated"], none["last_activity"]) == ("emulation", True, None)


def test_idle_time_counts_from_the_server_start_until_the_first_activity():
    limits = Limits(idle_timeout=3600, idle_warning=600)
    idle = idle_status(merge([]), started=T0, now=T0 + 3300, limits=limits)
    assert (idle.idle_s, idle.stops_in_s, idle.warn) == (3300, 300, True)
    assert idle_line(idle) == ("FPGA idle for 55 min; this server stops in 5 min unless the "
                               "FPGA is used.")  # fmt: skip
    used = idle_status(merge([rec(last_run=T0 + 3000)]), started=T0, now=T0 + 3300, limits=limits)
    assert (used.idle_s, used.warn, used.window) == (300, False, T0 + 3000)
    busy = idle_status(merge([rec(last_run=T0, busy=True)]), started=T0, now=T0 + 9999,
                       limits=limits)  # fmt: skip
    assert (busy.idle_s, busy.warn) == (0, False) and idle_line(busy).startswith("FPGA in use now")


def test_without_an_idle_timeout_nothing_is_said():
    idle = idle_status(merge([]), started=T0, now=T0 + 10**6, limits=Limits(max_age=7200))
    assert (idle.stops_in_s, idle.warn, idle_line(idle)) == (None, False, "")
    assert max_age_line(idle) == "This server reaches its maximum lifetime in under a minute."
    young = idle_status(merge([]), started=T0, now=T0 + 60, limits=Limits(max_age=7200))
    assert max_age_line(young) == "This server reaches its maximum lifetime in 119 min."


def test_shared_board_line():
    def line(**env: str) -> str:
        return shared_line(FPGARequest.from_env({"FPGA_BOARD": "u55c", **env}))

    assert line(FPGA_SLOTS_PER_BOARD="4").startswith("shared board: 1 of 4 slots")
    assert line(FPGA_SLOTS_PER_BOARD="1") == ""
    assert line() == ""
    assert line(FPGA_SLOTS_PER_BOARD="four") == ""  # garbled reads as whole boards
    assert shared_line(None) == ""

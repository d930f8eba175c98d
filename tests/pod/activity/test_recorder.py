"""The recorder in the runtime: every backend records, calls never overlap, files stay small."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from jupyter_ext.activity import ActivityDirectory, Recorder, set_recorder
from jupyter_ext.activity.store import RETIRED
from jupyter_ext.magics.celltime import RecordingBackend
from jupyter_ext.runtime import EmulationBackend, KernelCall, Out
from jupyter_ext.runtime.base import Backend, Result, Timings, Where
from tests.support.paths import REPO
from tests.support.xclbin_writer import write_xclbin


@pytest.fixture
def activity(tmp_path: Path):
    """This process records into a fresh directory with a 0.2 s write interval."""
    rec = Recorder(tmp_path / "activity", min_interval=0.2)
    previous = set_recorder(rec)
    yield rec
    set_recorder(previous)
    rec.close()


def call(model=lambda: [np.zeros(1)]) -> KernelCall:
    return KernelCall("test.f", "krnl", [Out((1,), np.float64)], model=model)


def until(condition, timeout: float = 10.0) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def records(rec: Recorder) -> list[dict]:
    rec.flush()
    return [json.loads(p.read_text()) for p in sorted(rec.directory.glob("*.json"))]


def test_hot_calls_are_counted_all_but_written_a_few_times_a_second(activity):
    emu = EmulationBackend("test")
    t0 = time.monotonic()
    for _ in range(3000):
        emu.run(call())
    elapsed = time.monotonic() - t0
    writes = activity.writes
    assert writes <= 2 + elapsed / 0.2, (writes, elapsed)  # not one write per call
    [doc] = records(activity)
    assert doc["runs"] == 3000 and doc["busy"] is False and doc["backend"] == "emulation"
    assert doc["last_run"] is not None and doc["pid"] == os.getpid()


def test_the_last_calls_reach_the_file_without_another_call(activity):
    emu = EmulationBackend("test")
    emu.run(call())
    emu.run(call())  # inside the interval: written later by the timer
    path = next(activity.directory.glob("*.json"))
    assert until(lambda: json.loads(path.read_text())["runs"] == 2)


def test_a_wrapper_and_a_fallback_count_one_run(activity, xrt):
    RecordingBackend(EmulationBackend("test")).run(call())
    xrt.run(call())  # no xclbin for "krnl": XRT falls back to its emulation inside run()
    [doc] = records(activity)
    assert doc["runs"] == 2


def test_a_new_backend_class_is_routed_too(activity):
    class Echo(Backend):
        name = "emulated"

        def run(self, call: KernelCall) -> Result:
            return Result(call.function, call.kernel, 1, "emulated", "echo", Timings(0.0))

        def where(self, kernel: str) -> Where:
            return Where(kernel, "emulated", "echo")

    Echo().run(call())
    Echo().load_kernel("krnl")
    [doc] = records(activity)
    assert (doc["runs"], doc["loads"]) == (1, 1)


def test_an_xrt_load_records_the_xclbin_with_its_uuid(activity, xrt, xclbin_dir):
    from jupyter_ext.xclbin import parse_xclbin

    where = xrt.load_kernel("bs_kernel")
    assert where.hardware
    [doc] = records(activity)
    assert (doc["loads"], doc["backend"]) == (1, "xrt")
    expected = parse_xclbin(xclbin_dir / "finance.xclbin").uuid
    assert [(x["name"], x["uuid"]) for x in doc["xclbins"]] == [("finance.xclbin", expected)]


def test_the_record_stays_small_whatever_is_loaded(activity, tmp_path):
    emu = EmulationBackend("test")
    for i in range(40):
        path = write_xclbin(tmp_path / f"{'long-name-' * 20}{i}.xclbin", kernels=["krnl"],
                            xclbin_uuid=f"00000000-0000-4000-8000-{i:012d}")  # fmt: skip
        emu.pin_xclbin(path, ["krnl"])
    [doc] = records(activity)
    assert len(doc["xclbins"]) == 8
    assert doc["xclbins"][0]["uuid"] == "00000000-0000-4000-8000-000000000039"  # newest first
    assert next(activity.directory.glob("*.json")).stat().st_size < 4096


def test_calls_from_two_threads_never_overlap(activity):
    spans: list[tuple[float, float]] = []

    def slow_model():
        start = time.perf_counter()
        time.sleep(0.02)
        spans.append((start, time.perf_counter()))
        return [np.zeros(1)]

    emu = EmulationBackend("test")
    threads = [threading.Thread(target=lambda: [emu.run(call(slow_model)) for _ in range(5)])
               for _ in range(3)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spans.sort()
    assert len(spans) == 15
    assert all(
        a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False)
    ), spans
    assert records(activity)[0]["runs"] == 15


def test_a_running_call_is_busy_for_the_server(activity):
    started, release = threading.Event(), threading.Event()

    def blocking_model():
        started.set()
        release.wait(10)
        return [np.zeros(1)]

    t = threading.Thread(target=EmulationBackend("test").run, args=(call(blocking_model),))
    t.start()
    started.wait(10)
    store = ActivityDirectory(activity.directory)
    assert until(lambda: store.merged().busy)  # within the write interval
    release.set()
    t.join()
    assert until(lambda: not store.merged().busy)
    assert store.merged().runs == 1


def test_a_directory_that_cannot_be_written_never_fails_a_call(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    rec = Recorder(blocked / "activity")
    previous = set_recorder(rec)
    try:
        result = EmulationBackend("test").run(call())
    finally:
        set_recorder(previous)
    assert result.emulated and rec.record.runs == 1 and rec.writes == 0


KERNEL = """
import os, sys, time
from pathlib import Path
from jupyter_ext.activity import Recorder, set_recorder, board_call
set_recorder(Recorder(Path(sys.argv[1]), min_interval=0))
for _ in range(int(sys.argv[2])):
    with board_call("run", "emulated"):
        pass
if sys.argv[3] == "hang":
    with board_call("run", "emulated"):
        print("busy", flush=True)
        time.sleep(60)
"""


def _kernel(directory: Path, runs: int, end: str = "exit") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", KERNEL, str(directory), str(runs), end],
                            env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
                            text=True)  # fmt: skip


def test_finished_kernels_fold_into_one_file_and_keep_their_counts(tmp_path):
    directory = tmp_path / "activity"
    store = ActivityDirectory(directory)
    for runs in (1, 2, 3):
        assert _kernel(directory, runs).wait(30) == 0
        pod = store.merged()
        assert sorted(p.name for p in directory.iterdir()) == [RETIRED]
    assert (pod.runs, pod.processes, pod.busy) == (6, 3, False)
    assert ActivityDirectory(directory).merged().runs == 6  # a restarted server reads it back


def test_a_killed_kernel_is_not_busy_for_ever(tmp_path):
    directory = tmp_path / "activity"
    store = ActivityDirectory(directory)
    proc = _kernel(directory, 2, "hang")
    try:
        assert proc.stdout.readline().strip() == "busy"
        assert store.merged().busy is True  # alive and in a call
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    pod = store.merged()
    assert (pod.busy, pod.runs) == (False, 2)
    assert sorted(p.name for p in directory.iterdir()) == [RETIRED]

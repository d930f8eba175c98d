"""The reclaim notices in a real IPython shell: %fpga status, the one-time idle warning."""

from __future__ import annotations

import time

import pytest

from jupyter_ext.activity import Recorder, set_recorder
from jupyter_ext.activity.store import write_server_start
from jupyter_ext.magics import idle


@pytest.fixture
def reclaimed(shell, monkeypatch, tmp_path):
    """A server started 55 minutes ago whose hub stops it after an idle hour (warning: 10 min)."""
    directory = tmp_path / "activity"
    monkeypatch.setenv("FPGA_ACTIVITY_DIR", str(directory))
    monkeypatch.setenv("FPGA_IDLE_TIMEOUT", "3600")
    monkeypatch.setenv("FPGA_IDLE_WARNING", "600")
    monkeypatch.setattr(idle, "CHECK_EVERY", 0.0)
    write_server_start(directory, time.time() - 55 * 60)
    rec = Recorder(directory, min_interval=0)
    previous = set_recorder(rec)
    hook = idle.install(shell.ip)
    yield shell
    shell.ip.events.unregister("post_run_cell", hook)
    set_recorder(previous)
    rec.close()


def _warnings(out) -> list[str]:
    return [line for line in out.text.splitlines() if line.startswith("WARNING: FPGA idle")]


def test_the_warning_shows_once_per_idle_period_and_activity_ends_it(reclaimed):
    first = _warnings(reclaimed.run("x = 1"))
    assert first == ["WARNING: FPGA idle for 55 min; this server stops in 5 min unless the FPGA "
                     "is used. Run an FPGA call or a %fpga command to keep it; save your work if "
                     "you are done (stop in 5 min)."]  # fmt: skip
    assert _warnings(reclaimed.run("x = 2")) == []  # once per idle period
    out = reclaimed.run("import numpy as np\nfrom jupyter_ext.library import finance\n"
                        "finance.black_scholes(np.array([100.0]), np.array([100.0]), 0.05, 0.2, 1.0)")  # fmt: skip
    assert not out.failed and _warnings(out) == []  # the run is activity: no stop coming
    assert _warnings(reclaimed.run("x = 3")) == []


def test_status_tells_the_idle_time_and_the_stop(reclaimed):
    text = reclaimed.run("%fpga status").text
    # the %fpga cell itself is activity, so the idle time starts again
    assert (
        "FPGA idle for under a minute; this server stops in 60 min unless the FPGA is used." in text
    )


def test_no_hook_without_an_idle_timeout(shell, monkeypatch):
    monkeypatch.delenv("FPGA_IDLE_TIMEOUT", raising=False)
    assert idle.install(shell.ip) is None
    assert "stops in" not in shell.run("%fpga status").text


def test_status_says_when_the_board_is_shared(shell, monkeypatch):
    monkeypatch.setenv("FPGA_SLOTS_PER_BOARD", "4")
    out = shell.run("%fpga status")
    assert "shared board: 1 of 4 slots" in out.text and "shared board: 1 of 4 slots" in out.html

"""FPGA activity in a real Jupyter server: a kernel's runs reach the devices API and the metrics.

One server, one kernel: polling first (it must not count as activity, neither the
FPGA kind nor the server's own ``last_activity``), then an emulated library call in
the kernel, then the answers again.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from jupyter_ext.contract import ENV_ACTIVITY_DIR, ENV_IDLE_TIMEOUT, ENV_IDLE_WARNING, FPGARequest
from tests.support.pod_server import Server

pytestmark = pytest.mark.e2e

CONTRACT_KEYS = {"runs", "loads", "last_run", "last_load", "last_activity", "busy",
                 "loaded_xclbins", "backend", "emulated", "started", "idle_timeout",
                 "idle_warning", "max_age"}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("activity")
    env = FPGARequest(board="u250", count=1, resource="amd.com/u250", emulation=True).to_env()
    env |= {ENV_ACTIVITY_DIR: str(tmp / "activity"), ENV_IDLE_TIMEOUT: "3600",
            ENV_IDLE_WARNING: "600"}  # fmt: skip
    # discovery is cached for an hour: the activity must be fresh on its own
    srv = Server(tmp, env, ["--FPGADevices.refresh_interval=3600"])
    yield srv
    srv.stop()


def _activity(server: Server) -> dict:
    r = server.get("fpga/api/devices")
    assert r.status_code == 200, r.text
    return r.json()["activity"]


def _metrics(server: Server) -> dict[str, float]:
    r = server.get("fpga/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    return {s.name + str(sorted(s.labels.items()) or ""): s.value
            for f in text_string_to_metric_families(r.text) for s in f.samples}  # fmt: skip


def test_polling_is_not_activity_and_a_kernel_run_is(server):
    for path in ("fpga/api/devices", "fpga/metrics"):  # without the token: refused
        assert requests.get(server.url + path, timeout=10).status_code == 403
    before = _activity(server)
    first_discovery = server.get("fpga/api/devices").json()["refreshed_at"]
    assert set(before) >= CONTRACT_KEYS
    assert (before["runs"], before["last_run"], before["last_activity"]) == (0, None, None)
    assert before["backend"] == "emulation" and before["emulated"] is True
    assert (before["idle_timeout"], before["idle_warning"], before["max_age"]) == (3600, 600, None)
    server_activity = server.get("api/status").json()["last_activity"]
    time.sleep(0.05)
    for _ in range(5):  # what the reclaimer and a status bar do
        _activity(server)
        _metrics(server)
    assert server.get("api/status").json()["last_activity"] == server_activity
    assert _activity(server)["last_activity"] is None

    kernel = server.start_kernel()
    server.execute(kernel, "import numpy as np\n"
                   "from jupyter_ext.library import finance\n"
                   "r = finance.black_scholes(np.array([100.0]), np.array([100.0]), 0.05, 0.2, 1.0)\n"
                   "assert r.emulated, r")  # fmt: skip
    deadline = time.monotonic() + 10
    while (after := _activity(server))["runs"] < 1 and time.monotonic() < deadline:
        time.sleep(0.1)  # the kernel writes its record within a quarter of a second
    assert after["runs"] == 1 and after["busy"] is False
    assert after["last_run"] is not None and after["last_activity"] == after["last_run"]
    assert datetime.fromisoformat(after["last_run"].replace("Z", "+00:00")) >= \
        datetime.fromisoformat(after["started"].replace("Z", "+00:00"))  # fmt: skip
    assert after["backend"] == "emulation" and after["emulated"] is True
    assert server.get("fpga/api/devices").json()["refreshed_at"] == first_discovery

    m = _metrics(server)
    assert m["jupyter_fpga_runs_total"] == 1
    assert m["jupyter_fpga_busy"] == 0
    run_time = datetime.fromisoformat(after["last_run"].replace("Z", "+00:00")).timestamp()
    assert m["jupyter_fpga_last_run_timestamp_seconds"] == pytest.approx(run_time, abs=1e-3)
    info = "jupyter_fpga_info[('backend', 'emulation'), ('board', 'u250'), ('emulated', 'true')]"
    assert m[info] == 1

    # an %fpga cell is activity too, and the status in the notebook tells the idle timeout
    outputs = server.execute(kernel, "%load_ext jupyter_ext\n%fpga status")
    text = "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "this server stops in 60 min unless the FPGA is used" in text, text
    deadline = time.monotonic() + 10
    while (last := _activity(server))["last_activity"] == after["last_run"]:
        assert time.monotonic() < deadline, last
        time.sleep(0.1)
    assert last["runs"] == 1 and last["last_activity"] > after["last_run"]

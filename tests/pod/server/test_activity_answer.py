"""The server's activity pieces without a server: the spliced answer and the metrics text."""

from __future__ import annotations

import json
import time

from prometheus_client.parser import text_string_to_metric_families

from jupyter_ext.activity import Recorder
from jupyter_ext.server.activity import PodActivity, expected_backend, with_activity
from jupyter_ext.server.metrics import make_registry, render


def test_the_activity_is_added_to_the_cached_answer_as_one_more_key():
    cached = json.dumps({"backend": "hardware", "devices": [{"id": "0"}]}).encode()
    doc = json.loads(with_activity(cached, {"runs": 3}))
    assert doc == {"backend": "hardware", "devices": [{"id": "0"}], "activity": {"runs": 3}}
    assert json.loads(with_activity(b"{}", {"runs": 0})) == {"activity": {"runs": 0}}


def test_the_backend_before_any_call_follows_discovery():
    assert expected_backend({"backend": "hardware"}) == "xrt"
    assert expected_backend({"backend": "emulated"}) == "emulation"
    assert expected_backend(None) == "emulation"


def test_metrics_are_the_kernels_records_as_prometheus_text(tmp_path):
    directory = tmp_path / "activity"
    activity = PodActivity.for_server(directory, time.time() - 60,
                                      {"FPGA_IDLE_TIMEOUT": "900", "FPGA_MAX_AGE": "bad"})  # fmt: skip
    assert activity.limits.idle_timeout == 900 and activity.limits.max_age is None
    kernels = [Recorder(directory, min_interval=0) for _ in range(2)]
    try:
        kernels[0].begin("run", "xrt")
        kernels[0].end("run", "xrt")
        kernels[1].begin("load", "emulated")  # still loading: busy
        registry = make_registry(activity, lambda: {"requested": {"board": "u250"}})
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in text_string_to_metric_families(render(registry).decode())
                   for s in f.samples}  # fmt: skip
    finally:
        for k in kernels:
            k.close()
    assert samples[("jupyter_fpga_runs_total", ())] == 1
    assert samples[("jupyter_fpga_loads_total", ())] == 0
    assert samples[("jupyter_fpga_busy", ())] == 1
    assert samples[("jupyter_fpga_kernel_processes", ())] == 2
    assert samples[("jupyter_fpga_idle_timeout_seconds", ())] == 900
    assert ("jupyter_fpga_max_age_seconds", ()) not in samples
    last = samples[("jupyter_fpga_last_activity_timestamp_seconds", ())]
    assert abs(last - time.time()) < 60
    # the loading kernel started last: its backend is the one that answers
    labels = (("backend", "emulation"), ("board", "u250"), ("emulated", "true"))
    assert samples[("jupyter_fpga_info", labels)] == 1

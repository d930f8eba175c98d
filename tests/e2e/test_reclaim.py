"""End to end: idle reclaim on a real hub with a short timeout.

The hub runs the demo configuration with the limits shortened through its
FPGA_DEMO_* variables. An FPGA server whose board nobody uses is warned
about on its owner's home page, then stopped, and the home page says why;
a CPU server started at the same time is left running.
"""

from __future__ import annotations

import re
import time

import pytest

from fpga_demo.launcher import DemoStack, free_port
from fpga_spawner.hub_events import EVENT_KINDS
from tests.support.hub import Hub, fast_cluster

pytestmark = pytest.mark.e2e

IDLE_TIMEOUT = 20
WARNING = 16


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Hub:
    state = tmp_path_factory.mktemp("reclaim")
    stack = DemoStack(
        state_dir=state,
        port=free_port(),
        start_timeout=25,
        cluster_file=fast_cluster(state),
        extra_env={
            "FPGA_DEMO_IDLE_TIMEOUT": str(IDLE_TIMEOUT),
            "FPGA_DEMO_IDLE_WARNING": str(WARNING),
            "FPGA_DEMO_RECLAIM_INTERVAL": "0.5",
        },
        log=lambda message: None,
    )
    stack.start()
    try:
        yield Hub(stack)
    finally:
        stack.stop()


def notices(page: str) -> list[str]:
    block = re.search(r'<div class="container" id="fpga-reclaim-notices">(.*?)</div>', page, re.S)
    if not block:
        return []
    return [
        re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<p[^>]*>(.*?)</p>", block[1], re.S)
    ]


def test_idle_fpga_server_is_warned_then_stopped_and_told_why(hub):
    assert "reclaim" in EVENT_KINDS
    for user, profile in (("idle-ida", "u250"), ("cpu-carl", "cpu")):
        response = hub.spawn(user, {"profile": profile})
        assert response.status_code in (201, 202), response.text
    hub.wait_ready("idle-ida")
    hub.wait_ready("cpu-carl")

    # the limits reached the FPGA pod only
    env = {e["name"]: e.get("value") for e in hub.pod("idle-ida")["spec"]["containers"][0]["env"]}
    assert env["FPGA_IDLE_TIMEOUT"] == str(IDLE_TIMEOUT)
    assert env["FPGA_IDLE_WARNING"] == str(WARNING)
    cpu_env = {e["name"] for e in hub.pod("cpu-carl")["spec"]["containers"][0]["env"]}
    assert "FPGA_IDLE_TIMEOUT" not in cpu_env

    ida = hub.login("idle-ida")
    home = f"{hub.stack.url}/hub/home"
    warned: list[str] = []
    deadline = time.monotonic() + IDLE_TIMEOUT + 10
    while not warned and time.monotonic() < deadline and hub.server("idle-ida"):
        warned = notices(ida.get(home, timeout=30).text)
        time.sleep(0.3)
    assert warned, "no warning on the home page before the stop"
    assert re.fullmatch(
        r"Your FPGA server stops at \d\d:\d\d UTC \(in \d+ seconds?\) unless the FPGA is used\.",
        warned[0],
    ), warned
    # carl's page has nothing to say: his server holds no FPGA
    assert notices(hub.login("cpu-carl").get(home, timeout=30).text) == []

    hub.wait_stopped("idle-ida", timeout=IDLE_TIMEOUT + 15)
    told = notices(ida.get(home, timeout=30).text)
    assert len(told) == 1 and told[0].startswith("Your FPGA server was stopped at "), told
    assert f"its FPGA was not used for {IDLE_TIMEOUT} seconds" in told[0]
    assert hub.pod("idle-ida") is None or hub.pod("idle-ida")["metadata"].get("deletionTimestamp")

    # the CPU server outlived the FPGA one, well past the timeout
    started = time.monotonic()
    while time.monotonic() - started < 3:
        assert hub.server("cpu-carl") and hub.server("cpu-carl")["ready"]
        time.sleep(0.5)


def test_the_reclaimer_service_holds_only_its_own_role(hub):
    """The hub registered the service with the reclaimer role alone (not admin)."""
    service = hub.request("GET", "/services/fpga-reclaim").json()
    assert service["roles"] == ["fpga-reclaimer"]
    assert service["command"] == [] and not service.get("url")

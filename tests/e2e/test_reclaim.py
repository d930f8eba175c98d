"""End to end: idle reclaim on a real hub with a short timeout.

The hub runs the demo configuration with the limits shortened through its
FPGA_DEMO_* variables. Three servers start together: an FPGA server whose
board nobody uses is warned about on its owner's home page and in a running
notebook, then stopped, and the home page says why; an FPGA server whose owner
runs a `%fpga` cell lives on past that stop; a CPU server is left running.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from fpga_spawner.hub_events import EVENT_KINDS
from tests.support.hub import Hub, running_demo
from tests.support.pod_server import execute_in_kernel

pytestmark = pytest.mark.e2e

IDLE_TIMEOUT = 20
WARNING = 16

bea: dict = {}
"""What the first test saw of busy-bea's server, for the second."""


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Hub:
    limits = {
        "FPGA_DEMO_IDLE_TIMEOUT": str(IDLE_TIMEOUT),
        "FPGA_DEMO_IDLE_WARNING": str(WARNING),
        "FPGA_DEMO_RECLAIM_INTERVAL": "0.5",
    }
    with running_demo(
        tmp_path_factory.mktemp("reclaim"), start_timeout=25, extra_env=limits
    ) as hub:
        yield hub


def notices(page: str) -> list[str]:
    block = re.search(r'<div class="container" id="fpga-reclaim-notices">(.*?)</div>', page, re.S)
    if not block:
        return []
    return [
        re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<p[^>]*>(.*?)</p>", block[1], re.S)
    ]


def user_token(hub: Hub, user: str) -> dict[str, str]:
    token = hub.request("POST", f"/users/{user}/tokens", json={}).json()["token"]
    return {"Authorization": f"token {token}"}


def run_cell(hub: Hub, user: str, code: str, timeout: float = 60) -> str:
    """Run ``code`` in a new kernel of the user's server, as a notebook cell would.

    Returns what the cell showed: its streams and the plain text of its displays.
    """
    base = f"{hub.stack.url}/user/{user}/"
    headers = user_token(hub, user)
    kernel = requests.post(
        base + "api/kernels", json={"name": "python3"}, headers=headers, timeout=60
    )
    kernel.raise_for_status()
    outputs = execute_in_kernel(base, headers, kernel.json()["id"], code, timeout)
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in outputs)


def test_idle_fpga_server_is_warned_then_stopped_and_told_why(hub):
    assert "reclaim" in EVENT_KINDS
    servers = {"idle-ida": "u250", "busy-bea": "u280", "cpu-carl": "cpu"}
    with ThreadPoolExecutor(len(servers)) as pool:  # one spawn does not wait for another
        for response in pool.map(lambda u: hub.spawn(u, {"profile": servers[u]}), servers):
            assert response.status_code in (201, 202), response.text
    ready = {}
    for user in servers:
        hub.wait_ready(user)
        ready[user] = time.time()
    # The idle clock starts when a server is ready. Bea uses her FPGA 8 seconds
    # later: a %fpga cell is activity, and moves her stop.
    time.sleep(max(0.0, ready["busy-bea"] + 8 - time.time()))
    cell_at = time.time()
    run_cell(hub, "busy-bea", "%fpga status")
    bea.update(
        ready=ready["busy-bea"],
        cell_at=cell_at,
        devices=requests.get(
            f"{hub.stack.url}/user/busy-bea/fpga/api/devices",
            headers=user_token(hub, "busy-bea"),
            timeout=30,
        ).json(),
    )

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
    # the running notebook says so too: a cell that does not use the FPGA (and so
    # does not postpone the stop) shows the warning once
    shown = run_cell(hub, "idle-ida", "%load_ext jupyter_ext\nprint('plain cell')")
    assert "plain cell" in shown
    assert re.search(r"WARNING: FPGA idle for .*; this server stops in .* unless the FPGA is used",
                     shown), shown  # fmt: skip
    # carl's page has nothing to say: his server holds no FPGA
    assert notices(hub.login("cpu-carl").get(home, timeout=30).text) == []

    hub.wait_stopped("idle-ida", timeout=IDLE_TIMEOUT + 15)
    told = notices(ida.get(home, timeout=30).text)
    assert len(told) == 1 and told[0].startswith("Your FPGA server was stopped at "), told
    assert f"its FPGA was not used for {IDLE_TIMEOUT} seconds" in told[0]
    assert hub.pod("idle-ida") is None or hub.pod("idle-ida")["metadata"].get("deletionTimestamp")

    # the CPU server, ready as early as ida's, outlived it
    assert hub.server("cpu-carl")["ready"]


def test_fpga_activity_moves_the_stop(hub):
    """Bea ran a %fpga cell 8 seconds after her server was ready (test above)."""
    assert bea, "runs after test_idle_fpga_server_is_warned_then_stopped_and_told_why"
    home = f"{hub.stack.url}/hub/home"
    # bea's cell counted (contract 1: the pod reports `activity`): without it her
    # server would have stopped IDLE_TIMEOUT after its start; then she went idle too
    assert bea["devices"]["activity"]["cells"] >= 1, bea["devices"]["activity"]
    # without the cell she would stop at ready + IDLE_TIMEOUT, with it at cell_at + IDLE_TIMEOUT
    time.sleep(max(0.0, (bea["ready"] + bea["cell_at"]) / 2 + IDLE_TIMEOUT - time.time()))
    assert hub.server("busy-bea"), "bea's %fpga cell did not postpone her server's stop"
    hub.wait_stopped("busy-bea", timeout=IDLE_TIMEOUT + 15)
    (line,) = notices(hub.login("busy-bea").get(home, timeout=30).text)
    assert f"its FPGA was not used for {IDLE_TIMEOUT} seconds" in line
    assert hub.server("cpu-carl")


def test_the_reclaimer_service_holds_only_its_own_role(hub):
    """The hub registered the service with the reclaimer role alone (not admin)."""
    service = hub.request("GET", "/services/fpga-reclaim").json()
    assert service["roles"] == ["fpga-reclaimer"]
    assert service["command"] == [] and not service.get("url")

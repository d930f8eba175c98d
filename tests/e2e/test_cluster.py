"""End to end: a real JupyterHub with FPGASpawner on the emulated cluster.

One hub for the module; the tests run in order and hand boards to each other
the way users on a shared cluster do.
"""

from __future__ import annotations

import time

import psutil
import pytest
import requests

from tests.support.hub import container

pytestmark = pytest.mark.e2e

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
# what the AMD device plugin advertises for an AWS F2 with the Small Shell
F2 = "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1-43981"
U280 = "amd.com/xilinx_u280_gen3x16_xdma_base_1-0"
U55C = "amd.com/xilinx_u55c_gen3x16_xdma_base_3-0"  # shared as 2 slots: counted in slots
BOARDS = {"u250": U250, "u280": U280, "u55c": U55C, "f2": F2}


def holders(hub, resource: str) -> list[str]:
    return sorted(
        p["metadata"]["name"]
        for p in hub.pods()
        if resource in (container(p).get("resources", {}).get("limits") or {})
        and p["status"].get("phase") not in ("Succeeded", "Failed")
    )


def boards_held(hub, resource: str) -> int:
    """Boards of `resource` that pods bound to a node and not finished hold, as kubectl shows."""
    return sum(
        int((container(p).get("resources", {}).get("limits") or {}).get(resource, 0))
        for p in hub.pods()
        if p["spec"].get("nodeName") and p["status"].get("phase") not in ("Succeeded", "Failed")
    )


def boards_offered(hub, resource: str) -> int:
    return sum(
        int(n["status"].get("allocatable", {}).get(resource, 0))
        for n in hub.nodes()
        if not n["spec"].get("unschedulable")
    )


def boards_gauge(hub) -> dict[str, dict[str, float]]:
    """jupyterhub_fpga_boards as {board: {state: value}}."""
    gauge: dict[str, dict[str, float]] = {}
    for (name, labels), value in hub.metrics().items():
        if name == "jupyterhub_fpga_boards":
            named = dict(labels)
            gauge.setdefault(named["board"], {})[named["state"]] = value
    return gauge


def server_env(user: str) -> dict[str, str]:
    """The environment of the user's running jupyterhub-singleuser process."""
    for process in psutil.process_iter(["cmdline"]):
        try:
            if "jupyterhub-singleuser" not in " ".join(process.info["cmdline"] or []):
                continue
            env = process.environ()
        except psutil.Error:
            continue
        if env.get("JUPYTERHUB_USER") == user:
            return env
    raise AssertionError(f"no jupyterhub-singleuser process for {user}")


def test_alice_gets_a_u250_with_license_and_fpga_environment(hub):
    response = hub.spawn("alice", {"profile": "u250"})
    assert response.status_code in (201, 202), response.text
    hub.wait_ready("alice")

    pod = hub.pod("alice")
    assert pod["spec"]["nodeName"] == "onprem-u250-1"
    assert container(pod)["resources"]["limits"][U250] == "1"
    env = {e["name"]: e for e in container(pod)["env"]}
    assert env["FPGA_BOARD"]["value"] == "u250"
    assert env["FPGA_EMULATION"]["value"] == "1"
    assert env["XILINXD_LICENSE_FILE"] == {
        "name": "XILINXD_LICENSE_FILE",
        "valueFrom": {"secretKeyRef": {"name": "fpga-licenses", "key": "xilinx-license"}},
    }
    # the kubelet resolved the Secret for the process, as a real one does
    process_env = server_env("alice")
    assert process_env["XILINXD_LICENSE_FILE"] == hub.stack.license_value
    assert process_env["FPGA_RESOURCE"] == U250

    # the server extension in alice's pod reports the emulated board, to alice only
    token = hub.request("POST", "/users/alice/tokens", json={}).json()["token"]
    devices_url = f"{hub.stack.url}/user/alice/fpga/api/devices"
    answer = requests.get(devices_url, headers={"Authorization": f"token {token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["backend"] == "emulated"
    assert report["requested"]["board"] == "u250"
    refused = requests.get(devices_url, timeout=30, allow_redirects=False)
    assert refused.status_code in (302, 403) and "u250" not in refused.text

    # the license value never leaves the Secret: not in the API, the page or the log
    seen = [
        hub.request("GET", "/users/alice").text,
        repr(pod),
        hub.spawn_page("zoe"),
        hub.login("alice").get(f"{hub.stack.url}/hub/home", timeout=30).text,
        (hub.stack.state_dir / "jupyterhub.log").read_text(),
    ]
    assert all(hub.stack.license_value not in text for text in seen)


def test_bob_waits_for_the_u250_until_alice_stops(hub):
    assert "AMD Alveo U250: 0 of 1 free" in hub.spawn_page("bob")
    response = hub.spawn("bob", {"profile": "u250"})
    # pending; a spawn slower than slow_spawn_timeout may answer 500 while it goes on
    # (docs/upstream-facts.md, "Test environment")
    assert response.status_code in (202, 500), response.text
    messages = hub.progress("bob", until="The scheduler says")
    waiting = messages[-1]
    assert waiting.startswith(
        "0 of 1 AMD Alveo U250 free: held by another server; this request waits up to 25 s."
    )
    assert f"Insufficient {U250}" in waiting
    assert any(m.startswith("Requesting 1 x AMD Alveo U250") for m in messages)
    assert hub.pod("bob")["status"]["phase"] == "Pending"
    # /hub/metrics during the wait: alice's pod holds the board, bob's pending one does not
    assert boards_gauge(hub)["u250"] == {"in_use": 1, "free": 0, "burstable": 0}
    assert boards_held(hub, U250) == 1

    hub.stop("alice")
    hub.wait_ready("bob")
    assert hub.pod("bob")["spec"]["nodeName"] == "onprem-u250-1"
    assert holders(hub, U250) == ["jupyter-bob"]


def test_accelerator_bursts_to_a_new_cloud_node(hub):
    """4 replicas, 2 fit per cloud board, on-premises U250 busy.

    InAccel's bursting example (docs/upstream-facts.md, "FPGA device plugins").
    The demo bursts a Vitis accelerator to F2, which a real F2 cannot run, and
    its form says so.
    """
    assert "a real F2 runs no Vitis xclbin today" in hub.spawn_page("carol")
    cloud_nodes_before = {n["metadata"]["name"] for n in hub.nodes()}
    response = hub.spawn("carol", {"profile": "accel-vision-stereo-bm", "replicas": "4"})
    assert response.status_code in (201, 202, 500), response.text
    messages = hub.progress("carol", until="Scale-up triggered", timeout=60)
    assert any("cloud burst" in m for m in messages), messages
    hub.wait_ready("carol")

    pod = hub.pod("carol")
    node_name = pod["spec"]["nodeName"]
    assert node_name not in cloud_nodes_before
    node = next(n for n in hub.nodes() if n["metadata"]["name"] == node_name)
    assert node["metadata"]["labels"]["fpga.jupyterhub.io/location"] == "cloud"
    assert node["status"]["allocatable"][F2] == "2"  # the new node offers what the pod asks for
    assert container(pod)["resources"]["limits"] == {F2: "2"}
    env = {e["name"]: e.get("value") for e in container(pod)["env"]}
    assert (env["FPGA_BOARD"], env["FPGA_COUNT"], env["FPGA_ACCELERATOR"]) == (
        "f2",
        "2",
        "vision.stereo_bm",
    )


def test_request_that_can_never_fit_is_refused_at_once(hub):
    started = time.monotonic()
    response = hub.spawn("dave", {"profile": "u280", "count": "2"})
    assert response.status_code == 400
    assert "could never start" in response.json()["message"]
    assert time.monotonic() - started < 5
    assert hub.pod("dave") is None


def test_hub_metrics_match_the_cluster(hub):
    """/hub/metrics, parsed as Prometheus parses it, against the pods and nodes."""
    gauge = boards_gauge(hub)
    for slug, resource in BOARDS.items():
        held, offered = boards_held(hub, resource), boards_offered(hub, resource)
        assert gauge[slug]["in_use"] == held, slug
        assert gauge[slug]["free"] == offered - held, slug
    assert (gauge["u250"]["in_use"], gauge["f2"]["in_use"]) == (1, 2)  # bob's, carol's
    f2_nodes = sum(1 for n in hub.nodes() if F2 in n["status"].get("allocatable", {}))
    assert gauge["f2"]["burstable"] == (4 - f2_nodes) * 2  # the demo's f2-cloud group

    wait = "jupyterhub_fpga_spawn_wait_seconds"
    onprem = {"board": "u250", "placement": "on-premises"}
    assert hub.metric(f"{wait}_count", **onprem) == 2  # alice, then bob
    assert hub.metric(f"{wait}_sum", **onprem) > 1  # bob waited for alice's board
    assert hub.metric(f"{wait}_count", board="f2", placement="burst") == 1  # carol
    assert hub.metric(f"{wait}_count", board="f2", placement="cloud") == 0
    assert hub.metric("jupyterhub_fpga_bursts_total", node_group="f2-cloud") == 1
    assert hub.metric("jupyterhub_fpga_refusals_total", reason="placement") == 1  # dave
    assert hub.metric("jupyterhub_fpga_board_seconds_total", board="u250") > 0  # alice's
    text = requests.get(f"{hub.stack.url}/hub/metrics", timeout=30).text
    assert "alice" not in text and "jupyter-bob" not in text  # no per-user labels


def test_spawn_that_times_out_leaves_no_pod_behind(hub):
    response = hub.spawn("erin", {"profile": "u250"})  # bob holds the only U250
    assert response.status_code in (202, 500), response.text
    deadline = time.monotonic() + hub.stack.start_timeout + 40
    while time.monotonic() < deadline and (hub.server("erin") or hub.pod("erin")):
        time.sleep(1)
    assert hub.server("erin") is None
    assert hub.pod("erin") is None
    assert holders(hub, U250) == ["jupyter-bob"]
    assert hub.metric("jupyterhub_fpga_refusals_total", reason="timeout") == 1


def test_capacity_is_right_after_a_hub_restart(hub):
    hub.stack.stop_hub()
    hub.stack.start_hub()
    page = hub.spawn_page("frank")
    assert "AMD Alveo U250: 0 of 1 free" in page
    assert "AWS F2 (VU47P): 0 of 2 free, can burst to 6 more" in page

    hub.stop("bob")  # the restarted hub still knows bob's pod
    deadline = time.monotonic() + 20
    while "AMD Alveo U250: 1 of 1 free" not in hub.spawn_page("frank"):
        assert time.monotonic() < deadline, "capacity did not follow bob's pod deletion"
        time.sleep(0.5)
    hub.stop("carol")

    # the restarted hub counts from zero, and still the board-seconds of bob and carol,
    # whose servers it did not start
    assert hub.metric("jupyterhub_fpga_board_seconds_total", board="u250") > 0
    assert hub.metric("jupyterhub_fpga_board_seconds_total", board="f2") > 0
    assert hub.metric("jupyterhub_fpga_bursts_total", node_group="f2-cloud") == 0
    assert {s: g["in_use"] for s, g in boards_gauge(hub).items()} == dict.fromkeys(BOARDS, 0)


def slot_ids(pod: dict) -> list[str]:
    """The device units the kubelet gave the pod (its container's allocatedResourcesStatus)."""
    statuses = pod["status"].get("containerStatuses") or []
    return [
        unit["resourceID"]
        for status in statuses
        for resource in status.get("allocatedResourcesStatus") or []
        if resource["name"] == U55C
        for unit in resource["resources"]
    ]


def test_two_users_share_the_u55c_and_a_third_is_told_how_many_slots_are_free(hub):
    """The demo's U55C is shared as 2 slots (the AMD plugin's VirtualDev/VirtualNum)."""
    assert "AMD Alveo U55C: 2 of 2 slots free on 1 board" in hub.spawn_page("grace")
    for user in ("grace", "heidi"):
        response = hub.spawn(user, {"profile": "u55c"})
        assert response.status_code in (201, 202, 500), response.text
    for user in ("grace", "heidi"):
        hub.wait_ready(user)
    pods = {user: hub.pod(user) for user in ("grace", "heidi")}
    assert {p["spec"]["nodeName"] for p in pods.values()} == {"onprem-u55c-1"}
    assert all(container(p)["resources"]["limits"] == {U55C: "1"} for p in pods.values())
    # one board, a slot each
    assert sorted(slot_ids(pods["grace"]) + slot_ids(pods["heidi"])) == [
        "fpga0-slot0",
        "fpga0-slot1",
    ]
    # each server knows its board is shared, and by how many, and its devices API says so
    assert server_env("grace")["FPGA_SLOTS_PER_BOARD"] == "2"
    token = hub.request("POST", "/users/grace/tokens", json={}).json()["token"]
    answer = requests.get(
        f"{hub.stack.url}/user/grace/fpga/api/devices",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["requested"]["slots_per_board"] == 2

    assert "AMD Alveo U55C: 0 of 2 slots free on 1 board" in hub.spawn_page("ivan")
    response = hub.spawn("ivan", {"profile": "u55c"})
    assert response.status_code in (202, 500), response.text
    messages = hub.progress("ivan", until="The scheduler says")
    assert messages[-1].startswith(
        "0 of 2 slots free on 1 AMD Alveo U55C: 2 held by other servers; "
        "this request waits up to 25 s."
    ), messages[-1]
    assert any(
        m.startswith("Requesting 1 slot of a shared AMD Alveo U55C (2 slots per board)")
        for m in messages
    ), messages

    freed = slot_ids(pods["grace"])
    hub.stop("grace")
    hub.wait_ready("ivan")
    assert slot_ids(hub.pod("ivan")) == freed
    hub.stop("heidi")
    hub.stop("ivan")

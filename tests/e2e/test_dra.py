"""A DRA board end to end: a real JupyterHub spawns and stops a server on the emulated cluster.

The cluster is the demo's plus one node whose DRA driver publishes two U250s
in a ResourceSlice. The spawner writes the server's ResourceClaimTemplate,
Kubernetes (emulated) makes the claim and allocates a device the selectors
accept, the kubelet gives the server the device's environment, and stopping
the server leaves neither template nor claim behind.
"""

from __future__ import annotations

import re
import time

import pytest
import requests
import yaml

from tests.e2e.test_cluster import server_env
from tests.support.hub import Hub, container, fast_cluster, hub_with_config

pytestmark = pytest.mark.e2e

DRIVER = "fpga.amd.com"
RESOURCE_API = "/apis/resource.k8s.io/v1/namespaces/jhub"
DRA_CONFIG = """
c.FPGASpawner.boards = [
    {
        "slug": "u250-dra",
        "display_name": "AMD Alveo U250 (DRA)",
        "plugin": "dra",
        "platform": "xilinx_u250_gen3x16_xdma_shell_4_1",
        "dra": {
            "device_class": "u250.fpga.amd.com",
            "driver": "fpga.amd.com",
            "board": "u250",
            "shell": "xilinx_u250_gen3x16_xdma_shell_4_1",
        },
    }
]
"""


def u250(name: str, bdf: str) -> dict:
    return {
        "name": name,
        "attributes": {"board": "u250", "vbnv": "xilinx_u250_gen3x16_xdma_shell_4_1"},
        "env": {"FPGA_DRA_DEVICES": bdf},
    }


@pytest.fixture(scope="module")
def hub(tmp_path_factory, repo_root) -> Hub:
    state = tmp_path_factory.mktemp("dra")
    cluster = yaml.safe_load(fast_cluster(state).read_text())
    cluster["nodes"].append(
        {
            "name": "dra-u250-1",
            "labels": {"fpga.jupyterhub.io/location": "on-premises"},
            "allocatable": {"cpu": "16", "memory": "64Gi"},
            "dra": {
                "driver": DRIVER,
                "devices": [u250("fpga-0", "0000:3b:00.1"), u250("fpga-1", "0000:d8:00.1")],
            },
        }
    )
    cluster["deviceClasses"] = [
        {"name": "u250.fpga.amd.com", "selectors": [f'device.driver == "{DRIVER}"']}
    ]
    cluster_file = state / "dra-cluster.yaml"
    cluster_file.write_text(yaml.safe_dump(cluster))
    with hub_with_config(state, DRA_CONFIG, repo_root, cluster_file) as hub:
        yield hub


def objects(hub: Hub, plural: str) -> list[dict]:
    return hub.k8s(f"{RESOURCE_API}/{plural}")["items"]


def test_a_dra_spawn_gets_a_device_and_its_stop_leaves_no_claim(hub):
    page = hub.spawn_page("ann")
    # counted from the ResourceSlice
    assert "AMD Alveo U250 (DRA): 2 of 2 free" in page, re.findall(r"[^>]*\(DRA\)[^<]*", page)

    response = hub.spawn("ann", {"profile": "u250-dra"})
    assert response.status_code in (201, 202), response.text
    hub.wait_ready("ann")

    pod = hub.pod("ann")
    assert pod["spec"]["nodeName"] == "dra-u250-1"
    assert pod["spec"]["resourceClaims"] == [
        {"name": "fpga", "resourceClaimTemplateName": "jupyter-ann-fpga"}
    ]
    assert container(pod)["resources"]["claims"] == [{"name": "fpga"}]
    [template] = objects(hub, "resourceclaimtemplates")
    assert template["metadata"]["name"] == "jupyter-ann-fpga"
    [claim] = objects(hub, "resourceclaims")
    assert claim["metadata"]["annotations"]["hub.jupyter.org/username"] == "ann"
    assert [r["name"] for r in claim["status"]["reservedFor"]] == ["jupyter-ann"]
    [device] = claim["status"]["allocation"]["devices"]["results"]
    bdf = {"fpga-0": "0000:3b:00.1", "fpga-1": "0000:d8:00.1"}[device["device"]]

    env = server_env("ann")
    assert env["FPGA_DRA_DEVICES"] == bdf  # the device's CDI environment, from the kubelet
    assert env["FPGA_BOARD"] == "u250-dra" and env["FPGA_DEVICE_PLUGIN"] == "dra"
    token = hub.request("POST", "/users/ann/tokens", json={}).json()["token"]
    report = requests.get(
        f"{hub.stack.url}/user/ann/fpga/api/devices",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    ).json()
    assert report["requested"]["board"] == "u250-dra"
    assert "AMD Alveo U250 (DRA): 1 of 2 free" in hub.spawn_page("bob")

    hub.stop("ann")
    assert objects(hub, "resourceclaimtemplates") == []  # the spawner removed its template
    deadline = time.monotonic() + 10
    while objects(hub, "resourceclaims") and time.monotonic() < deadline:
        time.sleep(0.2)  # garbage collection follows the pod's deletion
    assert objects(hub, "resourceclaims") == []
    assert "AMD Alveo U250 (DRA): 2 of 2 free" in hub.spawn_page("bob")

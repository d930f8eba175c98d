"""Dynamic Resource Allocation on the emulator, through kubernetes_asyncio's ResourceV1Api.

Claims made from templates for pods, devices allocated from ResourceSlices as
the DeviceClass's and the request's CEL selectors say, shared claims, the
kubelet's device environment, and the claim's end with its pod.
"""

from __future__ import annotations

import copy

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiException

from fpga_demo.emulator.kubelet.podenv import claimed_device_env
from tests.support.emulator import SMALL, pod_body

DRIVER = "fpga.amd.com"
U250_VBNV = "xilinx_u250_gen3x16_xdma_shell_4_1"


def device(name: str, board: str, bdf: str) -> dict:
    return {
        "name": name,
        "attributes": {"board": board, "vbnv": f"xilinx_{board}_gen3x16_xdma_shell_4_1"},
        "env": {"FPGA_DRA_DEVICES": bdf},
    }


def dra_cluster() -> dict:
    spec = copy.deepcopy(SMALL)
    spec["nodes"] += [
        {
            "name": "dra-a",
            "allocatable": {"cpu": "8", "memory": "16Gi"},
            "dra": {
                "driver": DRIVER,
                "devices": [
                    device("fpga-0", "u250", "0000:3b:00.1"),
                    device("fpga-1", "u250", "0000:d8:00.1"),
                ],
            },
        },
        {
            "name": "dra-b",
            "allocatable": {"cpu": "8", "memory": "16Gi"},
            "dra": {"driver": DRIVER, "devices": [device("fpga-0", "u280", "0000:af:00.1")]},
        },
    ]
    spec["deviceClasses"] = [{"name": DRIVER, "selectors": [f'device.driver == "{DRIVER}"']}]
    return spec


def template(name: str, count: int = 1, selectors: tuple[str, ...] = ()) -> dict:
    exactly: dict = {"deviceClassName": DRIVER, "allocationMode": "ExactCount", "count": count}
    if selectors:
        exactly["selectors"] = [{"cel": {"expression": s}} for s in selectors]
    return {
        "metadata": {"name": name},
        "spec": {
            "metadata": {"annotations": {"hub.jupyter.org/username": "ann"}},
            "spec": {"devices": {"requests": [{"name": "fpga", "exactly": exactly}]}},
        },
    }


def claiming_pod(name: str, **claim: str) -> dict:
    body = pod_body(name, resourceClaims=[{"name": "fpga", **claim}])
    body["spec"]["containers"][0]["resources"] = {"claims": [{"name": "fpga"}]}
    return body


def board_is(board: str) -> str:
    return f'device.attributes["{DRIVER}"].board == "{board}"'


@pytest.fixture
async def dra(make_cluster):
    cluster = await make_cluster(dra_cluster())
    async with client.ApiClient(cluster.client_configuration()) as api_client:
        yield cluster, client.ResourceV1Api(api_client), client.CoreV1Api(api_client)


def bound(cluster, name: str) -> str:
    pod = cluster.store.get("pods", "jhub", name)
    return (pod or {}).get("spec", {}).get("nodeName", "")


async def test_a_template_gives_the_pod_a_claim_and_a_device_with_its_environment(dra):
    cluster, resource, core = dra
    slices = await resource.list_resource_slice()
    assert sorted(s.spec.node_name for s in slices.items) == ["dra-a", "dra-b"]
    await resource.create_namespaced_resource_claim_template(
        "jhub", template("ann-fpga", selectors=(board_is("u280"),))
    )
    await core.create_namespaced_pod(
        "jhub", claiming_pod("ann", resourceClaimTemplateName="ann-fpga")
    )
    node = await cluster.wait_for(lambda: bound(cluster, "ann"))
    assert node == "dra-b"  # the only u280

    pod = cluster.store.get("pods", "jhub", "ann")
    [status] = pod["status"]["resourceClaimStatuses"]
    claim = (
        await resource.read_namespaced_resource_claim(status["resourceClaimName"], "jhub")
    ).to_dict()
    assert claim["metadata"]["owner_references"][0]["uid"] == pod["metadata"]["uid"]
    assert claim["metadata"]["annotations"]["hub.jupyter.org/username"] == "ann"
    [result] = claim["status"]["allocation"]["devices"]["results"]
    assert (result["driver"], result["pool"], result["device"]) == (DRIVER, "dra-b", "fpga-0")
    assert [r["name"] for r in claim["status"]["reserved_for"]] == ["ann"]
    container = pod["spec"]["containers"][0]
    assert claimed_device_env(cluster.store, pod, container, cluster.kubelet.device_env) == {
        "FPGA_DRA_DEVICES": "0000:af:00.1"
    }

    # the claim goes with its pod, and its device is free again
    await core.delete_namespaced_pod("ann", "jhub", grace_period_seconds=0)
    await cluster.wait_for(lambda: not cluster.store.list("resourceclaims"))


async def test_devices_are_never_given_twice_and_a_pod_waits_for_one(dra):
    cluster, resource, core = dra
    await resource.create_namespaced_resource_claim_template(
        "jhub", template("two-u250", count=2, selectors=(board_is("u250"),))
    )
    await resource.create_namespaced_resource_claim_template(
        "jhub", template("one-u250", selectors=(board_is("u250"),))
    )
    await core.create_namespaced_pod(
        "jhub", claiming_pod("big", resourceClaimTemplateName="two-u250")
    )
    assert await cluster.wait_for(lambda: bound(cluster, "big")) == "dra-a"
    env = claimed_device_env(
        cluster.store,
        cluster.store.get("pods", "jhub", "big"),
        {"resources": {"claims": [{"name": "fpga"}]}},
        cluster.kubelet.device_env,
    )
    assert env == {"FPGA_DRA_DEVICES": "0000:3b:00.1,0000:d8:00.1"}

    await core.create_namespaced_pod(
        "jhub", claiming_pod("small", resourceClaimTemplateName="one-u250")
    )
    message = await cluster.wait_for(
        lambda: next(
            (e["message"] for e in cluster.events("jhub", "small", "FailedScheduling")), ""
        )
    )
    assert "cannot allocate all claims" in message
    await core.delete_namespaced_pod("big", "jhub", grace_period_seconds=0)
    assert await cluster.wait_for(lambda: bound(cluster, "small")) == "dra-a"


async def test_a_shared_claim_gives_two_pods_the_same_device_until_both_are_gone(dra):
    cluster, resource, core = dra
    shared = template("x", selectors=(board_is("u250"),))["spec"]["spec"]
    await resource.create_namespaced_resource_claim(
        "jhub", {"metadata": {"name": "lab-u250"}, "spec": shared}
    )
    for name in ("p1", "p2"):
        await core.create_namespaced_pod("jhub", claiming_pod(name, resourceClaimName="lab-u250"))
    await cluster.wait_for(lambda: bound(cluster, "p1") and bound(cluster, "p2"))
    claim = cluster.store.get("resourceclaims", "jhub", "lab-u250")
    assert sorted(r["name"] for r in claim["status"]["reservedFor"]) == ["p1", "p2"]
    assert len(claim["status"]["allocation"]["devices"]["results"]) == 1

    await core.delete_namespaced_pod("p1", "jhub", grace_period_seconds=0)
    await cluster.wait_for(
        lambda: (
            [
                r["name"]
                for r in cluster.store.get("resourceclaims", "jhub", "lab-u250")["status"].get(
                    "reservedFor", []
                )
            ]
            == ["p2"]
        )
    )
    assert cluster.store.get("resourceclaims", "jhub", "lab-u250")["status"]["allocation"]
    await core.delete_namespaced_pod("p2", "jhub", grace_period_seconds=0)
    await cluster.wait_for(
        lambda: (
            not cluster.store.get("resourceclaims", "jhub", "lab-u250")["status"].get("allocation")
        )
    )


async def test_a_selector_with_a_syntax_error_is_refused_with_422(dra):
    _, resource, _ = dra
    with pytest.raises(ApiException) as refused:
        await resource.create_namespaced_resource_claim_template(
            "jhub", template("bad", selectors=('device.attributes["fpga.amd.com"].board = "u250"',))
        )
    assert refused.value.status == 422
    assert "spec.spec.devices.requests[0].exactly.selectors[0].cel.expression" in refused.value.body


async def test_a_pod_whose_template_is_missing_waits_and_starts_once_it_exists(dra):
    cluster, resource, core = dra
    await core.create_namespaced_pod(
        "jhub", claiming_pod("late", resourceClaimTemplateName="later")
    )
    await cluster.wait_for(lambda: cluster.events("jhub", "late", "FailedResourceClaimCreation"))
    assert not bound(cluster, "late")
    await resource.create_namespaced_resource_claim_template("jhub", template("later"))
    assert await cluster.wait_for(lambda: bound(cluster, "late")) in ("dra-a", "dra-b")


async def test_discovery_lists_the_resource_group(dra):
    cluster, _, _ = dra
    async with client.ApiClient(cluster.client_configuration()) as api_client:
        groups = await client.ApisApi(api_client).get_api_versions()
        assert "resource.k8s.io" in [g.name for g in groups.groups]
        listed = await client.ResourceV1Api(api_client).get_api_resources()
        assert {"resourceclaims", "resourceslices", "deviceclasses", "resourceclaimtemplates"} <= {
            r.name for r in listed.resources
        }

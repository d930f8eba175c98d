"""Shared boards in the emulator: a node advertises slots, the kubelet hands them out.

The AMD device plugin with VirtualDev/VirtualNum advertises N units per board;
the emulated kubelet gives each container its units and shows them in
``allocatedResourcesStatus``, so it is visible which servers share a board.
"""

from __future__ import annotations

import pytest

from fpga_demo.emulator import ClusterConfigError, parse_cluster
from tests.support.emulator import FPGA_TAINT, FPGA_TOLERATION, pod_body

U55C = "amd.com/xilinx_u55c_gen3x16_xdma_base_3-0"


def shared_cluster(boards: int = 1, slots: int = 2) -> dict:
    return {
        "namespaces": ["jhub"],
        "nodes": [
            {
                "name": "shared-1",
                "taints": [FPGA_TAINT],
                "allocatable": {"cpu": "16", "memory": "64Gi"},
                "virtualDevices": {U55C: {"boards": boards, "slotsPerBoard": slots}},
            }
        ],
        "kubelet": {"runProcesses": False},
        "scheduler": {"unschedulableRetrySeconds": 0.2},
    }


def units(cluster, name: str) -> list[str] | None:
    """The unit IDs the kubelet gave the pod's container, or None before it did."""
    pod = cluster.store.get("pods", "jhub", name)
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        for resource in status.get("allocatedResourcesStatus") or []:
            if resource["name"] == U55C:
                return [r["resourceID"] for r in resource["resources"]]
    return None


def shared_pod(name: str, count: int = 1) -> dict:
    return pod_body(name, {U55C: count}, tolerations=[FPGA_TOLERATION])


def test_virtual_devices_advertise_slots_per_board():
    spec = parse_cluster(shared_cluster(boards=2, slots=4))
    (node,) = spec.nodes
    assert node.template.allocatable[U55C] == "8"
    assert node.template.slots_per_board == {U55C: 4}


@pytest.mark.parametrize(
    ("entry", "where", "problem"),
    [
        ({"boards": 1, "slotsPerBoard": 0}, "slotsPerBoard", "must be a whole number 1 to 256"),
        ({"boards": 0, "slotsPerBoard": 2}, "boards", "must be a whole number 1 to 10000"),
        ({"boards": 1, "slots": 2}, "", "unknown key(s) ['slots']"),
    ],
)
def test_bad_virtual_devices_name_the_field(entry, where, problem):
    data = shared_cluster()
    data["nodes"][0]["virtualDevices"] = {U55C: entry}
    with pytest.raises(ClusterConfigError) as info:
        parse_cluster(data, "c.yaml")
    assert f"c.yaml: nodes[0].virtualDevices[{U55C!r}]" + (f".{where}" if where else "") in str(
        info.value
    )
    assert problem in str(info.value)


def test_a_resource_is_given_in_one_place():
    data = shared_cluster()
    data["nodes"][0]["allocatable"][U55C] = 2
    with pytest.raises(ClusterConfigError, match="also given under allocatable"):
        parse_cluster(data)


async def test_two_pods_share_a_board_and_the_third_waits_for_a_slot(make_cluster):
    cluster = await make_cluster(shared_cluster(boards=1, slots=2))
    for name in ("first", "second", "third"):
        cluster.api.create("pods", "jhub", shared_pod(name))
    await cluster.wait_for(lambda: units(cluster, "first") and units(cluster, "second"))
    assert sorted(units(cluster, "first") + units(cluster, "second")) == [
        "fpga0-slot0",
        "fpga0-slot1",
    ]
    await cluster.wait_for(lambda: cluster.events("jhub", "third", "FailedScheduling"))
    (event,) = cluster.events("jhub", "third", "FailedScheduling")[:1]
    assert f"Insufficient {U55C}" in event["message"]
    freed = units(cluster, "first")
    cluster.api.delete("pods", "jhub", "first", {"gracePeriodSeconds": 0})
    await cluster.wait_for(lambda: units(cluster, "third"), timeout=5)
    assert units(cluster, "third") == freed  # the freed slot, not a new one


async def test_a_board_fills_before_the_next_is_used(make_cluster):
    cluster = await make_cluster(shared_cluster(boards=2, slots=2))
    cluster.api.create("pods", "jhub", shared_pod("a"))
    await cluster.wait_for(lambda: units(cluster, "a"))
    cluster.api.create("pods", "jhub", shared_pod("b"))
    await cluster.wait_for(lambda: units(cluster, "b"))
    cluster.api.create("pods", "jhub", shared_pod("pair", count=2))
    await cluster.wait_for(lambda: units(cluster, "pair"))
    assert units(cluster, "a") == ["fpga0-slot0"]
    assert units(cluster, "b") == ["fpga0-slot1"]
    assert units(cluster, "pair") == ["fpga1-slot0", "fpga1-slot1"]


def test_machine_wide_address_leases_can_be_turned_off_for_large_clusters():
    data = shared_cluster()
    assert parse_cluster(data).kubelet.machine_wide_addresses is True
    data["kubelet"]["machineWideAddresses"] = False
    assert parse_cluster(data).kubelet.machine_wide_addresses is False


async def test_without_leases_addresses_stay_unique_within_the_emulator(make_cluster):
    data = shared_cluster(boards=2, slots=2)
    data["kubelet"]["machineWideAddresses"] = False
    cluster = await make_cluster(data)
    for name in ("a", "b", "c", "d"):
        cluster.api.create("pods", "jhub", shared_pod(name))

    def addresses():
        pods = [cluster.store.get("pods", "jhub", n) for n in "abcd"]
        return [p["status"].get("podIP") for p in pods if (p.get("status") or {}).get("podIP")]

    await cluster.wait_for(lambda: len(addresses()) == 4)
    assert len(set(addresses())) == 4
    assert not cluster.kubelet.leases._held  # no machine-wide lease was taken

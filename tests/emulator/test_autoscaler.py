"""The emulated cluster-autoscaler: cloud FPGA nodes appear when on-premises boards run out."""

from __future__ import annotations

import asyncio

from tests.support.emulator import FPGA_TAINT, FPGA_TOLERATION, U250, VU47P, pod_body

TAGS = "k8s.io/cluster-autoscaler/node-template/"


def burst_spec(delay: float = 0.6, max_size: int = 4, scale_down: float | None = None) -> dict:
    return {
        "namespaces": ["jhub"],
        "nodes": [
            {
                "name": "onprem-u250",
                "labels": {"fpga.jupyterhub.io/location": "on-premises"},
                "taints": [FPGA_TAINT],
                "allocatable": {"cpu": "16", "memory": "64Gi", U250: 1},
            },
        ],
        "nodeGroups": [
            {
                "name": "f2-cloud",
                "maxSize": max_size,
                "startupDelaySeconds": delay,
                "template": {
                    "instanceType": "f2.12xlarge",
                    "asgTags": {
                        f"{TAGS}resources/{VU47P}": "2",
                        f"{TAGS}label/fpga.jupyterhub.io/location": "cloud",
                        f"{TAGS}taint/fpga.jupyterhub.io/fpga": "present:NoSchedule",
                    },
                },
            }
        ],
        "kubelet": {"runProcesses": False},
        "scheduler": {"unschedulableRetrySeconds": 0.2},
        "autoscaler": {"scanIntervalSeconds": 0.1, "scaleDownUnneededSeconds": scale_down},
    }


def cloud_pod(name: str, count: int = 1) -> dict:
    return pod_body(
        name,
        {VU47P: count},
        tolerations=[FPGA_TOLERATION],
        nodeSelector={"fpga.jupyterhub.io/location": "cloud"},
    )


def node_of(cluster, name):
    return (cluster.store.get("pods", "jhub", name) or {}).get("spec", {}).get("nodeName")


async def test_unschedulable_pod_triggers_scale_up_then_lands_on_the_new_node(make_cluster):
    cluster = await make_cluster(burst_spec(delay=0.6))
    loop = asyncio.get_running_loop()
    created_at = loop.time()
    cluster.api.create("pods", "jhub", cloud_pod("burst-1"))
    await cluster.wait_for(lambda: cluster.events("jhub", "burst-1", "TriggeredScaleUp"), timeout=5)
    failed = cluster.events("jhub", "burst-1", "FailedScheduling")[0]["message"]
    assert failed.startswith(
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
    )
    (event,) = cluster.events("jhub", "burst-1", "TriggeredScaleUp")
    assert event["message"] == "pod triggered scale-up: [{f2-cloud 0->1 (max: 4)}]"
    assert event["source"] == {"component": "cluster-autoscaler"} and event["type"] == "Normal"
    assert len(cluster.nodes()) == 1, "the node only appears after the start-up delay"
    await cluster.wait_for(lambda: node_of(cluster, "burst-1"), timeout=5)
    assert loop.time() - created_at >= 0.55
    node = cluster.store.get("nodes", None, node_of(cluster, "burst-1"))
    labels = node["metadata"]["labels"]
    assert (
        labels["fpga.jupyterhub.io/location"] == "cloud"
        and labels["node.kubernetes.io/instance-type"] == "f2.12xlarge"
    )
    assert labels["eks.amazonaws.com/nodegroup"] == "f2-cloud"
    assert (
        node["status"]["allocatable"][VU47P] == "2" and node["status"]["allocatable"]["cpu"] == "48"
    )
    assert node["spec"]["taints"] == [FPGA_TAINT]
    # A second pod fits on the new node's second FPGA: no further scale-up.
    cluster.api.create("pods", "jhub", cloud_pod("burst-2"))
    await cluster.wait_for(lambda: node_of(cluster, "burst-2"), timeout=5)
    assert node_of(cluster, "burst-2") == node_of(cluster, "burst-1")
    assert len(cluster.nodes()) == 2


async def test_scale_up_bin_packs_pending_pods_and_respects_max(make_cluster):
    cluster = await make_cluster(burst_spec(delay=0.3, max_size=2))
    for i in range(5):  # 5 FPGAs wanted, 2 per node, at most 2 nodes -> 4 fit
        cluster.api.create("pods", "jhub", cloud_pod(f"p{i}"))
    await cluster.wait_for(
        lambda: sum(1 for i in range(5) if node_of(cluster, f"p{i}")) == 4, timeout=10
    )
    messages = {
        e["message"] for i in range(5) for e in cluster.events("jhub", f"p{i}", "TriggeredScaleUp")
    }
    assert messages == {"pod triggered scale-up: [{f2-cloud 0->2 (max: 2)}]"}
    assert len([n for n in cluster.nodes() if n["metadata"]["name"].startswith("f2-cloud-")]) == 2
    (left,) = [f"p{i}" for i in range(5) if not node_of(cluster, f"p{i}")]
    await cluster.wait_for(lambda: cluster.events("jhub", left, "NotTriggerScaleUp"), timeout=5)
    assert (
        cluster.events("jhub", left, "NotTriggerScaleUp")[0]["message"]
        == "pod didn't trigger scale-up: 1 max node group size reached"
    )


async def test_pod_no_group_can_help_gets_not_trigger_scale_up(make_cluster):
    cluster = await make_cluster(burst_spec())
    cluster.api.create(
        "pods", "jhub", pod_body("two-u250", {U250: 2}, tolerations=[FPGA_TOLERATION])
    )
    await cluster.wait_for(
        lambda: cluster.events("jhub", "two-u250", "NotTriggerScaleUp"), timeout=5
    )
    assert (
        cluster.events("jhub", "two-u250", "NotTriggerScaleUp")[0]["message"]
        == f"pod didn't trigger scale-up: 1 Insufficient {U250}"
    )
    await asyncio.sleep(0.5)
    assert len(cluster.nodes()) == 1 and not cluster.events("jhub", "two-u250", "TriggeredScaleUp")


async def test_empty_scaled_up_node_is_removed_after_the_unneeded_delay(make_cluster):
    cluster = await make_cluster(burst_spec(delay=0.1, scale_down=0.5))
    cluster.api.create("pods", "jhub", cloud_pod("short"))
    await cluster.wait_for(lambda: node_of(cluster, "short"), timeout=5)
    node = node_of(cluster, "short")
    await asyncio.sleep(0.8)
    assert cluster.store.get("nodes", None, node) is not None, "a busy node stays"
    cluster.api.delete("pods", "jhub", "short", {"gracePeriodSeconds": 0})
    await cluster.wait_for(lambda: cluster.store.get("nodes", None, node) is None, timeout=5)
    assert cluster.events("default", node, "ScaleDown")

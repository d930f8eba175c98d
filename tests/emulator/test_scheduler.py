"""The emulated scheduler: where pods go, what it says when they cannot go anywhere."""

from __future__ import annotations

import asyncio
from collections import Counter

from kubernetes_asyncio import client

from fpga_demo.emulator.scheduler.fit import node_allocatable, pod_requests
from tests.support.emulator import FPGA_TAINT, FPGA_TOLERATION, U250, U280, pod_body


def node_of(cluster, name, namespace="jhub"):
    pod = cluster.store.get("pods", namespace, name)
    return pod["spec"].get("nodeName") if pod else None


def failed_scheduling(cluster, name):
    return [e for e in cluster.events("jhub", name, "FailedScheduling")]


def affinity(required=None, preferred=None):
    node_affinity = {}
    if required is not None:
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": required
        }
    if preferred is not None:
        node_affinity["preferredDuringSchedulingIgnoredDuringExecution"] = preferred
    return {"nodeAffinity": node_affinity}


async def test_fpga_pod_goes_to_a_node_with_a_free_board(cluster):
    cluster.api.create("pods", "jhub", pod_body("fpga-1", {U250: 1}, tolerations=[FPGA_TOLERATION]))
    cluster.api.create("pods", "jhub", pod_body("cpu-only", {"cpu": "1"}))
    await cluster.wait_for(lambda: node_of(cluster, "fpga-1") and node_of(cluster, "cpu-only"))
    assert node_of(cluster, "fpga-1") in ("fpga-a", "fpga-b")
    assert node_of(cluster, "cpu-only") == "cpu-a", (
        "the FPGA taint keeps ordinary pods off FPGA nodes"
    )
    pod = cluster.store.get("pods", "jhub", "fpga-1")
    scheduled = [c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"]
    assert scheduled[0]["status"] == "True"
    (event,) = cluster.events("jhub", "fpga-1", "Scheduled")
    assert event["message"] == f"Successfully assigned jhub/fpga-1 to {node_of(cluster, 'fpga-1')}"
    assert (
        event["reportingComponent"] == "default-scheduler"
        and event["eventTime"]
        and event["lastTimestamp"] is None
    )


async def test_insufficient_message_is_worded_like_the_real_scheduler(
    make_cluster, small_cluster_spec
):
    # The untainted CPU node gets a label the pod's selector excludes.
    small_cluster_spec["nodes"][2]["labels"]["fpga.jupyterhub.io/location"] = "office"
    cluster = await make_cluster(small_cluster_spec)
    selector = {"fpga.jupyterhub.io/location": "on-premises"}
    for i in range(3):
        cluster.api.create(
            "pods",
            "jhub",
            pod_body(f"u250-{i}", {U250: 1}, tolerations=[FPGA_TOLERATION], nodeSelector=selector),
        )
    await cluster.wait_for(lambda: failed_scheduling(cluster, "u250-2"))
    assert {node_of(cluster, "u250-0"), node_of(cluster, "u250-1")} == {"fpga-a", "fpga-b"}
    (event,) = failed_scheduling(cluster, "u250-2")
    assert event["message"] == (
        f"0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient {U250}. "
        "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )
    assert event["type"] == "Warning"
    pod = cluster.store.get("pods", "jhub", "u250-2")
    condition = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert condition == {
        **condition,
        "status": "False",
        "reason": "Unschedulable",
        "message": event["message"],
    }
    # Still pending a while later: the same event is updated (series), not duplicated.
    await cluster.wait_for(
        lambda: (failed_scheduling(cluster, "u250-2")[0].get("series") or {}).get("count", 1) >= 2,
        timeout=5,
    )
    assert len(failed_scheduling(cluster, "u250-2")) == 1


async def test_taints_and_tolerations(cluster):
    cluster.api.create("pods", "jhub", pod_body("no-toleration", {U250: 1}))
    await cluster.wait_for(lambda: failed_scheduling(cluster, "no-toleration"))
    message = failed_scheduling(cluster, "no-toleration")[0]["message"]
    assert message.startswith(
        f"0/3 nodes are available: 1 Insufficient {U250}, 2 node(s) had untolerated taint {{fpga.jupyterhub.io/fpga: present}}. "
    )
    equal = {
        "key": "fpga.jupyterhub.io/fpga",
        "operator": "Equal",
        "value": "present",
        "effect": "NoSchedule",
    }
    wrong_value = {**equal, "value": "absent"}
    cluster.api.create(
        "pods", "jhub", pod_body("wrong-value", {U250: 1}, tolerations=[wrong_value])
    )
    cluster.api.create("pods", "jhub", pod_body("equal", {U250: 1}, tolerations=[equal]))
    await cluster.wait_for(
        lambda: node_of(cluster, "equal") and failed_scheduling(cluster, "wrong-value")
    )
    cluster.api.create(
        "pods", "jhub", pod_body("tolerate-all", {U250: 1}, tolerations=[{"operator": "Exists"}])
    )
    await cluster.wait_for(lambda: node_of(cluster, "tolerate-all"))
    assert {node_of(cluster, "equal"), node_of(cluster, "tolerate-all")} == {"fpga-a", "fpga-b"}


async def test_required_node_affinity_operators(make_cluster):
    spec = {
        "namespaces": ["jhub"],
        "nodes": [
            {
                "name": "onprem",
                "labels": {"loc": "on-premises", "gen": "3"},
                "allocatable": {"cpu": "8", "memory": "8Gi"},
            },
            {
                "name": "cloud",
                "labels": {"loc": "cloud", "spot": "yes"},
                "allocatable": {"cpu": "8", "memory": "8Gi"},
            },
        ],
        "kubelet": {"runProcesses": False},
    }
    cluster = await make_cluster(spec)
    cases = {
        "in-cloud": [{"key": "loc", "operator": "In", "values": ["cloud"]}],
        "notin-cloud": [{"key": "loc", "operator": "NotIn", "values": ["cloud"]}],
        "spot-exists": [{"key": "spot", "operator": "Exists"}],
        "no-spot": [{"key": "spot", "operator": "DoesNotExist"}],
        "gen-gt-2": [{"key": "gen", "operator": "Gt", "values": ["2"]}],
    }
    for name, expressions in cases.items():
        cluster.api.create(
            "pods",
            "jhub",
            pod_body(name, affinity=affinity(required=[{"matchExpressions": expressions}])),
        )
    # Terms are ORed; expressions within a term are ANDed.
    either = [
        {"matchExpressions": [{"key": "loc", "operator": "In", "values": ["mars"]}]},
        {"matchExpressions": [{"key": "gen", "operator": "Exists"}]},
    ]
    cluster.api.create("pods", "jhub", pod_body("or-terms", affinity=affinity(required=either)))
    both = [
        {
            "matchExpressions": [
                {"key": "loc", "operator": "In", "values": ["cloud"]},
                {"key": "gen", "operator": "Exists"},
            ]
        }
    ]
    cluster.api.create("pods", "jhub", pod_body("and-exprs", affinity=affinity(required=both)))
    await cluster.wait_for(
        lambda: all(node_of(cluster, n) for n in cases) and failed_scheduling(cluster, "and-exprs")
    )
    placed = {name: node_of(cluster, name) for name in [*cases, "or-terms"]}
    assert placed == {
        "in-cloud": "cloud",
        "notin-cloud": "onprem",
        "spot-exists": "cloud",
        "no-spot": "onprem",
        "gen-gt-2": "onprem",
        "or-terms": "onprem",
    }
    assert (
        "2 node(s) didn't match Pod's node affinity/selector"
        in failed_scheduling(cluster, "and-exprs")[0]["message"]
    )


async def test_preferred_affinity_orders_candidates(make_cluster):
    spec = {
        "namespaces": ["jhub"],
        "nodes": [
            {
                "name": "a-cloud",
                "labels": {"loc": "cloud"},
                "allocatable": {"cpu": "8", "memory": "8Gi", U250: 1},
            },
            {
                "name": "b-onprem",
                "labels": {"loc": "on-premises"},
                "allocatable": {"cpu": "8", "memory": "8Gi", U250: 1},
            },
        ],
        "kubelet": {"runProcesses": False},
    }
    cluster = await make_cluster(spec)
    prefer_onprem = [
        {
            "weight": 100,
            "preference": {
                "matchExpressions": [{"key": "loc", "operator": "In", "values": ["on-premises"]}]
            },
        },
        {
            "weight": 10,
            "preference": {
                "matchExpressions": [{"key": "loc", "operator": "In", "values": ["cloud"]}]
            },
        },
    ]
    cluster.api.create(
        "pods", "jhub", pod_body("first", {U250: 1}, affinity=affinity(preferred=prefer_onprem))
    )
    await cluster.wait_for(lambda: node_of(cluster, "first"))
    cluster.api.create(
        "pods", "jhub", pod_body("second", {U250: 1}, affinity=affinity(preferred=prefer_onprem))
    )
    await cluster.wait_for(lambda: node_of(cluster, "second"))
    assert (node_of(cluster, "first"), node_of(cluster, "second")) == ("b-onprem", "a-cloud")


async def test_pending_pod_is_rescheduled_when_capacity_frees_up(cluster):
    for name in ("holder-1", "holder-2", "waiter"):
        cluster.api.create("pods", "jhub", pod_body(name, {U250: 1}, tolerations=[FPGA_TOLERATION]))
        await asyncio.sleep(0)
    await cluster.wait_for(lambda: failed_scheduling(cluster, "waiter"))
    freed = node_of(cluster, "holder-1")
    cluster.api.delete("pods", "jhub", "holder-1", {"gracePeriodSeconds": 0})
    await cluster.wait_for(lambda: node_of(cluster, "waiter"), timeout=3)
    assert node_of(cluster, "waiter") == freed
    # A new node is also "capacity freed".
    cluster.api.create("pods", "jhub", pod_body("late", {U280: 1}, tolerations=[FPGA_TOLERATION]))
    await cluster.wait_for(lambda: failed_scheduling(cluster, "late"))
    cluster.add_node("fpga-u280", {"cpu": "8", "memory": "16Gi", U280: 1}, taints=[FPGA_TAINT])
    await cluster.wait_for(lambda: node_of(cluster, "late") == "fpga-u280", timeout=3)


async def test_missing_claim_blocks_scheduling_with_prefilter_message(cluster):
    body = pod_body(
        "with-pvc", volumes=[{"name": "home", "persistentVolumeClaim": {"claimName": "claim-x"}}]
    )
    cluster.api.create("pods", "jhub", body)
    await cluster.wait_for(lambda: failed_scheduling(cluster, "with-pvc"))
    assert failed_scheduling(cluster, "with-pvc")[0]["message"] == (
        '0/3 nodes are available: persistentvolumeclaim "claim-x" not found. '
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    cluster.api.create(
        "persistentvolumeclaims",
        "jhub",
        {
            "metadata": {"name": "claim-x"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    await cluster.wait_for(lambda: node_of(cluster, "with-pvc"), timeout=3)


async def test_limit_only_extended_resource_counts_as_requested(cluster):
    body = pod_body("limit-only", {U250: 1}, tolerations=[FPGA_TOLERATION])
    body["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "500m"
    created = cluster.api.create("pods", "jhub", body)
    assert (
        pod_requests(created)[U250] == 1
        and created["spec"]["containers"][0]["resources"]["requests"][U250] == "1"
    )


async def test_hundred_concurrent_creates_never_double_book(cluster, v1):
    """100 FPGA pods created at once over HTTP against 2 boards: exactly 2 bound, never more."""
    overbooked = []

    def check(plural, kind, obj, prev):  # runs on every write: no moment may be overbooked
        if plural != "pods":
            return
        for node in cluster.nodes():
            held = sum(
                pod_requests(p).get(U250, 0)
                for p in cluster.pods()
                if p["spec"].get("nodeName") == node["metadata"]["name"]
            )
            if held > node_allocatable(node).get(U250, 0):
                overbooked.append(node["metadata"]["name"])

    cluster.store.add_listener(check)
    bodies = [
        pod_body(f"rush-{i:03d}", {U250: 1}, tolerations=[FPGA_TOLERATION]) for i in range(100)
    ]
    created = await asyncio.gather(*(v1.create_namespaced_pod("jhub", b) for b in bodies))
    assert all(isinstance(p, client.V1Pod) for p in created)
    await cluster.wait_for(
        lambda: (
            sum(
                1 for p in cluster.pods("jhub") if failed_scheduling(cluster, p["metadata"]["name"])
            )
            == 98
        ),
        timeout=15,
    )
    bound = Counter(p["spec"].get("nodeName") for p in cluster.pods("jhub"))
    assert bound == {"fpga-a": 1, "fpga-b": 1, None: 98}
    assert overbooked == []

"""Controllers of the kube-controller-manager, seen through the API: GC, Endpoints.

And the API paths that act on pods the way controllers and kubectl do:
DELETE's propagation policies and dryRun, pods/eviction and pods/binding.
"""

from __future__ import annotations

import json

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiException

from tests.support.emulator import pod_body


def owned_by(pod: dict, block: bool = False) -> list[dict]:
    meta = pod["metadata"]
    ref = {"apiVersion": "v1", "kind": "Pod", "name": meta["name"], "uid": meta["uid"]}
    if block:
        ref["blockOwnerDeletion"] = True
    return [ref]


def service(name: str, selector: dict, owners: list | None = None, **spec) -> dict:
    body = {
        "metadata": {"name": name, "ownerReferences": owners or []},
        "spec": {"selector": selector, "ports": [{"port": 8888, "targetPort": 8888}], **spec},
    }
    return body


def gone(cluster, plural: str, name: str) -> bool:
    return cluster.store.get(plural, "jhub", name) is None


async def test_dependents_are_collected_when_their_owner_is_deleted(cluster, v1):
    """kubespawner's Service and Secret, owned by the user's pod, go with it."""
    pod = cluster.api.create("pods", "jhub", pod_body("jupyter-ann"))
    cluster.api.create("services", "jhub", service("jupyter-ann", {"a": "b"}, owned_by(pod)))
    secret = {"metadata": {"name": "ann-ssl", "ownerReferences": owned_by(pod)}}
    cluster.api.create("secrets", "jhub", secret)
    await v1.delete_namespaced_pod("jupyter-ann", "jhub", grace_period_seconds=0)
    await cluster.wait_for(lambda: gone(cluster, "services", "jupyter-ann"))
    await cluster.wait_for(lambda: gone(cluster, "secrets", "ann-ssl"))

    # an owner that is already gone: the new dependent is garbage at once
    stale = {"metadata": {"name": "late", "ownerReferences": owned_by(pod)}}
    cluster.api.create("configmaps", "jhub", stale)
    await cluster.wait_for(lambda: gone(cluster, "configmaps", "late"))


async def test_a_second_live_owner_keeps_the_dependent(cluster):
    first = cluster.api.create("pods", "jhub", pod_body("one"))
    second = cluster.api.create("pods", "jhub", pod_body("two"))
    co_owned = {
        "metadata": {"name": "co-owned", "ownerReferences": owned_by(first) + owned_by(second)}
    }
    cluster.api.create("configmaps", "jhub", co_owned)
    cluster.api.delete("pods", "jhub", "one", {"gracePeriodSeconds": 0})
    await cluster.wait_for(lambda: gone(cluster, "pods", "one"))
    for _ in range(5):
        await cluster.wait_for(lambda: True)
    assert not gone(cluster, "configmaps", "co-owned")
    cluster.api.delete("pods", "jhub", "two", {"gracePeriodSeconds": 0})
    await cluster.wait_for(lambda: gone(cluster, "configmaps", "co-owned"))


async def test_orphan_and_foreground_propagation(cluster, v1):
    owner = cluster.api.create("pods", "jhub", pod_body("owner"))
    cluster.api.create("services", "jhub", service("kept", {"a": "b"}, owned_by(owner)))
    await v1.delete_namespaced_pod(
        "owner",
        "jhub",
        body=client.V1DeleteOptions(propagation_policy="Orphan", grace_period_seconds=0),
    )
    await cluster.wait_for(lambda: gone(cluster, "pods", "owner"))
    kept = await v1.read_namespaced_service("kept", "jhub")
    assert not kept.metadata.owner_references

    parent = cluster.api.create("configmaps", "jhub", {"metadata": {"name": "parent"}})
    ref = {**owned_by(parent, block=True)[0], "kind": "ConfigMap"}
    child = pod_body("child", terminationGracePeriodSeconds=1)
    child["metadata"]["ownerReferences"] = [ref]
    cluster.api.create("pods", "jhub", child)
    await cluster.wait_for(
        lambda: cluster.store.get("pods", "jhub", "child")["status"].get("phase") == "Running"
    )
    since = str(cluster.store.rv)
    configmaps = cluster.store.watch("configmaps", lambda o: True, since)
    pods = cluster.store.watch("pods", lambda o: True, since)
    await v1.delete_namespaced_config_map("parent", "jhub", propagation_policy="Foreground")
    await cluster.wait_for(lambda: gone(cluster, "configmaps", "parent"), timeout=10)

    def drained(watch):
        events = []
        while not watch.queue.empty():
            kind, obj = watch.queue.get_nowait()
            events.append((kind, int(obj["metadata"]["resourceVersion"]), obj))
        return events

    parent_events = drained(configmaps)
    marked = parent_events[0][2]["metadata"]
    assert parent_events[0][0] == "MODIFIED" and "deletionTimestamp" in marked
    assert "foregroundDeletion" in marked["finalizers"]
    child_gone = next(rv for kind, rv, obj in drained(pods) if kind == "DELETED")
    parent_gone = next(rv for kind, rv, obj in parent_events if kind == "DELETED")
    assert child_gone < parent_gone, "the owner went before its blocking dependent"


async def test_dry_run_deletes_nothing(cluster, v1):
    cluster.api.create("pods", "jhub", pod_body("nb"))
    cluster.api.create("configmaps", "jhub", {"metadata": {"name": "cm"}})
    answer = await v1.delete_namespaced_pod("nb", "jhub", dry_run="All", grace_period_seconds=0)
    assert answer.metadata.name == "nb"
    status = await v1.delete_namespaced_config_map("cm", "jhub", dry_run="All")
    assert status.status == "Success"
    assert not gone(cluster, "pods", "nb") and not gone(cluster, "configmaps", "cm")
    with pytest.raises(ApiException) as bad:
        await v1.delete_namespaced_config_map("cm", "jhub", dry_run="Some")
    assert bad.value.status == 400 and "supported values" in json.loads(bad.value.body)["message"]


async def test_eviction_and_binding(cluster, v1):
    cluster.api.create("pods", "jhub", pod_body("evicted"))
    await cluster.wait_for(
        lambda: cluster.store.get("pods", "jhub", "evicted")["spec"].get("nodeName")
    )
    eviction = client.V1Eviction(
        metadata=client.V1ObjectMeta(name="evicted", namespace="jhub"),
        delete_options=client.V1DeleteOptions(grace_period_seconds=0),
    )
    await v1.create_namespaced_pod_eviction("evicted", "jhub", eviction)
    await cluster.wait_for(lambda: gone(cluster, "pods", "evicted"))

    cluster.api.create("pods", "jhub", pod_body("mine", schedulerName="my-scheduler"))
    binding = client.V1Binding(
        metadata=client.V1ObjectMeta(name="mine"),
        target=client.V1ObjectReference(kind="Node", name="cpu-a"),
    )
    # The API server answers a Status, which the generated client cannot read as a
    # V1Binding (kubernetes-client/python#825), so the answer is taken raw.
    await v1.create_namespaced_pod_binding("mine", "jhub", binding, _preload_content=False)
    assert cluster.store.get("pods", "jhub", "mine")["spec"]["nodeName"] == "cpu-a"
    with pytest.raises(ApiException) as again:
        await v1.create_namespaced_pod_binding("mine", "jhub", binding)
    assert again.value.status == 409


async def test_endpoints_follow_ready_pods(cluster, v1):
    labels = {"component": "singleuser-server", "hub.jupyter.org/username": "ann"}
    cluster.api.create("pods", "jhub", pod_body("ready-one", labels=labels))
    probe = {"exec": {"command": ["false"]}, "periodSeconds": 1}
    cluster.api.create(
        "pods", "jhub", pod_body("unready", labels=labels, container={"readinessProbe": probe})
    )
    cluster.api.create("pods", "jhub", pod_body("other", labels={"component": "x"}))
    svc = service("jupyter-ann", {"hub.jupyter.org/username": "ann"})
    svc["spec"]["ports"] = [{"name": "http", "port": 80, "targetPort": 8888}]
    await v1.create_namespaced_service("jhub", svc)

    def subsets():
        endpoints = cluster.store.get("endpoints", "jhub", "jupyter-ann")
        return endpoints and endpoints.get("subsets")

    await cluster.wait_for(
        lambda: subsets() and len(subsets()[0].get("addresses", [])) == 1
        and len(subsets()[0].get("notReadyAddresses", [])) == 1
    )  # fmt: skip
    endpoints = await v1.read_namespaced_endpoints("jupyter-ann", "jhub")
    subset = endpoints.subsets[0]
    ready_pod = cluster.store.get("pods", "jhub", "ready-one")
    assert subset.addresses[0].ip == ready_pod["status"]["podIP"]
    assert subset.addresses[0].target_ref.name == "ready-one"
    assert subset.not_ready_addresses[0].target_ref.name == "unready"
    assert [(p.name, p.port, p.protocol) for p in subset.ports] == [("http", 8888, "TCP")]

    await v1.delete_namespaced_pod("ready-one", "jhub", grace_period_seconds=0)
    await cluster.wait_for(lambda: not (subsets() or [{}])[0].get("addresses"))
    await v1.delete_namespaced_service("jupyter-ann", "jhub")
    await cluster.wait_for(lambda: gone(cluster, "endpoints", "jupyter-ann"))

"""The emulator answers kubernetes_asyncio the way the Kubernetes API documents.

Every call here goes over HTTP through the unmodified client: objects come back
with server-filled fields, errors are `Status` bodies the client turns into
ApiException with the documented code and reason.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp
import kubernetes_validate
import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client import ApiException

from fpga_demo.emulator.apiserver.api import with_kind
from fpga_demo.emulator.apiserver.resources import RESOURCES
from tests.support.emulator import FPGA_TOLERATION, U250, pod_body


def status_of(exc: ApiException) -> dict:
    body = json.loads(exc.body)
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure"
    assert body["code"] == exc.status
    return body


async def test_pod_create_get_list_delete_round_trip(cluster, v1):
    created = await v1.create_namespaced_pod(
        "jhub", pod_body("nb-1", {U250: 1}, tolerations=[FPGA_TOLERATION])
    )
    meta = created.metadata
    assert meta.uid and meta.creation_timestamp is not None and int(meta.resource_version) > 1
    assert created.kind == "Pod" and created.status.phase == "Pending"
    # The API server defaults requests from limits (this is how a limit-only
    # extended resource becomes a request) and adds the default tolerations.
    container = created.spec.containers[0]
    assert container.resources.requests == {U250: "1"}
    assert container.image_pull_policy == "IfNotPresent"
    assert created.spec.restart_policy == "Always" and created.status.qos_class == "BestEffort"
    keys = {t.key for t in created.spec.tolerations}
    assert {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"} <= keys

    got = await v1.read_namespaced_pod("nb-1", "jhub")
    assert got.metadata.uid == meta.uid
    listed = await v1.list_namespaced_pod("jhub")
    assert [p.metadata.name for p in listed.items] == ["nb-1"]
    assert int(listed.metadata.resource_version) >= int(got.metadata.resource_version)
    assert (
        await v1.list_namespaced_pod("default")
        and not (await v1.list_namespaced_pod("default")).items
    )

    await cluster.wait_for(
        lambda: cluster.store.get("pods", "jhub", "nb-1")["status"].get("phase") == "Running"
    )
    deleted = await v1.delete_namespaced_pod(
        "nb-1", "jhub", grace_period_seconds=1, body=client.V1DeleteOptions(grace_period_seconds=1)
    )
    assert deleted.metadata.deletion_timestamp is not None  # graceful: marked first
    await cluster.wait_for(lambda: cluster.store.get("pods", "jhub", "nb-1") is None, timeout=5)
    with pytest.raises(ApiException) as info:
        await v1.read_namespaced_pod("nb-1", "jhub")
    assert info.value.status == 404


async def test_not_found_is_a_404_status(v1):
    with pytest.raises(ApiException) as info:
        await v1.read_namespaced_pod("missing", "jhub")
    exc = info.value
    assert exc.status == 404 and exc.reason == "Not Found"
    body = status_of(exc)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'pods "missing" not found'
    assert body["details"] == {"name": "missing", "kind": "pods"}
    with pytest.raises(ApiException) as info:
        await v1.create_namespaced_pod("no-such-ns", pod_body("x"))
    assert (
        info.value.status == 404
        and status_of(info.value)["message"] == 'namespaces "no-such-ns" not found'
    )


async def test_already_exists_is_a_409(v1):
    await v1.create_namespaced_pod("jhub", pod_body("dup"))
    with pytest.raises(ApiException) as info:
        await v1.create_namespaced_pod("jhub", pod_body("dup"))
    body = status_of(info.value)
    assert info.value.status == 409 and info.value.reason == "Conflict"
    assert body["reason"] == "AlreadyExists" and body["message"] == 'pods "dup" already exists'


async def test_invalid_pod_is_a_422_with_field_causes(v1):
    bad = pod_body("Bad_Name", {U250: "0.5", "cpu": "1"})
    bad["spec"]["containers"][0]["image"] = ""
    bad["spec"]["containers"][0]["resources"]["requests"] = {"cpu": "2"}
    with pytest.raises(ApiException) as info:
        await v1.create_namespaced_pod("jhub", bad)
    body = status_of(info.value)
    assert info.value.status == 422 and info.value.reason == "Unprocessable Entity"
    assert body["reason"] == "Invalid"
    assert body["message"].startswith('Pod "Bad_Name" is invalid: [')
    causes = {c["field"]: c for c in body["details"]["causes"]}
    assert causes["metadata.name"]["reason"] == "FieldValueInvalid"
    assert "RFC 1123 subdomain" in causes["metadata.name"]["message"]
    assert causes["spec.containers[0].image"] == {
        "reason": "FieldValueRequired",
        "message": "Required value",
        "field": "spec.containers[0].image",
    }
    assert (
        causes[f"spec.containers[0].resources.limits[{U250}]"]["message"]
        == 'Invalid value: "500m": must be an integer'
    )
    assert (
        causes["spec.containers[0].resources.requests"]["message"]
        == 'Invalid value: "2": must be less than or equal to cpu limit of 1'
    )


async def test_extended_resource_request_must_equal_limit(v1):
    body = pod_body("x", {U250: 2})
    body["spec"]["containers"][0]["resources"]["requests"] = {U250: 1}
    with pytest.raises(ApiException) as info:
        await v1.create_namespaced_pod("jhub", body)
    cause = status_of(info.value)["details"]["causes"][0]
    assert cause == {
        "reason": "FieldValueInvalid",
        "message": f'Invalid value: "1": must be equal to {U250} limit of 2',
        "field": f"spec.containers[0].resources.requests[{U250}]",
    }


async def test_bad_quantity_and_bad_selector_are_400(v1):
    with pytest.raises(ApiException) as info:
        await v1.create_namespaced_pod("jhub", pod_body("x", {"cpu": "lots"}))
    assert (
        info.value.status == 400
        and "quantities must match the regular expression" in status_of(info.value)["message"]
    )
    with pytest.raises(ApiException) as info:
        await v1.list_namespaced_pod("jhub", field_selector="spec.favouriteColour=blue")
    assert info.value.status == 400
    assert status_of(info.value)["message"] == "field label not supported: spec.favouriteColour"
    with pytest.raises(ApiException) as info:
        await v1.list_namespaced_pod("jhub", label_selector="a in (b")
    assert info.value.status == 400


async def test_list_then_watch_from_resource_version(cluster, v1):
    await v1.create_namespaced_pod("jhub", pod_body("before"))
    listed = await v1.list_namespaced_pod("jhub", label_selector="component=singleuser-server")
    rv = listed.metadata.resource_version

    async def changes():
        await asyncio.sleep(0.2)
        await v1.create_namespaced_pod("jhub", pod_body("after"))
        await v1.patch_namespaced_pod("after", "jhub", {"metadata": {"labels": {"extra": "yes"}}})
        await v1.delete_namespaced_pod("after", "jhub", grace_period_seconds=0)
        await v1.create_namespaced_pod(
            "jhub", pod_body("other-component", labels={"component": "other"})
        )

    seen = []
    task = asyncio.create_task(changes())
    start = time.monotonic()
    w = watch.Watch()
    async with w.stream(
        v1.list_namespaced_pod,
        namespace="jhub",
        label_selector="component=singleuser-server",
        resource_version=rv,
        timeout_seconds=2,
    ) as stream:
        async for event in stream:
            seen.append((event["type"], event["raw_object"]["metadata"]["name"]))
            assert event["raw_object"]["kind"] == "Pod"
            assert isinstance(event["object"], client.V1Pod)
    elapsed = time.monotonic() - start
    await task
    # "before" is not replayed (it predates rv); the kubelet/scheduler writes on
    # "after" are MODIFIED events; the other component's pod is filtered out.
    names = {name for _, name in seen}
    assert names == {"after"}
    types = [t for t, _ in seen]
    assert types[0] == "ADDED" and types[-1] == "DELETED" and "MODIFIED" in types
    assert 1.9 <= elapsed < 10, "the stream must end at timeoutSeconds"


async def test_watch_from_zero_sends_current_objects_as_added(v1):
    await v1.create_namespaced_pod("jhub", pod_body("a"))
    await v1.create_namespaced_pod("jhub", pod_body("b"))
    w = watch.Watch()
    got = []
    async with w.stream(
        v1.list_namespaced_pod, namespace="jhub", resource_version="0", timeout_seconds=1
    ) as stream:
        async for event in stream:
            got.append((event["type"], event["raw_object"]["metadata"]["name"]))
    assert ("ADDED", "a") in got and ("ADDED", "b") in got


async def test_too_old_resource_version_is_410_gone(cluster, v1):
    await v1.create_namespaced_pod("jhub", pod_body("old"))
    old_rv = (await v1.list_namespaced_pod("jhub")).metadata.resource_version
    await v1.create_namespaced_pod("jhub", pod_body("newer"))
    cluster.store.compact()  # what an etcd compaction does to old revisions
    w = watch.Watch()
    with pytest.raises(ApiException) as info:
        async with w.stream(
            v1.list_namespaced_pod, namespace="jhub", resource_version=old_rv, timeout_seconds=1
        ) as stream:
            async for _ in stream:
                pass
    assert info.value.status == 410 and "too old resource version" in info.value.reason
    with pytest.raises(ApiException) as info:
        await v1.list_namespaced_pod(
            "jhub", resource_version=old_rv, resource_version_match="Exact"
        )
    assert info.value.status == 410 and status_of(info.value)["reason"] == "Expired"


async def test_raw_watch_stream_is_chunked_json_lines_with_error_event(cluster):
    """What the reflector's HTTP layer sees: chunked, one JSON per line, 410 as an ERROR event."""
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{cluster.url}/api/v1/namespaces/jhub/pods",
            params={"watch": "true", "timeoutSeconds": "1", "resourceVersion": "0"},
        ) as resp:
            cluster.api.create("pods", "jhub", pod_body("live"))
            assert resp.status == 200 and resp.headers["Transfer-Encoding"] == "chunked"
            lines = [json.loads(line) for line in (await resp.read()).decode().splitlines() if line]
        assert lines and all(set(line) == {"type", "object"} for line in lines)
        cluster.store.compact()
        async with http.get(
            f"{cluster.url}/api/v1/pods", params={"watch": "1", "resourceVersion": "1"}
        ) as resp:
            assert resp.status == 200
            event = json.loads((await resp.read()).decode().splitlines()[0])
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    assert event["object"]["kind"] == "Status"


async def test_not_older_than_waits_for_a_newer_revision(cluster, v1):
    future_rv = str(cluster.store.rv + 1)

    async def write_soon():
        await asyncio.sleep(0.3)
        await v1.create_namespaced_pod("jhub", pod_body("bump"))

    task = asyncio.create_task(write_soon())
    listed = await v1.list_namespaced_pod(
        "jhub", resource_version=future_rv, resource_version_match="NotOlderThan"
    )
    await task
    assert int(listed.metadata.resource_version) >= int(future_rv)
    assert [p.metadata.name for p in listed.items] == ["bump"]


async def test_label_and_field_selectors(cluster, v1):
    await v1.create_namespaced_pod(
        "jhub",
        pod_body(
            "u1", labels={"component": "singleuser-server", "fpga.jupyterhub.io/board": "u250"}
        ),
    )
    await v1.create_namespaced_pod(
        "jhub",
        pod_body(
            "u2", labels={"component": "singleuser-server", "fpga.jupyterhub.io/board": "u280"}
        ),
    )
    await v1.create_namespaced_pod(
        "jhub", pod_body("plain", labels={"component": "singleuser-server"})
    )

    async def names(**kw):
        return sorted(p.metadata.name for p in (await v1.list_namespaced_pod("jhub", **kw)).items)

    assert await names(label_selector="fpga.jupyterhub.io/board in (u250,u280)") == ["u1", "u2"]
    assert await names(label_selector="fpga.jupyterhub.io/board notin (u250)") == ["plain", "u2"]
    assert await names(label_selector="!fpga.jupyterhub.io/board") == ["plain"]
    assert await names(
        label_selector="component=singleuser-server,fpga.jupyterhub.io/board!=u250"
    ) == ["plain", "u2"]
    await cluster.wait_for(lambda: all(p["spec"].get("nodeName") for p in cluster.pods("jhub")))
    assert await names(field_selector="spec.nodeName=cpu-a") == ["plain", "u1", "u2"]
    assert await names(field_selector="metadata.name!=u1,status.phase=Running") == ["plain", "u2"]
    events = await v1.list_event_for_all_namespaces(
        field_selector="involvedObject.kind=Pod,reason=Scheduled"
    )
    assert sorted(e.involved_object.name for e in events.items) == ["plain", "u1", "u2"]


async def test_watch_sends_deleted_when_an_object_leaves_the_selector(v1):
    await v1.create_namespaced_pod(
        "jhub", pod_body("mover", labels={"component": "singleuser-server"})
    )
    rv = (await v1.list_namespaced_pod("jhub")).metadata.resource_version

    async def relabel():
        await asyncio.sleep(0.1)
        await v1.patch_namespaced_pod(
            "mover", "jhub", {"metadata": {"labels": {"component": "retired"}}}
        )

    task = asyncio.create_task(relabel())
    seen = []
    w = watch.Watch()
    async with w.stream(
        v1.list_namespaced_pod,
        namespace="jhub",
        label_selector="component=singleuser-server",
        resource_version=rv,
        timeout_seconds=1,
    ) as stream:
        async for event in stream:
            seen.append((event["type"], event["raw_object"]["metadata"]["labels"]["component"]))
    await task
    assert ("DELETED", "retired") in seen


async def test_patch_update_conflict_and_status_subresource(cluster, v1):
    pod = await v1.create_namespaced_pod("jhub", pod_body("p"))
    merged = await v1.patch_namespaced_pod("p", "jhub", {"metadata": {"annotations": {"a": "1"}}})
    assert merged.metadata.annotations == {"a": "1"}
    patched = await v1.patch_namespaced_pod(
        "p", "jhub", [{"op": "add", "path": "/metadata/labels/b", "value": "2"}]
    )
    assert patched.metadata.labels["b"] == "2"
    stale = client.V1Pod(
        metadata=client.V1ObjectMeta(
            name="p", resource_version=pod.metadata.resource_version, labels={}
        ),
        spec=pod.spec,
    )
    with pytest.raises(ApiException) as info:
        await v1.replace_namespaced_pod("p", "jhub", stale)
    assert (
        info.value.status == 409
        and "the object has been modified" in status_of(info.value)["message"]
    )
    # Pod specs are immutable apart from images and tolerations.
    with pytest.raises(ApiException) as info:
        await v1.patch_namespaced_pod("p", "jhub", {"spec": {"restartPolicy": "Never"}})
    assert (
        info.value.status == 422
        and "pod updates may not change fields" in status_of(info.value)["message"]
    )
    # Strategic merge (kubernetes_asyncio's default for dict bodies) merges
    # containers by name, so changing only the image is an allowed update.
    updated = await v1.patch_namespaced_pod(
        "p", "jhub", {"spec": {"containers": [{"name": "notebook", "image": "new:2"}]}}
    )
    assert updated.spec.containers[0].image == "new:2"
    assert updated.spec.containers[0].termination_message_path == "/dev/termination-log"
    # Node capacity changes go through /status, as a device plugin's do.
    await v1.patch_node_status(
        "cpu-a", {"status": {"allocatable": {"cpu": "2", "memory": "8Gi", "pods": "110"}}}
    )
    assert (await v1.read_node("cpu-a")).status.allocatable["cpu"] == "2"
    await v1.patch_node(
        "cpu-a", {"status": {"allocatable": {"cpu": "64"}}}
    )  # ignored on the main resource
    assert (await v1.read_node("cpu-a")).status.allocatable["cpu"] == "2"


async def test_pagination_with_limit_and_continue(v1):
    for i in range(5):
        await v1.create_namespaced_pod("jhub", pod_body(f"page-{i}"))
    first = await v1.list_namespaced_pod("jhub", limit=2)
    assert (
        len(first.items) == 2
        and first.metadata._continue
        and first.metadata.remaining_item_count == 3
    )
    await v1.create_namespaced_pod("jhub", pod_body("page-9"))  # not in the consistent snapshot
    rest = await v1.list_namespaced_pod("jhub", limit=10, _continue=first.metadata._continue)
    names = [p.metadata.name for p in first.items + rest.items]
    assert names == [f"page-{i}" for i in range(5)]


async def test_secrets_services_pvcs_namespaces(cluster, v1):
    secret = await v1.create_namespaced_secret(
        "jhub", {"metadata": {"name": "lic"}, "stringData": {"license": "s3cret"}}
    )
    assert (
        secret.type == "Opaque"
        and secret.data == {"license": "czNjcmV0"}
        and not secret.string_data
    )
    svc = await v1.create_namespaced_service(
        "jhub", {"metadata": {"name": "jupyter-a"}, "spec": {"ports": [{"port": 8888}]}}
    )
    assert svc.spec.cluster_ip.startswith("10.9") and svc.spec.ports[0].target_port == 8888
    pvc = await v1.create_namespaced_persistent_volume_claim(
        "jhub",
        {
            "metadata": {"name": "claim-a"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    assert pvc.status.phase == "Pending"
    await cluster.wait_for(
        lambda: (
            cluster.store.get("persistentvolumeclaims", "jhub", "claim-a")["status"]["phase"]
            == "Bound"
        )
    )
    ns = await v1.create_namespace({"metadata": {"name": "user-ns"}})
    assert ns.status.phase == "Active" and ns.metadata.labels == {
        "kubernetes.io/metadata.name": "user-ns"
    }
    with pytest.raises(ApiException) as info:
        await v1.create_namespace({"metadata": {"name": "user-ns"}})
    assert info.value.status == 409
    await v1.create_namespaced_pod("user-ns", pod_body("in-user-ns"))
    everywhere = await v1.list_pod_for_all_namespaces(label_selector="component=singleuser-server")
    assert [(p.metadata.namespace, p.metadata.name) for p in everywhere.items] == [
        ("user-ns", "in-user-ns")
    ]
    status = await v1.delete_namespaced_secret("lic", "jhub")
    assert status.status == "Success"
    await v1.delete_namespace("user-ns")
    await cluster.wait_for(
        lambda: cluster.store.get("namespaces", None, "user-ns") is None, timeout=5
    )
    assert cluster.pods("user-ns") == []


async def test_every_object_validates_against_the_kubernetes_schemas(
    make_cluster, small_cluster_spec
):
    """Independent reference: the published Kubernetes JSON schemas, strict (no unknown fields)."""
    spec = {**small_cluster_spec, "kubelet": {"runProcesses": True, "restartBackoffSeconds": 0.2}}
    spec["nodeGroups"] = [
        {
            "name": "burst",
            "maxSize": 1,
            "startupDelaySeconds": 0.1,
            "template": {"allocatable": {"cpu": "2", "memory": "2Gi"}, "labels": {"burst": "yes"}},
        }
    ]
    cluster = await make_cluster(spec)
    api = cluster.api
    api.create("secrets", "jhub", {"metadata": {"name": "lic"}, "stringData": {"k": "v"}})
    api.create("services", "jhub", {"metadata": {"name": "svc"}, "spec": {"ports": [{"port": 80}]}})
    api.create(
        "persistentvolumeclaims",
        "jhub",
        {
            "metadata": {"name": "claim"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    sleeper = {
        "command": [sys.executable, "-c", "import time; time.sleep(60)"],
        "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "lic", "key": "k"}}}],
    }
    api.create("pods", "jhub", pod_body("running", container=sleeper))
    api.create(
        "pods",
        "jhub",
        pod_body(
            "failed",
            container={"command": [sys.executable, "-c", "raise SystemExit(2)"]},
            restartPolicy="Never",
        ),
    )
    api.create(
        "pods",
        "jhub",
        pod_body(
            "crashing",
            container={"command": [sys.executable, "-c", "raise SystemExit(1)"]},
            restartPolicy="OnFailure",
        ),
    )
    api.create(
        "pods",
        "jhub",
        pod_body(
            "config-error",
            container={
                **sleeper,
                "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}],
            },
        ),
    )
    api.create("pods", "jhub", pod_body("pending", {U250: 5}, tolerations=[FPGA_TOLERATION]))
    api.create("pods", "jhub", pod_body("burst", nodeSelector={"burst": "yes"}))
    await cluster.wait_for(
        lambda: (
            cluster.events("jhub", "crashing", "BackOff")
            and cluster.events("jhub", "burst", "Started")
        ),
        timeout=10,
    )
    checked = 0
    for plural, rtype in RESOURCES.items():
        for obj in cluster.store.list(plural):
            kubernetes_validate.validate(with_kind(rtype, obj), "1.31", strict=True)
            checked += 1
    assert checked > 30

"""What the API server does to a body: quantities, strategic merge, apply, unknown fields, Tables.

Checked over HTTP with the unmodified kubernetes_asyncio client, against what
the Kubernetes API documents (and what a real API server answers).
"""

from __future__ import annotations

import json

import aiohttp
import pytest
from kubernetes_asyncio import client

from fpga_demo.emulator.quantity import canonical
from tests.support.emulator import pod_body

STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("0.5", "500m"), (0.5, "500m"), ("1000m", "1"), ("1000", "1k"), ("1.5", "1500m"),
        ("1G", "1G"), ("1.5Gi", "1536Mi"), ("0.5Ki", "512"), ("2048Gi", "2Ti"), ("1e3", "1e3"),
        ("100000", "100k"), ("0.0000000001", "1n"), ("0", "0"), (2, "2"),
    ],
)  # fmt: skip
def test_canonical_quantities(sent, stored):
    assert canonical(sent) == stored


async def test_quantities_come_back_canonical(cluster, v1):
    body = pod_body("q", {"cpu": 0.5, "memory": "1.5Gi"})
    created = await v1.create_namespaced_pod("jhub", body)
    assert created.spec.containers[0].resources.limits == {"cpu": "500m", "memory": "1536Mi"}
    assert created.spec.containers[0].resources.requests == {"cpu": "500m", "memory": "1536Mi"}


async def patch(api: client.ApiClient, path: str, body, content_type: str, **query):
    async with aiohttp.ClientSession() as http:
        url = api.configuration.host + path
        data = body if isinstance(body, str) else json.dumps(body)
        async with http.patch(
            url, data=data, params=query, headers={"Content-Type": content_type}
        ) as r:
            return r.status, await r.json(), r.headers.getall("Warning", [])


def service_body(name: str = "web") -> dict:
    return {
        "metadata": {"name": name, "finalizers": ["a.example/one"]},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080},
                      {"name": "metrics", "port": 9090}],
        },
    }  # fmt: skip


async def test_strategic_merge_by_each_types_merge_key(cluster, v1):
    await v1.create_namespaced_service("jhub", service_body())
    api = v1.api_client
    path = "/api/v1/namespaces/jhub/services/web"
    # Service ports merge by `port`; the directive orders the list and is not stored
    status, svc, _ = await patch(api, path, {"spec": {
        "$setElementOrder/ports": [{"port": 9090}, {"port": 80}],
        "ports": [{"port": 80, "targetPort": 8081}]}}, STRATEGIC)  # fmt: skip
    assert status == 200, svc
    assert [(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [
        (9090, 9090),
        (80, 8081),
    ]
    assert "$setElementOrder/ports" not in json.dumps(svc)
    # $patch: delete of one element, finalizers merge as a set, $deleteFromPrimitiveList
    _, svc, _ = await patch(api, path, {
        "metadata": {"finalizers": ["a.example/two"]},
        "spec": {"ports": [{"port": 9090, "$patch": "delete"}]}}, STRATEGIC)  # fmt: skip
    assert [p["port"] for p in svc["spec"]["ports"]] == [80]
    assert svc["metadata"]["finalizers"] == ["a.example/one", "a.example/two"]
    _, svc, _ = await patch(api, path, {"metadata": {
        "$deleteFromPrimitiveList/finalizers": ["a.example/one"]}}, STRATEGIC)  # fmt: skip
    assert svc["metadata"]["finalizers"] == ["a.example/two"]
    # $patch: replace replaces a whole map
    _, svc, _ = await patch(api, path, {"spec": {"selector": {"$patch": "replace", "tier": "x"}}}, STRATEGIC)  # fmt: skip
    assert svc["spec"]["selector"] == {"tier": "x"}

    # Container ports merge by containerPort (same field name, other type, other key)
    cluster.api.create("configmaps", "jhub", {"metadata": {"name": "c"}, "data": {"k": "v"}})
    status, cm, _ = await patch(api, "/api/v1/namespaces/jhub/configmaps/c", {"data": {"k2": "v2"}}, STRATEGIC)  # fmt: skip
    assert cm["data"] == {"k": "v", "k2": "v2"}
    # a bad merge key is the API server's 400, nothing is stored
    status, answer, _ = await patch(api, path, {"spec": {"ports": [{"name": "x"}]}}, STRATEGIC)
    assert status == 400 and "does not contain declared merge key: port" in answer["message"]


async def test_volumes_retain_keys(cluster):
    from fpga_demo.emulator.apiserver import strategic
    from fpga_demo.emulator.apiserver.schema import child, kind_schema

    spec = child(kind_schema("Pod"), "spec")
    original = {"volumes": [{"name": "home", "emptyDir": {}}]}
    patched = strategic.merge(original, {"volumes": [
        {"name": "home", "hostPath": {"path": "/x"}, "$retainKeys": ["name", "hostPath"]}]}, spec)  # fmt: skip
    assert patched == {"volumes": [{"name": "home", "hostPath": {"path": "/x"}}]}


async def test_server_side_apply_owns_removes_and_conflicts(cluster, v1):
    api = v1.api_client
    path = "/api/v1/namespaces/jhub/configmaps/cfg"
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
              "data": {"a": "1", "b": "2"}}  # fmt: skip
    status, answer, _ = await patch(api, path, config, APPLY)
    assert status == 400 and "fieldManager" in answer["message"]
    status, cm, _ = await patch(api, path, config, APPLY, fieldManager="alice")
    assert status == 201 and cm["data"] == {"a": "1", "b": "2"}
    assert [m["manager"] for m in cm["metadata"]["managedFields"]] == ["alice"]
    assert cm["metadata"]["managedFields"][0]["fieldsV1"]["f:data"] == {"f:a": {}, "f:b": {}}

    # another writer changes a: it now owns it, and alice's re-apply of another value conflicts
    await v1.patch_namespaced_config_map(
        "cfg", "jhub", {"data": {"a": "edited"}}, field_manager="bob"
    )
    config["data"] = {"a": "3"}
    status, answer, _ = await patch(api, path, config, APPLY, fieldManager="alice")
    assert status == 409 and answer["reason"] == "Conflict"
    assert (
        answer["message"] == 'Apply failed with 1 conflict: conflict with "bob" using v1: .data.a'
    )
    assert answer["details"]["causes"][0]["field"] == ".data.a"
    status, cm, _ = await patch(api, path, config, APPLY, fieldManager="alice", force="true")
    assert status == 200 and cm["data"] == {"a": "3"}, "b, left out by its only owner, is gone"
    assert {m["manager"] for m in cm["metadata"]["managedFields"]} == {"alice"}

    # lists merge by their list-map keys: two appliers, one Service port each
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
           "spec": {"selector": {"a": "b"}, "ports": [{"port": 80, "protocol": "TCP"}]}}  # fmt: skip
    await patch(api, "/api/v1/namespaces/jhub/services/s", svc, APPLY, fieldManager="one")
    svc2 = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 443, "protocol": "TCP"}]}}  # fmt: skip
    _, merged, _ = await patch(
        api, "/api/v1/namespaces/jhub/services/s", svc2, APPLY, fieldManager="two"
    )
    assert sorted(p["port"] for p in merged["spec"]["ports"]) == [80, 443]


async def test_field_validation_strict_warn_ignore(cluster, v1):
    api = v1.api_client
    body = {"metadata": {"name": "typo"}, "data": {"k": "v"}, "dta": {"x": "y"}}
    async with aiohttp.ClientSession() as http:
        url = f"{api.configuration.host}/api/v1/namespaces/jhub/configmaps"
        async with http.post(url, json=body, params={"fieldValidation": "Strict"}) as r:
            answer = await r.json()
        assert r.status == 400
        assert answer["message"] == (
            'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
            'unknown field "dta"'
        )
        async with http.post(url, json=body) as r:  # the default is Warn
            warnings, created = r.headers.getall("Warning", []), await r.json()
        assert r.status == 201 and warnings == ['299 - "unknown field \\"dta\\""']
        assert "dta" not in created, "unknown fields are never stored"
        body["metadata"]["name"] = "typo2"
        async with http.post(url, json=body, params={"fieldValidation": "Ignore"}) as r:
            assert r.status == 201 and not r.headers.getall("Warning", [])


async def test_table_output_for_kubectl_get(cluster, v1):
    cluster.api.create("pods", "jhub", pod_body("nb"))
    await cluster.wait_for(lambda: cluster.store.get("pods", "jhub", "nb")["status"].get("podIP"))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    async with aiohttp.ClientSession() as http:
        url = f"{v1.api_client.configuration.host}/api/v1/namespaces/jhub/pods"
        async with http.get(url, headers={"Accept": accept}) as r:
            table = await r.json()
        async with http.get(url + "/nb", headers={"Accept": accept}, params={"includeObject": "Object"}) as r:  # fmt: skip
            one = await r.json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names[:5] == ["Name", "Ready", "Status", "Restarts", "Age"] and "Node" in names
    cells = dict(zip(names, table["rows"][0]["cells"], strict=True))
    assert cells["Name"] == "nb" and cells["Ready"] == "1/1" and cells["Status"] == "Running"
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert one["rows"][0]["object"]["spec"]["containers"][0]["name"] == "notebook"


async def test_openapi_documents_for_kubectl(cluster):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{cluster.url}/openapi/v3") as r:
            index = await r.json()
        url = cluster.url + index["paths"]["api/v1"]["serverRelativeURL"]
        async with http.get(url) as r:
            v3 = await r.json()
        async with http.get(
            f"{cluster.url}/openapi/v2", headers={"Accept": "application/json"}
        ) as r:
            v2 = await r.json()
    patch_op = v3["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
    assert patch_op["x-kubernetes-group-version-kind"] == {
        "group": "",
        "version": "v1",
        "kind": "Pod",
    }
    assert "fieldValidation" in [p["name"] for p in patch_op["parameters"]]
    pod = v3["components"]["schemas"]["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    ports = v2["definitions"]["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"]
    assert ports["x-kubernetes-patch-merge-key"] == "port" and v2["swagger"] == "2.0"

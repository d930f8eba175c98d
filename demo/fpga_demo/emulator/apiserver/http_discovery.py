"""Discovery and OpenAPI: what clients read before they talk to the API.

`/api`, `/api/v1` (every resource with its verbs, short names and
subresources, as `kubectl api-resources` lists them), `/version`, and the
OpenAPI documents kubectl downloads: `/openapi/v3` (the index) and
`/openapi/v3/api/v1`, whose PATCH operations list the `fieldValidation`
parameter, so kubectl leaves validation to the server (`fields.py`), and
`/openapi/v2` in JSON. Both are built from `schema/definitions.json`.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from . import errors
from .http_base import BaseHandler
from .resources import DRA_GROUP, DRA_RESOURCES, RESOURCES
from .schema import definitions

VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-emulated",
    "gitCommit": "emulated",
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T00:00:00Z",
    "goVersion": "n/a",
    "compiler": "python",
    "platform": "linux/amd64",
}


VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUBRESOURCES = {
    "pods": {"status": ["get", "patch", "update"], "log": ["get"], "exec": ["create", "get"],
             "eviction": ["create"], "binding": ["create"]},
    "nodes": {"status": ["get", "patch", "update"]},
    "namespaces": {"status": ["get", "patch", "update"]},
    "services": {"status": ["get", "patch", "update"]},
    "persistentvolumeclaims": {"status": ["get", "patch", "update"]},
}  # fmt: skip


def resource_list() -> dict[str, Any]:
    resources = []
    for r in RESOURCES.values():
        resources.append(
            {"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced,
             "kind": r.kind, "verbs": VERBS, "shortNames": list(r.short_names)}
        )  # fmt: skip
        for sub, verbs in SUBRESOURCES.get(r.plural, {}).items():
            kind = {"eviction": "Eviction", "binding": "Binding", "exec": "PodExecOptions"}.get(sub, r.kind)  # fmt: skip
            entry = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced, "kind": kind, "verbs": verbs}  # fmt: skip
            if sub == "eviction":
                entry.update(group="policy", version="v1")
            resources.append(entry)
    return {"kind": "APIResourceList", "groupVersion": "v1", "resources": resources}


def dra_resource_list() -> dict[str, Any]:
    """/apis/resource.k8s.io/v1: the DRA kinds (ResourceClaims with their status)."""
    resources: list[dict[str, Any]] = []
    for r in DRA_RESOURCES.values():
        resources.append(
            {"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced,
             "kind": r.kind, "verbs": VERBS}
        )  # fmt: skip
        if r.has_status:
            resources.append(
                {"name": f"{r.plural}/status", "singularName": "", "namespaced": r.namespaced,
                 "kind": r.kind, "verbs": ["get", "patch", "update"]}
            )  # fmt: skip
    return {"kind": "APIResourceList", "groupVersion": f"{DRA_GROUP}/v1", "resources": resources}


def _operation(kind: str, action: str, params: list[str]) -> dict[str, Any]:
    return {
        "operationId": f"{action}{kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": "", "version": "v1", "kind": kind},
        "parameters": [{"name": p, "in": "query", "schema": {"type": "string"}} for p in params],
        "responses": {"200": {"description": "OK"}},
    }


def _paths() -> dict[str, Any]:
    writes = ["dryRun", "fieldManager", "fieldValidation"]
    paths: dict[str, Any] = {}
    for r in RESOURCES.values():
        base = (
            f"/api/v1/namespaces/{{namespace}}/{r.plural}"
            if r.namespaced
            else f"/api/v1/{r.plural}"
        )
        paths[base] = {
            "get": _operation(r.kind, "list", []),
            "post": _operation(r.kind, "post", writes),
        }
        paths[base + "/{name}"] = {
            "get": _operation(r.kind, "get", []),
            "put": _operation(r.kind, "put", writes),
            "patch": _operation(r.kind, "patch", [*writes, "force"]),
            "delete": _operation(
                r.kind, "delete", ["dryRun", "gracePeriodSeconds", "propagationPolicy"]
            ),
        }
    return paths


@lru_cache(maxsize=1)
def openapi_v3() -> bytes:
    schemas = json.loads(
        json.dumps(definitions()).replace("#/definitions/", "#/components/schemas/")
    )
    document = {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (emulated)", "version": VERSION["gitVersion"]},
        "paths": _paths(),
        "components": {"schemas": schemas},
    }
    return json.dumps(document).encode()


@lru_cache(maxsize=1)
def openapi_v2() -> bytes:
    paths = {
        path: {verb: {k: v for k, v in op.items() if k != "parameters"} | {"parameters": [
            {"name": p["name"], "in": "query", "type": "string"} for p in op["parameters"]]}
            for verb, op in ops.items()}
        for path, ops in _paths().items()
    }  # fmt: skip
    document = {
        "swagger": "2.0",
        "info": {"title": "Kubernetes (emulated)", "version": VERSION["gitVersion"]},
        "paths": paths,
        "definitions": definitions(),
    }
    return json.dumps(document).encode()


class DiscoveryHandler(BaseHandler):
    def get(self, what: str) -> None:
        if what == "version":
            self.write_json(VERSION)
        elif what in ("healthz", "livez", "readyz"):
            self.set_header("Content-Type", "text/plain")
            self.finish("ok")
        elif what == "api":
            self.write_json(
                {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            )
        elif what == "apis":
            version = {"groupVersion": f"{DRA_GROUP}/v1", "version": "v1"}
            group = {"name": DRA_GROUP, "versions": [version], "preferredVersion": version}
            self.write_json({"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]})
        elif what == f"{DRA_GROUP}/v1":
            self.write_json(dra_resource_list())
        else:
            self.write_json(resource_list())


class OpenAPIHandler(BaseHandler):
    def get(self, version: str, rest: str) -> None:
        accept = self.request.headers.get("Accept", "")
        if accept and "json" not in accept and "*/*" not in accept:
            raise errors.ApiError(406, "only application/json is served", "NotAcceptable")
        if version == "v2" and not rest:
            body = openapi_v2()
        elif version == "v3" and not rest:
            digest = hashlib.sha512(openapi_v3()).hexdigest()[:32].upper()
            index = {
                "paths": {"api/v1": {"serverRelativeURL": f"/openapi/v3/api/v1?hash={digest}"}}
            }
            body = json.dumps(index).encode()
        elif version == "v3" and rest.strip("/") == "api/v1":
            body = openapi_v3()
        else:
            raise errors.route_not_found()
        self.set_header("Content-Type", "application/json")
        self.finish(body)

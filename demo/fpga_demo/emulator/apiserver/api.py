"""The API server's verbs over the store: create, get, list, update, patch, delete, watch.

This is what sits between the HTTP handlers and the store: namespace checks,
defaulting, validation, status subresources, graceful pod deletion and
namespace termination. Controllers in the emulator write to the store
directly (they are trusted, like a kubelet's status updates), clients come
through here.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from typing import Any

from ..clock import now_rfc3339
from . import errors
from .apply import record_update, server_side_apply
from .defaults import (
    DEFAULTERS,
    ClusterIPs,
    default_secret,
    default_service,
    default_service_ports,
)
from .fields import FieldValidation
from .patch import APPLY, apply_patch
from .resources import ALL_RESOURCES, ResourceType
from .schema import kind_schema
from .selectors import SelectorError, make_matcher, parse_field_selector, parse_label_selector
from .store import Store, Watch, parse_resource_version
from .validate_pod import decode_pod
from .validation import validate

API_VERSION = "v1"
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def resource_type(plural: str) -> ResourceType:
    if plural not in ALL_RESOURCES:
        raise errors.route_not_found()
    return ALL_RESOURCES[plural]


def with_kind(rtype: ResourceType, obj: Mapping[str, Any]) -> dict:
    """The object as GET/watch show it: kind and apiVersion first."""
    return {"kind": rtype.kind, "apiVersion": rtype.api_version, **obj}


class Api:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.cluster_ips = ClusterIPs()
        self.gc: Any = None  # the garbage collector, for propagationPolicy (set by the cluster)
        store.add_listener(self._finish_namespace_termination)

    # -- helpers -------------------------------------------------------------
    def _check_namespace(self, rtype: ResourceType, namespace: str | None, name: str) -> None:
        if not rtype.namespaced:
            return
        ns = self.store.get("namespaces", None, namespace or "")
        if ns is None:
            raise errors.not_found("namespaces", namespace or "")
        if ns.get("status", {}).get("phase") == "Terminating":
            raise errors.namespace_terminating(namespace or "", rtype.plural, name)

    def _prepare_body(
        self,
        rtype: ResourceType,
        namespace: str | None,
        body: Any,
        fields: FieldValidation | None = None,
    ) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request(
                f'{rtype.kind} in version "v1" cannot be handled as a {rtype.kind}: body must be a JSON object'
            )
        body_kind = body.get("kind")
        if body_kind and body_kind != rtype.kind:
            raise errors.bad_request(
                f'{body_kind} in version "v1" cannot be handled as a {rtype.kind}: kind mismatch'
            )
        obj = dict(body)
        obj["kind"], obj["apiVersion"] = rtype.kind, rtype.api_version
        meta = dict(obj.get("metadata") or {})
        obj["metadata"] = meta
        if rtype.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        for server_owned in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            meta.pop(server_owned, None)
        (fields or FieldValidation()).check(obj, rtype.kind)
        return obj

    # -- verbs ---------------------------------------------------------------
    def create(
        self,
        plural: str,
        namespace: str | None,
        body: Any,
        dry_run: bool = False,
        fields: FieldValidation | None = None,
        manager: str = "",
    ) -> dict:
        rtype = resource_type(plural)
        obj = self._prepare_body(rtype, namespace, body, fields)
        if manager and not obj["metadata"].get("managedFields"):
            record_update(None, obj, kind_schema(rtype.kind), manager)
        meta = obj["metadata"]
        meta.pop("resourceVersion", None)
        self._check_namespace(rtype, namespace, meta.get("name") or meta.get("generateName") or "")
        if plural == "services":
            validate(plural, rtype.kind, obj)
            default_service(obj, self.cluster_ips)
        else:
            if plural == "pods":
                decode_pod(obj)
            if plural in DEFAULTERS:
                DEFAULTERS[plural](obj)
            validate(plural, rtype.kind, obj)
        if plural == "pods":
            meta["generation"] = 1
        if dry_run:
            return obj
        return self.store.create(plural, obj)

    def get(self, plural: str, namespace: str | None, name: str) -> dict:
        rtype = resource_type(plural)
        return with_kind(rtype, self.store.must_get(plural, namespace, name))

    async def list(
        self, plural: str, namespace: str | None, query: Mapping[str, str]
    ) -> dict[str, Any]:
        rtype = resource_type(plural)
        match = self._matcher(rtype, namespace, query)
        rv_text, rv_match = query.get("resourceVersion", ""), query.get("resourceVersionMatch", "")
        limit = int(query.get("limit") or 0)
        token = query.get("continue", "")
        start_after = None
        if rv_match and not rv_text:
            raise errors.bad_request(
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"
            )
        if rv_match and rv_match not in ("NotOlderThan", "Exact"):
            raise errors.bad_request(
                f'resourceVersionMatch: Unsupported value: "{rv_match}": supported values: "Exact", "NotOlderThan"'
            )
        if token:
            snapshot_rv, start_after = _decode_continue(token)
            items, list_rv = self.store.list_at(plural, snapshot_rv, match), snapshot_rv
        elif rv_match == "Exact":
            exact = parse_resource_version(rv_text)
            if exact == 0:
                raise errors.bad_request(
                    'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'
                )
            items, list_rv = self.store.list_at(plural, exact, match), exact
        else:
            wanted = parse_resource_version(rv_text) if rv_text else 0
            if wanted > self.store.rv and not await self.store.wait_for_rv(wanted, 3.0):
                raise errors.resource_version_too_large(wanted, self.store.rv)
            items, list_rv = self.store.list(plural, match), self.store.rv
        if start_after is not None:
            items = [i for i in items if _key(i) > start_after]
        meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
        if limit and len(items) > limit:
            meta["continue"] = _encode_continue(list_rv, _key(items[limit - 1]))
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        shown = [{k: v for k, v in i.items() if k not in ("kind", "apiVersion")} for i in items]
        return {
            "kind": rtype.list_kind,
            "apiVersion": rtype.api_version,
            "metadata": meta,
            "items": shown,
        }

    def watch(self, plural: str, namespace: str | None, query: Mapping[str, str]) -> Watch:
        rtype = resource_type(plural)
        match = self._matcher(rtype, namespace, query)
        return self.store.watch(plural, match, query.get("resourceVersion") or None)

    def _matcher(self, rtype: ResourceType, namespace: str | None, query: Mapping[str, str]):
        try:
            labels = parse_label_selector(query.get("labelSelector"))
            fields = parse_field_selector(query.get("fieldSelector"), rtype.field_labels)
        except SelectorError as exc:
            raise errors.bad_request(str(exc)) from None
        return make_matcher(namespace if rtype.namespaced else None, labels, fields)

    def update(
        self,
        plural: str,
        namespace: str | None,
        name: str,
        body: Any,
        subresource: str = "",
        dry_run: bool = False,
        fields: FieldValidation | None = None,
        manager: str = "",
    ) -> dict:
        """PUT: replace the object (or only its status on the /status subresource)."""
        rtype = resource_type(plural)
        old = self.store.must_get(plural, namespace, name)
        obj = self._prepare_body(rtype, namespace, body, fields)
        if obj["metadata"].get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({obj['metadata'].get('name')}) does not match the name on the URL ({name})"
            )
        return self._store_update(
            rtype, old, obj, subresource, obj["metadata"].get("resourceVersion"), dry_run, manager
        )

    def patch(
        self,
        plural: str,
        namespace: str | None,
        name: str,
        content_type: str,
        body: Any,
        subresource: str = "",
        dry_run: bool = False,
        fields: FieldValidation | None = None,
        manager: str = "",
        force: bool = False,
    ) -> dict:
        """PATCH of every type; apply patches (server-side apply) need their field manager."""
        rtype = resource_type(plural)
        old = self.store.must_get(plural, namespace, name)
        if content_type.split(";", 1)[0].strip().lower() == APPLY:
            patched = server_side_apply(
                with_kind(rtype, old), body, kind_schema(rtype.kind), manager, force
            )
        else:
            patched = apply_patch(
                content_type, with_kind(rtype, old), body, kind_schema(rtype.kind)
            )
        if not isinstance(patched, dict):
            raise errors.bad_request("patch result is not an object")
        expect = None
        if isinstance(body, dict):
            expect = (body.get("metadata") or {}).get("resourceVersion")
        obj = self._prepare_body(rtype, namespace, patched, fields)
        obj["metadata"]["name"] = name
        if content_type.split(";", 1)[0].strip().lower() == APPLY:
            manager = ""  # server_side_apply has written managedFields already
        return self._store_update(rtype, old, obj, subresource, expect, dry_run, manager)

    def _store_update(
        self,
        rtype: ResourceType,
        old: dict,
        obj: dict,
        subresource: str,
        expect_rv: str | None,
        dry_run: bool,
        manager: str = "",
    ) -> dict:
        meta = obj["metadata"]
        if expect_rv and expect_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(
                rtype.plural, old["metadata"]["name"]
            )  # checked before validation
        for kept in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            if kept in old["metadata"]:
                meta[kept] = old["metadata"][kept]
            else:
                meta.pop(kept, None)
        if subresource == "status":
            new = dict(old)
            new["status"] = obj.get("status") or {}
            new["metadata"] = dict(old["metadata"])
        elif subresource:
            raise errors.route_not_found()
        else:
            new = obj
            if rtype.plural == "pods":
                decode_pod(new)
            if rtype.has_status:
                new["status"] = old.get("status", {})
            if rtype.plural == "secrets":
                default_secret(new)
            if rtype.plural == "services":
                default_service_ports(new)
            validate(rtype.plural, rtype.kind, new, old)
            if manager:
                record_update(old, new, kind_schema(rtype.kind), manager)
        if dry_run:
            return new
        return self.store.replace(rtype.plural, new, expect_rv)

    def delete(
        self,
        plural: str,
        namespace: str | None,
        name: str,
        options: Mapping[str, Any],
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """DELETE with DeleteOptions: preconditions, grace period, propagationPolicy, dryRun."""
        rtype = resource_type(plural)
        obj = self.store.must_get(plural, namespace, name)
        uid = (options.get("preconditions") or {}).get("uid")
        if uid and uid != obj["metadata"]["uid"]:
            raise errors.ApiError(
                409,
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: {obj['metadata']['uid']}",
                "Conflict",
                {"name": name, "kind": plural},
            )
        version = (options.get("preconditions") or {}).get("resourceVersion")
        if version and version != obj["metadata"]["resourceVersion"]:
            raise errors.conflict(plural, name)
        policy = options.get("propagationPolicy")
        if policy is None and options.get("orphanDependents") is not None:
            policy = "Orphan" if options["orphanDependents"] else "Background"
        if policy not in (None, "Orphan", "Foreground", "Background"):
            raise errors.invalid_object(
                "DeleteOptions",
                "",
                [
                    errors.unsupported(
                        "propagationPolicy", policy, ["Foreground", "Background", "Orphan"]
                    )
                ],
            )
        if dry_run:  # nothing is deleted; the answer is what a real delete would answer
            return (
                with_kind(rtype, obj)
                if rtype.delete_returns_object
                else _success(name, plural, obj)
            )
        if policy == "Orphan" and self.gc is not None:
            self.gc.orphan(obj)
        if policy == "Foreground" and self.gc is not None and plural != "namespaces":
            result = self.gc.start_foreground(plural, obj)
        elif plural == "pods":
            result = self.delete_pod(namespace, name, options.get("gracePeriodSeconds"))
        elif plural == "namespaces":
            result = self._terminate_namespace(name)
        else:
            result = self.store.remove(plural, namespace, name)
            if plural == "services" and result["spec"].get("clusterIP"):
                self.cluster_ips.release(result["spec"]["clusterIP"])
        if rtype.delete_returns_object:
            return with_kind(rtype, result)
        return _success(name, plural, obj)

    def delete_pod(self, namespace: str | None, name: str, grace: int | None) -> dict:
        """Graceful deletion: a running pod is marked and the kubelet finishes it."""
        pod = self.store.must_get("pods", namespace, name)
        if grace is None:
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
        grace = max(int(grace), 0)
        phase = pod.get("status", {}).get("phase")
        if not pod["spec"].get("nodeName") or phase in ("Succeeded", "Failed") or grace == 0:
            return self.store.remove("pods", namespace, name)
        current = pod["metadata"].get("deletionGracePeriodSeconds")
        if current is not None and current <= grace:
            return pod

        def mark(p: dict) -> None:
            p["metadata"]["deletionTimestamp"] = now_rfc3339(time.time() + grace)
            p["metadata"]["deletionGracePeriodSeconds"] = grace
            p["spec"]["terminationGracePeriodSeconds"] = grace

        return self.store.mutate("pods", namespace, name, mark) or pod

    # -- namespaces ----------------------------------------------------------
    def ensure_namespace(self, name: str, labels: Mapping[str, str] | None = None) -> dict:
        existing = self.store.get("namespaces", None, name)
        if existing is not None:
            return existing
        return self.create(
            "namespaces", None, {"metadata": {"name": name, "labels": dict(labels or {})}}
        )

    def _terminate_namespace(self, name: str) -> dict:
        def mark(ns: dict) -> None:
            ns["metadata"].setdefault("deletionTimestamp", now_rfc3339())
            ns["status"] = {"phase": "Terminating"}

        ns = self.store.mutate("namespaces", None, name, mark)
        for plural, rtype in ALL_RESOURCES.items():
            if not rtype.namespaced:
                continue
            for obj in self.store.list(plural, lambda o: o["metadata"].get("namespace") == name):
                if plural == "pods":
                    self.delete_pod(name, obj["metadata"]["name"], None)
                else:
                    self.store.remove(plural, name, obj["metadata"]["name"])
        self._finish_namespace_termination(
            "pods", "DELETED", {"metadata": {"namespace": name}}, None
        )
        return self.store.get("namespaces", None, name) or ns

    def _finish_namespace_termination(
        self, plural: str, kind: str, obj: dict, prev: dict | None
    ) -> None:
        if plural != "pods" or kind != "DELETED":
            return
        name = obj["metadata"].get("namespace")
        ns = self.store.get("namespaces", None, name)
        if ns is None or ns.get("status", {}).get("phase") != "Terminating":
            return
        if not self.store.list("pods", lambda o: o["metadata"].get("namespace") == name):
            self.store.remove("namespaces", None, name)


def _success(name: str, plural: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": name, "kind": plural, "uid": obj["metadata"]["uid"]},
    }


def _key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj["metadata"]
    return (meta.get("namespace") or "", meta["name"])


def _encode_continue(rv: int, key: tuple[str, str]) -> str:
    raw = json.dumps({"v": "emulator", "rv": rv, "start": list(key)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (data["start"][0], data["start"][1])
    except (ValueError, KeyError, TypeError, IndexError):
        raise errors.bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from None

"""The endpoints controller: each Service with a selector gets its Endpoints.

Clients find a Service's backends there (`kubectl get endpoints`, a hub
checking that its user's Service has somewhere to go): pods in the Service's
namespace whose labels match its selector and that have an address, Ready
ones under `addresses`, the others under `notReadyAddresses` (all under
`addresses` with `publishNotReadyAddresses`), terminating and finished pods
left out. Ports are the Service's target ports, a named target port resolved
against each pod's container ports, so pods that resolve it differently end
up in different subsets, as in the real controller. Services without a
selector are left alone: their Endpoints belong to whoever wrote them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from ..apiserver.store import Store

MANAGED_BY = "endpoints.kubernetes.io/managed-by"


def _pod_ready(pod: Mapping[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _target_port(port: Mapping[str, Any], pod: Mapping[str, Any]) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for entry in container.get("ports") or []:
            if entry.get("name") == target:
                return int(entry["containerPort"])
    return None


def desired_subsets(service: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> list[dict]:
    """The Endpoints' subsets for a Service (pure: the tests check it directly)."""
    spec = service.get("spec") or {}
    selector = spec.get("selector") or {}
    publish_all = bool(spec.get("publishNotReadyAddresses"))
    groups: dict[tuple, dict[str, list]] = {}
    for pod in pods:
        meta, status = pod["metadata"], pod.get("status") or {}
        labels = meta.get("labels") or {}
        if any(labels.get(k) != v for k, v in selector.items()):
            continue
        if not status.get("podIP") or "deletionTimestamp" in meta:
            continue
        if status.get("phase") in ("Succeeded", "Failed"):
            continue
        ports = []
        for port in spec.get("ports") or []:
            number = _target_port(port, pod)
            if number is None:
                continue
            entry = {"port": number, "protocol": port.get("protocol", "TCP")}
            if port.get("name"):
                entry["name"] = port["name"]
            ports.append(entry)
        address = {
            "ip": status["podIP"],
            "nodeName": (pod.get("spec") or {}).get("nodeName"),
            "targetRef": {
                "kind": "Pod",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
            },
        }
        key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
        group = groups.setdefault(key, {"addresses": [], "notReadyAddresses": [], "ports": ports})
        ready = publish_all or _pod_ready(pod)
        group["addresses" if ready else "notReadyAddresses"].append(address)
    subsets = []
    for key in sorted(groups):
        group = groups[key]
        subset: dict[str, Any] = {}
        for field in ("addresses", "notReadyAddresses"):
            if group[field]:
                subset[field] = sorted(group[field], key=lambda a: a["ip"])
        if group["ports"]:
            subset["ports"] = group["ports"]
        subsets.append(subset)
    return subsets


class EndpointsController:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._dirty: set[str] = set()
        # Pods matter only where some Service could select them: a pod change in a
        # namespace without Services costs nothing (10,000s of batch pods stay cheap).
        self._with_services: set[str] = set()
        store.add_listener(self._on_change)

    def start(self) -> None:
        self._with_services |= set(self.store.namespaces_of("services"))
        self._dirty |= self._with_services
        self._schedule()

    def _on_change(self, plural: str, kind: str, obj: dict, prev: dict | None) -> None:
        if plural in ("pods", "services"):
            namespace = obj["metadata"].get("namespace")
            if plural == "services" and namespace:
                self._with_services.add(namespace)
            if namespace and namespace in self._with_services:
                self._dirty.add(namespace)
                self._schedule()

    def _schedule(self) -> None:
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().call_soon(self.sync)

    def sync(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for namespace in dirty:
            self.sync_namespace(namespace)

    def sync_namespace(self, namespace: str) -> None:
        def in_namespace(o: Mapping[str, Any]) -> bool:
            return o["metadata"].get("namespace") == namespace

        services = {s["metadata"]["name"]: s for s in self.store.list("services", in_namespace)}
        pods = self.store.list("pods", in_namespace)
        for endpoints in self.store.list("endpoints", in_namespace):
            labels = endpoints["metadata"].get("labels") or {}
            if endpoints["metadata"]["name"] not in services and MANAGED_BY in labels:
                with contextlib.suppress(Exception):
                    self.store.remove("endpoints", namespace, endpoints["metadata"]["name"])
        for name, service in services.items():
            if not (service.get("spec") or {}).get("selector"):
                continue
            labels = {
                **(service["metadata"].get("labels") or {}),
                MANAGED_BY: "endpoint-controller",
            }
            subsets = desired_subsets(service, pods)
            current = self.store.get("endpoints", namespace, name)
            body: dict[str, Any] = {
                "kind": "Endpoints",
                "apiVersion": "v1",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
            }
            if subsets:
                body["subsets"] = subsets
            if current is None:
                self.store.create("endpoints", body)
            elif (
                current.get("subsets") != body.get("subsets")
                or current["metadata"].get("labels") != labels
            ):
                self.store.replace(
                    "endpoints", {**body, "metadata": {**current["metadata"], "labels": labels}}
                )

"""The scheduler's DynamicResources plugin: devices from ResourceSlices for a pod's claims.

For a pod with ``spec.resourceClaims``, PreFilter resolves each entry to its
ResourceClaim (made by the resource-claim controller from a template, or
named directly and possibly shared with other pods); Filter asks, per node,
whether every claim either is already allocated on that node or can be
allocated from the node's slices: devices of the request's DeviceClass that
the class's and the request's CEL selectors accept and that no other claim
holds; Reserve writes the allocation and the pod into ``reservedFor``. One
:class:`DeviceAllocator` lives for one scheduling pass, so two pods of a pass
never get the same device. The selectors are evaluated with
``fpga_spawner.cel``, the subset the hub checks its catalog with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fpga_spawner.cel import Expression, compile_selector, device_view

from ..apiserver.store import Store
from ..controllers.resourceclaims import claim_name_for

CANNOT_ALLOCATE = "cannot allocate all claims"
Device = tuple[str, str, str]  # driver, pool, device name


def _node_term(node: str) -> dict[str, Any]:
    return {
        "nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
        ]
    }


def claim_node(claim: Mapping[str, Any]) -> str:
    selector = ((claim.get("status") or {}).get("allocation") or {}).get("nodeSelector") or {}
    for term in selector.get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("values"):
                return str(field["values"][0])
    return ""


_compiled: dict[str, Expression] = {}


def _expressions(selectors: Any) -> list[Expression]:
    out = []
    for selector in selectors or []:
        expression = ((selector or {}).get("cel") or {}).get("expression")
        if expression:
            if expression not in _compiled:  # validated when the object was stored
                _compiled[expression] = compile_selector(expression)
            out.append(_compiled[expression])
    return out


def claims_made(pod: Mapping[str, Any]) -> bool:
    """PreEnqueue: every claim of the pod exists by name (templates' claims are made)."""
    return all(
        claim_name_for(pod, entry) is not None
        for entry in (pod.get("spec") or {}).get("resourceClaims") or []
    )


class DeviceAllocator:
    """Devices free in this pass, per node, and the claims' allocations once decided."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.by_node: dict[str, list[tuple[Device, dict[str, Any]]]] = {}
        for resource_slice in store.list("resourceslices"):
            spec = resource_slice.get("spec") or {}
            node, driver = spec.get("nodeName"), spec.get("driver", "")
            pool = (spec.get("pool") or {}).get("name", "")
            for device in spec.get("devices") or []:
                self.by_node.setdefault(node or "", []).append(
                    ((driver, pool, device["name"]), device_view(driver, device))
                )
        self.taken: set[Device] = set()
        # per pass: whether a device passes a request's tests (pods of one template share them)
        self._accepts: dict[tuple[Device, tuple[str, ...]], bool] = {}
        for claim in store.list("resourceclaims"):
            for result in ((claim.get("status") or {}).get("allocation") or {}).get(
                "devices", {}
            ).get("results") or []:
                self.taken.add((result.get("driver"), result.get("pool"), result.get("device")))

    def claims(self, pod: Mapping[str, Any]) -> tuple[list[dict], str]:
        """PreFilter: the pod's claims, or why it cannot be scheduled yet."""
        namespace = pod["metadata"]["namespace"]
        claims = []
        for entry in (pod.get("spec") or {}).get("resourceClaims") or []:
            name = claim_name_for(pod, entry)
            if name is None:
                return [], (
                    "waiting for resource claim controller to create the ResourceClaim for "
                    f'"{entry.get("name")}"'
                )
            claim = self.store.get("resourceclaims", namespace, name)
            if claim is None:
                return [], f'resourceclaim "{name}" not found'
            for request in ((claim.get("spec") or {}).get("devices") or {}).get("requests") or []:
                klass = (request.get("exactly") or {}).get("deviceClassName", "")
                if self.store.get("deviceclasses", None, klass) is None:
                    return [], f'resourceclaim "{name}": deviceclass "{klass}" does not exist'
            claims.append(claim)
        return claims, ""

    def fit(self, claims: list[dict], node: str) -> dict[str, list[dict]] | None:
        """Filter: the new allocations (claim uid -> results) on `node`, or None if they don't fit."""
        chosen: set[Device] = set()
        results: dict[str, list[dict]] = {}
        for claim in claims:
            allocated = claim_node(claim)
            if allocated:
                if allocated != node:
                    return None
                continue
            picked = []
            for request in ((claim.get("spec") or {}).get("devices") or {}).get("requests") or []:
                exactly = request.get("exactly") or {}
                klass = self.store.get("deviceclasses", None, exactly.get("deviceClassName", ""))
                tests = _expressions((klass or {}).get("spec", {}).get("selectors"))
                tests += _expressions(exactly.get("selectors"))
                candidates = [
                    device
                    for device, view in self.by_node.get(node, [])
                    if device not in self.taken
                    and device not in chosen
                    and self._passes(device, view, tests)
                ]
                wanted = (
                    len(candidates)
                    if exactly.get("allocationMode") == "All"
                    else int(exactly.get("count", 1))
                )
                if not candidates and exactly.get("allocationMode") == "All":
                    return None
                if len(candidates) < wanted:
                    return None
                for device in candidates[:wanted]:
                    chosen.add(device)
                    picked.append(
                        {"request": request["name"], "driver": device[0], "pool": device[1],
                         "device": device[2]}
                    )  # fmt: skip
            results[claim["metadata"]["uid"]] = picked
        return results

    def _passes(self, device: Device, view: Mapping[str, Any], tests: list[Expression]) -> bool:
        key = (device, tuple(t.source for t in tests))
        if key not in self._accepts:
            self._accepts[key] = all(t.matches(view) for t in tests)
        return self._accepts[key]

    def reserve(self, pod: Mapping[str, Any], claims: list[dict], node: str,
                allocations: Mapping[str, list[dict]]) -> None:  # fmt: skip
        """Reserve: allocate the new claims, and put the pod into every claim's reservedFor."""
        meta = pod["metadata"]
        consumer = {"resource": "pods", "name": meta["name"], "uid": meta["uid"]}
        for claim in claims:
            results = allocations.get(claim["metadata"]["uid"])

            def write(c: dict, results: list[dict] | None = results) -> None:
                status = c.setdefault("status", {})
                if results is not None and not status.get("allocation"):
                    status["allocation"] = {
                        "devices": {"results": results},
                        "nodeSelector": _node_term(node),
                    }
                reserved = status.setdefault("reservedFor", [])
                if all(r.get("uid") != consumer["uid"] for r in reserved):
                    reserved.append(consumer)

            for result in results or []:
                self.taken.add((result["driver"], result["pool"], result["device"]))
            cmeta = claim["metadata"]
            self.store.mutate("resourceclaims", cmeta["namespace"], cmeta["name"], write)

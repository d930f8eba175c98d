"""The emulated kube-scheduler: binds pending pods to nodes, or says why it can't.

A scheduling pass reads the nodes and every bound pod's requests, then places
pending pods one at a time, adding each placement to the running totals before
the next. The pass is synchronous on the store's loop, so nothing can change
between "this node still has a free FPGA" and "bind": 100 pods created at once
can never be given the same device twice.

Unschedulable pods are retried when something that could help happens (a pod
ends or is deleted, a node appears or changes, a claim is created) and every
`unschedulable_retry_seconds` otherwise, as the real scheduler's
unschedulable queue does; each failure updates the FailedScheduling event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from ..apiserver.store import Store
from ..clock import now_rfc3339
from ..events import EventRecorder
from .dra import CANNOT_ALLOCATE, DeviceAllocator, claims_made
from .fit import (
    add_usage,
    failure_message,
    filter_node,
    is_terminal,
    pod_requests,
    rank_nodes,
    usage_by_node,
)
from .interpod import InterPodContext

log = logging.getLogger("fpga_demo.emulator.scheduler")
SCHEDULER_NAME = "default-scheduler"


def _set_condition(pod: dict, status: str, reason: str = "", message: str = "") -> None:
    conditions = [
        c
        for c in pod.setdefault("status", {}).get("conditions", [])
        if c.get("type") != "PodScheduled"
    ]
    condition: dict[str, Any] = {
        "type": "PodScheduled",
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": now_rfc3339(),
    }
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    conditions.append(condition)
    pod["status"]["conditions"] = conditions


def missing_claims(store: Store, pod: Mapping[str, Any]) -> str:
    """The scheduler's PreFilter message for a pod whose PVC does not exist."""
    namespace = pod["metadata"].get("namespace")
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if claim and store.get("persistentvolumeclaims", namespace, claim) is None:
            return f'persistentvolumeclaim "{claim}" not found'
    return ""


class Scheduler:
    def __init__(self, store: Store, recorder: EventRecorder, retry_seconds: float = 15.0) -> None:
        self.store = store
        self.recorder = recorder
        self.retry_seconds = retry_seconds
        self._fresh: set[tuple[str, str]] = set()
        self._retry_all = True
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.passes = 0
        store.add_listener(self._on_change)

    def _wants(self, pod: Mapping[str, Any]) -> bool:
        spec = pod.get("spec") or {}
        return (
            not spec.get("nodeName")
            and spec.get("schedulerName", SCHEDULER_NAME) == SCHEDULER_NAME
            and "deletionTimestamp" not in pod["metadata"]
            and not is_terminal(pod)
        )

    def _on_change(self, plural: str, kind: str, obj: dict, prev: dict | None) -> None:
        change = _dra_change(plural, kind, obj, prev)
        if change == "pod":  # its claims were just made: try that pod, as a new one
            self._fresh.add((obj["metadata"]["namespace"], obj["metadata"]["name"]))
            self._wake.set()
        elif change:
            self._retry_all = True
            self._wake.set()
        if plural == "pods":
            if kind == "ADDED" and self._wants(obj):
                self._fresh.add((obj["metadata"]["namespace"], obj["metadata"]["name"]))
                self._wake.set()
            elif (obj.get("spec") or {}).get("nodeName") and (
                kind == "DELETED"
                or (is_terminal(obj) and prev is not None and not is_terminal(prev))
            ):
                self._retry_all = True  # capacity was freed
                self._wake.set()
        elif plural == "nodes":
            if kind != "MODIFIED" or _node_shape(obj) != _node_shape(prev or {}):
                self._retry_all = True
                self._wake.set()
        elif plural == "persistentvolumeclaims" and kind == "ADDED":
            self._retry_all = True
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.retry_seconds)
            else_retry = not self._wake.is_set()
            self._wake.clear()
            if else_retry:
                self._retry_all = True
            try:
                self.schedule_pass()
            except Exception:  # a bug here must not stop scheduling for good
                log.exception("scheduling pass failed")
            await asyncio.sleep(0)

    def schedule_pass(self) -> int:
        """Place every candidate pod it can; returns how many were bound."""
        self.passes += 1
        retry_all, fresh = self._retry_all, self._fresh
        self._retry_all, self._fresh = False, set()
        pods = self.store.list("pods")
        candidates = [
            p
            for p in pods
            if self._wants(p)
            and (retry_all or (p["metadata"]["namespace"], p["metadata"]["name"]) in fresh)
            and claims_made(p)  # PreEnqueue: a pod whose claims are not made yet waits
        ]
        if not candidates:
            return 0
        candidates.sort(
            key=lambda p: (-(p["spec"].get("priority") or 0), int(p["metadata"]["resourceVersion"]))
        )
        nodes = self.store.list("nodes")
        usage = usage_by_node(pods)
        namespaces = {
            n["metadata"]["name"]: n["metadata"].get("labels") or {}
            for n in self.store.list("namespaces")
        }
        others = InterPodContext(nodes, [p for p in pods if not is_terminal(p)], namespaces)
        bound = 0
        devices: DeviceAllocator | None = None
        for pod in candidates:
            requests = pod_requests(pod)
            prefilter = missing_claims(self.store, pod)
            claims: list[dict] = []
            if pod["spec"].get("resourceClaims") and not prefilter:
                devices = devices or DeviceAllocator(self.store)
                claims, prefilter = devices.claims(pod)
            allocations: dict[str, dict] = {}
            reasons: dict[str, list[str]] = {}
            feasible = []
            if not prefilter:
                for node in nodes:
                    why = filter_node(pod, node, usage.get(node["metadata"]["name"], {}), requests)
                    if not why and (placement := others.reason(pod, node)):
                        why = [placement]
                    if not why and claims and devices is not None:
                        fit = devices.fit(claims, node["metadata"]["name"])
                        if fit is None:
                            why = [CANNOT_ALLOCATE]
                        else:
                            allocations[node["metadata"]["name"]] = fit
                    if why:
                        reasons[node["metadata"]["name"]] = why
                    else:
                        feasible.append(node)
            if feasible:
                node = rank_nodes(pod, feasible, usage, requests, others.score)[0]
                if updated := self._bind(pod, node["metadata"]["name"]):
                    if claims and devices is not None:
                        name = node["metadata"]["name"]
                        devices.reserve(updated, claims, name, allocations[name])
                    add_usage(usage.setdefault(node["metadata"]["name"], {}), requests)
                    others.add(updated)
                    bound += 1
            else:
                self._unschedulable(pod, failure_message(len(nodes), reasons, prefilter))
        return bound

    def _bind(self, pod: dict, node_name: str) -> dict | None:
        meta = pod["metadata"]

        def bind(p: dict) -> None:
            p["spec"]["nodeName"] = node_name
            _set_condition(p, "True")

        updated = self.store.mutate("pods", meta["namespace"], meta["name"], bind)
        if updated is None:
            return None
        self.recorder.record(
            updated,
            "Pod",
            "Normal",
            "Scheduled",
            f"Successfully assigned {meta['namespace']}/{meta['name']} to {node_name}",
            SCHEDULER_NAME,
            series=True,
            action="Binding",
        )
        return updated

    def _unschedulable(self, pod: dict, message: str) -> None:
        meta = pod["metadata"]
        updated = self.store.mutate(
            "pods", meta["namespace"], meta["name"], lambda p: _set_unschedulable(p, message)
        )
        if updated is not None:
            self.recorder.record(
                updated,
                "Pod",
                "Warning",
                "FailedScheduling",
                message,
                SCHEDULER_NAME,
                series=True,
                action="Scheduling",
            )


def _set_unschedulable(pod: dict, message: str) -> None:
    current = next(
        (c for c in pod.get("status", {}).get("conditions", []) if c.get("type") == "PodScheduled"),
        None,
    )
    if current and current.get("status") == "False" and current.get("message") == message:
        return  # unchanged: no write, no MODIFIED event
    _set_condition(pod, "False", "Unschedulable", message)


def _dra_change(
    plural: str, kind: str, obj: Mapping[str, Any], prev: Mapping[str, Any] | None
) -> str:
    """A change that may let pods waiting for devices fit: "all", "pod" (that one), or ""."""
    if plural in ("resourceslices", "deviceclasses"):
        return "all"  # devices or classes changed
    if plural == "resourceclaims":
        was = ((prev or {}).get("status") or {}).get("allocation")
        freed = bool(was) and not (obj.get("status") or {}).get("allocation")
        # a claim made for a pod is followed by that pod's status update ("pod")
        made_by_hand = kind == "ADDED" and not obj["metadata"].get("ownerReferences")
        return "all" if freed or made_by_hand else ""
    if plural == "pods" and kind == "MODIFIED":
        before = ((prev or {}).get("status") or {}).get("resourceClaimStatuses")
        if before != (obj.get("status") or {}).get("resourceClaimStatuses"):
            return "pod"
    return ""


def _node_shape(node: Mapping[str, Any]) -> tuple:
    """The parts of a node scheduling depends on (heartbeats and the like are ignored)."""
    meta, spec, status = (
        node.get("metadata") or {},
        node.get("spec") or {},
        node.get("status") or {},
    )
    return (
        repr(sorted((meta.get("labels") or {}).items())),
        repr(spec.get("taints")),
        spec.get("unschedulable"),
        repr(sorted((status.get("allocatable") or {}).items())),
    )

"""NoExecute taints evict: the taint-eviction controller.

A NoExecute taint is not only a scheduling rule: pods already on the node
that do not tolerate it are deleted, and pods that tolerate it for
`tolerationSeconds` are deleted when that time has passed (the default
tolerations of not-ready and unreachable nodes are 300 s). This is how an
admin drains an FPGA node for maintenance, and how a user's server leaves a
node being taken away. A taint removed in time cancels the pending eviction.
Each eviction marks the pod with the DisruptionTarget condition and a
`TaintManagerEviction` event, then deletes it gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..apiserver.store import Store
from ..clock import now_rfc3339
from ..events import EventRecorder
from ..scheduler.fit import is_terminal, tolerates

log = logging.getLogger("fpga_demo.emulator.taints")
COMPONENT = "taint-eviction-controller"


def eviction_delay(pod: Mapping[str, Any], node: Mapping[str, Any]) -> float | None:
    """Seconds until the pod must go (0: now), or None if its tolerations keep it forever."""
    taints = [
        t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"
    ]
    if not taints:
        return None
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    delays: list[float] = []
    for taint in taints:
        matching = [t for t in tolerations if tolerates(t, taint)]
        if not matching:
            return 0.0
        bounded = [
            t["tolerationSeconds"] for t in matching if t.get("tolerationSeconds") is not None
        ]
        if len(bounded) == len(matching):  # every matching toleration runs out
            delays.append(max(0.0, float(min(bounded))))
    return min(delays) if delays else None


class TaintEviction:
    def __init__(
        self, store: Store, recorder: EventRecorder, delete: Callable[[str, str], Any]
    ) -> None:
        self.store, self.recorder, self.delete = store, recorder, delete
        self.timers: dict[str, asyncio.TimerHandle] = {}  # pod uid -> pending eviction
        store.add_listener(self._on_change)

    def _on_change(self, plural: str, kind: str, obj: dict, prev: dict | None) -> None:
        if plural == "nodes" and kind != "DELETED":
            if prev is None or (prev.get("spec") or {}).get("taints") != (
                obj.get("spec") or {}
            ).get("taints"):
                name = obj["metadata"]["name"]
                for pod in self.store.list("pods", lambda p: p["spec"].get("nodeName") == name):
                    self._check(pod, obj)
        elif plural == "pods":
            uid = obj["metadata"]["uid"]
            node_name = (obj.get("spec") or {}).get("nodeName")
            if kind == "DELETED" or is_terminal(obj) or not node_name:
                self._cancel(uid)
            elif prev is None or (prev.get("spec") or {}).get("nodeName") != node_name:
                node = self.store.get("nodes", None, node_name)
                if node is not None:
                    self._check(obj, node)

    def _cancel(self, uid: str) -> None:
        timer = self.timers.pop(uid, None)
        if timer is not None:
            timer.cancel()

    def _check(self, pod: dict, node: dict) -> None:
        uid = pod["metadata"]["uid"]
        if "deletionTimestamp" in pod["metadata"] or is_terminal(pod):
            return
        delay = eviction_delay(pod, node)
        if delay is None:
            self._cancel(uid)
            return
        if uid in self.timers:
            return  # the earlier deadline stands
        meta = pod["metadata"]
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            self.timers[uid] = loop.call_later(
                delay, self._evict, meta["namespace"], meta["name"], uid
            )

    def _evict(self, namespace: str, name: str, uid: str) -> None:
        self.timers.pop(uid, None)
        pod = self.store.get("pods", namespace, name)
        if pod is None or pod["metadata"]["uid"] != uid or "deletionTimestamp" in pod["metadata"]:
            return
        node = self.store.get("nodes", None, pod["spec"].get("nodeName", ""))
        if node is None or eviction_delay(pod, node) is None:
            return  # the taint went away in time

        def mark(p: dict) -> None:
            conditions = [
                c
                for c in p.setdefault("status", {}).get("conditions", [])
                if c["type"] != "DisruptionTarget"
            ]
            conditions.append(
                {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                 "message": "Taint manager: deleting due to NoExecute taint",
                 "lastProbeTime": None, "lastTransitionTime": now_rfc3339()}
            )  # fmt: skip
            p["status"]["conditions"] = conditions

        marked = self.store.mutate("pods", namespace, name, mark) or pod
        self.recorder.record(
            marked, "Pod", "Normal", "TaintManagerEviction",
            f"Marking for deletion Pod {namespace}/{name}", COMPONENT,
        )  # fmt: skip
        try:
            self.delete(namespace, name)
        except Exception as exc:
            log.debug("eviction of %s/%s: %s", namespace, name, exc)

    def stop(self) -> None:
        for timer in self.timers.values():
            timer.cancel()
        self.timers.clear()

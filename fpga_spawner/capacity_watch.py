"""One list-then-watch over nodes and pods, shared by every spawner in the hub.

Feeds :class:`CapacityLedger` with the few facts capacity needs. Objects are
read as raw JSON (``_preload_content=False``) and reduced at once, so neither
client models nor whole objects are kept. Like kubespawner's reflectors, it
resumes from the last ``resourceVersion`` when a watch ends and lists again
when the server answers 410 Gone; a hub restart simply lists again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from .capacity import CapacityLedger

TERMINAL_PHASES = ("Succeeded", "Failed")


def node_facts(node: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, str], bool]:
    meta, spec, status = node.get("metadata", {}), node.get("spec", {}), node.get("status", {})
    return (
        meta.get("name", ""),
        status.get("allocatable") or status.get("capacity") or {},
        meta.get("labels") or {},
        not spec.get("unschedulable", False),
    )


def pod_facts(pod: Mapping[str, Any], resources: frozenset[str]) -> tuple[str, str, dict, bool]:
    """uid, node, FPGA requests (limits count as requests, as in Kubernetes), active."""
    meta, spec, status = pod.get("metadata", {}), pod.get("spec", {}), pod.get("status", {})
    requests: dict[str, int] = {}
    for container in spec.get("containers") or []:
        res = container.get("resources") or {}
        wanted = {**(res.get("limits") or {}), **(res.get("requests") or {})}
        for name, value in wanted.items():
            if name in resources:
                requests[name] = requests.get(name, 0) + int(str(value))
    active = status.get("phase") not in TERMINAL_PHASES
    return meta.get("uid", ""), spec.get("nodeName") or "", requests, active


class CapacityWatch:
    """Keeps a ledger current from the API server; start once per hub process."""

    def __init__(
        self,
        api: Any,
        ledger: CapacityLedger,
        log: logging.Logger | None = None,
        watch_timeout: int = 300,
    ):
        self.api = api
        self.ledger = ledger
        self.log = log or logging.getLogger(__name__)
        self.watch_timeout = watch_timeout
        self.ready = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._listed: set[str] = set()
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            callback()

    async def _request(self, kind: str, **params: Any):
        method = self.api.list_node if kind == "nodes" else self.api.list_pod_for_all_namespaces
        return await method(_preload_content=False, **params)

    async def _list(self, kind: str) -> str:
        response = await self._request(kind)
        body = json.loads(await response.read())
        items = body.get("items") or []
        if kind == "nodes":
            seen = set()
            for node in items:
                name, alloc, labels, schedulable = node_facts(node)
                seen.add(name)
                self.ledger.set_node(name, alloc, labels, schedulable)
            for gone in self.ledger.node_names() - seen:
                self.ledger.delete_node(gone)
        else:
            seen = set()
            for pod in items:
                uid, node, requests, active = pod_facts(pod, self.ledger.resources)
                seen.add(uid)
                self.ledger.set_pod(uid, node, requests, active)
            for gone in self.ledger.pod_uids() - seen:
                self.ledger.delete_pod(gone)
        self._listed.add(kind)
        if len(self._listed) == 2:
            self.ready.set()
        self._changed()
        return body.get("metadata", {}).get("resourceVersion", "")

    def _apply(self, kind: str, event_type: str, obj: Mapping[str, Any]) -> None:
        if kind == "nodes":
            name, alloc, labels, schedulable = node_facts(obj)
            if event_type == "DELETED":
                self.ledger.delete_node(name)
            else:
                self.ledger.set_node(name, alloc, labels, schedulable)
        else:
            uid, node, requests, active = pod_facts(obj, self.ledger.resources)
            if event_type == "DELETED":
                self.ledger.delete_pod(uid)
            else:
                self.ledger.set_pod(uid, node, requests, active)
        self._changed()

    async def _watch_forever(self, kind: str, resource_version: str) -> None:
        delay = 0.5
        while True:
            try:
                if not resource_version:
                    resource_version = await self._list(kind)
                response = await self._request(
                    kind,
                    watch=True,
                    resource_version=resource_version,
                    timeout_seconds=self.watch_timeout,
                    allow_watch_bookmarks=True,
                )
                async with response:
                    async for line in response.content:
                        if not line.strip():
                            continue
                        event = json.loads(line)
                        obj = event.get("object") or {}
                        if event.get("type") == "ERROR":
                            # 410 Gone: our version is too old; anything else: start over
                            resource_version = ""
                            break
                        resource_version = obj.get("metadata", {}).get(
                            "resourceVersion", resource_version
                        )
                        if event.get("type") != "BOOKMARK":
                            self._apply(kind, event["type"], obj)
                delay = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.log.warning("FPGA capacity watch on %s failed (%s); retrying", kind, e)
                resource_version = ""
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)

    async def start(self) -> None:
        """List nodes and pods, then keep watching them in the background."""
        versions = {}
        for kind in ("nodes", "pods"):
            try:
                versions[kind] = await self._list(kind)
            except Exception as e:
                self.log.warning("FPGA capacity: listing %s failed (%s); will retry", kind, e)
                versions[kind] = ""
        self._tasks = [
            asyncio.ensure_future(self._watch_forever(kind, rv)) for kind, rv in versions.items()
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []


_shared: dict[tuple, CapacityWatch] = {}


def shared_capacity_watch(ledger_factory: Callable[[], CapacityLedger], key: tuple, api: Any, log):
    """The hub's one watch for this catalog, started on first use (inside the event loop)."""
    watch = _shared.get(key)
    if watch is None:
        watch = _shared[key] = CapacityWatch(api, ledger_factory(), log)
        asyncio.ensure_future(watch.start())
    return watch

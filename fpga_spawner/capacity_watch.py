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
from datetime import datetime
from typing import Any

from .capacity import CapacityLedger, PodOwner
from .quantity import QuantityError, whole_count

TERMINAL_PHASES = ("Succeeded", "Failed")
EVENT_TYPES = ("ADDED", "MODIFIED", "DELETED")
# kubespawner's annotations: the user's and the server's names, unescaped
ANNOTATION_USER = "hub.jupyter.org/username"
ANNOTATION_SERVER = "hub.jupyter.org/servername"


class Unusable(ValueError):
    """An object the watch cannot count at all (no name or uid); it is logged and skipped."""


def _mapping(value: Any) -> Mapping[str, Any]:
    """Any field of a foreign object may have the wrong type: treat that as absent."""
    return value if isinstance(value, Mapping) else {}


def _counts(
    wanted: Mapping[str, Any], resources: frozenset[str], problems: list[str]
) -> dict[str, int]:
    """Board counts for the FPGA resources in `wanted`; unreadable quantities are reported."""
    counts = {}
    for name, value in wanted.items():
        if name in resources:
            try:
                counts[name] = whole_count(value)
            except QuantityError as e:
                problems.append(f"{name}: {e}")
    return counts


def node_facts(
    node: Any, resources: frozenset[str], problems: list[str] | None = None
) -> tuple[str, dict[str, int], dict[str, str], bool]:
    """name, FPGA allocatable (as counts), labels, schedulable; raises :class:`Unusable`."""
    problems = [] if problems is None else problems
    meta, spec, status = (_mapping(_mapping(node).get(k)) for k in ("metadata", "spec", "status"))
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise Unusable("a node without a name")
    allocatable = _mapping(status.get("allocatable")) or _mapping(status.get("capacity"))
    labels = {k: v for k, v in _mapping(meta.get("labels")).items() if isinstance(v, str)}
    return name, _counts(allocatable, resources, problems), labels, not spec.get("unschedulable")


def _container_requests(
    containers: Any, resources: frozenset[str], problems: list[str]
) -> list[dict[str, int]]:
    result = []
    for container in containers if isinstance(containers, list) else []:
        res = _mapping(_mapping(container).get("resources"))
        # a limit alone is also the request (Kubernetes defaults one to the other)
        wanted = {**_mapping(res.get("limits")), **_mapping(res.get("requests"))}
        result.append(_counts(wanted, resources, problems))
    return result


def pod_owner(meta: Mapping[str, Any]) -> PodOwner:
    """Who started the pod, from kubespawner's annotations, and when it was created."""
    annotations = _mapping(meta.get("annotations"))
    user = annotations.get(ANNOTATION_USER)
    server = annotations.get(ANNOTATION_SERVER)
    name = "/".join(str(meta.get(k)) for k in ("namespace", "name") if meta.get(k))
    return PodOwner(
        pod=name[:253],
        user=user[:255] if isinstance(user, str) else "",
        server=server[:255] if isinstance(server, str) else "",
        since=_timestamp(meta.get("creationTimestamp")),
    )


def _timestamp(value: Any) -> float:
    """An RFC 3339 time from the API server as Unix time (0.0 when absent or unreadable)."""
    if not isinstance(value, str):
        return 0.0
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def pod_facts(
    pod: Any, resources: frozenset[str], problems: list[str] | None = None
) -> tuple[str, str, dict[str, int], bool]:
    """uid, node, FPGA requests, active; raises :class:`Unusable`.

    The request is what the scheduler reserves: the sum over the containers,
    or the largest init container's request if that is more.
    """
    problems = [] if problems is None else problems
    meta, spec, status = (_mapping(_mapping(pod).get(k)) for k in ("metadata", "spec", "status"))
    uid = meta.get("uid")
    if not isinstance(uid, str) or not uid:
        raise Unusable("a pod without a uid")
    requests: dict[str, int] = {}
    for counts in _container_requests(spec.get("containers"), resources, problems):
        for name, n in counts.items():
            requests[name] = requests.get(name, 0) + n
    for counts in _container_requests(spec.get("initContainers"), resources, problems):
        for name, n in counts.items():
            requests[name] = max(requests.get(name, 0), n)
    node = spec.get("nodeName")
    active = status.get("phase") not in TERMINAL_PHASES
    return uid, node if isinstance(node, str) else "", requests, active


def describe(obj: Any) -> str:
    """namespace/name of a foreign object, cut short: it goes into a log line."""
    meta = _mapping(_mapping(obj).get("metadata"))
    name = "/".join(str(meta.get(k)) for k in ("namespace", "name") if meta.get(k))
    return name[:120] or "(unnamed)"


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
        self._reported: set[tuple[str, str, str]] = set()

    @property
    def is_ready(self) -> bool:
        """Nodes and pods were listed once: the ledger's counts mean something."""
        return self.ready.is_set()

    def on_change(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            callback()

    async def _request(self, kind: str, **params: Any) -> Any:
        method = self.api.list_node if kind == "nodes" else self.api.list_pod_for_all_namespaces
        return await method(_preload_content=False, **params)

    def _skip(self, kind: str, obj: Any, why: object) -> None:
        """Log (once per object and reason) what cannot be counted, and carry on."""
        key = (kind, describe(obj), str(why)[:200])
        if key in self._reported:
            return
        if len(self._reported) > 1000:
            self._reported.clear()
        self._reported.add(key)
        self.log.warning("FPGA capacity: %s %s: %s; not counted", kind, key[1], key[2])

    def _feed(self, kind: str, event_type: str, obj: Any) -> str:
        """Apply one object to the ledger; returns its name or uid ("" if skipped)."""
        problems: list[str] = []
        try:
            if kind == "nodes":
                name, alloc, labels, schedulable = node_facts(obj, self.ledger.resources, problems)
                if event_type == "DELETED":
                    self.ledger.delete_node(name)
                else:
                    self.ledger.set_node(name, alloc, labels, schedulable)
            else:
                name, node, requests, active = pod_facts(obj, self.ledger.resources, problems)
                if event_type == "DELETED":
                    self.ledger.delete_pod(name)
                else:
                    owner = pod_owner(_mapping(_mapping(obj).get("metadata"))) if requests else None
                    self.ledger.set_pod(name, node, requests, active, owner)
        except Exception as e:  # one foreign object must never stop the watch
            self._skip(kind, obj, e)
            return ""
        for problem in problems:
            self._skip(kind, obj, problem)
        return name

    async def _list(self, kind: str) -> str:
        response = await self._request(kind)
        body = json.loads(await response.read())
        items = body.get("items") or []
        known = self.ledger.node_names() if kind == "nodes" else self.ledger.pod_uids()
        seen = {self._feed(kind, "ADDED", item) for item in items}
        for gone in known - seen:
            if kind == "nodes":
                self.ledger.delete_node(gone)
            else:
                self.ledger.delete_pod(gone)
        self._listed.add(kind)
        if len(self._listed) == 2:
            self.ready.set()
        self._changed()
        return str(_mapping(body.get("metadata")).get("resourceVersion") or "")

    def _event(self, kind: str, line: bytes, resource_version: str) -> str | None:
        """Handle one watch line; the new resourceVersion, or None to list again."""
        try:
            event = json.loads(line)
        except ValueError:
            self.log.warning("FPGA capacity: %s watch sent a line that is not JSON", kind)
            return resource_version
        event = _mapping(event)
        obj, event_type = event.get("object"), event.get("type")
        if event_type == "ERROR":
            # 410 Gone: our version is too old; anything else: start over
            return None
        version = _mapping(_mapping(obj).get("metadata")).get("resourceVersion")
        if event_type in EVENT_TYPES:
            self._feed(kind, event_type, obj)
            self._changed()
        return str(version) if version else resource_version

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
                        next_version = self._event(kind, line, resource_version)
                        if next_version is None:
                            resource_version = ""
                            break
                        resource_version = next_version
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


def shared_capacity_watch(
    ledger_factory: Callable[[], CapacityLedger], key: tuple, api: Any, log: logging.Logger
) -> CapacityWatch:
    """The hub's one watch for this catalog, started on first use (inside the event loop)."""
    watch = _shared.get(key)
    if watch is None:
        watch = _shared[key] = CapacityWatch(api, ledger_factory(), log)
        asyncio.ensure_future(watch.start())
    return watch

"""Events, written the way each real component writes them.

The kubelet and cluster-autoscaler use the core/v1 recorder (firstTimestamp,
lastTimestamp, count; repeats bump count), the scheduler uses events.k8s.io
(eventTime plus a series; lastTimestamp null). Both shapes reach kubespawner,
which sorts on `lastTimestamp or eventTime`, so both are reproduced.
Identical repeats update one Event object (a MODIFIED watch event) instead of
piling up new ones, as the real event correlator does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

from .apiserver.store import Store
from .clock import now_micro, now_rfc3339, parse_time


def object_reference(obj: Mapping[str, Any], kind: str) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    ref = {
        "kind": kind,
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "apiVersion": "v1",
        "resourceVersion": meta.get("resourceVersion"),
    }
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    return ref


class EventRecorder:
    def __init__(self, store: Store, ttl_seconds: float = 3600.0) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds
        self._index: dict[tuple, tuple[str, str]] = {}  # correlation key -> (namespace, name)

    def record(
        self,
        obj: Mapping[str, Any],
        kind: str,
        type_: str,
        reason: str,
        message: str,
        component: str,
        host: str = "",
        series: bool = False,
        action: str = "",
    ) -> dict:
        """Create the event, or bump the identical one already recorded."""
        ref = object_reference(obj, kind)
        namespace = ref.get("namespace") or "default"
        key = (ref["uid"], reason, message, component)
        found = self._index.get(key)
        if found and self.store.get("events", *found) is not None:
            return self.store.mutate("events", found[0], found[1], lambda e: _bump(e, series)) or {}
        now = time.time()
        event: dict[str, Any] = {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {"name": f"{ref['name']}.{time.time_ns():x}", "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": type_,
            "reportingComponent": component,
            "reportingInstance": host if not series else f"{component}-emulated",
        }
        if series:
            event.update(
                source={},
                firstTimestamp=None,
                lastTimestamp=None,
                eventTime=now_micro(now),
                action=action or reason,
            )
        else:
            source = {"component": component}
            if host:
                source["host"] = host
            event.update(
                source=source,
                firstTimestamp=now_rfc3339(now),
                lastTimestamp=now_rfc3339(now),
                count=1,
                eventTime=None,
            )
        created = self.store.create("events", event)
        self._index[key] = (namespace, created["metadata"]["name"])
        return created

    def expire(self) -> int:
        """Delete events older than the TTL (the API server keeps them an hour)."""
        cutoff = time.time() - self.ttl_seconds
        removed = 0
        for event in self.store.list("events"):
            stamp = (
                event.get("lastTimestamp")
                or (event.get("series") or {}).get("lastObservedTime")
                or event.get("eventTime")
            )
            if stamp and parse_time(stamp) < cutoff:
                self.store.remove(
                    "events", event["metadata"]["namespace"], event["metadata"]["name"]
                )
                removed += 1
        self._index = {
            k: v for k, v in self._index.items() if self.store.get("events", *v) is not None
        }
        return removed

    async def run_expiry(self, interval: float = 60.0) -> None:
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                self.expire()


def _bump(event: dict, series: bool) -> None:
    if series:
        current = event.get("series") or {"count": 1}
        event["series"] = {"count": current["count"] + 1, "lastObservedTime": now_micro()}
    else:
        event["count"] = int(event.get("count") or 1) + 1
        event["lastTimestamp"] = now_rfc3339()

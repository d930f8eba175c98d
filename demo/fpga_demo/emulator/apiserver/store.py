"""The object store: every object, one resourceVersion counter, watch fan-out.

This plays etcd plus the API server's watch cache. Every write bumps a single
cluster-wide revision (as etcd does) and is appended to a bounded history, so a
watch can resume from any resourceVersion still in the history, and one that is
too old gets 410 Expired, which is exactly what kubespawner's reflectors are
built to survive. Stored dicts are never mutated in place (a write replaces
them), so watchers and lists can hand them out without copying.

Everything runs on one asyncio loop and every write is synchronous, so a
controller that reads and then writes without awaiting in between is atomic;
the scheduler relies on that to never double-book a device.
"""

from __future__ import annotations

import asyncio
import copy
import random
import string
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..clock import now_rfc3339
from . import errors

Key = tuple[str, str]  # (namespace or "", name)
Matcher = Callable[[Mapping[str, Any]], bool]
Listener = Callable[[str, str, dict, "dict | None"], None]

_GENERATE_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # what the API server's generateName uses


@dataclass(frozen=True)
class Change:
    """One write, as the history and watchers see it."""

    rv: int
    type: str  # ADDED / MODIFIED / DELETED
    plural: str
    key: Key
    obj: dict
    prev: dict | None


class Watch:
    """One client's watch: a queue of (type, object) filtered by its selector.

    An object that stops matching a selector is sent as DELETED and one that
    starts matching as ADDED, as the API server's watch cache does.
    """

    def __init__(self, plural: str, match: Matcher) -> None:
        self.plural = plural
        self.match = match
        self.queue: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()
        self.closed = False

    def offer(self, change: Change) -> None:
        if change.plural != self.plural or self.closed:
            return
        now = self.match(change.obj)
        if change.type == "MODIFIED":
            before = change.prev is not None and self.match(change.prev)
            if now and before:
                self.queue.put_nowait(("MODIFIED", change.obj))
            elif now:
                self.queue.put_nowait(("ADDED", change.obj))
            elif before:
                self.queue.put_nowait(("DELETED", change.obj))
        elif now:
            self.queue.put_nowait((change.type, change.obj))


class Store:
    def __init__(self, history_size: int = 10_000) -> None:
        self.rv = 1
        self.compacted_rv = 1  # watches/lists from below this rv get 410
        self._objects: dict[str, dict[Key, dict]] = {}
        self._history: deque[Change] = deque()
        self._history_size = history_size
        self._watches: set[Watch] = set()
        self._listeners: list[Listener] = []
        self._rv_waiters: list[tuple[int, asyncio.Future]] = []

    # -- reads ---------------------------------------------------------------
    def get(self, plural: str, namespace: str | None, name: str) -> dict | None:
        return self._objects.get(plural, {}).get((namespace or "", name))

    def must_get(self, plural: str, namespace: str | None, name: str) -> dict:
        obj = self.get(plural, namespace, name)
        if obj is None:
            raise errors.not_found(plural, name)
        return obj

    def list(self, plural: str, match: Matcher | None = None) -> list[dict]:
        items = self._objects.get(plural, {})
        return [items[k] for k in sorted(items) if match is None or match(items[k])]

    def list_at(self, plural: str, rv: int, match: Matcher | None = None) -> list[dict]:
        """The objects as they were at revision `rv` (resourceVersionMatch=Exact, continue)."""
        if rv < self.compacted_rv:
            raise errors.expired(f"too old resource version: {rv} ({self.compacted_rv})")
        if rv > self.rv:
            raise errors.resource_version_too_large(rv, self.rv)
        state = dict(self._objects.get(plural, {}))
        for change in reversed(self._history):
            if change.rv <= rv:
                break
            if change.plural != plural:
                continue
            if change.prev is None:
                state.pop(change.key, None)
            else:
                state[change.key] = change.prev
        return [state[k] for k in sorted(state) if match is None or match(state[k])]

    # -- writes --------------------------------------------------------------
    def create(self, plural: str, obj: Mapping[str, Any]) -> dict:
        """Store a new object, filling uid, resourceVersion, creationTimestamp, generateName."""
        new = copy.deepcopy(dict(obj))
        meta = new.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            for _ in range(100):
                suffix = "".join(random.choice(_GENERATE_CHARS) for _ in range(5))
                candidate = meta["generateName"] + suffix
                if self.get(plural, meta.get("namespace"), candidate) is None:
                    meta["name"] = candidate
                    break
        key = (meta.get("namespace") or "", meta["name"])
        if key in self._objects.get(plural, {}):
            raise errors.already_exists(plural, meta["name"])
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        meta.pop("deletionTimestamp", None)
        self._commit("ADDED", plural, key, new, None)
        return new

    def replace(self, plural: str, obj: Mapping[str, Any], expect_rv: str | None = None) -> dict:
        """Overwrite an existing object (optimistic concurrency when expect_rv is given)."""
        new = copy.deepcopy(dict(obj))
        meta = new["metadata"]
        key = (meta.get("namespace") or "", meta["name"])
        old = self._objects.get(plural, {}).get(key)
        if old is None:
            raise errors.not_found(plural, meta["name"])
        if expect_rv and expect_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(plural, meta["name"])
        for frozen in ("uid", "creationTimestamp"):
            meta[frozen] = old["metadata"][frozen]
        if "generation" in old["metadata"]:
            meta["generation"] = old["metadata"]["generation"] + (
                1 if new.get("spec") != old.get("spec") else 0
            )
        self._commit("MODIFIED", plural, key, new, old)
        return new

    def mutate(
        self, plural: str, namespace: str | None, name: str, change: Callable[[dict], Any]
    ) -> dict | None:
        """Apply `change` to a copy of the object and store it; None if the object is gone."""
        current = self.get(plural, namespace, name)
        if current is None:
            return None
        new = copy.deepcopy(current)
        change(new)
        if new == current:
            return current
        return self.replace(plural, new)

    def remove(self, plural: str, namespace: str | None, name: str) -> dict:
        """Delete an object now; the DELETED event carries the deletion's resourceVersion."""
        key = (namespace or "", name)
        old = self._objects.get(plural, {}).get(key)
        if old is None:
            raise errors.not_found(plural, name)
        gone = copy.deepcopy(old)
        self._commit("DELETED", plural, key, gone, old)
        return gone

    def _commit(self, kind: str, plural: str, key: Key, obj: dict, prev: dict | None) -> None:
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        bucket = self._objects.setdefault(plural, {})
        if kind == "DELETED":
            del bucket[key]
        else:
            bucket[key] = obj
        change = Change(self.rv, kind, plural, key, obj, prev)
        self._history.append(change)
        while len(self._history) > self._history_size:
            self.compacted_rv = self._history.popleft().rv
        for watch in list(self._watches):
            watch.offer(change)
        for listener in list(self._listeners):
            listener(plural, kind, obj, prev)
        if self._rv_waiters:
            ready = [(rv, f) for rv, f in self._rv_waiters if rv <= self.rv]
            self._rv_waiters = [(rv, f) for rv, f in self._rv_waiters if rv > self.rv]
            for _, future in ready:
                if not future.done():
                    future.set_result(None)

    def compact(self) -> None:
        """Forget all history, as an etcd compaction does (older watches then get 410)."""
        self._history.clear()
        self.compacted_rv = self.rv

    # -- watches and listeners -----------------------------------------------
    def watch(self, plural: str, match: Matcher, resource_version: str | None) -> Watch:
        """Start a watch: from now with the current state as ADDED ('' or '0'), or resume after rv."""
        watch = Watch(plural, match)
        if resource_version in (None, "", "0"):
            for obj in self.list(plural, match):
                watch.queue.put_nowait(("ADDED", obj))
        else:
            since = parse_resource_version(resource_version)
            if since < self.compacted_rv:
                raise errors.expired(f"too old resource version: {since} ({self.compacted_rv})")
            for change in self._history:
                if change.rv > since:
                    watch.offer(change)
        self._watches.add(watch)
        return watch

    def stop_watch(self, watch: Watch) -> None:
        watch.closed = True
        self._watches.discard(watch)

    def add_listener(self, listener: Listener) -> None:
        """Controllers (scheduler, kubelet, autoscaler) hear every write, synchronously."""
        self._listeners.append(listener)

    async def wait_for_rv(self, rv: int, timeout: float) -> bool:
        if rv <= self.rv:
            return True
        future = asyncio.get_running_loop().create_future()
        self._rv_waiters.append((rv, future))
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def namespaces_of(self, plural: str) -> Iterable[str]:
        return {ns for ns, _ in self._objects.get(plural, {})}


def parse_resource_version(text: str) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise errors.bad_request(
            f"resourceVersion: Invalid value: {text!r}: must be an integer"
        ) from None
    if value < 0:
        raise errors.bad_request(f"resourceVersion: Invalid value: {text!r}: must be >= 0")
    return value


def random_suffix(length: int = 5) -> str:
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(length))

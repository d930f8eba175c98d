"""The garbage collector: dependents go when their owners go.

An object whose `metadata.ownerReferences` all name owners that no longer
exist is deleted, as the kube-controller-manager's garbage collector does
(kubespawner relies on it: a user's Service and Secret are owned by the pod,
so deleting the pod cleans them up). DeleteOptions' `propagationPolicy` is
honoured: `Background` (the default) deletes the owner now and dependents
after; `Foreground` marks the owner (deletionTimestamp, finalizer
`foregroundDeletion`) and removes it once its blocking dependents are gone;
`Orphan` removes the owner from the dependents' references and keeps them.
An owner reference only counts for an owner with the same uid, so a new
object with an old name does not adopt the old one's dependents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from ..apiserver.resources import ALL_RESOURCES
from ..apiserver.store import Store
from ..clock import now_rfc3339

log = logging.getLogger("fpga_demo.emulator.gc")
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"

Deleter = Callable[[str, "str | None", str], Any]


def owner_uids(obj: dict) -> set[str]:
    return {ref.get("uid", "") for ref in obj["metadata"].get("ownerReferences") or []}


class GarbageCollector:
    def __init__(self, store: Store, delete: Deleter) -> None:
        self.store = store
        self.delete = delete  # the API's delete (graceful for pods, IPs released for services)
        self.live: set[str] = set()
        self.foreground: dict[str, tuple[str, str | None, str]] = {}  # owner uid -> its key
        self._pending = False
        store.add_listener(self._on_change)

    def start(self) -> None:
        for plural in ALL_RESOURCES:
            for obj in self.store.list(plural):
                self.live.add(obj["metadata"]["uid"])
        self._schedule()

    def _on_change(self, plural: str, kind: str, obj: dict, prev: dict | None) -> None:
        uid = obj["metadata"].get("uid", "")
        if kind == "DELETED":
            self.live.discard(uid)
            self.foreground.pop(uid, None)
            self._schedule()
        else:
            self.live.add(uid)
            if owner_uids(obj) - self.live or self.foreground:
                self._schedule()

    def _schedule(self) -> None:
        if self._pending:
            return
        with contextlib.suppress(RuntimeError):  # no loop: collected on the next change
            asyncio.get_running_loop().call_soon(self._collect)
            self._pending = True

    def _objects(self) -> Iterator[tuple[str, dict]]:
        for plural in ALL_RESOURCES:
            for obj in self.store.list(plural):
                yield plural, obj

    def _collect(self) -> None:
        """One pass: delete dependents whose owners are all gone, finish foreground deletions."""
        self._pending = False
        blocking: set[str] = set()
        for plural, obj in list(self._objects()):
            meta = obj["metadata"]
            refs = meta.get("ownerReferences") or []
            if not refs:
                continue
            alive = [r.get("uid") for r in refs if r.get("uid") in self.live]
            if "deletionTimestamp" not in meta and all(u in self.foreground for u in alive):
                self._delete(plural, meta)  # no owner left, or all going in the foreground
            blocking |= {
                r["uid"]
                for r in refs
                if r.get("uid") in self.foreground and r.get("blockOwnerDeletion")
            }
        for uid, (plural, namespace, name) in list(self.foreground.items()):
            if uid not in blocking:
                self.foreground.pop(uid, None)
                with contextlib.suppress(Exception):
                    self.store.remove(plural, namespace, name)

    def _delete(self, plural: str, meta: dict) -> None:
        try:
            self.delete(plural, meta.get("namespace"), meta["name"])
        except Exception as exc:  # already gone, or being deleted
            log.debug("garbage collection of %s %s: %s", plural, meta["name"], exc)

    # -- propagation policies, called by the API's delete ------------------------------
    def orphan(self, owner: dict) -> None:
        """`Orphan`: dependents lose their reference to `owner` and stay."""
        uid = owner["metadata"]["uid"]
        for plural, obj in list(self._objects()):
            if uid not in owner_uids(obj):
                continue
            meta = obj["metadata"]

            def drop(o: dict, uid: str = uid) -> None:
                refs = [
                    r for r in o["metadata"].get("ownerReferences") or [] if r.get("uid") != uid
                ]
                if refs:
                    o["metadata"]["ownerReferences"] = refs
                else:
                    o["metadata"].pop("ownerReferences", None)

            self.store.mutate(plural, meta.get("namespace"), meta["name"], drop)

    def start_foreground(self, plural: str, owner: dict) -> dict:
        """`Foreground`: the owner stays, marked, until its dependents are gone."""
        meta = owner["metadata"]

        def mark(o: dict) -> None:
            o["metadata"].setdefault("deletionTimestamp", now_rfc3339())
            o["metadata"].setdefault("deletionGracePeriodSeconds", 0)
            finalizers = o["metadata"].setdefault("finalizers", [])
            if FOREGROUND not in finalizers:
                finalizers.append(FOREGROUND)

        self.foreground[meta["uid"]] = (plural, meta.get("namespace"), meta["name"])
        marked = self.store.mutate(plural, meta.get("namespace"), meta["name"], mark) or owner
        self._schedule()
        return marked

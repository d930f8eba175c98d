"""The resource-claim controller: a pod's claims made from templates, and released after.

Like kube-controller-manager's: for every ``spec.resourceClaims`` entry that
names a ResourceClaimTemplate, it creates a ResourceClaim owned by the pod
(so garbage collection deletes it with the pod), copying the template's
labels and annotations, and records the claim's name in the pod's
``status.resourceClaimStatuses``. When a pod ends or is deleted it drops the
pod from every claim's ``reservedFor``; a claim nobody reserves any more is
deallocated, so a shared claim's devices go back to the pool only when its
last user is gone.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from typing import Any

from ..apiserver.store import Store
from ..events import EventRecorder
from ..scheduler.fit import is_terminal

log = logging.getLogger("fpga_demo.emulator.resourceclaims")
POD_CLAIM_ANNOTATION = "resource.kubernetes.io/pod-claim-name"
_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def claim_name_for(pod: Mapping[str, Any], entry: Mapping[str, Any]) -> str | None:
    """The ResourceClaim a pod's ``spec.resourceClaims`` entry stands for (None: not made yet)."""
    if entry.get("resourceClaimName"):
        return str(entry["resourceClaimName"])
    for status in (pod.get("status") or {}).get("resourceClaimStatuses") or []:
        if status.get("name") == entry.get("name"):
            return status.get("resourceClaimName")
    return None


class ResourceClaimController:
    def __init__(self, store: Store, recorder: EventRecorder) -> None:
        self.store = store
        self.recorder = recorder
        store.add_listener(self._on_change)

    def _later(self, fn: Any, *args: Any) -> None:
        # listeners run inside a store write: write back on the next loop turn
        asyncio.get_running_loop().call_soon(fn, *args)

    def _on_change(self, plural: str, kind: str, obj: dict, prev: dict | None) -> None:
        if plural == "pods":
            meta = obj["metadata"]
            if kind == "DELETED" or is_terminal(obj):
                if (obj.get("spec") or {}).get("resourceClaims"):
                    self._later(self.release, meta["uid"])
            elif _unmade(obj):
                self._later(self.make_claims, meta["namespace"], meta["name"])
        elif plural == "resourceclaimtemplates" and kind == "ADDED":
            namespace = obj["metadata"]["namespace"]
            for pod in self.store.list("pods", lambda p: p["metadata"]["namespace"] == namespace):
                if _unmade(pod):
                    self._later(self.make_claims, namespace, pod["metadata"]["name"])

    def make_claims(self, namespace: str, name: str) -> None:
        pod = self.store.get("pods", namespace, name)
        if pod is None or is_terminal(pod) or "deletionTimestamp" in pod["metadata"]:
            return
        made = []
        for entry in pod["spec"].get("resourceClaims") or []:
            template_name = entry.get("resourceClaimTemplateName")
            if not template_name or claim_name_for(pod, entry) is not None:
                continue
            template = self.store.get("resourceclaimtemplates", namespace, template_name)
            if template is None:
                self.recorder.record(
                    pod, "Pod", "Warning", "FailedResourceClaimCreation",
                    f'PodResourceClaim {entry["name"]}: resource claim template '
                    f'"{template_name}": resourceclaimtemplate.resource.k8s.io '
                    f'"{template_name}" not found',
                    "resource_claim", series=True,
                )  # fmt: skip
                continue
            made.append(
                {"name": entry["name"], "resourceClaimName": self._create(pod, entry, template)}
            )
        if made:

            def record(p: dict) -> None:
                statuses = p.setdefault("status", {}).setdefault("resourceClaimStatuses", [])
                statuses += made

            self.store.mutate("pods", namespace, name, record)

    def _create(self, pod: dict, entry: Mapping[str, Any], template: Mapping[str, Any]) -> str:
        meta = pod["metadata"]
        template_meta = (template.get("spec") or {}).get("metadata") or {}
        base = f"{meta['name']}-{entry['name']}"[:57]
        while True:
            name = f"{base}-{''.join(random.choice(_CHARS) for _ in range(5))}"
            if self.store.get("resourceclaims", meta["namespace"], name) is None:
                break
        claim = {
            "apiVersion": "resource.k8s.io/v1",
            "kind": "ResourceClaim",
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": dict(template_meta.get("labels") or {}),
                "annotations": {
                    **(template_meta.get("annotations") or {}),
                    POD_CLAIM_ANNOTATION: entry["name"],
                },
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],  # fmt: skip
            },
            "spec": (template.get("spec") or {}).get("spec") or {},
            "status": {},
        }
        self.store.create("resourceclaims", claim)
        return name

    def release(self, pod_uid: str) -> None:
        for claim in self.store.list("resourceclaims"):
            reserved = (claim.get("status") or {}).get("reservedFor") or []
            if not any(r.get("uid") == pod_uid for r in reserved):
                continue

            def drop(c: dict) -> None:
                status = c.setdefault("status", {})
                status["reservedFor"] = [
                    r for r in status.get("reservedFor") or [] if r.get("uid") != pod_uid
                ]
                if not status["reservedFor"]:
                    status.pop("reservedFor")
                    status.pop("allocation", None)  # nobody uses it: deallocate

            meta = claim["metadata"]
            self.store.mutate("resourceclaims", meta["namespace"], meta["name"], drop)


def _unmade(pod: Mapping[str, Any]) -> bool:
    return any(
        entry.get("resourceClaimTemplateName") and claim_name_for(pod, entry) is None
        for entry in (pod.get("spec") or {}).get("resourceClaims") or []
    )

"""The pod subresources that act on a pod: `eviction` and `binding`.

An eviction is a delete that disruption budgets may refuse; this cluster
serves no PodDisruptionBudgets, so every eviction is allowed, and it deletes
the pod with the Eviction's DeleteOptions (grace period, preconditions,
dryRun), answering 201 with a Success Status as the API server does. A binding
is how a scheduler other than the default one places a pod: it sets
`spec.nodeName` once, and a second binding is a 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..clock import now_rfc3339
from . import errors
from .api import Api


def _name_matches(body: Mapping[str, Any], name: str, kind: str) -> None:
    given = (body.get("metadata") or {}).get("name")
    if given and given != name:
        raise errors.bad_request(
            f"name in URL does not match name in {kind} object: {name} != {given}"
        )


def evict(
    api: Api,
    namespace: str | None,
    name: str,
    body: Mapping[str, Any],
    options: Mapping[str, Any],
    dry_run: bool,
) -> dict[str, Any]:
    _name_matches(body, name, "Eviction")
    api.delete("pods", namespace, name, options, dry_run)
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def bind(
    api: Api, namespace: str | None, name: str, body: Mapping[str, Any], dry_run: bool
) -> dict[str, Any]:
    _name_matches(body, name, "Binding")
    node = (body.get("target") or {}).get("name")
    if not node:
        raise errors.invalid_object("Binding", name, [errors.required("target.name")])
    pod = api.store.must_get("pods", namespace, name)
    if pod["spec"].get("nodeName"):
        raise errors.ApiError(
            409,
            f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is already '
            f'assigned to node "{pod["spec"]["nodeName"]}"',
            "Conflict",
            {"name": name, "kind": "pods/binding"},
        )
    if not dry_run:

        def place(p: dict) -> None:
            p["spec"]["nodeName"] = node
            conditions = [
                c
                for c in p.setdefault("status", {}).get("conditions", [])
                if c["type"] != "PodScheduled"
            ]
            conditions.append(
                {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                 "lastTransitionTime": now_rfc3339()}
            )  # fmt: skip
            p["status"]["conditions"] = conditions

        api.store.mutate("pods", namespace, name, place)
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

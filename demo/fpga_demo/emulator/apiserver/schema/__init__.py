"""The API's schema: the OpenAPI definitions of the kinds the emulator serves.

One data file, `definitions.json`, generated from Kubernetes 1.31's own
schemas (see `tests/emulator/openapi_source.py`), answers three questions the
real API server answers from its Go types:

- how a strategic merge patch merges each field (`x-kubernetes-patch-strategy`
  and `x-kubernetes-patch-merge-key`: a Service's `ports` merge by `port`, a
  container's by `containerPort`, `finalizers` as a set);
- which fields exist, so unknown ones are dropped, warned about or refused
  as `fieldValidation` asks;
- what `/openapi/v2` and `/openapi/v3` publish, which is what kubectl
  downloads to validate and to compute `kubectl apply` patches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFINITIONS_FILE = Path(__file__).with_name("definitions.json")
CORE = "io.k8s.api.core.v1."
SERVED_KINDS = [
    "Pod", "Service", "Node", "Namespace", "Secret", "ConfigMap", "PersistentVolumeClaim",
    "ServiceAccount", "Event", "Endpoints", "Binding",
]  # fmt: skip
FREE_FORM: dict[str, Any] = {}
# Served from resource.k8s.io, whose schemas the file does not hold: free-form (a core
# type of the same name, the container's ResourceClaim {name, request}, is another kind).
GROUP_KINDS = frozenset({"DeviceClass", "ResourceSlice", "ResourceClaim", "ResourceClaimTemplate"})

Spec = Mapping[str, Any]


@lru_cache(maxsize=1)
def definitions() -> dict[str, Any]:
    return json.loads(DEFINITIONS_FILE.read_text())


def resolve(spec: Spec | None) -> Spec:
    """Follow `$ref`s; an absent schema is free-form (anything goes, nothing is merged)."""
    while spec and "$ref" in spec:
        spec = definitions()[spec["$ref"].rsplit("/", 1)[1]]
    return spec or FREE_FORM


def kind_schema(kind: str) -> Spec:
    return (
        resolve({"$ref": f"#/definitions/{CORE}{kind}"})
        if CORE + kind in definitions() and kind not in GROUP_KINDS
        else FREE_FORM
    )


def child(spec: Spec, key: str) -> Spec:
    """The schema of `key` inside an object schema (a property, or a map's values)."""
    spec = resolve(spec)
    if "properties" in spec:
        return resolve(spec["properties"].get(key))
    return resolve(spec.get("additionalProperties"))


def field_meta(spec: Spec, key: str) -> tuple[list[str], str | None, Spec]:
    """(patch strategies, merge key, item schema) of a list field of an object schema."""
    raw = (resolve(spec).get("properties") or {}).get(key) or {}
    strategies = [s for s in str(raw.get("x-kubernetes-patch-strategy") or "").split(",") if s]
    return strategies, raw.get("x-kubernetes-patch-merge-key"), resolve(raw.get("items"))


def unknown_fields(obj: Any, spec: Spec, path: str = "", prune: bool = True) -> list[str]:
    """Paths of fields the schema does not declare (removed from `obj` when `prune`).

    The API server decodes a request into its Go types, which silently lose
    unknown fields; fieldValidation decides whether that is said (Warn, the
    default), refused (Strict) or not (Ignore).
    """
    spec = resolve(spec)
    found: list[str] = []
    if isinstance(obj, dict):
        properties = spec.get("properties")
        if properties is not None:
            for key in list(obj):
                where = f"{path}.{key}" if path else key
                if key not in properties:
                    found.append(where)
                    if prune:
                        del obj[key]
                else:
                    found += unknown_fields(obj[key], properties[key], where, prune)
        elif "additionalProperties" in spec:
            for key, value in obj.items():
                found += unknown_fields(value, spec["additionalProperties"], f"{path}.{key}", prune)
    elif isinstance(obj, list) and "items" in spec:
        for i, item in enumerate(obj):
            found += unknown_fields(item, spec["items"], f"{path}[{i}]", prune)
    return found

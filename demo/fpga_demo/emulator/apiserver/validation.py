"""Admission for every kind: validate like the API server, answer 422 with field causes.

Only the rules a client of this project can trip over are checked, but those are
checked with the API server's field paths and wording, so a test that passes
here fails the same way on a real cluster when the object is wrong.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from ..quantity import QuantityError, parse_quantity
from . import errors, names
from .errors import Cause, invalid, required
from .validate_dra import DRA_VALIDATORS
from .validate_pod import validate_pod, validate_pod_update

NAME_RULES = {
    "namespaces": names.label_name_problem,
    "services": names.dns1035_problem,
}


def validate_metadata(plural: str, obj: Mapping[str, Any]) -> list[Cause]:
    meta = obj.get("metadata") or {}
    causes: list[Cause] = []
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        causes.append(required("metadata.name", "name or generateName is required"))
    elif name:
        problem = NAME_RULES.get(plural, names.subdomain_problem)(name)
        if problem:
            causes.append(invalid("metadata.name", name, problem))
    for key, value in (meta.get("labels") or {}).items():
        problem = names.qualified_name_problem(key)
        if problem:
            causes.append(invalid("metadata.labels", key, problem))
        problem = names.label_value_problem(value)
        if problem:
            causes.append(invalid("metadata.labels", value, problem))
    for key in meta.get("annotations") or {}:
        problem = names.qualified_name_problem(key)
        if problem:
            causes.append(invalid("metadata.annotations", key, problem))
    return causes


def _validate_data_keys(data: Mapping[str, Any], field: str) -> list[Cause]:
    return [
        invalid(f"{field}[{key}]", key, names.CONFIG_KEY_MSG)
        for key in data
        if not names.CONFIG_KEY.match(key)
    ]


def validate_secret(obj: Mapping[str, Any]) -> list[Cause]:
    causes = _validate_data_keys(obj.get("data") or {}, "data")
    for key, value in (obj.get("data") or {}).items():
        try:
            base64.b64decode(value or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise errors.bad_request(
                f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data '
                f"in data[{key}]"
            ) from None
    return causes


def validate_service(obj: Mapping[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    ports = spec.get("ports") or []
    if not ports and spec.get("clusterIP") != "None" and spec.get("type") != "ExternalName":
        causes.append(required("spec.ports"))
    for i, port in enumerate(ports):
        number = port.get("port")
        if not isinstance(number, int) or not 1 <= number <= 65535:
            causes.append(
                invalid(f"spec.ports[{i}].port", number, "must be between 1 and 65535, inclusive")
            )
    allowed = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    if spec.get("type", "ClusterIP") not in allowed:
        causes.append(errors.unsupported("spec.type", spec.get("type"), allowed))
    return causes


def validate_pvc(obj: Mapping[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    if not spec.get("accessModes"):
        causes.append(required("spec.accessModes", "at least 1 access mode is required"))
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if storage is None:
        causes.append(required("spec.resources[storage]"))
    else:
        try:
            if parse_quantity(storage) <= 0:
                causes.append(
                    invalid("spec.resources[storage]", storage, "must be greater than zero")
                )
        except QuantityError as exc:
            raise errors.bad_request(
                'PersistentVolumeClaim in version "v1" cannot be handled as a '
                f"PersistentVolumeClaim: {exc}"
            ) from None
    return causes


def validate_node(obj: Mapping[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for i, taint in enumerate((obj.get("spec") or {}).get("taints") or []):
        effects = ["NoExecute", "NoSchedule", "PreferNoSchedule"]
        if taint.get("effect") not in effects:
            causes.append(
                errors.unsupported(f"spec.taints[{i}].effect", taint.get("effect"), effects)
            )
        if not taint.get("key"):
            causes.append(required(f"spec.taints[{i}].key"))
    for field in ("capacity", "allocatable"):
        for name, value in ((obj.get("status") or {}).get(field) or {}).items():
            try:
                parse_quantity(value)
            except QuantityError:
                causes.append(invalid(f"status.{field}[{name}]", value, "must be a valid quantity"))
    return causes


def validate_event(obj: Mapping[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    involved = obj.get("involvedObject") or {}
    namespace = (obj.get("metadata") or {}).get("namespace")
    if involved.get("namespace") and involved["namespace"] != namespace:
        causes.append(
            invalid(
                "involvedObject.namespace", involved["namespace"], "does not match event.namespace"
            )
        )
    if obj.get("type") and obj["type"] not in ("Normal", "Warning"):
        causes.append(errors.unsupported("type", obj["type"], ["Normal", "Warning"]))
    return causes


KIND_VALIDATORS = {
    "pods": validate_pod,
    "secrets": validate_secret,
    "configmaps": lambda obj: _validate_data_keys(obj.get("data") or {}, "data"),
    "services": validate_service,
    "persistentvolumeclaims": validate_pvc,
    "nodes": validate_node,
    "events": validate_event,
    **DRA_VALIDATORS,
}


def validate(
    plural: str, kind: str, obj: Mapping[str, Any], old: Mapping[str, Any] | None = None
) -> None:
    """Raise a 422 Invalid ApiError listing every problem, or return quietly."""
    causes = validate_metadata(plural, obj)
    validator = KIND_VALIDATORS.get(plural)
    if validator:
        causes.extend(validator(obj))
    if old is not None and plural == "pods":
        causes.extend(validate_pod_update(obj, old))
    if causes:
        meta = obj.get("metadata") or {}
        raise errors.invalid_object(
            kind, meta.get("name") or meta.get("generateName") or "", causes
        )

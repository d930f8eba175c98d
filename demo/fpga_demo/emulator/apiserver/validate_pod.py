"""Pod validation with the API server's field paths and messages.

FPGA pods are where this project can go wrong (a request without a limit, a
fractional device count, a bad toleration): those are refused here with the
same 422 a real cluster gives, instead of being silently scheduled.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..quantity import QuantityError, as_wire, is_whole, parse_quantity
from . import errors, names
from .errors import Cause, invalid, required, unsupported

STANDARD_RESOURCES = {"cpu", "memory", "ephemeral-storage", "storage", "pods"}
VOLUME_TYPES = (
    "secret", "configMap", "emptyDir", "persistentVolumeClaim", "hostPath", "projected",
    "downwardAPI", "nfs", "csi", "ephemeral",
)  # fmt: skip
NODE_OPERATORS = ["DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"]
FIELD_REFS = {
    "metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels",
    "metadata.annotations", "spec.nodeName", "spec.serviceAccountName", "status.hostIP",
    "status.hostIPs", "status.podIP", "status.podIPs",
}  # fmt: skip


def is_extended_resource(name: str) -> bool:
    """Extended resources: fully qualified and outside the kubernetes.io domain."""
    if "/" not in name:
        return False
    domain = name.split("/", 1)[0]
    return not (domain == "kubernetes.io" or domain.endswith(".kubernetes.io"))


def _quantity(value: Any) -> Any:
    try:
        return parse_quantity(value)
    except QuantityError as exc:
        raise errors.bad_request(f'Pod in version "v1" cannot be handled as a Pod: {exc}') from None


def decode_pod(pod: Mapping[str, Any]) -> None:
    """Quantities are parsed when the body is decoded: a bad one is a 400, before anything else."""
    spec = pod.get("spec") or {}
    if not isinstance(spec, Mapping):
        raise errors.bad_request(
            'Pod in version "v1" cannot be handled as a Pod: spec must be an object'
        )
    for field in ("initContainers", "containers"):
        for container in spec.get(field) or []:
            for section in ("limits", "requests"):
                values = (container.get("resources") or {}).get(section) or {}
                for name, value in values.items():
                    _quantity(value)
                    values[name] = as_wire(value)


def _resources(path: str, resources: Mapping[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    limits = {k: _quantity(v) for k, v in (resources.get("limits") or {}).items()}
    requests = {k: _quantity(v) for k, v in (resources.get("requests") or {}).items()}
    for field, values in (("limits", limits), ("requests", requests)):
        for name, amount in values.items():
            raw = str((resources.get(field) or {})[name])
            where = f"{path}.{field}[{name}]"
            if (
                "/" not in name
                and name not in STANDARD_RESOURCES
                and not name.startswith("hugepages-")
            ):
                causes.append(
                    invalid(where, name, "must be a standard resource type or fully qualified")
                )
                continue
            if "/" in name and names.qualified_name_problem(name):
                causes.append(invalid(where, name, names.qualified_name_problem(name)))
                continue
            if amount < 0:
                causes.append(invalid(where, raw, "must be greater than or equal to 0"))
            if is_extended_resource(name) and not is_whole(amount):
                causes.append(invalid(where, raw, "must be an integer"))
    for name, amount in requests.items():
        raw = str(resources["requests"][name])
        if is_extended_resource(name):
            if name not in limits:
                causes.append(
                    required(f"{path}.limits", "Limit must be set for non overcommitable resources")
                )
            elif limits[name] != amount:
                causes.append(
                    invalid(
                        f"{path}.requests[{name}]",
                        raw,
                        f"must be equal to {name} limit of {resources['limits'][name]}",
                    )
                )
        elif name in limits and amount > limits[name]:
            causes.append(
                invalid(
                    f"{path}.requests",
                    raw,
                    f"must be less than or equal to {name} limit of {resources['limits'][name]}",
                )
            )
    return causes


def _env(path: str, env: list[Mapping[str, Any]]) -> list[Cause]:
    causes: list[Cause] = []
    for i, var in enumerate(env):
        where = f"{path}.env[{i}]"
        name = var.get("name")
        if not name:
            causes.append(required(f"{where}.name"))
        elif not names.ENV_NAME.match(name):
            causes.append(invalid(f"{where}.name", name, names.ENV_NAME_MSG))
        source = var.get("valueFrom")
        if source is None:
            continue
        if var.get("value"):
            causes.append(
                invalid(f"{where}.valueFrom", "", "may not be specified when `value` is not empty")
            )
        kinds = [
            k
            for k in ("secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef")
            if source.get(k)
        ]
        if len(kinds) != 1:
            causes.append(
                invalid(
                    f"{where}.valueFrom",
                    "",
                    "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
                )
            )
            continue
        ref = source[kinds[0]]
        if kinds[0] in ("secretKeyRef", "configMapKeyRef"):
            if not ref.get("key"):
                causes.append(required(f"{where}.valueFrom.{kinds[0]}.key"))
            if not ref.get("name"):
                causes.append(required(f"{where}.valueFrom.{kinds[0]}.name"))
        elif kinds[0] == "fieldRef":
            field_path = ref.get("fieldPath", "")
            base = field_path.split("[", 1)[0]
            if field_path not in FIELD_REFS and base not in (
                "metadata.labels",
                "metadata.annotations",
            ):
                causes.append(
                    unsupported(
                        f"{where}.valueFrom.fieldRef.fieldPath", field_path, sorted(FIELD_REFS)
                    )
                )
    return causes


def _container(path: str, container: Mapping[str, Any], volume_names: set[str]) -> list[Cause]:
    causes: list[Cause] = []
    name = container.get("name")
    if not name:
        causes.append(required(f"{path}.name"))
    elif names.label_name_problem(name):
        causes.append(invalid(f"{path}.name", name, names.label_name_problem(name)))
    if not container.get("image"):
        causes.append(required(f"{path}.image"))
    causes += _resources(f"{path}.resources", container.get("resources") or {})
    causes += _env(path, container.get("env") or [])
    for i, port in enumerate(container.get("ports") or []):
        number = port.get("containerPort")
        if not isinstance(number, int) or not 1 <= number <= 65535:
            causes.append(
                invalid(
                    f"{path}.ports[{i}].containerPort",
                    number,
                    "must be between 1 and 65535, inclusive",
                )
            )
    seen_paths: set[str] = set()
    for i, mount in enumerate(container.get("volumeMounts") or []):
        where = f"{path}.volumeMounts[{i}]"
        if mount.get("name") not in volume_names:
            causes.append(errors.not_found_field(f"{where}.name", mount.get("name")))
        mount_path = mount.get("mountPath")
        if not mount_path:
            causes.append(required(f"{where}.mountPath"))
        elif mount_path in seen_paths:
            causes.append(invalid(f"{where}.mountPath", mount_path, "must be unique"))
        seen_paths.add(mount_path or "")
    return causes


def _scheduling(spec: Mapping[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for key, value in (spec.get("nodeSelector") or {}).items():
        problem = names.qualified_name_problem(key) or names.label_value_problem(value)
        if problem:
            causes.append(invalid("spec.nodeSelector", f"{key}={value}", problem))
    for i, tol in enumerate(spec.get("tolerations") or []):
        where = f"spec.tolerations[{i}]"
        operator = tol.get("operator") or "Equal"
        if operator not in ("Equal", "Exists"):
            causes.append(unsupported(f"{where}.operator", operator, ["Equal", "Exists"]))
        if operator == "Exists" and tol.get("value"):
            causes.append(
                invalid(
                    f"{where}.operator",
                    tol.get("value"),
                    "value must be empty when `operator` is 'Exists'",
                )
            )
        if not tol.get("key") and operator != "Exists":
            causes.append(
                invalid(
                    f"{where}.operator",
                    operator,
                    'operator must be Exists when `key` is empty, which means "match all values and all keys"',
                )
            )
        if tol.get("effect") and tol["effect"] not in (
            "NoSchedule",
            "PreferNoSchedule",
            "NoExecute",
        ):
            causes.append(
                unsupported(
                    f"{where}.effect",
                    tol["effect"],
                    ["NoExecute", "NoSchedule", "PreferNoSchedule"],
                )
            )
    affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    base = "spec.affinity.nodeAffinity"
    req = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if req is not None:
        terms = req.get("nodeSelectorTerms") or []
        where = f"{base}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
        if not terms:
            causes.append(required(where, "must have at least one node selector term"))
        for t, term in enumerate(terms):
            causes += _term(f"{where}[{t}]", term)
    for p, pref in enumerate(affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []):
        where = f"{base}.preferredDuringSchedulingIgnoredDuringExecution[{p}]"
        weight = pref.get("weight")
        if not isinstance(weight, int) or not 1 <= weight <= 100:
            causes.append(invalid(f"{where}.weight", weight, "must be in the range 1-100"))
        causes += _term(f"{where}.preference", pref.get("preference") or {})
    return causes


def _term(path: str, term: Mapping[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for e, expr in enumerate(term.get("matchExpressions") or []):
        where = f"{path}.matchExpressions[{e}]"
        op, values = expr.get("operator"), expr.get("values") or []
        if op not in NODE_OPERATORS:
            causes.append(unsupported(f"{where}.operator", op, NODE_OPERATORS))
        elif op in ("In", "NotIn") and not values:
            causes.append(
                required(f"{where}.values", "must be specified when `operator` is 'In' or 'NotIn'")
            )
        elif op in ("Exists", "DoesNotExist") and values:
            causes.append(
                errors.forbidden(
                    f"{where}.values",
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
        elif op in ("Gt", "Lt") and len(values) != 1:
            causes.append(
                required(
                    f"{where}.values",
                    "must be specified single value when `operator` is 'Lt' or 'Gt'",
                )
            )
        if not expr.get("key"):
            causes.append(required(f"{where}.key"))
    return causes


def validate_pod(pod: Mapping[str, Any]) -> list[Cause]:
    spec = pod.get("spec") or {}
    causes: list[Cause] = []
    volume_names: set[str] = set()
    for i, volume in enumerate(spec.get("volumes") or []):
        name = volume.get("name", "")
        if not name:
            causes.append(required(f"spec.volumes[{i}].name"))
        elif name in volume_names:
            causes.append(errors.duplicate(f"spec.volumes[{i}].name", name))
        volume_names.add(name)
        kinds = [k for k in VOLUME_TYPES if k in volume]
        if not kinds:
            causes.append(required(f"spec.volumes[{i}]", "must specify a volume type"))
        elif len(kinds) > 1:
            causes.append(
                errors.forbidden(
                    f"spec.volumes[{i}].{kinds[1]}", "may not specify more than 1 volume type"
                )
            )
    containers = spec.get("containers") or []
    if not containers:
        causes.append(required("spec.containers"))
    seen: set[str] = set()
    for field in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(field) or []):
            causes += _container(f"spec.{field}[{i}]", container, volume_names)
            if container.get("name") in seen:
                causes.append(errors.duplicate(f"spec.{field}[{i}].name", container.get("name")))
            seen.add(container.get("name"))
    policy = spec.get("restartPolicy", "Always")
    if policy not in ("Always", "OnFailure", "Never"):
        causes.append(unsupported("spec.restartPolicy", policy, ["Always", "OnFailure", "Never"]))
    return causes + _scheduling(spec)


_MUTABLE_NOTE = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


def _spec_without_mutable(spec: Mapping[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(dict(spec))
    for field in ("containers", "initContainers"):
        for container in stripped.get(field) or []:
            container.pop("image", None)
    for field in ("activeDeadlineSeconds", "tolerations"):
        stripped.pop(field, None)
    return stripped


def validate_pod_update(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Cause]:
    """Pods are mostly immutable once created, as on a real cluster."""
    new_spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    causes: list[Cause] = []
    if _spec_without_mutable(new_spec) != _spec_without_mutable(old_spec):
        causes.append(errors.forbidden("spec", _MUTABLE_NOTE))
    old_tols = old_spec.get("tolerations") or []
    new_tols = new_spec.get("tolerations") or []
    if any(t not in new_tols for t in old_tols):
        causes.append(
            errors.forbidden(
                "spec.tolerations",
                "existing toleration can not be modified except its tolerationSeconds",
            )
        )
    return causes

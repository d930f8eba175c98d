"""Kubernetes Dynamic Resource Allocation (resource.k8s.io/v1) for a board type.

A ``dra`` board is not asked for as an extended resource of a device plugin
but through a ResourceClaim: the pod names a claim (made by Kubernetes from a
ResourceClaimTemplate, or one the admin made and shares), the scheduler
allocates devices that a DRA driver publishes in ResourceSlices and that the
claim's DeviceClass and CEL selectors accept, and the kubelet hands them to the
container. This module is pure: the catalog's ``dra`` section parsed and
checked, the ResourceClaimTemplate the spawner writes, the pod's claim
fragments, and which board type a published device is (for capacity).

KEP-5004 lets a pod ask for a DeviceClass as if it were an extended resource,
``deviceclass.resource.kubernetes.io/<class>``; that name is a DRA board's
resource name in the catalog and in the capacity view, so capacity, quotas and
the form need no second vocabulary. The facts: docs/upstream-facts.md,
"Dynamic Resource Allocation".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .cel import CelError, Expression, compile_selector, device_view

API_VERSION = "resource.k8s.io/v1"
EXTENDED_PREFIX = "deviceclass.resource.kubernetes.io/"
CLAIM_NAME = "fpga"
"""The name the pod and its notebook container give the FPGA claim."""
REQUEST_NAME = "fpga"
REQUEST_MODES = ("claim", "extended-resource")
# The attribute names the shortcuts select on, in the driver's own domain.
SHORTCUT_ATTRIBUTES = {"board": "board", "shell": "vbnv", "xclbin_uuid": "xclbinUUID"}
DRA_FIELDS: dict[str, type] = {
    "device_class": str,
    "driver": str,
    "board": str,
    "shell": str,
    "xclbin_uuid": str,
    "selectors": list,
    "claim_template": str,
    "claim": str,
    "request_as": str,
}
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


class DraConfigError(ValueError):
    """A ``dra`` section the hub cannot use; the catalog adds which entry it is."""


@dataclass(frozen=True)
class DraRequest:
    """How one board type is asked for through DRA."""

    device_class: str
    driver: str
    selectors: tuple[str, ...] = ()
    """CEL expressions over ``device``, all of which a device must satisfy."""
    claim_template: str = ""
    """The admin's ResourceClaimTemplate; empty: the spawner writes one per server."""
    claim: str = ""
    """The admin's ResourceClaim that every server of this board type shares."""
    request_as: str = "claim"

    @property
    def resource(self) -> str:
        """The KEP-5004 extended resource name of the device class."""
        return extended_resource_name(self.device_class)

    @property
    def spawner_writes_template(self) -> bool:
        return self.request_as == "claim" and not (self.claim_template or self.claim)

    def expressions(self) -> tuple[Expression, ...]:
        return _compiled(self.selectors)

    def accepts(self, driver: str, device: Mapping[str, Any]) -> bool:
        """Whether a device of a ResourceSlice is one of this board type's devices.

        The DeviceClass's own selectors live in the cluster; the catalog's
        driver and selectors are what the hub knows, which is why each DRA
        board type is meant to have a DeviceClass of its own.
        """
        if driver != self.driver:
            return False
        view = device_view(driver, device)
        return all(e.matches(view) for e in self.expressions())


_compiled_cache: dict[tuple[str, ...], tuple[Expression, ...]] = {}


def _compiled(selectors: tuple[str, ...]) -> tuple[Expression, ...]:
    if selectors not in _compiled_cache:
        _compiled_cache[selectors] = tuple(compile_selector(s) for s in selectors)
    return _compiled_cache[selectors]


def extended_resource_name(device_class: str) -> str:
    return EXTENDED_PREFIX + device_class


def _cel_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def shortcut_selector(driver: str, key: str, value: str) -> str:
    """``board: u250`` as the CEL a DeviceClass author would write for it."""
    attribute = SHORTCUT_ATTRIBUTES[key]
    return f"device.attributes[{_cel_string(driver)}].{attribute} == {_cel_string(value)}"


def parse_dra(raw: Any, max_per_user: int) -> DraRequest:
    """Check a board's ``dra`` mapping; raises :class:`DraConfigError` naming the key."""
    if not isinstance(raw, Mapping):
        raise DraConfigError(f"dra must be a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(DRA_FIELDS))
    if unknown:
        raise DraConfigError(
            f"dra: unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(DRA_FIELDS))}"
        )
    for key, value in raw.items():
        if not isinstance(value, DRA_FIELDS[key]):
            raise DraConfigError(f"dra.{key}={value!r} must be a {DRA_FIELDS[key].__name__}")
    device_class = raw.get("device_class", "")
    if not device_class:
        raise DraConfigError("dra.device_class is required (the DeviceClass to allocate from)")
    driver = raw.get("driver") or device_class
    for key, name in (("device_class", device_class), ("driver", driver)):
        if len(name) > 253 or not _SUBDOMAIN.match(name):
            raise DraConfigError(f"dra.{key}={name!r} must be a lowercase DNS subdomain")
    for key in ("claim_template", "claim"):
        name = raw.get(key, "")
        if name and (len(name) > 253 or not _SUBDOMAIN.match(name)):
            raise DraConfigError(f"dra.{key}={name!r} is not a valid object name")
    request_as = raw.get("request_as", "claim")
    if request_as not in REQUEST_MODES:
        raise DraConfigError(f"dra.request_as={request_as!r}; allowed: {', '.join(REQUEST_MODES)}")
    if raw.get("claim_template") and raw.get("claim"):
        raise DraConfigError("give at most one of dra.claim_template and dra.claim")
    if request_as == "extended-resource" and (raw.get("claim_template") or raw.get("claim")):
        raise DraConfigError("dra.request_as=extended-resource takes no claim or claim_template")
    if (raw.get("claim_template") or raw.get("claim")) and max_per_user != 1:
        raise DraConfigError(
            "max_per_user must be 1 with dra.claim_template or dra.claim: the admin's "
            "object fixes how many devices a server gets"
        )
    uuid = raw.get("xclbin_uuid", "")
    if uuid and not _UUID.match(uuid):
        raise DraConfigError(f"dra.xclbin_uuid={uuid!r} is not a UUID")
    selectors = [
        shortcut_selector(driver, key, raw[key]) for key in SHORTCUT_ATTRIBUTES if raw.get(key)
    ]
    for i, source in enumerate(raw.get("selectors", [])):
        try:
            compile_selector(source)
        except CelError as e:
            raise DraConfigError(f"dra.selectors[{i}] {source!r}: {e}") from None
        selectors.append(source)
    return DraRequest(
        device_class=device_class,
        driver=driver,
        selectors=tuple(selectors),
        claim_template=raw.get("claim_template", ""),
        claim=raw.get("claim", ""),
        request_as=request_as,
    )


# -- what the spawner writes ---------------------------------------------------


def template_name(pod_name: str) -> str:
    """The ResourceClaimTemplate of one server: named after its pod, so a restarted hub finds it."""
    return f"{pod_name}-fpga"[:253]


def claim_template(
    name: str,
    namespace: str,
    dra: DraRequest,
    count: int,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ResourceClaimTemplate for one server asking for `count` devices of the board type.

    The labels and annotations (the user's and the server's names) are
    copied by Kubernetes onto the claim it makes for the pod, so the capacity
    view can tell whose claim holds which devices.
    """
    exactly: dict[str, Any] = {
        "deviceClassName": dra.device_class,
        "allocationMode": "ExactCount",
        "count": count,
    }
    if dra.selectors:
        exactly["selectors"] = [{"cel": {"expression": s}} for s in dra.selectors]
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    claim_meta: dict[str, Any] = {}
    if labels:
        meta["labels"] = dict(labels)
        claim_meta["labels"] = dict(labels)
    if annotations:
        claim_meta["annotations"] = dict(annotations)
    return {
        "apiVersion": API_VERSION,
        "kind": "ResourceClaimTemplate",
        "metadata": meta,
        "spec": {
            **({"metadata": claim_meta} if claim_meta else {}),
            "spec": {"devices": {"requests": [{"name": REQUEST_NAME, "exactly": exactly}]}},
        },
    }


def pod_claim(dra: DraRequest, template: str) -> dict[str, str]:
    """The pod's ``spec.resourceClaims`` entry: the admin's claim, or a template."""
    if dra.claim:
        return {"name": CLAIM_NAME, "resourceClaimName": dra.claim}
    return {"name": CLAIM_NAME, "resourceClaimTemplateName": dra.claim_template or template}


# -- what the cluster publishes --------------------------------------------------


def slice_devices(
    resource_slice: Mapping[str, Any], boards: Sequence[DraRequest]
) -> tuple[str, dict[str, int], dict[tuple[str, str, str], str]]:
    """node, devices per board resource, and each counted device's resource, of one slice.

    A device is (driver, pool, device name), the identity an allocation
    result names. Slices that are not local to one node (network-attached
    devices) have no node and are not counted.
    """
    spec = resource_slice.get("spec") if isinstance(resource_slice, Mapping) else None
    spec = spec if isinstance(spec, Mapping) else {}
    node = spec.get("nodeName")
    driver = spec.get("driver")
    pool_spec = spec.get("pool")
    pool = str(pool_spec.get("name", "")) if isinstance(pool_spec, Mapping) else ""
    if not isinstance(node, str) or not node or not isinstance(driver, str):
        return "", {}, {}
    counts: dict[str, int] = {}
    identities: dict[tuple[str, str, str], str] = {}
    for device in spec.get("devices") or []:
        if not isinstance(device, Mapping) or not isinstance(device.get("name"), str):
            continue
        for board in boards:
            if board.accepts(driver, device):
                counts[board.resource] = counts.get(board.resource, 0) + 1
                identities[(driver, pool, device["name"])] = board.resource
                break
    return node, counts, identities


def allocation_node(claim: Mapping[str, Any]) -> str:
    """The node an allocated claim's devices are on (its allocation's node selector)."""
    status = claim.get("status") if isinstance(claim.get("status"), Mapping) else {}
    allocation = status.get("allocation") if isinstance(status, Mapping) else None
    selector = allocation.get("nodeSelector") if isinstance(allocation, Mapping) else None
    for term in (selector or {}).get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("values"):
                return str(field["values"][0])
    return ""


def allocated_devices(claim: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(driver, pool, device) of every device allocated to a claim."""
    status = claim.get("status") if isinstance(claim.get("status"), Mapping) else {}
    allocation = status.get("allocation") if isinstance(status, Mapping) else None
    devices = allocation.get("devices") if isinstance(allocation, Mapping) else None
    results = devices.get("results") if isinstance(devices, Mapping) else None
    return [
        (str(r.get("driver", "")), str(r.get("pool", "")), str(r.get("device", "")))
        for r in results or []
        if isinstance(r, Mapping)
    ]

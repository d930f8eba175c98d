"""Admission for the DRA kinds (resource.k8s.io/v1): what a client can get wrong.

A request names its device class and says how many devices; every CEL
selector must compile. The API server refuses a selector with a syntax error
with 422 at create time; so does the emulator, with the same CEL subset the
allocator evaluates (``fpga_spawner.cel``), so a selector it accepts is one
it can also run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fpga_spawner.cel import CelError, compile_selector

from .errors import Cause, invalid, required

ALLOCATION_MODES = ("ExactCount", "All")


def _selectors(selectors: Any, path: str) -> list[Cause]:
    causes = []
    for i, selector in enumerate(selectors or []):
        expression = ((selector or {}).get("cel") or {}).get("expression")
        where = f"{path}[{i}].cel.expression"
        if not expression:
            causes.append(required(where))
            continue
        try:
            compile_selector(expression)
        except CelError as e:
            causes.append(invalid(where, expression, f"compilation failed: {e}"))
    return causes


def _claim_spec(spec: Mapping[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    requests = ((spec or {}).get("devices") or {}).get("requests") or []
    names: set[str] = set()
    for i, request in enumerate(requests):
        where = f"{path}.devices.requests[{i}]"
        name = request.get("name")
        if not name:
            causes.append(required(f"{where}.name"))
        elif name in names:
            causes.append(invalid(f"{where}.name", name, "duplicate request name"))
        names.add(name or "")
        exactly = request.get("exactly")
        if exactly is None:
            causes.append(required(f"{where}.exactly", "exactly one of exactly or firstAvailable"))
            continue
        if not exactly.get("deviceClassName"):
            causes.append(required(f"{where}.exactly.deviceClassName"))
        mode = exactly.get("allocationMode", "ExactCount")
        if mode not in ALLOCATION_MODES:
            causes.append(invalid(f"{where}.exactly.allocationMode", mode, "unsupported value"))
        count = exactly.get("count", 1)
        if mode == "ExactCount" and (not isinstance(count, int) or count < 1):
            causes.append(invalid(f"{where}.exactly.count", count, "must be greater than zero"))
        causes += _selectors(exactly.get("selectors"), f"{where}.exactly.selectors")
    return causes


def validate_claim(obj: Mapping[str, Any]) -> list[Cause]:
    return _claim_spec(obj.get("spec") or {}, "spec")


def validate_claim_template(obj: Mapping[str, Any]) -> list[Cause]:
    return _claim_spec((obj.get("spec") or {}).get("spec") or {}, "spec.spec")


def validate_device_class(obj: Mapping[str, Any]) -> list[Cause]:
    return _selectors((obj.get("spec") or {}).get("selectors"), "spec.selectors")


def validate_slice(obj: Mapping[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = [required(f"spec.{key}") for key in ("driver", "pool") if not spec.get(key)]
    names = [d.get("name") for d in spec.get("devices") or []]
    if len(set(names)) != len(names):
        causes.append(invalid("spec.devices", names, "device names must be unique"))
    return causes


DRA_VALIDATORS = {
    "resourceclaims": validate_claim,
    "resourceclaimtemplates": validate_claim_template,
    "deviceclasses": validate_device_class,
    "resourceslices": validate_slice,
}

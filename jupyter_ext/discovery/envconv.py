"""Environment conventions of the FPGA device plugins.

The facts behind them: docs/upstream-facts.md, "FPGA device plugins".

b-com: ``ACCELERATOR_UNITS`` (Intel variant ``ACCELERATOR_DEVICES``) lists the
unit IDs given to the pod; InAccel sets ``INACCEL_FPGA=enabled`` and serves
boards through its own runtime; Intel's region mode sets ``FPGA_REGION_<n>``
and ``FPGA_AFU_<n>``. The hub's own contract (``FPGA_BOARD`` ...) is read by
``jupyter_ext.contract``, not here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

BCOM_VARS = ("ACCELERATOR_UNITS", "ACCELERATOR_DEVICES")
INACCEL_VAR = "INACCEL_FPGA"
_INTEL_RE = re.compile(r"^FPGA_(REGION|AFU)_(\d+)$")


@dataclass
class EnvFacts:
    units: list[tuple[str, str]] = field(default_factory=list)  # (unit id, variable)
    inaccel: bool = False
    inaccel_value: str = ""
    intel: dict[str, dict[str, str]] = field(default_factory=dict)  # n -> {region, afu}

    def to_dict(self) -> dict:
        return {
            "accelerator_units": [{"id": u, "variable": v} for u, v in self.units],
            "inaccel": self.inaccel,
            "intel_regions": self.intel,
        }


def read_env(environ: Mapping[str, str]) -> EnvFacts:
    facts = EnvFacts()
    for var in BCOM_VARS:
        for unit in (environ.get(var) or "").split(","):
            if unit.strip():
                facts.units.append((unit.strip(), var))
    value = (environ.get(INACCEL_VAR) or "").strip()
    facts.inaccel_value = value
    facts.inaccel = value.lower() in ("enabled", "true", "1", "yes")
    for key in sorted(environ):
        m = _INTEL_RE.match(key)
        if m:
            facts.intel.setdefault(m.group(2), {})[m.group(1).lower()] = environ[key]
    return facts


def bdf_matches(unit: str, bdf: str) -> bool:
    """``0000:3b:00.1`` matches a unit ID ``0000:3b:00.1`` or ``3b:00.1`` (case-insensitive)."""
    u, b = unit.lower(), bdf.lower()
    return bool(b) and (u == b or (u.count(":") == 1 and b.endswith(":" + u)))

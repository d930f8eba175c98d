"""The discovery answer: devices made of facts, each fact with where it came from.

A device's board might come from sysfs, its assignment from an env variable of
the device plugin and its loaded xclbin from pyxrt; when two sources disagree
the admin needs to see which said what, so every value keeps its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SOURCES = ("sysfs", "devnode", "env", "contract", "pyxrt", "emulation", "default")

# Facts promoted to the top level of a device's JSON, in this order.
SUMMARY_FACTS = (
    "bdf",
    "board",
    "board_name",
    "vendor",
    "vendor_id",
    "device_id",
    "platform",
    "shell_timestamp",
    "resource",
    "logic_uuids",
    "serial",
    "render_node",
    "mgmt_node",
    "qdma_node",
    "port_node",
    "temperature_c",
    "power_w",
    "xrt_name",
)


@dataclass(frozen=True)
class Fact:
    value: Any
    source: str  # one of SOURCES
    detail: str = ""  # the file read, the env variable, the pyxrt call

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "detail": self.detail}


@dataclass
class Device:
    id: str
    facts: dict[str, Fact] = field(default_factory=dict)
    assigned: bool = False  # given to this pod (device node present, or named by the plugin)
    emulated: bool = False
    matches_request: bool | None = None
    loaded_xclbin: dict[str, Any] | None = None
    health: dict[str, Any] = field(default_factory=dict)

    def set(self, name: str, value: Any, source: str, detail: str = "") -> None:
        """Record a fact; the first source to report a name wins, later ones are kept aside."""
        if value is None or value == "" or value == []:
            return
        if name in self.facts and self.facts[name].value != value:
            self.facts.setdefault(f"{name}@{source}", Fact(value, source, detail))
            return
        self.facts.setdefault(name, Fact(value, source, detail))

    def get(self, name: str, default: Any = None) -> Any:
        f = self.facts.get(name)
        return default if f is None else f.value

    @property
    def sources(self) -> list[str]:
        return sorted({f.source for f in self.facts.values()})

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id}
        for name in SUMMARY_FACTS:
            if name in self.facts:
                d[name] = self.facts[name].value
        d.update(
            assigned=self.assigned,
            emulated=self.emulated,
            matches_request=self.matches_request,
            sources=self.sources,
            loaded_xclbin=self.loaded_xclbin,
            health=self.health,
            facts={k: f.to_dict() for k, f in sorted(self.facts.items())},
        )
        return d


@dataclass
class DiscoveryReport:
    """Which FPGAs this pod has, what it asked for, and what does not add up."""

    requested: dict[str, Any] | None
    devices: list[Device]  # usable by this pod: assigned hardware, or emulated boards
    backend: str  # "hardware" | "emulated" | "none"
    unassigned: list[Device] = field(default_factory=list)  # on the node, not given to us
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    matches_request: bool | None = None
    summary: str = ""
    sources: dict[str, Any] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "backend": self.backend,
            "requested": self.requested,
            "matches_request": self.matches_request,
            "visible_count": len([d for d in self.devices if not d.emulated]),
            "emulated_count": len([d for d in self.devices if d.emulated]),
            "devices": [d.to_dict() for d in self.devices],
            "unassigned_devices": [d.to_dict() for d in self.unassigned],
            "problems": list(self.problems),
            "notes": list(self.notes),
            "sources": self.sources,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }

    def to_text(self) -> str:
        """A few lines for a terminal or ``%fpga status``."""
        lines = [self.summary]
        for d in self.devices:
            tag = "EMULATED, runs on the CPU" if d.emulated else d.health.get("status", "")
            what = d.get("board_name") or d.get("board") or "unknown FPGA"
            plat = d.get("platform")
            lines.append(f"  - {d.id}: {what}" + (f" [{plat}]" if plat else "") + f" ({tag})")
            if d.loaded_xclbin:
                lines.append(f"      loaded xclbin {d.loaded_xclbin.get('uuid')}")
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

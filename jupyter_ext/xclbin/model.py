"""What an xclbin holds, as plain frozen dataclasses.

The parser produces these and nothing else touches the file afterwards, so an
``Xclbin`` can be cached, compared and turned into JSON without keeping the
(possibly 100 MB) file mapped.
"""

from __future__ import annotations

import uuid as _uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .format import INFO_KIND_NAMES
from .ptree import PTree


class XclbinError(ValueError):
    """An xclbin could not be read: names the file and the defect, nothing else."""

    def __init__(self, source: str | Path, defect: str):
        self.source = str(source)
        self.defect = defect
        super().__init__(f"{self.source}: {defect}")


@dataclass(frozen=True)
class Section:
    kind: int
    kind_name: str
    name: str
    offset: int
    size: int
    index_name: str = ""  # SOFT_KERNEL, AIE_PARTITION, ...: the name the section gives itself


@dataclass(frozen=True)
class IpEntry:
    index: int
    type: str
    name: str
    base_address: int | None  # None: "not_used"
    interrupt: bool
    control_protocol: str | None  # kernels only
    type_code: int = 1


@dataclass(frozen=True)
class MemBank:
    index: int
    tag: str
    type: str  # xclbinutil's name: "MEM_HBM", or "UNKNOWN (12)"
    used: bool
    base_address: int
    size_kb: int


@dataclass(frozen=True)
class Connection:
    arg_index: int
    ip_index: int
    mem_index: int


@dataclass(frozen=True)
class Clock:
    index: int
    name: str
    type: str
    freq_mhz: int


@dataclass(frozen=True)
class SystemClock:
    """A clock of the platform, from SYSTEM_METADATA (the system diagram), as text."""

    name: str
    type: str
    spec_frequency: str
    requested_frequency: str
    achieved_frequency: str


@dataclass(frozen=True)
class XrtKernel:
    """A kernel as XRT's runtime sees it: from EMBEDDED_METADATA, arguments counted by id."""

    name: str
    num_args: int


@dataclass(frozen=True)
class DebugIp:
    index: int
    type: str
    name: str
    base_address: int
    major: int
    minor: int


@dataclass(frozen=True)
class KernelArg:
    index: int
    name: str
    type: str = ""
    port: str = ""
    offset: str = ""
    size: str = ""
    address_qualifier: int = 0  # 0 scalar, 1 global memory, 4 stream

    @property
    def is_buffer(self) -> bool:
        return self.address_qualifier == 1


@dataclass(frozen=True)
class KernelPort:
    name: str
    mode: str = ""
    range: str = ""
    data_width: str = ""
    port_type: str = ""


@dataclass(frozen=True)
class KernelInstance:
    name: str
    base_address: int | None
    control_protocol: str | None
    interrupt: bool
    # arg index -> memory bank tags it is connected to (from CONNECTIVITY)
    memory: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Kernel:
    name: str
    args: tuple[KernelArg, ...] = ()
    ports: tuple[KernelPort, ...] = ()
    instances: tuple[KernelInstance, ...] = ()

    @property
    def signature(self) -> str:
        return f"{self.name} ({', '.join(f'{a.type} {a.name}'.strip() for a in self.args)})"


@dataclass(frozen=True)
class Xclbin:
    """One parsed xclbin. ``path`` is ``None`` when parsed from bytes."""

    source: str
    file_size: int
    signature_length: int
    unique_id: int
    length: int
    timestamp: int
    feature_rom_timestamp: int
    version: tuple[int, int, int]
    mode: int
    mode_name: str
    action_mask: int
    interface_uuid: str
    platform_vbnv: str
    uuid: str
    debug_bin: str
    sections: tuple[Section, ...]
    ip_layout: tuple[IpEntry, ...] = ()
    mem_topology: tuple[MemBank, ...] = ()
    connectivity: tuple[Connection, ...] = ()
    clocks: tuple[Clock, ...] = ()
    debug_ips: tuple[DebugIp, ...] = ()
    kernels: tuple[Kernel, ...] = ()
    build_metadata: dict[str, Any] | None = None
    embedded_metadata_xml: bool = False
    keyvalues: tuple[tuple[str, str], ...] = ()
    content: str = ""  # what the BITSTREAM section holds, as xclbinutil names it
    emulation: str = "hw"  # "hw", "hw_emu" or "sw_emu"
    # GROUP_TOPOLOGY / GROUP_CONNECTIVITY: the banks (and bank groups) XRT allocates from
    group_topology: tuple[MemBank, ...] = ()
    group_connectivity: tuple[Connection, ...] = ()
    system_metadata: bool = False
    system_clocks: tuple[SystemClock, ...] = ()
    # interface UUIDs of each PARTITION_METADATA section, as the section spells them
    partition_interfaces: tuple[tuple[str, ...], ...] = ()
    user_signature: str | None = None  # appended by ``xclbinutil --add-signature``
    xrt_kernels: tuple[XrtKernel, ...] = ()
    xrt_refusal: str | None = None  # why XRT's own loader would refuse this file
    # BUILD_METADATA as xclbinutil reads it (the report walks it); None: no section
    build_tree: PTree | None = field(default=None, compare=False, repr=False)

    @property
    def version_string(self) -> str:
        return ".".join(str(v) for v in self.version)

    @property
    def kernel_names(self) -> list[str]:
        return [k.name for k in self.kernels]

    @property
    def xrt_mems(self) -> tuple[MemBank, ...]:
        """The banks XRT lists (``xclbin.get_mems()``): GROUP_TOPOLOGY, else MEM_TOPOLOGY."""
        return self.group_topology if self.section("GROUP_TOPOLOGY") else self.mem_topology

    def section(self, kind_name: str) -> Section | None:
        return next(
            (s for s in self.sections if kind_name in (s.kind_name, INFO_KIND_NAMES.get(s.kind))),
            None,
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(replace(self, build_tree=None))
        del d["build_tree"]
        d["version"] = self.version_string
        for inst_kernel in d["kernels"]:
            for inst in inst_kernel["instances"]:
                inst["memory"] = {str(k): list(v) for k, v in inst["memory"].items()}
        d["keyvalues"] = [{"key": k, "value": v} for k, v in self.keyvalues]
        return d


def uuid_string(raw: bytes) -> str:
    """16 raw bytes as XRT prints them: lowercase hex in 8-4-4-4-12 groups."""
    return str(_uuid.UUID(bytes=bytes(raw)))

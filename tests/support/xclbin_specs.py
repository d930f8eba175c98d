"""What a kernel, a memory bank and a clock look like to the xclbin writer.

Plain data: ``kernel_model`` turns a ``KernelSpec`` into the rows both metadata
sections and IP_LAYOUT are made of, with HLS's register-map conventions, so a
caller only has to say ``KernelSpec("vadd", args=["float* a", "int n"])``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jupyter_ext.xclbin import format as fmt


@dataclass(frozen=True)
class ArgSpec:
    """One kernel argument. ``memory`` (bank tag or index) only matters for buffers."""

    name: str
    type: str = "void*"
    port: str | None = None
    offset: int | None = None
    size: int | None = None
    address_qualifier: int | None = None  # 0 scalar, 1 buffer, 4 stream; None: from type
    memory: str | int | None = None

    @classmethod
    def parse(cls, spec: ArgSpec | str | Mapping[str, Any]) -> ArgSpec:
        """Accept ``ArgSpec``, a C declaration (``"float* in"``) or a mapping."""
        if isinstance(spec, ArgSpec):
            return spec
        if isinstance(spec, Mapping):
            return cls(**spec)
        decl = spec.strip()
        cut = max(decl.rfind(" "), decl.rfind("*"), decl.rfind("&"))
        if cut < 0:
            raise ValueError(f"kernel argument {spec!r}: expected 'type name', e.g. 'float* in'")
        return cls(name=decl[cut + 1 :].strip(), type=decl[: cut + 1].strip())

    @property
    def qualifier(self) -> int:
        if self.address_qualifier is not None:
            return self.address_qualifier
        if "stream" in self.type:
            return 4
        return 1 if "*" in self.type else 0

    @property
    def nbytes(self) -> int:
        if self.size is not None:
            return self.size
        if self.qualifier == 1:
            return 8
        t = self.type.replace("unsigned", "").replace("const", "").strip()
        return {"char": 1, "short": 2, "long": 8, "double": 8, "uint64_t": 8, "int64_t": 8}.get(
            t, 4
        )


@dataclass(frozen=True)
class KernelSpec:
    name: str
    args: Sequence[ArgSpec | str | Mapping[str, Any]] = ()
    instances: Sequence[str] | int = 1
    base_address: int | None = None  # of the first instance; later ones follow at +64 KiB
    control_protocol: str | int = "AP_CTRL_HS"
    interrupt: bool = True
    data_width: int = 512


@dataclass(frozen=True)
class MemSpec:
    tag: str
    type: str | int = "MEM_DDR4"
    size_kb: int = 16 * 1024 * 1024
    base_address: int | None = None  # None: after the previous bank (first at 0x40_0000_0000)
    used: bool = True


@dataclass(frozen=True)
class ClockSpec:
    name: str
    freq_mhz: int
    type: str | int = "KERNEL"


def enum_value(value: str | int, table: Mapping[str, int], what: str, prefix: str = "") -> int:
    if isinstance(value, int):
        return value
    key = value.upper()
    for cand in (key, prefix + key):
        if cand in table:
            return table[cand]
    raise ValueError(f"{what}={value!r}; allowed: {', '.join(table)}")


def _arg_offsets(args: Sequence[ArgSpec]) -> list[int | None]:
    """HLS register map: arguments from 0x10, each its data words plus one reserved word."""
    out, at = [], 0x10
    for a in args:
        if a.offset is not None:
            out.append(a.offset)
            at = a.offset + max(a.nbytes, 4) + 4
        elif a.qualifier == 4:
            out.append(None)  # streams have no register
        else:
            out.append(at)
            at += max(a.nbytes, 4) + 4
    return out


def _default_port(arg: ArgSpec, buffer_ordinal: int) -> str:
    if arg.port:
        return arg.port
    if arg.qualifier == 1:
        return f"M_AXI_GMEM{buffer_ordinal}"
    if arg.qualifier == 4:
        return arg.name.upper()
    return "S_AXI_CONTROL"


def kernel_model(spec: KernelSpec, first_base: int) -> dict[str, Any]:
    """One kernel as plain data: what both metadata sections and IP_LAYOUT are made of."""
    args = [ArgSpec.parse(a) for a in spec.args]
    offsets = _arg_offsets(args)
    arg_rows, ports, n_buf = [], [], 0
    for i, (a, off) in enumerate(zip(args, offsets, strict=True)):
        port = _default_port(a, n_buf)
        n_buf += a.qualifier == 1
        arg_rows.append(
            {
                "name": a.name,
                "address_qualifier": str(a.qualifier),
                "id": str(i),
                "port": port,
                "size": f"0x{a.nbytes:x}",
                "offset": "" if off is None else f"0x{off:x}",
                "host_offset": "0x0",
                "host_size": f"0x{a.nbytes:x}",
                "type": a.type,
                "memory": a.memory,
            }
        )
        if a.qualifier in (1, 4) and port not in {p["name"] for p in ports}:
            ports.append(
                {
                    "name": port,
                    "mode": "master" if a.qualifier == 1 else "read_only",
                    "range": "0xFFFFFFFF" if a.qualifier == 1 else "",
                    "data_width": str(spec.data_width),
                    "port_type": "addressable" if a.qualifier == 1 else "stream",
                    "base": "0x0",
                }
            )
    ports.insert(
        0,
        {
            "name": "S_AXI_CONTROL",
            "mode": "slave",
            "range": "0x1000",
            "data_width": "32",
            "port_type": "addressable",
            "base": "0x0",
        },
    )
    if isinstance(spec.instances, int):
        inst_names = [f"{spec.name}_{i + 1}" for i in range(spec.instances)]
    else:
        inst_names = list(spec.instances)
    base = first_base if spec.base_address is None else spec.base_address
    instances = [{"name": n, "base": base + 0x10000 * i} for i, n in enumerate(inst_names)]
    proto = enum_value(spec.control_protocol, fmt.CONTROL_BY_NAME, "control_protocol", "AP_CTRL_")
    return {
        "name": spec.name,
        "arguments": arg_rows,
        "ports": ports,
        "instances": instances,
        "control_protocol": proto,
        "interrupt": spec.interrupt,
    }

"""The JSON and XML the corpus feeds to the real ``xclbinutil --add-section``.

Shapes follow what xclbinutil's own unit tests feed it (XRT's
``src/runtime_src/tools/xclbinutil/unittests``): every value is a string, and
``build_metadata.dsa`` must exist (xclbinutil reads the platform VBNV from its
``feature_roms``). Old Vitis metadata, converted from XML, repeats keys
(``"port": {...}, "port": {...}``), which a ``dict`` cannot hold, so ``Dup``
writes such objects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import quoteattr


class Dup:
    """A JSON object that may repeat a key: written from its (key, value) pairs."""

    def __init__(self, *pairs: tuple[str, Any]) -> None:
        self.pairs = pairs


def dumps(value: Any, indent: int = 0) -> str:
    """``json.dumps`` that also writes ``Dup`` objects."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, Dup):
        items = [f"{inner}{json.dumps(k)}: {dumps(v, indent + 2)}" for k, v in value.pairs]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}" if items else "{}"
    if isinstance(value, dict):
        return dumps(Dup(*value.items()), indent)
    if isinstance(value, list):
        items = [f"{inner}{dumps(v, indent + 2)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]" if items else "[]"
    return json.dumps(value)


def arg(name: str, type_: str, aq: int, port: str, offset: str, arg_id: str, size: str = "0x8"):
    return {
        "name": name,
        "address_qualifier": str(aq),
        "id": arg_id,
        "port": port,
        "size": size,
        "offset": offset,
        "host_offset": "0x0",
        "host_size": size,
        "type": type_,
    }


def port(name: str, mode: str = "master", width: str = "512", kind: str = "addressable"):
    rng = {"master": "0xFFFFFFFF", "slave": "0x1000"}.get(mode, "")
    return {
        "name": name,
        "mode": mode,
        "range": rng,
        "data_width": width,
        "port_type": kind,
        "base": "0x0",
    }


def simple_args(specs: Sequence[str]) -> list[dict[str, str]]:
    """``"int* a"`` style declarations in HLS register order (buffers on GMEM ports)."""
    out, off, gmem = [], 0x10, 0
    for i, decl in enumerate(specs):
        type_, name = decl.rsplit(" ", 1)
        if "stream" in type_:
            out.append(arg(name, type_, 4, name.upper(), "", str(i), "0x4"))
            continue
        if "*" in type_:
            out.append(arg(name, type_, 1, f"M_AXI_GMEM{gmem}", f"0x{off:x}", str(i)))
            gmem, off = gmem + 1, off + 12
        else:
            out.append(arg(name, type_, 0, "S_AXI_CONTROL", f"0x{off:x}", str(i), "0x4"))
            off += 8
    return out


def kernel(name: str, args: list[dict[str, str]], instances: Sequence[str]) -> dict[str, Any]:
    ports = [port("S_AXI_CONTROL", "slave", "32")]
    for a in args:
        if a["port"] not in {p["name"] for p in ports}:
            stream = a["address_qualifier"] == "4"
            ports.append(port(a["port"], "read_only" if stream else "master", "64",
                              "stream" if stream else "addressable"))  # fmt: skip
    return {
        "name": name,
        "type": "pl",
        "ports": ports,
        "arguments": args,
        "instances": [{"name": i} for i in instances],
    }


GENERATED = {
    "name": "v++",
    "version": "2022.2",
    "cl": "3671529",
    "time_stamp": "Tue Oct 11 18:21:05 MDT 2022",
    "options": "/opt/xilinx/v++ --link --target hw --platform xilinx_u250_gen3x16_xdma_4_1_202210_1"
    " --config link.cfg -o build/vadd.xclbin vadd.xo --save-temps",
}


def build_metadata(
    vbnv: str,
    kernels: Sequence[dict[str, Any]] = (),
    *,
    platform: dict[str, Any] | None = None,
    generated: dict[str, Any] | None = None,
    regions: list[Any] | None = None,
    feature_rom_time: str = "1654006452",
) -> dict[str, Any]:
    """New-style BUILD_METADATA: platform facts under ``platform``, arrays as arrays."""
    plat = {
        "vendor": "xilinx",
        "board_id": vbnv.split("_")[1],
        "name": "gen3x16_xdma",
        "version_major": "4",
        "version_minor": "1",
        "board": {
            "name": "xilinx.com:au250:1.3",
            "vendor": "xilinx.com",
            "part": "xcu250-figd2104-2L-e",
            "board_part": "xilinx.com:au250:part0:1.3",
        },
        "generated_by": {
            "name": "Vivado",
            "version": "2022.1",
            "cl": "3526262",
            "time_stamp": "Wed May 25 18:10:40 2022",
            "ip_cl": "3524634",
        },
    }
    if platform is not None:
        plat = platform
    region = {"name": "OCL_REGION_0", "type": "clc_region", "kernels": list(kernels)}
    return {
        "schema_version": {"major": "1", "minor": "0", "patch": "0"},
        "build_metadata": {
            "dsa": {"feature_roms": [{"vbnvName": vbnv, "timeSinceEpoch": feature_rom_time}]},
            "platform": plat,
            "xclbin": {
                "generated_by": GENERATED if generated is None else generated,
                "user_regions": [region] if regions is None else regions,
            },
        },
    }


def mem_topology(banks: Sequence[tuple[str, str, int, int, bool]], key: str = "mem_topology"):
    """(tag, type, base address, size in KB, used) rows."""
    rows = [
        {
            "m_type": t,
            "m_used": "1" if used else "0",
            "m_sizeKB": f"0x{kb:x}",
            "m_tag": tag,
            "m_base_address": f"0x{base:x}",
        }
        for tag, t, base, kb, used in banks
    ]
    return {key: {"m_count": str(len(rows)), "m_mem_data": rows}}


def ip_kernel(name: str, base: int | None, control: str = "AP_CTRL_HS", irq: bool = True):
    return {
        "m_type": "IP_KERNEL",
        "m_int_enable": "1" if irq else "0",
        "m_interrupt_id": "0",
        "m_ip_control": control,
        "m_base_address": "not_used" if base is None else f"0x{base:x}",
        "m_name": name,
    }


def ip_layout(entries: Sequence[dict[str, str]]):
    return {"ip_layout": {"m_count": str(len(entries)), "m_ip_data": list(entries)}}


def connectivity(conns: Sequence[tuple[int, int, int]]):
    rows = [
        {"arg_index": str(a), "m_ip_layout_index": str(ip), "mem_data_index": str(m)}
        for a, ip, m in conns
    ]
    return {"connectivity": {"m_count": str(len(rows)), "m_connection": rows}}


def clocks(rows: Sequence[tuple[str, int, str]]):
    data = [{"m_freq_Mhz": str(f), "m_type": t, "m_name": n} for n, f, t in rows]
    return {"clock_freq_topology": {"m_count": str(len(data)), "m_clock_freq": data}}


def embedded_xml(vbnv: str, kernels: Sequence[dict[str, Any]], extra_arg: bool = False) -> str:
    """EMBEDDED_METADATA as v++ writes it: ``project/platform/device/core/kernel``."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<project name="corpus">',
        f'  <platform vendor="xilinx" boardid="u250" name="{vbnv}" featureRomTime="0">',
        '    <device name="fpga0" fpgaDevice="virtexuplus:xcu250:figd2104:-2L:e" addrWidth="0">',
        '      <core name="OCL_REGION_0" target="bitstream" type="clc_region">',
    ]
    for k in kernels:
        lines.append(
            f'        <kernel name="{k["name"]}" language="c" hwControlProtocol="ap_ctrl_hs">'
        )
        for p in k["ports"]:
            lines.append(
                f'          <port name="{p["name"]}" mode="{p["mode"]}" range="{p["range"]}" '
                f'dataWidth="{p["data_width"]}" portType="{p["port_type"]}" base="0x0"/>'
            )
        for a in k["arguments"]:
            lines.append(
                f'          <arg name="{a["name"]}" addressQualifier="{a["address_qualifier"]}" '
                f'id="{a["id"]}" port="{a["port"]}" size="{a["size"]}" offset="{a["offset"]}" '
                f'hostOffset="0x0" hostSize="{a["size"]}" type={quoteattr(a["type"])}/>'
            )
        if extra_arg:  # an OpenCL-style argument without an id: XRT does not count it
            lines.append(
                '          <arg name="local_size" addressQualifier="0" id="" port="S_AXI_CONTROL" '
                'size="0x4" offset="0x40" hostOffset="0x0" hostSize="0x4" type="uint"/>'
            )
        for inst in k["instances"]:
            lines.append(f'          <instance name="{inst["name"]}"/>')
        lines.append("        </kernel>")
    lines += ["      </core>", "    </device>", "  </platform>", "</project>", ""]
    return "\n".join(lines)

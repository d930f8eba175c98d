"""``jupyter-fpga xclbin-info --json``: the ``--info`` report as data, plus XRT's view.

The text report shows what xclbinutil shows; a program reading JSON also wants
what XRT's runtime will see when it loads the file, which is not the same
thing: XRT takes kernels and argument counts from EMBEDDED_METADATA (not
BUILD_METADATA) and memory banks from GROUP_TOPOLOGY, bank groups included.
The ``xrt`` block holds that view (what ``pyxrt.xclbin`` returns), and says if
XRT would refuse the file altogether.
"""

from __future__ import annotations

from typing import Any

from . import info_facts as facts
from .model import MemBank, Xclbin
from .ptree import PTree


def _hex(n: int | None) -> str:
    return "not_used" if n is None else f"0x{n:x}"


def _bank(m: MemBank) -> dict[str, Any]:
    return {
        "name": m.tag,
        "index": m.index,
        "type": m.type,
        "base_address": _hex(m.base_address),
        "address_size": _hex(m.size_kb * 1024),
        "used": m.used,
    }


_STREAMS = ("MEM_STREAMING", "MEM_STREAMING_CONNECTION")
_NO_ADDRESS = 2**64 - 1


def _xrt_mem(m: MemBank) -> dict[str, Any]:
    """A bank as ``xclbin.get_mems()`` gives it: streams have no address (all ones) nor size."""
    stream = m.type in _STREAMS
    return {
        "tag": m.tag,
        "index": m.index,
        "used": m.used,
        "base_address": _NO_ADDRESS if stream else m.base_address,
        "size_kb": 0 if stream else m.size_kb,
    }


def _kernels(x: Xclbin, meta: PTree | None) -> list[dict[str, Any]]:
    """BUILD_METADATA's kernels with their instances, as the text report lists them."""
    banks: dict[tuple[str, int], list[str]] = {}
    for c in x.connectivity:
        m = x.mem_topology[c.mem_index]
        banks.setdefault((x.ip_layout[c.ip_index].name, c.arg_index), []).append(
            f"{m.tag} ({m.type})"
        )
    base_of: dict[str, str] = {}
    for ip in x.ip_layout:
        base_of.setdefault(ip.name, facts.base_address(ip))
    xclbin = meta.find("xclbin") if meta else None
    out = []
    for region in xclbin.vector("user_regions") if xclbin else []:
        for k in region.vector("kernels"):
            name, args = k.get("name"), k.vector("arguments")
            signature = ", ".join(f"{a.get('type')} {a.get('name')}" for a in args)
            out.append(
                {
                    "name": name,
                    "signature": f"{name} ({signature})",
                    "ports": [{key: p.get(key) for key in _PORT_KEYS} for p in k.vector("ports")],
                    "instances": [
                        {
                            "name": inst.get("name"),
                            "base_address": base_of.get(f"{name}:{inst.get('name')}", "--"),
                            "arguments": [
                                {
                                    "name": a.get("name"),
                                    "type": a.get("type"),
                                    "register_offset": a.get("offset"),
                                    "port": a.get("port"),
                                    "memory": banks.get((f"{name}:{inst.get('name')}", i), []),
                                }
                                for i, a in enumerate(args)
                            ],
                        }
                        for inst in k.vector("instances")
                    ],
                }
            )
    return out


_PORT_KEYS = ("name", "mode", "range", "data_width", "port_type")


def _generated_by(meta: PTree | None) -> dict[str, str]:
    tree = meta or PTree()
    return {
        "command": tree.get("xclbin.generated_by.name", ""),
        "version": tree.get("xclbin.generated_by.version", "--"),
        "time_stamp": tree.get("xclbin.generated_by.time_stamp", "--"),
        "cl": tree.get("xclbin.generated_by.cl", "--"),
        "options": tree.get("xclbin.generated_by.options", ""),
    }


def _platform(x: Xclbin, meta: PTree | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if meta is not None:
        value = facts.platform_value
        out = {
            "vendor": value(meta, "vendor"),
            "board": value(meta, "board_id"),
            "name": value(meta, "name"),
            "version": f"{value(meta, 'version_major')}.{value(meta, 'version_minor')}",
            "generated_version": facts.generated_version(meta),
            "created": value(meta, "generated_by.time_stamp"),
            "fpga_device": facts.fpga_device(meta),
            "board_vendor": value(meta, "board.vendor"),
            "board_name": value(meta, "board.name"),
            "board_part": value(meta, "board.board_part"),
        }
    return out | {
        "vbnv": x.platform_vbnv or "<not defined>",
        "static_uuid": facts.static_uuid(x),
        "header_interface_uuid": x.interface_uuid,
        "feature_rom_timestamp": x.feature_rom_timestamp,
    }


def info_dict(x: Xclbin) -> dict[str, Any]:
    meta = facts.meta_tree(x)
    names = facts.metadata_kernel_names(meta)
    return {
        "file": x.source,
        "build_metadata_present": meta is not None,
        "xclbin": {
            "generated_by": facts.generated_by_line(meta),
            "version": x.version_string,
            "kernels": names,
            "signature": facts.signature_state(x),
            "action_mask": x.action_mask,
            "action_masks": facts.action_masks(x.action_mask),
            "content": x.content,
            "uuid": x.uuid,
            "interface_uuids": [u for group in x.partition_interfaces for u in group if u],
            "sections": facts.section_names(x),
            "sections_added_by_xclbinutil": facts.sections_added_in_memory(x),
            "mode": x.mode_name,
            "emulation": x.emulation,
        },
        "platform": _platform(x, meta),
        "clocks": [
            {"name": c.name, "index": c.index, "type": c.type, "freq_mhz": c.freq_mhz}
            for c in x.clocks
        ],
        "system_clocks": [c.__dict__ for c in x.system_clocks],
        "memory": [_bank(m) for m in x.mem_topology],
        "kernels": _kernels(x, meta),
        "other_ips": [
            {"kernel": k, "instance": i, "base_address": facts.base_address(ip)}
            for ip in x.ip_layout
            for k, colon, i in [ip.name.partition(":")]
            if colon and k not in (names or [])
        ],
        "generated_by": _generated_by(meta),
        "keyvalues": [{"key": k, "value": v} for k, v in x.keyvalues],
        "debug_ips": [d.__dict__ for d in x.debug_ips],
        "xrt": {
            "uuid": x.uuid,
            "xsa_name": x.platform_vbnv,
            "kernels": [{"name": k.name, "num_args": k.num_args} for k in x.xrt_kernels],
            "mems": [_xrt_mem(m) for m in x.xrt_mems],
            "refusal": x.xrt_refusal,
        },
    }

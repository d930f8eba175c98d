"""``xclbinutil --info``, reproduced: the same blocks, labels and order.

``info_text`` prints what xclbinutil prints (column widths included) so people
who know that tool can read ours; ``info_dict`` is the same report as data for
``--json``. The only deliberate difference is the first block: we name our own
reader instead of an XRT build, because we are not XRT.
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from . import format as fmt
from .model import Xclbin

RULE = "=" * 78


def _meta(x: Xclbin, dotted: str, default: str = "--") -> str:
    """Look up ``platform.<dotted>`` then ``dsa.<dotted>``, as xclbinutil does."""
    for root in ("platform", "dsa"):
        node: Any = (x.build_metadata or {}).get(root)
        for key in dotted.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None and not isinstance(node, (dict, list)):
            return str(node)
    return default


def _generated(x: Xclbin, key: str, default: str = "") -> str:
    node: Any = (x.build_metadata or {}).get("xclbin")
    node = node.get("generated_by") if isinstance(node, dict) else None
    value = node.get(key) if isinstance(node, dict) else None
    return default if value is None or isinstance(value, (dict, list)) else str(value)


def _hex(n: int | None) -> str:
    return "not_used" if n is None else f"0x{n:x}"


def info_dict(x: Xclbin) -> dict[str, Any]:
    tool = _generated(x, "name")
    mem_type = {m.tag: m.type for m in x.mem_topology}
    part = _meta(x, "board.part")
    kernels = []
    for k in x.kernels:
        kernels.append(
            {
                "name": k.name,
                "signature": k.signature,
                "ports": [p.__dict__ for p in k.ports],
                "instances": [
                    {
                        "name": inst.name,
                        "base_address": _hex(inst.base_address)
                        if inst.control_protocol is not None
                        else "--",
                        "control_protocol": inst.control_protocol,
                        "interrupt": inst.interrupt,
                        "arguments": [
                            {
                                "name": a.name,
                                "type": a.type,
                                "register_offset": a.offset,
                                "port": a.port,
                                "memory": [
                                    f"{tag} ({mem_type.get(tag, '?')})"
                                    for tag in inst.memory.get(a.index, ())
                                ],
                            }
                            for a in k.args
                        ],
                    }
                    for inst in k.instances
                ],
            }
        )
    return {
        "file": x.source,
        "build_metadata_present": x.build_metadata is not None,
        "xclbin": {
            "generated_by": f"{tool} ({_generated(x, 'version')}) on {_generated(x, 'time_stamp')}"
            if tool
            else "<unknown>",
            "version": x.version_string,
            "kernels": [k.name for k in x.kernels] if x.build_metadata is not None else None,
            "signature": "" if x.signature_length < 0 else f"Present - {x.signature_length} bytes",
            "action_mask": x.action_mask,
            "content": x.content,
            "uuid": x.uuid,
            "sections": [_kind(s.kind) for s in x.sections],
            "mode": x.mode_name,
            "emulation": x.emulation,
        },
        "platform": {
            "vendor": _meta(x, "vendor"),
            "board": _meta(x, "board_id"),
            "name": _meta(x, "name"),
            "version": f"{_meta(x, 'version_major')}.{_meta(x, 'version_minor')}",
            "created": _meta(x, "generated_by.time_stamp"),
            "fpga_device": part.split("-", 1)[0] if part != "--" and "-" in part else "--",
            "board_vendor": _meta(x, "board.vendor"),
            "board_name": _meta(x, "board.name"),
            "board_part": _meta(x, "board.board_part"),
            "vbnv": x.platform_vbnv or "<not defined>",
            "static_uuid": x.interface_uuid,
            "feature_rom_timestamp": x.feature_rom_timestamp,
        },
        "clocks": [c.__dict__ for c in x.clocks],
        "system_clocks_section": x.section("SYSTEM_METADATA") is not None,
        "memory": [
            {
                "name": m.tag,
                "index": m.index,
                "type": m.type,
                "base_address": _hex(m.base_address),
                "address_size": _hex(m.size_kb * 1024),
                "used": m.used,
            }
            for m in x.mem_topology
        ],
        "kernels": kernels,
        "generated_by": {
            "command": tool,
            "version": _generated(x, "version", "--"),
            "time_stamp": _generated(x, "time_stamp", "--"),
            "cl": _generated(x, "cl", "--"),
            "options": _generated(x, "options"),
        },
        "keyvalues": [{"key": k, "value": v} for k, v in x.keyvalues],
        "debug_ips": [d.__dict__ for d in x.debug_ips],
    }


def _kind(kind: int) -> str:
    return fmt.INFO_KIND_NAMES.get(kind, fmt.SECTION_KINDS.get(kind, f"UNKNOWN_{kind}"))


def _wrap_sections(names: list[str], width: int = 54) -> list[str]:
    """xclbinutil's wrap: tokens keep their ', ', a line grows while it stays <= 54."""
    tokens = [n + ", " for n in names[:-1]] + names[-1:]
    lines: list[str] = []
    for t in tokens:
        if lines and len(lines[-1]) + len(t) <= width:
            lines[-1] += t
        else:
            lines.append(t)
    return lines


def _row(label: str, value: Any, width: int = 23) -> str:
    return f"   {label:<{width}} {value}\n"


def info_text(x: Xclbin) -> str:
    d = info_dict(x)
    out = [
        "\n",
        RULE + "\n",
        f"{'Reader Version':>17}: jupyter-fpga {__version__} (pure Python, not XRT)\n",
    ]
    out.append(RULE + "\n")
    if x.build_metadata is None:
        out.append("The BUILD_METADATA section is not present. Reports will be limited.\n")
        out.append(RULE + "\n")
    xi = d["xclbin"]
    out += ["xclbin Information\n", "------------------\n"]
    out.append(_row("Generated by:", xi["generated_by"]))
    out.append(_row("Version:", xi["version"]))
    out.append(_row("Kernels:", "<unknown>" if xi["kernels"] is None else ", ".join(xi["kernels"])))
    out.append(_row("Signature:", xi["signature"]))
    if x.action_mask:
        out.append(_row("Action Mask(s):", "LOAD_AIE " if x.action_mask & 1 else ""))
    out.append(_row("Content:", xi["content"]))
    out.append(_row("UUID (xclbin):", xi["uuid"]))
    for i, line in enumerate(_wrap_sections(xi["sections"])):
        out.append(_row("Sections:" if i == 0 else "", line))
    out.append(RULE + "\n")

    p = d["platform"]
    out += ["Hardware Platform (Shell) Information\n", "-------------------------------------\n"]
    if x.build_metadata is not None:
        gen = f"{_meta(x, 'generated_by.name')} {_meta(x, 'generated_by.version')} (SW Build: {_meta(x, 'generated_by.cl')}"
        ip_cl = _meta(x, "generated_by.ip_cl")
        gen += ("; " + ip_cl if ip_cl != "--" else "") + ")"
        for label, value in (
            ("Vendor:", p["vendor"]),
            ("Board:", p["board"]),
            ("Name:", p["name"]),
            ("Version:", p["version"]),
            ("Generated Version:", gen),
            ("Created:", p["created"]),
            ("FPGA Device:", p["fpga_device"]),
            ("Board Vendor:", p["board_vendor"]),
            ("Board Name:", p["board_name"]),
            ("Board Part:", p["board_part"]),
        ):
            out.append(_row(label, value))
    out.append(_row("Platform VBNV:", p["vbnv"]))
    out.append(_row("Static UUID:", p["static_uuid"]))
    out.append(_row("Feature ROM TimeStamp:", p["feature_rom_timestamp"]))
    out.append("\n")

    out += ["Scalable Clocks\n", "---------------\n"]
    if not x.clocks:
        out.append("   No scalable clock data available.\n")
    for c in x.clocks:
        if c.index:
            out.append("\n")
        out += [_row("Name:", c.name, 10), _row("Index:", c.index, 10)]
        out += [_row("Type:", c.type, 10), _row("Frequency:", f"{c.freq_mhz} MHz", 10)]
    out += ["\n", "System Clocks\n", "------\n"]
    if d["system_clocks_section"]:
        out.append("   SYSTEM_METADATA present; this reader does not decode it.\n")
    else:
        out.append("   No system clock data available.\n")
    out.append("\n")

    out += ["Memory Configuration\n", "--------------------\n"]
    if not x.mem_topology:
        out.append("   No memory configuration data available.\n")
    for i, m in enumerate(d["memory"]):
        if i:
            out.append("\n")
        out += [_row("Name:", m["name"], 13), _row("Index:", m["index"], 13)]
        out += [_row("Type:", m["type"], 13), _row("Base Address:", m["base_address"], 13)]
        out += [_row("Address Size:", m["address_size"], 13)]
        out += [_row("Bank Used:", "Yes" if m["used"] else "No", 13)]
    out.append(RULE + "\n")

    if x.build_metadata is not None:
        out += _kernels_text(d["kernels"])
        out.append(RULE + "\n")
        out += _generated_text(d["generated_by"])
        out.append(RULE + "\n")

    out += ["User Added Key Value Pairs\n", "--------------------------\n"]
    if not x.keyvalues:
        out.append("   <empty>\n")
    for i, (k, v) in enumerate(x.keyvalues, 1):
        out.append(f"   {i}) '{k}' = '{v}'\n")
    out.append(RULE + "\n")
    return "".join(out)


def _kernels_text(kernels: list[dict[str, Any]]) -> list[str]:
    if not kernels:
        return ["Kernel(s): <None Found>\n"]
    out = []
    for k in kernels:
        out += [f"Kernel: {k['name']}\n", "\n", "Definition\n", "----------\n"]
        out += [f"   Signature: {k['signature']}\n", "\n", "Ports\n", "-----\n"]
        for i, port in enumerate(k["ports"]):
            if i:
                out.append("\n")
            out += [_row("Port:", port["name"], 14), _row("Mode:", port["mode"], 14)]
            out += [_row("Range (bytes):", port["range"], 14)]
            out += [_row("Data Width:", f"{port['data_width']} bits", 14)]
            out += [_row("Port Type:", port["port_type"], 14)]
        out.append("\n")
        for i, inst in enumerate(k["instances"]):
            if i:
                out.append("\n")
            out += ["--------------------------\n", f"{'Instance:':<16} {inst['name']}\n"]
            out += [_row("Base Address:", inst["base_address"], 13), "\n"]
            for j, a in enumerate(inst["arguments"]):
                if j:
                    out.append("\n")
                out += [_row("Argument:", a["name"], 18)]
                out += [_row("Register Offset:", a["register_offset"], 18)]
                out += [_row("Port:", a["port"], 18)]
                for mem in a["memory"] or ["<not applicable>"]:
                    out.append(_row("Memory:", mem, 18))
    return out


def _generated_text(g: dict[str, str]) -> list[str]:
    out = ["Generated By\n", "------------\n"]
    if not g["command"]:
        return [*out, "   < Data not available >\n"]
    out.append(_row("Command:", g["command"], 14))
    out.append(_row("Version:", f"{g['version']} - {g['time_stamp']} (SW BUILD: {g['cl']})", 14))
    cmdline = g["options"]
    opts = cmdline.split(" ", 1)[1] if " " in cmdline else cmdline
    out.append(_row("Command Line:", f"{g['command']} {opts}", 14))
    parts = cmdline.split(" -")
    for i, opt in enumerate(parts[1:]):
        out.append(_row("Options:" if i == 0 else "", "-" + opt, 14))
    return out

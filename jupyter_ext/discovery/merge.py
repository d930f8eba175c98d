"""Join what sysfs, device nodes, plugin env variables and pyxrt say into devices.

Pure: every input is passed in, so tests feed it sysfs trees and fake probe
results and check the joined answer. Assignment rule: a board belongs to this
pod when one of its device nodes is mounted in the container, when the device
plugin names it in the environment, or when XRT could open it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import boards
from .devnodes import DevNode
from .envconv import EnvFacts, bdf_matches
from .model import Device
from .sysfs import PciFpga


def _from_pci(p: PciFpga) -> Device:
    d = Device(id=p.user_bdf or p.mgmt_bdf)
    paths = p.paths
    d.set("bdf", p.user_bdf, "sysfs", str(paths.get("device_id", "")).rsplit("/", 1)[0])
    d.set("mgmt_bdf", p.mgmt_bdf, "sysfs")
    d.set("vendor_id", p.vendor_id, "sysfs", "vendor")
    d.set("vendor", boards.VENDORS.get(p.vendor_id, ""), "sysfs", "from the PCI vendor id")
    d.set("device_id", p.device_id, "sysfs", paths.get("device_id", ""))
    d.set("platform", p.vbnv, p.vbnv_source or "sysfs", paths.get("platform", ""))
    d.set(
        "shell_timestamp", p.timestamp, p.vbnv_source or "sysfs", paths.get("shell_timestamp", "")
    )
    d.set("resource", _advertised(p), "sysfs", "amd.com/<rom VBNV>-<rom timestamp>")
    d.set("logic_uuids", p.logic_uuids, "sysfs", paths.get("logic_uuids", ""))
    d.set("serial", p.serial, "sysfs", paths.get("serial", ""))
    board = boards.board_from_vbnv(p.vbnv) or p.board_hint
    d.set("board", board, "sysfs", "from the shell VBNV" if p.vbnv else "from the PCI device id")
    d.set("board_name", boards.BOARD_NAMES.get(board, ""), "sysfs", "known board table")
    temps = [v for k, v in p.sensors.items() if k.endswith("temp_c")]
    powers = [v for k, v in p.sensors.items() if k.endswith("power_w")]
    where = paths.get("sensors", "")
    d.set("temperature_c", max(temps) if temps else None, "sysfs", f"hwmon (hottest) {where}")
    d.set("power_w", max(powers) if powers else None, "sysfs", f"hwmon {where}")
    d.set("sensors", dict(p.sensors), "sysfs", where)
    d.set("xclbin_uuid", p.xclbin_uuid, "sysfs", paths.get("xclbin_uuid", ""))
    return d


def _advertised(p: PciFpga) -> str:
    """The resource the AMD device plugin offers this board as (it needs a user function)."""
    if not (p.user_bdf and p.vbnv and p.timestamp) or p.vendor_id not in boards.XRT_VENDORS:
        return ""
    try:
        return boards.amd_resource_name(p.vbnv, p.timestamp)
    except ValueError:
        return ""


def build_devices(
    pci: list[PciFpga],
    nodes: list[DevNode],
    env: EnvFacts,
    xrt: dict[str, Any],
    drm_vendor: Callable[[str], str | None],
) -> tuple[list[Device], dict[str, Any]]:
    """All FPGA devices known from any source, and what was seen but not used."""
    devices: list[Device] = []
    unused = {"ignored_nodes": [], "unidentified_nodes": [], "unlinked_nodes": []}
    by_kind: dict[str, dict[str, DevNode]] = {}
    for n in nodes:
        by_kind.setdefault(n.kind, {})[n.name] = n
    linked: set[str] = set()

    def link(d: Device, kind: str, name: str, fact: str, expected: str) -> None:
        node = by_kind.get(kind, {}).get(name)
        if node is None:
            d.set(
                f"{fact}_expected",
                expected,
                "sysfs",
                "named by sysfs, not present in this container",
            )
            return
        d.set(fact, node.path, "devnode", "character device" if node.char_device else "file")
        d.assigned = True
        linked.add(node.path)

    intel_pci = []
    for p in pci:
        d = _from_pci(p)
        if p.render_node:
            link(d, "render", p.render_node, "render_node", f"/dev/dri/{p.render_node}")
        if p.mgmt_instance:
            link(
                d,
                "xclmgmt",
                f"xclmgmt{p.mgmt_instance}",
                "mgmt_node",
                f"/dev/xclmgmt{p.mgmt_instance}",
            )
        if p.qdma_node:
            link(d, "qdma", p.qdma_node, "qdma_node", f"/dev/xfpga/{p.qdma_node}")
        if p.vendor_id == boards.INTEL:
            intel_pci.append(d)
        devices.append(d)

    for n in nodes:
        if n.path in linked:
            continue
        if n.kind == "render":
            vendor = (drm_vendor(n.name) or "").lower()
            if vendor and vendor not in boards.XRT_VENDORS:
                unused["ignored_nodes"].append(
                    f"{n.path}: PCI vendor {vendor}, not an FPGA (a GPU?)"
                )
            elif vendor:
                d = Device(id=f"node:{n.name}", assigned=True)
                d.set("render_node", n.path, "devnode")
                d.set("vendor_id", vendor, "sysfs", f"class/drm/{n.name}/device/vendor")
                devices.append(d)
            else:
                unused["unidentified_nodes"].append(f"{n.path}: no sysfs entry says what it is")
        elif n.kind == "xclmgmt":
            d = Device(id=n.name, assigned=True)
            d.set("mgmt_node", n.path, "devnode")
            d.set("vendor", boards.VENDORS[boards.XILINX], "devnode", "xclmgmt is XRT's driver")
            devices.append(d)
        elif n.kind in ("dfl-port", "intel-fpga-port"):
            d = intel_pci.pop(0) if intel_pci else None
            if d is None:
                d = Device(id=f"{n.kind}.{n.index}")
                d.set("vendor", "Intel", "devnode", "Intel FPGA port node")
                devices.append(d)
            d.set("port_node", n.path, "devnode")
            d.assigned = True
        else:
            unused["unlinked_nodes"].append(n.path)

    _apply_env(devices, env)
    _apply_xrt(devices, xrt)
    return devices, unused


def _apply_env(devices: list[Device], env: EnvFacts) -> None:
    for unit, var in env.units:
        d = next(
            (
                d
                for d in devices
                if bdf_matches(unit, d.get("bdf", "")) or bdf_matches(unit, d.get("mgmt_bdf", ""))
            ),
            None,
        )
        if d is None:
            d = Device(id=unit)
            devices.append(d)
        d.set("plugin_unit", unit, "env", var)
        d.assigned = True
    intel = [d for d in devices if d.get("vendor") == "Intel" or d.get("vendor_id") == boards.INTEL]
    for n, ids in sorted(env.intel.items(), key=lambda kv: int(kv[0])):
        d = intel.pop(0) if intel else None
        if d is None:
            d = Device(id=f"intel-region-{n}", assigned=True)
            d.set("vendor", "Intel", "env", f"FPGA_REGION_{n}")
            devices.append(d)
        d.set("fpga_region", ids.get("region"), "env", f"FPGA_REGION_{n}")
        d.set("fpga_afu", ids.get("afu"), "env", f"FPGA_AFU_{n}")
        d.assigned = True


def _apply_xrt(devices: list[Device], xrt: dict[str, Any]) -> None:
    for x in xrt.get("devices", []):
        bdf = x.get("bdf", "")
        d = next((d for d in devices if bdf and bdf_matches(bdf, d.get("bdf", ""))), None)
        if d is None:
            d = Device(id=bdf or f"xrt:{x['index']}")
            devices.append(d)
        call = f"pyxrt.device({x['index']}).get_info"
        d.set("bdf", bdf, "pyxrt", call)
        d.set("xrt_index", x["index"], "pyxrt", "pyxrt.device(index)")
        d.set("xrt_name", x.get("name"), "pyxrt", f"{call}(name)")
        d.set("platform", x.get("platform"), "pyxrt", f"{call}(platform)")
        board = boards.board_from_vbnv(x.get("platform") or "")
        d.set("board", board, "pyxrt", "from the platform VBNV")
        d.set("board_name", boards.BOARD_NAMES.get(board, ""), "pyxrt", "known board table")
        d.set("xclbin_uuid", x.get("xclbin_uuid"), "pyxrt", f"{call}(dynamic_regions)")
        d.set("temperature_c", x.get("temperature_c"), "pyxrt", f"{call}(thermal)")
        d.set("power_w", x.get("power_w"), "pyxrt", f"{call}(electrical)")
        d.set("xrt_errors", x.get("errors") or None, "pyxrt", call)
        if not x.get("errors", {}).get("device"):
            d.assigned = True  # XRT could open it from inside this container


def health(d: Device) -> dict[str, Any]:
    """A plain status per device, with the readings it is based on."""
    notes: list[str] = []
    if d.emulated:
        status = "emulated"
        notes.append("CPU model of the board; no FPGA hardware is used")
    elif (errs := d.get("xrt_errors")) and "device" in errs:
        status = "error"
        notes.append(f"XRT could not open the device: {errs['device']}")
    elif not d.assigned:
        status = "not assigned to this pod"
    elif any(d.get(k) for k in ("render_node", "mgmt_node", "port_node", "xrt_name")):
        status = "ok"
    else:
        status = "unknown"
        notes.append("named by the device plugin, but no device node or sysfs entry was found")
    if d.get("xrt_errors") and status != "error":
        notes.append("some XRT queries failed: " + ", ".join(sorted(d.get("xrt_errors"))))
    return {
        "status": status,
        "temperature_c": d.get("temperature_c"),
        "power_w": d.get("power_w"),
        "notes": notes,
    }

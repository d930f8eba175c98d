"""Read FPGAs from sysfs the way the AMD-Xilinx device plugin does.

``<sysfs>/bus/pci/devices/*``: keep functions whose ``vendor`` is Xilinx, AWS,
Advantech or Arista; a ``user_pf`` file marks the user function (shell VBNV and
timestamp under ``rom*/``, ``logic_uuids``, ``device``, serial number under
``xmc.u.*/serial_num``, render node under ``drm/renderD*``, loaded xclbin in
``xclbinuuid``), a ``mgmt_pf`` file the management function (``instance`` ->
``/dev/xclmgmt<instance>``). Functions pair up by domain:bus:device. AWS F1
and F2 boards have only a user function, with the VBNV and timestamp xocl
writes for them; AWS and Intel FPGA functions are recognised by PCI ID.
Temperatures and power come from ``hwmon``. Nothing here raises: an unreadable
file is a missing fact.

Note: in a container ``/sys`` shows every board on the node, not just the ones
given to this pod; ``merge`` decides assignment from the device nodes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from . import boards

MAX_FUNCTIONS = 4096  # a PCI tree larger than this is not a real machine
MAX_HWMON_FILES = 64


@dataclass
class PciFpga:
    """One FPGA board as sysfs describes it (user and management functions joined)."""

    dbd: str  # domain:bus:device, shared by both functions
    vendor_id: str
    user_bdf: str = ""
    mgmt_bdf: str = ""
    device_id: str = ""
    vbnv: str = ""
    vbnv_source: str = ""
    timestamp: str = ""
    logic_uuids: list[str] = field(default_factory=list)
    serial: str = ""
    render_node: str = ""  # e.g. renderD128
    mgmt_instance: str = ""
    qdma_node: str = ""  # e.g. dma.qdma.u15104.0, when the user PF has a QDMA engine
    xclbin_uuid: str = ""
    board_hint: str = ""  # board slug from the PCI id (Intel, AWS)
    sensors: dict[str, float] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # fact name -> file it came from


def _read(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read(4096).decode("utf-8", "replace").strip()
    except OSError:
        return None


def _first_with_prefix(directory: Path, prefix: str) -> str:
    """The plugin's GetFileNameFromPrefix: first directory entry (sorted) with the prefix."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return ""
    return next((n for n in names if n.startswith(prefix)), "")


def qdma_instance(bdf: str) -> str:
    """The plugin's GetInstance: domain*65536 + bus*256 + device*8 + function."""
    try:
        domain, bus, rest = bdf.split(":")
        dev, fn = rest.split(".")
        return str(int(domain, 16) * 65536 + int(bus, 16) * 256 + int(dev, 16) * 8 + int(fn, 16))
    except ValueError:
        return ""


def _hwmon(pf: Path, fpga: PciFpga, role: str) -> None:
    """temp*_input (millidegrees C) and power*_input (microwatts) under hwmon."""
    dirs = list(pf.glob("hwmon/hwmon*")) + list(pf.glob("*/hwmon/hwmon*"))
    for d in sorted(dirs)[:8]:
        files = sorted(p.name for p in d.iterdir() if p.name.endswith("_input"))[:MAX_HWMON_FILES]
        for name in files:
            raw = _read(d / name)
            try:
                value = int(raw or "")
            except ValueError:
                continue
            label = _read(d / name.replace("_input", "_label")) or name.removesuffix("_input")
            if name.startswith("temp"):
                key = f"{role}:{label}:temp_c"
                fpga.sensors[key] = value / 1000.0
            elif name.startswith("power"):
                key = f"{role}:{label}:power_w"
                fpga.sensors[key] = value / 1_000_000.0
            else:
                continue
            fpga.paths.setdefault("sensors", str(d))


def scan_pci(sysfs_root: str | os.PathLike[str] = "/sys") -> tuple[list[PciFpga], list[str]]:
    """FPGAs in sysfs, and notes on FPGA-vendor functions that have no XRT driver."""
    base = Path(sysfs_root, "bus", "pci", "devices")
    try:
        names = sorted(os.listdir(base))[:MAX_FUNCTIONS]
    except OSError:
        return [], []
    found: dict[str, PciFpga] = {}
    notes: list[str] = []
    for bdf in names:
        pf = base / bdf
        vendor = (_read(pf / "vendor") or "").lower()
        device = (_read(pf / "device") or "").lower()
        is_user, is_mgmt = (pf / "user_pf").exists(), (pf / "mgmt_pf").exists()
        aws_board = boards.AWS_FPGA_DEVICE_IDS.get(device, "") if vendor == boards.AWS else ""
        intel = vendor == boards.INTEL and device in boards.INTEL_FPGA_DEVICE_IDS
        if vendor not in boards.XRT_VENDORS and not intel:
            continue
        if vendor == boards.AWS and not (aws_board or is_user or is_mgmt):
            continue  # ENA, NVMe and other AWS functions
        dbd = bdf.rsplit(".", 1)[0]
        fpga = found.setdefault(dbd, PciFpga(dbd=dbd, vendor_id=vendor))
        if is_mgmt:
            fpga.mgmt_bdf = bdf
            fpga.mgmt_instance = _read(pf / "instance") or ""
            fpga.paths["mgmt_instance"] = str(pf / "instance")
            _hwmon(pf, fpga, "mgmt")
            continue
        if not (is_user or intel):
            if vendor == boards.XILINX or aws_board:
                what = boards.BOARD_NAMES.get(aws_board, "Xilinx")
                notes.append(
                    f"{what} PCI function {bdf} (device {device or '?'}) has no XRT driver bound "
                    "(no user_pf or mgmt_pf in sysfs), so the AMD device plugin does not offer it"
                )
                if not fpga.user_bdf and not fpga.mgmt_bdf:
                    del found[dbd]
            continue
        fpga.user_bdf, fpga.device_id = bdf, device
        fpga.paths["device_id"] = str(pf / "device")
        fpga.board_hint = boards.INTEL_FPGA_DEVICE_IDS[device] if intel else aws_board
        rom = _first_with_prefix(pf, "rom")
        if rom:
            fpga.vbnv = _read(pf / rom / "VBNV") or ""
            fpga.timestamp = _read(pf / rom / "timestamp") or ""
            fpga.vbnv_source, fpga.paths["platform"] = "sysfs", str(pf / rom / "VBNV")
            fpga.paths["shell_timestamp"] = str(pf / rom / "timestamp")
        uuids = _read(pf / "logic_uuids")
        if uuids:
            fpga.logic_uuids = uuids.split()
            fpga.paths["logic_uuids"] = str(pf / "logic_uuids")
        xmc = _first_with_prefix(pf, "xmc.u.")
        if xmc and (sn := _read(pf / xmc / "serial_num")):
            fpga.serial, fpga.paths["serial"] = sn, str(pf / xmc / "serial_num")
        render = _first_with_prefix(pf / "drm", "renderD")
        if render:
            fpga.render_node, fpga.paths["render_node"] = render, str(pf / "drm" / render)
        if _first_with_prefix(pf, "dma.qdma.u"):
            fpga.qdma_node = f"dma.qdma.u{qdma_instance(bdf)}.0"
            fpga.paths["qdma_node"] = str(pf)
        xu = _read(pf / "xclbinuuid")
        if xu and xu.strip("0-"):
            fpga.xclbin_uuid, fpga.paths["xclbin_uuid"] = xu.lower(), str(pf / "xclbinuuid")
        _hwmon(pf, fpga, "user")
    return list(found.values()), notes


def drm_vendor(sysfs_root: str | os.PathLike[str], node: str) -> str | None:
    """PCI vendor behind ``/dev/dri/<node>`` (GPU or FPGA?), from ``/sys/class/drm``."""
    return _read(Path(sysfs_root, "class", "drm", node, "device", "vendor"))

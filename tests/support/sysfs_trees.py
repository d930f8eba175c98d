"""Directory trees that mirror real /sys and /dev layouts of FPGA hosts.

Functions live under ``sys/devices/pci0000:xx/...`` and ``sys/bus/pci/devices``
holds symlinks to them, as on a real machine. Values (vendor/device ids, VBNV
names, the xclmgmt instance numbering) are those of real Alveo hosts and of AWS
F1/F2 instances as XRT's xocl driver presents them.
"""

from __future__ import annotations

import os
from pathlib import Path

U250_VBNV = "xilinx_u250_gen3x16_xdma_shell_4_1"
U280_VBNV = "xilinx_u280_gen3x16_xdma_base_1"
U200_VBNV = "xilinx_u200_gen3x16_xdma_base_2"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


class Host:
    """A fake host: ``.sys`` and ``.dev`` are the roots to hand to ``discover``."""

    def __init__(self, root: Path):
        self.root = root
        self.sys = root / "sys"
        self.dev = root / "dev"
        (self.sys / "bus" / "pci" / "devices").mkdir(parents=True)
        self.dev.mkdir()

    def function(self, bdf: str, vendor: str, device: str) -> Path:
        bus = bdf.split(":")[1]
        real = self.sys / "devices" / f"pci0000:{bus}" / bdf
        real.mkdir(parents=True)
        _write(real / "vendor", vendor)
        _write(real / "device", device)
        link = self.sys / "bus" / "pci" / "devices" / bdf
        os.symlink(os.path.relpath(real, link.parent), link)
        return real

    def node(self, rel: str) -> Path:
        p = self.dev / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")
        return p

    def alveo(
        self,
        dbd: str,
        vbnv: str,
        *,
        render: int,
        mgmt_dev: str = "0x5004",
        user_dev: str = "0x5005",
        serial: str = "21770297400K",
        mount: bool = True,
        qdma: bool = False,
        temp_mc: int = 41000,
        power_uw: int = 23_500_000,
        xclbin_uuid: str = "00000000-0000-0000-0000-000000000000",
        vm: bool = False,
    ) -> dict[str, str]:
        """An Alveo card as XRT's xocl/xclmgmt drivers publish it (mgmt PF .0, user PF .1)."""
        user_bdf, mgmt_bdf = f"{dbd}.1", f"{dbd}.0"
        domain, bus, dev = dbd.split(":")[0], dbd.split(":")[1], dbd.split(":")[2]
        inst = int(domain, 16) * 65536 + int(bus, 16) * 256 + int(dev, 16) * 8
        if not vm:
            m = self.function(mgmt_bdf, "0x10ee", mgmt_dev)
            _write(m / "mgmt_pf", "")
            _write(m / "instance", str(inst))
            hw = m / f"xmc.m.{inst}" / "hwmon" / "hwmon3"
            _write(hw / "temp1_input", str(temp_mc))
            _write(hw / "temp1_label", "FPGA")
            _write(hw / "temp2_input", str(temp_mc - 6000))
            _write(hw / "temp2_label", "Board")
            _write(hw / "power1_input", str(power_uw))
            if mount:
                self.node(f"xclmgmt{inst}")
        u = self.function(user_bdf, "0x10ee", user_dev)
        _write(u / "user_pf", "")
        _write(u / f"rom.u.{inst + 1}" / "VBNV", vbnv)
        _write(u / f"rom.u.{inst + 1}" / "timestamp", "0")
        _write(
            u / "logic_uuids", "e6f1ef0e22d6f3be5d8e6b3c84bbd9cd\n8a7e3ff0d0f8c2a6c6e8bd9f0e9f1f5d"
        )
        _write(u / f"xmc.u.{inst + 1}" / "serial_num", serial)
        _write(u / "xclbinuuid", xclbin_uuid)
        (u / "drm" / f"renderD{render}").mkdir(parents=True)
        (u / "drm" / f"card{render - 128}").mkdir(parents=True)
        if qdma:
            (u / f"dma.qdma.u{inst + 1}").mkdir()
        if mount:
            self.node(f"dri/renderD{render}")
            if qdma:
                self.node(f"xfpga/dma.qdma.u{inst + 1}.0")
        return {"user": user_bdf, "mgmt": mgmt_bdf, "instance": str(inst)}

    def aws(
        self,
        bdf: str,
        device: str,
        vbnv: str,
        *,
        render: int,
        mount: bool = True,
        xocl: bool = True,
    ) -> str:
        """An AWS F1/F2 FPGA: only the user function is in the instance, and xocl writes
        its feature ROM (the VBNV for this PCI id, timestamp 0xabcd). Without xocl
        the function is there but nothing else is."""
        u = self.function(bdf, "0x1d0f", device)
        if not xocl:
            return bdf
        _write(u / "user_pf", "")
        domain, bus, rest = bdf.split(":")
        dev, fn = rest.split(".")
        inst = int(domain, 16) * 65536 + int(bus, 16) * 256 + int(dev, 16) * 8 + int(fn, 16)
        _write(u / f"rom.u.{inst}" / "VBNV", vbnv)
        _write(u / f"rom.u.{inst}" / "timestamp", str(0xABCD))
        (u / "drm" / f"renderD{render}").mkdir(parents=True)
        (u / "drm" / f"card{render - 128}").mkdir(parents=True)
        if mount:
            self.node(f"dri/renderD{render}")
        return bdf

    def gpu(self, bdf: str, *, render: int) -> None:
        """An NVIDIA GPU with a render node: /dev/dri is not only for FPGAs."""
        g = self.function(bdf, "0x10de", "0x20b0")
        (g / "drm" / f"renderD{render}").mkdir(parents=True)
        cls = self.sys / "class" / "drm" / f"renderD{render}"
        cls.mkdir(parents=True)
        os.symlink(os.path.relpath(g, cls), cls / "device")
        self.node(f"dri/renderD{render}")

    def other(self, bdf: str, vendor: str, device: str) -> None:
        self.function(bdf, vendor, device)

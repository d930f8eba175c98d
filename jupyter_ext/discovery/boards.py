"""PCI IDs and shell names -> which board this is.

Vendor IDs are the ones the AMD-Xilinx device plugin accepts; the AWS F1 user
function IDs and the shell name AWS does not publish in sysfs are the plugin's
own constants. A board slug is guessed from the shell VBNV
(``xilinx_u250_gen3x16_xdma_shell_4_1`` -> ``u250``) so it can be compared with
the slug the hub requested.
"""

from __future__ import annotations

import re

XILINX, AWS, ADVANTECH, ARISTA, INTEL = "0x10ee", "0x1d0f", "0x13fe", "0x3475", "0x8086"
VENDORS = {
    XILINX: "Xilinx (AMD)",
    AWS: "Amazon Web Services",
    ADVANTECH: "Advantech",
    ARISTA: "Arista",
    INTEL: "Intel",
}
XRT_VENDORS = (XILINX, AWS, ADVANTECH, ARISTA)
AWS_F1_DEVICE_IDS = ("0x1042", "0xf010")
AWS_F1_SHELL = "xilinx_aws-vu9p-f1-04261818_dynamic_5_0"  # the plugin's hard-coded value
# Intel FPGA PCI functions handled by OPAE (PF and VF ids)
INTEL_FPGA_DEVICE_IDS = {
    "0x09c4": "pac_a10",
    "0x09c5": "pac_a10",
    "0x0b2b": "pac_s10",
    "0x0b2c": "pac_s10",
    "0x0b30": "n3000",
    "0x0b31": "n3000",
}

BOARD_NAMES = {
    "u200": "AMD Alveo U200",
    "u250": "AMD Alveo U250",
    "u280": "AMD Alveo U280",
    "u50": "AMD Alveo U50",
    "u55c": "AMD Alveo U55C",
    "vck5000": "AMD Versal VCK5000",
    "aws-vu9p-f1": "AWS F1 (Xilinx Virtex UltraScale+ VU9P)",
    "aws-vu47p-f2": "AWS F2 (Xilinx Virtex UltraScale+ VU47P)",
    "pac_a10": "Intel PAC with Arria 10 GX",
    "pac_s10": "Intel FPGA PAC D5005",
    "n3000": "Intel FPGA PAC N3000",
}

_BOARD_RE = re.compile(r"(?:^|[_.])(aws-vu\d+p-f\d|u\d{2,3}[a-z]{0,2}|vck\d+|vpk\d+)(?=[_\-.]|$)")


def board_from_vbnv(vbnv: str) -> str:
    """``xilinx_u250_gen3x16_xdma_shell_4_1`` -> ``u250``; ``""`` when it cannot tell."""
    m = _BOARD_RE.search(vbnv.lower())
    return m.group(1) if m else ""


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def board_matches(requested_slug: str, board: str, vbnv: str) -> bool:
    """Does a device with this board/VBNV satisfy a request for ``requested_slug``?

    Admins choose slugs (``u250``, ``alveo-u250``, ``f1``), so compare loosely:
    either normalized name contains the other.
    """
    want = _norm(requested_slug)
    have = [_norm(x) for x in (board, vbnv) if x]
    return bool(want) and any(want in h or (len(h) >= 3 and h in want) for h in have)


def vbnv_in_resource(resource: str, vbnv: str) -> bool:
    """``amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0`` names its shell VBNV."""
    name = resource.split("/", 1)[-1]
    name = name.removeprefix("fpga-")
    return bool(vbnv) and name.rsplit("-", 1)[0] == vbnv

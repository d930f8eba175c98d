"""PCI IDs and shell names -> which board this is, and what the AMD plugin calls it.

Vendor IDs are the ones the AMD-Xilinx device plugin accepts. The plugin names
a board's extended resource ``amd.com/<VBNV>-<timestamp>`` from the two values
XRT's xocl driver publishes under the user function's ``rom*/``
(:func:`amd_resource_name`). AWS boards have no feature ROM of their own: xocl
fills one in from the PCI device ID, timestamp ``0xabcd`` for every AWS board,
and on an F2 the shell version it learns from the host in place of part of
the VBNV (:func:`aws_f2_vbnv`). The facts and where they were read:
docs/upstream-facts.md, "How the AMD plugin names its resource".

A board slug is guessed from the shell VBNV
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
# AWS FPGA functions xocl drives, by PCI device id (vendor 0x1d0f). Other 0x1d0f
# functions are ENA, NVMe, or an HDK design that brings its own PCI id.
AWS_FPGA_DEVICE_IDS = {
    "0x1042": "aws-vu9p-f1",
    "0xf010": "aws-vu9p-f1",
    "0xf011": "aws-vu9p-f1",
    "0x9048": "aws-vu47p-f2",
    "0x9248": "aws-vu47p-f2",
}
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

# -- resource names, as the AMD-Xilinx device plugin builds them ----------------------

AMD_PREFIX = "amd.com/"
LEGACY_PREFIX = "xilinx.com/fpga-"  # the same plugin before 2022-08
U30_VBNV_MARK, U30_COMMON_NAME = "xilinx_u30", "ama_u30"

AWS_SHELL_TIMESTAMP = 0xABCD  # xocl's rom timestamp for every AWS board: "43981" in sysfs
AWS_F2_SHELL = "xilinx_aws-vu47p-f2_xdma-shell-v04052421_202410_1"
"""The VBNV xocl gives an F2 (PCI ids 1d0f:9048 and 1d0f:9248) before it hears from the host."""
_F2_VERSION_AT, _F2_VERSION_LEN = 32, 8  # where xocl writes the shell version, in hex
AWS_F2_VBNV_HEAD = AWS_F2_SHELL[:_F2_VERSION_AT]  # "xilinx_aws-vu47p-f2_xdma-shell-v"
AWS_F2_VBNV_TAIL = AWS_F2_SHELL[_F2_VERSION_AT + _F2_VERSION_LEN :]  # "_202410_1"
AWS_F2_VBNV_RE = re.compile(
    rf"^{re.escape(AWS_F2_VBNV_HEAD)}(?:[0-9a-f]{{{_F2_VERSION_LEN}}}{re.escape(AWS_F2_VBNV_TAIL)}"
    rf"|[0-9a-f]{{1,{_F2_VERSION_LEN - 1}}})$"
)
"""Every VBNV xocl can publish for an F2: the version has up to 8 hex digits, and the
rest of the original name survives only after an 8-digit one."""
AWS_F2_SMALL_SHELL = 0x10212415  # the F2 shell version for HDK designs (aws/aws-fpga README)


def aws_f2_vbnv(shell_version: int | None = None) -> str:
    """The ``rom*/VBNV`` xocl publishes for an AWS F2.

    ``None``: before xocl has heard from the host. After that, xocl writes the
    shell version it got (the device IDCODE) in lower-case hex, without leading
    zeros, over the name from byte 32 on: 8 digits replace ``04052421`` and keep
    ``_202410_1``; fewer digits end the string. The F2 Small Shell, version
    ``0x10212415``, gives ``xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1``.
    """
    if shell_version is None:
        return AWS_F2_SHELL
    digits = format(shell_version & 0xFFFFFFFF, "x")
    return AWS_F2_VBNV_HEAD + digits + (AWS_F2_VBNV_TAIL if len(digits) == _F2_VERSION_LEN else "")


def is_aws_f2_vbnv(vbnv: str) -> bool:
    return bool(AWS_F2_VBNV_RE.match(vbnv))


def _plugin_name(vbnv: str, timestamp: int | str) -> str:
    vbnv = vbnv.strip()
    stamp = str(timestamp).strip()
    if not vbnv or not stamp.isdecimal():
        raise ValueError(f"cannot name a board with VBNV {vbnv!r} and timestamp {stamp!r}")
    return f"{vbnv}-{int(stamp)}"


def amd_resource_name(vbnv: str, timestamp: int | str) -> str:
    """The extended resource the AMD device plugin (since 2022-08) advertises for a board.

    ``amd.com/`` + the user function's ``rom*/VBNV`` + ``-`` + its
    ``rom*/timestamp`` in decimal, as sysfs shows it. The plugin's one default
    exception: every U30 is ``amd.com/ama_u30``. Raises ``ValueError`` when the
    VBNV is empty or the timestamp is not a decimal number.
    """
    name = _plugin_name(vbnv, timestamp)
    if U30_VBNV_MARK in vbnv:
        return AMD_PREFIX + U30_COMMON_NAME
    return AMD_PREFIX + name


def legacy_resource_name(vbnv: str, timestamp: int | str) -> str:
    """The same board's name under the plugin before 2022-08: ``xilinx.com/fpga-<VBNV>-<ts>``."""
    return LEGACY_PREFIX + _plugin_name(vbnv, timestamp)


# -- which board -----------------------------------------------------------------------


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

"""FPGA device nodes present in this container.

A device plugin gives a pod a board by mounting its nodes: ``/dev/dri/renderD*``
(XRT user function; also used by GPUs, so ``merge`` checks the vendor),
``/dev/xclmgmt<N>`` (management, absent in VMs), ``/dev/xfpga/*`` (QDMA),
``/dev/dfl-port.N`` or ``/dev/intel-fpga-port.N`` (Intel). Test trees use plain
files, so existence is what counts; whether it is a real character device is
reported as a fact.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

PATTERNS = (
    ("render", "dri", re.compile(r"^renderD(\d+)$")),
    ("xclmgmt", "", re.compile(r"^xclmgmt(\d+)$")),
    ("qdma", "xfpga", re.compile(r"^(.+)$")),
    ("dfl-port", "", re.compile(r"^dfl-port\.(\d+)$")),
    ("intel-fpga-port", "", re.compile(r"^intel-fpga-port\.(\d+)$")),
)
MAX_NODES = 1024


@dataclass(frozen=True)
class DevNode:
    kind: str  # render | xclmgmt | qdma | dfl-port | intel-fpga-port
    name: str  # file name, e.g. renderD128
    path: str  # as seen from this process
    index: str  # the number in the name ("" for qdma)
    char_device: bool


def scan(dev_root: str | os.PathLike[str] = "/dev") -> list[DevNode]:
    out: list[DevNode] = []
    for kind, sub, pattern in PATTERNS:
        d = Path(dev_root, sub) if sub else Path(dev_root)
        try:
            names = sorted(os.listdir(d))[:MAX_NODES]
        except OSError:
            continue
        for name in names:
            m = pattern.match(name)
            if not m:
                continue
            p = d / name
            try:
                mode = os.stat(p).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode):
                continue
            index = m.group(1) if kind != "qdma" else ""
            out.append(DevNode(kind, name, str(p), index, stat.S_ISCHR(mode)))
    return out

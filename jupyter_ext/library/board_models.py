"""What a predicted board time needs to know about the board: its host link and its memory.

Why a module of its own: the kernel models in :mod:`.predict` describe a
kernel (its clock, initiation interval and parallelism, read from the kernel
source and AMD's build reports); how long the data takes to reach the kernel
is the board's business. Keeping the two apart means a prediction names the
board it is for, and a user on a U200 is not shown a U250's numbers.

The figures, and where they come from:

* host link: the Alveo U200/U250/U280/U50 cards in the Vitis builds we model
  talk to the host over PCIe Gen3 x16 (15.75 GB/s raw after 128b/130b
  encoding). Large DMA transfers reach about 12-13 GB/s; we use 12 GB/s each
  way. (``xrt-smi validate``'s DMA test on a U250 gen3x16 shell has been seen
  to report ~9 GB/s host-to-card and ~13 GB/s card-to-host for 16 MB buffers:
  the single figure is a simplification, see docs/functions.md.)
* ``stream_bytes_per_s``: what a kernel that streams many 512-bit AXI ports
  into one DDR4-2400 bank (19.2 GB/s peak) actually moves. AMD measured
  8.9 GB/s for the closed-form Black-76/Black-Scholes kernels on a U200
  ("about half of the theoretical DDR bandwidth", Vitis quantitative_finance
  L2 engine pages). U250 has the same DDR4-2400 banks; on U280/U50 we model
  the same DDR-style build (their HBM is not modelled) and say so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..contract import ENV_BOARD, ENV_BOARD_NAME, ENV_PLATFORM

GB = 1e9


@dataclass(frozen=True)
class BoardModel:
    """One board as the predictions see it: host link each way and streamed-DDR rate."""

    slug: str
    name: str
    host_link: str
    h2d_bytes_per_s: float
    d2h_bytes_per_s: float
    stream_bytes_per_s: float
    memory_note: str = ""

    def h2d_seconds(self, nbytes: float) -> float:
        return nbytes / self.h2d_bytes_per_s

    def d2h_seconds(self, nbytes: float) -> float:
        return nbytes / self.d2h_bytes_per_s


_PCIE3 = "PCIe Gen3 x16"
_LINK = 12 * GB  # effective, large transfers (15.75 GB/s raw)
_DDR_STREAM = 8.9 * GB  # AMD's measurement, many-port kernel on one DDR4-2400 bank (U200)
_HBM_NOTE = "modelled as a DDR build: this board's HBM is not modelled"

BOARDS: dict[str, BoardModel] = {
    "u200": BoardModel("u200", "AMD Alveo U200", _PCIE3, _LINK, _LINK, _DDR_STREAM),
    "u250": BoardModel("u250", "AMD Alveo U250", _PCIE3, _LINK, _LINK, _DDR_STREAM),
    "u280": BoardModel("u280", "AMD Alveo U280", _PCIE3, _LINK, _LINK, _DDR_STREAM, _HBM_NOTE),
    "u50": BoardModel("u50", "AMD Alveo U50", _PCIE3, _LINK, _LINK, _DDR_STREAM, _HBM_NOTE),
}
DEFAULT_BOARD = "u250"  # the demo pod's board, and the one most published figures are for

_SLUG = re.compile(r"(?<![a-z0-9])u(200|250|280|50)(?![0-9])")


def board_named(text: str) -> BoardModel | None:
    """The board a platform VBNV, catalog slug or display name names, if it is one we model.

    ``xilinx_u250_gen3x16_xdma_shell_4_1``, ``u250`` and ``AMD Alveo U250`` all
    name the U250.
    """
    m = _SLUG.search(text.lower())
    return BOARDS.get(f"u{m.group(1)}") if m else None


@dataclass(frozen=True)
class BoardChoice:
    """The board a prediction is for, and whether it was known or assumed."""

    board: BoardModel
    assumed: bool
    source: str

    def label(self) -> str:
        if self.assumed:
            return f"{self.board.name} (assumed: {self.source})"
        return self.board.name


def board_for(runtime: Any = None, environ: Mapping[str, str] | None = None) -> BoardChoice:
    """The board this pod's predictions are for: the runtime's platform, else the hub's request.

    Asks, in order: the XRT runtime's platform (a board is attached), the
    pod's ``FPGA_PLATFORM``, ``FPGA_BOARD`` and ``FPGA_BOARD_NAME`` (what the
    hub asked for, also in emulation); otherwise the U250 is assumed and the
    choice says so.
    """
    env = os.environ if environ is None else environ
    candidates: list[tuple[str, str]] = []
    describe = getattr(runtime, "describe", None)
    if callable(describe):
        try:
            platform = describe().get("platform", "")
        except Exception:  # a wrapper that cannot answer: fall back to the environment
            platform = ""
        candidates.append((platform, "the runtime's platform"))
    candidates += [(env.get(name, ""), name) for name in (ENV_PLATFORM, ENV_BOARD, ENV_BOARD_NAME)]
    for text, source in candidates:
        board = board_named(text) if text else None
        if board is not None:
            return BoardChoice(board, False, source)
    return BoardChoice(BOARDS[DEFAULT_BOARD], True, "no board named by the runtime or the pod")

"""A real IPython shell, run cell by cell with output captured, and the demo pod's environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

U250_PLATFORM = "xilinx_u250_gen3x16_xdma_shell_4_1"
EMULATION_ENV = {
    "FPGA_EMULATION": "1",
    "FPGA_BOARD": "u250",
    "FPGA_BOARD_NAME": "AMD Alveo U250",
    "FPGA_COUNT": "1",
    "FPGA_RESOURCE": "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0",
    "FPGA_PLATFORM": U250_PLATFORM,
}


@dataclass
class Output:
    """What one cell printed and displayed."""

    stdout: str
    stderr: str
    bundles: list[dict[str, Any]] = field(default_factory=list)
    result: Any = None

    @property
    def text(self) -> str:
        """Everything a terminal user would read: printed text and text/plain reprs."""
        shown = [b.get("text/plain", "") for b in self.bundles]
        return "\n".join([self.stdout, self.stderr, *shown])

    @property
    def html(self) -> str:
        return "\n".join(b.get("text/html", "") for b in self.bundles)

    @property
    def failed(self) -> bool:
        return not self.result.success


class Shell:
    def __init__(self, ip: InteractiveShell) -> None:
        self.ip = ip

    def run(self, source: str) -> Output:
        with capture_output() as cap:
            result = self.ip.run_cell(source, store_history=False)
        return Output(cap.stdout, cap.stderr, [o.data for o in cap.outputs], result)

    @property
    def magics(self) -> Any:
        return self.ip.magics_manager.registry["FPGAMagics"]

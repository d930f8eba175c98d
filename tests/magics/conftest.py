"""A real IPython shell with ``%load_ext jupyter_ext``, run cell by cell, output captured.

Every test starts in the demo pod's emulation environment (the hub-pod
contract with ``FPGA_EMULATION=1`` for a U250) and with the process-wide
runtime unset, so nothing leaks between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from jupyter_ext.runtime import set_runtime

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


@pytest.fixture(scope="session")
def ipython() -> InteractiveShell:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_ext")
    return ip


@pytest.fixture
def shell(
    ipython: InteractiveShell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Shell]:
    from jupyter_ext.magics import program

    for name, value in EMULATION_ENV.items():
        monkeypatch.setenv(name, value)
    xdir = tmp_path / "xclbin"
    xdir.mkdir()
    monkeypatch.setenv("FPGA_XCLBIN_PATH", str(xdir))
    monkeypatch.chdir(tmp_path)
    set_runtime(None)
    program.SESSION_LOADS.clear()
    sh = Shell(ipython)
    sh.magics.sysfs_root, sh.magics.dev_root = "/sys", "/dev"
    yield sh
    set_runtime(None)
    program.SESSION_LOADS.clear()
    sh.magics.sysfs_root, sh.magics.dev_root = "/sys", "/dev"

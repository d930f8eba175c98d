"""A real IPython shell with ``%load_ext jupyter_ext``, run cell by cell, output captured.

Every test starts in the demo pod's emulation environment (the hub-pod
contract with ``FPGA_EMULATION=1`` for a U250) and with the process-wide
runtime unset, so nothing leaks between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_ext.runtime import set_runtime
from tests.support.ipython_shell import EMULATION_ENV, Shell


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

"""The demo launcher: a stack that cannot start leaves nothing running."""

from __future__ import annotations

import pytest

from fpga_demo.launcher import DemoError, DemoStack, free_port

pytestmark = pytest.mark.e2e


def test_a_hub_that_cannot_start_stops_the_emulator_it_started(tmp_path):
    broken = tmp_path / "broken_config.py"
    broken.write_text("raise RuntimeError('a broken hub configuration')\n")
    stack = DemoStack(
        state_dir=tmp_path / "state",
        port=free_port(),
        start_timeout=20,
        extra_env={"FPGA_DEMO_EXTRA_CONFIG": str(broken)},
        log=lambda message: None,
    )
    with pytest.raises(DemoError, match="jupyterhub"):
        stack.start()
    emulator = stack.processes["k8s-emulator"]
    assert emulator.poll() is not None, "the emulator outlived the failed start"

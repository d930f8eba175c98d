from __future__ import annotations

import pytest

from fpga_demo.launcher import DemoStack, free_port
from tests.support.hub import Hub, fast_cluster


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Hub:
    state = tmp_path_factory.mktemp("demo")
    stack = DemoStack(
        state_dir=state,
        port=free_port(),
        start_timeout=25,
        cluster_file=fast_cluster(state),
        extra_env={"FPGA_DEMO_CLEANUP": "0"},  # servers survive a hub restart
        log=lambda message: None,
    )
    stack.start()
    try:
        yield Hub(stack)
    finally:
        stack.stop()

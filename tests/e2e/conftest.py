from __future__ import annotations

import pytest

from tests.support.hub import Hub, running_demo


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Hub:
    state = tmp_path_factory.mktemp("demo")
    # FPGA_DEMO_CLEANUP=0: servers survive a hub restart
    with running_demo(state, start_timeout=25, extra_env={"FPGA_DEMO_CLEANUP": "0"}) as hub:
        yield hub

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fpga_spawner.demo.launcher import CLUSTER_FILE, DemoStack, free_port

from .hub import Hub


def fast_cluster(tmp: Path) -> Path:
    """The demo cluster with a quick autoscaler and scheduler retry, for tests."""
    cluster = yaml.safe_load(CLUSTER_FILE.read_text())
    for group in cluster["nodeGroups"]:
        group["startupDelaySeconds"] = 3
    cluster["scheduler"] = {"unschedulableRetrySeconds": 1}
    cluster["autoscaler"] = {"scanIntervalSeconds": 0.5}
    path = tmp / "cluster.yaml"
    path.write_text(yaml.safe_dump(cluster))
    return path


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

"""Shared test set-up.

kubernetes_asyncio reads KUBECONFIG once, at import: give in-process spawners a
placeholder cluster address before anything imports it. Tests that talk to the
Kubernetes emulator pass their own client configuration.
"""

from pathlib import Path

import pytest

from fpga_spawner.render import ensure_kube_config
from tests.support.paths import REPO

ensure_kube_config()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO

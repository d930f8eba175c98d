"""Shared test set-up.

kubernetes_asyncio reads KUBECONFIG once, at import: give in-process spawners a
placeholder cluster address before anything imports it. Tests that talk to the
Kubernetes emulator pass their own client configuration.
"""

from pathlib import Path

import pytest

from fpga_spawner.render import ensure_kube_config

ensure_kube_config()

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO

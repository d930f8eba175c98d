"""Shared test set-up.

kubernetes_asyncio reads KUBECONFIG once, at import: give in-process spawners a
placeholder cluster address before anything imports it. Tests that talk to the
Kubernetes emulator pass their own client configuration.

kubespawner keeps per-loop API clients and class-wide reflectors that only a
JupyterHub shutdown would clean up. After every asyncio test, those are
closed while the test's event loop is still running.
"""

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from fpga_spawner.render import ensure_kube_config
from tests.support.paths import REPO

ensure_kube_config()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest_asyncio.fixture
async def kubespawner_closed() -> AsyncIterator[None]:
    """After the test, stop kubespawner's reflectors and close its shared clients.

    Runs in the test's event loop, as the default function loop scope of both
    tests and fixtures puts them in the same loop. It does nothing if the test
    never imported kubespawner.
    """
    yield
    if "kubespawner" not in sys.modules:
        return
    from fpga_spawner.kubespawner_internals import close_shared_clients, stop_all_reflectors

    await stop_all_reflectors()
    await close_shared_clients()


@pytest.fixture(autouse=True)
def _kubespawner_teardown(request: pytest.FixtureRequest) -> None:
    """Give every asyncio test the `kubespawner_closed` teardown; sync tests have no loop."""
    if request.node.get_closest_marker("asyncio") is not None:
        request.getfixturevalue("kubespawner_closed")


@pytest.fixture(scope="session", autouse=True)
def _activity_dir(tmp_path_factory: pytest.TempPathFactory):
    """Runtime calls in the test process record their activity in a temporary directory.

    Without it they would write into the developer's Jupyter runtime directory.
    """
    import os

    from jupyter_ext.activity.recorder import set_recorder
    from jupyter_ext.contract import ENV_ACTIVITY_DIR

    saved = os.environ.get(ENV_ACTIVITY_DIR)
    os.environ[ENV_ACTIVITY_DIR] = str(tmp_path_factory.mktemp("fpga-activity"))
    yield
    previous = set_recorder(None)
    if previous is not None:
        previous.close()
    if saved is None:
        os.environ.pop(ENV_ACTIVITY_DIR, None)
    else:
        os.environ[ENV_ACTIVITY_DIR] = saved

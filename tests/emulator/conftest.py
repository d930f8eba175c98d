"""Fixtures for the Kubernetes emulator tests: small clusters and real API clients.

Every cluster is served over real HTTP on loopback and talked to with the
unmodified kubernetes_asyncio client, as kubespawner would. Clusters are cheap
(milliseconds) so most tests get their own; processes they start are killed at
teardown even when a test fails.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from kubernetes_asyncio import client

from fpga_demo.emulator import EmulatedCluster
from tests.support.emulator import SMALL


@pytest.fixture
def small_cluster_spec() -> dict[str, Any]:
    return copy.deepcopy(SMALL)


@pytest_asyncio.fixture
async def make_cluster(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[EmulatedCluster]]]:
    """Start clusters from dicts; all are stopped (processes killed) at teardown."""
    started: list[EmulatedCluster] = []

    async def make(spec: dict[str, Any] | None = None, **overrides: Any) -> EmulatedCluster:
        cluster = EmulatedCluster.from_dict(
            copy.deepcopy(spec if spec is not None else SMALL),
            state_dir=tmp_path / f"state{len(started)}",
            **overrides,
        )
        started.append(cluster)
        await cluster.start()
        return cluster

    yield make
    for cluster in started:
        await cluster.stop()


@pytest_asyncio.fixture
async def cluster(make_cluster: Callable[..., Awaitable[EmulatedCluster]]) -> EmulatedCluster:
    return await make_cluster()


@pytest_asyncio.fixture
async def v1(cluster: EmulatedCluster) -> AsyncIterator[client.CoreV1Api]:
    """kubernetes_asyncio's CoreV1Api pointed at `cluster` over HTTP."""
    async with client.ApiClient(cluster.client_configuration()) as api_client:
        yield client.CoreV1Api(api_client)


async def api_for(cluster: EmulatedCluster) -> client.ApiClient:
    return client.ApiClient(cluster.client_configuration())

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

from fpga_spawner.k8s_emulator import EmulatedCluster

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
U280 = "amd.com/xilinx_u280_gen3x16_xdma_base_1-0"
VU47P = "amd.com/xilinx_aws-vu47p-f2_dynamic_1_0-0"
FPGA_TAINT = {"key": "fpga.jupyterhub.io/fpga", "value": "present", "effect": "NoSchedule"}
FPGA_TOLERATION = {"key": "fpga.jupyterhub.io/fpga", "operator": "Exists", "effect": "NoSchedule"}
DEMO_YAML = Path(__file__).parents[2] / "fpga_spawner" / "k8s_emulator" / "clusters" / "demo.yaml"

SMALL: dict[str, Any] = {
    "namespaces": ["jhub"],
    "nodes": [
        {
            "name": "fpga-a",
            "labels": {"fpga.jupyterhub.io/location": "on-premises"},
            "taints": [FPGA_TAINT],
            "allocatable": {"cpu": "8", "memory": "16Gi", U250: 1},
        },
        {
            "name": "fpga-b",
            "labels": {"fpga.jupyterhub.io/location": "on-premises"},
            "taints": [FPGA_TAINT],
            "allocatable": {"cpu": "8", "memory": "16Gi", U250: 1},
        },
        {
            "name": "cpu-a",
            "labels": {"fpga.jupyterhub.io/location": "on-premises"},
            "allocatable": {"cpu": "4", "memory": "8Gi"},
        },
    ],
    "kubelet": {"runProcesses": False},
    "scheduler": {"unschedulableRetrySeconds": 0.2},
    "autoscaler": {"scanIntervalSeconds": 0.1},
}


def pod_body(name: str, limits: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    """A minimal pod manifest (dict), as kubespawner would send one, with overrides."""
    labels = spec.pop("labels", {"component": "singleuser-server"})
    container = {"name": "notebook", "image": "quay.io/jupyterhub/k8s-singleuser-sample:4.1.0"}
    if limits:
        container["resources"] = {"limits": dict(limits)}
    container.update(spec.pop("container", {}))
    body = {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [container], **spec},
    }
    return body


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

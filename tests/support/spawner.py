"""Build FPGASpawners in-process and read the pods they would submit."""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio.client import ApiClient
from traitlets.config import Config

from fpga_spawner.render import make_spawner


def to_dict(pod) -> dict[str, Any]:
    return ApiClient().sanitize_for_serialization(pod)


async def manifest_for(config: Config, user_options: dict, user="alice", groups=(), cls=None):
    spawner = make_spawner(config, user, list(groups), cls=cls)
    spawner.user_options = user_options
    await spawner.load_user_options()
    return to_dict(await spawner.get_pod_manifest()), spawner


def catalog_config(**fpga: Any) -> Config:
    c = Config()
    c.KubeSpawner.image = "quay.io/jupyter/base-notebook:2024-12-02"
    for key, value in fpga.items():
        setattr(c.FPGASpawner, key, value)
    return c

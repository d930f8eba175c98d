"""Build FPGASpawners in-process and read the pods they would submit."""

from __future__ import annotations

from typing import Any

from kubespawner.clients import shared_client
from traitlets.config import Config

from fpga_spawner.render import make_spawner


def to_dict(pod) -> dict[str, Any]:
    """The pod as JSON, serialised by the client kubespawner submits pods with.

    Call this inside the test's event loop. It uses kubespawner's shared
    client for that loop, which the test teardown closes. A new
    ``ApiClient()`` would open an aiohttp session on every call and never
    close it, and each one would print "Unclosed client session".
    """
    return shared_client("CoreV1Api").api_client.sanitize_for_serialization(pod)


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

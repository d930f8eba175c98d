"""The admin's dry run: the pod FPGASpawner would submit, without a cluster.

Loads a ``jupyterhub_config.py`` exactly as JupyterHub does, builds the
configured spawner for a stand-in user, runs the same ``load_user_options`` and
``get_pod_manifest`` a real spawn runs, and serialises the ``V1Pod`` as the
Kubernetes API would receive it. Nothing is contacted: the Kubernetes client
is pointed at a placeholder address when no kubeconfig is present.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import importlib
import os
import sys
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from traitlets.config import Config, PyFileConfigLoader
from traitlets.utils.importstring import import_item

_PLACEHOLDER_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: dry-run, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: dry-run, user: {}}]
contexts: [{name: dry-run, context: {cluster: dry-run, user: dry-run}}]
current-context: dry-run
"""


@dataclass
class StandInGroup:
    name: str


@dataclass
class StandInUser:
    """The attributes of a JupyterHub user that spawners read."""

    name: str
    groups: list[StandInGroup] = field(default_factory=list)
    id: int = 1
    admin: bool = False

    @property
    def escaped_name(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"/user/{self.name}/"


@dataclass
class StandInHub:
    base_url: str = "/hub/"
    api_url: str = "http://hub:8081/hub/api"
    public_host: str = ""
    url: str = "http://hub:8081/hub/"
    connect_url: str = ""


def load_config(path: str | Path) -> Config:
    path = Path(path).resolve()
    loader = PyFileConfigLoader(path.name, path=str(path.parent))
    return loader.load_config()


def spawner_class_from(config: Config) -> type:
    configured = config.JupyterHub.get("spawner_class") if "JupyterHub" in config else None
    if configured is None or configured == "fpga":
        from .spawner import FPGASpawner

        return FPGASpawner
    if isinstance(configured, type):
        return configured
    for ep in entry_points(group="jupyterhub.spawners"):
        if ep.name == configured:
            return ep.load()
    return import_item(configured)


def ensure_kube_config() -> None:
    """kubespawner loads a client config at construction; give it a harmless one.

    Must run before `kubernetes_asyncio` is imported, which reads KUBECONFIG once.
    """
    if os.environ.get("KUBERNETES_SERVICE_HOST") or os.environ.get("KUBECONFIG"):
        return
    if Path("~/.kube/config").expanduser().exists():
        return
    handle, path = tempfile.mkstemp(prefix="jupyterhub-fpga-dry-run-", suffix=".yaml")
    with os.fdopen(handle, "w") as f:
        f.write(_PLACEHOLDER_KUBECONFIG)
    os.environ["KUBECONFIG"] = path
    atexit.register(_remove, path)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def import_without_optional_validator(module: str = "kubespawner") -> None:
    """Import `module` without the optional validator kubernetes_asyncio pulls in.

    ``kubernetes_asyncio/__init__.py`` imports its dynamic client, which
    imports ``kubernetes_validate`` whenever that is installed (a test tool,
    absent from hub images), only to validate objects the dynamic client
    sends. Loading its JSON-schema format checkers takes over a second, which
    doubled the dry run's time; the command line never uses the dynamic
    client. So the name is blocked while `module` (kubespawner, or
    kubernetes_asyncio) is first imported, and unblocked right after, so a
    later ``import kubernetes_validate`` still works.
    """
    if "kubernetes_asyncio" in sys.modules or "kubernetes_validate" in sys.modules:
        return
    sys.modules["kubernetes_validate"] = None  # type: ignore[assignment]
    try:
        importlib.import_module(module)
    finally:
        if "kubernetes_validate" in sys.modules and sys.modules["kubernetes_validate"] is None:
            del sys.modules["kubernetes_validate"]


def make_spawner(
    config: Config, user: str, groups: list[str] | None = None, cls: type | None = None
):
    """Build a spawner as JupyterHub would; call inside a running event loop."""
    from .kubespawner_internals import make_offline_spawner

    cls = cls or spawner_class_from(config)
    config = copy.deepcopy(config)
    config.FPGASpawner.capacity_watch = False  # a dry run talks to no cluster
    stand_in = StandInUser(user, [StandInGroup(g) for g in groups or []])
    spawner = make_offline_spawner(cls, config=config, user=stand_in, hub=StandInHub())
    spawner.fpga_dry_run = True  # a DRA board's claim template is not written either
    return spawner


async def render_pod(
    config: Config,
    user: str,
    user_options: dict[str, Any],
    groups: list[str] | None = None,
) -> dict[str, Any]:
    """The pod manifest as a JSON-able dict, exactly what the spawner would submit."""
    return (await render_manifests(config, user, user_options, groups))[-1]


async def render_manifests(
    config: Config,
    user: str,
    user_options: dict[str, Any],
    groups: list[str] | None = None,
) -> list[dict[str, Any]]:
    """What the spawner would submit, in order: the objects the pod needs first
    (a DRA board's ResourceClaimTemplate), then the pod, as JSON-able dicts.

    Serialised by the spawner's own API client, the one kubespawner submits
    the pod with (a new ``ApiClient()`` would open one more aiohttp session).
    That shared client is closed before returning, as JupyterHub closes it at
    shutdown, so the dry run leaves no session open.
    """
    from .kubespawner_internals import close_shared_clients

    try:
        spawner = make_spawner(config, user, groups)
        spawner.user_options = user_options
        await spawner.load_user_options()
        pod = await spawner.get_pod_manifest()
        return [
            *spawner.fpga_dry_run_objects,
            spawner.api.api_client.sanitize_for_serialization(pod),
        ]
    finally:
        await close_shared_clients()

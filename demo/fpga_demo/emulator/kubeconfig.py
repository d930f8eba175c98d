"""Kubeconfig files and client configurations that point at the emulator.

kubespawner 7.1 (`kubespawner.clients.load_config`) first tries the in-cluster
config and, outside a cluster, calls `kubernetes_asyncio.config.load_kube_config()`
with no arguments, which reads the file named by `KUBECONFIG` (read when
kubernetes_asyncio is imported) or ~/.kube/config. So a separate JupyterHub
process only needs `KUBECONFIG=<file written here>` in its environment; plain
http is accepted by the client, no TLS or token is involved.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

CONTEXT = "k8s-emulator"


def kubeconfig_dict(url: str, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": url}}],
        "users": [{"name": CONTEXT, "user": {}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: str | Path, url: str, namespace: str = "default") -> Path:
    """Write a kubeconfig for `url` (mode 0600, as kubectl writes them)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig_dict(url, namespace), sort_keys=False))
    path.chmod(0o600)
    return path


def client_configuration(url: str) -> Any:
    """A kubernetes_asyncio Configuration for `url` (imported lazily: hub extra)."""
    from kubernetes_asyncio.client import Configuration

    config = Configuration()
    config.host = url
    return config


def use_in_this_process(kubeconfig: str | Path, url: str) -> None:
    """Point kubernetes_asyncio *and kubespawner* in this process at the emulator.

    For tests that run KubeSpawner in the test process: sets KUBECONFIG, the
    default location kubernetes_asyncio captured at import, the default client
    Configuration, and forgets kubespawner's cached `load_config` so the next
    spawner loads this kubeconfig. Never used by FPGASpawner itself.
    """
    from kubernetes_asyncio.client import Configuration
    from kubernetes_asyncio.config import kube_config

    os.environ["KUBECONFIG"] = str(kubeconfig)
    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(kubeconfig)
    Configuration.set_default(client_configuration(url))
    try:
        from kubespawner import clients
    except ImportError:
        return
    clients.load_config.cache_clear()

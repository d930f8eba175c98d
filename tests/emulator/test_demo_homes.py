"""The demo's home directories: the notebooks are seeded where the pod mounts its home.

kubespawner names things by a safe slug of the user name (`Jane.Doe@x` becomes
`jane-doe-x---<hash>`); seeding into a directory named by the raw name left
such users with an empty home. The demo's hub configuration is loaded as
JupyterHub loads it and its pre-spawn hook run on a KubeSpawner.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from kubernetes_asyncio.client import ApiClient
from kubespawner import KubeSpawner
from traitlets.config import Config

from fpga_demo.launcher import HUB_CONFIG
from fpga_spawner.kubespawner_internals import make_offline_spawner


def load_hub_config(state: Path, notebooks: Path, monkeypatch) -> Config:
    for name, value in {
        "FPGA_DEMO_DIR": str(state),
        "FPGA_DEMO_HUB_PUBLIC_PORT": "8000",
        "FPGA_DEMO_HUB_API_PORT": "8081",
        "FPGA_DEMO_PROXY_API_PORT": "8001",
        "FPGA_DEMO_NOTEBOOKS": str(notebooks),
    }.items():
        monkeypatch.setenv(name, value)
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(HUB_CONFIG)}
    exec(compile(HUB_CONFIG.read_text(), str(HUB_CONFIG), "exec"), namespace)
    return config


@pytest.mark.parametrize("username", ["alice", "Jane.Doe@example.org", "Ünïcode user"])
async def test_notebooks_are_seeded_into_the_home_the_pod_mounts(tmp_path, monkeypatch, username):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "getting-started.ipynb").write_text("{}")
    config = load_hub_config(tmp_path / "state", notebooks, monkeypatch)
    spawner = make_offline_spawner(
        KubeSpawner,
        config=config,
        user=SimpleNamespace(name=username, id=7, url="/user/x/", escaped_name=username),
    )
    config.Spawner.pre_spawn_hook(spawner)
    pod = ApiClient.sanitize_for_serialization(
        object.__new__(ApiClient), await spawner.get_pod_manifest()
    )

    container = pod["spec"]["containers"][0]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/home/jovyan")
    volume = next(v for v in pod["spec"]["volumes"] if v["name"] == mount["name"])
    home = Path(volume["hostPath"]["path"])
    assert (home / "getting-started.ipynb").is_file(), f"notebooks not in the mounted {home}"
    assert home.parent == tmp_path / "state" / "home"
    if username == "alice":
        assert home.name == "alice"  # simple names stay readable

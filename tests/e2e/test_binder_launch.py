"""A Binder-style launch through the hub's REST API gets the board its rules give."""

from __future__ import annotations

import textwrap

import pytest

from tests.support.hub import Hub, container, hub_with_config

pytestmark = pytest.mark.e2e

BINDERHUB_CONFIG = """
from tests.support.binder_mixin import BinderSpawnerMixin
from fpga_spawner import FPGASpawner


class BinderSpawner(BinderSpawnerMixin, FPGASpawner):
    pass


c.JupyterHub.spawner_class = BinderSpawner
c.FPGASpawner.binder_rules = [
    {"pattern": "github\\\\.com/vision-lab/", "board": "u280", "count": 1},
]
"""


def launch_options(repo: str) -> dict:
    spec = repo.split("github.com/")[1]
    return {
        "image": f"binder-registry.invalid/r2d-{spec.replace('/', '-')}:0123abc",
        "repo_url": repo,
        "token": "binder-launch-token",
        "binder_ref_url": f"{repo}/tree/0123abc",
        "binder_launch_host": "https://binder.example.invalid/",
        "binder_request": f"v2/gh/{spec}/HEAD",
        "binder_persistent_request": f"v2/gh/{spec}/0123abc",
        "binder_client_ip": "192.0.2.10",
    }


@pytest.fixture(scope="module")
def binder_hub(tmp_path_factory, repo_root) -> Hub:
    with hub_with_config(
        tmp_path_factory.mktemp("binderhub"), textwrap.dedent(BINDERHUB_CONFIG), repo_root
    ) as hub:
        yield hub


def test_binder_launch_gets_the_rule_board_and_keeps_the_image(binder_hub):
    hub = binder_hub
    options = launch_options("https://github.com/vision-lab/stereo-notebooks")
    response = hub.spawn("binder-vision", options)
    assert response.status_code in (201, 202, 500), response.text
    hub.wait_ready("binder-vision")

    pod = hub.pod("binder-vision")
    notebook = container(pod)
    assert notebook["image"] == options["image"]  # BinderHub's build, not a profile's
    assert notebook["resources"]["limits"] == {"amd.com/xilinx_u280_gen3x16_xdma_base_1-0": "1"}
    env = {e["name"]: e.get("value") for e in notebook["env"]}
    assert (env["FPGA_BOARD"], env["FPGA_COUNT"]) == ("u280", "1")
    assert env["BINDER_REPO_URL"] == options["repo_url"]
    assert env["BINDER_REQUEST"] == "v2/gh/vision-lab/stereo-notebooks/HEAD"
    hub.stop("binder-vision")


def test_binder_launch_of_an_unmatched_repo_gets_no_fpga(binder_hub):
    hub = binder_hub
    response = hub.spawn("binder-other", launch_options("https://github.com/someone/plots"))
    assert response.status_code in (201, 202, 500), response.text
    hub.wait_ready("binder-other")
    notebook = container(hub.pod("binder-other"))
    assert not any("amd.com" in k for k in (notebook["resources"].get("limits") or {}))
    assert "FPGA_BOARD" not in {e["name"] for e in notebook["env"]}
    hub.stop("binder-other")


def test_binder_launch_without_the_token_is_refused(binder_hub):
    options = launch_options("https://github.com/vision-lab/x")
    del options["token"]
    response = binder_hub.spawn("binder-notoken", options)
    assert response.status_code == 400
    assert "token required" in response.json()["message"]

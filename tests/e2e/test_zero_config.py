"""Zero configuration on a real JupyterHub: `spawner_class = "fpga"` and no catalog.

The demo's emulated cluster has an on-premises U250, U280 and U55C. The hub
finds them itself, `jupyterhub-fpga discover` prints the same catalog, and a spawn
link for an FPGA opens the form pre-filled instead of taking a board: only
the user's POST (with JupyterHub's XSRF token) starts the server.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.support.hub import Hub, container, hub_with_config

pytestmark = pytest.mark.e2e

U280 = "amd.com/xilinx_u280_gen3x16_xdma_base_1-0"
# the demo's config, minus its catalog: what an admin who only names the spawner has
ZERO_CONFIG = 'c.FPGASpawner.catalog_file = ""\n'


@pytest.fixture(scope="module")
def hub(tmp_path_factory, repo_root) -> Hub:
    with hub_with_config(tmp_path_factory.mktemp("zero-config"), ZERO_CONFIG, repo_root) as hub:
        yield hub


def test_discover_prints_the_clusters_boards(hub):
    env = {**os.environ, "KUBECONFIG": str(hub.stack.state_dir / "kubeconfig.yaml")}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("jupyterhub-fpga")), "discover"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    boards = {b["slug"]: b for b in yaml.safe_load(result.stdout)["boards"]}
    # the U55C's plugin shares it as 2 units; a discovered catalog cannot know
    # that (docs/shared-boards.md), so it offers them as boards
    assert set(boards) == {"u250", "u280", "u55c"}
    assert boards["u280"]["display_name"] == "AMD Alveo U280"
    assert boards["u280"]["platform"] == "xilinx_u280_gen3x16_xdma_base_1"
    assert boards["u280"]["location"] == "on-premises"
    assert boards["u280"]["tolerations"] == [
        {"key": "fpga.jupyterhub.io/fpga", "operator": "Exists", "effect": "NoSchedule"}
    ]


def test_a_spawn_link_waits_for_the_click_then_gets_the_board(hub):
    user = "zoe"
    hub.ensure_user(user)
    session = hub.login(user)
    form = session.get(f"{hub.stack.url}/hub/spawn", timeout=30).text
    assert "AMD Alveo U250" in form and "AMD Alveo U280" in form  # discovered

    link = f"{hub.stack.url}/hub/spawn?profile=u280&profile-option-u280--count=1"
    page = session.get(link, timeout=60)
    assert page.status_code == 200
    assert "a link alone does not start a server that holds an FPGA (AMD Alveo U280)" in page.text
    checked = re.findall(r'<input type="radio"[^>]*value="([^"]+)"\s*checked', page.text)
    assert checked == ["u280"]
    time.sleep(1)
    assert hub.server(user) is None  # the link alone started nothing

    action = html.unescape(re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1))
    assert "_xsrf=" in action
    response = session.post(
        hub.stack.url + action,
        data={"profile": "u280", "profile-option-u280--count": "1"},
        timeout=60,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text
    hub.wait_ready(user)
    pod = hub.pod(user)
    assert container(pod)["resources"]["limits"][U280] == "1"
    env = {e["name"]: e.get("value") for e in container(pod)["env"]}
    assert env["FPGA_BOARD"] == "u280"
    hub.stop(user)

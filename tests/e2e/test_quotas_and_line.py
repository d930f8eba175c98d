"""Quotas and the wait line on a real JupyterHub and the emulated cluster.

One hub for the module, configured the way an admin would: a `students`
group holding at most one board at a time, and named servers. The demo
cluster has one U250, one U280 and a cloud group of F2s.
"""

from __future__ import annotations

import html
import re

import pytest

from tests.support.hub import Hub, container, hub_with_config

pytestmark = pytest.mark.e2e

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
CONFIG = """
c.JupyterHub.allow_named_servers = True
c.JupyterHub.load_groups = {"students": {"users": ["quinn"]}}
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 3}
c.KubeSpawner.start_timeout = 150
c.FPGASpawner.fpga_quotas = {"groups": {"students": {"boards": 1}}, "admins_exempt": True}
"""
QUOTA = "FPGA quota: the quota of group 'students' allows 1 board at once"


@pytest.fixture(scope="module")
def hub(tmp_path_factory, repo_root) -> Hub:
    with hub_with_config(tmp_path_factory.mktemp("quotas"), CONFIG, repo_root) as hub:
        yield hub


def page_text(page: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def test_quota_refusal_over_rest_names_the_quota_and_the_held_board(hub):
    response = hub.spawn("quinn", {"profile": "u280", "count": "1"})
    assert response.status_code in (201, 202), response.text
    hub.wait_ready("quinn")

    response = hub.request("POST", "/users/quinn/servers/second", json={"profile": "u250"})
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert message.startswith(QUOTA), message
    assert "You hold: 1 x AMD Alveo U280 on your default server." in message
    assert hub.request("GET", "/users/quinn").json()["servers"].keys() == {""}
    assert not any(p["metadata"]["name"].startswith("jupyter-quinn-") for p in hub.pods())


def test_quota_in_the_form(hub):
    session = hub.login("quinn")
    url = f"{hub.stack.url}/hub/spawn/quinn/second"
    form = session.get(url, timeout=30).text
    assert "AMD Alveo U250: 1 of 1 free; you hold 1 of 1 board" in page_text(form)

    action = html.unescape(re.search(r'<form[^>]*action="([^"]+)"', form).group(1))
    response = session.post(
        hub.stack.url + action,
        data={"profile": "u250", "profile-option-u250--count": "1"},
        timeout=60,
        allow_redirects=False,
    )
    assert response.status_code == 400, response.status_code  # the form again, with why
    text = page_text(response.text)
    assert QUOTA in text and "1 x AMD Alveo U280 on your default server" in text
    assert '<input type="radio"' in response.text  # the user can pick again
    hub.stop("quinn")


def line_place(hub: Hub, user: str, place: str) -> str:
    messages = hub.progress(user, until=" in line for ", timeout=30)
    assert messages[-1] == f"{place} in line for AMD Alveo U250; 1 of 1 boards in use", messages
    return messages[-1]


def test_three_users_wait_in_line_and_are_placed_in_order(hub):
    assert hub.spawn("alice", {"profile": "u250"}).status_code in (201, 202)
    hub.wait_ready("alice")
    for user in ("bob", "carol", "dave"):
        response = hub.spawn(user, {"profile": "u250"})
        assert response.status_code == 202, response.text
    line_place(hub, "bob", "1st")
    line_place(hub, "carol", "2nd")
    line_place(hub, "dave", "3rd")
    # only the front's pod is at the scheduler; the others wait in the hub's line
    assert hub.pod("bob")["status"]["phase"] == "Pending"
    assert hub.pod("carol") is None and hub.pod("dave") is None

    hub.stop("alice")
    hub.wait_ready("bob", timeout=60)
    line_place(hub, "carol", "1st")
    line_place(hub, "dave", "2nd")
    assert hub.pod("dave") is None

    hub.stop("bob")
    hub.wait_ready("carol", timeout=60)
    assert hub.server("dave") is not None and not hub.server("dave")["ready"]
    line_place(hub, "dave", "1st")

    hub.stop("carol")
    hub.wait_ready("dave", timeout=60)
    pod = hub.pod("dave")
    assert container(pod)["resources"]["limits"][U250] == "1"
    hub.stop("dave")

"""The JupyterLab extension in Chromium, against a real `jupyter lab` with an emulated U250.

The status bar reads the server's `fpga/api/devices`; clicking it opens the
side panel with the device table, the activity and the loaded xclbins; loading
an xclbin in a notebook shows up in the status bar. Without the server
extension the item stays hidden and the extension asks once, then never again.
Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from jupyter_ext.contract import ENV_ACTIVITY_DIR, FPGARequest
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.labextension import install_into
from tests.support.paths import ARTIFACTS
from tests.support.pod_server import Server
from tests.support.sysfs_trees import U250_VBNV
from tests.support.xclbin_writer import write_xclbin

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

STATUS = "#jupyterhub-fpga-status"
PANEL = "#jupyterhub-fpga-panel"


def _lab(tmp: Path, *, server_extension: bool) -> Server:
    """`jupyter lab` for alice, with the extension built from this checkout installed."""
    install_into(tmp / "data")
    (tmp / "sys").mkdir()
    (tmp / "dev").mkdir()
    xclbins = tmp / "xclbins"
    xclbins.mkdir()
    write_xclbin(xclbins / "vadd.xclbin", platform=U250_VBNV, kernels=["krnl_vadd"])
    request = FPGARequest(
        board="u250", board_name="AMD Alveo U250", count=1, resource=f"amd.com/{U250_VBNV}-0",
        platform=U250_VBNV, xclbin_path=(str(xclbins),), emulation=True,
    )  # fmt: skip
    env = {**request.to_env(), ENV_ACTIVITY_DIR: str(tmp / "activity")}
    # Notebook 7 (a test dependency) serves /tree and /notebooks from the same server
    extensions = {"jupyter_ext": server_extension, "notebook": True}
    config = {"ServerApp": {"jpserver_extensions": extensions}}
    (tmp / "config").mkdir(parents=True, exist_ok=True)
    (tmp / "config" / "jupyter_server_config.json").write_text(json.dumps(config))
    args = [f"--FPGADevices.sysfs_root={tmp / 'sys'}", f"--FPGADevices.dev_root={tmp / 'dev'}"]
    srv = Server(tmp, env, args, app="lab")
    srv.root, srv.xclbins = tmp, xclbins
    return srv


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    srv = _lab(tmp_path_factory.mktemp("lab"), server_extension=True)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def lab_without_server_extension(tmp_path_factory):
    srv = _lab(tmp_path_factory.mktemp("lab-plain"), server_extension=False)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def load_notebook(srv: Server, xclbin: str) -> str:
    """A one-cell notebook that loads an xclbin with `%fpga load`, as a user would write it."""
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "load",
                "metadata": {},
                "outputs": [],
                "source": f"%load_ext jupyter_ext\n%fpga load {xclbin}",
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (Path(srv.root) / "load.ipynb").write_text(json.dumps(notebook))
    return "load.ipynb"


def test_status_bar_and_panel_show_the_emulated_u250(lab, chromium):
    ARTIFACTS.mkdir(exist_ok=True)
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{lab.url}lab?token={lab.token}")
        status = page.locator(STATUS)
        # nothing loaded yet: the board, the mode, and no xclbin
        expect(status).to_have_text("U250 · EMULATED · no xclbin", timeout=90_000)
        expect(status).to_have_class(re.compile(r"jp-mod-emulated"))
        page.locator("#jp-main-statusbar").screenshot(path=str(ARTIFACTS / "lab-1-status-bar.png"))

        status.click()
        panel = page.locator(PANEL)
        expect(panel).to_be_visible(timeout=10_000)
        devices = panel.locator(".jp-FPGAPanel-devices")
        expect(devices).to_contain_text("emulated-0")
        expect(devices).to_contain_text("AMD Alveo U250")
        expect(devices).to_contain_text(U250_VBNV)
        expect(devices).to_contain_text("EMULATED")
        expect(panel.locator(".jp-FPGAPanel-summary")).to_contain_text("EMULATED")
        expect(panel).to_contain_text("Loaded xclbins")
        page.screenshot(path=str(ARTIFACTS / "lab-2-panel.png"))

        activity = panel.locator(".jp-FPGAPanel-activity")
        expect(activity).to_contain_text("Last FPGA activity")
        expect(activity).to_contain_text("EMULATED, runs on the CPU")
        expect(panel.locator(".jp-FPGAPanel-xclbins")).to_have_count(0)
        expect(panel).to_contain_text("None loaded.")

        # a notebook loads vadd.xclbin; the status bar and the panel follow
        name = load_notebook(lab, str(lab.xclbins / "vadd.xclbin"))
        page.goto(f"{lab.url}lab/tree/{name}?token={lab.token}")
        cell = page.locator(".jp-Notebook .jp-Cell").first
        expect(cell).to_be_visible(timeout=60_000)
        expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=60_000)
        cell.click()
        page.keyboard.press("Shift+Enter")
        output = cell.locator(".jp-OutputArea")
        expect(output).to_contain_text("emulated", timeout=60_000)
        expect(status).to_have_text("U250 · EMULATED · vadd.xclbin", timeout=30_000)
        status.click()
        xclbins = page.locator(PANEL).locator(".jp-FPGAPanel-xclbins")
        expect(xclbins).to_be_visible(timeout=10_000)
        expect(xclbins).to_contain_text("vadd.xclbin")
        loaded = lab.get("fpga/api/devices").json()["activity"]["loaded_xclbins"]
        expect(xclbins).to_contain_text(loaded[0]["uuid"])
        load_row = activity.locator("tr", has_text="xclbin loads")
        expect(load_row).to_contain_text("1")
        expect(activity.locator("tr", has_text="Last load")).not_to_contain_text("never")
        page.screenshot(path=str(ARTIFACTS / "lab-3-after-load.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "lab-failure.png"), full_page=True)
        raise
    finally:
        page.close()
    ours = [e for e in errors if "jupyterhub-fpga" in e or "fpga/api" in e]
    assert ours == []


def test_without_the_server_extension_the_item_stays_hidden_and_quiet(
    lab_without_server_extension, chromium
):
    srv = lab_without_server_extension
    assert srv.get("fpga/api/devices").status_code == 404
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    asked: list[str] = []
    console: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "fpga/api/devices" in r.url else None)
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    try:
        page.goto(f"{srv.url}lab?token={srv.token}")
        expect(page.locator("#jp-main-statusbar")).to_be_visible(timeout=90_000)
        config = json.loads(page.locator("#jupyter-config-data").text_content() or "{}")
        assert "jupyterhub-fpga" in [e["name"] for e in config["federated_extensions"]]
        deadline = time.monotonic() + 30
        while not asked and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert len(asked) == 1, asked  # the extension ran and asked
        page.wait_for_timeout(12_000)  # more than a polling interval (10 s)
        page.screenshot(path=str(ARTIFACTS / "lab-4-no-server-extension.png"))
        assert len(asked) == 1, asked  # and never asked again
        expect(page.locator(STATUS)).to_be_hidden()
        expect(page.locator(PANEL)).to_have_count(0)
    finally:
        page.close()
    # the browser's own line for the 404 at most; nothing from the extension
    ours = [c for c in console if "jupyterhub-fpga" in c or "fpga/api" in c]
    assert len(ours) <= 1, ours
    assert not [c for c in ours if "404" not in c], ours


def test_notebook_7_has_no_status_bar_and_shows_the_panel_from_the_view_menu(lab, chromium):
    pytest.importorskip("notebook", minversion="7")
    page = chromium.new_page(viewport={"width": 1300, "height": 800})
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    try:
        page.goto(f"{lab.url}tree?token={lab.token}")
        # the panel joins the (closed) left side bar once the server has answered
        expect(page.locator(PANEL)).to_be_attached(timeout=90_000)
        expect(page.locator(STATUS)).to_have_count(0)
        page.locator(".lm-MenuBar-itemLabel", has_text="View").click()
        page.locator(".lm-Menu-itemLabel", has_text="Left Sidebar").hover()
        page.locator(".lm-Menu-itemLabel", has_text="Show FPGA").click()
        panel = page.locator(PANEL)
        expect(panel).to_be_visible(timeout=10_000)
        expect(panel.locator(".jp-FPGAPanel-devices")).to_contain_text("AMD Alveo U250")
        expect(panel.locator(".jp-FPGAPanel-summary")).to_contain_text("EMULATED")
        page.screenshot(path=str(ARTIFACTS / "lab-5-notebook7-panel.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "lab-failure-notebook7.png"), full_page=True)
        raise
    finally:
        page.close()
    ours = [c for c in console if "jupyterhub-fpga" in c or "fpga/api" in c]
    assert ours == []

"""The demo as a person uses it, in Debian's Chromium driven by Playwright.

Log in, see the FPGA profiles with live capacity, start a U250 server, open a
notebook, run `%fpga status` and see the emulated U250 in the widget.
Screenshots land in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import json

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from fpga_demo.launcher import DemoStack, free_port
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.paths import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = DemoStack(
        state_dir=tmp_path_factory.mktemp("browser-demo"),
        port=free_port(),
        start_timeout=60,
        log=lambda message: None,
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def status_notebook(stack: DemoStack, user: str) -> None:
    """Put a one-cell notebook in the user's home, as they would by typing it."""
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "fpga-status",
                "metadata": {},
                "outputs": [],
                "source": "%fpga status",
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    home = stack.state_dir / "home" / user
    home.mkdir(parents=True, exist_ok=True)
    (home / "fpga-status.ipynb").write_text(json.dumps(notebook))


def test_log_in_start_a_u250_and_see_it_in_fpga_status(stack):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(f"{stack.url}/hub/login")
            # a password field that checks nothing says so
            expect(page.locator(".announcement")).to_contain_text("the password is not checked")
            page.fill("#username_input", "alice")
            page.click("#login_submit")

            # the spawn form: FPGA profiles with live capacity
            expect(page.get_by_text("AMD Alveo U250").first).to_be_visible(timeout=30_000)
            expect(page.locator("body")).to_contain_text("AMD Alveo U250: 1 of 1 free")
            expect(page.locator("body")).to_contain_text("AWS F2 (VU47P): 0 of 0 free")
            page.screenshot(path=str(ARTIFACTS / "1-spawn-form.png"), full_page=True)

            page.locator("input[name=profile][value=u250]").check()
            status_notebook(stack, "alice")
            page.locator(
                "form#spawn_form input[type=submit], form#spawn_form button[type=submit]"
            ).first.click()

            # JupyterLab opens once the pod is running
            page.wait_for_url("**/user/alice/lab**", timeout=90_000)
            page.goto(f"{stack.url}/user/alice/lab/tree/fpga-status.ipynb")
            cell = page.locator(".jp-Notebook .jp-Cell").first
            expect(cell).to_be_visible(timeout=60_000)
            expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=60_000)
            cell.click()
            page.keyboard.press("Shift+Enter")
            output = page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-OutputArea")
            expect(output).to_contain_text("U250", timeout=60_000)
            expect(output).to_contain_text("emulated", timeout=10_000)
            page.screenshot(path=str(ARTIFACTS / "2-fpga-status.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    # the server the browser started really holds the U250
    pods = requests.get(f"{stack.api_url}/api/v1/namespaces/{stack.namespace}/pods", timeout=30)
    pod = next(p for p in pods.json()["items"] if p["metadata"]["name"] == "jupyter-alice")
    limits = pod["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0": "1"}

"""jupyterhub-fancy-profiles' form in Chromium, on FPGA profiles with custom images allowed.

The form is fancy-profiles' own React code (0.7), which posts free text as
``<opt>: "unlisted_choice"`` beside ``<opt>--unlisted-choice``: the post
FPGASpawner once refused with "image='unlisted_choice' is not a choice".
It also offers "Build your own image" on FPGA profiles (binderhub-service
builds it), because their image option has ``dynamic_image_building``.
"""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from fpga_demo.launcher import DemoStack, free_port
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.paths import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FANCY_PROFILES = """
from jupyterhub_fancy_profiles import setup_ui

setup_ui(c)
c.FPGASpawner.allow_custom_image = True
"""
IMAGE = "quay.io/someone/fpga-notebook:2025.1"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, repo_root):
    state = tmp_path_factory.mktemp("fancy-profiles")
    extra = state / "fancy_profiles.py"
    extra.write_text(FANCY_PROFILES)
    stack = DemoStack(
        state_dir=state,
        port=free_port(),
        start_timeout=60,
        extra_env={"FPGA_DEMO_EXTRA_CONFIG": str(extra), "PYTHONPATH": str(repo_root)},
        log=lambda message: None,
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_other_image_on_a_u250_profile(stack):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        try:
            page.goto(f"{stack.url}/hub/login")
            page.fill("#username_input", "fancy")
            page.click("#login_submit")

            u250 = page.locator("#profile-u250")
            expect(u250).to_contain_text("AMD Alveo U250", timeout=30_000)
            u250.click()
            image = u250.locator(".profile-option-container", has_text="Image").first
            image.locator(".select__input-container input").focus()
            page.keyboard.press("ArrowDown")  # opens react-select's menu
            expect(page.get_by_text("Build your own image", exact=True)).to_be_visible()
            page.get_by_text("Other image...", exact=True).click()
            page.fill("#profile-option-u250--image--unlisted-choice", IMAGE)
            page.screenshot(path=str(ARTIFACTS / "fancy-profiles-u250.png"), full_page=True)
            page.locator("#submit-slot button[type=submit]").click()
            page.wait_for_url("**/user/fancy/**", timeout=90_000)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "fancy-profiles-failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    pods = requests.get(f"{stack.api_url}/api/v1/namespaces/{stack.namespace}/pods", timeout=30)
    pod = next(p for p in pods.json()["items"] if p["metadata"]["name"] == "jupyter-fancy")
    notebook = pod["spec"]["containers"][0]
    assert notebook["image"] == IMAGE
    assert notebook["resources"]["limits"] == {"amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0": "1"}

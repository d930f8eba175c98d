"""The FPGA admin page in Chromium: an admin sees who holds each board and what the
hub refused, the page follows the cluster on its own, and a non-admin is refused."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.hub import Hub, running_demo
from tests.support.paths import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with running_demo(tmp_path_factory.mktemp("admin-page")) as hub:
        yield hub


def log_in(page, hub: Hub, name: str) -> None:
    page.goto(f"{hub.stack.url}/hub/login")
    page.fill("#username_input", name)
    page.click("#login_submit")
    page.wait_for_url("**/hub/**")


def test_admin_sees_holders_and_refusals_and_the_page_follows(hub):
    assert hub.spawn("alice", {"profile": "u250"}).status_code in (201, 202)
    hub.wait_ready("alice")
    refused = hub.spawn("dave", {"profile": "u280", "count": "2"})
    assert refused.status_code == 400

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        try:
            log_in(page, hub, "admin")
            page.goto(f"{hub.stack.url}/hub/fpga/admin")
            u250 = page.locator("section[data-board=u250]")
            expect(u250).to_contain_text("AMD Alveo U250", timeout=15_000)
            expect(u250.locator(".fpga-capacity")).to_have_text("1 in use, 0 free of 1")
            holder = u250.locator("tbody tr").first
            expect(holder).to_contain_text("alice")
            expect(holder).to_contain_text("(default)")
            expect(holder).to_contain_text("jhub/jupyter-alice")
            expect(holder).to_contain_text("onprem-u250-1")
            f2 = page.locator("section[data-board=f2]")
            expect(f2).to_contain_text("cloud node groups can add 8")
            refusals = page.locator("#fpga-refusals")
            expect(refusals).to_contain_text("dave")
            expect(refusals).to_contain_text("could never start")
            page.screenshot(path=str(ARTIFACTS / "admin-page.png"), full_page=True)

            # the page polls: alice stops, and it shows the board free without a reload
            hub.stop("alice")
            expect(u250).to_contain_text("Nobody holds one.", timeout=20_000)
            expect(u250.locator(".fpga-capacity")).to_have_text("0 in use, 1 free of 1")
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "admin-page-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def test_a_non_admin_is_refused(hub):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        try:
            log_in(page, hub, "bob")
            response = page.goto(f"{hub.stack.url}/hub/fpga/admin")
            assert response.status == 403
            expect(page.locator("body")).not_to_contain_text("AMD Alveo U250")
            data = page.request.get(f"{hub.stack.url}/hub/fpga/admin/data")
            assert data.status == 403 and "alice" not in data.text()
        finally:
            browser.close()
    # and without any credentials: the data is not served, the page asks for a login
    assert requests.get(f"{hub.stack.url}/hub/fpga/admin/data", timeout=30).status_code == 403
    page = requests.get(f"{hub.stack.url}/hub/fpga/admin", timeout=30, allow_redirects=False)
    assert page.status_code == 302 and "/hub/login" in page.headers["Location"]

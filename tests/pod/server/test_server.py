"""The server extension in a real `jupyter server`: auth, answers, and no blocking."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from jupyter_ext.contract import FPGARequest
from tests.support.pod_server import Server
from tests.support.sysfs_trees import U250_VBNV, Host
from tests.support.xclbin_writer import write_xclbin

pytestmark = pytest.mark.e2e
LOADED = "0f0e0d0c-0b0a-4908-8706-050403020100"

SLOW_PYXRT = """
import json, time, types
time.sleep(0.01)
xrt_info_device = types.SimpleNamespace(bdf="bdf", name="name", platform="platform",
    dynamic_regions="dynamic_regions", thermal="thermal", electrical="electrical")
def enumerate_devices():
    time.sleep({delay})  # a slow XRT: opening boards takes seconds
    return 1
class device:
    def __init__(self, index):
        pass
    def get_info(self, key):
        return {{"bdf": "0000:3b:00.1", "name": "{vbnv}",
                "platform": json.dumps({{"platforms": [{{"static_region": {{"vbnv": "{vbnv}"}}}}]}}),
                "dynamic_regions": json.dumps({{"dynamic_regions": [{{"xclbin_uuid": "{uuid}"}}]}}),
                "thermal": "{{}}", "electrical": "{{}}"}}[key]
"""


# An authorizer that refuses whatever resource a request names in a header: shows
# the handlers ask for resource "fpga" (JupyterHub's authorizer decides on it).
DENY_AUTHORIZER = """
from jupyter_server.auth.authorizer import AllowAllAuthorizer

class DenyNamedResource(AllowAllAuthorizer):
    def is_authorized(self, handler, user, action, resource):
        return handler.request.headers.get("X-Deny-Resource") != resource
"""


def _pod(tmp: Path) -> tuple[Host, Path, dict[str, str]]:
    host = Host(tmp / "host")
    host.alveo("0000:3b:00", U250_VBNV, render=128, serial="XFL1ABC")
    xdir = tmp / "xclbins"
    xdir.mkdir()
    write_xclbin(
        xdir / "vadd.xclbin", platform=U250_VBNV, kernels=["krnl_vadd"], xclbin_uuid=LOADED
    )
    write_xclbin(xdir / "emu.xclbin", platform=U250_VBNV, kernels=["stereo_bm"], mode="sw_emu")
    req = FPGARequest(board="u250", board_name="AMD Alveo U250", count=1,
                      resource=f"amd.com/{U250_VBNV}-0", platform=U250_VBNV, xclbin_path=(str(xdir),))  # fmt: skip
    return host, xdir, req.to_env()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("srv")
    host, xdir, env = _pod(tmp)
    args = [f"--FPGADevices.sysfs_root={host.sys}", f"--FPGADevices.dev_root={host.dev}"]
    srv = Server(tmp, env, args)
    srv.xdir = xdir
    yield srv
    srv.stop()


def test_devices_endpoint_with_token(server):
    r = server.get("fpga/api/devices")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    d = r.json()
    assert d["backend"] == "hardware" and d["matches_request"] is True and d["problems"] == []
    assert d["requested"]["board"] == "u250" and d["requested"]["count"] == 1
    (dev,) = d["devices"]
    assert dev["id"] == "0000:3b:00.1" and dev["serial"] == "XFL1ABC" and dev["board"] == "u250"
    assert dev["facts"]["platform"] == {
        "value": U250_VBNV,
        "source": "sysfs",
        "detail": dev["facts"]["platform"]["detail"],
    }
    assert dev["health"]["status"] == "ok" and dev["health"]["temperature_c"] == 41.0
    assert d["sources"]["pyxrt"]["available"] is False  # no XRT in this image


def test_xclbins_endpoint(server):
    r = server.get("fpga/api/xclbins")
    assert r.status_code == 200
    d = r.json()
    assert d["dirs"] == [str(server.xdir)]
    by_name = {Path(e["path"]).name: e for e in d["xclbins"]}
    assert by_name["vadd.xclbin"]["uuid"] == LOADED and by_name["vadd.xclbin"]["kernels"] == [
        "krnl_vadd"
    ]
    assert by_name["emu.xclbin"]["mode"] == "sw_emu"


@pytest.mark.parametrize("path", ["fpga/api/devices", "fpga/api/xclbins"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "token wrong-token"}])
def test_refused_without_a_valid_token(server, path, headers):
    r = requests.get(server.url + path, headers=headers, timeout=10, allow_redirects=False)
    assert r.status_code in (403, 302, 401)
    if r.status_code == 302:
        assert "login" in r.headers["Location"]
    assert b"0000:3b:00.1" not in r.content and b"krnl_vadd" not in r.content


def test_answers_are_served_from_memory(server):
    server.get("fpga/api/devices")
    t0 = time.perf_counter()
    for _ in range(50):
        assert server.get("fpga/api/devices").status_code == 200
    assert (time.perf_counter() - t0) / 50 < 0.05


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    """XRT takes 3 s per discovery: the server must stay responsive throughout."""
    tmp = tmp_path_factory.mktemp("slow")
    host, xdir, env = _pod(tmp)
    shim = tmp / "shim"
    shim.mkdir()
    (shim / "pyxrt.py").write_text(SLOW_PYXRT.format(delay=3, vbnv=U250_VBNV, uuid=LOADED))
    (shim / "deny_authorizer.py").write_text(DENY_AUTHORIZER)
    env["PYTHONPATH"] = str(shim)
    args = [
        f"--FPGADevices.sysfs_root={host.sys}",
        f"--FPGADevices.dev_root={host.dev}",
        "--FPGADevices.refresh_interval=0.5",
        "--FPGADevices.first_wait=1",
        "--ServerApp.authorizer_class=deny_authorizer.DenyNamedResource",
    ]
    srv = Server(tmp, env, args)
    yield srv
    srv.stop()


def test_slow_pyxrt_never_blocks_the_server(slow_server):
    t0 = time.perf_counter()
    first = slow_server.get("fpga/api/devices")
    waited = time.perf_counter() - t0
    # still discovering: a clear 503 after first_wait, not a hang
    assert first.status_code == 503 and first.headers["Retry-After"] == "2"
    assert "still running" in first.json()["message"] and 0.9 < waited < 2.5
    for _ in range(5):  # meanwhile the rest of the server answers at once
        t0 = time.perf_counter()
        assert slow_server.get("api/status").status_code == 200
        assert time.perf_counter() - t0 < 0.5
    deadline = time.monotonic() + 15
    while (
        r := slow_server.get("fpga/api/devices")
    ).status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.3)
    d = r.json()
    (dev,) = d["devices"]
    assert dev["xrt_name"] == U250_VBNV and "pyxrt" in dev["sources"]
    assert dev["loaded_xclbin"]["uuid"] == LOADED and dev["loaded_xclbin"]["kernels"] == [
        "krnl_vadd"
    ]
    # the report is now stale (refresh 0.5 s): answers stay instant while XRT works behind
    time.sleep(0.6)
    for _ in range(3):
        t0 = time.perf_counter()
        assert slow_server.get("fpga/api/devices").status_code == 200
        assert time.perf_counter() - t0 < 0.5
    assert json.loads(slow_server.get("fpga/api/devices").content)["refreshed_at"] > 0


def test_authorization_is_checked_on_the_fpga_resource(slow_server):
    deny = {"X-Deny-Resource": "fpga"}
    for path in ("fpga/api/devices", "fpga/api/xclbins", "fpga/metrics"):
        r = slow_server.get(path, headers=deny)
        assert r.status_code == 403 and b"0000:3b:00.1" not in r.content
        assert b"jupyter_fpga" not in r.content
    assert slow_server.get("api/status", headers=deny).status_code == 200
    assert (
        slow_server.get("fpga/api/xclbins", headers={"X-Deny-Resource": "api"}).status_code == 200
    )


def test_bad_option_is_one_clear_error_line(tmp_path):
    srv = Server(tmp_path, {}, ["--FPGADevices.refresh_interval=-1"])
    try:
        assert srv.get("fpga/api/devices").status_code == 404
        assert srv.get("api/status").status_code == 200  # the server itself still runs
    finally:
        srv.stop()
    log = (tmp_path / "server.log").read_text()
    assert (
        "jupyter_ext: FPGA endpoints disabled: FPGADevices.refresh_interval=-1.0: must be > 0 seconds"
        in log
    )
    assert "Traceback" not in log

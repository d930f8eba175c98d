"""A real `jupyter server` whose root holds a Binder repository: `fpga/api/devices` warns."""

from __future__ import annotations

import shutil
import time

import pytest

from jupyter_ext.contract import FPGARequest
from tests.support.paths import TEMPLATE
from tests.support.pod_server import Server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A pod the hub gave an emulated U200, serving a copy of the template (needs u250/u280/f2)."""
    root = tmp_path_factory.mktemp("binder-pod")
    shutil.copytree(TEMPLATE / "binder", root / "binder")
    env = FPGARequest("u200", 1, "amd.com/xilinx_u200-0", "amd", "AMD Alveo U200").to_env()
    env["FPGA_EMULATION"] = "1"
    empty = root / "empty"
    empty.mkdir()
    args = [
        f"--FPGADevices.sysfs_root={empty}",
        f"--FPGADevices.dev_root={empty}",
        "--FPGADevices.use_pyxrt=False",
        "--FPGADevices.refresh_interval=0.2",
    ]
    srv = Server(root, env, args)
    srv.root = root
    yield srv
    srv.stop()


def _repository(server: Server) -> dict:
    r = server.get("fpga/api/devices")
    assert r.status_code == 200, r.text
    return r.json()["repository"]


def _wait_for(server: Server, pred, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while not pred(answer := _repository(server)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return answer


def test_devices_answer_carries_the_repository_warning(server):
    repo = _repository(server)
    assert repo["file"] == str(server.root / "binder" / "fpga.yaml")
    assert repo["functions"] == ["vision.stereo_bm", "finance.black_scholes"]
    assert repo["boards"] == ["u250", "u280"] and repo["error"] is None
    assert repo["warnings"] == [
        "This repository's notebooks need one of u250, u280; this server emulates "
        "1 × AMD Alveo U200, which is not one of them (they will run emulated on the CPU)."
    ]
    # the rest of the answer is discovery's, unchanged
    assert server.get("fpga/api/devices").json()["backend"] == "emulated"


def test_a_broken_file_is_reported_not_a_500(server):
    path = server.root / "binder" / "fpga.yaml"
    good = path.read_text()
    try:
        path.write_text("functions: [vision.stereo_bm]\nboards: {u250: 1}\n")
        repo = _wait_for(server, lambda a: a["error"])
        assert repo["error"] == (
            f"{path}: field 'boards' must be a list, each entry a board slug like u250; "
            "got dict {'u250': 1}"
        )
        assert repo["warnings"] == [repo["error"]]
    finally:
        path.write_text(good)
    assert _wait_for(server, lambda a: not a["error"])["error"] is None

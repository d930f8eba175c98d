"""pyxrt's answers merged with sysfs; the loaded xclbin named from the repository.

pyxrt ships with XRT and cannot be installed here, so these tests hand
``discover`` a stand-in module with pyxrt's documented calls
(``enumerate_devices``, ``device(i).get_info(xrt_info_device.<key>)``).
"""

from __future__ import annotations

import json
import sys
import types

from jupyter_ext.contract import FPGARequest
from jupyter_ext.discovery import discover
from tests.support.sysfs_trees import U250_VBNV, Host
from tests.support.xclbin_writer import write_xclbin

LOADED = "5d1b6f8e-2c4a-4e8e-9a51-3f2b8c7d6e10"


def fake_pyxrt(boards: list[dict], fail_index: int | None = None, fail_enumerate: bool = False):
    keys = types.SimpleNamespace(
        **{k: k for k in ("bdf", "name", "platform", "dynamic_regions", "thermal", "electrical")}
    )

    class Device:
        def __init__(self, index):
            if index == fail_index:
                raise RuntimeError("open failed: permission denied")
            self.b = boards[index]

        def get_info(self, key):
            if key == "electrical" and "power" not in self.b:
                raise RuntimeError("electrical query not supported")
            return {
                "bdf": self.b["bdf"],
                "name": self.b["name"],
                "platform": json.dumps({"platforms": [{"static_region": {"vbnv": self.b["vbnv"]}}]}),
                "dynamic_regions": json.dumps({"dynamic_regions": [{"xclbin_uuid": self.b.get("uuid", "")}]}),
                "thermal": json.dumps({"thermals": [
                    {"description": "PCB top front", "temp_C": "35"},
                    {"description": "FPGA", "temp_C": str(self.b.get("temp", 50))},
                ]}),
                "electrical": json.dumps({"power_consumption_watts": str(self.b.get("power"))}),
            }[key]  # fmt: skip

    def enumerate_devices():
        if fail_enumerate:
            raise RuntimeError("xclProbe failed")
        return len(boards)

    return types.SimpleNamespace(
        enumerate_devices=enumerate_devices, device=Device, xrt_info_device=keys
    )


def test_pyxrt_facts_join_the_sysfs_device_and_name_the_loaded_xclbin(tmp_path):
    host = Host(tmp_path / "host")
    host.alveo("0000:3b:00", U250_VBNV, render=128)
    xdir = tmp_path / "xclbins"
    xdir.mkdir()
    write_xclbin(
        xdir / "vadd.xclbin", platform=U250_VBNV, kernels=["krnl_vadd"], xclbin_uuid=LOADED
    )
    req = FPGARequest(board="u250", count=1, resource="amd.com/x", xclbin_path=(str(xdir),))
    pyxrt = fake_pyxrt([{"bdf": "0000:3b:00.1", "name": U250_VBNV, "vbnv": U250_VBNV,
                         "uuid": LOADED.upper(), "temp": 61, "power": 27.25}])  # fmt: skip
    r = discover(host.sys, host.dev, environ=req.to_env(), pyxrt_module=pyxrt)
    (d,) = r.devices
    assert d.sources == ["devnode", "pyxrt", "sysfs"]
    assert d.facts["xrt_name"].source == "pyxrt" and d.get("xrt_index") == 0
    assert d.facts["platform"].source == "sysfs"  # first source wins; pyxrt agreed
    assert "platform@pyxrt" not in d.facts
    assert d.get("temperature_c") == 41.0 and d.facts["temperature_c@pyxrt"].value == 61.0
    assert d.loaded_xclbin == {
        "uuid": LOADED,
        "source": "pyxrt",
        "path": str(xdir / "vadd.xclbin"),
        "kernels": ["krnl_vadd"],
        "platform": U250_VBNV,
    }
    assert r.sources["pyxrt"] == {"available": True, "count": 1}
    assert r.problems == []


def test_loaded_xclbin_from_sysfs_without_pyxrt(tmp_path):
    host = Host(tmp_path)
    host.alveo("0000:3b:00", U250_VBNV, render=128, xclbin_uuid=LOADED)
    r = discover(host.sys, host.dev, environ={}, use_pyxrt=False, xclbin_lookup=lambda u: None)
    assert r.devices[0].loaded_xclbin == {"uuid": LOADED, "source": "sysfs", "path": None}
    assert r.sources["pyxrt"]["available"] is False


def test_pyxrt_only_container_without_sysfs(tmp_path):
    pyxrt = fake_pyxrt([{"bdf": "0000:b3:00.1", "name": "xilinx_u280_gen3x16_xdma_base_1",
                         "vbnv": "xilinx_u280_gen3x16_xdma_base_1"}])  # fmt: skip
    env = FPGARequest(board="u280", count=1, resource="amd.com/x").to_env()
    r = discover(tmp_path / "s", tmp_path / "d", environ=env, pyxrt_module=pyxrt)
    (d,) = r.devices
    assert d.id == "0000:b3:00.1" and d.get("board") == "u280" and d.sources == ["pyxrt"]
    assert d.health["status"] == "ok" and "electrical" in d.health["notes"][0]
    assert r.backend == "hardware" and r.problems == []


def test_broken_pyxrt_never_crashes_discovery(tmp_path):
    host = Host(tmp_path)
    host.alveo("0000:3b:00", U250_VBNV, render=128)
    r = discover(host.sys, host.dev, environ={}, pyxrt_module=fake_pyxrt([], fail_enumerate=True))
    assert "xclProbe failed" in r.sources["pyxrt"]["error"] and len(r.devices) == 1
    boards = [
        {"bdf": "0000:3b:00.1", "name": "n", "vbnv": U250_VBNV},
        {"bdf": "x", "name": "n", "vbnv": ""},
    ]
    r = discover(host.sys, host.dev, environ={}, pyxrt_module=fake_pyxrt(boards, fail_index=1))
    assert [d.id for d in r.devices] == ["0000:3b:00.1"]
    (bad,) = r.unassigned
    assert bad.id == "xrt:1" and bad.health["status"] == "error"
    assert "permission denied" in bad.health["notes"][0]


def test_real_import_path_reports_pyxrt_absent(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "pyxrt", raising=False)  # another test's stand-in
    r = discover(tmp_path, tmp_path, environ={}, use_pyxrt=True)
    assert r.sources["pyxrt"]["available"] is False
    assert "pyxrt is not installed" in r.sources["pyxrt"]["reason"]


def test_xrt_2022_without_enumerate_devices_still_finds_its_boards(tmp_path):
    """XRT 2022.1 to 2023.1 have no enumerate_devices: devices are opened until one is missing."""
    pyxrt = fake_pyxrt([{"bdf": "0000:b3:00.1", "name": "xilinx_u280_gen3x16_xdma_base_1",
                         "vbnv": "xilinx_u280_gen3x16_xdma_base_1"}])  # fmt: skip
    del pyxrt.enumerate_devices
    env = FPGARequest(board="u280", count=1, resource="amd.com/x").to_env()
    r = discover(tmp_path / "s", tmp_path / "d", environ=env, pyxrt_module=pyxrt)
    (d,) = r.devices
    assert d.id == "0000:b3:00.1" and d.sources == ["pyxrt"]
    assert r.backend == "hardware" and r.problems == []

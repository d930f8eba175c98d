"""discover() on directory trees that mirror real FPGA hosts and pods."""

from __future__ import annotations

import json

import pytest

from jupyter_ext.contract import FPGARequest
from jupyter_ext.discovery import discover
from tests.support.sysfs_trees import U200_VBNV, U250_VBNV, U280_VBNV, Host

U250_REQ = FPGARequest(
    board="u250",
    board_name="AMD Alveo U250",
    count=1,
    resource=f"amd.com/{U250_VBNV}-0",
    plugin="amd",
    platform=U250_VBNV,
)


@pytest.fixture()
def host(tmp_path) -> Host:
    return Host(tmp_path)


def run(host: Host, env: dict[str, str] | None = None, **kw):
    report = discover(host.sys, host.dev, environ=env or {}, use_pyxrt=False, **kw)
    json.dumps(report.to_dict())  # always JSON-able
    return report


def test_one_u250_from_the_amd_plugin(host):
    ids = host.alveo("0000:3b:00", U250_VBNV, render=128, serial="21290594G00L")
    host.other("0000:00:1f.0", "0x8086", "0xa1c8")  # chipset: not an FPGA
    r = run(host, U250_REQ.to_env())
    assert r.backend == "hardware" and r.matches_request is True and r.problems == []
    (d,) = r.devices
    assert d.id == ids["user"] == d.get("bdf")
    assert (d.get("board"), d.get("board_name"), d.get("platform")) == (
        "u250",
        "AMD Alveo U250",
        U250_VBNV,
    )
    assert d.get("serial") == "21290594G00L" and d.get("mgmt_bdf") == ids["mgmt"]
    assert d.get("resource") == f"amd.com/{U250_VBNV}-0"  # what the AMD plugin advertises
    assert d.get("render_node") == str(host.dev / "dri" / "renderD128")
    assert d.get("mgmt_node") == str(host.dev / f"xclmgmt{ids['instance']}")
    assert d.get("temperature_c") == 41.0 and d.get("power_w") == 23.5
    assert len(d.get("logic_uuids")) == 2
    # provenance: each fact says where it came from
    assert d.facts["platform"].source == "sysfs" and d.facts["platform"].detail.endswith("/VBNV")
    assert d.facts["render_node"].source == "devnode"
    assert d.sources == ["devnode", "sysfs"]
    assert d.health["status"] == "ok" and d.loaded_xclbin is None
    assert r.requested["board"] == "u250" and r.requested["count"] == 1
    out = r.to_dict()
    assert out["devices"][0]["facts"]["serial"]["source"] == "sysfs"
    assert out["visible_count"] == 1 and out["emulated_count"] == 0


def test_two_u280s(host):
    host.alveo(
        "0000:65:00", U280_VBNV, render=128, mgmt_dev="0x500c", user_dev="0x500d", serial="A1"
    )
    host.alveo(
        "0000:b3:00",
        U280_VBNV,
        render=129,
        mgmt_dev="0x500c",
        user_dev="0x500d",
        serial="A2",
        qdma=True,
    )
    req = FPGARequest(board="u280", count=2, resource=f"amd.com/{U280_VBNV}-0", platform=U280_VBNV)
    r = run(host, req.to_env())
    assert r.backend == "hardware" and r.matches_request and r.problems == []
    assert [d.get("serial") for d in r.devices] == ["A1", "A2"]
    assert all(d.get("board") == "u280" for d in r.devices)
    assert r.devices[1].get("qdma_node") == str(
        host.dev / "xfpga" / f"dma.qdma.u{0xB3 * 256 + 1}.0"
    )  # domain*65536+bus*256+dev*8+fn
    assert r.summary == "2 × AMD Alveo U280 requested; 2 matching FPGA(s) visible."


def test_two_u280s_on_the_node_but_only_one_mounted(host):
    host.alveo("0000:65:00", U280_VBNV, render=128, mgmt_dev="0x500c", user_dev="0x500d")
    host.alveo(
        "0000:b3:00", U280_VBNV, render=129, mgmt_dev="0x500c", user_dev="0x500d", mount=False
    )
    req = FPGARequest(board="u280", count=2, resource=f"amd.com/{U280_VBNV}-0")
    r = run(host, req.to_env())
    assert [d.id for d in r.devices] == ["0000:65:00.1"]
    assert [d.id for d in r.unassigned] == ["0000:b3:00.1"]
    assert r.unassigned[0].health["status"] == "not assigned to this pod"
    assert r.unassigned[0].get("render_node_expected") == "/dev/dri/renderD129"
    assert r.matches_request is False
    assert (
        r.problems[0]
        == f"Asked for 2 × AMD Alveo U280 (amd.com/{U280_VBNV}-0), but this pod sees only 1."
    )
    assert "0000:b3:00.1" in r.problems[1] and "not mounted into this container" in r.problems[1]


# What the AMD device plugin advertises for an AWS F2, from the VBNV XRT's xocl
# driver writes: before it has heard from the host, with the Small Shell
# (version 0x10212415, 8 hex digits keep the "_202410_1" tail), and with a
# version of fewer digits (written without leading zeros, ending the name).
F2_NAMES = [
    (
        "xilinx_aws-vu47p-f2_xdma-shell-v04052421_202410_1",
        "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v04052421_202410_1-43981",
    ),
    (
        "xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1",
        "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1-43981",
    ),
    (
        "xilinx_aws-vu47p-f2_xdma-shell-v4052421",
        "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v4052421-43981",
    ),
]


@pytest.mark.parametrize(("vbnv", "resource"), F2_NAMES)
def test_aws_f2_is_found_under_the_name_the_amd_plugin_gives_it(host, vbnv, resource):
    host.aws("0000:00:1e.0", "0x9048", vbnv, render=128)
    host.other("0000:00:05.0", "0x1d0f", "0xec20")  # the ENA network adapter, also vendor 0x1d0f
    req = FPGARequest(
        board="f2", board_name="AWS F2 (VU47P)", count=1, resource=resource, plugin="amd"
    )
    r = run(host, req.to_env())
    assert r.backend == "hardware" and r.problems == [] and r.matches_request
    (d,) = r.devices
    assert (d.id, d.get("vendor"), d.get("device_id")) == (
        "0000:00:1e.0",
        "Amazon Web Services",
        "0x9048",
    )
    assert d.get("board") == "aws-vu47p-f2" and d.get("platform") == vbnv
    assert d.get("shell_timestamp") == "43981"
    assert d.get("resource") == resource and d.to_dict()["resource"] == resource
    assert d.facts["resource"].source == "sysfs"
    assert d.get("render_node") == str(host.dev / "dri" / "renderD128")
    assert d.get("serial") is None and d.get("mgmt_node") is None  # AWS keeps the mgmt PF


def test_aws_f1_under_the_plugin_before_2022_08(host):
    """Older XRT wrote xilinx_aws-vu9p-f1_dynamic_5_0 for an F1; the legacy plugin named it."""
    host.aws("0000:00:1d.0", "0xf010", "xilinx_aws-vu9p-f1_dynamic_5_0", render=128)
    req = FPGARequest(
        board="aws-vu9p-f1",
        board_name="AWS F1 VU9P",
        count=1,
        resource="xilinx.com/fpga-xilinx_aws-vu9p-f1_dynamic_5_0-43981",
        plugin="xilinx-legacy",
    )
    r = run(host, req.to_env())
    assert r.backend == "hardware" and r.problems == [] and r.matches_request
    (d,) = r.devices
    assert d.get("board") == "aws-vu9p-f1" and d.get("platform") == "xilinx_aws-vu9p-f1_dynamic_5_0"
    assert d.facts["platform"].source == "sysfs"
    assert d.get("resource") == "amd.com/xilinx_aws-vu9p-f1_dynamic_5_0-43981"


def test_aws_fpga_without_xocl_is_a_note_not_a_guess(host):
    host.aws("0000:00:1e.0", "0x9048", "", render=128, xocl=False)
    r = run(host)
    assert r.devices == [] and r.unassigned == []
    (note,) = r.sources["sysfs"]["notes"]
    assert note.startswith("AWS F2 (Xilinx Virtex UltraScale+ VU47P) PCI function 0000:00:1e.0")
    assert "no XRT driver bound" in note and "does not offer it" in note


def test_bcom_pod_with_accelerator_units(host):
    a = host.alveo(
        "0000:3b:00", U200_VBNV, render=128, mgmt_dev="0x5000", user_dev="0x5001", mount=False
    )
    host.alveo(
        "0000:5e:00", U200_VBNV, render=129, mgmt_dev="0x5000", user_dev="0x5001", mount=False
    )
    env = FPGARequest(
        board="u200", count=1, resource="b-com.com/accelerator", plugin="bcom"
    ).to_env()
    env["ACCELERATOR_UNITS"] = "3b:00.1"
    r = run(host, env)
    (d,) = r.devices
    assert d.id == a["user"] and d.assigned and d.get("board") == "u200"
    assert (
        d.facts["plugin_unit"].source == "env"
        and d.facts["plugin_unit"].detail == "ACCELERATOR_UNITS"
    )
    assert [u.id for u in r.unassigned] == ["0000:5e:00.1"]
    assert r.backend == "hardware" and r.matches_request and r.problems == []


def test_bcom_units_that_sysfs_does_not_know(host):
    env = FPGARequest(board="u200", count=2, resource="b-com.com/accelerator").to_env()
    env["ACCELERATOR_DEVICES"] = "fpga-0,fpga-1"
    r = run(host, env)
    assert [d.id for d in r.devices] == ["fpga-0", "fpga-1"]
    assert all(d.health["status"] == "unknown" for d in r.devices)
    assert r.backend == "hardware" and r.problems == []
    assert any("cannot tell which board" in n for n in r.notes)


def test_pod_asked_for_a_u250_and_sees_none(host):
    r = run(host, U250_REQ.to_env())
    assert r.backend == "none" and r.devices == [] and r.matches_request is False
    assert r.problems[0] == (
        f"Asked for 1 × AMD Alveo U250 (amd.com/{U250_VBNV}-0), but this pod sees no FPGA."
    )
    assert "sysfs shows no FPGA" in r.problems[1]
    assert r.summary == "1 × AMD Alveo U250 requested; no FPGA visible."
    assert "no FPGA" in r.to_text()


def test_machine_with_no_fpga_at_all(host):
    host.other("0000:00:1f.0", "0x8086", "0xa1c8")
    host.gpu("0000:af:00.0", render=128)
    r = run(host)
    assert r.backend == "none" and r.devices == [] and r.unassigned == []
    assert r.problems == [] and r.requested is None and r.matches_request is None
    assert r.summary == "No FPGA requested and none visible."
    assert "not an FPGA" in r.sources["devnodes"]["ignored_nodes"][0]


def test_missing_roots_are_an_answer_not_a_crash(tmp_path):
    r = discover(tmp_path / "nosys", tmp_path / "nodev", environ={}, use_pyxrt=False)
    assert r.backend == "none" and r.devices == []


def test_emulation_reports_emulated_boards(host):
    env = FPGARequest(board="u250", board_name="AMD Alveo U250", count=2, resource="amd.com/x",
                      platform=U250_VBNV, emulation=True).to_env()  # fmt: skip
    r = run(host, env)
    assert r.backend == "emulated" and r.problems == [] and r.matches_request is True
    assert len(r.devices) == 2
    for d in r.devices:
        assert d.emulated and d.to_dict()["emulated"] is True
        assert (d.get("board"), d.get("board_name"), d.get("platform")) == (
            "u250",
            "AMD Alveo U250",
            U250_VBNV,
        )
        assert d.sources == ["emulation"] and d.health["status"] == "emulated"
    assert r.summary.startswith("EMULATED: 2 × AMD Alveo U250")
    assert r.to_dict()["emulated_count"] == 2 and r.to_dict()["visible_count"] == 0


def test_without_emulation_flag_a_missing_board_is_a_mismatch_not_emulation(host):
    env = FPGARequest(board="u250", count=2, resource="amd.com/x").to_env()
    r = run(host, env)
    assert r.backend == "none" and not any(d.emulated for d in r.devices)
    assert r.problems and r.matches_request is False


def test_wrong_board_and_wrong_shell(host):
    host.alveo("0000:3b:00", U280_VBNV, render=128, mgmt_dev="0x500c", user_dev="0x500d")
    host.alveo("0000:5e:00", "xilinx_u250_gen3x16_xdma_shell_3_1", render=129)
    r = run(
        host, FPGARequest(board="u250", count=1, resource="amd.com/x", platform=U250_VBNV).to_env()
    )
    assert r.matches_request is False and r.backend == "hardware"
    text = "\n".join(r.problems)
    assert "0000:3b:00.1 is AMD Alveo U280, not the requested AMD Alveo U250." in text
    assert (
        f"0000:5e:00.1 runs shell xilinx_u250_gen3x16_xdma_shell_3_1, but the request expects {U250_VBNV}"
        in text
    )


def test_garbled_count_is_reported(host):
    env = U250_REQ.to_env() | {"FPGA_COUNT": "two"}
    r = run(host, env)
    assert (
        r.problems[0] == "FPGA_COUNT='two' is not a whole number; the request is read as 0 boards."
    )


def test_inaccel_pod(host):
    env = FPGARequest(board="u250", count=1, resource="xilinx/u250", plugin="inaccel").to_env()
    env["INACCEL_FPGA"] = "enabled"
    r = run(host, env)
    assert r.problems == [] and r.sources["env"]["inaccel"] is True
    assert any("InAccel" in n for n in r.notes)


def test_intel_pac_region_mode(host):
    host.other("0000:3b:00.0", "0x8086", "0x09c4")
    host.node("dfl-port.0")
    env = FPGARequest(
        board="pac-a10", count=1, resource="fpga.intel.com/region-69528db6eb31577a8c3668f9faa081f6"
    ).to_env()
    env |= {
        "FPGA_REGION_1": "69528db6eb31577a8c3668f9faa081f6",
        "FPGA_AFU_1": "d8424dc4a4a3c413f89e433683f9040b",
    }
    r = run(host, env)
    (d,) = r.devices
    assert d.get("board") == "pac_a10" and d.get("port_node") == str(host.dev / "dfl-port.0")
    assert d.get("fpga_region") == "69528db6eb31577a8c3668f9faa081f6"
    assert d.facts["fpga_afu"].detail == "FPGA_AFU_1"
    assert r.problems == [] and r.backend == "hardware"

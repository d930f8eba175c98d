"""Zero configuration: the catalog from the cluster's nodes, and `jupyterhub-fpga discover`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

from fpga_spawner import zero_config
from fpga_spawner.catalog import parse_catalog
from fpga_spawner.discovery import describe_resource, discover_boards, node_location
from fpga_spawner.render import make_spawner
from tests.hub.test_capacity import FakeApi
from tests.support.spawner import to_dict

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
U280_LEGACY = "xilinx.com/fpga-xilinx_u280_gen3x16_xdma_base_1-1579649056"
F2 = "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1-43981"
FPGA_TAINT = {"key": "fpga.jupyterhub.io/fpga", "value": "present", "effect": "NoSchedule"}


def node(name, allocatable, labels=None, taints=(), provider=""):
    spec = {"taints": list(taints)}
    if provider:
        spec["providerID"] = provider
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
        "status": {"allocatable": {"cpu": "16", "memory": "64Gi", **allocatable}},
    }


NODES = [
    node("onprem-1", {U250: "2"}, taints=[FPGA_TAINT, {"key": "gpu", "effect": "NoSchedule"}]),
    node("onprem-2", {U250: "4", U280_LEGACY: "1"}),
    node("f2-a", {F2: "2"}, {"node.kubernetes.io/instance-type": "f2.12xlarge"}),
    node("gpu", {"nvidia.com/gpu": "8"}, provider="aws:///us-east-1a/i-0abc"),
    node("inaccel", {"xilinx/u250": "1k"}, {"fpga.jupyterhub.io/location": "cloud"}),
    node("broken", {U250: "lots"}),
    "not a node",
]


def test_boards_from_the_nodes():
    boards = {b["resource"]: b for b in discover_boards(NODES)}
    assert set(boards) == {U250, U280_LEGACY, F2, "xilinx/u250"}  # no GPU, no cpu
    u250 = boards[U250]
    assert u250 == {
        "slug": "u250",
        "display_name": "AMD Alveo U250",
        "description": "AMD Alveo U250 (xilinx_u250_gen3x16_xdma_shell_4_1), "
        "found on 2 nodes of the cluster",
        "plugin": "amd",
        "resource": U250,
        "location": "on-premises",
        "max_per_user": 4,
        "platform": "xilinx_u250_gen3x16_xdma_shell_4_1",
        # the FPGA taint, not the GPU one
        "tolerations": [
            {"key": "fpga.jupyterhub.io/fpga", "operator": "Exists", "effect": "NoSchedule"}
        ],
    }
    assert boards[U280_LEGACY]["plugin"] == "xilinx-legacy"
    assert boards[U280_LEGACY]["display_name"] == "AMD Alveo U280"
    assert (boards[F2]["location"], boards[F2]["slug"]) == ("cloud", "aws-vu47p-f2")
    assert boards[F2]["display_name"].startswith("AWS F2")
    inaccel = boards["xilinx/u250"]
    assert (inaccel["plugin"], inaccel["slug"], inaccel["max_per_user"]) == ("inaccel", "u250-2", 8)
    # what discovery finds passes the catalog's own checks
    assert len(parse_catalog(boards=list(boards.values())).boards) == 4


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("amd.com/ama_u30", ("u30", "AMD Alveo U30", "")),
        ("fpga.intel.com/af-695.d84.aVKNtusxV3qMNmj5-qCB9thCTcSko8QT-J5DNoP5BAs", ("", None, "")),
        ("b-com.com/accelerator", ("", "b-com.com/accelerator", "")),
        (
            "amd.com/xilinx_vck5000_gen4x8_qdma_2_202220_1-0",
            ("vck5000", "AMD Versal VCK5000", None),
        ),
    ],
)
def test_names_from_resource_names(resource, expected):
    board, human, platform = describe_resource(resource)
    assert board == expected[0]
    if expected[1] is not None:
        assert human == expected[1]
    if expected[2] is not None:
        assert platform == expected[2]


@pytest.mark.parametrize(
    ("labels", "provider", "location"),
    [
        ({}, "", "on-premises"),
        ({"fpga.jupyterhub.io/location": "cloud"}, "", "cloud"),
        ({"fpga.jupyterhub.io/location": "on-premises"}, "aws:///x", "on-premises"),
        ({}, "gce://project/zone/vm", "cloud"),
        ({"eks.amazonaws.com/nodegroup": "fpga"}, "", "cloud"),
        ({"node.kubernetes.io/instance-type": "f2.6xlarge"}, "", "cloud"),
        ({"node.kubernetes.io/instance-type": "on-premises-server"}, "", "on-premises"),
    ],
)
def test_location_from_the_node(labels, provider, location):
    assert node_location(node("n", {}, labels, provider=provider)) == location


@pytest.fixture
def zero(monkeypatch):
    """`spawner_class = "fpga"` and nothing else, on a cluster with these nodes."""
    monkeypatch.setattr(zero_config, "_shared", {})
    config = Config()
    config.JupyterHub.spawner_class = "fpga"
    return config


async def zero_config_spawner(config, nodes):
    spawner = make_spawner(config, "alice")
    spawner.api = FakeApi(nodes, [])
    return spawner


async def test_zero_config_spawner_offers_the_clusters_boards(zero):
    spawner = await zero_config_spawner(zero, NODES[:3])
    slugs = [p["slug"] for p in await spawner.initialized_profile_list()]
    assert slugs == ["aws-vu47p-f2", "u250", "u280"]  # by resource name
    assert "AMD Alveo U250" in await spawner.get_options_form()
    spawner.user_options = {"profile": "u250", "count": "2"}
    await spawner.load_user_options()
    pod = to_dict(await spawner.get_pod_manifest())
    assert pod["spec"]["containers"][0]["resources"]["limits"][U250] == "2"
    assert {"key": "fpga.jupyterhub.io/fpga", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "spec"
    ]["tolerations"]


async def test_zero_config_without_fpgas_is_plain_kubespawner(zero):
    spawner = await zero_config_spawner(zero, [node("cpu", {})])
    assert await spawner.get_options_form() == ""  # no form: JupyterHub spawns at once
    spawner.user_options = {}
    await spawner.load_user_options()
    assert spawner.fpga_placement is None


def test_discover_command_prints_a_catalog_file(tmp_path):
    nodes = tmp_path / "nodes.json"
    nodes.write_text(json.dumps({"kind": "NodeList", "items": NODES[:3]}))
    command = [str(Path(sys.executable).with_name("jupyterhub-fpga")), "discover", "--nodes"]
    result = subprocess.run([*command, str(nodes)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    catalog = yaml.safe_load(result.stdout)
    assert [b["slug"] for b in catalog["boards"]][0] == "aws-vu47p-f2"
    assert {b["resource"] for b in catalog["boards"]} == {U250, U280_LEGACY, F2}
    # and it is a catalog file the spawner reads as it is
    assert len(parse_catalog(**catalog).boards) == 3
    stdin = subprocess.run(
        [*command, "-"], input=nodes.read_text(), capture_output=True, text=True, timeout=60
    )
    assert stdin.stdout == result.stdout

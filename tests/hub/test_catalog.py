"""The catalog: good files parse, every defect names the option, the entry and the value."""

from __future__ import annotations

import pytest
import yaml

from fpga_spawner.catalog import CatalogError, load_catalog_file, parse_catalog

GOOD_BOARD = {
    "slug": "u250",
    "plugin": "amd",
    "resource": "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0",
}
# What the AMD device plugin advertises for an AWS F2 with the Small Shell (0x10212415)
F2 = "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1-43981"


def test_example_catalog_parses(repo_root):
    data = load_catalog_file(repo_root / "examples" / "catalog.yaml")
    catalog = parse_catalog(**data)
    assert [b.slug for b in catalog.boards] == ["u250", "f2"]
    assert catalog.board("f2").location == "cloud"
    assert catalog.board("f2").groups == ("fpga-cloud",)
    assert catalog.board("f2").resource == F2
    assert {lic.name for lic in catalog.licenses_for("u250")} == {"xilinx-license", "accelize"}
    # F2 runs no Vitis xclbin: the Vitis library accelerators stay on the U250
    assert catalog.accelerator("vision.stereo_bm").boards == (("u250", 1),)
    assert all("f2" not in dict(a.boards) for a in catalog.accelerators)


@pytest.mark.parametrize(
    "resource",
    [
        F2,
        # before XRT's driver has heard the shell version from the host
        "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v04052421_202410_1-43981",
        # a version of fewer than 8 hex digits ends the VBNV
        "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v4052421-43981",
    ],
)
def test_an_f2_entry_takes_the_names_the_plugin_advertises(resource):
    board = {"slug": "f2", "plugin": "amd", "resource": resource, "location": "cloud"}
    assert parse_catalog([board]).board("f2").resource == resource


@pytest.mark.parametrize(
    "resource",
    [
        "amd.com/xilinx_aws-vu47p-f2_dynamic_5_0-0",  # never advertised by any plugin
        "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1-0",  # AWS timestamp is 43981
        "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v10212415-43981",  # 8 digits keep _202410_1
    ],
)
def test_an_f2_name_no_plugin_advertises_is_refused_with_the_real_one(resource):
    board = {"slug": "f2", "plugin": "amd", "resource": resource, "location": "cloud"}
    with pytest.raises(CatalogError) as info:
        parse_catalog([board])
    message = str(info.value)
    assert message.startswith(f"FPGASpawner.boards: entry #0 ('f2'): resource={resource!r}")
    assert "is not a name the device plugin gives an AWS F2" in message
    assert repr(F2) in message and "kubectl describe node" in message


def test_an_f2_under_the_plugin_before_2022_08():
    legacy = "xilinx.com/fpga-xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1-43981"
    board = {"slug": "f2", "plugin": "xilinx-legacy", "resource": legacy}
    assert parse_catalog([board]).board("f2").resource == legacy
    with pytest.raises(CatalogError, match="xilinx.com/fpga-xilinx_aws-vu47p-f2_xdma-shell-v1"):
        parse_catalog([{**board, "resource": "xilinx.com/fpga-xilinx_aws-vu47p-f2_x-43981"}])


@pytest.mark.parametrize(
    "resource",
    [
        "fpga.intel.com/arria10.dcp1.2-nlb0-preprogrammed",  # an alias the webhook maps
        "fpga.intel.com/af-695.d84.aVKNtusxV3qMNmj5-qCB9thCTcSko8QT-J5DNoP5BAs",
        "fpga.intel.com/region-69528db6eb31577a8c3668f9faa081f6",
    ],
)
def test_intel_boards_take_the_plugins_names_and_webhook_aliases(resource):
    board = {"slug": "nlb0", "plugin": "intel", "resource": resource}
    assert parse_catalog([board]).board("nlb0").resource == resource


def test_the_demo_cluster_offers_every_board_the_demo_catalog_requests(repo_root):
    catalog = parse_catalog(**load_catalog_file(repo_root / "demo/fpga_demo/catalog.yaml"))
    cluster = yaml.safe_load((repo_root / "demo/fpga_demo/emulator/clusters/demo.yaml").read_text())
    on_nodes = {
        r
        for node in cluster["nodes"]
        for r in [*node["allocatable"], *node.get("virtualDevices", {})]
    }
    shared_on_nodes = {
        r: entry["slotsPerBoard"]
        for node in cluster["nodes"]
        for r, entry in node.get("virtualDevices", {}).items()
    }
    tag = "k8s.io/cluster-autoscaler/node-template/resources/"
    in_groups = {
        key.removeprefix(tag)
        for group in cluster["nodeGroups"]
        for key in group["template"]["asgTags"]
        if key.startswith(tag)
    }
    assert {b.resource for b in catalog.boards if b.location == "on-premises"} <= on_nodes
    assert {b.resource for b in catalog.boards if b.location == "cloud"} <= in_groups
    assert catalog.board("f2").resource == F2
    # a shared board is offered with as many slots as the device plugin splits it into
    assert {b.resource: b.slots_per_board for b in catalog.boards if b.shared} == shared_on_nodes
    assert shared_on_nodes, "the demo has a shared board"


@pytest.mark.parametrize(
    ("boards", "licenses", "accelerators", "expected"),
    [
        (
            [{**GOOD_BOARD, "plugin": "nvidia"}],
            [],
            [],
            ["FPGASpawner.boards", "'u250'", "nvidia", "amd, xilinx-legacy"],
        ),
        (
            [{**GOOD_BOARD, "resource": "nvidia.com/gpu"}],
            [],
            [],
            ["FPGASpawner.boards", "nvidia.com/gpu", "amd.com/"],
        ),
        (
            [{**GOOD_BOARD, "plugin": "intel", "resource": "intel.com/arria10-nlb0"}],
            [],
            [],
            ["intel.com/arria10-nlb0", "fpga.intel.com/"],
        ),
        ([{**GOOD_BOARD, "max_per_user": 0}], [], [], ["max_per_user=0", "between 1 and 64"]),
        ([{**GOOD_BOARD, "max_per_user": "2"}], [], [], ["max_per_user='2'", "must be a int"]),
        ([{**GOOD_BOARD, "slug": "U 250"}], [], [], ["slug='U 250'"]),
        ([{**GOOD_BOARD, "locaton": "cloud"}], [], [], ["unknown key 'locaton'", "location"]),
        ([{**GOOD_BOARD, "location": "mars"}], [], [], ["location='mars'", "on-premises, cloud"]),
        ([GOOD_BOARD, GOOD_BOARD], [], [], ["duplicate slug 'u250'"]),
        (
            [GOOD_BOARD],
            [{"name": "lic", "secret": "s", "env": "LIC", "key": "k", "boards": ["u280"]}],
            [],
            ["FPGASpawner.licenses", "'lic'", "'u280'", "boards: u250"],
        ),
        (
            [GOOD_BOARD],
            [{"name": "lic", "secret": "s", "boards": ["u250"]}],
            [],
            ["exactly one of env", "mount_path"],
        ),
        (
            [GOOD_BOARD],
            [],
            [{"name": "vision.stereo_bm", "boards": {"u250": 0}}],
            ["FPGASpawner.accelerators", "u250: 0", ">= 1"],
        ),
        (
            [GOOD_BOARD],
            [],
            [{"name": "StereoBM", "boards": {"u250": 1}}],
            ["name='StereoBM'"],
        ),
    ],
)
def test_bad_entries_are_named(boards, licenses, accelerators, expected):
    with pytest.raises(CatalogError) as info:
        parse_catalog(boards, licenses, accelerators)
    message = str(info.value)
    for fragment in expected:
        assert fragment in message, message


def test_bad_yaml_file_is_named(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("boards: [unclosed")
    with pytest.raises(CatalogError, match="FPGASpawner.catalog_file.*not valid YAML"):
        load_catalog_file(path)
    path.write_text(yaml.safe_dump({"board": []}))
    with pytest.raises(CatalogError, match="unknown top-level key 'board'"):
        load_catalog_file(path)

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


def test_example_catalog_parses(repo_root):
    data = load_catalog_file(repo_root / "examples" / "catalog.yaml")
    catalog = parse_catalog(**data)
    assert [b.slug for b in catalog.boards] == ["u250", "f2"]
    assert catalog.board("f2").location == "cloud"
    assert catalog.board("f2").groups == ("fpga-cloud",)
    assert {lic.name for lic in catalog.licenses_for("u250")} == {"xilinx-license", "accelize"}
    assert catalog.accelerator("vision.stereo_bm").boards == (("u250", 1), ("f2", 2))


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

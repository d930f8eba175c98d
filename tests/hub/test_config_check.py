"""check_config: the hub stops at start-up on a bad configuration, and only on a bad one."""

from __future__ import annotations

import pytest
from traitlets import TraitError

from fpga_spawner import check_config
from fpga_spawner.catalog import CatalogError
from fpga_spawner.render import make_spawner
from tests.support.spawner import catalog_config

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
BOARD = {"slug": "u250", "display_name": "AMD Alveo U250", "plugin": "amd", "resource": U250}
ACCEL = {"name": "vision.stereo_bm", "boards": {"u250": 1}}


def config(**fpga):
    return catalog_config(boards=[dict(BOARD)], accelerators=[dict(ACCEL)], **fpga)


def pick_board(spawner):
    return "u250"


def test_callable_overrides_are_the_spawners_business():
    c = config()
    c.KubeSpawner.profile_list = [
        {
            "display_name": "Mine",
            "slug": "mine",
            "kubespawner_override": {"fpga_board": pick_board},
        },
        {
            "display_name": "Choose",
            "slug": "choose",
            "kubespawner_override": {"fpga_accelerator": lambda spawner: "vision.stereo_bm"},
            "profile_options": {
                "board": {
                    "display_name": "Board",
                    "choices": {"a": {"kubespawner_override": {"fpga_board": pick_board}}},
                    "unlisted_choice": {
                        "enabled": True,
                        "kubespawner_override": {"fpga_board": "{value}"},
                    },
                }
            },
        },
    ]
    assert check_config(c).board("u250") is not None


async def test_a_callable_board_override_spawns():
    c = config()
    c.KubeSpawner.profile_list = [
        {"display_name": "Mine", "slug": "mine", "kubespawner_override": {"fpga_board": pick_board}}
    ]
    spawner = make_spawner(c, "alice")
    spawner.user_options = {"profile": "mine"}
    await spawner.load_user_options()
    assert spawner.fpga_placement.board.slug == "u250"


@pytest.mark.parametrize(
    ("profile", "fragments"),
    [
        (
            {"display_name": "Big", "slug": "u250"},
            ["#0", "'u250'", "FPGASpawner.boards entry 'u250'"],
        ),
        ({"display_name": "U250"}, ["'u250'", "FPGASpawner.boards entry 'u250'"]),  # slugified
        (
            {"display_name": "x", "slug": "accel-vision-stereo-bm"},
            ["FPGASpawner.accelerators entry 'vision.stereo_bm'"],
        ),
    ],
)
def test_an_admin_profile_may_not_take_a_catalog_slug(profile, fragments):
    c = config()
    c.KubeSpawner.profile_list = [profile]
    with pytest.raises(CatalogError) as info:
        check_config(c)
    message = str(info.value)
    assert "KubeSpawner.profile_list" in message
    for fragment in fragments:
        assert fragment in message


async def test_the_spawner_refuses_the_same_conflict():
    c = config()
    c.KubeSpawner.profile_list = [{"display_name": "Big", "slug": "u250"}]
    with pytest.raises(CatalogError, match="FPGASpawner.boards entry 'u250'"):
        make_spawner(c, "alice")


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("custom_image_regex", "[unclosed", "custom_image_regex='[unclosed' is not a regular"),
        ("capacity_wait", -3.0, "capacity_wait=-3.0 must be between 0 and 3600"),
        ("capacity_wait", float("nan"), "capacity_wait=nan"),
        ("fpga_count", 0, "fpga_count=0 must be between 1 and 10000"),
        ("fpga_board", "U 250", "fpga_board='U 250' is not a board slug"),
        ("fpga_accelerator", "stereo", "fpga_accelerator='stereo' is not an accelerator"),
        ("xclbin_path", ["relative/dir"], "'relative/dir' must be an absolute path"),
        ("location_label", "not a label!", "location_label='not a label!'"),
        ("binder_rules", [{"pattern": "("}], "binder_rules: entry #0: pattern='('"),
        ("licenses", [{"name": "x", "colour": "red"}], "unknown key 'colour'"),
        ("boards", [{"slug": "u250", "plugin": "amd"}], "resource is required"),
        (
            "boards",
            [
                {
                    "slug": "u250-dra",
                    "plugin": "dra",
                    "dra": {"device_class": "u250.fpga.amd.com", "selectors": ["device.driver =="]},
                }
            ],
            "entry #0 ('u250-dra'): dra.selectors[0] 'device.driver ==': column 17: expected a value, found the end",
        ),  # fmt: skip
    ],
)
def test_every_option_is_validated_at_start_up(option, value, fragment):
    c = config()
    setattr(c.FPGASpawner, option, value)
    with pytest.raises(CatalogError) as info:
        check_config(c)
    assert fragment in str(info.value)
    # the spawner applies the same rule
    with pytest.raises((TraitError, CatalogError)):
        make_spawner(c, "alice")


def test_a_bad_validation_regex_in_an_admin_profile_is_named():
    c = config()
    c.KubeSpawner.profile_list = [
        {
            "display_name": "Img",
            "slug": "img",
            "profile_options": {
                "image": {"unlisted_choice": {"enabled": True, "validation_regex": "(("}}
            },
        }
    ]
    with pytest.raises(CatalogError, match=r"#0 \('img'\).*validation_regex='\(\('"):
        check_config(c)


def test_a_board_named_in_a_choice_must_exist():
    c = config()
    c.KubeSpawner.profile_list = [
        {
            "display_name": "Pick",
            "slug": "pick",
            "profile_options": {
                "b": {"choices": {"big": {"kubespawner_override": {"fpga_board": "u999"}}}}
            },
        }
    ]
    with pytest.raises(CatalogError, match=r"choices.big.kubespawner_override.fpga_board='u999'"):
        check_config(c)


def test_appended_config_values_are_read_as_the_spawner_reads_them():
    c = catalog_config()
    c.FPGASpawner.boards.append(dict(BOARD))  # a LazyConfigValue until a spawner loads it
    assert [b.slug for b in check_config(c).boards] == ["u250"]


def test_custom_image_regex_is_matched_whole():
    """The default is a valid HTML pattern too, and a trailing newline does not pass."""
    import re

    from fpga_spawner.settings import DEFAULT_CUSTOM_IMAGE_REGEX

    assert re.fullmatch(DEFAULT_CUSTOM_IMAGE_REGEX, "quay.io/org/img:1@sha256")
    assert not re.fullmatch(DEFAULT_CUSTOM_IMAGE_REGEX, "evil/img:1\n")

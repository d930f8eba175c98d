"""User options from the form and the REST API: a valid pod or a clear 400, never a 500."""

from __future__ import annotations

import contextlib
import copy

import kubernetes_validate
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tornado import web

from fpga_spawner.render import load_config, make_spawner
from tests.support.spawner import manifest_for, to_dict


@pytest.fixture(scope="module")
def example(repo_root):
    """The example jupyterhub_config.py, loaded once per module."""
    return load_config(repo_root / "examples" / "jupyterhub_config.py")


@pytest.fixture
def example_config(example):
    """A fresh copy of the example configuration: a test may change its own."""
    return copy.deepcopy(example)


@pytest.mark.parametrize(
    ("user_options", "fragments"),
    [
        ({"profile": "u999"}, ["Unknown profile 'u999'", "cpu, u250-vision, u250"]),
        ({"profile": "u250", "count": "3"}, ["count='3'", "Allowed: 1, 2"]),
        ({"profile": "u250", "count": [1]}, ["count must be a string"]),
        ({"profile": "u250", "count--unlisted-choice": "7"}, ["no free-text choice", "1, 2"]),
        ({"profile": 7}, ["Unknown profile 7"]),
        ({"profile": "accel-vision-stereo-bm", "replicas": "9"}, ["replicas='9'", "Allowed: 1, 2"]),
        # f2 is restricted to the fpga-cloud group: alice may not even learn it exists
        ({"profile": "f2"}, ["Unknown profile 'f2'"]),
    ],
)
async def test_bad_options_are_a_clear_400(example_config, user_options, fragments):
    spawner = make_spawner(example_config, "alice")
    spawner.user_options = user_options
    with pytest.raises(web.HTTPError) as info:
        await spawner.load_user_options()
    assert info.value.status_code == 400
    # kubespawner's contract: load_user_options refuses with a ValueError
    assert isinstance(info.value, ValueError) and str(info.value) == info.value.jupyterhub_message
    for fragment in fragments:
        assert fragment in str(info.value)
    assert "f2" not in str(info.value).replace("'f2'", "")


@pytest.mark.parametrize(
    "user_options",
    [
        {"profile": "u250", "count": 0},  # falsy: the default choice, as in kubespawner
        {"profile": "u250", "count": ""},
        {"profile": "u250", "colour": "red"},  # unknown keys are ignored, as in kubespawner
        {"profile": "u250", "image--unlisted-choice--repo": "https://github.com/org/repo"},
    ],
)
async def test_what_kubespawner_accepts_is_accepted(example_config, user_options, log_capture):
    pod, spawner = await manifest_for(example_config, user_options)
    assert spawner.fpga_placement is not None and spawner.fpga_placement.count == 1
    ignored = [k for k in user_options if k not in ("profile", "count")]
    for key in ignored:
        assert repr(key) in log_capture.text


async def test_a_huge_value_is_quoted_short(example_config, log_capture):
    """A 1 MiB profile name gives a short refusal and short log lines."""
    spawner = make_spawner(example_config, "alice")
    huge = "u" * 2**20
    for options in ({"profile": huge}, {"profile": "u250", "count": huge}, {huge: "x"}):
        spawner.user_options = options
        with contextlib.suppress(web.HTTPError):
            await spawner.load_user_options()
    with pytest.raises(web.HTTPError) as info:
        spawner.user_options = {"profile": huge}
        await spawner.load_user_options()
    assert f"({2**20} characters)" in str(info.value)
    assert len(str(info.value)) < 500 and len(str(info.value)) < 500
    assert max(len(r.getMessage()) for r in log_capture.records) < 1000


async def test_integer_count_from_the_rest_api_is_accepted(example_config):
    pod, spawner = await manifest_for(example_config, {"profile": "u250", "count": 2})
    assert spawner.user_options["count"] == "2"
    assert (
        pod["spec"]["containers"][0]["resources"]["limits"][
            "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
        ]
        == "2"
    )


async def test_groups_hide_boards_from_the_form(example, example_config):
    alice = make_spawner(example_config, "alice")
    carol = make_spawner(copy.deepcopy(example), "carol", ["fpga-cloud"])
    alice_form = await alice.options_form(alice)
    carol_form = await carol.options_form(carol)
    assert "AMD Alveo U250" in alice_form and "AMD Alveo U250" in carol_form
    assert "AWS F2" not in alice_form
    assert "AWS F2" in carol_form


async def test_no_state_leaks_between_spawns(example_config):
    spawner = make_spawner(example_config, "alice")
    spawner.user_options = {"profile": "u250-vision"}
    await spawner.load_user_options()
    assert spawner.fpga_board == "u250" and spawner.image.endswith("2024-12-02")

    spawner.user_options = {"profile": "u250", "count": "7"}  # a failed spawn
    with pytest.raises(web.HTTPError):
        await spawner.load_user_options()

    spawner.user_options = {"profile": "cpu"}
    await spawner.load_user_options()
    pod = to_dict(await spawner.get_pod_manifest())
    assert spawner.fpga_board == "" and spawner.fpga_placement is None
    limits = pod["spec"]["containers"][0]["resources"].get("limits") or {}
    assert not any("amd.com" in k for k in limits)
    assert "FPGA_BOARD" not in {e["name"] for e in pod["spec"]["containers"][0]["env"]}


option_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=5),
    st.sampled_from(["1", "2", "3", "0", "", "u250", "f2", "cpu", "accel-vision-stereo-bm"]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
option_keys = st.one_of(
    st.sampled_from(["profile", "count", "replicas", "image", "count--unlisted-choice"]),
    st.text(max_size=10),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(option_keys, option_values, max_size=4), st.booleans())
async def test_arbitrary_options_give_a_valid_pod_or_a_clear_refusal(example, options, cloud):
    spawner = make_spawner(copy.deepcopy(example), "alice", ["fpga-cloud"] if cloud else [])
    spawner.user_options = options
    try:
        await spawner.load_user_options()
    except web.HTTPError as e:
        assert e.status_code == 400
        assert e.log_message and ("Allowed" in e.log_message or "must be" in e.log_message)
        return
    pod = to_dict(await spawner.get_pod_manifest())
    kubernetes_validate.validate(pod, "1.34.0", strict=True)

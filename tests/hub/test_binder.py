"""BinderHub launches: a deployer's BinderSpawner(BinderSpawnerMixin, FPGASpawner)."""

from __future__ import annotations

import pytest
from tornado import web
from traitlets import TraitError

from fpga_spawner import FPGASpawner
from fpga_spawner.catalog import CatalogError
from fpga_spawner.render import load_config, make_spawner
from tests.support.binder_mixin import BinderSpawnerMixin
from tests.support.spawner import to_dict


class BinderSpawner(BinderSpawnerMixin, FPGASpawner):
    pass


def binder_options(repo: str) -> dict:
    org_repo = repo.split("github.com/")[1]
    return {
        "image": f"registry.example/binder-{org_repo.replace('/', '-')}:abc123",
        "repo_url": repo,
        "token": "launch-token",
        "binder_ref_url": f"{repo}/tree/abc123",
        "binder_launch_host": "https://mybinder.example/",
        "binder_request": f"v2/gh/{org_repo}/HEAD",
        "binder_persistent_request": f"v2/gh/{org_repo}/abc123",
        "binder_client_ip": "10.0.0.1",
    }


@pytest.fixture
def binder_config(repo_root):
    config = load_config(repo_root / "examples" / "jupyterhub_config.py")
    config.FPGASpawner.binder_rules = [
        {"pattern": r"github\.com/vision-lab/", "accelerator": "vision.stereo_bm", "replicas": 1},
        {"pattern": r"^v2/gh/quant-team/", "board": "u250", "count": 2},
    ]
    config.FPGASpawner.binder_default = {}
    return config


async def binder_launch(config, options):
    spawner = make_spawner(config, "binder-user", cls=BinderSpawner)
    spawner.user_options = options
    # what BinderSpawnerMixin.start() does before KubeSpawner.start()
    spawner.image = options["image"]
    await spawner.load_user_options()
    return spawner, to_dict(await spawner.get_pod_manifest())


def env_of(pod):
    return {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}


async def test_rule_gives_the_board_and_keeps_binderhubs_image(binder_config):
    options = binder_options("https://github.com/quant-team/options-pricing")
    spawner, pod = await binder_launch(binder_config, options)
    env = env_of(pod)
    assert (env["FPGA_BOARD"], env["FPGA_COUNT"]) == ("u250", "2")
    assert pod["spec"]["containers"][0]["image"] == options["image"]
    assert env["BINDER_REPO_URL"] == options["repo_url"]
    assert env["BINDER_REQUEST"] == "v2/gh/quant-team/options-pricing/HEAD"


async def test_accelerator_rule_on_repo_url(binder_config):
    spawner, pod = await binder_launch(
        binder_config, binder_options("https://github.com/vision-lab/stereo-demo")
    )
    assert env_of(pod)["FPGA_ACCELERATOR"] == "vision.stereo_bm"


async def test_unmatched_repo_gets_no_board_even_without_a_default_profile(repo_root):
    """The catalog's first profile (a U250) must not leak into a Binder launch."""
    config = load_config(repo_root / "examples" / "jupyterhub_config.py")
    config.KubeSpawner.profile_list = []  # only catalog profiles, u250 first
    spawner, pod = await binder_launch(config, binder_options("https://github.com/x/y"))
    assert spawner.fpga_placement is None
    assert "FPGA_BOARD" not in env_of(pod)


def test_check_config_names_a_bad_binder_rule(binder_config):
    from fpga_spawner import check_config

    binder_config.FPGASpawner.binder_rules = [{"pattern": "x", "board": "u999"}]
    with pytest.raises(CatalogError, match=r"FPGASpawner.binder_rules: entry #0: board='u999'"):
        check_config(binder_config)


async def test_unmatched_repo_gets_the_default(binder_config):
    _, pod = await binder_launch(binder_config, binder_options("https://github.com/someone/else"))
    assert "FPGA_BOARD" not in env_of(pod)
    binder_config.FPGASpawner.binder_default = {"board": "u250", "count": 1}
    _, pod = await binder_launch(binder_config, binder_options("https://github.com/someone/else"))
    assert env_of(pod)["FPGA_BOARD"] == "u250"


async def test_binder_keys_are_ignored_without_binderhub(repo_root, log_capture):
    """Without BinderHub's mixin, its keys mean nothing: ignored (and logged), as kubespawner does."""
    spawner = make_spawner(load_config(repo_root / "examples" / "jupyterhub_config.py"), "alice")
    assert spawner.binder_launches is False
    image = spawner.image
    spawner.user_options = binder_options("https://github.com/quant-team/x")
    await spawner.load_user_options()
    # the default profile ("cpu") applies; neither the image nor a rule does
    assert spawner.image == image and spawner.fpga_placement is None
    assert "Ignoring user options 'image', 'repo_url'" in log_capture.text


async def test_bad_rule_is_named(binder_config):
    binder_config.FPGASpawner.binder_rules = [{"pattern": "(", "board": "u250"}]
    with pytest.raises(TraitError, match=r"FPGASpawner.binder_rules: entry #0: pattern='\('"):
        make_spawner(binder_config, "x", cls=BinderSpawner)


async def test_fancy_profiles_custom_image_with_fpga_profile(repo_root):
    config = load_config(repo_root / "examples" / "jupyterhub_config.py")
    config.FPGASpawner.allow_custom_image = True
    spawner = make_spawner(config, "alice")
    spawner.user_options = {"profile": "u250", "image--unlisted-choice": "quay.io/me/built:1"}
    await spawner.load_user_options()
    pod = to_dict(await spawner.get_pod_manifest())
    assert pod["spec"]["containers"][0]["image"] == "quay.io/me/built:1"
    assert env_of(pod)["FPGA_BOARD"] == "u250"
    spawner.user_options = {"profile": "u250", "image--unlisted-choice": "Bad Image!"}
    with pytest.raises(web.HTTPError) as info:
        await spawner.load_user_options()
    assert "must match" in info.value.log_message

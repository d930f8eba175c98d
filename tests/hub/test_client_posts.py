"""What each client really sends, accepted or refused as plain KubeSpawner does.

kubespawner's own form, jupyterhub-fancy-profiles 0.7 (its ``ResourceSelect``
and ``ImageBuilder`` components), binderhub-service's tutorial profile and
BinderHub's launcher each post options in their own way
(docs/upstream-facts.md, "Form fields and user_options" and "BinderHub").
Every post below is turned into ``user_options`` by kubespawner's own
``options_from_form``, then given to a plain KubeSpawner with the same profile
list and to FPGASpawner. Both must accept or both refuse; the one deliberate
difference (a free text must match its regex as a whole) has its own test.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from kubespawner import KubeSpawner
from tornado import web

from fpga_spawner import FPGASpawner
from fpga_spawner.refusals import UserOptionsRefused
from fpga_spawner.render import load_config, make_spawner
from tests.support.binder_mixin import BinderSpawnerMixin
from tests.support.spawner import to_dict

Profiles = list[dict[str, Any]]

# binderhub-service's docs/source/tutorials/connect-with-jupyterhub-fancy-profiles.md
TUTORIAL_PROFILE = {
    "display_name": "Choose Your Environment",
    "profile_options": {
        "image": {
            "display_name": "Image",
            "dynamic_image_building": {"enabled": True},
            "unlisted_choice": {
                "enabled": True,
                "display_name": "Custom image",
                "validation_regex": "^.+:.+$",
                "validation_message": "Must be a publicly available docker image, of form <image-name>:<tag>",
                "display_name_in_choices": "Specify an existing docker image",
                "description_in_choices": "Use a pre-existing docker image from a public docker registry (dockerhub, quay, etc)",
                "kubespawner_override": {"image": "{value}"},
            },
            "choices": {
                "pangeo": {
                    "display_name": "Pangeo Notebook Image",
                    "description": "Python image with scientific, dask and geospatial tools",
                    "kubespawner_override": {"image": "pangeo/pangeo-notebook:2023.09.11"},
                },
                "scipy": {
                    "display_name": "Jupyter SciPy Notebook",
                    "slug": "scipy",
                    "kubespawner_override": {"image": "jupyter/scipy-notebook:2023-06-26"},
                },
            },
        }
    },
}
BUILT = {
    "image": "registry.example.org/binder-fpga/org-vision-demo:5e1f00d",
    "repo": "https://github.com/org/vision-demo",
    "ref": "HEAD",
}


def _default(option: dict) -> str:
    choices = option.get("choices") or {}
    return next((k for k, c in choices.items() if c.get("default")), next(iter(choices), ""))


def kubespawner_form(
    profiles: Profiles, slug: str, chosen: dict | None = None, unlisted: dict | None = None
) -> dict[str, list[str]]:
    """kubespawner's form.html: every profile's selects; "Other..." swaps a select for the text."""
    chosen, unlisted = chosen or {}, unlisted or {}
    data = {"profile": [slug]}
    for profile in profiles:
        for opt, option in (profile.get("profile_options") or {}).items():
            name = f"profile-option-{profile['slug']}--{opt}"
            mine = profile["slug"] == slug
            if mine and opt in unlisted:  # the select loses its name, the text input gets one
                data[name + "--unlisted-choice"] = [unlisted[opt]]
            else:
                data[name] = [chosen.get(opt, _default(option)) if mine else _default(option)]
    return data


def fancy_profiles_form(
    profiles: Profiles,
    slug: str,
    chosen: dict | None = None,
    unlisted: dict | None = None,
    built: dict | None = None,
) -> dict[str, list[str]]:
    """jupyterhub-fancy-profiles 0.7: a react-select per option of every profile, and
    "unlisted_choice" / "--extra-selectable-item" beside the free text or the built image."""
    chosen, unlisted = chosen or {}, unlisted or {}
    data = {"profile": [slug]}
    if len(profiles) > 1:
        data["select-profile"] = [slug]
    for profile in profiles:
        for opt, option in (profile.get("profile_options") or {}).items():
            name = f"profile-option-{profile['slug']}--{opt}"
            value = _default(option)
            if profile["slug"] == slug and opt in unlisted:
                value = "unlisted_choice"
                data[name + "--unlisted-choice"] = [unlisted[opt]]
            elif profile["slug"] == slug and built and opt == "image":
                value = "--extra-selectable-item"
                data[name + "--unlisted-choice"] = [built["image"]]
                data[name + "--unlisted-choice--repo"] = [built["repo"]]
                data[name + "--unlisted-choice--ref"] = [built["ref"]]
            elif profile["slug"] == slug:
                value = chosen.get(opt, value)
            data[name] = [value]
    return data


@pytest.fixture
def config(repo_root):
    c = load_config(repo_root / "examples" / "jupyterhub_config.py")
    c.FPGASpawner.allow_custom_image = True
    return c


@pytest.fixture
def tutorial_config(config):
    c = copy.deepcopy(config)
    c.KubeSpawner.profile_list = [copy.deepcopy(TUTORIAL_PROFILE)]
    return c


async def profiles_of(config) -> Profiles:
    return await make_spawner(config, "alice").initialized_profile_list()


async def both(config, formdata=None, user_options=None, cls=FPGASpawner, plain_cls=KubeSpawner):
    """(plain KubeSpawner accepted, FPGASpawner accepted, FPGASpawner, its refusal or None)."""
    ours = make_spawner(config, "alice", cls=cls)
    plain = make_spawner(config, "alice", cls=plain_cls)
    plain.profile_list = copy.deepcopy(await ours.initialized_profile_list())
    if formdata is not None:
        user_options = ours.run_options_from_form(formdata)
        assert plain.run_options_from_form(formdata) == user_options
    plain.user_options = copy.deepcopy(user_options)
    try:
        await plain.load_user_options()
        plain_ok = True
    except Exception:  # ValueError, or the KeyError JupyterHub turns into a 500
        plain_ok = False
    ours.user_options = copy.deepcopy(user_options)
    try:
        await ours._run_apply_user_options(ours.user_options)  # JupyterHub's own call
        await ours.load_user_options()
        return plain_ok, True, ours, None
    except UserOptionsRefused as refusal:
        return plain_ok, False, ours, refusal


async def pod_of(spawner) -> dict:
    return to_dict(await spawner.get_pod_manifest())["spec"]["containers"][0]


# -- kubespawner's own form -------------------------------------------------------------


async def test_kubespawner_form_listed_choice(config):
    form = kubespawner_form(await profiles_of(config), "u250", chosen={"count": "2"})
    plain_ok, ours_ok, spawner, _ = await both(config, form)
    assert plain_ok and ours_ok
    assert spawner.fpga_placement.count == 2


async def test_kubespawner_form_other_image(config):
    form = kubespawner_form(await profiles_of(config), "u250", unlisted={"image": "quay.io/me/x:1"})
    assert "profile-option-u250--image" not in form
    plain_ok, ours_ok, spawner, _ = await both(config, form)
    assert plain_ok and ours_ok
    assert (await pod_of(spawner))["image"] == "quay.io/me/x:1"


async def test_kubespawner_form_bad_image_is_a_400_with_the_reason(config):
    form = kubespawner_form(await profiles_of(config), "u250", unlisted={"image": "Bad Image!"})
    plain_ok, ours_ok, _, refusal = await both(config, form)
    assert not plain_ok and not ours_ok
    assert isinstance(refusal, web.HTTPError) and isinstance(refusal, ValueError)
    assert refusal.status_code == 400 and "must match" in str(refusal)


async def test_a_free_text_must_match_as_a_whole(config):
    """The one difference: kubespawner's re.match lets a trailing newline through."""
    form = kubespawner_form(await profiles_of(config), "u250", unlisted={"image": "evil/img:1\n"})
    plain_ok, ours_ok, _, refusal = await both(config, form)
    assert plain_ok and not ours_ok
    assert "'evil/img:1\\n' must match" in str(refusal)


# -- jupyterhub-fancy-profiles ----------------------------------------------------------


async def test_fancy_profiles_listed_choice(config):
    form = fancy_profiles_form(await profiles_of(config), "u250", chosen={"count": "2"})
    assert form["select-profile"] == ["u250"]  # ignored by kubespawner, with a warning
    plain_ok, ours_ok, spawner, _ = await both(config, form)
    assert plain_ok and ours_ok and spawner.fpga_placement.count == 2


async def test_fancy_profiles_unlisted_choice(config):
    form = fancy_profiles_form(
        await profiles_of(config), "u250", unlisted={"image": "quay.io/a/b:2"}
    )
    assert form["profile-option-u250--image"] == ["unlisted_choice"]
    plain_ok, ours_ok, spawner, _ = await both(config, form)
    assert plain_ok and ours_ok
    assert (await pod_of(spawner))["image"] == "quay.io/a/b:2"


async def test_fancy_profiles_build_your_own_image_on_an_fpga_profile(config):
    profiles = await profiles_of(config)
    u250 = next(p for p in profiles if p["slug"] == "u250")
    # fancy-profiles offers "Build your own image" for an `image` option with both enabled
    image = u250["profile_options"]["image"]
    assert image["dynamic_image_building"]["enabled"] and image["unlisted_choice"]["enabled"]
    form = fancy_profiles_form(profiles, "u250", built=BUILT)
    plain_ok, ours_ok, spawner, _ = await both(config, form)
    assert plain_ok and ours_ok
    pod = await pod_of(spawner)
    assert pod["image"] == BUILT["image"]
    assert {"name": "FPGA_BOARD", "value": "u250"} in pod["env"]


async def test_fancy_profiles_choice_without_its_text_is_refused_by_both(config):
    form = fancy_profiles_form(await profiles_of(config), "u250")
    form["profile-option-u250--image"] = ["unlisted_choice"]  # and no text: a KeyError upstream
    plain_ok, ours_ok, _, refusal = await both(config, form)
    assert not plain_ok and not ours_ok
    assert "Allowed: default" in str(refusal)


# -- binderhub-service's tutorial profile -------------------------------------------------


@pytest.mark.parametrize(
    "client",
    [
        lambda p: fancy_profiles_form(p, "choose-your-environment", built=BUILT),
        lambda p: fancy_profiles_form(
            p, "choose-your-environment", unlisted={"image": "jupyter/base:2024"}
        ),
        lambda p: fancy_profiles_form(p, "choose-your-environment", chosen={"image": "scipy"}),
        lambda p: kubespawner_form(
            p, "choose-your-environment", unlisted={"image": "jupyter/base:2024"}
        ),
    ],
)
async def test_binderhub_service_tutorial_profile(tutorial_config, client):
    form = client(await profiles_of(tutorial_config))
    plain_ok, ours_ok, spawner, refusal = await both(tutorial_config, form)
    assert plain_ok and ours_ok, refusal
    assert spawner.fpga_placement is None  # an image profile, no FPGA


async def test_binderhub_service_tutorial_regex_is_kept(tutorial_config):
    form = fancy_profiles_form(
        await profiles_of(tutorial_config), "choose-your-environment", unlisted={"image": "x"}
    )
    plain_ok, ours_ok, _, refusal = await both(tutorial_config, form)
    assert not plain_ok and not ours_ok
    assert "Must be a publicly available docker image" in str(refusal)


# -- BinderHub's launcher ----------------------------------------------------------------


class PlainBinderSpawner(BinderSpawnerMixin, KubeSpawner):
    pass


class FPGABinderSpawner(BinderSpawnerMixin, FPGASpawner):
    pass


async def test_binderhub_launch(config):
    repo = "https://github.com/org/vision-demo"
    launch = {
        "image": BUILT["image"],
        "repo_url": repo,
        "token": "launch-token",
        "binder_ref_url": f"{repo}/tree/5e1f00d",
        "binder_launch_host": "https://binder.example.org/",
        "binder_request": "v2/gh/org/vision-demo/HEAD",
        "binder_persistent_request": "v2/gh/org/vision-demo/5e1f00d",
        "binder_client_ip": "10.0.0.7",
    }
    plain_ok, ours_ok, spawner, _ = await both(
        config, user_options=launch, cls=FPGABinderSpawner, plain_cls=PlainBinderSpawner
    )
    assert plain_ok and ours_ok and spawner.fpga_placement is None

"""What we rely on from kubespawner's private API, pinned against the installed release.

Only ``fpga_spawner/kubespawner_internals.py`` may use kubespawner's private
names. There is one test here for each of them, and each test's message names
the internal. If a kubespawner upgrade changes one, this file fails and says
which function in the shim to revisit. The last tests check that the private
names are used nowhere else in the project.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import re
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes_asyncio.client import ApiException, V1ObjectMeta, V1Pod
from kubernetes_asyncio.client.rest import RESTClientObject
from kubespawner import KubeSpawner
from kubespawner.clients import shared_client
from kubespawner.spawner import PodReflector
from traitlets.config import Config

from fpga_spawner import kubespawner_internals as internals
from fpga_spawner.render import StandInHub, StandInUser
from fpga_spawner.spawner import FPGASpawner
from tests.support.paths import REPO

KUBESPAWNER = version("jupyterhub-kubespawner")
SHIM = REPO / "fpga_spawner" / "kubespawner_internals.py"
SpawnerT = TypeVar("SpawnerT", bound=KubeSpawner)


def changed(internal: str, what: str) -> str:
    """The failure message: which internal, which release, what we relied on."""
    return (
        f"kubespawner {KUBESPAWNER} changed {internal} (checked against "
        f"{internals.CHECKED_AGAINST}): {what}. Revisit fpga_spawner/kubespawner_internals.py."
    )


@contextlib.contextmanager
def relied_on(internal: str, what: str) -> Iterator[None]:
    """Turn an error from the shim into a failure that names the internal."""
    try:
        yield
    except Exception as e:
        pytest.fail(f"{changed(internal, what)}\n{type(e).__name__}: {e}")


def offline(cls: type[SpawnerT], config: Config | None = None) -> SpawnerT:
    """A spawner with our stand-in user and hub (not _mock's), inside the running loop."""
    return internals.make_offline_spawner(
        cls, config=config or Config(), user=StandInUser("alice"), hub=StandInHub()
    )


@pytest.fixture
async def spawner() -> KubeSpawner:
    """A plain KubeSpawner without a hub, built inside the test's event loop."""
    return offline(KubeSpawner)


# -- profiles ---------------------------------------------------------------------


async def test_sorted_dict_values_orders_a_dict_of_profiles_by_key(spawner):
    a, b, c = ({"display_name": name} for name in "ABC")
    assert internals.sorted_profiles(spawner, {"2-b": b, "1-a": a, "3-c": c}) == [a, b, c], changed(
        "KubeSpawner._sorted_dict_values", "a dict is no longer its values sorted by key"
    )
    as_list = [c, a]
    assert internals.sorted_profiles(spawner, as_list) is as_list, changed(
        "KubeSpawner._sorted_dict_values", "a list is no longer returned as is"
    )

    def dynamic(spawner: KubeSpawner) -> list[dict]:
        return []

    assert internals.sorted_profiles(spawner, dynamic) is dynamic, changed(
        "KubeSpawner._sorted_dict_values", "a callable profile_list is no longer returned as is"
    )


async def test_get_initialized_profile_list_fills_slug_and_defaults(spawner):
    profiles = [
        {"display_name": "GPU: Large (2x)"},
        {
            "display_name": "FPGA",
            "slug": "u250",
            "profile_options": {
                "count": {"choices": {"1": {"display_name": "1"}, "2": {"display_name": "2"}}},
                "image": {"unlisted_choice": {"enabled": True}},
            },
        },
    ]
    before = json.dumps(profiles)
    result = internals.initialized_profile_list(spawner, profiles)
    what = "KubeSpawner._get_initialized_profile_list"
    assert json.dumps(profiles) == before, changed(what, "it modifies the list it is given")
    assert [p["slug"] for p in result] == ["gpu-large-2x", "u250"], changed(
        what, "a missing slug is no longer slugify(display_name)"
    )
    assert [p.get("default") for p in result] == [True, None], changed(
        what, "the first profile is no longer the default when none is marked"
    )
    options = result[1]["profile_options"]
    assert options["count"]["choices"]["1"]["default"] is True, changed(
        what, "an option's first choice is no longer its default when none is marked"
    )
    assert options["count"]["unlisted_choice"] == {"enabled": False}, changed(
        what, "options no longer get unlisted_choice.enabled = False"
    )
    assert options["image"]["unlisted_choice"] == {
        "enabled": True,
        "display_name_in_choices": "Other...",
    }, changed(what, "an enabled unlisted choice no longer gets its display name")
    marked = [{"display_name": "a"}, {"display_name": "b", "default": True}]
    assert "default" not in internals.initialized_profile_list(spawner, marked)[0], changed(
        what, "a marked default profile is no longer respected"
    )


async def test_render_options_form_renders_the_template_with_defaults_selected(spawner, tmp_path):
    what = "KubeSpawner._render_options_form"
    profiles = [
        {"display_name": "CPU", "slug": "cpu"},
        {
            "display_name": "U280",
            "slug": "u280",
            "default": True,
            "profile_options": {
                "count": {
                    "display_name": "Boards",
                    "choices": {"1": {"display_name": "one"}, "2": {"display_name": "two"}},
                }
            },
        },
    ]
    profiles[1]["profile_options"]["count"]["choices"]["2"]["default"] = True
    saved = {"profile": "cpu"}
    spawner.user_options = saved
    with relied_on(what, "it no longer renders a profile list"):
        html = internals.render_options_form(spawner, profiles, {})
    assert spawner.user_options is saved, changed(what, "user_options were not restored")
    radio = re.search(r'<input type="radio"[^>]*value="u280"[^>]*/>', html, re.S)
    assert radio and "checked" in radio.group(0), changed(
        what, "the form no longer checks the profile marked default"
    )
    assert re.search(r'<option value="2"\s+selected>two</option>', html), changed(
        what, "the form no longer selects the choice marked default"
    )
    assert 'name="profile-option-u280--count"' in html, changed(
        what, "form fields are no longer named profile-option-<slug>--<option>"
    )
    # how jupyterhub-fancy-profiles plugs in: a form.html in the additional paths
    (tmp_path / "form.html").write_text("{{ profile_list|tojson }}")
    spawner.additional_profile_form_template_paths = [str(tmp_path)]
    rendered = json.loads(internals.render_options_form(spawner, profiles, {}))
    assert [p["slug"] for p in rendered] == ["cpu", "u280"], changed(
        what, "a form.html in additional_profile_form_template_paths is no longer used"
    )


# -- kubespawner_override -------------------------------------------------------------


async def test_apply_overrides_calls_callables_merges_dicts_and_sets_the_rest(spawner):
    spawner.environment = {"KEEP": "1", "DROP": "2"}
    environment = spawner.environment
    originals: dict[str, Any] = {}
    internals.apply_overrides_remembering(
        spawner,
        {
            "image": lambda s: f"registry/{s.namespace}:tag",
            "environment": {"NEW": "3", "DROP": None},
            "cpu_limit": 2.0,
        },
        originals,
    )
    what = "KubeSpawner._apply_overrides"
    assert spawner.image == f"registry/{spawner.namespace}:tag", changed(
        what, "a callable override is no longer called with the spawner"
    )
    assert spawner.environment == {"KEEP": "1", "NEW": "3"}, changed(
        what, "a dict override is no longer merged (None deleting a key)"
    )
    assert spawner.environment is environment, changed(
        what, "a dict override no longer merges in place (then remembering it is moot)"
    )
    assert spawner.cpu_limit == 2.0, changed(what, "a plain override is no longer set")
    assert originals["environment"] == {"KEEP": "1", "DROP": "2"}
    assert originals["cpu_limit"] is None and set(originals) == {
        "image",
        "environment",
        "cpu_limit",
    }


async def test_apply_overrides_is_the_hook_every_profile_override_passes():
    """FPGASpawner overrides the hook; kubespawner must send every profile override through it."""
    seen: list[dict] = []

    class Recording(KubeSpawner):
        def _apply_overrides(self, spawner_override: dict) -> None:
            seen.append(dict(spawner_override))
            super()._apply_overrides(spawner_override)

    config = Config()
    config.KubeSpawner.profile_list = [
        {
            "display_name": "P",
            "slug": "p",
            "kubespawner_override": {"cpu_limit": 1.0},
            "profile_options": {
                "size": {
                    "display_name": "Size",
                    "choices": {
                        "s": {"display_name": "S", "kubespawner_override": {"mem_limit": "1G"}},
                        "l": {"display_name": "L", "kubespawner_override": {"mem_limit": "8G"}},
                    },
                }
            },
        }
    ]
    recording = offline(Recording, config)
    recording.user_options = {"profile": "p", "size": "l"}
    await recording.load_user_options()
    assert seen == [{"cpu_limit": 1.0}, {"mem_limit": "8G"}], changed(
        "KubeSpawner._apply_overrides",
        "load_user_options no longer applies the profile's and the chosen option's "
        "kubespawner_override through self._apply_overrides",
    )
    seen.clear()
    internals.apply_overrides(recording, {"cpu_limit": 3.0})
    assert seen == [{"cpu_limit": 3.0}] and recording.cpu_limit == 3.0


async def test_fpga_spawner_override_remembers_and_restores():
    spawner = offline(FPGASpawner)
    spawner.extra_labels = {"team": "a"}
    internals.apply_overrides(spawner, {"extra_labels": {"fpga": "yes"}, "image": "x:1"})
    assert spawner.extra_labels == {"team": "a", "fpga": "yes"} and spawner.image == "x:1"
    spawner.reset_profile_state()
    assert spawner.extra_labels == {"team": "a"} and spawner.image != "x:1"


# -- spawners without a hub -------------------------------------------------------------


async def test_mock_builds_a_spawner_without_user_hub_or_cluster(monkeypatch):
    requests: list[tuple] = []

    async def no_requests(self, *args: Any, **kwargs: Any) -> None:
        requests.append(args)
        raise AssertionError("a spawner made a Kubernetes API request while being built")

    monkeypatch.setattr(RESTClientObject, "request", no_requests)
    what = "KubeSpawner(_mock=True)"
    with relied_on(what, "it no longer builds a spawner without `user` and `hub`"):
        bare = internals.make_offline_spawner(KubeSpawner, config=Config(), namespace="jhub")
    await asyncio.sleep(0.05)  # a background request would have started by now
    assert requests == [], changed(what, "building a spawner now calls the API server")
    assert bare.user.name == "mock@name", changed(what, "no stand-in user without `user`")
    assert bare.hub.base_url == "mock_base_url", changed(what, "no stand-in hub without `hub`")
    assert bare.namespace == "jhub"  # the other arguments are passed on

    user, hub = StandInUser("alice"), StandInHub()
    given = internals.make_offline_spawner(KubeSpawner, config=Config(), user=user, hub=hub)
    assert given.user is user and given.hub is hub, changed(what, "a given user or hub is replaced")


async def test_make_create_pod_request_on_409_stops_and_asks_to_retry(spawner):
    pod = V1Pod(metadata=V1ObjectMeta(name="jupyter-x"))
    answers: list[Exception | None] = [ApiException(status=409), None, ApiException(status=403)]
    created: list[tuple] = []
    stopped: list[bool] = []

    class FakeApi:
        async def create_namespaced_pod(self, namespace: str, body: Any) -> None:
            created.append((namespace, body))
            answer = answers.pop(0)
            if answer is not None:
                raise answer

    async def stop(now: bool = False) -> None:
        stopped.append(now)

    spawner.api = FakeApi()
    spawner.stop = stop
    what = "KubeSpawner._make_create_pod_request(pod, request_timeout)"
    assert await internals.create_pod_request(spawner, pod, 3) is False, changed(
        what, "a 409 no longer answers False (retry)"
    )
    assert stopped == [True], changed(what, "a 409 no longer stops (deletes) the existing pod")
    assert await internals.create_pod_request(spawner, pod, 3) is True, changed(
        what, "a created pod no longer answers True"
    )
    with pytest.raises(ApiException):
        await internals.create_pod_request(spawner, pod, 3)
    assert created == [(spawner.namespace, pod)] * 3


async def test_list_and_update_is_where_a_reflector_lists_and_relists_from_0():
    class FakeResponse:
        ok, status, reason = True, 200, "OK"

        async def read(self) -> bytes:
            return json.dumps({"metadata": {"resourceVersion": "42"}, "items": []}).encode()

    class FakeApi:
        async def list_namespaced_pod(self, **kwargs: Any) -> FakeResponse:
            if kwargs.get("watch"):
                raise RuntimeError("this fake API server cannot watch")
            return FakeResponse()

    reflector = PodReflector(namespace="jhub", labels={"component": "x"}, timeout_seconds=1)
    reflector.api = FakeApi()
    calls: list[str | None] = []

    async def record(original, resource_version: str | None) -> str:
        calls.append(resource_version)
        return await original(resource_version)

    what = "ResourceReflector._list_and_update"
    with relied_on(what, "a reflector's list method can no longer be wrapped"):
        internals.wrap_reflector_list(reflector, record)
    await reflector.start()
    try:
        for _ in range(100):
            if len(calls) >= 3:
                break
            await asyncio.sleep(0.05)
    finally:
        await reflector.stop()
    assert calls[:3] == [None, "0", "0"], changed(
        what,
        f"lists went {calls[:3]}, not start() with no version, the watch loop from '0', "
        "and after a failed watch from '0' again",
    )


# -- teardown ---------------------------------------------------------------------------


async def test_stop_all_reflectors_empties_the_shared_registry():
    class FakeReflector:
        stopped = False

        async def stop(self) -> None:
            self.stopped = True

    fake = FakeReflector()
    what = "KubeSpawner._stop_all_reflectors"
    assert FPGASpawner.reflectors is KubeSpawner.reflectors, changed(
        "KubeSpawner.reflectors", "subclasses no longer share one registry"
    )
    KubeSpawner.reflectors[("pods", "test-namespace")] = fake
    await internals.stop_all_reflectors()
    assert fake.stopped, changed(what, "a registered reflector was not stopped")
    assert KubeSpawner.reflectors == {}, changed(what, "the registry was not emptied")


async def test_shared_client_close_task_closes_the_client_when_cancelled(spawner):
    client = shared_client("CoreV1Api")
    what = "kubespawner.clients.shared_client's close_client_task"
    assert client is spawner.api, changed("shared_client", "one client per loop and type")
    session = client.api_client.rest_client.pool_manager
    assert not session.closed
    await internals.close_shared_clients()
    assert session.closed, changed(what, "cancelling it no longer closes the client's session")
    assert shared_client("CoreV1Api") is not client, changed(
        what, "cancelling it no longer drops the client from the cache"
    )


# -- nobody else touches them ------------------------------------------------------------


def project_sources() -> list[Path]:
    """The project's Python files and notebooks; not the venv, not hidden or generated dirs."""
    skip = {"node_modules", "build", "dist", "__pycache__"}
    found = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in skip]
        found += [Path(root, f) for f in files if f.endswith((".py", ".ipynb"))]
    return sorted(found)


def test_no_other_module_uses_kubespawner_internals():
    allowed = {
        # FPGASpawner's override of the hook; its body only calls the shim.
        ("fpga_spawner/spawner.py", "def _apply_overrides(self, spawner_override: dict) -> None:"),
    }
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, internals.PRIVATE_NAMES)) + r")\b")
    this_file = Path(__file__).resolve()
    found = []
    for path in project_sources():
        if path.resolve() in (SHIM.resolve(), this_file):
            continue
        rel = path.relative_to(REPO).as_posix()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if pattern.search(line) and (rel, line.strip()) not in allowed:
                found.append(f"{rel}:{number}: {line.strip()}")
    assert found == [], (
        "kubespawner internals used outside fpga_spawner/kubespawner_internals.py; "
        "add a function there (with a test here) and call it instead:\n" + "\n".join(found)
    )


def test_fpga_spawner_override_of_the_hook_only_delegates():
    source = inspect.getsource(FPGASpawner._apply_overrides)
    body = [line.strip() for line in source.split('"""')[-1].splitlines() if line.strip()]
    assert body == [
        "internals.apply_overrides_remembering(self, spawner_override, self._pre_override)"
    ]


def test_every_internal_in_the_shim_has_a_test_here():
    shim = SHIM.read_text()
    tests = [
        inspect.getsource(obj)
        for name, obj in globals().items()
        if name.startswith("test_") and "internals.PRIVATE_NAMES" not in inspect.getsource(obj)
    ]
    for name in internals.PRIVATE_NAMES:
        assert name in shim, f"{name} is listed in PRIVATE_NAMES but not used in the shim"
        assert any(name in source for source in tests), f"no test here pins {name}"

"""The one module in jupyterhub-fpga that uses kubespawner's private API.

kubespawner's documented extension points (``profile_list``,
``load_user_options``, ``get_pod_manifest``) are not quite enough. FPGASpawner
must order and initialise a profile list exactly as kubespawner does, and
remember the traits that a ``kubespawner_override`` changes in place. The dry
run and the tests also build spawners without a hub, and must close what
kubespawner leaves open. All of this relies on names that start with an
underscore, so kubespawner may change them in any release.

Every such use is in a function here. Each function's docstring names the
private attribute it relies on and the behaviour we need from it. The
behaviour was read from kubespawner 7.1.0 (``kubespawner/spawner.py``,
``clients.py`` and ``reflector.py``; see ``docs/upstream-facts.md#kubespawner``).
``tests/hub/test_kubespawner_internals.py`` has one test for each of these
internals. That file fails, naming the internal, when an installed kubespawner
behaves differently. The same file also checks that no other module in the
project uses these names.

The only other place that touches one is ``FPGASpawner._apply_overrides``. It
overrides kubespawner's private hook, and its body does nothing but call
:func:`apply_overrides_remembering` (see there for why the override exists).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from kubespawner import KubeSpawner
from kubespawner.reflector import ResourceReflector

#: The kubespawner releases these functions were checked against. 7.0.0 (pinned by
#: zero-to-jupyterhub 4.2.0's hub image) was compared with 7.1.0 from PyPI's wheels:
#: every function and template used here is the same in both, except as noted
#: at render_options_form.
CHECKED_AGAINST = "7.0.0 and 7.1.0"

#: kubespawner's private names used in this module; no other module may use them.
PRIVATE_NAMES = (
    "_sorted_dict_values",
    "_get_initialized_profile_list",
    "_apply_overrides",
    "_render_options_form",
    "_mock",
    "_make_create_pod_request",
    "_stop_all_reflectors",
    "_list_and_update",
    "close_client_task",
)

#: Where kubespawner.clients.shared_client's closing task comes from (see close_shared_clients).
_CLIENT_CLOSER = "shared_client.<locals>.close_client_task"

ProfileList = list[dict[str, Any]]
SpawnerT = TypeVar("SpawnerT", bound=KubeSpawner)
ListAndUpdate = Callable[[str | None], Awaitable[str]]


# -- profiles -----------------------------------------------------------------


def sorted_profiles(
    spawner: KubeSpawner, profiles: ProfileList | dict[str, dict[str, Any]] | Callable[..., Any]
) -> ProfileList | Callable[..., Any]:
    """A profile list as kubespawner reads it: a dict's values sorted by key.

    Relies on ``KubeSpawner._sorted_dict_values`` (7.1: for a dict it returns
    ``[src[k] for k in sorted(src)]``, and it returns anything else, such as a
    list or a callable, unchanged). kubespawner uses this on ``profile_list``
    for its form and in ``load_user_options``. Z2JH lets admins write
    ``profileList`` as a dict, so FPGASpawner must order the admin's profiles
    the same way. Otherwise its own list would not match the one kubespawner
    applies.
    """
    return spawner._sorted_dict_values(profiles)


def initialized_profile_list(spawner: KubeSpawner, profiles: ProfileList) -> ProfileList:
    """A deep copy of ``profiles`` with the defaults kubespawner fills in.

    Relies on ``KubeSpawner._get_initialized_profile_list`` (7.1). It adds a
    missing ``slug`` made from ``display_name``. The first choice of an option
    becomes its default when none is marked, and the first profile becomes the
    default when none is. Every option gets ``unlisted_choice.enabled`` (False
    unless set). The caller's list is left unchanged.

    FPGASpawner checks user options against this list before
    ``super().load_user_options()`` runs. That way the profile and choice it
    approves are the ones kubespawner will apply.
    """
    return spawner._get_initialized_profile_list(profiles)


def render_options_form(
    spawner: KubeSpawner, profiles: ProfileList, user_options: Mapping[str, Any]
) -> str:
    """The spawn form for ``profiles``, as kubespawner renders it, pre-selecting ``user_options``.

    Relies on ``KubeSpawner._render_options_form(profile_list)`` (7.0 and
    7.1): it initialises the list, loads the template (``profile_form_template``,
    else a ``form.html`` in ``additional_profile_form_template_paths``, which
    is how jupyterhub-fancy-profiles plugs in, else its own) and renders it with
    ``profile_list``. 7.1 also passes ``self.user_options`` (after checking them
    against the list) so its form pre-selects them; 7.0 does not, and its form
    selects the profile and choices marked ``default`` instead. The caller
    marks those too (:func:`fpga_spawner.user_options.preselected`).

    FPGASpawner renders the form itself (to escape the catalog's text and to
    pre-fill a spawn link's choices), so it sets ``user_options`` only for
    the duration of this synchronous call.
    """
    saved = spawner.user_options
    spawner.user_options = dict(user_options)
    try:
        return spawner._render_options_form(profiles)
    finally:
        spawner.user_options = saved


# -- kubespawner_override -------------------------------------------------------


def apply_overrides(spawner: KubeSpawner, overrides: Mapping[str, Any]) -> None:
    """Apply trait overrides the way kubespawner applies a profile's ``kubespawner_override``.

    Calls the spawner's own ``_apply_overrides`` hook, the one kubespawner's
    ``_load_profile`` calls for each profile and chosen option (7.1). A subclass
    override, such as FPGASpawner's, therefore runs here too. FPGASpawner uses
    this for Binder launches, which have no profile but carry overrides from
    the rules.
    """
    spawner._apply_overrides(dict(overrides))


def apply_overrides_remembering(
    spawner: KubeSpawner, overrides: Mapping[str, Any], originals: dict[str, Any]
) -> None:
    """kubespawner's ``_apply_overrides``, after saving each trait it will change.

    This is the whole body of ``FPGASpawner._apply_overrides``, which overrides
    kubespawner's private hook. That hook is the only place where every
    ``kubespawner_override`` passes, whether it comes from a profile, a chosen
    option or an unlisted choice.

    Relies on ``KubeSpawner._apply_overrides`` (7.1) working like this: a
    callable value is called with the spawner and its result is used. A dict
    value is merged into the trait's existing dict in place
    (``recursive_update``, where ``None`` deletes a key). Any other value is set
    with ``setattr``.

    Because of the in-place merge, and because traits are never reset between
    spawns (kubespawner issues 546 and 691), a failed or earlier spawn would
    leak into the next one. So before kubespawner changes a trait for the first
    time, we save a deep copy of it in ``originals``.
    ``FPGASpawner.reset_profile_state`` puts those copies back at the start of
    the next spawn. kubespawner's implementation is called directly, because
    the spawner's hook is the caller.
    """
    for key in overrides:
        if key not in originals:
            originals[key] = copy.deepcopy(getattr(spawner, key))
    KubeSpawner._apply_overrides(spawner, dict(overrides))


# -- spawners without a hub -------------------------------------------------------


def make_offline_spawner(cls: type[SpawnerT], **kwargs: Any) -> SpawnerT:
    """Build a spawner of ``cls`` outside JupyterHub, as kubespawner's own tests do.

    Relies on ``KubeSpawner.__init__`` accepting ``_mock=True`` (7.1). It
    removes the argument, and if ``user`` or ``hub`` is not passed it puts in
    stand-ins (the user is ``mock@name``, the hub's URLs are ``mock_*``). It
    changes nothing else. Building the spawner makes no network call either
    way: ``load_config`` reads the kubeconfig and ``shared_client`` makes a
    client object. The first request happens in ``start()``.

    Used by the dry run (``render``), the benchmarks and the tests. The dry run
    passes ``user`` and ``hub`` itself, so for it ``_mock`` is only an
    announcement that no hub is present.
    """
    return cls(_mock=True, **kwargs)


async def create_pod_request(spawner: KubeSpawner, pod: Any, request_timeout: float) -> bool:
    """One pod creation the way ``start()`` tries it: True when created, False to retry.

    Relies on ``KubeSpawner._make_create_pod_request(pod, request_timeout)``
    (7.1). When the API answers 409 Conflict (the pod exists), it stops the
    spawner, which deletes the old pod, and returns False so that
    ``exponential_backoff`` tries again. The emulator tests call it to check
    that kubespawner's 409 path works against the emulator.
    """
    return await spawner._make_create_pod_request(pod, request_timeout)


def wrap_reflector_list(
    reflector: ResourceReflector,
    wrapper: Callable[[ListAndUpdate, str | None], Awaitable[str]],
) -> None:
    """Send every full list a reflector makes through ``wrapper(original, resource_version)``.

    Relies on ``ResourceReflector._list_and_update(resource_version=None)``
    (7.1). It returns the list's ``resourceVersion`` and is looked up on the
    instance each time it is called. ``start()`` calls it with no argument.
    The watch loop calls it again, and after any watch error, including 410
    Gone, it passes ``"0"``. The emulator tests use this to compact the store
    between the list and the watch.
    """
    original: ListAndUpdate = reflector._list_and_update

    async def list_and_update(resource_version: str | None = None) -> str:
        return await wrapper(original, resource_version)

    reflector._list_and_update = list_and_update


# -- teardown -------------------------------------------------------------------------


async def stop_all_reflectors() -> None:
    """Stop and forget the pod and event reflectors that every KubeSpawner shares.

    Relies on ``KubeSpawner._stop_all_reflectors`` (7.1, "used when running
    tests"). It removes every entry from the class-level ``reflectors`` dict
    (subclasses use the same dict) and awaits each reflector's ``stop()``.
    Without this, a reflector started in one event loop stays registered.
    The next ``start()`` in another loop then finds it and waits on a watch
    that no longer runs.
    """
    await KubeSpawner._stop_all_reflectors()


async def close_shared_clients() -> None:
    """Close the Kubernetes API clients that kubespawner shares in the running loop.

    ``kubespawner.clients.shared_client`` (7.1) keeps one client per event
    loop and client type. For each one it starts a task, ``close_client_task``,
    that holds ``async with client.api_client`` until it is cancelled, and it
    "relies on JupyterHub's task cleanup at shutdown" to cancel it. We do what
    JupyterHub does at shutdown: cancel those tasks and wait for them. Each
    task then closes its aiohttp session and removes its client from the
    cache, so the next ``shared_client`` call makes a new client. Tasks are
    matched by the coroutine's qualified name (:data:`_CLIENT_CLOSER`).
    """
    current = asyncio.current_task()
    closers = [
        task
        for task in asyncio.all_tasks()
        if task is not current and getattr(task.get_coro(), "__qualname__", "") == _CLIENT_CLOSER
    ]
    for task in closers:
        task.cancel()
    await asyncio.gather(*closers, return_exceptions=True)


def start_in_progress(spawner: Any) -> bool:
    """Whether kubespawner's ``_start()`` is still running (its private ``_start_future``).

    kubespawner calls ``stop(True)`` from inside ``_start()`` when the pod it is
    creating already exists (a first attempt that timed out but landed); that
    stop must not undo what this same start prepared, such as a DRA claim template.
    """
    future = getattr(spawner, "_start_future", None)
    return future is not None and not future.done()

"""KubeSpawner profiles built from the catalog, and the user-option check.

Catalog profiles are ordinary kubespawner profiles whose
``kubespawner_override`` sets FPGASpawner's ``fpga_*`` traits, exactly as a
GPU profile sets ``extra_resource_limits``. An admin can therefore write FPGA
profiles by hand in zero-to-jupyterhub's ``profileList`` too, and the two kinds
merge into one list.

:func:`check_user_options` is stricter than kubespawner's own validation,
which lets an unknown choice through to a ``KeyError`` (a 500): every bad
value here is refused with a message that lists what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .catalog import Accelerator, Board, Catalog

BOARD_COUNT_OPTION = "count"
REPLICAS_OPTION = "replicas"

CapacityText = Callable[[Board], str]


class UserOptionsError(ValueError):
    """Refused user options; the message is safe to show to the user."""


def accelerator_slug(name: str) -> str:
    return "accel-" + name.replace(".", "-").replace("_", "-")


def board_profile(board: Board, capacity_text: str = "") -> dict[str, Any]:
    choices = {
        str(n): {
            "display_name": f"{n} x {board.display_name}",
            "kubespawner_override": {"fpga_count": n},
        }
        for n in range(1, board.max_per_user + 1)
    }
    description = board.description or f"{board.display_name} ({board.platform or board.resource})"
    if capacity_text:
        description = f"{description}. {capacity_text}"
    return {
        "display_name": board.display_name,
        "slug": board.slug,
        "description": description,
        "kubespawner_override": {"fpga_board": board.slug, "fpga_accelerator": ""},
        "profile_options": {
            BOARD_COUNT_OPTION: {"display_name": "Number of FPGAs", "choices": choices}
        },
    }


def accelerator_profile(
    accel: Accelerator, catalog: Catalog, user_groups: Sequence[str]
) -> dict[str, Any] | None:
    boards = [catalog.board(slug) for slug, _ in accel.boards]
    usable = [b.display_name for b in boards if b is not None and b.allowed_for(user_groups)]
    if not usable:
        return None
    choices = {
        str(n): {
            "display_name": f"{n} replica{'s' if n > 1 else ''}",
            "kubespawner_override": {"fpga_replicas": n},
        }
        for n in range(1, accel.max_replicas + 1)
    }
    return {
        "display_name": f"Accelerator: {accel.display_name}",
        "slug": accelerator_slug(accel.name),
        "description": accel.description
        or f"{accel.name} on the best free board ({', '.join(usable)})",
        "kubespawner_override": {"fpga_accelerator": accel.name, "fpga_board": ""},
        "profile_options": {REPLICAS_OPTION: {"display_name": "Replicas", "choices": choices}},
    }


def catalog_profiles(
    catalog: Catalog, user_groups: Sequence[str], capacity_text: CapacityText | None = None
) -> list[dict[str, Any]]:
    """One profile per board the user may use, then one per usable accelerator."""
    profiles = [
        board_profile(b, capacity_text(b) if capacity_text else "")
        for b in catalog.boards
        if b.allowed_for(user_groups)
    ]
    for accel in catalog.accelerators:
        profile = accelerator_profile(accel, catalog, user_groups)
        if profile:
            profiles.append(profile)
    return profiles


def custom_image_option(default_image: str, regex: str) -> dict[str, Any]:
    """An `image` option whose free-text choice replaces the image (fancy-profiles)."""
    return {
        "display_name": "Image",
        "choices": {
            "default": {
                "display_name": default_image or "the hub's default image",
                "default": True,
                "kubespawner_override": {},
            }
        },
        "unlisted_choice": {
            "enabled": True,
            "display_name": "Custom image",
            "validation_regex": regex,
            "kubespawner_override": {"image": "{value}"},
        },
    }


def _allowed(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "(none)"


def check_user_options(
    user_options: Mapping[str, Any],
    profile_list: Sequence[Mapping[str, Any]],
    extra_keys: Sequence[str] = (),
) -> dict[str, Any]:
    """Validate user options against an initialized profile list.

    Returns a normalized copy (choices as strings, as the form sends them) or
    raises :class:`UserOptionsError`. Keys in `extra_keys` (e.g. BinderHub's
    ``image`` and ``token``) pass through untouched for the spawner to handle.
    """
    if not isinstance(user_options, Mapping):
        raise UserOptionsError("user_options must be a JSON object")
    options = dict(user_options)
    slugs = [p["slug"] for p in profile_list]
    profile_slug = options.get("profile")
    if not profile_list:
        if profile_slug:
            raise UserOptionsError(f"Unknown profile {profile_slug!r}: no profiles are configured")
        unknown = sorted(set(options) - set(extra_keys))
        if unknown:
            raise UserOptionsError(
                f"Unknown user option {unknown[0]!r}. Allowed: {_allowed(list(extra_keys))}"
            )
        return options
    if profile_slug is None or profile_slug == "":
        profile = next((p for p in profile_list if p.get("default")), profile_list[0])
    elif not isinstance(profile_slug, str) or profile_slug not in slugs:
        raise UserOptionsError(
            f"Unknown profile {profile_slug!r}. Allowed profiles: {_allowed(slugs)}"
        )
    else:
        profile = next(p for p in profile_list if p["slug"] == profile_slug)

    profile_options = profile.get("profile_options", {}) or {}
    allowed_keys = ["profile", *profile_options, *extra_keys]
    for name, option in profile_options.items():
        if option.get("unlisted_choice", {}).get("enabled"):
            allowed_keys.append(f"{name}--unlisted-choice")
    for key in options:
        if key not in allowed_keys:
            raise UserOptionsError(
                f"Unknown user option {key!r} for profile {profile['slug']!r}. "
                f"Allowed: {_allowed(allowed_keys)}"
            )
    for name, option in profile_options.items():
        if name not in options or options[name] in (None, ""):
            continue
        value = options[name]
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise UserOptionsError(f"{name} must be a string, got {type(value).__name__}")
        value = str(value)
        choices = list((option.get("choices") or {}).keys())
        if value not in choices:
            label = option.get("display_name", name)
            raise UserOptionsError(
                f"{name}={value!r} is not a choice of {label!r} in profile "
                f"{profile['slug']!r}. Allowed: {_allowed(choices)}"
            )
        options[name] = value
    for name, option in profile_options.items():
        key = f"{name}--unlisted-choice"
        if key not in options:
            continue
        value = options[key]
        if not isinstance(value, str):
            raise UserOptionsError(f"{key} must be a string")
        regex = option.get("unlisted_choice", {}).get("validation_regex")
        if value and regex and not re.match(regex, value):
            raise UserOptionsError(f"{key}={value!r} must match {regex!r}")
    return options

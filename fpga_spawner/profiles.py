"""KubeSpawner profiles built from the catalog.

Catalog profiles are ordinary kubespawner profiles whose
``kubespawner_override`` sets FPGASpawner's ``fpga_*`` traits, exactly as a
GPU profile sets ``extra_resource_limits``. An admin can therefore write FPGA
profiles by hand in zero-to-jupyterhub's ``profileList`` too, and the two kinds
merge into one list.

The check of what users send against these profiles is in :mod:`.user_options`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .catalog import Accelerator, Board, Catalog

BOARD_COUNT_OPTION = "count"
REPLICAS_OPTION = "replicas"

CapacityText = Callable[[Board], str]


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
    count_name = "Number of FPGAs"
    description = board.description or f"{board.display_name} ({board.platform or board.resource})"
    if board.shared:
        # one slot per server: the only choice says what the user shares
        count_name = "Slots"
        choices = {
            "1": {
                "display_name": f"1 slot of {board.slots_per_board} on one {board.display_name}",
                "kubespawner_override": {"fpga_count": 1},
            }
        }
        description += (
            f". Shared board: {board.slots_per_board} slots per board, one per server; "
            "other servers may use the same board"
        )
    if capacity_text:
        description = f"{description}. {capacity_text}"
    return {
        "display_name": board.display_name,
        "slug": board.slug,
        "description": description,
        "kubespawner_override": {"fpga_board": board.slug, "fpga_accelerator": ""},
        "profile_options": {BOARD_COUNT_OPTION: {"display_name": count_name, "choices": choices}},
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
    """An `image` option whose free-text choice replaces the image.

    kubespawner's form offers the free text as "Other image..."; with
    ``dynamic_image_building`` jupyterhub-fancy-profiles also offers "Build
    your own image" (binderhub-service builds it and the form sends the
    result as the free text). Either way kubespawner sets ``image`` from it.
    """
    return {
        "display_name": "Image",
        "dynamic_image_building": {"enabled": True},
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
            "display_name_in_choices": "Other image...",
            "validation_regex": regex,
            "validation_message": f"An image name such as quay.io/org/image:tag (matching {regex})",
            "kubespawner_override": {"image": "{value}"},
        },
    }


def admin_profile_slug(profile: Mapping[str, Any]) -> str:
    """The slug kubespawner gives an admin's profile: its own, or one made from display_name."""
    if profile.get("slug"):
        return str(profile["slug"])
    from slugify import slugify  # kubespawner's own choice (python-slugify)

    return slugify(str(profile.get("display_name", "")))


def catalog_slugs(catalog: Catalog) -> dict[str, str]:
    """Every profile slug the catalog makes, and where it comes from (for error messages)."""
    slugs = {b.slug: f"FPGASpawner.boards entry {b.slug!r}" for b in catalog.boards}
    for accel in catalog.accelerators:
        slugs[accelerator_slug(accel.name)] = f"FPGASpawner.accelerators entry {accel.name!r}"
    return slugs


def slug_conflicts(admin_profiles: Sequence[Mapping[str, Any]], catalog: Catalog) -> list[str]:
    """Admin profiles that hide a catalog profile by taking its slug, each with both places.

    kubespawner picks the first profile with a slug, so the catalog's would
    never be reachable; the hub refuses such a configuration at start-up.
    """
    made = catalog_slugs(catalog)
    problems = []
    for index, profile in enumerate(admin_profiles):
        if not isinstance(profile, Mapping):
            continue
        slug = admin_profile_slug(profile)
        if slug in made:
            problems.append(
                f"KubeSpawner.profile_list #{index} has the slug {slug!r}, which {made[slug]} "
                f"also gives its profile; rename one of them"
            )
    return problems

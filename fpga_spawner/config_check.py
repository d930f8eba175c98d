"""Check the FPGA configuration while JupyterHub loads its config file.

JupyterHub creates spawners lazily, at a user's first spawn, so a bad option
would otherwise surface as an error page long after start-up. Calling
:func:`check_config` at the end of ``jupyterhub_config.py`` (JupyterHub stops
on an exception from its config file) stops the hub at start-up with one
clear message, and only for a configuration the spawner would refuse:

- every ``FPGASpawner`` option, through the same ``@validate`` rules a
  spawner applies (:mod:`.settings`): ``capacity_wait=-3``, a
  ``custom_image_regex`` that does not compile;
- the catalog, and the Binder rules against it;
- the admin's profiles: an FPGA board or accelerator they name must exist
  (a callable override is the spawner's business at spawn time), a
  free-text choice's ``validation_regex`` must compile, and no profile may
  take the slug of a profile the catalog makes;
- the quotas (the catalog file's ``quotas`` and ``fpga_quotas``): counts of
  at least 0, board slugs of the catalog, and groups of
  ``c.JupyterHub.load_groups`` when it is configured.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from traitlets import TraitError
from traitlets.config import Config, LazyConfigValue

from .binder import parse_binder_rules
from .catalog import CATALOG_KEYS, QUOTAS_IN_FILE, Catalog, CatalogError, catalog_from_config
from .profiles import admin_profile_slug, slug_conflicts
from .quotas import QuotaError, parse_quotas, unknown_groups
from .settings import QUOTAS_OPTION, FPGASettings

_OPTION = "KubeSpawner.profile_list"


def _section(config: Any, name: str) -> dict:
    return dict(config[name]) if name in config else {}


def _value(value: Any, empty: Any) -> Any:
    """A config value as the spawner would see it (``c.X.y.append(...)`` is lazy)."""
    return value.get_value(empty) if isinstance(value, LazyConfigValue) else value


def fpga_settings(config: Any) -> FPGASettings:
    """FPGASpawner's options from `config`, each validated; or a CatalogError naming it."""
    merged = {**_section(config, "KubeSpawner"), **_section(config, "FPGASpawner")}
    own = {k: v for k, v in merged.items() if FPGASettings.class_traits(config=True).get(k)}
    try:
        return FPGASettings(config=Config({"FPGASettings": own}))
    except TraitError as e:  # the validators name the option; traitlets' type errors the class
        message = str(e).replace("a FPGASettings instance", "FPGASpawner")
        raise CatalogError("", "", message) from None


def _profiles(config: Any) -> list:
    profiles = _value(_section(config, "KubeSpawner").get("profile_list", []), [])
    profiles = _value(_section(config, "FPGASpawner").get("profile_list", profiles), [])
    if isinstance(profiles, Mapping):  # kubespawner 7.1: a dict's values, sorted by key
        profiles = [profiles[k] for k in sorted(profiles)]
    return profiles if isinstance(profiles, list) else []  # a callable is checked at spawn


def _overrides(profile: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Every kubespawner_override in a profile, with where it is."""
    found = [("kubespawner_override", profile.get("kubespawner_override"))]
    for name, option in (profile.get("profile_options") or {}).items():
        for key, choice in (option.get("choices") or {}).items():
            where = f"profile_options.{name}.choices.{key}.kubespawner_override"
            found.append((where, (choice or {}).get("kubespawner_override")))
        unlisted = option.get("unlisted_choice") or {}
        where = f"profile_options.{name}.unlisted_choice.kubespawner_override"
        found.append((where, unlisted.get("kubespawner_override")))
    return [(where, o) for where, o in found if isinstance(o, Mapping)]


def _named(value: Any) -> str:
    """A plain name to look up now ("" for a callable or a "{value}" template of a free text)."""
    return value if isinstance(value, str) and "{" not in value else ""


def _check_profile(index: int, profile: Any, catalog: Catalog) -> None:
    if not isinstance(profile, Mapping):
        raise CatalogError(_OPTION, f"#{index}", "must be a mapping")
    entry = f"#{index} ({admin_profile_slug(profile)!r})"
    for where, override in _overrides(profile):
        # a callable is called by kubespawner at spawn time; the spawner checks its result
        board, accel = _named(override.get("fpga_board")), _named(override.get("fpga_accelerator"))
        if board and catalog.board(board) is None:
            allowed = ", ".join(b.slug for b in catalog.boards) or "(no boards configured)"
            raise CatalogError(
                _OPTION, entry, f"{where}.fpga_board={board!r} is not a board; boards: {allowed}"
            )
        if accel and catalog.accelerator(accel) is None:
            allowed = ", ".join(a.name for a in catalog.accelerators) or "(none configured)"
            raise CatalogError(
                _OPTION,
                entry,
                f"{where}.fpga_accelerator={accel!r} is not an accelerator; accelerators: {allowed}",
            )
    for name, option in (profile.get("profile_options") or {}).items():
        regex = (option.get("unlisted_choice") or {}).get("validation_regex")
        if regex:
            try:
                re.compile(regex)
            except re.error as e:
                raise CatalogError(
                    _OPTION,
                    entry,
                    f"profile_options.{name}.unlisted_choice.validation_regex={regex!r} "
                    f"is not a regular expression: {e}",
                ) from None


def _loaded_groups(config: Any) -> list[str] | None:
    """The group names of ``c.JupyterHub.load_groups``, or None when it is not configured."""
    groups = _value(_section(config, "JupyterHub").get("load_groups"), {})
    return [str(name) for name in groups] if isinstance(groups, Mapping) and groups else None


def _check_quotas(config: Any, settings: FPGASettings, catalog: Catalog) -> None:
    """Quotas: board slugs against the catalog; groups against ``load_groups`` if given.

    Groups the hub's database holds are checked again at spawn time (see
    FPGASpawner._quota_group_problem); here only the configuration is known.
    """
    try:
        trait = parse_quotas(settings.fpga_quotas, QUOTAS_OPTION, {b.slug for b in catalog.boards})
    except QuotaError as e:
        raise CatalogError("", "", str(e)) from None
    groups = _loaded_groups(config)
    if groups is None:
        return
    for policy, option in ((catalog.quotas, QUOTAS_IN_FILE), (trait, QUOTAS_OPTION)):
        problem = unknown_groups(policy, groups, option)
        if problem:
            raise CatalogError("", "", problem + " (from c.JupyterHub.load_groups)")


def check_config(config: Any) -> Catalog:
    """Check what `config` configures for FPGASpawner; raise :class:`CatalogError` if wrong."""
    settings = fpga_settings(config)
    catalog = catalog_from_config(
        {key: list(getattr(settings, key)) for key in CATALOG_KEYS}, settings.catalog_file
    )
    profiles = _profiles(config)
    for index, profile in enumerate(profiles):
        _check_profile(index, profile, catalog)
    conflicts = slug_conflicts(profiles, catalog)
    if conflicts:
        raise CatalogError(_OPTION, "", conflicts[0])
    parse_binder_rules(settings.binder_rules, settings.binder_default, catalog)
    _check_quotas(config, settings, catalog)
    return catalog

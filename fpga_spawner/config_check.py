"""Check the FPGA configuration while JupyterHub loads its config file.

JupyterHub creates spawners lazily, at a user's first spawn, so a bad catalog
would otherwise surface as an error page long after start-up. Calling
:func:`check_config` at the end of ``jupyterhub_config.py`` (JupyterHub raises
config-file errors) stops the hub at start-up with the catalog's own message.
"""

from __future__ import annotations

from typing import Any

from .binder import parse_binder_rules
from .catalog import CATALOG_KEYS, Catalog, CatalogError, catalog_from_config


def _section(config: Any, name: str) -> dict:
    return dict(config[name]) if name in config else {}


def check_config(config: Any) -> Catalog:
    """Parse the catalog configured in `config`; raise :class:`CatalogError` if it is wrong."""
    merged = {**_section(config, "KubeSpawner"), **_section(config, "FPGASpawner")}
    catalog = catalog_from_config(
        {key: list(merged.get(key, [])) for key in CATALOG_KEYS},
        str(merged.get("catalog_file", "")),
    )
    profiles = merged.get("profile_list", [])
    if isinstance(profiles, dict):
        profiles = list(profiles.values())
    if isinstance(profiles, list):
        for i, profile in enumerate(profiles):
            override = profile.get("kubespawner_override", {}) if isinstance(profile, dict) else {}
            board = override.get("fpga_board")
            if board and catalog.board(board) is None:
                allowed = ", ".join(b.slug for b in catalog.boards) or "(no boards configured)"
                raise CatalogError(
                    "KubeSpawner.profile_list",
                    f"#{i} ({profile.get('slug') or profile.get('display_name')!r})",
                    f"kubespawner_override.fpga_board={board!r} is not a board; boards: {allowed}",
                )
            accel = override.get("fpga_accelerator")
            if accel and catalog.accelerator(accel) is None:
                raise CatalogError(
                    "KubeSpawner.profile_list",
                    f"#{i}",
                    f"kubespawner_override.fpga_accelerator={accel!r} is not an accelerator",
                )
    parse_binder_rules(
        list(merged.get("binder_rules", [])), dict(merged.get("binder_default", {})), catalog
    )
    return catalog

"""FPGA requests for Binder launches, which carry a repository instead of a profile.

BinderHub POSTs ``{image, repo_url, token, binder_request, ...}`` and no
``profile``, so the FPGA a repository gets is decided here from rules the
admin writes (a regular expression on the repository -> a board or an
accelerator), with a default for repositories no rule matches. The result is
a set of ``fpga_*`` trait overrides, applied like a profile's, so it is undone
before the next spawn.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .catalog import Catalog, CatalogError

# What BinderHub's launch sends as user_options (docs/upstream-facts.md, "BinderHub").
BINDER_USER_OPTIONS = (
    "image",
    "token",
    "repo_url",
    "binder_ref_url",
    "binder_launch_host",
    "binder_request",
    "binder_persistent_request",
    "binder_client_ip",
)


@dataclass(frozen=True)
class BinderRule:
    pattern: re.Pattern[str]
    overrides: tuple[tuple[str, Any], ...]


def _overrides(option: str, entry: str, raw: Mapping[str, Any], catalog: Catalog | None) -> dict:
    """`catalog` None checks a rule's shape only (a trait's own validation, before the catalog)."""
    keys = set(raw) - {"pattern"}
    if "board" in keys and "accelerator" not in keys:
        if catalog is not None and catalog.board(raw["board"]) is None:
            allowed = ", ".join(b.slug for b in catalog.boards)
            raise CatalogError(option, entry, f"board={raw['board']!r}; boards: {allowed}")
        unknown = keys - {"board", "count"}
        count = raw.get("count", 1)
        result = {"fpga_board": raw["board"], "fpga_count": count, "fpga_accelerator": ""}
    elif "accelerator" in keys and "board" not in keys:
        if catalog is not None and catalog.accelerator(raw["accelerator"]) is None:
            allowed = ", ".join(a.name for a in catalog.accelerators)
            raise CatalogError(
                option, entry, f"accelerator={raw['accelerator']!r}; accelerators: {allowed}"
            )
        unknown = keys - {"accelerator", "replicas"}
        count = raw.get("replicas", 1)
        result = {
            "fpga_accelerator": raw["accelerator"],
            "fpga_replicas": count,
            "fpga_board": "",
        }
    else:
        raise CatalogError(
            option, entry, "give exactly one of board (+count) or accelerator (+replicas)"
        )
    if unknown:
        raise CatalogError(option, entry, f"unknown key {sorted(unknown)[0]!r}")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise CatalogError(option, entry, f"count/replicas={count!r} must be an integer >= 1")
    return result


def parse_binder_rules(
    rules: Sequence[Any], default: Mapping[str, Any], catalog: Catalog | None
) -> tuple[tuple[BinderRule, ...], dict[str, Any]]:
    """Validate `FPGASpawner.binder_rules` and `binder_default` against the catalog.

    With `catalog` None, only what a rule says on its own is checked.
    """
    parsed = []
    for i, raw in enumerate(rules):
        option, entry = "FPGASpawner.binder_rules", f"#{i}"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("pattern"), str):
            raise CatalogError(option, entry, "must be a mapping with a pattern (a regex)")
        try:
            pattern = re.compile(raw["pattern"])
        except re.error as e:
            raise CatalogError(
                option, entry, f"pattern={raw['pattern']!r} is not a regex: {e}"
            ) from None
        parsed.append(BinderRule(pattern, tuple(_overrides(option, entry, raw, catalog).items())))
    default_overrides = (
        _overrides("FPGASpawner.binder_default", "", default, catalog) if default else {}
    )
    return tuple(parsed), default_overrides


def binder_overrides(
    rules: Sequence[BinderRule], default: Mapping[str, Any], user_options: Mapping[str, Any]
) -> dict[str, Any]:
    """The fpga_* overrides for a Binder launch: the first rule whose pattern matches.

    Patterns are searched in the repository URL and in BinderHub's
    ``binder_request`` (``v2/gh/org/repo/ref``), so either form can be written.
    """
    subjects = [str(user_options.get(key) or "") for key in ("repo_url", "binder_request")]
    for rule in rules:
        if any(rule.pattern.search(s) for s in subjects if s):
            return dict(rule.overrides)
    return dict(default)


def is_binder_launch(user_options: Mapping[str, Any]) -> bool:
    return not user_options.get("profile") and bool(
        user_options.get("repo_url") or user_options.get("binder_request")
    )

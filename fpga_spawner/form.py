"""The spawn form: the profile list as the form shows it, made safe and pre-filled.

kubespawner renders its own ``form.html`` with Jinja2 without autoescaping
(docs/upstream-facts.md, "kubespawner"), so a board called ``Alveo <U250>``
or a description with ``&`` would be read as HTML. Admins' own profiles are
left as they are (kubespawner lets them hold HTML); the text of the profiles
FPGASpawner makes from the catalog is escaped here, for that template only.
Templates of their own (jupyterhub-fancy-profiles passes the list to
JavaScript with ``tojson`` and shows it as text) get the text unchanged.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

_PROFILE_TEXT = ("display_name", "description")
_CHOICE_TEXT = ("display_name", "description")
_UNLISTED_TEXT = (
    "display_name",
    "display_name_in_choices",
    "description_in_choices",
    "validation_message",
    "validation_regex",  # goes into a `pattern="..."` attribute
)


def kubespawner_template_in_use(profile_form_template: str, template_paths: Sequence[str]) -> bool:
    """Whether kubespawner will render its bundled ``form.html`` (it looks in these paths first)."""
    if profile_form_template:
        return False
    return not any(Path(p, "form.html").is_file() for p in template_paths)


def _escaped(entry: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: html.escape(v) if k in keys and isinstance(v, str) else v for k, v in entry.items()}


def _escaped_option(option: Mapping[str, Any]) -> dict[str, Any]:
    result = _escaped(option, ("display_name",))
    if isinstance(option.get("choices"), Mapping):
        result["choices"] = {k: _escaped(c, _CHOICE_TEXT) for k, c in option["choices"].items()}
    if isinstance(option.get("unlisted_choice"), Mapping):
        result["unlisted_choice"] = _escaped(option["unlisted_choice"], _UNLISTED_TEXT)
    return result


def escape_catalog_text(
    profile_list: Sequence[Mapping[str, Any]], catalog_slugs: Collection[str]
) -> list[dict[str, Any]]:
    """A copy of the list with the text of the catalog's profiles HTML-escaped."""
    result = []
    for profile in profile_list:
        if profile.get("slug") not in catalog_slugs:
            result.append(dict(profile))
            continue
        escaped = _escaped(profile, _PROFILE_TEXT)
        options = profile.get("profile_options") or {}
        escaped["profile_options"] = {k: _escaped_option(o) for k, o in options.items()}
        result.append(escaped)
    return result

"""The check of `user_options` against a profile list, by kubespawner's contract.

Whatever the client (kubespawner's own form, jupyterhub-fancy-profiles,
binderhub-service's tutorial profile, BinderHub's launcher, the REST API),
what plain KubeSpawner accepts is accepted here too, read the way
kubespawner's ``_validate_user_options`` and ``_load_profile`` read it
(docs/upstream-facts.md, "Form fields and user_options"):

- an option whose value is empty (any falsy value) takes its default choice;
- a non-empty ``<opt>--unlisted-choice`` wins over ``<opt>``, whatever that
  says: fancy-profiles sends ``<opt>: "unlisted_choice"`` or
  ``"--extra-selectable-item"`` beside the free text;
- keys kubespawner does not know are ignored, not refused (fancy-profiles'
  image builder sends ``image--unlisted-choice--repo`` and ``--ref``).

Where kubespawner would fail with a 500 (a choice that does not exist) or
let a value through unchecked, this check refuses with a message that says
what is allowed. It is stricter in one way on purpose: a free-text value
must match its ``validation_regex`` as a whole (``re.fullmatch``), as the
form's HTML ``pattern`` does, so ``"evil/img:1\\n"`` does not pass
``^[a-z/:0-9]+$``. A refusal quotes at most a short prefix of what it refuses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

UNLISTED_SUFFIX = "--unlisted-choice"
#: How much of a refused value a message quotes.
QUOTE_LIMIT = 40


class UserOptionsError(ValueError):
    """Refused user options; the message is short and safe to show to the user."""


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr`` of a value a user sent, cut to a short prefix: it goes into replies and logs."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + "..."


def _allowed(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "(none)"


def _keys(keys: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(quote(k) for k in keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


@dataclass
class CheckedOptions:
    """What :func:`check_user_options` found: the options to use and what it ignored."""

    options: dict[str, Any]
    profile: Mapping[str, Any] | None
    ignored: list[str] = field(default_factory=list)

    def ignored_text(self) -> str:
        """For a log line: the ignored keys, a few of them, each cut short."""
        return _keys(self.ignored)


def find_profile(slug: object, profile_list: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The chosen profile (the default one for an empty slug), as kubespawner picks it."""
    if not slug:
        return next((p for p in profile_list if p.get("default")), profile_list[0])
    for profile in profile_list:
        if isinstance(slug, str) and profile["slug"] == slug:
            return profile
    slugs = [p["slug"] for p in profile_list]
    raise UserOptionsError(f"Unknown profile {quote(slug)}. Allowed profiles: {_allowed(slugs)}")


def _check_unlisted(name: str, option: Mapping[str, Any], value: object) -> None:
    unlisted = option.get("unlisted_choice") or {}
    key = name + UNLISTED_SUFFIX
    if not unlisted.get("enabled"):
        choices = list((option.get("choices") or {}).keys())
        raise UserOptionsError(
            f"{key} is not allowed: {name} has no free-text choice. Allowed: {_allowed(choices)}"
        )
    if not isinstance(value, str):
        raise UserOptionsError(f"{key} must be a string, got {type(value).__name__}")
    regex = unlisted.get("validation_regex")
    if regex and not re.fullmatch(regex, value):
        why = unlisted.get("validation_message")
        raise UserOptionsError(
            f"{key}={quote(value)} must match {regex!r}" + (f" ({why})" if why else "")
        )


def _check_choice(name: str, option: Mapping[str, Any], value: object, profile_slug: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UserOptionsError(f"{name} must be a string, got {type(value).__name__}")
    choices = list((option.get("choices") or {}).keys())
    if str(value) not in choices:
        label = option.get("display_name", name)
        raise UserOptionsError(
            f"{name}={quote(str(value))} is not a choice of {label!r} in profile "
            f"{profile_slug!r}. Allowed: {_allowed(choices)}"
        )
    return str(value)


def check_user_options(
    user_options: Mapping[str, Any],
    profile_list: Sequence[Mapping[str, Any]],
    expected_keys: Sequence[str] = (),
    apply_profile: bool = True,
) -> CheckedOptions:
    """Check user options against an initialized profile list (kubespawner's contract).

    Returns the options with listed choices as strings (as the form sends
    them), the profile that applies, and the keys that are ignored (neither
    ``profile``, an option of that profile nor one of `expected_keys`), or
    raises :class:`UserOptionsError`. With `apply_profile` False (a Binder
    launch) no profile applies and only that is worked out.
    """
    if not isinstance(user_options, Mapping):
        raise UserOptionsError("user_options must be a JSON object")
    options = dict(user_options)
    if not profile_list or not apply_profile:
        known = set(expected_keys) | ({"profile"} if not profile_list else set())
        ignored = [k for k in options if k not in known]
        return CheckedOptions(options, None, ignored)
    profile = find_profile(options.get("profile"), profile_list)
    profile_options: Mapping[str, Mapping[str, Any]] = profile.get("profile_options") or {}
    for name, option in profile_options.items():
        unlisted, choice = options.get(name + UNLISTED_SUFFIX), options.get(name)
        if unlisted:
            _check_unlisted(name, option, unlisted)
        elif choice:
            options[name] = _check_choice(name, option, choice, profile["slug"])
    known = {"profile", *expected_keys}
    for name in profile_options:
        known |= {name, name + UNLISTED_SUFFIX}
    return CheckedOptions(options, profile, [k for k in options if k not in known])


Override = Mapping[str, Any]
FPGA_TRAITS = ("fpga_board", "fpga_accelerator")


def overrides_applied(profile: Mapping[str, Any], options: Mapping[str, Any]) -> list[Override]:
    """The kubespawner_overrides a spawn with these (checked) options would apply, in order."""
    applied: list[Override] = [profile.get("kubespawner_override") or {}]
    for name, option in (profile.get("profile_options") or {}).items():
        choices: Mapping[str, Any] = option.get("choices") or {}
        if options.get(name + UNLISTED_SUFFIX):
            applied.append((option.get("unlisted_choice") or {}).get("kubespawner_override") or {})
        elif options.get(name) in choices:
            applied.append(choices[options[name]].get("kubespawner_override") or {})
        else:
            default: Mapping[str, Any] = next((c for c in choices.values() if c.get("default")), {})
            applied.append(default.get("kubespawner_override") or {})
    return applied


def holds_fpga(
    profile: Mapping[str, Any], options: Mapping[str, Any], base: Mapping[str, Any]
) -> bool:
    """Whether a spawn with these options would ask for an FPGA.

    `base` holds the spawner's own ``fpga_*`` values, which the profile's
    overrides then change in order; a callable override may set a board, so
    it counts as one.
    """
    final = {t: base.get(t) for t in FPGA_TRAITS}
    for override in overrides_applied(profile, options):
        for trait in FPGA_TRAITS:
            if trait in override:
                final[trait] = override[trait]
    return any(callable(v) or bool(v) for v in final.values())


def preselected(
    profile_list: Sequence[Mapping[str, Any]], options: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """A copy of the profile list whose defaults are the chosen profile and choices.

    The spawn form then opens with them selected, in any kubespawner release:
    its ``form.html`` checks the default profile and selects default choices
    (7.1 also reads ``user_options``, 7.0 does not).
    """
    chosen = options.get("profile")
    if not chosen:
        return [dict(p) for p in profile_list]
    result = []
    for profile in profile_list:
        profile = {**profile}
        profile["default"] = profile["slug"] == chosen
        if profile["default"]:
            profile_options = {}
            for name, option in (profile.get("profile_options") or {}).items():
                choices = option.get("choices") or {}
                if options.get(name) in choices:
                    choices = {k: {**c, "default": k == options[name]} for k, c in choices.items()}
                profile_options[name] = {**option, "choices": choices}
            if profile_options:
                profile["profile_options"] = profile_options
        result.append(profile)
    return result

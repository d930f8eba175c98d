"""FPGA quotas: how many boards a user may hold at once, per user and per JupyterHub group.

Boards are scarce, and the catalog's ``max_per_user`` only limits one server.
A quota limits what one user holds over all of their named servers together:
``boards`` across every board type, and ``per_board`` per board slug. The
admin writes it once (the ``quotas`` section of the catalog file, or the
``FPGASpawner.fpga_quotas`` trait); this module parses it, decides each
user's limits, and words the refusal and the form's "you hold 1 of 2
boards". It is pure: what the user holds is passed in (the capacity ledger
and the wait line count it), so the rules are tested without a cluster.

How a user's limit is decided, limit by limit (``boards``, and each
``per_board`` slug on its own):

1. the user's own entry under ``users``, if it sets that limit;
2. otherwise the most generous of the user's groups under ``groups`` that set it;
3. otherwise ``default``, if it sets it;
4. otherwise no limit.

With ``admins_exempt: true`` hub admins have no quota at all.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

QUOTA_KEYS = ("admins_exempt", "default", "groups", "users")
LIMIT_KEYS = ("boards", "per_board")


class QuotaError(ValueError):
    """A quota entry the hub cannot use; the message names the option and the entry."""


@dataclass(frozen=True)
class QuotaRule:
    """One entry: a limit over all board types and limits per board slug (None = not set)."""

    boards: int | None = None
    per_board: tuple[tuple[str, int], ...] = ()

    def board_limit(self, slug: str) -> int | None:
        return next((n for s, n in self.per_board if s == slug), None)


@dataclass(frozen=True)
class QuotaPolicy:
    """The admin's quotas, parsed. Empty (the default) limits nobody."""

    default: QuotaRule | None = None
    groups: tuple[tuple[str, QuotaRule], ...] = ()
    users: tuple[tuple[str, QuotaRule], ...] = ()
    admins_exempt: bool | None = None
    """None: not said (counts as False; lets a second source keep the first one's value)."""

    def __bool__(self) -> bool:
        return bool(self.default or self.groups or self.users)

    def board_slugs(self) -> set[str]:
        rules = [self.default] if self.default else []
        rules += [r for _, r in self.groups] + [r for _, r in self.users]
        return {slug for rule in rules for slug, _ in rule.per_board}

    def group_names(self) -> list[str]:
        return [name for name, _ in self.groups]

    def overridden_by(self, other: QuotaPolicy) -> QuotaPolicy:
        """This policy with `other`'s entries replacing the ones of the same name."""
        return QuotaPolicy(
            default=other.default if other.default is not None else self.default,
            groups=tuple({**dict(self.groups), **dict(other.groups)}.items()),
            users=tuple({**dict(self.users), **dict(other.users)}.items()),
            admins_exempt=(
                other.admins_exempt if other.admins_exempt is not None else self.admins_exempt
            ),
        )


@dataclass(frozen=True)
class Limit:
    """One limit that applies to a user, and where it comes from (said in refusals)."""

    count: int
    source: str
    """"your own quota", "the quota of group 'students'", "the default quota"."""


@dataclass(frozen=True)
class UserLimits:
    """The limits that apply to one user; an empty one (no limits) for exempt users."""

    boards: Limit | None = None
    per_board: dict[str, Limit] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.boards is not None or bool(self.per_board)


@dataclass(frozen=True)
class Holding:
    """Boards a user holds (or is about to hold: a spawn in progress) on one server."""

    server: str
    """The named server ("" for the default server)."""
    board: str
    """Board slug."""
    count: int
    pending: bool = False
    """True while the spawn is still in progress (its pod holds nothing yet)."""


# -- parsing -------------------------------------------------------------------


def _count(option: str, where: str, key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise QuotaError(f"{option}: {where}: {key}={value!r} must be an integer >= 0")
    return value


def _rule(option: str, where: str, raw: Any, board_slugs: Collection[str] | None) -> QuotaRule:
    if not isinstance(raw, Mapping):
        raise QuotaError(
            f"{option}: {where}: must be a mapping with {' and/or '.join(LIMIT_KEYS)}, "
            f"got {type(raw).__name__}"
        )
    unknown = sorted(str(k) for k in set(raw) - set(LIMIT_KEYS))
    if unknown:
        raise QuotaError(
            f"{option}: {where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(LIMIT_KEYS)}"
        )
    boards = raw.get("boards")
    if boards is not None:
        boards = _count(option, where, "boards", boards)
    per_board_raw = raw.get("per_board") or {}
    if not isinstance(per_board_raw, Mapping):
        raise QuotaError(f"{option}: {where}: per_board must map board slugs to counts")
    per_board = []
    for slug, value in per_board_raw.items():
        if board_slugs is not None and slug not in board_slugs:
            known = ", ".join(sorted(board_slugs)) or "(no boards configured)"
            raise QuotaError(
                f"{option}: {where}: per_board key {slug!r} is not a board; boards: {known}"
            )
        per_board.append((str(slug), _count(option, where, f"per_board.{slug}", value)))
    return QuotaRule(boards, tuple(per_board))


def _named_rules(
    option: str, key: str, raw: Any, board_slugs: Collection[str] | None
) -> tuple[tuple[str, QuotaRule], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise QuotaError(f"{option}: {key} must map names to quota entries")
    rules = []
    for name, entry in raw.items():
        if not isinstance(name, str) or not name:
            raise QuotaError(f"{option}: {key}: {name!r} is not a name")
        rules.append((name, _rule(option, f"{key}.{name}", entry, board_slugs)))
    return tuple(rules)


def parse_quotas(raw: Any, option: str, board_slugs: Collection[str] | None = None) -> QuotaPolicy:
    """Validate the admin's quotas; `board_slugs` None skips the board check (no catalog yet)."""
    if raw is None or raw == {}:
        return QuotaPolicy()
    if not isinstance(raw, Mapping):
        raise QuotaError(f"{option}: must be a mapping with keys {', '.join(QUOTA_KEYS)}")
    unknown = sorted(str(k) for k in set(raw) - set(QUOTA_KEYS))
    if unknown:
        raise QuotaError(
            f"{option}: unknown key {unknown[0]!r}; allowed keys: {', '.join(QUOTA_KEYS)}"
        )
    exempt = raw.get("admins_exempt")
    if exempt is not None and not isinstance(exempt, bool):
        raise QuotaError(f"{option}: admins_exempt={exempt!r} must be true or false")
    default = raw.get("default")
    return QuotaPolicy(
        default=_rule(option, "default", default, board_slugs) if default is not None else None,
        groups=_named_rules(option, "groups", raw.get("groups"), board_slugs),
        users=_named_rules(option, "users", raw.get("users"), board_slugs),
        admins_exempt=exempt,
    )


def combined_quotas(
    from_file: QuotaPolicy, trait_value: Any, option: str, board_slugs: Collection[str] | None
) -> QuotaPolicy:
    """The catalog file's quotas with the trait's entries replacing those of the same name."""
    return from_file.overridden_by(parse_quotas(trait_value, option, board_slugs))


def unknown_groups(policy: QuotaPolicy, known: Collection[str], option: str) -> str | None:
    """A message naming the first quota group the hub does not know, or None."""
    for name in policy.group_names():
        if name not in known:
            groups = ", ".join(sorted(known)) or "(none)"
            return f"{option}: groups.{name}: no JupyterHub group {name!r}; groups: {groups}"
    return None


# -- deciding ------------------------------------------------------------------


def _pick(policy: QuotaPolicy, user: str, groups: Sequence[str], get: Any) -> Limit | None:
    """One limit by the module's rules: own entry, most generous group, default, none."""
    own = dict(policy.users).get(user)
    if own is not None and get(own) is not None:
        return Limit(get(own), "your own quota")
    group_limits = [
        (get(rule), name)
        for name, rule in policy.groups
        if name in groups and get(rule) is not None
    ]
    if group_limits:
        count, name = max(group_limits, key=lambda pair: pair[0])
        return Limit(count, f"the quota of group {name!r}")
    if policy.default is not None and get(policy.default) is not None:
        return Limit(get(policy.default), "the default quota")
    return None


def limits_for(
    policy: QuotaPolicy, user: str, groups: Sequence[str], admin: bool = False
) -> UserLimits:
    """The limits that apply to `user` (a member of `groups`)."""
    if not policy or (admin and policy.admins_exempt):
        return UserLimits()
    boards = _pick(policy, user, groups, lambda rule: rule.boards)
    per_board = {}
    for slug in sorted(policy.board_slugs()):
        limit = _pick(policy, user, groups, lambda rule, s=slug: rule.board_limit(s))
        if limit is not None:
            per_board[slug] = limit
    return UserLimits(boards, per_board)


def _plural(count: int, word: str = "board") -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _server(name: str) -> str:
    return f"server {name!r}" if name else "your default server"


def holdings_text(held: Sequence[Holding], names: Mapping[str, str]) -> str:
    """ "1 x AMD Alveo U280 on your default server, 1 x AWS F2 on server 'b' (starting)"."""
    if not held:
        return "nothing"
    parts = []
    for h in held:
        text = f"{h.count} x {names.get(h.board, h.board)} on {_server(h.server)}"
        parts.append(text + (" (starting)" if h.pending else ""))
    return ", ".join(parts)


def quota_refusal(
    limits: UserLimits,
    held: Sequence[Holding],
    board: str,
    count: int,
    names: Mapping[str, str],
) -> str | None:
    """Why asking for `count` x `board` would exceed a quota, or None when it fits.

    The message names the quota (and whose it is) and what the user already
    holds, so they know which server to stop.
    """
    total = sum(h.count for h in held)
    same = sum(h.count for h in held if h.board == board)
    display = names.get(board, board)
    per_board = limits.per_board.get(board)
    if per_board is not None and same + count > per_board.count:
        return (
            f"FPGA quota: {per_board.source} allows {per_board.count} x {display} at once; "
            f"you hold {same} and asked for {count} more. You hold: "
            f"{holdings_text(held, names)}. Stop a server to free its boards."
        )
    if limits.boards is not None and total + count > limits.boards.count:
        return (
            f"FPGA quota: {limits.boards.source} allows {_plural(limits.boards.count)} at once "
            f"(all board types together); you hold {total} and asked for {count} more. "
            f"You hold: {holdings_text(held, names)}. Stop a server to free its boards."
        )
    return None


def quota_summary(
    limits: UserLimits, held: Sequence[Holding], board: str, names: Mapping[str, str]
) -> str:
    """The form's line for one board: "you hold 1 of 2 boards (0 of 1 AMD Alveo U250)"."""
    parts = []
    if limits.boards is not None:
        total = sum(h.count for h in held)
        parts.append(f"you hold {total} of {_plural(limits.boards.count)}")
    per_board = limits.per_board.get(board)
    if per_board is not None:
        same = sum(h.count for h in held if h.board == board)
        text = f"{same} of {per_board.count} {names.get(board, board)}"
        parts.append(f"({text})" if parts else f"you hold {text}")
    return " ".join(parts)

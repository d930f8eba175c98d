"""When an FPGA server is kept, warned about, or stopped: one pure decision.

The reclaimer reads each FPGA server's start and last FPGA activity (from the
pod's devices API) and asks :func:`decide`. Everything here is plain data and
arithmetic on aware UTC datetimes, so the rules are tested directly and the
loop around them only carries data in and out.

The rules:

- ``started`` is when the server could first be used (its Jupyter server
  started), not when its spawn began: waiting for a board is not idling;
- the idle deadline is the last activity (or, with none since the start, the
  start) plus ``idle_timeout``; a kernel call running *now* (``busy``) moves
  it to now, so a long run is never called idle;
- the age deadline is the start plus ``max_age``, whatever the server does;
- the earlier of the two deadlines that are on (a limit of 0 is off) is when
  the server stops; ``warning`` seconds before it the user is warned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Action = Literal["keep", "warn", "stop"]
Reason = Literal["", "idle", "max-age"]


class LimitsError(ValueError):
    """A limit that is not a number of seconds >= 0; the message names it."""


@dataclass(frozen=True)
class Limits:
    """Seconds; 0 turns a limit off (``warning`` 0: no warning)."""

    idle_timeout: float = 0
    warning: float = 0
    max_age: float = 0

    def __post_init__(self) -> None:
        for name in ("idle_timeout", "warning", "max_age"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise LimitsError(f"{name}={value!r} must be a number of seconds >= 0 (0 = off)")

    def overridden(
        self,
        idle_timeout: float | None = None,
        warning: float | None = None,
        max_age: float | None = None,
    ) -> Limits:
        """These limits with a server's own (reported by its pod) where it has them."""
        return Limits(
            self.idle_timeout if idle_timeout is None else idle_timeout,
            self.warning if warning is None else warning,
            self.max_age if max_age is None else max_age,
        )


@dataclass(frozen=True)
class Verdict:
    action: Action
    stop_at: datetime | None = None
    """When the server stops if nothing happens (None: never)."""
    reason: Reason = ""
    """Which limit ``stop_at`` comes from."""


KEEP_FOREVER = Verdict("keep")


def decide(
    started: datetime,
    last_activity: datetime | None,
    now: datetime,
    limits: Limits,
    *,
    busy: bool = False,
) -> Verdict:
    """Keep, warn (the stop is less than ``limits.warning`` away) or stop the server."""
    deadlines: list[tuple[datetime, Reason]] = []
    if limits.idle_timeout > 0:
        since = now if busy else max(last_activity or started, started)
        deadlines.append((since + timedelta(seconds=limits.idle_timeout), "idle"))
    if limits.max_age > 0:
        deadlines.append((started + timedelta(seconds=limits.max_age), "max-age"))
    if not deadlines:
        return KEEP_FOREVER
    # max-age first on a tie: it is the reason that does not go away with activity
    stop_at, reason = min(deadlines, key=lambda d: (d[0], d[1] != "max-age"))
    if now >= stop_at:
        return Verdict("stop", stop_at, reason)
    if now >= stop_at - timedelta(seconds=limits.warning):
        return Verdict("warn", stop_at, reason)
    return Verdict("keep", stop_at, reason)

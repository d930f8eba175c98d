"""What the reclaimer tells users, in words: pure text from a verdict or an event.

The hub home page shows two kinds of line: a warning while a server is about
to be stopped ("stops at 14:05 UTC unless the FPGA is used") and, after a
stop, why it happened. Times are written in UTC with the time left beside
them, because the hub does not know the reader's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .policy import Limits, Reason


def duration_text(seconds: float) -> str:
    """``45 seconds``, ``10 minutes``, ``3 hours``, ``1.5 days``: the unit a person would use."""
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60)} minutes"
    if seconds < 2 * 86400:
        hours = seconds / 3600
        return f"{hours:.0f} hours" if hours == int(hours) else f"{hours:.1f} hours"
    days = seconds / 86400
    return f"{days:.0f} days" if days == int(days) else f"{days:.1f} days"


def clock(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%H:%M UTC")


def server_label(server: str) -> str:
    return f"Your FPGA server {server!r}" if server else "Your FPGA server"


def warning_text(server: str, stop_at: datetime, reason: Reason, now: datetime) -> str:
    left = stop_at - now
    when = f"at {clock(stop_at)} (in {duration_text(max(left, timedelta(0)).total_seconds())})"
    if reason == "max-age":
        return f"{server_label(server)} stops {when}: it has reached the maximum lifetime."
    return f"{server_label(server)} stops {when} unless the FPGA is used."


def stop_text(server: str, reason: Reason, limits: Limits, at: datetime) -> str:
    label = server_label(server)
    if reason == "max-age":
        why = f"FPGA servers run at most {duration_text(limits.max_age)}"
    else:
        why = f"its FPGA was not used for {duration_text(limits.idle_timeout)}"
    return f"{label} was stopped at {clock(at)} because {why}, to free the board for others."


@dataclass(frozen=True)
class Notice:
    """One line for the home page."""

    kind: str
    """``warning`` (a stop is coming) or ``reclaim`` (a stop happened)."""
    server: str
    text: str
    at: datetime
    """The stop: coming (warning) or done (reclaim)."""

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "server": self.server, "text": self.text}

"""What the reclaimer knows, readable by the rest of the hub process.

The reclaimer runs as a task inside the hub process, so the admin page
(:func:`last_activity`) and the home page (:func:`home_notices`) read its
findings from memory, with no second store and no extra API. Nothing here
does I/O; the loop writes, the views read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone

from ..hub_events import HUB_EVENTS, HubEvents
from .notices import Notice, warning_text
from .policy import Reason

ServerKey = tuple[str, str]
"""(user name, server name; "" for the default server)."""


class ReclaimState:
    def __init__(self) -> None:
        self.running = False
        self.activity: dict[ServerKey, datetime] = {}
        """Last FPGA activity each watched server reported (its start when none yet)."""
        self.warnings: dict[ServerKey, tuple[datetime, Reason]] = {}
        """Servers about to be stopped: (when, reason)."""
        self.first_seen: dict[ServerKey, tuple[datetime | None, datetime]] = {}
        """(the hub's start of the server, when the reclaimer first saw it ready)."""

    def forget(self, key: ServerKey) -> None:
        self.activity.pop(key, None)
        self.warnings.pop(key, None)
        self.first_seen.pop(key, None)

    def ready_since(self, key: ServerKey, hub_started: datetime | None, now: datetime) -> datetime:
        """When this run of the server was first seen ready (a restart starts a new run)."""
        seen = self.first_seen.get(key)
        if seen is None or seen[0] != hub_started:
            seen = self.first_seen[key] = (hub_started, now)
        return seen[1]

    def keep_only(self, keys: Iterable[ServerKey]) -> None:
        """Drop what is known of servers that no longer run."""
        alive = set(keys)
        for key in [k for k in self.activity if k not in alive]:
            self.forget(key)
        for key in [k for k in (*self.warnings, *self.first_seen) if k not in alive]:
            self.forget(key)

    def last_activity(self, user: str, server: str) -> datetime | None:
        return self.activity.get((user, server)) if self.running else None


STATE = ReclaimState()
"""This hub process's reclaimer state."""


def last_activity(user: str, server: str) -> datetime | None:
    """What the reclaimer last read from that server's devices API (UTC).

    The server's start when its pod has reported no FPGA activity since (idle
    is counted from there); now while a kernel call runs. None when the server
    is unknown to the reclaimer (a CPU server, not read yet) or the reclaimer
    is not running.
    """
    return STATE.last_activity(user, server)


def home_notices(
    user: str,
    running: Mapping[str, datetime | None],
    now: datetime | None = None,
    *,
    state: ReclaimState = STATE,
    events: HubEvents = HUB_EVENTS,
    show_stops_for: timedelta = timedelta(days=1),
) -> list[Notice]:
    """The lines for ``user``'s home page.

    ``running`` maps each of the user's running servers to its start. A
    warning is shown while its server runs; a stop is shown until the server
    is started again (or for ``show_stops_for``).
    """
    now = now or datetime.now(timezone.utc)
    out: list[Notice] = []
    for (owner, server), (stop_at, reason) in sorted(state.warnings.items()):
        if owner == user and server in running:
            text = warning_text(server, stop_at, reason, now)
            out.append(Notice("warning", server, text, stop_at))
    seen: set[str] = set()
    for event in events.recent("reclaim", user=user, limit=20):
        at = datetime.fromtimestamp(event.at, timezone.utc)
        if event.server in seen or now - at > show_stops_for:
            continue
        seen.add(event.server)
        started = running.get(event.server)
        if event.server in running and (started is None or started >= at):
            continue  # started again since: old news
        out.append(Notice("reclaim", event.server, event.message, at))
    return out

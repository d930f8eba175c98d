"""What the FPGA admin page shows, as plain JSON-ready data (no I/O).

The page answers an admin's questions about a few scarce boards: who holds
each board type now and since when, whether they still use it (the last
FPGA activity their server reported), who waits for one, and what the hub
recently did (bursts to the cloud, refusals, reclaims). This module builds
that answer from the capacity ledger, the wait line, the reclaimer's
activity readings and the hub event log; :mod:`.admin_page` only serves it.
Per-user facts live here, never in the metrics' labels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from .capacity import CapacityLedger, Holder
from .catalog import Board
from .hub_events import HubEvent

RECENT_KINDS = {"bursts": "burst", "refusals": "refusal", "reclaims": "reclaim"}
RECENT_LIMIT = 20


class WaiterLike(Protocol):
    """One entry of the wait line (``fpga_spawner.waitline.Waiter``)."""

    @property
    def user(self) -> str: ...
    @property
    def server(self) -> str: ...
    @property
    def since(self) -> datetime: ...
    @property
    def count(self) -> int: ...


WaitingSource = Callable[[], Mapping[str, Sequence[WaiterLike]]]
"""Board slug -> waiters, oldest first (``fpga_spawner.waitline.snapshot``)."""
LastActivitySource = Callable[[str, str], "datetime | None"]
"""(user, server) -> last FPGA activity (``fpga_spawner.reclaim.last_activity``)."""


def iso(moment: float | datetime | None) -> str | None:
    """ISO-8601 UTC ("2026-12-01T03:04:05Z"); None for unknown (None or 0)."""
    if moment is None or moment == 0:
        return None
    if isinstance(moment, datetime):
        when = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    else:
        when = datetime.fromtimestamp(moment, timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def holder_row(holder: Holder, last_activity: LastActivitySource | None) -> dict[str, Any]:
    activity = None
    if last_activity is not None and holder.user:
        activity = iso(last_activity(holder.user, holder.server))
    return {
        "user": holder.user,
        "server": holder.server,
        "pod": holder.pod,
        "node": holder.node,
        "count": holder.count,
        "since": iso(holder.since),
        "last_activity": activity,
    }


def waiter_row(waiter: WaiterLike) -> dict[str, Any]:
    return {
        "user": waiter.user,
        "server": waiter.server,
        "since": iso(waiter.since),
        "count": waiter.count,
    }


def event_row(event: HubEvent) -> dict[str, Any]:
    row: dict[str, Any] = {
        "at": iso(event.at),
        "board": event.board,
        "user": event.user,
        "server": event.server,
        "reason": event.reason,
        "message": event.message,
    }
    node_group = event.detail.get("node_group")
    if isinstance(node_group, str):
        row["node_group"] = node_group
    return row


def board_section(
    board: Board,
    ledger: CapacityLedger | None,
    waiting: Sequence[WaiterLike],
    last_activity: LastActivitySource | None,
) -> dict[str, Any]:
    capacity = None
    holders: list[dict[str, Any]] = []
    if ledger is not None:
        cap = ledger.board(board.resource)
        capacity = {
            "total": cap.total,
            "in_use": cap.in_use,
            "free": cap.free,
            "burstable": cap.burst,
        }
        holders = [holder_row(h, last_activity) for h in ledger.holders(board.resource)]
    return {
        "slug": board.slug,
        "display_name": board.display_name,
        "location": board.location,
        "capacity": capacity,
        "holders": holders,
        "waiting": [waiter_row(w) for w in waiting],
    }


def admin_view(
    boards: Iterable[tuple[Board, CapacityLedger | None]],
    events: Iterable[HubEvent],
    waiting: Mapping[str, Sequence[WaiterLike]] | None = None,
    last_activity: LastActivitySource | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The admin page's data: one section per board type, then the recent events.

    ``waiting`` and ``last_activity`` are None when the hub has no wait line
    or no reclaimer; the page then says so instead of showing empty tables.
    ``events`` are newest first, as :meth:`.hub_events.HubEvents.recent` returns them.
    """
    waits = waiting or {}
    recent: dict[str, list[dict[str, Any]]] = {name: [] for name in RECENT_KINDS}
    by_kind = {kind: name for name, kind in RECENT_KINDS.items()}
    for event in events:
        name = by_kind.get(event.kind)
        if name is not None and len(recent[name]) < RECENT_LIMIT:
            recent[name].append(event_row(event))
    return {
        "generated": iso(now) if now is not None else None,
        "boards": [
            board_section(board, ledger, waits.get(board.slug, ()), last_activity)
            for board, ledger in boards
        ],
        "recent": recent,
        "sources": {"waiting": waiting is not None, "last_activity": last_activity is not None},
    }

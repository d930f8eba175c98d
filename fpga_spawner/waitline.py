"""The hub's line of spawns waiting for a board type: first to wait, first placed.

When several servers want the same board type and none is free, the
Kubernetes scheduler alone would pick among their pending pods in an order
the user cannot see and the hub cannot promise. So the hub keeps its own
line per board slug. A spawn joins it once its placement is decided; its pod
is made only when it is *admitted*:

- the front of the line is always admitted (its pod waits at the scheduler,
  where the user sees the scheduler's reasons and a cloud node group can
  scale up for it);
- behind it, spawns are admitted strictly in order, each only while the
  boards free now (or addable by a cloud node group) cover it and every
  admitted spawn ahead of it. One that does not fit stops the walk: a newer
  request never overtakes an older one, even a smaller one.

A spawn leaves the line when the capacity ledger shows its pod holding the
boards, or when its start ends (ready, failed, timed out or cancelled).
Spawns still in the line are what a quota counts beside the boards held
(see :mod:`.quotas`), so two quick spawns of one user cannot both slip
under it.

:class:`WaitLine` is plain bookkeeping without I/O. One per hub process
(:data:`WAIT_LINE`); :func:`snapshot` is what other views (the admin page) read.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from .capacity import BoardCapacity


@dataclass(frozen=True)
class Waiter:
    """One spawn waiting for boards (the shared view; see contracts)."""

    user: str
    server: str
    """The named server ("" for the default server)."""
    since: datetime
    """When it joined the line (UTC)."""
    count: int
    """Boards it asks for."""


@dataclass
class Ticket:
    """A spawn's place in the line, held by its spawner while it starts."""

    board: str
    """Board slug (the line's key)."""
    resource: str
    """The board's extended resource, as the capacity ledger counts it."""
    waiter: Waiter
    pod: str
    """namespace/name of the pod this spawn will make."""
    seq: int
    admitted: bool = False
    """True once its pod may be made."""
    in_line: bool = True


class LineCapacity(Protocol):
    """What the line reads from the capacity ledger."""

    def board(self, resource: str) -> BoardCapacity: ...

    def holds_pod(self, user: str, pod: str) -> bool: ...


def admissions(line: list[Ticket], room: int) -> list[Ticket]:
    """Which tickets to admit now, front to back, given the boards free or addable.

    `room` counts boards free now plus those a node group could add; admitted
    tickets whose pods do not hold boards yet are taken out of it first.
    """
    room -= sum(t.waiter.count for t in line if t.admitted)
    admit = []
    for index, ticket in enumerate(line):
        if ticket.admitted:
            continue
        if index == 0 or ticket.waiter.count <= room:
            admit.append(ticket)
            room -= ticket.waiter.count
            continue
        break  # strict order: nobody behind an unplaced ticket goes first
    return admit


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class WaitLine:
    """Lines per board slug, oldest first."""

    def __init__(self) -> None:
        self._lines: dict[str, list[Ticket]] = {}
        self._seq = itertools.count()
        self._event: asyncio.Event | None = None
        self.version = 0
        """Grows on every change (joins, admissions, departures); progress polls it."""

    # -- changes ---------------------------------------------------------------

    def join(
        self,
        board: str,
        resource: str,
        user: str,
        server: str,
        count: int,
        pod: str,
        capacity: LineCapacity | None = None,
        hold: bool = True,
        now: datetime | None = None,
    ) -> Ticket:
        """Put a spawn at the back of `board`'s line; `hold=False` admits it at once."""
        since = now or datetime.now(timezone.utc)
        ticket = Ticket(board, resource, Waiter(user, server, since, count), pod, next(self._seq))
        ticket.admitted = not hold
        self._lines.setdefault(board, []).append(ticket)
        self.refresh(capacity)
        self._changed()
        return ticket

    def leave(self, ticket: Ticket, capacity: LineCapacity | None = None) -> None:
        """The spawn ended (or its pod holds the boards): let the next one move up."""
        if not ticket.in_line:
            return
        ticket.in_line = False
        line = self._lines.get(ticket.board, [])
        if ticket in line:
            line.remove(ticket)
        if not line:
            self._lines.pop(ticket.board, None)
        self.refresh(capacity)
        self._changed()

    def refresh(self, capacity: LineCapacity | None) -> bool:
        """Let go of placed spawns and admit the next ones; True if anything changed.

        Without capacity (no watch, or not listed yet) the hub knows nothing
        to order by, so every ticket is admitted and the scheduler decides.
        """
        changed = False
        for board, line in list(self._lines.items()):
            if capacity is None:
                room = sum(t.waiter.count for t in line)
            else:
                for ticket in [t for t in line if t.admitted]:
                    if capacity.holds_pod(ticket.waiter.user, ticket.pod):
                        ticket.in_line = False
                        line.remove(ticket)
                        changed = True
                cap = capacity.board(line[0].resource) if line else None
                room = cap.free + cap.burst if cap is not None else 0
            for ticket in admissions(line, room):
                ticket.admitted = True
                changed = True
            if not line:
                del self._lines[board]
        if changed:
            self._changed()
        return changed

    def _changed(self) -> None:
        self.version += 1
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait_change(self, timeout: float) -> None:
        """Return at the next change of any line, or after `timeout` seconds."""
        if self._event is None:
            self._event = asyncio.Event()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)

    # -- views -----------------------------------------------------------------

    def place(self, ticket: Ticket) -> int:
        """1 for the front of the line; 0 once it has left."""
        line = self._lines.get(ticket.board, [])
        return line.index(ticket) + 1 if ticket.in_line and ticket in line else 0

    def pending_for(self, user: str) -> list[Ticket]:
        """The user's spawns still in a line (their pods hold no boards yet)."""
        return [t for line in self._lines.values() for t in line if t.waiter.user == user]

    def snapshot(self) -> dict[str, list[Waiter]]:
        return {board: [t.waiter for t in line] for board, line in self._lines.items() if line}

    def clear(self) -> None:
        self._lines.clear()
        self._changed()


WAIT_LINE = WaitLine()
"""This hub process's line (every FPGASpawner shares it)."""


def snapshot() -> dict[str, list[Waiter]]:
    """Board slug -> the spawns waiting for it, oldest first (for the admin page)."""
    return WAIT_LINE.snapshot()

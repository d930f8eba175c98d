"""What just happened to FPGA servers in this hub: one bounded, in-memory log.

Several views need the same recent facts -- the admin page (recent bursts,
refusals and reclaims), the hub home page (why *your* server was stopped),
the Prometheus metrics (counters by board and reason) -- and each fact is
produced in one place (placement, the option checks, the quota check, the
reclaimer). The producer calls :meth:`HubEvents.record`; readers call
:meth:`HubEvents.recent` or subscribe. The log keeps at most ``maxlen``
events, so its memory does not grow with the hub's uptime or with what
users send. It is per hub process (:data:`HUB_EVENTS`), like the hub's own
in-memory state; nothing is persisted.

Kinds in use (``EVENT_KINDS``): ``spawn`` (a server with boards became
ready; ``seconds`` is the wait, ``placement`` on-premises/cloud/burst),
``burst`` (a spawn asked a cloud node group to grow; ``node_group``),
``refusal`` (a spawn was refused; ``reason`` is a short slug such as
``options``, ``capacity``, ``quota``), ``warning`` (the reclaimer warned
a user), ``reclaim`` (the reclaimer stopped a server; ``reason`` is
``idle`` or ``max-age``), ``stop`` (a server holding boards stopped;
``board_seconds`` it held them).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

EVENT_KINDS = ("spawn", "burst", "refusal", "warning", "reclaim", "stop")


@dataclass(frozen=True)
class HubEvent:
    kind: str
    at: float
    """Unix time of the event."""
    board: str = ""
    """Board slug from the catalog ("" when none was chosen yet)."""
    user: str = ""
    server: str = ""
    """The named server ("" for the default server)."""
    reason: str = ""
    """A short slug (refusal and reclaim kinds)."""
    message: str = ""
    """What the user was told, in their words."""
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "board": self.board,
            "user": self.user,
            "server": self.server,
            "reason": self.reason,
            "message": self.message,
            **({"detail": self.detail} if self.detail else {}),
        }


Listener = Callable[[HubEvent], None]


class HubEvents:
    """A bounded log of :class:`HubEvent` with listeners (the metrics subscribe)."""

    def __init__(self, maxlen: int = 1000) -> None:
        self._events: deque[HubEvent] = deque(maxlen=maxlen)
        self._listeners: list[Listener] = []

    def record(
        self,
        kind: str,
        *,
        board: str = "",
        user: str = "",
        server: str = "",
        reason: str = "",
        message: str = "",
        at: float | None = None,
        **detail: Any,
    ) -> HubEvent:
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown hub event kind {kind!r} (known: {', '.join(EVENT_KINDS)})")
        event = HubEvent(
            kind,
            time.time() if at is None else at,
            board,
            user,
            server,
            reason,
            message,
            detail,
        )
        self._events.append(event)
        for listener in list(self._listeners):
            listener(event)
        return event

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every new event; returns the function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def recent(
        self, kind: str | None = None, *, user: str | None = None, limit: int = 50
    ) -> list[HubEvent]:
        """The newest events first, optionally of one kind and one user."""
        out: list[HubEvent] = []
        for event in reversed(self._events):
            if (kind is None or event.kind == kind) and (user is None or event.user == user):
                out.append(event)
                if len(out) >= limit:
                    break
        return out

    def __iter__(self) -> Iterator[HubEvent]:
        return iter(list(self._events))

    def __len__(self) -> int:
        return len(self._events)

    def clear(self) -> None:
        self._events.clear()


HUB_EVENTS = HubEvents()
"""This hub process's log (the spawners, the reclaimer and the views share it)."""

"""The catalogs and live capacity this hub process serves, for its read-only views.

Spawners are created per user, but the catalog and the capacity watch are
shared per hub (see :func:`.catalog.catalog_from_config` and
:func:`.capacity_watch.shared_capacity_watch`). The metrics and the admin
page are not spawners: they read what the spawners registered here, so no
view parses the catalog or watches the cluster a second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from .capacity import CapacityLedger
from .catalog import Board, Catalog


class ReadyWatch(Protocol):
    """What a view needs of :class:`.capacity_watch.CapacityWatch`."""

    ledger: CapacityLedger

    @property
    def is_ready(self) -> bool: ...


@dataclass(frozen=True)
class LiveCatalog:
    catalog: Catalog
    watch: ReadyWatch | None = None

    @property
    def ledger(self) -> CapacityLedger | None:
        """The live counts, or None before the first node and pod listing (or without a watch)."""
        watch = self.watch
        return watch.ledger if watch is not None and watch.is_ready else None


_live: dict[int, LiveCatalog] = {}


def register(catalog: Catalog, watch: ReadyWatch | None) -> None:
    """A spawner's catalog and its capacity watch (called by every spawner; cheap)."""
    known = _live.get(id(catalog))
    if known is None or (known.watch is None and watch is not None):
        _live[id(catalog)] = LiveCatalog(catalog, watch)


def live_catalogs() -> list[LiveCatalog]:
    return list(_live.values())


def live_boards() -> Iterator[tuple[Board, CapacityLedger | None, LiveCatalog]]:
    """Every board type once (by slug; the first catalog naming it wins), with its ledger."""
    seen: set[str] = set()
    for live in live_catalogs():
        ledger = live.ledger
        for board in live.catalog.boards:
            if board.slug not in seen:
                seen.add(board.slug)
                yield board, ledger, live


def forget() -> None:
    """Drop every registration (tests)."""
    _live.clear()

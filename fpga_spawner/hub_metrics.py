"""FPGA metrics in JupyterHub's own Prometheus registry, served at ``/hub/metrics``.

JupyterHub serves ``prometheus_client``'s default registry at ``/hub/metrics``
(its ``MetricsHandler``), so metrics registered there need no endpoint,
port or scrape job of their own. They follow JupyterHub's conventions: the
``jupyterhub_`` prefix (its ``JUPYTERHUB_METRICS_PREFIX``), and every label
value created up front, so a dashboard shows 0 rather than nothing before
the first burst or refusal.

Two kinds of figure:

- counts of the cluster now (boards free, in use, burstable) are read from
  the capacity ledger when Prometheus scrapes (:class:`BoardsCollector`), so
  they are never stale and cost nothing between scrapes;
- counts of what happened (spawn waits, bursts, refusals, board-seconds,
  reclaims) follow :data:`.hub_events.HUB_EVENTS`, where whoever causes an
  event records it (:meth:`HubMetrics.observe`).

Labels are board types, placements, node groups and reasons: sets the admin
fixes in the catalog or the code fixes. Users and servers never become
labels (one time series per user does not scale); the admin page shows them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from .capacity import CapacityLedger
from .catalog import Board, Catalog
from .hub_events import HUB_EVENTS, HubEvent, HubEvents
from .hub_view import LiveCatalog, live_catalogs
from .placement import PLACEMENT_KINDS

#: JupyterHub's own prefix setting (jupyterhub/metrics.py reads the same variable).
METRICS_PREFIX = os.environ.get("JUPYTERHUB_METRICS_PREFIX", "jupyterhub")

BOARD_STATES = ("free", "in_use", "burstable")
REFUSAL_REASONS = ("options", "placement", "quota", "timeout", "other")
"""``options``: the user options were refused; ``placement``: no board type can take the
request; ``quota``: the user holds their share; ``timeout``: no board came free in time."""
RECLAIM_REASONS = ("idle", "max-age", "other")
SPAWN_WAIT_BUCKETS = (1, 2.5, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, float("inf"))
"""From a free board (a few seconds) to a queue behind a long job (an hour)."""


def board_states(board: Board, ledger: CapacityLedger) -> dict[str, int]:
    """The boards gauge's three values for one board type (constant time)."""
    cap = ledger.board(board.resource)
    return {"free": cap.free, "in_use": cap.in_use, "burstable": cap.burst}


def node_group_of(catalog: Catalog, board: Board) -> str:
    """The node group a burst of this board grows ("" when the board has none)."""
    if board.node_group:
        return board.node_group
    groups = catalog.node_groups_for(board.slug)
    return groups[0].name if groups else ""


class BoardsCollector:
    """``<prefix>_fpga_boards{board, state}``, read from the ledgers at scrape time.

    A board type whose capacity is not known yet (the hub has not listed the
    cluster) is left out rather than reported as zero boards.
    """

    def __init__(
        self, prefix: str = METRICS_PREFIX, live: Callable[[], list[LiveCatalog]] = live_catalogs
    ):
        self.name = f"{prefix}_fpga_boards"
        self.slots_name = f"{prefix}_fpga_slots_per_board"
        self.live = live

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            self.name,
            "FPGA boards per board type and state: free, in_use (held by pods), "
            "burstable (more that cloud node groups could add); slots for a board "
            "offered as slots",
            labels=("board", "state"),
        )

    def _slots_family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            self.slots_name,
            "Slots each board of this type is offered as (1: whole boards); "
            "divide the boards gauge by it to count boards",
            labels=("board",),
        )

    def describe(self) -> Iterator[Metric]:
        yield self._family()
        yield self._slots_family()

    def collect(self) -> Iterator[Metric]:
        family, slots = self._family(), self._slots_family()
        seen: set[str] = set()
        for live in self.live():
            ledger = live.ledger
            for board in live.catalog.boards:
                if board.slug in seen or ledger is None:
                    continue
                seen.add(board.slug)
                for state, value in board_states(board, ledger).items():
                    family.add_metric((board.slug, state), value)
                slots.add_metric((board.slug,), ledger.board(board.resource).slots_per_board)
        yield family
        yield slots


class HubMetrics:
    """The FPGA metrics of one registry, kept current from a :class:`HubEvents` log."""

    def __init__(
        self,
        registry: CollectorRegistry = REGISTRY,
        events: HubEvents = HUB_EVENTS,
        prefix: str = METRICS_PREFIX,
        live: Callable[[], list[LiveCatalog]] = live_catalogs,
    ):
        self.registry = registry
        common: dict[str, Any] = {"namespace": prefix, "registry": registry}
        self.spawn_wait = Histogram(
            "fpga_spawn_wait_seconds",
            "Seconds from a spawn's start to its pod running, for servers holding FPGAs, "
            "by board type and placement (on-premises, cloud, burst)",
            ("board", "placement"),
            buckets=SPAWN_WAIT_BUCKETS,
            **common,
        )
        self.bursts = Counter(
            "fpga_bursts",
            "Spawns that needed a cloud node group to add a node, by node group",
            ("node_group",),
            **common,
        )
        self.refusals = Counter(
            "fpga_refusals",
            "FPGA spawns refused, by reason (options, placement, quota, timeout, other)",
            ("reason",),
            **common,
        )
        self.board_seconds = Counter(
            "fpga_board_seconds",
            "Board-seconds held by servers that have stopped, by board type "
            "(boards x seconds from ready to stop)",
            ("board",),
            **common,
        )
        self.reclaims = Counter(
            "fpga_reclaims",
            "Servers holding FPGAs stopped by the reclaimer, by reason (idle, max-age)",
            ("reason",),
            **common,
        )
        self.boards = BoardsCollector(prefix, live)
        registry.register(self.boards)
        self._boards: set[str] = set()
        self._node_groups: set[str] = set()
        for reason in REFUSAL_REASONS:
            self.refusals.labels(reason)
        for reason in RECLAIM_REASONS:
            self.reclaims.labels(reason)
        for live_catalog in live():
            self.prepare(live_catalog.catalog)
        self._unsubscribe = events.subscribe(self.observe)

    def prepare(self, catalog: Catalog) -> None:
        """Create every label value of the catalog's boards and node groups (idempotent)."""
        for board in catalog.boards:
            if board.slug not in self._boards:
                self._boards.add(board.slug)
                for placement in PLACEMENT_KINDS:
                    self.spawn_wait.labels(board.slug, placement)
                self.board_seconds.labels(board.slug)
        for group in catalog.node_groups:
            if group.name not in self._node_groups:
                self._node_groups.add(group.name)
                self.bursts.labels(group.name)

    def observe(self, event: HubEvent) -> None:
        """Count one hub event; values outside the known sets never become labels."""
        detail = event.detail
        if event.kind == "spawn":
            placement = detail.get("placement")
            seconds = detail.get("seconds")
            known = event.board in self._boards and placement in PLACEMENT_KINDS
            if known and isinstance(seconds, (int, float)) and seconds >= 0:
                self.spawn_wait.labels(event.board, placement).observe(seconds)
        elif event.kind == "burst":
            if detail.get("node_group") in self._node_groups:
                self.bursts.labels(detail["node_group"]).inc()
        elif event.kind == "refusal":
            reason = event.reason if event.reason in REFUSAL_REASONS else "other"
            self.refusals.labels(reason).inc()
        elif event.kind == "stop":
            held = detail.get("board_seconds")
            if event.board in self._boards and isinstance(held, (int, float)) and held > 0:
                self.board_seconds.labels(event.board).inc(held)
        elif event.kind == "reclaim":
            reason = event.reason if event.reason in RECLAIM_REASONS else "other"
            self.reclaims.labels(reason).inc()

    @property
    def collectors(self) -> tuple[Any, ...]:
        """Everything this object registered (the benchmark takes them out and back)."""
        return (
            self.spawn_wait,
            self.bursts,
            self.refusals,
            self.board_seconds,
            self.reclaims,
            self.boards,
        )

    def close(self) -> None:
        """Stop following events and leave the registry (tests)."""
        self._unsubscribe()
        for collector in self.collectors:
            self.registry.unregister(collector)


_installed: HubMetrics | None = None


def install(catalogs: Iterable[Catalog] = ()) -> HubMetrics:
    """The hub's metrics in JupyterHub's registry, created on first call; catalogs prepared."""
    global _installed
    if _installed is None:
        _installed = HubMetrics()
    for catalog in catalogs:
        _installed.prepare(catalog)
    return _installed

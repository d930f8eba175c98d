"""The reclaimer: poll every running server, ask the policy, warn or stop.

One :meth:`Reclaimer.poll` lists the ready servers through the hub API, reads
each one's devices API concurrently (bounded), keeps only servers started with
an FPGA (CPU servers are read once per poll and never touched; their
idleness is jupyterhub-idle-culler's business), and applies
:func:`.policy.decide` with the limits the pod reports (a profile may set its
own) or the hub-wide defaults. Warnings and stops are recorded in the hub
event log (kinds ``warning`` and ``reclaim``) and in :data:`.state.STATE`
for the home and admin pages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone

from ..hub_events import HUB_EVENTS, HubEvents
from .client import Activity, HubClient, RunningServer
from .notices import stop_text, warning_text
from .policy import Limits, decide
from .state import STATE, ReclaimState

Locate = Callable[[RunningServer], "str | None"]
"""The address the reclaimer reads a server at (None: not reachable now)."""


class Reclaimer:
    def __init__(
        self,
        client: HubClient,
        limits: Limits,
        locate: Locate,
        *,
        interval: float = 60,
        concurrency: int = 32,
        state: ReclaimState = STATE,
        events: HubEvents = HUB_EVENTS,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        log: logging.Logger | None = None,
    ) -> None:
        self.client = client
        self.limits = limits
        self.locate = locate
        self.interval = interval
        self.state = state
        self.events = events
        self.clock = clock
        self.log = log or logging.getLogger("fpga_spawner.reclaim")
        self._slots = asyncio.Semaphore(concurrency)
        self._warned: set[tuple[str, str, datetime]] = set()

    async def _read(self, server: RunningServer) -> tuple[RunningServer, Activity | None]:
        url = self.locate(server)
        if not url:
            return server, None
        async with self._slots:
            return server, await self.client.devices(url)

    async def poll(self) -> dict[str, int]:
        """One round over every ready server; returns counts (servers, fpga, warned, stopped)."""
        servers = await self.client.running_servers()
        read = await asyncio.gather(*(self._read(s) for s in servers))
        now = self.clock()
        counts = {"servers": len(servers), "fpga": 0, "warned": 0, "stopped": 0}
        for server, activity in read:
            if activity is None or not activity.fpga:
                continue
            counts["fpga"] += 1
            action = await self._apply(server, activity, now)
            if action == "warn":
                counts["warned"] += 1
            elif action == "stop":
                counts["stopped"] += 1
        # a server unreadable this once (restarting, busy) keeps its warning
        alive = {(s.user, s.name) for s in servers}
        self.state.keep_only(alive)
        self._warned = {w for w in self._warned if w[:2] in alive}
        return counts

    async def _apply(self, server: RunningServer, activity: Activity, now: datetime) -> str:
        key = (server.user, server.name)
        # The clocks start when the server could be used, not when its spawn
        # began: a spawn that waited in line for a board has not been idle.
        # The pod says when its server started; without that, the first poll
        # that saw it ready (at most one interval late, in the user's favour).
        started = activity.started or self.state.ready_since(key, server.started, now)
        limits = self.limits.overridden(
            activity.idle_timeout, activity.idle_warning, activity.max_age
        )
        last = activity.last_activity or started
        self.state.activity[key] = now if activity.busy else max(last, started)
        verdict = decide(started, activity.last_activity, now, limits, busy=activity.busy)
        if verdict.action == "keep" or verdict.stop_at is None:
            self.state.warnings.pop(key, None)
            return "keep"
        if verdict.action == "warn":
            self.state.warnings[key] = (verdict.stop_at, verdict.reason)
            once = (server.user, server.name, verdict.stop_at)
            if once not in self._warned:
                self._warned.add(once)
                self.events.record(
                    "warning",
                    board=activity.board,
                    user=server.user,
                    server=server.name,
                    reason=verdict.reason,
                    message=warning_text(server.name, verdict.stop_at, verdict.reason, now),
                )
            return "warn"
        if not await self.client.stop(server.user, server.name):
            self.log.warning(
                "FPGA reclaim: the hub did not stop %s/%s; trying again next poll",
                server.user,
                server.name,
            )
            return "keep"
        self.state.forget(key)
        self._warned = {w for w in self._warned if w[:2] != key}
        message = stop_text(server.name, verdict.reason, limits, now)
        self.events.record(
            "reclaim",
            board=activity.board,
            user=server.user,
            server=server.name,
            reason=verdict.reason,
            message=message,
            last_activity=last.isoformat(),
        )
        self.log.info("FPGA reclaim: stopped %s/%s (%s)", server.user, server.name, verdict.reason)
        return "stop"

    async def run(self) -> None:
        """Poll forever, every ``interval`` seconds; a failed poll is logged and retried."""
        self.state.running = True
        try:
            while True:
                try:
                    await self.poll()
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # the hub API down for a moment must not end reclaim
                    self.log.warning("FPGA reclaim: poll failed: %s", e)
                await asyncio.sleep(self.interval)
        finally:
            self.state.running = False

"""Quotas and the wait line, as FPGASpawner applies them at spawn time.

Glue between the pure rules (:mod:`.quotas`, :mod:`.waitline`) and the
spawner: what the user holds comes from the shared capacity ledger and the
line, the refusal goes out as kubespawner's ValueError and JupyterHub's 400
(:mod:`.refusals`) and into the hub's event log, and a spawn waits for its
turn before kubespawner makes its pod. A mixin of FPGASpawner, so that
``spawner.py`` stays the kubespawner glue; it reads the spawner's
``catalog``, ``capacity_view()``, ``user`` and traits.
"""

from __future__ import annotations

import time
from typing import Any

from .capacity_watch import CapacityWatch
from .catalog import Board, CatalogError
from .hub_events import HUB_EVENTS
from .placement import Placement
from .progress import line_message
from .quotas import (
    Holding,
    QuotaError,
    QuotaPolicy,
    UserLimits,
    combined_quotas,
    limits_for,
    quota_refusal,
    quota_summary,
    unknown_groups,
)
from .refusals import LineTimedOut, UserOptionsRefused
from .settings import QUOTAS_OPTION
from .waitline import WAIT_LINE, Ticket


def follow_capacity(watch: CapacityWatch) -> None:
    """Let every change of capacity move the line (once per shared watch)."""
    if getattr(watch, "follows_wait_line", False):
        return
    watch.follows_wait_line = True  # type: ignore[attr-defined]
    watch.on_change(lambda: WAIT_LINE.refresh(watch.ledger) if watch.ready.is_set() else None)


class FairShare:
    """Quotas and the wait line for FPGASpawner (see the module docstring)."""

    catalog: Any
    quota_policy: QuotaPolicy
    _ticket: Ticket | None
    _capacity: CapacityWatch | None

    def _combined_quotas(self) -> QuotaPolicy:
        """The catalog file's quotas and fpga_quotas, board slugs checked (a bad one stops)."""
        slugs = {b.slug for b in self.catalog.boards} if self.catalog else None
        try:
            return combined_quotas(self.catalog.quotas, self.fpga_quotas, QUOTAS_OPTION, slugs)
        except QuotaError as e:
            raise CatalogError("", "", str(e)) from None

    # -- quotas and the wait line ----------------------------------------------

    def _board_names(self) -> dict[str, str]:
        return {b.slug: b.display_name for b in self.catalog.boards}

    def quota_limits(self) -> UserLimits:
        user = self.user
        return limits_for(
            self.quota_policy, user.name, self.user_group_names(), bool(getattr(user, "admin", 0))
        )

    def fpga_holdings(self) -> list[Holding]:
        """What the user holds over all named servers: bound pods, then spawns in the line."""
        user = self.user.name
        ledger = self.capacity_view()
        slugs: dict[str, str] = {}
        for board in self.catalog.boards:
            slugs.setdefault(board.resource, board.slug)
        held = []
        if ledger is not None:
            held = [
                Holding(h.server, slugs.get(h.resource, h.resource), h.count)
                for h in ledger.user_holders(user)
            ]
        for ticket in WAIT_LINE.pending_for(user):
            if ticket is self._ticket or (
                ledger is not None and ledger.holds_pod(user, ticket.pod)
            ):
                continue
            held.append(Holding(ticket.waiter.server, ticket.board, ticket.waiter.count, True))
        return held

    def quota_text(self, board: Board) -> str:
        """The form's "you hold 1 of 2 boards" for one board ("" without a quota)."""
        limits = self.quota_limits()
        if not limits:
            return ""
        return quota_summary(limits, self.fpga_holdings(), board.slug, self._board_names())

    def _quota_group_problem(self) -> str | None:
        """A quota naming a group the hub does not have (a typo would silently not limit).

        Checked against the hub's database; skipped when the authenticator
        manages groups, as those groups appear only when a member logs in.
        """
        if not self.quota_policy.groups:
            return None
        authenticator = getattr(self.user, "authenticator", None)
        db = getattr(self.user, "db", None)
        if db is None or getattr(authenticator, "manage_groups", False):
            return None
        from jupyterhub import orm

        known = {name for (name,) in db.query(orm.Group.name)}
        return unknown_groups(self.quota_policy, known, QUOTAS_OPTION)

    def _refuse(self, placement: Placement, reason: str, message: str) -> None:
        HUB_EVENTS.record(
            "refusal",
            board=placement.board.slug,
            user=self.user.name,
            server=self.name,
            reason=reason,
            message=message,
        )

    def check_quota_and_join_line(self, placement: Placement) -> None:
        """Refuse a spawn over quota, else put it in the board's line.

        One synchronous step, so a second spawn of the same user sees this
        one (as a spawn in the line) when it checks its own quota.
        """
        problem = self._quota_group_problem()
        if problem:
            self.log.error("FPGA quotas: %s", problem)
            self._refuse(placement, "quota", problem)
            raise UserOptionsRefused(problem)
        limits = self.quota_limits()
        if limits:
            refusal = quota_refusal(
                limits,
                self.fpga_holdings(),
                placement.board.slug,
                placement.count,
                self._board_names(),
            )
            if refusal:
                self._refuse(placement, "quota", refusal)
                raise UserOptionsRefused(refusal)
        self._leave_line()
        if self._capacity is None:
            return  # no live view (a dry run, or capacity_watch off): nothing to order by
        self._ticket = WAIT_LINE.join(
            placement.board.slug,
            placement.board.resource,
            self.user.name,
            self.name,
            placement.count,
            f"{self.namespace}/{self.pod_name}",
            self.capacity_view(),
            hold=self.fpga_wait_line,
        )

    async def wait_for_turn(self, placement: Placement) -> None:
        """Wait until this spawn's pod may be made (see :mod:`.waitline`)."""
        ticket = self._ticket
        if ticket is None:
            return
        started = time.monotonic()
        while not ticket.admitted:
            waited = time.monotonic() - started
            if self.fpga_wait_timeout and waited >= self.fpga_wait_timeout:
                place = WAIT_LINE.place(ticket)
                message = (
                    f"Gave up after waiting {int(waited)} s in line for "
                    f"{placement.board.display_name} ({line_message(place, placement, None)}); "
                    "try again later or choose another board"
                )
                self._leave_line()
                self._refuse(placement, "capacity", message)
                raise LineTimedOut(message)
            timeout = 1.0
            if self.fpga_wait_timeout:
                timeout = min(timeout, self.fpga_wait_timeout - waited)
            await WAIT_LINE.wait_change(max(timeout, 0.01))
            WAIT_LINE.refresh(self.capacity_view())

    def _leave_line(self) -> None:
        if self._ticket is not None:
            WAIT_LINE.leave(self._ticket, self.capacity_view())
            self._ticket = None

    async def _line_progress(self, placement: Placement):
        """Place in line and boards in use, each time either changes, until the pod is made."""
        shown = ""
        while True:
            ticket = self._ticket
            place = WAIT_LINE.place(ticket) if ticket is not None else 0
            if not place:
                return
            message = line_message(place, placement, self.board_capacity(placement.board))
            if message != shown:
                shown = message
                yield {"progress": 1, "message": message}
            if ticket is not None and ticket.admitted:
                return
            await WAIT_LINE.wait_change(1.0)

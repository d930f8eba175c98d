"""Turn what a user asked for into a board type and a board count.

A user asks for a board (``u250`` x 2) or for an accelerator function
(``vision.stereo_bm`` x 4 replicas). Either way the pod must end up asking one
device plugin for a whole number of boards of one type, on one node. This
module makes that decision without I/O: the live cluster view is passed in as
a :class:`CapacityView`, so the same rules run in unit tests, in the
``render`` dry run (no cluster at all) and in the hub.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .catalog import Board, Catalog


class PlacementError(ValueError):
    """The request cannot be placed; the message is shown to the user as-is."""


class CapacityView(Protocol):
    """What placement needs to know about the live cluster, per extended resource."""

    def fits_now(self, resource: str, count: int) -> bool:
        """Some existing node has `count` of `resource` free right now."""

    def fits_after_scale_up(self, resource: str, count: int) -> bool:
        """A cloud node group could add a node with `count` of `resource`."""

    def could_ever_fit(self, resource: str, count: int) -> bool:
        """Some node or node-group template has at least `count` in total."""


@dataclass(frozen=True)
class Placement:
    board: Board
    count: int
    accelerator: str = ""
    replicas: int = 0
    reason: str = ""


def boards_needed(replicas: int, per_board: int) -> int:
    return math.ceil(replicas / per_board)


def place_board(
    catalog: Catalog,
    slug: str,
    count: int,
    user_groups: Sequence[str] = (),
    capacity: CapacityView | None = None,
) -> Placement:
    board = catalog.board(slug)
    if board is None or not board.allowed_for(user_groups):
        allowed = [b.slug for b in catalog.boards if b.allowed_for(user_groups)]
        raise PlacementError(f"Unknown FPGA board {slug!r}. Allowed boards: {', '.join(allowed)}")
    if board.shared and count != 1:
        raise PlacementError(
            f"count={count} is not allowed for {board.display_name}: it is a shared board "
            f"({board.slots_per_board} slots per board) and a server holds one slot"
        )
    if not 1 <= count <= board.max_per_user:
        raise PlacementError(
            f"count={count} is not allowed for {board.display_name}: "
            f"choose 1 to {board.max_per_user}"
        )
    if capacity is not None and not capacity.could_ever_fit(board.resource, count):
        raise PlacementError(
            f"No node or cloud node group in this cluster has {count} x {board.display_name}; "
            "this request could never start. Ask for fewer boards."
        )
    if board.shared:
        reason = f"1 slot of {board.slots_per_board} on a shared {board.display_name}"
        return Placement(board, count, reason=reason)
    return Placement(board, count, reason=f"{count} x {board.display_name} as requested")


def place_accelerator(
    catalog: Catalog,
    name: str,
    replicas: int,
    user_groups: Sequence[str] = (),
    capacity: CapacityView | None = None,
) -> Placement:
    """Pick the board type for `replicas` of an accelerator: on-premises first, cloud second.

    Order of preference: a board that fits now on premises, then one that fits
    now in the cloud, then a cloud group that can scale up (so the autoscaler
    adds the right node), then the first feasible board (the pod waits).
    """
    accel = catalog.accelerator(name)
    if accel is None:
        names = [a.name for a in catalog.accelerators]
        raise PlacementError(f"Unknown accelerator {name!r}. Allowed: {', '.join(names)}")
    if not 1 <= replicas <= accel.max_replicas:
        raise PlacementError(
            f"replicas={replicas} is not allowed for {accel.display_name}: "
            f"choose 1 to {accel.max_replicas}"
        )
    options: list[tuple[Board, int, int]] = []
    for slug, per_board in accel.boards:
        board = catalog.board(slug)
        if board is None or not board.allowed_for(user_groups):
            continue
        need = boards_needed(replicas, per_board)
        if need > board.max_per_user:
            continue
        if capacity is not None and not capacity.could_ever_fit(board.resource, need):
            continue
        options.append((board, need, per_board))
    if not options:
        raise PlacementError(
            f"No board you may use can run {replicas} replicas of {accel.display_name}; "
            "ask for fewer replicas."
        )

    def make(board: Board, need: int, per_board: int, why: str) -> Placement:
        return Placement(
            board,
            need,
            accelerator=accel.name,
            replicas=replicas,
            reason=f"{replicas} x {accel.name} at {per_board} per board -> "
            f"{need} x {board.display_name} ({why})",
        )

    if capacity is None:
        ranked = sorted(options, key=lambda o: o[0].location != "on-premises")
        return make(*ranked[0], why="first choice, on-premises preferred")
    for location in ("on-premises", "cloud"):
        for board, need, per_board in options:
            if board.location == location and capacity.fits_now(board.resource, need):
                return make(board, need, per_board, f"free now, {location}")
    for board, need, per_board in options:
        if capacity.fits_after_scale_up(board.resource, need):
            return make(board, need, per_board, "cloud burst: a node group can scale up")
    return make(*options[0], why="none free now; waiting for one")


PLACEMENT_KINDS = ("on-premises", "cloud", "burst")


def placement_kind(placement: Placement, capacity: CapacityView | None) -> str:
    """Where a placed request lands: "on-premises", "cloud", or "burst" (a new cloud node).

    Metrics and the admin page count spawns by it. A cloud board with no
    room on an existing node, but room after a node group scales up, is a
    burst; with unknown capacity a cloud board counts as plain "cloud".
    """
    board = placement.board
    if board.location != "cloud":
        return "on-premises"
    if capacity is None or capacity.fits_now(board.resource, placement.count):
        return "cloud"
    if capacity.fits_after_scale_up(board.resource, placement.count):
        return "burst"
    return "cloud"

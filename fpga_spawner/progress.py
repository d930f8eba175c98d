"""Spawn-progress messages that explain FPGA waits in words.

kubespawner relays raw Kubernetes events ("0/3 nodes are available: ...").
These pure functions put them in the user's terms: which board, how many are
free, that a cloud node is being added, and then the scheduler's own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .capacity import BoardCapacity
from .placement import Placement
from .waitline import ordinal


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def capacity_summary(cap: BoardCapacity | None) -> str:
    """ "1 of 4 free" / "3 of 4 slots free on 1 board" / "0 of 0 free, can burst to 8 more"."""
    if cap is None:
        return "capacity unknown"
    if cap.shared:
        text = f"{cap.free} of {cap.total} slots free on {_plural(cap.boards, 'board')}"
        if cap.burst:
            text += f", can burst to {cap.burst} more slots"
        return text
    text = f"{cap.free} of {cap.total} free"
    if cap.burst:
        text += f", can burst to {cap.burst} more"
    return text


def wanted(placement: Placement) -> str:
    board = placement.board.display_name
    if placement.board.shared:
        slots = placement.board.slots_per_board
        text = f"{_plural(placement.count, 'slot')} of a shared {board} ({slots} slots per board)"
        if placement.accelerator:
            text += f" for {placement.replicas} x {placement.accelerator}"
        return text
    text = f"{placement.count} x {board}"
    if placement.accelerator:
        text += f" for {placement.replicas} x {placement.accelerator}"
    return text


def start_message(placement: Placement, cap: BoardCapacity | None) -> str:
    text = f"Requesting {wanted(placement)} ({capacity_summary(cap)})."
    if placement.accelerator:  # say how the replicas became boards
        text += f" {placement.reason}."
    return text


def waiting_headline(
    placement: Placement, cap: BoardCapacity | None, wait_seconds: float | None = None
) -> str:
    """Why this request waits, and for how long, before the scheduler's own words.

    "0 of 1 AMD Alveo U250 free: held by another server; this request waits up
    to 120 s": what the user needs to decide whether to wait or pick another
    board, in the form's own terms.
    """
    board = placement.board.display_name
    if cap is not None and cap.shared and cap.free < placement.count and cap.in_use:
        held = "held by another server" if cap.in_use == 1 else "held by other servers"
        text = (
            f"{cap.free} of {cap.total} slots free on {_plural(cap.boards, board)}: "
            f"{cap.in_use} {held}"
        )
    elif cap is not None and cap.free < placement.count and cap.in_use:
        held = (
            "held by another server" if cap.in_use == 1 else f"{cap.in_use} held by other servers"
        )
        text = f"{cap.free} of {cap.total} {board} free: {held}"
        if placement.count > 1:
            text += f" ({placement.count} wanted)"
    else:
        text = f"Waiting for {wanted(placement)}: {capacity_summary(cap)}"
    if wait_seconds:
        text += f"; this request waits up to {int(wait_seconds)} s"
    return text


def explain_event(
    raw_event: Mapping[str, Any],
    placement: Placement,
    cap: BoardCapacity | None,
    wait_seconds: float | None = None,
) -> str | None:
    """A plain-words message for an FPGA-relevant event, or None to keep kubespawner's."""
    reason = raw_event.get("reason")
    message = raw_event.get("message") or ""
    if reason == "FailedScheduling":
        headline = waiting_headline(placement, cap, wait_seconds)
        return f"{headline}. The scheduler says: {message}"
    if reason == "TriggeredScaleUp":
        return (
            f"Scale-up triggered: the cluster-autoscaler is adding a cloud node with "
            f"{placement.board.display_name} ({message})"
        )
    if reason == "NotTriggerScaleUp":
        return f"No cloud node group can add {wanted(placement)} now ({message})"
    if reason == "Scheduled":
        return f"Got {wanted(placement)}: {message}"
    return None


def line_message(place: int, placement: Placement, cap: BoardCapacity | None) -> str:
    """ "2nd in line for AMD Alveo U250; 4 of 4 boards in use" (the hub's wait line)."""
    board = placement.board.display_name
    text = f"{ordinal(place)} in line for {board}"
    if placement.count > 1:
        text += f" ({placement.count} wanted)"
    if cap is not None:
        text += f"; {cap.in_use} of {cap.total} boards in use"
    return text

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


def capacity_summary(cap: BoardCapacity | None) -> str:
    """ "1 of 4 free" / "0 of 0 free, can burst to 8 more" (form and progress)."""
    if cap is None:
        return "capacity unknown"
    text = f"{cap.free} of {cap.total} free"
    if cap.burst:
        text += f", can burst to {cap.burst} more"
    return text


def wanted(placement: Placement) -> str:
    board = placement.board.display_name
    text = f"{placement.count} x {board}"
    if placement.accelerator:
        text += f" for {placement.replicas} x {placement.accelerator}"
    return text


def start_message(placement: Placement, cap: BoardCapacity | None) -> str:
    text = f"Requesting {wanted(placement)} ({capacity_summary(cap)})."
    if placement.accelerator:  # say how the replicas became boards
        text += f" {placement.reason}."
    return text


def explain_event(
    raw_event: Mapping[str, Any], placement: Placement, cap: BoardCapacity | None
) -> str | None:
    """A plain-words message for an FPGA-relevant event, or None to keep kubespawner's."""
    reason = raw_event.get("reason")
    message = raw_event.get("message") or ""
    if reason == "FailedScheduling":
        return (
            f"Waiting for {wanted(placement)}: {capacity_summary(cap)}. "
            f"The scheduler says: {message}"
        )
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

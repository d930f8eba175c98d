"""Timestamps in the two formats the Kubernetes API uses."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def now_rfc3339(at: float | None = None) -> str:
    """`metav1.Time`: second precision, UTC, 'Z' (creationTimestamp, lastTimestamp...)."""
    moment = datetime.fromtimestamp(time.time() if at is None else at, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro(at: float | None = None) -> str:
    """`metav1.MicroTime`: microsecond precision (eventTime of events.k8s.io events)."""
    moment = datetime.fromtimestamp(time.time() if at is None else at, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> float:
    """Seconds since the epoch of either format."""
    text = text.replace("Z", "+00:00")
    return datetime.fromisoformat(text).timestamp()

"""The server's side of FPGA activity: read the kernels' records fresh for every request.

Discovery is slow and cached (``cache``); activity is cheap and must be
current (the hub's reclaimer decides on it), so the devices handler takes the
cached discovery bytes and adds the ``activity`` object read now. Requests
to ``fpga/api/*`` and ``fpga/metrics`` are not activity: their handlers do
not touch the server's ``last_activity`` either (``_track_activity = False``),
so neither the reclaimer's polling nor a status bar keeps a server alive.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ..activity.model import (
    BACKEND_EMULATION,
    BACKEND_XRT,
    Limits,
    ProcessRecord,
    activity_answer,
    limits_from_env,
)
from ..activity.store import ActivityDirectory, write_server_start


class PodActivity:
    """The merged activity of this server's kernels, and the hub's limits for it."""

    def __init__(self, directory: Path, started: float, limits: Limits) -> None:
        self.store = ActivityDirectory(directory)
        self.started = started
        self.limits = limits

    @classmethod
    def for_server(
        cls,
        directory: Path,
        started: float,
        environ: Mapping[str, str] | None = None,
        log: logging.Logger | None = None,
    ) -> PodActivity:
        limits = limits_from_env(os.environ if environ is None else environ)
        for problem in limits.problems:
            if log is not None:
                log.warning("jupyter_ext: %s", problem)
        try:
            write_server_start(directory, started)
        except OSError as exc:  # kernels then count idle time from their own start
            if log is not None:
                log.warning("jupyter_ext: cannot write to the activity directory: %s", exc)
        return cls(directory, started, limits)

    def pod(self) -> ProcessRecord:
        return self.store.merged()

    def answer(self, discovered: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``activity`` object; ``discovered`` (the device report) sets the backend until
        a kernel has run or loaded something."""
        return activity_answer(self.pod(), started=self.started, limits=self.limits,
                               default_backend=expected_backend(discovered))  # fmt: skip


def expected_backend(discovered: Mapping[str, Any] | None) -> str:
    """``xrt`` when discovery found a real board, else ``emulation``."""
    return BACKEND_XRT if (discovered or {}).get("backend") == "hardware" else BACKEND_EMULATION


def with_activity(body: bytes, activity: Mapping[str, Any]) -> bytes:
    """Add ``"activity"`` to a cached JSON object without decoding it again.

    The cached body is a JSON object (``json.dumps`` of a dict, so it ends in
    ``}``); an object with no keys gets no leading comma.
    """
    head = body.rstrip()
    if not head.endswith(b"}"):
        return body
    head = head[:-1].rstrip()
    sep = b"" if head.endswith(b"{") else b", "
    return head + sep + b'"activity": ' + json.dumps(activity).encode() + b"}"


def server_start(settings: Mapping[str, Any]) -> float:
    """When the Jupyter server started (its ``started`` setting), as Unix seconds."""
    started = settings.get("started")
    return started.timestamp() if isinstance(started, datetime) else time.time()

"""Serve a slow answer fast: compute it in a thread, keep it, refresh it behind.

Device discovery can be slow (``pyxrt`` opens every board; sysfs on a busy
node stalls) and must never block the Jupyter server's event loop. The value
is computed in the default thread pool, stored as ready-to-send JSON bytes,
and served from memory; when it is older than ``refresh_interval`` a request
still gets the stored bytes at once and starts one background refresh.
Only the very first request waits, and not longer than ``first_wait``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any


class Pending(Exception):
    """The first answer is not ready yet."""


class RefreshingCache:
    def __init__(
        self, compute: Callable[[], Any], refresh_interval: float, first_wait: float, log=None
    ):
        self.compute = compute
        self.refresh_interval = refresh_interval
        self.first_wait = first_wait
        self.log = log
        self._body: bytes | None = None
        self.value: dict[str, Any] | None = None  # the last answer as a dict (None before it)
        self._stamp = 0.0
        self._task: asyncio.Future | None = None

    def _run(self) -> bytes:
        t0 = time.time()
        try:
            value = self.compute()
            doc = value.to_dict() if hasattr(value, "to_dict") else value
            if isinstance(doc, list):
                doc = {"items": doc}
            doc = {**doc, "refreshed_at": t0}
            self.value = doc
        except Exception as e:  # the extension reports, it does not take the server down
            if self.log:
                self.log.exception("jupyter_ext: refresh failed")
            doc = {"error": f"{type(e).__name__}: {e}", "refreshed_at": t0}
        return json.dumps(doc, default=str).encode("utf-8")

    def _start(self) -> asyncio.Future:
        if self._task is None or self._task.done():
            loop = asyncio.get_running_loop()
            self._task = loop.run_in_executor(None, self._run)
            self._task.add_done_callback(self._store)
        return self._task

    def _store(self, fut: asyncio.Future) -> None:
        if not fut.cancelled() and fut.exception() is None:
            self._body, self._stamp = fut.result(), time.monotonic()

    def prime(self) -> None:
        """Start the first computation now (call from the running event loop)."""
        self._start()

    async def get(self) -> bytes:
        if self._body is not None:
            if time.monotonic() - self._stamp > self.refresh_interval:
                self._start()  # stale: refresh behind, answer now
            return self._body
        task = self._start()
        try:
            await asyncio.wait_for(asyncio.shield(task), self.first_wait)
        except asyncio.TimeoutError:
            raise Pending() from None
        assert self._body is not None
        return self._body

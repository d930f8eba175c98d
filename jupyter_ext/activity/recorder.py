"""Each process records its own FPGA activity; every board call passes through here.

The runtime's :class:`~jupyter_ext.runtime.base.Backend` routes ``run``,
``load_kernel`` and ``pin_xclbin`` of every backend (XRT, emulation, any
wrapper) through :func:`board_call`, which

* holds :data:`CALL_LOCK`, one lock per process, so two threads of one
  notebook never drive the board at the same time (a second call waits for
  the first instead of interleaving buffer syncs and kernel starts);
* counts the call once, however many wrappers it passes (a ``%%fpga``
  recorder around XRT around its emulation fallback is still one run);
* marks the process busy while the call runs.

The record lives in memory and reaches the process's file at most every
:data:`MIN_INTERVAL` seconds: a hot loop of calls costs a few counter updates
each, and one small atomic write per interval (by a timer thread when the
calls stop). Recording never fails a call: if the directory cannot be
written, the record stays in memory and the failure is logged once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .model import (
    BACKEND_EMULATION,
    BACKEND_XRT,
    MAX_NAME,
    ProcessRecord,
    XclbinSeen,
    newest_xclbins,
)
from .store import ProcessFile, activity_dir

MIN_INTERVAL = 0.25
"""Seconds between two writes of a process's file (so at most four writes a second)."""

CALL_LOCK = threading.RLock()
"""Held for the whole of every board call in this process (re-entrant: wrappers nest)."""

log = logging.getLogger(__name__)
_local = threading.local()


def backend_word(name: str) -> str:
    """The runtime's backend name as the API says it: ``xrt`` or ``emulation``."""
    return BACKEND_XRT if name == BACKEND_XRT else BACKEND_EMULATION


def xclbin_uuid(path: str) -> str:
    """The xclbin's UUID from its header ("" when the file is not an xclbin or unreadable)."""
    from ..xclbin.format import MAGIC, OFF_XCLBIN_UUID
    from ..xclbin.model import uuid_string

    try:
        with open(path, "rb") as f:
            head = f.read(OFF_XCLBIN_UUID + 16)
    except OSError:
        return ""
    if not head.startswith(MAGIC) or len(head) < OFF_XCLBIN_UUID + 16:
        return ""
    return uuid_string(head[OFF_XCLBIN_UUID:])


class Recorder:
    """This process's activity record and its throttled writer."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        min_interval: float = MIN_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = directory
        self.min_interval = min_interval
        self.clock = clock
        self.pid, self.started = os.getpid(), clock()
        # Plain counters, not a ProcessRecord: a call costs a few attribute updates, and the
        # record is built only when it is written (a few times a second at most).
        self.runs = self.loads = self.cells = 0
        self.last_run: float | None = None
        self.last_load: float | None = None
        self.last_cell: float | None = None
        self.busy = False
        self.backend: str | None = None
        self.xclbins: tuple[XclbinSeen, ...] = ()
        self.writes = 0
        self._mutex = threading.Lock()
        self._file: ProcessFile | None = None
        self._broken = False
        self._last_write = float("-inf")  # monotonic
        self._timer: threading.Timer | None = None
        self._uuids: dict[str, str] = {}

    @property
    def record(self) -> ProcessRecord:
        """What this process has recorded so far."""
        return ProcessRecord(
            pid=self.pid, started=self.started, backend=self.backend, runs=self.runs,
            loads=self.loads, cells=self.cells, last_run=self.last_run, last_load=self.last_load,
            last_cell=self.last_cell, busy=self.busy, xclbins=self.xclbins,
        )  # fmt: skip

    # --- what happened ------------------------------------------------------------

    def begin(self, kind: str, backend: str) -> None:
        now = self.clock()
        with self._mutex:
            self.busy, self.backend = True, backend_word(backend)
            self._stamp(kind, now)
            self._changed()

    def end(self, kind: str, backend: str, xclbin: str = "") -> None:
        now = self.clock()
        seen = self._seen(xclbin, now)
        with self._mutex:
            self.busy, self.backend = False, backend_word(backend)
            if kind == "run":
                self.runs += 1
            elif kind == "load":
                self.loads += 1
            if seen is not None:
                self.xclbins = newest_xclbins([(seen,), self.xclbins])
            self._stamp(kind, now)
            self._changed()

    def cell(self) -> None:
        """A ``%fpga`` / ``%%fpga`` cell ran (activity, even when it runs nothing on the board)."""
        now = self.clock()
        with self._mutex:
            self.cells += 1
            self.last_cell = now
            self._changed()

    def _stamp(self, kind: str, now: float) -> None:
        """Set the time of a ``run`` or of a load (``load``, ``pin``) to ``now``."""
        if kind == "run":
            self.last_run = now
        else:
            self.last_load = now

    def _seen(self, path: str, now: float) -> XclbinSeen | None:
        if not path:
            return None
        if path not in self._uuids:
            if len(self._uuids) > 256:  # many distinct files: keep the cache small too
                self._uuids.clear()
            self._uuids[path] = xclbin_uuid(path)
        return XclbinSeen(os.path.basename(path)[:MAX_NAME], self._uuids[path], now)

    # --- writing ------------------------------------------------------------------

    def _changed(self) -> None:
        """Write now if the last write is old enough, else once the interval is up (mutex held)."""
        if self._broken:
            return
        wait = self._last_write + self.min_interval - time.monotonic()
        if wait <= 0:
            self._write()
        elif self._timer is None:
            self._timer = threading.Timer(wait, self._flush_later)
            self._timer.daemon = True
            self._timer.start()

    def _flush_later(self) -> None:
        with self._mutex:
            self._timer = None
            self._write()

    def flush(self) -> None:
        """Write the record now (at exit, and in tests)."""
        with self._mutex:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._write()

    def flush_if_written(self) -> None:
        """Bring the file up to date if this process has one (a reader in the same process)."""
        if self._file is not None:
            self.flush()

    def _write(self) -> None:
        if self._broken:
            return
        try:
            if self._file is None:
                self._file = ProcessFile(self.directory or activity_dir())
            self._file.write(self.record)
        except OSError as exc:
            self._broken = True
            log.warning("jupyter_ext: FPGA activity not recorded (%s); the server will not "
                        "see this kernel's runs", exc)  # fmt: skip
            return
        self._last_write = time.monotonic()
        self.writes += 1

    def close(self) -> None:
        """Final write, then release the file (the server folds it into the retired total)."""
        if self._file is None:
            return
        self.flush()
        self._file.close()
        self._file = None


_recorder: Recorder | None = None
_recorder_lock = threading.Lock()


def recorder() -> Recorder:
    """This process's recorder (made on first use, writing to :func:`activity_dir`)."""
    global _recorder
    if _recorder is None:
        with _recorder_lock:
            if _recorder is None:
                _recorder = Recorder()
    return _recorder


def set_recorder(new: Recorder | None) -> Recorder | None:
    """Replace this process's recorder (tests); returns the previous one."""
    global _recorder
    old, _recorder = _recorder, new
    return old


def _close_at_exit() -> None:
    if _recorder is not None:
        _recorder.close()


def _forget_after_fork() -> None:
    """A forked child is another process: its own record, file and (unheld) lock."""
    global _recorder, CALL_LOCK, _recorder_lock
    _recorder, CALL_LOCK, _recorder_lock = None, threading.RLock(), threading.Lock()
    _local.__dict__.clear()


atexit.register(_close_at_exit)
os.register_at_fork(after_in_child=_forget_after_fork)


@dataclass
class BoardCall:
    """What the routed method learns while it runs: the backend that served it, its xclbin."""

    kind: str
    backend: str
    xclbin: str = ""


@contextmanager
def board_call(kind: str, backend: str) -> Iterator[BoardCall]:
    """Serialise and record one board call (``kind``: ``run``, ``load`` or ``pin``).

    A call made inside another (a wrapper's inner backend, XRT's emulation
    fallback) in the same thread is neither locked again nor counted again.
    """
    call = BoardCall(kind, backend)
    if getattr(_local, "inside", False):
        yield call
        return
    with CALL_LOCK:
        _local.inside = True
        rec = recorder()
        rec.begin(kind, backend)
        try:
            yield call
        finally:
            _local.inside = False
            rec.end(kind, call.backend, call.xclbin)


def note_cell() -> None:
    """Record a ``%fpga`` cell (called by the magics)."""
    recorder().cell()

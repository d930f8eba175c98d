"""What one process records, how the records of all processes merge, and the API's answer.

Pure functions over plain data (no files, no clock of their own): the
recorder (``recorder.py``) fills a :class:`ProcessRecord` in each kernel, the
store (``store.py``) reads them back in the server, and the functions here
turn them into the ``activity`` object of ``fpga/api/devices`` and into the
idle figures the notebook warning shows. Times are Unix seconds inside, ISO-8601
UTC strings only in the API answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from ..contract import FPGARequest

SCHEMA_VERSION = 1
MAX_XCLBINS = 8
"""Loaded xclbins kept per record (newest first): a record's size is bounded whatever runs."""
MAX_NAME = 255

BACKEND_XRT = "xrt"
BACKEND_EMULATION = "emulation"


@dataclass(frozen=True)
class XclbinSeen:
    """An xclbin the runtime loaded (or took kernels from), and when."""

    name: str
    uuid: str
    at: float

    def key(self) -> str:
        return self.uuid or self.name


@dataclass(frozen=True)
class ProcessRecord:
    """One process's FPGA activity since it started: what a kernel writes to its file."""

    pid: int = 0
    started: float = 0.0
    backend: str | None = None  # backend of the latest run or load; None before any
    runs: int = 0
    loads: int = 0
    cells: int = 0
    last_run: float | None = None
    last_load: float | None = None
    last_cell: float | None = None
    busy: bool = False
    xclbins: tuple[XclbinSeen, ...] = ()
    processes: int = 1  # how many processes this record sums (the retired total sums many)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SCHEMA_VERSION,
            "pid": self.pid,
            "started": self.started,
            "backend": self.backend,
            "runs": self.runs,
            "loads": self.loads,
            "cells": self.cells,
            "last_run": self.last_run,
            "last_load": self.last_load,
            "last_cell": self.last_cell,
            "busy": self.busy,
            "xclbins": [{"name": x.name, "uuid": x.uuid, "at": x.at} for x in self.xclbins],
            "processes": self.processes,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ProcessRecord:
        """Read a record back; raises ValueError on anything that is not one."""
        if not isinstance(d, Mapping) or d.get("version") != SCHEMA_VERSION:
            raise ValueError("not an activity record of version 1")
        try:
            xclbins = tuple(
                XclbinSeen(str(x["name"])[:MAX_NAME], str(x["uuid"])[:64], float(x["at"]))
                for x in d.get("xclbins", ())[:MAX_XCLBINS]
            )
            backend = d.get("backend")
            return cls(
                pid=int(d.get("pid") or 0),
                started=float(d.get("started") or 0.0),
                backend=backend if backend in (BACKEND_XRT, BACKEND_EMULATION) else None,
                runs=_count(d.get("runs")),
                loads=_count(d.get("loads")),
                cells=_count(d.get("cells")),
                last_run=_time(d.get("last_run")),
                last_load=_time(d.get("last_load")),
                last_cell=_time(d.get("last_cell")),
                busy=bool(d.get("busy")),
                xclbins=xclbins,
                processes=max(_count(d.get("processes", 1)), 1),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed activity record: {exc}") from None

    @property
    def last_activity(self) -> float | None:
        return _latest(self.last_run, self.last_load, self.last_cell)


def _count(v: Any) -> int:
    n = int(v or 0)
    if n < 0:
        raise ValueError(f"negative count {n}")
    return n


def _time(v: Any) -> float | None:
    return None if v is None else float(v)


def _latest(*times: float | None) -> float | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def newest_xclbins(groups: Iterable[Iterable[XclbinSeen]]) -> tuple[XclbinSeen, ...]:
    """Distinct xclbins (by UUID, else name), newest first, at most :data:`MAX_XCLBINS`."""
    best: dict[str, XclbinSeen] = {}
    for group in groups:
        for x in group:
            if x.key() not in best or best[x.key()].at < x.at:
                best[x.key()] = x
    return tuple(sorted(best.values(), key=lambda x: -x.at)[:MAX_XCLBINS])


def merge(records: Iterable[ProcessRecord]) -> ProcessRecord:
    """The pod's activity: counts summed, latest times, busy if any live process is busy.

    ``records`` must hold live processes' records plus the retired total; a
    dead process's ``busy`` must already be cleared (the store does that).
    The backend is the one of the process that ran (or loaded) last.
    """
    recs = list(records)
    if not recs:
        return ProcessRecord(processes=0)
    latest = max(
        recs, key=lambda r: (r.backend is not None, _latest(r.last_run, r.last_load) or 0.0)
    )
    return ProcessRecord(
        pid=0,
        started=min((r.started for r in recs if r.started), default=0.0),
        backend=latest.backend,
        runs=sum(r.runs for r in recs),
        loads=sum(r.loads for r in recs),
        cells=sum(r.cells for r in recs),
        last_run=_latest(*(r.last_run for r in recs)),
        last_load=_latest(*(r.last_load for r in recs)),
        last_cell=_latest(*(r.last_cell for r in recs)),
        busy=any(r.busy for r in recs),
        xclbins=newest_xclbins(r.xclbins for r in recs),
        processes=sum(r.processes for r in recs),
    )


def retire(total: ProcessRecord, dead: ProcessRecord) -> ProcessRecord:
    """Fold a finished process's record into the retired total (it is never busy any more)."""
    return replace(merge([total, replace(dead, busy=False)]), pid=0, busy=False)


# --- the settings the hub passes (seconds) ------------------------------------------


@dataclass(frozen=True)
class Limits:
    """The hub's reclaim settings for this server, from the environment (seconds; None: unset)."""

    idle_timeout: int | None = None
    idle_warning: int | None = None
    max_age: int | None = None
    problems: tuple[str, ...] = field(default=())


def limits_from_env(env: Mapping[str, str]) -> Limits:
    """Read ``FPGA_IDLE_TIMEOUT``, ``FPGA_IDLE_WARNING``, ``FPGA_MAX_AGE``; never raises.

    A value that is not a whole number of seconds above zero is treated as
    unset and named in ``problems``, so the server says so instead of failing.
    """
    from ..contract import ENV_IDLE_TIMEOUT, ENV_IDLE_WARNING, ENV_MAX_AGE

    values: dict[str, int | None] = {}
    problems = []
    for key, name in ((ENV_IDLE_TIMEOUT, "idle_timeout"), (ENV_IDLE_WARNING, "idle_warning"),
                      (ENV_MAX_AGE, "max_age")):  # fmt: skip
        raw = env.get(key, "").strip()
        values[name] = None
        if not raw:
            continue
        try:
            seconds = int(raw)
        except ValueError:
            seconds = 0
        if seconds <= 0:
            problems.append(f"{key}={raw!r} ignored: allowed is a whole number of seconds > 0")
            continue
        values[name] = seconds
    return Limits(problems=tuple(problems), **values)


# --- the API answer -------------------------------------------------------------------


def iso(t: float | None) -> str | None:
    """Unix seconds as ISO-8601 UTC with a ``Z`` (what JupyterHub writes too)."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


def activity_answer(
    pod: ProcessRecord, *, started: float, limits: Limits, default_backend: str
) -> dict[str, Any]:
    """The ``activity`` object of ``fpga/api/devices`` (docs/pod-activity.md lists the keys).

    ``default_backend`` answers ``backend`` before any kernel ran or loaded
    anything (what discovery expects: ``xrt`` for a real board).
    """
    backend = pod.backend or default_backend
    return {
        "runs": pod.runs,
        "loads": pod.loads,
        "cells": pod.cells,
        "last_run": iso(pod.last_run),
        "last_load": iso(pod.last_load),
        "last_activity": iso(pod.last_activity),
        "busy": pod.busy,
        "loaded_xclbins": [{"name": x.name, "uuid": x.uuid} for x in pod.xclbins],
        "backend": backend,
        "emulated": backend != BACKEND_XRT,
        "started": iso(started),
        "idle_timeout": limits.idle_timeout,
        "idle_warning": limits.idle_warning,
        "max_age": limits.max_age,
    }


# --- idleness, as the notebook tells it ------------------------------------------------


@dataclass(frozen=True)
class Idle:
    """How long the boards have been idle and when the hub stops the server for it."""

    idle_s: float  # 0 while a call runs
    stops_in_s: float | None  # None: no idle timeout set
    warn: bool  # inside the warning window
    window: float  # start of this idle period (a new one begins with every activity)
    max_age_in_s: float | None = None
    busy: bool = False


def idle_status(pod: ProcessRecord, *, started: float, now: float, limits: Limits) -> Idle:
    """Idle time counted from the last activity, or from the server's start without one.

    The warning window opens ``idle_warning`` seconds before the stop; without
    an ``idle_warning`` it opens at the stop's last minute (so it still opens).
    """
    since = pod.last_activity if pod.last_activity is not None else started
    idle = 0.0 if pod.busy else max(now - since, 0.0)
    max_age_in = None if limits.max_age is None else max(started + limits.max_age - now, 0.0)
    if limits.idle_timeout is None:
        return Idle(idle, None, False, since, max_age_in, pod.busy)
    stops_in = max(limits.idle_timeout - idle, 0.0)
    warning = min(limits.idle_warning or 60, limits.idle_timeout)
    warn = not pod.busy and stops_in <= warning
    return Idle(idle, stops_in, warn, since, max_age_in, pod.busy)


def minutes(seconds: float, *, nearest: bool = False) -> str:
    """Whole minutes for people ("1 min", "12 min"), "under a minute" below one.

    Elapsed time rounds down (idle for 4 min 59 s is "4 min"); time left rounds
    to the nearest minute (``nearest``), so a fresh hour reads "60 min", not "59 min".
    """
    if seconds < 60:
        return "under a minute"
    return f"{round(seconds / 60) if nearest else int(seconds // 60)} min"


def idle_line(idle: Idle) -> str:
    """One sentence for ``%fpga status`` and the warning ("" without an idle timeout)."""
    if idle.stops_in_s is None:
        return ""
    if idle.busy:
        return "FPGA in use now; an idle FPGA stops this server after its idle timeout."
    return (f"FPGA idle for {minutes(idle.idle_s)}; this server stops in "
            f"{minutes(idle.stops_in_s, nearest=True)} unless the FPGA is used.")  # fmt: skip


def max_age_line(idle: Idle) -> str:
    if idle.max_age_in_s is None:
        return ""
    return (
        f"This server reaches its maximum lifetime in {minutes(idle.max_age_in_s, nearest=True)}."
    )


def shared_line(request: FPGARequest | None) -> str:
    """ "shared board: 1 of 4 slots" when the board is offered as slots ("" otherwise).

    The contract's :class:`~jupyter_ext.contract.FPGARequest` is the one reader
    of the slot count, so the pod and the devices API agree on it.
    """
    if request is None or not request.shared:
        return ""
    return (f"shared board: {max(request.count, 1)} of {request.slots_per_board} slots (other "
            "servers may use the board's other slots; this notebook's calls are serialised).")  # fmt: skip

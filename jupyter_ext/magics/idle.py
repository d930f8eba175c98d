"""The reclaim notices in the notebook: idle time, the coming stop, a shared board.

When the hub stops idle FPGA servers (``FPGA_IDLE_TIMEOUT`` in the pod's
environment), ``%fpga status`` says how long the boards have been idle and
when the server stops, and a ``post_run_cell`` hook warns once per idle
period, when it enters the warning window, in whatever cell the user runs
next. The figures come from the same activity records the hub's reclaimer
reads (through the server's devices API), merged the same way, so the
notebook and the hub agree on what counts as use.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from ..activity.model import (
    Idle,
    idle_line,
    idle_status,
    limits_from_env,
    max_age_line,
    minutes,
    shared_line,
)
from ..activity.recorder import recorder
from ..activity.store import ActivityDirectory, activity_dir, read_server_start
from ..widgets import AMBER, View, badge, esc

CHECK_EVERY = 2.0
"""Seconds between two reads of the activity directory by the hook (cells can be fast)."""


def pod_idle(environ: Mapping[str, str] | None = None, now: float | None = None) -> Idle:
    """This server's idleness, from every kernel's records (this one's flushed first)."""
    env = os.environ if environ is None else environ
    directory = activity_dir(env)
    rec = recorder()
    rec.flush_if_written()
    store = ActivityDirectory(directory, fold=False)
    started = read_server_start(directory) or rec.record.started
    return idle_status(store.merged(), started=started, now=time.time() if now is None else now,
                       limits=limits_from_env(env))  # fmt: skip


def notices(environ: Mapping[str, str] | None = None) -> list[str]:
    """The lines ``%fpga status`` adds: idle time and stop, maximum age, shared board."""
    env = os.environ if environ is None else environ
    from ..contract import FPGARequest

    lines = [shared_line(FPGARequest.from_env(env))]
    limits = limits_from_env(env)
    if limits.idle_timeout is not None or limits.max_age is not None:
        idle = pod_idle(env)
        lines += [idle_line(idle), max_age_line(idle)]
    return [line for line in lines if line]


class IdleWarningView(View):
    """The one-time warning that the server is about to be stopped for an idle FPGA."""

    def __init__(self, idle: Idle) -> None:
        self.idle = idle

    def text(self) -> str:
        stops = minutes(self.idle.stops_in_s or 0, nearest=True)
        return (f"WARNING: {idle_line(self.idle)} Run an FPGA call or a %fpga command to keep "
                f"it; save your work if you are done (stop in {stops}).")  # fmt: skip

    def html(self) -> str:
        return (f'<div style="font-family:sans-serif">{badge("FPGA IDLE", AMBER)} '
                f"{esc(self.text().removeprefix('WARNING: '))}</div>")  # fmt: skip


class IdleWarning:
    """A ``post_run_cell`` hook: warn once per idle period inside the warning window."""

    def __init__(self, environ: Mapping[str, str] | None = None, show: Any = None) -> None:
        self.environ = environ
        self.show = show
        self.warned_for: float | None = None  # start of the idle period already warned about
        self._checked = float("-inf")

    def __call__(self, result: Any = None) -> None:
        if time.monotonic() - self._checked < CHECK_EVERY:
            return
        self._checked = time.monotonic()
        try:
            idle = pod_idle(self.environ)
        except OSError:
            return  # no activity directory to read: nothing to warn about
        if not idle.warn or idle.window == self.warned_for:
            return
        self.warned_for = idle.window
        if self.show is None:
            from ..widgets import show

            show(IdleWarningView(idle))
        else:
            self.show(IdleWarningView(idle))


def install(ipython: Any, environ: Mapping[str, str] | None = None) -> IdleWarning | None:
    """Register the hook when the hub stops idle servers (once per shell); None otherwise."""
    env = os.environ if environ is None else environ
    if limits_from_env(env).idle_timeout is None:
        return None
    for hook in ipython.events.callbacks.get("post_run_cell", []):
        if type(hook).__name__ == IdleWarning.__name__:  # also one from before a reload
            ipython.events.unregister("post_run_cell", hook)
    hook = IdleWarning(environ)
    ipython.events.register("post_run_cell", hook)
    return hook

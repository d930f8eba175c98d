"""One call in ``jupyterhub_config.py`` that turns on FPGA idle reclaim.

:func:`configure_hub` writes what JupyterHub needs: the FPGASpawner limits
(so FPGA pods are told them), a service with a token whose role allows only
what the reclaimer does (:data:`.reclaim.client.RECLAIMER_SCOPES`), the home
page template that shows warnings and stop reasons, and the task that runs
the reclaimer.

Why a task inside the hub process, not a separate service process: the
reclaimer's findings are read by the hub's own pages (the home page's
warnings, ``fpga_spawner.reclaim.last_activity`` for the admin page) and its
stops go into the hub's in-memory event log (:data:`.hub_events.HUB_EVENTS`);
a second process would need a second store for all three. The task still
acts only through the hub's REST API with the service's scoped token, so it
can do no more than an external service with that role could.

What this relies on in JupyterHub: docs/upstream-facts.md#what-idle-reclaim-relies-on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .reclaim.client import RECLAIMER_SCOPES, HubClient, RunningServer
from .reclaim.loop import Reclaimer
from .reclaim.policy import Limits
from .reclaim.state import home_notices

TEMPLATES = Path(__file__).resolve().parent / "templates"
SERVICE_NAME = "fpga-reclaim"
ROLE_NAME = "fpga-reclaimer"

log = logging.getLogger("fpga_spawner.reclaim")
_task: asyncio.Task | None = None


class ReclaimConfigError(ValueError):
    """A configure_hub argument that is out of range; the message names it."""


def _check(name: str, value: Any, minimum: float, allowed: str, whole: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= minimum
    ok = ok and (not whole or float(value).is_integer())
    if not ok:
        raise ReclaimConfigError(f"configure_hub({name}={value!r}): {allowed}")


def configure_hub(
    c: Any,
    *,
    idle_timeout: int = 0,
    warning: int = 600,
    max_age: int = 0,
    interval: float = 60,
    concurrency: int = 32,
    service_name: str = SERVICE_NAME,
    start: bool = True,
) -> None:
    """Turn on FPGA idle reclaim in a JupyterHub config ``c`` (seconds; 0 turns a limit off).

    ``interval`` is how often every server is polled; ``start=False`` writes
    the configuration without starting the reclaimer (for checks and tests).
    Call it after any line that assigns ``c.JupyterHub.services``, ``load_roles``,
    ``template_paths`` or ``template_vars``: it adds to them.
    """
    for name, value in (("idle_timeout", idle_timeout), ("warning", warning), ("max_age", max_age)):
        # whole seconds, as the pod's environment carries them
        _check(name, value, 0, "must be a whole number of seconds >= 0 (0 = off)", whole=True)
    _check("interval", interval, 0.1, "must be at least 0.1 seconds")
    _check("concurrency", concurrency, 1, "must be a whole number, at least 1", whole=True)
    limits = Limits(int(idle_timeout), int(warning), int(max_age))

    c.FPGASpawner.fpga_idle_timeout = int(idle_timeout)
    c.FPGASpawner.fpga_idle_warning = int(warning)
    c.FPGASpawner.fpga_max_age = int(max_age)

    token = secrets.token_hex(32)  # lives in this process only; the hub stores its hash
    c.JupyterHub.services.append({"name": service_name, "api_token": token, "display": False})
    c.JupyterHub.load_roles.append(
        {
            "name": ROLE_NAME,
            "description": "Stop FPGA servers whose boards are idle (fpga_spawner.reclaim)",
            "scopes": list(RECLAIMER_SCOPES),
            "services": [service_name],
        }
    )
    c.JupyterHub.template_paths.insert(0, str(TEMPLATES))
    c.JupyterHub.template_vars.update({"fpga_reclaim_notices": notices_for})

    if start:  # even with both limits 0: a profile's kubespawner_override may set its own
        _start_when_loop_runs(token, limits, interval, concurrency)


def notices_for(user: Any) -> list[dict[str, str]]:
    """The home page's lines for the hub's ``user`` (a template variable)."""
    if user is None or not hasattr(user, "spawners"):
        return []
    running: dict[str, datetime | None] = {}
    for name, spawner in list(user.spawners.items()):
        if getattr(spawner, "active", False):
            started = getattr(spawner.orm_spawner, "started", None)
            if started is not None and started.tzinfo is None:  # the hub's database keeps UTC
                started = started.replace(tzinfo=timezone.utc)
            running[name] = started
    return [n.to_dict() for n in home_notices(user.name, running)]


def _start_when_loop_runs(token: str, limits: Limits, interval: float, concurrency: int) -> None:
    """JupyterHub reads its config inside its running event loop: start the task there."""
    global _task
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        log.warning("FPGA reclaim: no running event loop while reading the config; not started")
        return
    if _task is not None and not _task.done():
        return  # the config was read twice in one process
    _task = loop.create_task(_run_in_hub(token, limits, interval, concurrency))


def _hub_app() -> Any:
    from jupyterhub.app import JupyterHub  # type: ignore[import-untyped]

    return JupyterHub.instance() if JupyterHub.initialized() else None


def _internal_address(app: Any) -> Callable[[RunningServer], str | None]:
    """Where the hub itself reaches a server (its pod address), not through the proxy."""

    def locate(server: RunningServer) -> str | None:
        try:
            user = app.users[server.user]
        except KeyError:
            return None
        spawner = user.spawners.get(server.name)
        if spawner is None or spawner.server is None:
            return None
        return spawner.server.url

    return locate


async def _run_in_hub(token: str, limits: Limits, interval: float, concurrency: int) -> None:
    app = None
    while app is None or getattr(app, "hub", None) is None or getattr(app, "users", None) is None:
        await asyncio.sleep(0.5)
        app = _hub_app()
    client = HubClient(app.hub.api_url, token, max_clients=concurrency)
    while True:  # until the hub answers its API (it starts after reading the config)
        with contextlib.suppress(Exception):
            await client.running_servers()
            break
        await asyncio.sleep(0.5)
    reclaimer = Reclaimer(
        client,
        limits,
        _internal_address(app),
        interval=interval,
        concurrency=concurrency,
        log=app.log,
    )
    app.log.info(
        "FPGA reclaim: idle timeout %ss, warning %ss, max age %ss, polling every %ss",
        limits.idle_timeout,
        limits.warning,
        limits.max_age,
        interval,
    )
    await reclaimer.run()

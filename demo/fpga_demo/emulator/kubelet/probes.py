"""Readiness probes, run the way the kubelet's prober runs them.

A container with a readinessProbe is not Ready when it starts: it becomes
Ready after `successThreshold` passing probes and unready again after
`failureThreshold` failing ones, each probe `periodSeconds` apart, none
before `initialDelaySeconds`. A failed probe is a Warning `Unhealthy` event
with the kubelet's wording. Reporting a pod Ready whose server never answers
is exactly the lie a hub (or kubespawner's own tests) must not be told.

exec probes run in the container's context (`exec.py`); httpGet and
tcpSocket probes connect to the pod's own address. gRPC probes are checked as
a TCP connection to their port: the emulator has no gRPC health client.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aiohttp

from .exec import ExecContext, run_command
from .runtime import StartError

if TYPE_CHECKING:
    from .pod_worker import PodWorker


def resolve_port(port: Any, container: Mapping[str, Any]) -> int | None:
    """A probe's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for entry in container.get("ports") or []:
        if entry.get("name") == port:
            return int(entry["containerPort"])
    return None


async def _tcp(host: str, port: int, timeout: float) -> str:
    """'' if a connection opens, else the kubelet's dial error."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except asyncio.TimeoutError:
        return f"dial tcp {host}:{port}: i/o timeout"
    except OSError as exc:
        reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else exc.strerror
        return f"dial tcp {host}:{port}: connect: {reason}"
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return ""


async def _http(spec: Mapping[str, Any], host: str, port: int, timeout: float) -> str:
    scheme = (spec.get("scheme") or "HTTP").lower()
    path = spec.get("path") or "/"
    url = f"{scheme}://{host}:{port}{path if path.startswith('/') else '/' + path}"
    headers = {"User-Agent": "kube-probe/1.31", "Accept": "*/*"}
    for header in spec.get("httpHeaders") or []:
        headers[header["name"]] = header.get("value", "")
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.get(url, headers=headers, ssl=False) as response,
        ):
            if 200 <= response.status < 400:
                return ""
            return f"HTTP probe failed with statuscode: {response.status}"
    except asyncio.TimeoutError:
        return (
            f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting '
            "headers)"
        )
    except aiohttp.ClientConnectorError:
        return f'Get "{url}": dial tcp {host}:{port}: connect: connection refused'
    except aiohttp.ClientError as exc:
        return f'Get "{url}": {exc}'


async def probe_once(
    probe: Mapping[str, Any], context: ExecContext | None, container: Mapping[str, Any]
) -> str:
    """Run one probe: '' when it passes, else the message the kubelet would give."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    host_default = context.pod_ip if context else ""
    if "exec" in probe:
        if context is None:
            return "container is not running"
        command = list((probe["exec"] or {}).get("command") or [])
        try:
            code, output = await run_command(context, command, timeout)
        except StartError as exc:
            return str(exc)
        if code is None:
            return f"command {shlex.join(command)!r} timed out"
        return "" if code == 0 else output.strip() or f"command exited with code {code}"
    for kind in ("httpGet", "tcpSocket", "grpc"):
        spec = probe.get(kind)
        if spec is None:
            continue
        port = resolve_port(spec.get("port"), container)
        if port is None:
            return f"unable to find port {spec.get('port')!r} in the container's ports"
        host = spec.get("host") or host_default
        if kind == "httpGet":
            return await _http(spec, host, port, timeout)
        return await _tcp(host, port, timeout)
    return "the probe names no handler (exec, httpGet, tcpSocket or grpc)"


class ReadinessProber:
    """One container's readiness: probes on a period, Ready flipped at the thresholds."""

    def __init__(self, worker: PodWorker, container: dict, state: dict) -> None:
        self.worker, self.container, self.state = worker, container, state
        self.probe: dict = container["readinessProbe"]
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def _run(self) -> None:
        probe = self.probe
        period = float(probe.get("periodSeconds") or 10)
        need_success = int(probe.get("successThreshold") or 1)
        need_failure = int(probe.get("failureThreshold") or 3)
        await asyncio.sleep(float(probe.get("initialDelaySeconds") or 0))
        successes = failures = 0
        while True:
            context = self.worker.contexts.get(self.container["name"])
            message = await probe_once(probe, context, self.container)
            if self.worker.terminating:
                return
            if message:
                failures, successes = failures + 1, 0
                self.worker.event("Warning", "Unhealthy", f"Readiness probe failed: {message}")
            else:
                successes, failures = successes + 1, 0
            ready = self.state["ready"]
            if not ready and successes >= need_success:
                self.state["ready"] = True
                self.worker.write_status()
            elif ready and failures >= need_failure:
                self.state["ready"] = False
                self.worker.write_status()
            await asyncio.sleep(period)

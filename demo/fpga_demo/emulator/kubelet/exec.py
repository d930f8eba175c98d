"""Commands run inside a running container: `kubectl exec` and exec probes.

A real kubelet enters the container's namespaces; here a container is a local
process tree, so "inside" means the container's context: its resolved
environment, its working directory, its mounts (paths in the command line are
rewritten to the volume directories, as for the container's own command) and
its marker variables, so that an exec'd process is stopped with the container
and killed by the reaper if the emulator dies.
"""

from __future__ import annotations

import asyncio
import os
import pty
from dataclasses import dataclass, field
from pathlib import Path

from .podenv import rewrite
from .runtime import StartError, die_with_parent, resolve_executable


@dataclass
class ExecContext:
    """What a command exec'd in a container sees; recorded when the container starts."""

    env: dict[str, str]
    cwd: Path
    mounts: list[tuple[str, str]] = field(default_factory=list)
    pod_ip: str = ""


@dataclass
class ExecProcess:
    """A started command: its process and, with a TTY, the terminal's master side."""

    process: asyncio.subprocess.Process
    master_fd: int | None = None


async def start_exec(
    context: ExecContext, command: list[str], stdin: bool = False, tty: bool = False
) -> ExecProcess:
    """Start `command` in the container's context; StartError as the runtime reports it."""
    if not command:
        raise StartError("no command specified")
    argv = [rewrite(part, context.mounts, context.pod_ip) for part in command]
    executable = resolve_executable(argv[0], context.env.get("PATH", ""))
    cwd = context.cwd if context.cwd.is_dir() else Path("/")
    parent = os.getpid()
    master_fd = None
    if tty:
        master_fd, slave_fd = pty.openpty()
        streams = {"stdin": slave_fd, "stdout": slave_fd, "stderr": slave_fd}
    else:
        streams = {
            "stdin": asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            "stdout": asyncio.subprocess.PIPE,
            "stderr": asyncio.subprocess.PIPE,
        }
    try:
        process = await asyncio.create_subprocess_exec(
            executable,
            *argv[1:],
            env=context.env,
            cwd=str(cwd),
            start_new_session=True,
            preexec_fn=lambda: die_with_parent(parent),
            **streams,  # type: ignore[arg-type]
        )
    except OSError as exc:
        raise StartError(f'exec: "{argv[0]}": {exc.strerror}') from None
    finally:
        if tty:
            os.close(slave_fd)
    return ExecProcess(process, master_fd)


async def run_command(
    context: ExecContext, command: list[str], timeout: float
) -> tuple[int | None, str]:
    """Run to completion (exec probes): (exit code or None on timeout, combined output)."""
    started = await start_exec(context, command)
    process = started.process
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        return None, ""
    return process.returncode, (out + err).decode(errors="replace")

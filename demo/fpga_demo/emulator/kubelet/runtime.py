"""The emulated container runtime: a container is a local process tree.

A container's process starts in its own session (process group) with a marker
in its environment. Stopping it signals the group, every descendant found
through /proc, and any process still carrying the marker, because Jupyter
starts kernels in sessions of their own and a group kill alone would orphan
them. An atexit hook kills whatever is left if the emulator exits uncleanly;
for a SIGKILL, which runs no hook, the main process asks the kernel to kill
it with its parent (PR_SET_PDEATHSIG) and the reaper (`reaper.py`) kills the
rest by the emulator's instance id every container process inherits.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import shutil
import signal
from pathlib import Path

from .reaper import INSTANCE_ENV, processes_with

MARKER_ENV = "KUBERNETES_EMULATOR_CONTAINER"
_LIVE: dict[str, int] = {}  # marker -> pid of containers still running


class StartError(Exception):
    """The runtime could not start the container (the kubelet reports it as the real one would)."""


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    return children


def descendants(pid: int) -> list[int]:
    tree, todo, children = [], [pid], _children_map()
    while todo:
        for child in children.get(todo.pop(), []):
            tree.append(child)
            todo.append(child)
    return tree


def marked_processes(marker: str) -> list[int]:
    """Processes whose environment carries this container's marker (orphans included)."""
    return processes_with(MARKER_ENV, marker)


def signal_tree(pid: int, marker: str, sig: int) -> int:
    """Send `sig` to the container's group, descendants and marked processes; count targets."""
    targets = {pid, *descendants(pid), *marked_processes(marker)}
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    sent = 0
    for target in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(target, sig)
            sent += 1
    return sent


PR_SET_PDEATHSIG = 1
try:  # loaded before any fork: the child must not dlopen between fork and exec
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux
    _LIBC = None


def die_with_parent(parent: int) -> None:
    """In the child, before exec: SIGKILL when the emulator (its parent) dies, even by SIGKILL."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(137)


def resolve_executable(argv0: str, path: str) -> str:
    if "/" in argv0:
        if os.path.isfile(argv0) and os.access(argv0, os.X_OK):
            return argv0
        raise StartError(f'exec: "{argv0}": stat {argv0}: no such file or directory')
    found = shutil.which(argv0, path=path)
    if not found:
        raise StartError(f'exec: "{argv0}": executable file not found in $PATH')
    return found


class ContainerProcess:
    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        cwd: Path,
        log_path: Path,
        marker: str,
        instance: str = "",
    ) -> None:
        self.argv, self.env, self.cwd, self.log_path, self.marker = (
            argv,
            dict(env),
            cwd,
            log_path,
            marker,
        )
        self.env[MARKER_ENV] = marker
        if instance:
            self.env[INSTANCE_ENV] = instance
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    async def start(self) -> int:
        if not self.argv:
            raise StartError("no command specified")
        executable = resolve_executable(self.argv[0], self.env.get("PATH", ""))
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        parent = os.getpid()
        with open(self.log_path, "ab") as log:
            try:
                self.process = await asyncio.create_subprocess_exec(
                    executable,
                    *self.argv[1:],
                    env=self.env,
                    cwd=str(self.cwd),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log,
                    stderr=asyncio.subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=lambda: die_with_parent(parent),
                )
            except OSError as exc:
                raise StartError(f'exec: "{self.argv[0]}": {exc.strerror}') from None
        _LIVE[self.marker] = self.process.pid
        return self.process.pid

    async def wait(self) -> int:
        assert self.process is not None
        code = await self.process.wait()
        _LIVE.pop(self.marker, None)
        return 128 - code if code < 0 else code  # killed by signal N -> 128+N, like runc

    async def stop(self, grace: float) -> int | None:
        """SIGTERM the whole tree, SIGKILL what is left after `grace` seconds."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            signal_tree(self.process.pid, self.marker, signal.SIGTERM)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.process.wait(), max(grace, 0.0))
        # Leftovers (the main process exited but children, or kernels, did not).
        signal_tree(self.process.pid, self.marker, signal.SIGKILL)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.process.wait(), 5)
        _LIVE.pop(self.marker, None)
        return await self.wait() if self.process.returncode is not None else None


def kill_marked(marker: str) -> int:
    """SIGKILL processes of a container the runtime lost track of (e.g. cancelled mid-start)."""
    killed = 0
    for pid in marked_processes(marker):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
    return killed


@atexit.register
def _kill_leftovers() -> None:
    for marker, pid in list(_LIVE.items()):
        signal_tree(pid, marker, signal.SIGKILL)
    _LIVE.clear()

"""The reaper: kills every container process of an emulator that died.

A `kill -9` of the emulator runs none of its clean-up, and user servers would
live on with a license value in their environment, on an address a new
emulator then hands out again. Each container's main process asks the kernel
for SIGKILL when its parent dies (PR_SET_PDEATHSIG, set in `runtime.py`), but
a notebook server starts its kernels in sessions of their own, and those
outlive it. So every container process carries this emulator's instance id in
its environment (inherited by all it starts), and a small watcher process
(this file, run as a script with the standard library only) waits on a pipe
the emulator holds open: at EOF, whether from a clean stop or a SIGKILL, it
kills every process carrying the id, until none is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid

INSTANCE_ENV = "KUBERNETES_EMULATOR_INSTANCE"


def processes_with(variable: str, value: str, exclude: int | None = None) -> list[int]:
    """PIDs whose environment holds `variable=value` (zombies have none and are skipped)."""
    needle = f"{variable}={value}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (os.getpid(), exclude):
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def kill_instance(instance: str, rounds: int = 50) -> int:
    """SIGKILL every process of `instance`, again until none is found (forks race us)."""
    killed = 0
    for _ in range(rounds):
        targets = processes_with(INSTANCE_ENV, instance)
        if not targets:
            break
        for pid in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.05)
    return killed


class Reaper:
    """The emulator's side: an instance id and the watcher holding the other end of a pipe."""

    def __init__(self) -> None:
        self.instance = uuid.uuid4().hex[:16]
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        if self._process is not None:
            return
        # Its own session: a signal to the emulator's process group does not reach it.
        # The pipe's write end is close-on-exec, so no container inherits it.
        self._process = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__), self.instance],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        """A clean stop: close the pipe; the watcher sweeps whatever is left and exits."""
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        with contextlib.suppress(OSError):
            process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)


def main(argv: list[str]) -> int:
    instance = argv[1]
    with contextlib.suppress(OSError):
        while sys.stdin.buffer.read(65536):
            pass
    kill_instance(instance)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Pod addresses that are unique across every emulator on the machine.

Every emulator carves the same 127.0.0.0/8 blocks for its nodes, so two of
them (two engineers' test runs, a demo beside the e2e tests) would hand out
the same first pod address, and one hub would then talk to the other's
notebook server. An address is therefore only used while this process holds
an exclusive `flock` on a file named after it in a machine-wide directory.
The kernel drops the lock when the holder dies, even by SIGKILL, so a crashed
emulator never strands its addresses. An address where something still
listens (a process an older emulator left behind) is skipped as well.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import tempfile
from pathlib import Path

LOCK_DIR_ENV = "KUBERNETES_EMULATOR_ADDRESS_DIR"


def lock_dir() -> Path:
    """The directory every emulator on this machine shares (one file per address)."""
    path = Path(
        os.environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir()) / "k8s-emulator-addresses"
    )
    path.mkdir(mode=0o1777, parents=True, exist_ok=True)
    return path


def listening_addresses() -> set[str]:
    """IPv4 addresses some TCP socket on this machine (this network namespace) listens on."""
    found: set[str] = set()
    with contextlib.suppress(OSError), open("/proc/net/tcp") as f:
        next(f, None)
        for line in f:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A":  # TCP_LISTEN
                raw = fields[1].split(":")[0]
                found.add(str(ipaddress.IPv4Address(int.from_bytes(bytes.fromhex(raw), "little"))))
    return found


class AddressLeases:
    """This process's leases: address -> the open, locked file that holds it."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._held: dict[str, int] = {}

    def acquire(self, ip: str, busy: set[str] | None = None) -> bool:
        """Take `ip` if no other emulator holds it and nothing listens on it."""
        if ip in self._held:
            return False
        if busy is not None and ip in busy:
            return False
        directory = self.directory or lock_dir()
        fd = os.open(directory / ip, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        # The file is never unlinked: removing a name another process has open
        # would let two holders lock two different files of the same name.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._held[ip] = fd
        return True

    def release(self, ip: str) -> None:
        fd = self._held.pop(ip, None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def release_all(self) -> None:
        for ip in list(self._held):
            self.release(ip)

    def held(self) -> set[str]:
        return set(self._held)

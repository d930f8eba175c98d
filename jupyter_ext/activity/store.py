"""The activity directory: one small file per kernel process, read back by the server.

Each recording process owns ``<pid>-<token>.json`` (replaced atomically, so a
reader never sees half a file) and holds an exclusive ``flock`` on
``<pid>-<token>.lock`` for as long as it lives. The server tells a live
process from a finished (or crashed) one by trying that lock, which stays
right when a pid is reused, and folds finished processes into one
``retired.json`` it alone writes: the directory holds one file per live
kernel plus one, whatever the notebooks do.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from ..contract import ENV_ACTIVITY_DIR
from .model import ProcessRecord, merge, retire

RETIRED = "retired.json"
SERVER = "server.json"
log = logging.getLogger(__name__)


def activity_dir(environ: Any = None) -> Path:
    """``$FPGA_ACTIVITY_DIR``, else ``fpga-activity`` in Jupyter's runtime directory."""
    env = os.environ if environ is None else environ
    configured = env.get(ENV_ACTIVITY_DIR, "").strip()
    if configured:
        return Path(configured)
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir()) / "fpga-activity"


def write_json(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` to ``path`` atomically (temporary file in the same directory, rename)."""
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class ProcessFile:
    """A process's own record file and the lock that says it is alive."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        stem = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.path = directory / f"{stem}.json"
        # Locked before the record exists, so a reader never sees a record without its lock.
        self._lock: IO[bytes] | None = open(directory / f"{stem}.lock", "wb")  # noqa: SIM115
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def write(self, record: ProcessRecord) -> None:
        write_json(self.path, record.to_dict())

    def close(self) -> None:
        """Give up the lock (the server then folds the record into the retired total)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _alive(lock_path: Path) -> bool:
    """True while the process that owns ``lock_path`` holds its lock."""
    try:
        with open(lock_path, "rb") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False
    except FileNotFoundError:
        return False


class ActivityDirectory:
    """The server's view of the directory: live records merged with the retired total.

    Files are parsed again only when their size or modification time changed,
    so a request that finds nothing new costs a directory scan and one lock
    probe per live kernel.
    """

    def __init__(self, directory: Path, *, fold: bool = True) -> None:
        self.directory = directory
        self.fold = fold  # the server folds; a kernel only reads
        self._parsed: dict[str, tuple[tuple[int, int], ProcessRecord]] = {}
        self._retired: ProcessRecord | None = None
        self._complained: set[str] = set()

    def _read(self, entry: os.DirEntry[str]) -> ProcessRecord | None:
        try:
            st = entry.stat()
        except FileNotFoundError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._parsed.get(entry.name)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            with open(entry.path, "rb") as f:
                record = ProcessRecord.from_dict(json.loads(f.read(65536)))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            if entry.name not in self._complained:
                self._complained.add(entry.name)
                log.warning("jupyter_ext: ignoring activity file %s: %s", entry.path, exc)
            return None
        self._parsed[entry.name] = (stamp, record)
        return record

    def retired(self) -> ProcessRecord:
        if self._retired is None or not self.fold:  # only the folding server may keep it
            path = self.directory / RETIRED
            try:
                self._retired = ProcessRecord.from_dict(json.loads(path.read_bytes()))
            except (OSError, ValueError):
                self._retired = ProcessRecord(processes=0)
        return self._retired

    def records(self) -> list[ProcessRecord]:
        """Every live process's record plus the retired total; folds finished processes."""
        live = []
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return [self.retired()]
        for entry in entries:
            name = entry.name
            if not name.endswith(".json") or name in (RETIRED, SERVER) or name.startswith("."):
                continue
            record = self._read(entry)
            if record is None:
                continue
            lock = self.directory / (name[: -len(".json")] + ".lock")
            if _alive(lock):
                live.append(record)
            elif not (self.fold and self._fold(entry.path, lock, record)):
                live.append(replace(record, busy=False))  # counted, though not folded
        return [*live, self.retired()]

    def _fold(self, path: str, lock: Path, record: ProcessRecord) -> bool:
        total = retire(self.retired(), record)
        try:
            write_json(self.directory / RETIRED, total.to_dict())
        except OSError as exc:  # a read-only directory: the record stays where it is
            if RETIRED not in self._complained:
                self._complained.add(RETIRED)
                log.warning("jupyter_ext: cannot write %s: %s", self.directory / RETIRED, exc)
            return False
        self._retired = total
        for p in (path, lock):
            with contextlib.suppress(OSError):
                os.unlink(p)
        self._parsed.pop(os.path.basename(path), None)
        return True

    def merged(self) -> ProcessRecord:
        return merge(self.records())


def write_server_start(directory: Path, started: float) -> None:
    """Tell the kernels when the server started (idle time counts from it before any activity)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / SERVER, {"started": started})


def read_server_start(directory: Path) -> float | None:
    try:
        return float(json.loads((directory / SERVER).read_bytes())["started"])
    except (OSError, ValueError, KeyError, TypeError):
        return None

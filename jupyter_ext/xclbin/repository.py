"""The xclbins this pod can load, indexed by platform and kernel name.

Directories come from the hub-pod contract (``FPGA_XCLBIN_PATH``, else the
defaults). Each file is parsed once and re-parsed only when its mtime or size
changes, so listing a directory of 100 MB xclbins costs a ``stat`` per file.

This is the only code that walks the search path: the runtime's locator
(by kernel), ``%fpga info`` and ``%fpga load`` (by file name) all come here,
so they agree on which directories count (symlinked ones included).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..contract import xclbin_search_path
from .model import Xclbin, XclbinError
from .parser import parse_xclbin

SUFFIXES = (".xclbin", ".awsxclbin")
MAX_DEPTH = 3  # subdirectory levels scanned below each search-path entry


class BitstreamRepository:
    """Find xclbins by kernel name (and platform) on the xclbin search path."""

    def __init__(self, dirs: Sequence[str | Path] | None = None):
        self.dirs = [Path(d) for d in (xclbin_search_path() if dirs is None else dirs)]
        self._cache: dict[str, tuple[int, int, dict[str, Any] | None, str | None]] = {}
        self._lock = threading.Lock()

    def _files(self) -> list[Path]:
        """Every xclbin on the search path, once each, following symlinked directories."""
        out: list[Path] = []
        seen: set[str] = set()
        for root in self.dirs:
            for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
                depth = Path(dirpath).relative_to(root).parts
                if len(depth) >= MAX_DEPTH:
                    dirnames[:] = []
                dirnames.sort()
                for name in sorted(filenames):
                    if name.endswith(SUFFIXES):
                        p = Path(dirpath, name)
                        key = os.path.realpath(p)
                        if key not in seen:
                            seen.add(key)
                            out.append(p)
        return out

    def resolve(self, name: str) -> Path | None:
        """The xclbin a user named: the path as given, else a file of that name on the search path.

        A bare file name (no directory, an xclbin suffix) is looked up the way
        :meth:`find` looks up kernels; anything else must be an existing file.
        """
        given = Path(name).expanduser()
        if given.is_file():
            return given
        if os.sep in name or not name.endswith(SUFFIXES):
            return None
        return next((p for p in self._files() if p.name == name), None)

    def read(self, name: str) -> Xclbin:
        """Parse the xclbin a user named (:meth:`resolve`).

        Raises FileNotFoundError naming the search path when there is no such
        file, XclbinError for a file that is not a readable xclbin, OSError
        when it cannot be read: each message is one sentence for the user.
        """
        path = self.resolve(name)
        if path is None:
            where = os.pathsep.join(str(d) for d in self.dirs)
            raise FileNotFoundError(
                f"no xclbin file {name!r} (not a path, and not on the xclbin search path {where})"
            )
        return parse_xclbin(path)

    def _refresh(self) -> list[str]:
        paths = []
        for p in self._files():
            key = str(p)
            try:
                st = p.stat()
            except OSError:
                continue
            cached = self._cache.get(key)
            if cached is None or cached[:2] != (st.st_mtime_ns, st.st_size):
                try:
                    x = parse_xclbin(p)
                    entry = {
                        "path": key,
                        "platform": x.platform_vbnv,
                        "kernels": x.kernel_names,
                        "uuid": x.uuid,
                        "mode": x.emulation,
                        "size": x.file_size,
                    }
                    cached = (st.st_mtime_ns, st.st_size, entry, None)
                except XclbinError as e:
                    cached = (st.st_mtime_ns, st.st_size, None, str(e))
                self._cache[key] = cached
            paths.append(key)
        for gone in set(self._cache) - set(paths):
            del self._cache[gone]
        return paths

    def index(self) -> list[dict[str, Any]]:
        """One dict per readable xclbin: path, platform, kernels, uuid, mode, size."""
        with self._lock:
            order = self._refresh()
            return [dict(self._cache[k][2]) for k in order if self._cache[k][2] is not None]

    def problems(self) -> list[dict[str, str]]:
        """Files that look like xclbins but could not be read, with the reason."""
        with self._lock:
            order = self._refresh()
            return [{"path": k, "error": self._cache[k][3]} for k in order if self._cache[k][3]]

    def find(self, kernel_name: str, platform: str | None = None) -> Path | None:
        """The first xclbin (search-path order) with this kernel, on this platform if given."""
        for entry in self.index():
            if kernel_name in entry["kernels"] and (not platform or entry["platform"] == platform):
                return Path(entry["path"])
        return None

    def by_uuid(self, uuid: str) -> dict[str, Any] | None:
        """The indexed xclbin with this UUID (to name what a device has loaded)."""
        want = uuid.lower().replace("-", "")
        return next((e for e in self.index() if e["uuid"].replace("-", "") == want), None)

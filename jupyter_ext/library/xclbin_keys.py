"""An xclbin's key-value metadata, read once per file version: where a build states its macros.

Why: a Vitis kernel's limits (image sizes, GEMM block sizes) are C++ macros
fixed when the xclbin was built. A build that records them as key-values
(``xclbinutil --add-key-value``; ``<kernel>.<MACRO>`` for one kernel of a
multi-kernel file) lets the library refuse or pad inputs for *that* build
before anything reaches the board. Both the vision builds
(:mod:`.vision_build`) and BLAS (:mod:`.blas`) read them here.
"""

from __future__ import annotations

import os
from functools import lru_cache


def keyvalues(path: str) -> tuple[tuple[str, str], ...]:
    """The (key, value) pairs of the xclbin at ``path``; ``()`` when it is missing or unreadable.

    Cached per (path, modification time, size): a notebook calls a kernel many
    times, and a rebuilt file is read again. An unreadable file is reported by
    the runtime when it loads the kernel, not here.
    """
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return _read(path, (st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=32)
def _read(path: str, stamp: tuple[int, int]) -> tuple[tuple[str, str], ...]:
    from ..xclbin import XclbinError, parse_xclbin

    try:
        return parse_xclbin(path).keyvalues
    except XclbinError:
        return ()


def for_kernel(kernel: str, pairs: tuple[tuple[str, str], ...]) -> dict[str, tuple[str, str]]:
    """The macros ``pairs`` declare for ``kernel``: macro name -> (the key as written, value).

    ``<kernel>.NAME`` wins over a bare ``NAME`` (which an xclbin holding one
    kernel may use); keys naming another kernel (``other.NAME``) are left out.
    """
    found: dict[str, tuple[int, str, str]] = {}
    for key, value in pairs:
        name, rank = key, 0
        if key.startswith(kernel + "."):
            name, rank = key[len(kernel) + 1 :], 1
        elif "." in key:
            continue
        if name not in found or rank >= found[name][0]:
            found[name] = (rank, key, value)
    return {name: (key, value) for name, (_, key, value) in found.items()}

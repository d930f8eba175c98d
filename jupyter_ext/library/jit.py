"""Compiled CPU kernels for the emulation: Numba, compiled on first use, run on every core.

Why compiled loops: a Vitis vision kernel is a per-pixel loop over fixed-point
integers (8-bit taps, 10-bit weights, 16-bit sums, tie rules that look at one
pixel's costs at a time). numpy and OpenCV cannot say that arithmetic in a few
whole-array calls, and composing it from many such calls made the emulation
2.5 to 7 times slower than OpenCV's own filters. The models in ``xfcv_*.py``
write the kernel's loop once, in integers, and Numba compiles it for this CPU.

One place decides how the kernels are compiled and run:

* :func:`compiled` -- ``numba.njit`` with the GIL released and no bounds
  checks (the kernels index rows through slices and ``range`` indices, which
  Numba knows are not negative: such loops vectorise). The machine code is
  cached on disk (next to the module, or in Numba's per-user cache when the
  package directory is read-only, as in many notebook images), so only a
  machine's first call pays the compile (about a second per kernel);
* :func:`in_bands` -- splits the output rows into one band per usable core and
  runs the kernel on each band in a thread (the kernels release the GIL), the
  way OpenCV spreads its filters; results are the same for any band count.

Numba is imported on the first kernel call, not at import: ``%fpga`` and the
server extension start as fast without it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from functools import cache
from typing import Any


def compiled(fn: Callable[..., Any]) -> Any:
    """``fn`` compiled by Numba (no Python objects inside, the GIL released).

    Caches the machine code when some cache directory is writable; otherwise
    compiles in each process (Numba refuses ``cache=True`` with no place to
    write, and a read-only image must still work).
    """
    import numba

    try:
        return numba.njit(fn, cache=True, nogil=True, boundscheck=False, error_model="numpy")
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(fn, cache=False, nogil=True, boundscheck=False, error_model="numpy")


@cache
def cores() -> int:
    """CPUs this process may use: its CPU affinity, capped by a cgroup v2 CPU quota.

    A pod with ``limits.cpu: 2`` on a 64-core node sees 64 CPUs in its affinity
    but gets two CPUs' worth of time: more threads than that only queue.
    """
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        n = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            n = min(n, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        pass  # no cgroup v2 CPU controller here: the affinity is all we know
    return max(1, n)


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=cores(), thread_name_prefix="fpga-emulation")


MIN_BAND_NS = 200_000
"""A band is worth a thread when it has at least this much work (200 us): waking a pool
thread costs tens of microseconds on a busy machine, and below this it costs more than it saves."""


def in_bands(run: Callable[[int, int], None], start: int, stop: int, row_ns: int) -> None:
    """``run(y0, y1)`` over ``[start, stop)`` split into bands, one per core, in parallel.

    ``row_ns`` is the caller's estimate of one row's time on one core (measured
    for each kernel on the benchmark machine): it keeps small images on one
    thread. ``run`` writes its own rows of a shared output and must not depend
    on other bands' results. Exceptions from any band are raised here.
    """
    rows = stop - start
    bands = max(1, min(cores(), rows * row_ns // MIN_BAND_NS, rows))
    if bands == 1:
        run(start, stop)
        return
    step = -(-rows // bands)
    edges = [(y, min(stop, y + step)) for y in range(start, stop, step)]
    futures = [_pool().submit(run, y0, y1) for y0, y1 in edges[1:]]
    try:
        run(*edges[0])  # this thread does the first band
    finally:
        wait(futures)  # never return (or raise) while another band still writes the output
    for f in futures:
        f.result()

"""Loading on request: program the device with an xclbin now, or say why nothing was.

The runtime loads xclbins lazily, per kernel, on the first call. ``%fpga load``
asks for it up front -- for a library function (the xclbin the repository has
for its kernel) or for an xclbin file (its kernels, from that file) -- so the
board is programmed with progress shown instead of during the first timed
call. :func:`load` does the whole job through the backend's own interface
(:meth:`~jupyter_ext.runtime.base.Backend.pin_xclbin`,
:meth:`~jupyter_ext.runtime.base.Backend.load_kernel`,
:meth:`~jupyter_ext.runtime.base.Backend.where`), so the emulation's "nothing
was programmed" and XRT's "programmed" are the runtime's answers, not the
caller's guesses. The caller only records and shows the :class:`LoadResult`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Protocol

from ..xclbin.model import XclbinError
from ..xclbin.repository import BitstreamRepository
from .base import Backend, FPGARuntimeError, LoadRefused, Where


class Steps(Protocol):
    """What :func:`load` reports progress to (``jupyter_ext.widgets.Progress`` is one)."""

    def phase(self, text: str) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def finish(self, text: str, ok: bool = True) -> None: ...


class _Silent:
    """Progress nobody watches (a script calling :func:`load` directly)."""

    def phase(self, text: str) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self, text: str, ok: bool = True) -> None:
        pass


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load` did, in terms a view can show without deciding anything.

    ``where`` is the runtime's answer for every kernel asked for, taken after
    loading: whether each now runs on the board or is emulated, and why.
    """

    target: str  # what was asked: a library function or an xclbin file
    xclbin: str | None  # the file asked for, or the one found for the function; None: none
    platform: str  # the platform the xclbin file was built for ("" when a function was asked)
    kernels: tuple[str, ...]  # every kernel asked for
    opened: tuple[str, ...]  # the kernels programmed from ``xclbin`` by this load
    functions: tuple[str, ...]  # the library functions these kernels serve
    where: tuple[Where, ...]  # one per kernel asked for, after loading
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def programmed(self) -> bool:
        return bool(self.opened)

    @property
    def emulated(self) -> bool:
        """True when none of the kernels runs on a board."""
        return not any(w.hardware for w in self.where)

    @property
    def reason(self) -> str:
        """Why the emulated kernels are emulated ("" when none is)."""
        return "; ".join(dict.fromkeys(w.reason for w in self.where if not w.hardware))

    @property
    def device(self) -> str:
        """The board the kernels run on, or the CPU when they are emulated."""
        return next((w.device for w in self.where if w.hardware), self.where[0].device)


@dataclass(frozen=True)
class _Asked:
    kernels: tuple[str, ...]
    xclbin: str | None = None
    platform: str = ""
    mode: str = "hw"


def _asked(target: str, kernels_by_function: Mapping[str, str]) -> _Asked:
    """The kernels ``target`` names: a function's one kernel, or every kernel of an xclbin file."""
    if target in kernels_by_function:
        return _Asked((kernels_by_function[target],))
    try:
        x = BitstreamRepository().read(target)
    except (XclbinError, OSError) as exc:
        raise LoadRefused(str(exc)) from None
    if not x.kernel_names:
        raise LoadRefused(f"{x.source} holds no kernels; there is nothing to run")
    return _Asked(tuple(x.kernel_names), x.source, x.platform_vbnv, x.emulation)


def load(
    target: str,
    runtime: Backend,
    kernels_by_function: Mapping[str, str],
    *,
    progress: Callable[[int], Steps] | None = None,
) -> LoadResult:
    """Load ``target`` (a library function name or an xclbin file) onto ``runtime``'s device.

    ``kernels_by_function`` maps each library function to its kernel.
    ``progress(steps)`` is called once the target is known, with the number of
    steps to come. Raises :class:`LoadRefused` for a target that cannot be
    loaded here and :class:`FPGARuntimeError` when programming fails.
    """
    t0 = perf_counter()
    asked = _asked(target, kernels_by_function)
    steps = (progress or (lambda n: _Silent()))(len(asked.kernels) + 1)
    steps.advance()
    try:
        if asked.xclbin is not None:
            runtime.pin_xclbin(Path(asked.xclbin), asked.kernels, platform=asked.platform,
                               mode=asked.mode)  # fmt: skip
        where = _load_kernels(runtime, asked.kernels, steps)
    except LoadRefused:
        steps.finish("refused", ok=False)
        raise
    except FPGARuntimeError:
        steps.finish("failed", ok=False)
        raise
    same = [w for w in where if w.hardware and _same_file(w.xclbin, asked.xclbin)]
    earlier = [w for w in where if w.hardware and w not in same]
    result = LoadResult(
        target=target,
        xclbin=asked.xclbin or (same[0].xclbin if same else None),
        platform=asked.platform,
        kernels=asked.kernels,
        opened=tuple(w.kernel for w in same),
        functions=_served(asked, target, kernels_by_function),
        where=tuple(where),
        seconds=perf_counter() - t0,
        notes=tuple(f"kernel {w.kernel} stays open from {w.xclbin}, loaded earlier in this "
                    "kernel session (restart the kernel to switch xclbins)" for w in earlier),
    )  # fmt: skip
    if result.programmed:
        steps.finish(f"programmed {result.device}")
    elif result.emulated:
        steps.finish("emulated: nothing was programmed")
    else:
        steps.finish(f"nothing was programmed: already open on {result.device}")
    return result


def _load_kernels(runtime: Backend, kernels: Sequence[str], steps: Steps) -> list[Where]:
    """Load each kernel through the runtime (it programs those it places on a board).

    The emulation loads nothing, but its ``load_kernel`` is still called: that is
    where the runtime records a load as FPGA activity, for either backend.
    """
    out = []
    for i, kernel in enumerate(kernels, 1):
        planned = runtime.where(kernel)
        if planned.hardware:
            steps.phase(f"programming {planned.device}: kernel {kernel} ({i}/{len(kernels)})")
        where = runtime.load_kernel(kernel)
        steps.advance()
        out.append(where)
    return out


def _same_file(found: str, asked: str | None) -> bool:
    """True when no particular file was asked for, or ``found`` is that file."""
    return asked is None or os.path.realpath(found) == os.path.realpath(asked)


def _served(asked: _Asked, target: str, kernels_by_function: Mapping[str, str]) -> tuple[str, ...]:
    if asked.xclbin is None:
        return (target,)
    return tuple(sorted(f for f, k in kernels_by_function.items() if k in asked.kernels))

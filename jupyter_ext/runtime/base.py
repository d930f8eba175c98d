"""The runtime interface: what a library function asks for, and what it gets back.

A library function does not talk to XRT or to a CPU model directly. It builds a
:class:`KernelCall` -- the kernel's name, its argument list in the kernel's own
order (buffers in, buffers out, 32-bit scalars), the CPU model of the kernel,
and how to turn the kernel's output buffers into a Python value -- and hands
it to a backend. The XRT backend marshals the arguments onto a board; the
emulation backend runs the model. Both return a :class:`Result` that says
which one ran, why, and how long each phase took, so a notebook can never
mistake an emulated number for an FPGA number.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..activity.recorder import board_call

BACKEND_XRT = "xrt"
BACKEND_EMULATED = "emulated"


class FPGARuntimeError(RuntimeError):
    """Base class of every error the runtime raises on purpose."""


class KernelError(FPGARuntimeError):
    """The kernel finished in a state other than COMPLETED (ERROR, ABORT, ...)."""

    def __init__(self, kernel: str, state: str, detail: str = "") -> None:
        self.kernel = kernel
        self.state = state
        msg = f"kernel {kernel!r} ended in state {state}"
        super().__init__(f"{msg}: {detail}" if detail else msg)


class KernelTimeout(FPGARuntimeError):
    """The kernel did not finish within the runtime's timeout.

    pyxrt has no way to abort a run (``xrt::run::abort`` is not bound in any
    release), so the message says what the timed-out run leaves behind and
    how a user gets the board back.
    """

    def __init__(self, kernel: str, timeout_s: float, device: str = "", bdf: str = "") -> None:
        self.kernel = kernel
        self.timeout_s = timeout_s
        board = device or "the board"
        reset = f"xrt-smi reset -d {bdf}" if bdf else "xrt-smi reset -d <BDF>"
        super().__init__(
            f"kernel {kernel!r} did not finish within {timeout_s:g} s. The run is still active "
            f"on {board}: its compute unit stays busy and this session keeps the run's buffers "
            "allocated (pyxrt cannot abort a run), so later calls of this kernel may wait "
            f"behind it. To recover, reset the board with `{reset}` (an administrator's "
            "command: it needs the board's management function) or restart the pod. If the "
            "input is only large, raise the timeout with get_runtime(timeout_s=...)."
        )


class LoadRefused(FPGARuntimeError):
    """What was asked to be loaded cannot be: no such xclbin, no kernels in it, or not for this device.

    A mistake the user can fix (another file, another board), so it carries one
    plain sentence and no XRT detail; failures *while* programming stay
    :class:`FPGARuntimeError`.
    """


class InvalidArgument(ValueError):
    """Bad input to a library function: names the argument and what is allowed."""

    def __init__(self, name: str, problem: str, allowed: str = "") -> None:
        self.argument = name
        msg = f"{name}: {problem}"
        super().__init__(f"{msg} (allowed: {allowed})" if allowed else msg)


# --- kernel arguments ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class In:
    """An input buffer: copied (or, if already device-resident, not) and synced to the device.

    ``array`` may be a zero-argument callable returning the array: a device
    layout (e.g. padding) that only the XRT backend needs is then never built
    by the emulation. ``device_bytes`` pads the device buffer instead of the
    array (no copy of the data to make it longer). ``constant=True`` marks a small parameter block the
    library builds (thresholds, a seed; at most :data:`CONSTANT_MAX_BYTES`):
    the backend keeps one device buffer per distinct content and rewrites
    nothing when the same parameters come again.
    """

    array: np.ndarray | Callable[[], np.ndarray]
    name: str = ""
    constant: bool = False
    device_bytes: int = 0
    """The device buffer holds at least this many bytes: a kernel that reads past the data
    (whole bursts) gets zeros there, never memory another allocation owns."""


CONSTANT_MAX_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Zeros:
    """An input buffer of zeros (blasKernel's X when there is no bias): filled once per size."""

    shape: tuple[int, ...]
    dtype: Any
    name: str = ""


@dataclass(frozen=True, slots=True)
class Out:
    """An output buffer the kernel fills; the backend allocates it."""

    shape: tuple[int, ...]
    dtype: Any
    name: str = ""


@dataclass(frozen=True, slots=True)
class InOut:
    """A buffer the kernel reads and writes back (e.g. a running checksum)."""

    array: np.ndarray
    name: str = ""


@dataclass(frozen=True, slots=True)
class Scratch:
    """A buffer the host fills in ``KernelCall.patch`` once every buffer has an address.

    blasKernel reads an instruction that points at its matrices by device
    address, so the instruction can only be written after allocation.
    """

    nbytes: int
    name: str = ""


SCRATCH_FIRST: dict[str, dict[int, int]] = {}


def reserve_scratch(kernel: str, index: int, nbytes: int) -> None:
    """Have the XRT backend allocate ``kernel``'s Scratch argument ``index`` before anything else.

    blasKernel addresses its matrices by *unsigned* page offsets from its
    instruction buffer, so that buffer must be allocated first (lowest
    address), before any input placed in device memory ahead of a call.
    """
    SCRATCH_FIRST.setdefault(kernel, {})[index] = nbytes


@dataclass(frozen=True, slots=True)
class Ref:
    """The same buffer object as kernel argument ``index`` (blasKernel takes one buffer twice)."""

    index: int


@dataclass(frozen=True, slots=True)
class Scalar:
    """A 32-bit scalar argument, already in the integer form pyxrt accepts.

    pyxrt's ``kernel.__call__`` / ``run.set_arg`` take buffers and C ``int``
    only: a ``float`` is silently dropped and ``np.float32`` truncated. So
    every scalar travels as a signed 32-bit int: floats as their IEEE-754 bit
    pattern (:meth:`f32`), unsigned values above 2**31 as their two's
    complement (:meth:`u32`); the kernel reads the same 32 bits as its type.
    """

    value: int
    name: str = ""
    kind: str = "int"  # "int" | "uint" | "f32" (for display)

    @classmethod
    def i32(cls, value: int, name: str = "") -> Scalar:
        v = int(value)
        if not -(2**31) <= v < 2**31:
            raise InvalidArgument(name or "scalar", f"{v} does not fit a 32-bit int")
        return cls(v, name, "int")

    @classmethod
    def u32(cls, value: int, name: str = "") -> Scalar:
        v = int(value)
        if not 0 <= v < 2**32:
            raise InvalidArgument(name or "scalar", f"{v} does not fit an unsigned 32-bit int")
        return cls(v - 2**32 if v >= 2**31 else v, name, "uint")

    @classmethod
    def f32(cls, value: float, name: str = "") -> Scalar:
        try:
            return cls(f32_bits(value), name, "f32")
        except (OverflowError, struct.error, TypeError):
            raise InvalidArgument(
                name or "scalar", f"{value!r}", "a number that fits a 32-bit float"
            ) from None


def f32_bits(value: float) -> int:
    """The bit pattern of ``float32(value)`` as a signed Python int (what pyxrt needs)."""
    return _I32.unpack(_F32.pack(value))[0]


def bits_f32(bits: int) -> float:
    """Inverse of :func:`f32_bits` (the device's view of the 32 bits)."""
    return _F32.unpack(_I32.pack(bits))[0]


_F32 = struct.Struct("<f")
_I32 = struct.Struct("<i")


Arg = In | Out | InOut | Scratch | Ref | Scalar


@dataclass
class KernelCall:
    """One invocation of one kernel, described well enough for either backend.

    ``args`` are in the kernel's argument order. ``extra`` are buffers the
    kernel reaches by address rather than as arguments (blasKernel's matrices);
    they get the memory group of argument 0. ``patch(arg_addresses,
    extra_addresses, scratch)`` is called after allocation and before any
    sync, with the device address of every buffer argument (None for
    scalars), of every extra buffer, and a writable uint8 view of each
    ``Scratch`` argument by index, so it can write an instruction that points
    at them. The emulation never calls it.

    ``model`` is the CPU model: it returns the output buffers (one per
    ``Out``/``InOut`` in ``args`` then ``extra``, in order) exactly as the
    kernel would leave them, so ``collect`` -- the host-side post-processing
    -- is the same code on both backends.
    """

    function: str
    kernel: str
    args: Sequence[Arg]
    model: Callable[[], Sequence[np.ndarray]]
    collect: Callable[[Sequence[np.ndarray]], Any] = lambda outs: outs[0]
    extra: Sequence[In | Out | Zeros] = ()
    patch: Callable[[Sequence[int | None], Sequence[int], dict[int, np.ndarray]], None] | None = (
        None
    )
    details: dict[str, Any] = field(default_factory=dict)


# --- results -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timings:
    """Seconds spent per phase; None where the backend cannot tell them apart.

    XRT: ``h2d`` is buffer setup, input staging and the TO_DEVICE syncs;
    ``kernel`` is ``start()`` to the end of ``wait()``; ``d2h`` the
    FROM_DEVICE syncs. Emulation: ``kernel`` is the CPU model; nothing is
    transferred, so ``h2d``/``d2h`` are None (shown as "n/a"), never 0.
    """

    total: float
    kernel: float | None = None
    h2d: float | None = None
    d2h: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {"total": self.total, "h2d": self.h2d, "kernel": self.kernel, "d2h": self.d2h}


def _fmt_s(s: float | None) -> str:
    if s is None:
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.0f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


@dataclass(frozen=True)
class Result:
    """What a library function returns: the value plus where and how it was computed.

    ``backend`` is ``"xrt"`` only when a kernel really ran on a board through
    pyxrt; otherwise ``"emulated"``, with ``reason`` saying why (``no pyxrt``,
    ``no device``, ``no xclbin for kernel X on platform Y``, ...).
    """

    function: str
    kernel: str
    value: Any
    backend: str
    reason: str
    timings: Timings
    device: str = ""
    xclbin: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def emulated(self) -> bool:
        return self.backend != BACKEND_XRT

    def __getitem__(self, key: Any) -> Any:
        return self.value[key]

    def label(self) -> str:
        """One line a user reads: never claims FPGA unless XRT ran it."""
        if self.emulated:
            return f"emulated on CPU ({self.reason})"
        where = self.device or "FPGA"
        return f"ran on {where} via XRT" + (f" ({self.xclbin})" if self.xclbin else "")

    def __repr__(self) -> str:
        t = self.timings
        phases = ""
        if t.kernel is not None:
            phases = f", kernel {_fmt_s(t.kernel)}"
        if t.h2d is not None or t.d2h is not None:
            phases += f", h2d {_fmt_s(t.h2d)}, d2h {_fmt_s(t.d2h)}"
        return f"<Result {self.function} [{self.label()}] total {_fmt_s(t.total)}{phases}>"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Where:
    """Where one kernel would run on this backend, and why: the runtime's one answer.

    Asked before anything runs (``%fpga list``, progress labels, ``%fpga load``)
    and decided by the backend itself, the same way it decides at call time,
    so what a view shows and what the :class:`Result` later says are the same
    words: ``backend``, ``reason``, ``device`` and ``xclbin`` match the
    Result of running the kernel. ``hardware`` is derived from ``backend`` so
    the two can never disagree.
    """

    kernel: str
    backend: str  # BACKEND_XRT | BACKEND_EMULATED
    reason: str  # for XRT the device it runs on; otherwise why it is emulated
    device: str = ""  # the board's label, or "CPU" for the emulation
    xclbin: str = ""  # the xclbin the kernel is (or would be) opened from; "" when emulated

    @property
    def hardware(self) -> bool:
        """True only when the kernel runs on a board through XRT."""
        return self.backend == BACKEND_XRT

    @property
    def detail(self) -> str:
        """What a user needs next to the verdict: the xclbin it loads, or why it is emulated."""
        return self.xclbin if self.hardware else self.reason


def _routed(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Route a backend method through :func:`board_call` as one ``kind`` of board use.

    A run or load answers with where it ran (:class:`Result` / :class:`Where`
    both carry ``backend`` and ``xclbin``); a pin answers nothing, and its
    xclbin is the file it was given, recorded only once the backend took it.
    """

    def route(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def routed(self: Backend, first: Any, *args: Any, **kwargs: Any) -> Any:
            with board_call(kind, self.name) as seen:
                answer = method(self, first, *args, **kwargs)
                if answer is None:
                    seen.xclbin = str(first)
                else:
                    seen.backend, seen.xclbin = answer.backend, answer.xclbin
                return answer

        routed.routed = True  # type: ignore[attr-defined]
        return routed

    return route


_ROUTES = {"run": _routed("run"), "load_kernel": _routed("load"), "pin_xclbin": _routed("pin")}


class Backend:
    """Interface every backend implements (XRT, emulation, wrappers such as a recorder).

    A wrapper must pass every method on to the backend it wraps: a method it
    inherits from here would answer for *this* class, not for the backend
    that actually runs the kernel.

    ``run``, ``load_kernel`` and ``pin_xclbin`` of this class and of every
    subclass are routed through :func:`jupyter_ext.activity.recorder.board_call`
    when the class is defined: that one place records the pod's FPGA activity
    and serialises the process's board calls, so no backend (present, future
    or a test's) can forget either.
    """

    name: str = ""
    reason: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for method, route in _ROUTES.items():
            own = cls.__dict__.get(method)
            if own is not None and not getattr(own, "routed", False):
                setattr(cls, method, route(own))

    @_ROUTES["run"]
    def run(self, call: KernelCall) -> Result:  # pragma: no cover - interface
        raise NotImplementedError

    def where(self, kernel: str) -> Where:  # pragma: no cover - interface
        """Where ``kernel`` would run if called now, without running or loading anything."""
        raise NotImplementedError

    @_ROUTES["load_kernel"]
    def load_kernel(self, kernel: str) -> Where:
        """Make ``kernel`` ready now (XRT programs its xclbin) instead of at the first call.

        Returns where it will run. A backend without a device has nothing to load.
        """
        return self.where(kernel)

    @_ROUTES["pin_xclbin"]
    def pin_xclbin(
        self, path: Path, kernels: Iterable[str], *, platform: str = "", mode: str = "hw"
    ) -> None:
        """Take ``kernels`` from the xclbin at ``path`` from now on (``%fpga load FILE``).

        ``platform`` and ``mode`` are the file's own, so a device backend can
        refuse (:class:`LoadRefused`) a file it cannot run. A backend without a
        device programs nothing, so there is nothing to pin or refuse.
        """

    def prepare(self, kernel: str, arg_index: int, array: np.ndarray) -> np.ndarray:
        """Place ``array`` where ``kernel``'s argument ``arg_index`` reads it without a copy.

        The emulation needs no placement and returns the array itself; XRT
        returns a device-buffer-backed array (one copy now, none per call).
        """
        return array

    def describe(self) -> dict[str, str]:
        return {"backend": self.name, "reason": self.reason}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {self.reason}>"

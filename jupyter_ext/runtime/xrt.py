"""The XRT backend: run a kernel on a real board through ``pyxrt``.

Follows the XRT Python binding as it is (docs/upstream-facts.md#xrt-and-pyxrt):

* load: see :mod:`.xrt_open` (hardware contexts on XRT 2023.2 and later,
  ``load_xclbin`` and a uuid on 2022.1 to 2023.1);
* buffers: ``pyxrt.bo(device, nbytes, pyxrt.bo.normal, kernel.group_id(i))``,
  read and written through zero-copy numpy views of ``bo.map()``, with an
  explicit ``sync(direction, nbytes, 0)`` each way (TO_DEVICE before the run,
  FROM_DEVICE after): the three-argument form, the only one XRT 2022.1 to
  2023.1 have;
* contracts: every call is checked against what its kernel can complete
  (:mod:`.contracts`) before anything is allocated, so a call that would hang
  the board is refused with the argument named;
* launch: ``pyxrt.run(kernel)``, ``set_arg`` with buffers and C ints only
  (floats go as their 32-bit pattern, see :class:`~jupyter_ext.runtime.base.Scalar`),
  ``start()``, ``wait(timeout_ms)``; any end state but COMPLETED is raised. A
  run that times out cannot be aborted (pyxrt has no ``abort``): its buffers
  are kept and the error says how to get the board back.

A kernel whose xclbin is not on the search path for this platform is run by
the emulation backend instead, and its result says so. That choice is made in
one place, :meth:`XRTBackend.where`, and kept per kernel: what ``%fpga list``
shows before a call is what the call then does.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np

from . import contracts
from .base import (
    BACKEND_EMULATED,
    BACKEND_XRT,
    SCRATCH_FIRST,
    Backend,
    FPGARuntimeError,
    In,
    InOut,
    InvalidArgument,
    KernelCall,
    KernelError,
    KernelTimeout,
    LoadRefused,
    Out,
    Ref,
    Result,
    Scalar,
    Scratch,
    Timings,
    Where,
    Zeros,
)
from .emulation import CPU, EmulationBackend
from .xrt_buffers import Buf, Loaded, Staging, XRTStats
from .xrt_open import open_kernel, program, read_xclbin

Locator = Callable[[str, str], "Path | None"]

# States of a run that has not finished (pyxrt exports no RUNNING state).
_UNFINISHED = {"ERT_CMD_STATE_NEW", "ERT_CMD_STATE_QUEUED", "ERT_CMD_STATE_SUBMITTED",
               "ERT_CMD_STATE_TIMEOUT"}  # fmt: skip
_INT32 = (-(2**31), 2**31 - 1)


class XRTBackend(Staging, Backend):
    """Runs :class:`KernelCall` s on device ``index`` of ``pyxrt``."""

    name = BACKEND_XRT

    def __init__(
        self,
        pyxrt: Any,
        device: Any,
        *,
        platform: str,
        locator: Locator,
        device_label: str = "",
        timeout_s: float = 60.0,
        bdf: str = "",
    ) -> None:
        self.pyxrt = pyxrt
        self.device = device
        self.platform = platform
        self.locator = locator
        self.device_label = device_label or platform or "FPGA"
        self.bdf = bdf
        self.timeout_s = float(timeout_s)
        self.reason = f"pyxrt device {self.device_label}"
        self.stats = XRTStats()
        # Where each kernel asked about so far runs: decided once, kept until pin_xclbin.
        self._decided: dict[str, Where] = {}
        self._kernels: dict[str, Loaded] = {}  # the kernels opened on the device
        self._xclbins: dict[
            Path, tuple[str, Any]
        ] = {}  # path -> ("hw_context", ctx) | ("uuid", uuid)
        self._lock = threading.RLock()
        self.abandoned: list[tuple[Any, tuple[Any, ...]]] = []  # runs that timed out
        self._emulation = EmulationBackend("no xclbin")
        sync = pyxrt.xclBOSyncDirection
        self._to_dev = sync.XCL_BO_SYNC_BO_TO_DEVICE
        self._from_dev = sync.XCL_BO_SYNC_BO_FROM_DEVICE
        self._completed = pyxrt.ert_cmd_state.ERT_CMD_STATE_COMPLETED

    # --- loading ---------------------------------------------------------------

    def where(self, kernel: str) -> Where:
        """Where ``kernel`` runs: the decision already taken for it, else the locator's answer.

        Asks the bitstream repository only: nothing is opened or programmed.
        """
        return self._decided.get(kernel) or self._locate(kernel)

    def _locate(self, kernel: str) -> Where:
        """Ask the locator, and turn its answer into the decision a call will act on."""
        try:
            path = self.locator(kernel, self.platform)
        except Exception as exc:  # an unreadable xclbin directory: emulate, and say why
            return self._emulated(kernel, f"xclbin search failed: {exc}")
        if path is None:
            return self._emulated(kernel, self._no_xclbin(kernel))
        return Where(kernel, BACKEND_XRT, self.reason, device=self.device_label, xclbin=str(path))

    def _emulated(self, kernel: str, reason: str) -> Where:
        return Where(kernel, BACKEND_EMULATED, reason, device=CPU)

    def _no_xclbin(self, kernel: str) -> str:
        return f"no xclbin for kernel {kernel} on platform {self.platform or '?'}"

    def pin_xclbin(
        self, path: Path, kernels: Iterable[str], *, platform: str = "", mode: str = "hw"
    ) -> None:
        """Take `kernels` from `path` from now on (``%fpga load FILE``); others as before.

        Refuses a file this board cannot run: one built for XRT's emulator, or
        for another platform. Kernels already open stay open from their xclbin;
        a kernel decided as "no xclbin" is looked up again.
        """
        if mode != "hw":
            raise LoadRefused(
                f"{path} is a {mode} xclbin (for XRT's emulator); it cannot program a board"
            )
        if self.platform and platform and platform != self.platform:
            raise LoadRefused(f"{path} is built for platform {platform}, "
                              f"but {self.device_label} runs {self.platform}")  # fmt: skip
        previous, wanted = self.locator, set(kernels)

        def locate(kernel: str, platform: str) -> Path | None:
            return path if kernel in wanted else previous(kernel, platform)

        self.locator = locate
        for kernel in wanted:
            decided = self._decided.get(kernel)
            if decided is not None and not decided.hardware:
                del self._decided[kernel]

    def load_kernel(self, kernel: str) -> Where:
        """Open ``kernel`` now (programming its xclbin onto the board); where it runs."""
        with self._lock:
            self._load(kernel)
            return self.where(kernel)

    def kernel_source(self, kernel: str) -> Path | None:
        """The xclbin this kernel would be loaded from (None: it would be emulated)."""
        loaded = self._load(kernel)
        return loaded.xclbin if loaded else None

    def _load(self, kernel: str) -> Loaded | None:
        where = self._decided.get(kernel)
        if where is None:
            where = self._locate(kernel)
            if where.hardware:  # a failed open decides nothing: the next call tries again
                self._kernels[kernel] = self._open(kernel, Path(where.xclbin))
            self._decided[kernel] = where
        return self._kernels.get(kernel)

    def _open(self, kernel: str, path: Path) -> Loaded:
        px = self.pyxrt
        try:
            handle = self._xclbins.get(path)
            if handle is None:
                handle = program(px, self.device, read_xclbin(px, path, kernel))
                if handle[0] == "uuid":
                    # Loading replaced whatever was on the device: kernels opened from
                    # another xclbin are no longer valid.
                    self._forget_other_xclbins(path)
                self._xclbins[path] = handle
            k = open_kernel(px, self.device, handle, kernel)
        except FPGARuntimeError:
            raise
        except Exception as exc:  # pyxrt raises RuntimeError with XRT's message
            raise FPGARuntimeError(
                f"could not open kernel {kernel!r} from {path} on {self.device_label}: {exc}"
            ) from exc
        loaded = Loaded(kernel, k, path)
        for index, nbytes in SCRATCH_FIRST.get(kernel, {}).items():
            self._scratch(loaded, index, nbytes)
        return loaded

    def _forget_other_xclbins(self, keep: Path) -> None:
        self._xclbins = {p: h for p, h in self._xclbins.items() if p == keep}
        self._kernels = {n: k for n, k in self._kernels.items() if k.xclbin == keep}
        self._decided = {n: w for n, w in self._decided.items()
                         if not w.hardware or n in self._kernels}  # fmt: skip

    # --- buffers ----------------------------------------------------------------

    # --- running ----------------------------------------------------------------

    def run(self, call: KernelCall) -> Result:
        with self._lock:
            lk = self._load(call.kernel)
            if lk is None:
                return self._emulation.run(call, reason=self.where(call.kernel).reason)
            return self._run(lk, call)

    def _checked(self, call: KernelCall) -> dict[int, np.ndarray]:
        """Refuse a call the kernel could not complete, before anything is allocated.

        Returns the input arrays by argument index (each lazy one built once).
        """
        arrays: dict[int, np.ndarray] = {}
        scalars: dict[int, int] = {}
        sizes: dict[int, int] = {}
        for i, a in enumerate(call.args):
            if isinstance(a, Scalar):
                scalars[i] = _c_int(call.kernel, i, a)
            elif isinstance(a, In):
                arrays[i] = np.asanyarray(a.array() if callable(a.array) else a.array)
                sizes[i] = max(arrays[i].nbytes, a.device_bytes)
            elif isinstance(a, Out):
                sizes[i] = math.prod(a.shape) * np.dtype(a.dtype).itemsize
            elif isinstance(a, InOut):
                sizes[i] = a.array.nbytes
            elif isinstance(a, Scratch):
                sizes[i] = a.nbytes
            elif isinstance(a, Ref):
                sizes[i] = sizes.get(a.index, 0)
        contracts.check(call.kernel, scalars, sizes)
        return arrays

    def _run(self, lk: Loaded, call: KernelCall) -> Result:
        t0 = perf_counter()
        inputs = self._checked(call)
        px = self.pyxrt
        args: list[Any] = []
        used: list[Buf] = []  # every buffer of the call, for the instruction check
        to_sync: list[Buf] = []
        outs: list[tuple[Buf, np.ndarray]] = []
        scratch: dict[int, np.ndarray] = {}
        for i, a in enumerate(call.args):
            if isinstance(a, Scalar):
                args.append(int(a.value))
                continue
            if isinstance(a, In):
                buf = self._input(lk, i, lk.group(i), a, inputs[i])
                to_sync.append(buf)
            elif isinstance(a, Out):
                arr = self._new_array(a.shape, a.dtype, lk.group(i))
                buf = (arr.bo, arr.nbytes)
                outs.append((buf, arr))
            elif isinstance(a, InOut):
                arr = self._new_array(a.array.shape, a.array.dtype, lk.group(i))
                np.copyto(arr, a.array)
                self.stats.param_writes += 1
                buf = (arr.bo, arr.nbytes)
                to_sync.append(buf)
                outs.append((buf, arr))
            elif isinstance(a, Scratch):
                bo, view = self._scratch(lk, i, a.nbytes)
                scratch[i] = view
                buf = (bo, a.nbytes)
                to_sync.append(buf)
            elif isinstance(a, Ref):
                args.append(args[a.index])
                continue
            else:  # pragma: no cover - KernelCall is typed
                raise TypeError(f"unknown kernel argument {a!r}")
            args.append(buf[0])
            used.append(buf)
        extra_bufs: list[Buf] = []
        if call.extra:
            g0 = lk.group(0)
            for e in call.extra:
                key = -1 - len(extra_bufs)
                if isinstance(e, In):
                    array = np.asanyarray(e.array() if callable(e.array) else e.array)
                    buf = self._input(lk, key, g0, e, array)
                    to_sync.append(buf)
                elif isinstance(e, Zeros):
                    buf = self._zeros(lk, key, g0, e)
                    to_sync.append(buf)
                else:
                    arr = self._new_array(e.shape, e.dtype, g0)
                    buf = (arr.bo, arr.nbytes)
                    outs.append((buf, arr))
                extra_bufs.append(buf)
        if call.patch is not None:
            arg_addr = [None if isinstance(v, int) else v.address() for v in args]
            extra_addr = [bo.address() for bo, _ in extra_bufs]
            call.patch(arg_addr, extra_addr, scratch)
            spans = [(bo.address(), n) for bo, n in used + extra_bufs]
            contracts.check_patched(call.kernel, scratch, arg_addr, spans)
        for bo, n in to_sync:
            self._sync(bo, n, self._to_dev)
        t1 = perf_counter()
        try:
            run = px.run(lk.kernel)
            for i, v in enumerate(args):
                run.set_arg(i, v)
            run.start()
            # wait(unsigned int ms); 0 would mean "no timeout"
            state = run.wait(min(max(int(self.timeout_s * 1000), 1), 2**32 - 1))
        except Exception as exc:
            raise KernelError(call.kernel, "EXCEPTION", str(exc)) from exc
        t2 = perf_counter()
        if state != self._completed:
            self._fail(call.kernel, state, run, args, outs)
        for (bo, n), _ in outs:
            self._sync(bo, n, self._from_dev)
        t3 = perf_counter()
        value = call.collect([arr for _, arr in outs])
        t4 = perf_counter()
        self.stats.calls += 1
        return Result(
            function=call.function,
            kernel=call.kernel,
            value=value,
            backend=BACKEND_XRT,
            reason=self.reason,
            timings=Timings(total=t4 - t0, kernel=t2 - t1, h2d=t1 - t0, d2h=t3 - t2),
            device=self.device_label,
            xclbin=str(lk.xclbin),
            details=call.details,
        )

    def _fail(self, kernel: str, state: Any, run: Any, *buffers: Any) -> None:
        name = getattr(state, "name", str(state))
        if name in _UNFINISHED:
            # The kernel may still be writing into these buffers, and pyxrt cannot abort a
            # run: keep them (and the run) alive rather than let XRT free memory under it.
            self.abandoned.append((run, buffers))
            raise KernelTimeout(kernel, self.timeout_s, self.device_label, self.bdf)
        raise KernelError(kernel, name)

    def describe(self) -> dict[str, str]:
        return {
            "backend": self.name,
            "reason": self.reason,
            "device": self.device_label,
            "platform": self.platform,
        }


def _c_int(kernel: str, index: int, a: Scalar) -> int:
    """A scalar as pyxrt's ``set_arg(int, int)`` takes it: a C int, never a float."""
    v = a.value
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, np.integer))
        or not (_INT32[0] <= int(v) <= _INT32[1])
    ):
        raise InvalidArgument(
            f"{kernel} argument {a.name or index}",
            repr(v),
            "a 32-bit int: pyxrt passes C ints only (floats as their bit pattern, Scalar.f32)",
        )
    return int(v)

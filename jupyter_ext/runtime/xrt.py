"""The XRT backend: run a kernel on a real board through ``pyxrt``.

Follows the XRT Python binding as it is (docs/upstream-facts.md#xrt-and-pyxrt):

* load: ``device.register_xclbin(xb)`` + ``pyxrt.hw_context(device, uuid)`` +
  ``pyxrt.kernel(ctx, name)``; on an XRT without hw_context, the older
  ``device.load_xclbin(xb)`` + ``pyxrt.kernel(device, uuid, name, pyxrt.kernel.shared)``;
* buffers: ``pyxrt.bo(device, nbytes, pyxrt.bo.normal, kernel.group_id(i))``,
  read and written through zero-copy numpy views of ``bo.map()``, with an
  explicit ``sync`` each way (TO_DEVICE before the run, FROM_DEVICE after);
* launch: ``pyxrt.run(kernel)``, ``set_arg`` with buffers and ints only (floats
  go as their 32-bit pattern, see :class:`~jupyter_ext.runtime.base.Scalar`),
  ``start()``, ``wait(timeout_ms)``; any end state but COMPLETED is raised.

A kernel whose xclbin is not on the search path for this platform is run by
the emulation backend instead, and its result says so. That choice is made in
one place, :meth:`XRTBackend.where`, and kept per kernel: what ``%fpga list``
shows before a call is what the call then does.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np

from .base import (
    BACKEND_EMULATED,
    BACKEND_XRT,
    CONSTANT_MAX_BYTES,
    SCRATCH_FIRST,
    Backend,
    FPGARuntimeError,
    In,
    InOut,
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
from .buffers import DeviceArray, map_array, usable_in_place
from .emulation import CPU, EmulationBackend

Locator = Callable[[str, str], "Path | None"]

_RUNNING_STATES = {"ERT_CMD_STATE_NEW", "ERT_CMD_STATE_QUEUED", "ERT_CMD_STATE_RUNNING",
                   "ERT_CMD_STATE_SUBMITTED"}  # fmt: skip


class _Loaded:
    """One kernel opened from one xclbin, with its buffer memory groups cached."""

    __slots__ = ("constants", "groups", "kernel", "name", "staging", "xclbin")

    def __init__(self, name: str, kernel: Any, xclbin: Path) -> None:
        self.name = name
        self.kernel = kernel
        self.xclbin = xclbin
        self.groups: dict[int, int] = {}
        # input staging buffers, reused across calls: (arg index, nbytes) -> (bo, view)
        self.staging: dict[tuple[int, int], tuple[Any, np.ndarray]] = {}
        # constant parameter blocks and zero buffers: (arg index, content or size) -> bo
        self.constants: dict[tuple[int, Any], Any] = {}

    def group(self, index: int) -> int:
        g = self.groups.get(index)
        if g is None:
            g = self.groups[index] = int(self.kernel.group_id(index))
        return g


class XRTStats:
    """Counters the benchmark and tests read: host copies the backend itself made."""

    __slots__ = ("calls", "param_writes", "staged_bytes", "staged_copies")

    def __init__(self) -> None:
        self.calls = 0
        self.staged_copies = 0  # caller data copied into a staging buffer
        self.staged_bytes = 0
        self.param_writes = 0  # small parameter blocks written (new constants, InOut seeds)


class XRTBackend(Backend):
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
    ) -> None:
        self.pyxrt = pyxrt
        self.device = device
        self.platform = platform
        self.locator = locator
        self.device_label = device_label or platform or "FPGA"
        self.timeout_s = float(timeout_s)
        self.reason = f"pyxrt device {self.device_label}"
        self.stats = XRTStats()
        # Where each kernel asked about so far runs: decided once, kept until pin_xclbin.
        self._decided: dict[str, Where] = {}
        self._kernels: dict[str, _Loaded] = {}  # the kernels opened on the device
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

    def _load(self, kernel: str) -> _Loaded | None:
        where = self._decided.get(kernel)
        if where is None:
            where = self._locate(kernel)
            if where.hardware:  # a failed open decides nothing: the next call tries again
                self._kernels[kernel] = self._open(kernel, Path(where.xclbin))
            self._decided[kernel] = where
        return self._kernels.get(kernel)

    def _open(self, kernel: str, path: Path) -> _Loaded:
        px = self.pyxrt
        try:
            handle = self._xclbins.get(path)
            if handle is None:
                xb = px.xclbin(str(path))
                names = [k.get_name() for k in xb.get_kernels()]
                if kernel not in names:
                    raise FPGARuntimeError(
                        f"{path}: the bitstream repository chose it for kernel {kernel!r} "
                        f"but it holds only {', '.join(names) or 'no kernels'}"
                    )
                if hasattr(px, "hw_context") and hasattr(self.device, "register_xclbin"):
                    self.device.register_xclbin(xb)
                    handle = ("hw_context", px.hw_context(self.device, xb.get_uuid()))
                else:
                    # XRT before hw_context: loading replaces whatever was on the device,
                    # so kernels opened from another xclbin are no longer valid.
                    handle = ("uuid", self.device.load_xclbin(xb))
                    self._forget_other_xclbins(path)
                self._xclbins[path] = handle
            how, h = handle
            if how == "hw_context":
                k = px.kernel(h, kernel)
            else:
                k = px.kernel(self.device, h, kernel, px.kernel.shared)
        except FPGARuntimeError:
            raise
        except Exception as exc:  # pyxrt raises RuntimeError with XRT's message
            raise FPGARuntimeError(
                f"could not open kernel {kernel!r} from {path} on {self.device_label}: {exc}"
            ) from exc
        loaded = _Loaded(kernel, k, path)
        for index, nbytes in SCRATCH_FIRST.get(kernel, {}).items():
            self._scratch(loaded, index, nbytes)
        return loaded

    def _forget_other_xclbins(self, keep: Path) -> None:
        self._xclbins = {p: h for p, h in self._xclbins.items() if p == keep}
        self._kernels = {n: k for n, k in self._kernels.items() if k.xclbin == keep}
        self._decided = {n: w for n, w in self._decided.items()
                         if not w.hardware or n in self._kernels}  # fmt: skip

    # --- buffers ----------------------------------------------------------------

    def _alloc(self, nbytes: int, group: int) -> Any:
        return self.pyxrt.bo(self.device, max(int(nbytes), 1), self.pyxrt.bo.normal, group)

    def _new_array(self, shape: tuple[int, ...], dtype: Any, group: int) -> DeviceArray:
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        return map_array(self._alloc(nbytes, group), tuple(shape), dtype, group, self)

    def _input(self, lk: _Loaded, index: int, group: int, arg: In) -> Any:
        """The bo to pass for an input: the array's own when it is one, else a staged copy."""
        array = arg.array() if callable(arg.array) else arg.array
        if usable_in_place(array, group, self):
            return array.bo
        if arg.constant and array.nbytes <= CONSTANT_MAX_BYTES:
            return self._constant(lk, index, group, array)
        key = (index, array.nbytes)
        cached = lk.staging.get(key)
        if cached is None:
            bo = self._alloc(array.nbytes, group)
            flat = np.frombuffer(bo.map(), dtype=np.uint8, count=array.nbytes)
            cached = lk.staging[key] = (bo, flat)
        bo, flat = cached
        # The one host copy of the call: the caller's array into the buffer's mapping.
        src = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
        np.copyto(flat, src)
        self.stats.staged_copies += 1
        self.stats.staged_bytes += array.nbytes
        return bo

    def _constant(self, lk: _Loaded, index: int, group: int, array: np.ndarray) -> Any:
        key = (index, np.ascontiguousarray(array).tobytes())
        cached = lk.constants.get(key)
        if cached is None:
            if len(lk.constants) >= 64:  # parameters that never repeat: do not grow forever
                lk.constants.clear()
            bo = self._alloc(array.nbytes, group)
            np.frombuffer(bo.map(), np.uint8, count=array.nbytes)[:] = np.frombuffer(
                key[1], np.uint8
            )
            self.stats.param_writes += 1
            cached = lk.constants[key] = bo
        return cached

    def _zeros(self, lk: _Loaded, index: int, group: int, z: Zeros) -> Any:
        nbytes = math.prod(z.shape) * np.dtype(z.dtype).itemsize
        key = (index, ("zeros", nbytes))
        bo = lk.constants.get(key)
        if bo is None:
            bo = lk.constants[key] = self._alloc(nbytes, group)
            np.frombuffer(bo.map(), np.uint8, count=nbytes)[:] = 0  # device memory is not zeroed
            self.stats.param_writes += 1
        return bo

    def _scratch(self, lk: _Loaded, index: int, nbytes: int) -> tuple[Any, np.ndarray]:
        key = (index, -nbytes)  # negative: never collides with an input staging key
        cached = lk.staging.get(key)
        if cached is None:
            bo = self._alloc(nbytes, lk.group(index))
            cached = lk.staging[key] = (bo, np.frombuffer(bo.map(), dtype=np.uint8, count=nbytes))
        return cached

    def prepare(self, kernel: str, arg_index: int, array: Any) -> Any:
        with self._lock:
            lk = self._load(kernel)
            if lk is None:
                return array
            if not isinstance(array, np.ndarray):  # bytes-like: its bytes
                array = np.frombuffer(memoryview(array).cast("B"), np.uint8)
            out = self._new_array(array.shape, array.dtype, lk.group(arg_index))
            np.copyto(out, array)
            return out

    # --- running ----------------------------------------------------------------

    def run(self, call: KernelCall) -> Result:
        with self._lock:
            lk = self._load(call.kernel)
            if lk is None:
                return self._emulation.run(call, reason=self.where(call.kernel).reason)
            return self._run(lk, call)

    def _run(self, lk: _Loaded, call: KernelCall) -> Result:
        t0 = perf_counter()
        px = self.pyxrt
        args: list[Any] = []
        to_sync: list[Any] = []
        outs: list[tuple[Any, np.ndarray]] = []
        scratch: dict[int, np.ndarray] = {}
        for i, a in enumerate(call.args):
            if isinstance(a, Scalar):
                args.append(a.value)
            elif isinstance(a, In):
                bo = self._input(lk, i, lk.group(i), a)
                args.append(bo)
                to_sync.append(bo)
            elif isinstance(a, Out):
                arr = self._new_array(a.shape, a.dtype, lk.group(i))
                args.append(arr.bo)
                outs.append((arr.bo, arr))
            elif isinstance(a, InOut):
                arr = self._new_array(a.array.shape, a.array.dtype, lk.group(i))
                np.copyto(arr, a.array)
                self.stats.param_writes += 1
                args.append(arr.bo)
                to_sync.append(arr.bo)
                outs.append((arr.bo, arr))
            elif isinstance(a, Scratch):
                bo, view = self._scratch(lk, i, a.nbytes)
                scratch[i] = view
                args.append(bo)
                to_sync.append(bo)
            elif isinstance(a, Ref):
                args.append(args[a.index])
            else:  # pragma: no cover - KernelCall is typed
                raise TypeError(f"unknown kernel argument {a!r}")
        extra_bos = []
        if call.extra:
            g0 = lk.group(0)
            for e in call.extra:
                if isinstance(e, In):
                    bo = self._input(lk, -1 - len(extra_bos), g0, e)
                    to_sync.append(bo)
                elif isinstance(e, Zeros):
                    bo = self._zeros(lk, -1 - len(extra_bos), g0, e)
                    to_sync.append(bo)
                else:
                    arr = self._new_array(e.shape, e.dtype, g0)
                    bo = arr.bo
                    outs.append((bo, arr))
                extra_bos.append(bo)
        if call.patch is not None:
            arg_addr = [None if isinstance(v, int) else v.address() for v in args]
            call.patch(arg_addr, [bo.address() for bo in extra_bos], scratch)
        for bo in to_sync:
            bo.sync(self._to_dev)
        t1 = perf_counter()
        try:
            run = px.run(lk.kernel)
            for i, v in enumerate(args):
                run.set_arg(i, v)
            run.start()
            state = run.wait(int(self.timeout_s * 1000))
        except Exception as exc:
            raise KernelError(call.kernel, "EXCEPTION", str(exc)) from exc
        t2 = perf_counter()
        if state != self._completed:
            self._fail(call.kernel, state, run, args, outs)
        for bo, _ in outs:
            bo.sync(self._from_dev)
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
        if name == "ERT_CMD_STATE_TIMEOUT" or name in _RUNNING_STATES:
            # The kernel may still be writing into these buffers: keep them (and the run)
            # alive rather than let XRT free memory under a running kernel.
            self.abandoned.append((run, buffers))
            abort = getattr(run, "abort", None)
            if abort is not None:
                with contextlib.suppress(Exception):
                    abort()
            raise KernelTimeout(kernel, self.timeout_s)
        raise KernelError(kernel, name)

    def describe(self) -> dict[str, str]:
        return {
            "backend": self.name,
            "reason": self.reason,
            "device": self.device_label,
            "platform": self.platform,
        }

"""Buffers and runs of the double: separate host and device memory, and kernels that can hang.

Why it matters: every buffer has a host side (what ``map()`` shows) and a
device side (what a kernel reads), and only ``sync`` copies between them, so
a missing sync gives a wrong answer instead of a silent pass. Device memory
starts as 0xA5 garbage. ``set_arg`` refuses a buffer from a memory group the
kernel argument is not connected to, as XRT does.

A started run first asks ``kernel_rules`` whether the kernel could complete
the call (a ``bs_kernel`` ``num`` that is not whole 512-bit words, a vision
image over the build's size, a gzip ``input_size`` of 0 ...). If not, the run
*hangs*: ``wait(timeout_ms)`` answers ``ERT_CMD_STATE_TIMEOUT`` and
``wait()`` raises :class:`~.board.BoardHang`; or, for an access outside its
buffers, ends in ``ERT_CMD_STATE_ERROR``. Otherwise the kernel's function in
``kernels.py`` computes on device memory (unless the board was made with
``compute=False``, which only checks contracts and leaves zeros in every
buffer of the run).
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any

import numpy as np

from . import kernel_rules
from .board import Board, BoardHang
from .build import Overload
from .device import enum_name

MAX_BO = 2**30  # larger buffers are refused rather than allocated twice in host memory


def run_behaviour(board: Board) -> dict[str, Any]:
    b = board

    def state(name: str) -> Any:
        return getattr(b.module.ert_cmd_state, name)

    # --- buffers --------------------------------------------------------------------------

    def bo_init(ov: Overload, a: list[Any]) -> None:
        self, types = a[0], ov.types
        if types[0] == "pyxrt.bo":  # sub-buffer (parent, size, offset)
            parent, size, offset = a[1]._s, a[2], a[3]
            if offset + size > parent.size:
                raise RuntimeError("sub-buffer size and offset exceed the parent buffer")
            self._s = SimpleNamespace(size=size, group=parent.group, flags=parent.flags,
                                      host=parent.host[offset : offset + size],
                                      dev=parent.dev[offset : offset + size],
                                      address=parent.address + offset)  # fmt: skip
            return
        size = a[2]
        flags, group = (a[3], a[4]) if len(types) == 4 else (b.module.bo.normal, a[3])
        owner = getattr(a[1], "_s", None)
        if (
            owner is None
            or (getattr(owner, "index", 0) is None)
            or (hasattr(owner, "xclbin") and owner.xclbin is None)
        ):
            raise RuntimeError("bo: the device or hardware context handle is empty")
        if size == 0:
            raise RuntimeError("Invalid buffer size 0")
        if size > MAX_BO:
            raise RuntimeError(f"Failed to allocate a {size}-byte buffer (the double's limit "
                               f"is {MAX_BO} bytes of device memory per buffer)")  # fmt: skip
        host = np.zeros(size, np.uint8)
        dev = np.full(size, 0xA5, np.uint8)  # garbage until synced or written by a kernel
        self._s = SimpleNamespace(size=size, group=group, flags=flags, host=host, dev=dev)
        self._s.address = b.allocate(self, size)
        b.record("bo", size=size, group=group, address=self._s.address, flags=int(flags))

    def bo_map(ov: Overload, a: list[Any]) -> memoryview:
        b.record("map", address=a[0]._s.address)
        return memoryview(a[0]._s.host)

    def bo_sync(ov: Overload, a: list[Any]) -> None:
        s = a[0]._s
        direction = enum_name(a[1])
        size, offset = (a[2], a[3]) if len(a) == 4 else (s.size, 0)
        if offset + size > s.size:
            raise RuntimeError(
                f"sync: size {size} at offset {offset} exceeds the buffer ({s.size})"
            )
        end = offset + size
        if direction == "XCL_BO_SYNC_BO_TO_DEVICE":
            s.dev[offset:end] = s.host[offset:end]
        elif direction == "XCL_BO_SYNC_BO_FROM_DEVICE":
            s.host[offset:end] = s.dev[offset:end]
        else:
            raise RuntimeError(f"sync direction {direction} needs an AIE device")
        b.record("sync", direction=direction, address=s.address, size=size, offset=offset)

    def bo_write(ov: Overload, a: list[Any]) -> None:
        s, data, seek = a[0]._s, np.frombuffer(memoryview(a[1]).cast("B"), np.uint8), a[2]
        if seek + data.size > s.size:
            raise RuntimeError("write exceeds the buffer")
        s.host[seek : seek + data.size] = data
        b.copies["write"] += 1
        b.copies["bytes"] += data.size
        b.record("write", address=s.address, size=data.size)

    def bo_read(ov: Overload, a: list[Any]) -> np.ndarray:
        s, size, skip = a[0]._s, a[1], a[2]
        if skip + size > s.size:
            raise RuntimeError("read exceeds the buffer")
        b.copies["read"] += 1
        b.copies["bytes"] += size
        b.record("read", address=s.address, size=size)
        return s.host[skip : skip + size].view(np.int8).copy()

    # --- runs -------------------------------------------------------------------------------

    def run_init(ov: Overload, a: list[Any]) -> None:
        k = a[1]._s if ov.types else None
        a[0]._s = SimpleNamespace(kernel=k, args={}, state="ERT_CMD_STATE_NEW", outcome=None)
        if k is not None:
            b.record("run", kernel=k.name)

    def _kernel_of(r: Any) -> Any:
        if r._s.kernel is None:
            raise RuntimeError("run is empty (pyxrt.run() has no kernel)")
        return r._s.kernel

    def set_arg(ov: Overload, a: list[Any]) -> None:
        r, index, value = a
        k = _kernel_of(r)
        if not 0 <= index < len(k.spec.args):
            raise RuntimeError(f"Invalid kernel argument index '{index}' ({k.name})")
        is_bo = ov.types[1] != "int"
        kind = k.spec.args[index][1]
        if is_bo != (kind == "buffer"):
            raise RuntimeError(f"{k.name} argument {index} ({k.spec.args[index][0]}) is "
                               f"{'a buffer' if kind == 'buffer' else 'a scalar'}")  # fmt: skip
        if is_bo:
            want = k.spec.groups.get(index, 10 + index)
            if value._s.group != want:
                raise RuntimeError(f"{k.name} argument {index}: buffer in memory group "
                                   f"{value._s.group} is not connected to it (group {want})")  # fmt: skip
        r._s.args[index] = value
        shown = value._s.address if is_bo else value
        b.record("set_arg", index=index, value=shown, buffer=is_bo)

    def start(ov: Overload, a: list[Any]) -> None:
        r = a[0]
        k = _kernel_of(r)
        loaded = k.device._s.loaded
        if k.via == "uuid" and (loaded is None or loaded._s.uuid != k.uuid):
            raise RuntimeError(f"{k.name}: its xclbin {k.uuid} is no longer loaded on the device "
                               "(load_xclbin replaced it)")  # fmt: skip
        b.record("start", kernel=k.name)
        r._s.state = "ERT_CMD_STATE_SUBMITTED"
        forced = b.behaviour.end_states.pop(0) if b.behaviour.end_states else None
        if forced is not None:
            r._s.outcome = ("hang", "forced by the test") if forced == "hang" else (forced, "")
            return
        r._s.outcome = _execute(b, k, r._s.args)

    def wait(ov: Overload, a: list[Any]) -> Any:
        r = a[0]
        k = _kernel_of(r)
        timeout = a[1] if len(a) > 1 else 0
        outcome, why = r._s.outcome or ("ERT_CMD_STATE_NEW", "")
        if outcome == "hang":
            if timeout == 0:  # 0 is "no timeout" in XRT
                b.record("wait", kernel=k.name, timeout_ms=timeout, state="hang")
                raise BoardHang(f"{k.name} never completes on a board, and wait() has no "
                                f"timeout: {why}")  # fmt: skip
            answer = "ERT_CMD_STATE_TIMEOUT"
        else:
            answer = r._s.state = outcome
        b.record("wait", kernel=k.name, timeout_ms=timeout, state=answer)
        return state(answer)

    def call(ov: Overload, a: list[Any]) -> Any:
        """``kernel(*args)``: pyxrt tries each argument as a bo, then as a C int, and drops it
        silently if neither fits (a Python float simply never reaches the kernel)."""
        module = b.module
        r = module.run(a[0])
        as_int = module.run.set_arg.overloads[1].params[2]
        for i, item in enumerate(a[1:]):
            if isinstance(item, module.bo):
                ok, value = True, item
            else:
                ok, value = as_int.convert(item)
            if ok:
                with contextlib.suppress(RuntimeError):  # pyxrt's __call__ swallows these too
                    r.set_arg(i, value)
        r.start()
        return r

    return {
        "bo.__init__": bo_init, "bo.map": bo_map, "bo.sync": bo_sync, "bo.write": bo_write,
        "bo.read": bo_read, "bo.size": lambda ov, a: a[0]._s.size,
        "bo.address": lambda ov, a: a[0]._s.address,
        "run.__init__": run_init, "run.set_arg": set_arg, "run.start": start, "run.wait": wait,
        "run.state": lambda ov, a: state(a[0]._s.state), "kernel.__call__": call,
    }  # fmt: skip


def _execute(board: Board, k: Any, args: dict[int, Any]) -> tuple[str, str]:
    """The end state of one run: a hang or an error if the kernel cannot complete it."""
    spec = k.spec
    missing = [i for i in range(len(spec.args)) if i not in args]
    if missing:
        why = f"arguments {missing} were never set; the kernel reads whatever the registers hold"
        board.errors.append((k.name, why))
        return "ERT_CMD_STATE_ERROR", why
    values = [_decode(kind, args[i]) for i, (_, kind) in enumerate(spec.args)]
    verdict = kernel_rules.judge(k.name, values, k.xclbin._s.keyvalues, board)
    if verdict is not None:
        outcome, why = verdict
        (board.hangs if outcome == "hang" else board.errors).append((k.name, why))
        board.record("contract", kernel=k.name, outcome=outcome, why=why)
        return ("hang" if outcome == "hang" else "ERT_CMD_STATE_ERROR"), why
    if not board.compute:  # contracts only: the run completes with zeros in its buffers
        for v in values:
            if not isinstance(v, (int, float)):
                v._s.dev[:] = 0
    else:
        spec.impl(*values)
        after = kernel_rules.judge_after(k.name, values, board)
        if after is not None:
            board.errors.append((k.name, after))
            board.record("contract", kernel=k.name, outcome="error", why=after)
            return "ERT_CMD_STATE_ERROR", after
    return "ERT_CMD_STATE_COMPLETED", ""


def _decode(kind: str, value: Any) -> Any:
    """A scalar as the kernel reads its 32 bits (buffers pass through)."""
    if kind == "buffer":
        return value
    if kind == "float":
        return float(np.int32(value).view(np.float32))
    if kind == "uint":
        return value & 0xFFFFFFFF
    return value

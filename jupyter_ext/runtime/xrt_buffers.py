"""The XRT backend's buffers: staging, constants, scratch, and arrays that live on the device.

Why apart from :mod:`.xrt`: these are the copies a call costs, and the rules
that keep them down -- an input already in device memory (a
:class:`~.buffers.DeviceArray` from ``prepare``) is used in place, small
parameter blocks are written once per distinct content, staging buffers are
reused across calls -- and, since kernels may read past their data in whole
bursts, the padding :mod:`.contracts` asks for (``In.device_bytes``), always
zero-filled so a kernel never sees a previous call's bytes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from . import contracts
from .base import CONSTANT_MAX_BYTES, In, Zeros
from .buffers import DeviceArray, map_array, usable_in_place

Buf = tuple[Any, int]  # a bo and the bytes of it the kernel uses (what is synced)


class Loaded:
    """One kernel opened from one xclbin, with its buffer memory groups cached."""

    __slots__ = ("constants", "groups", "kernel", "name", "staging", "xclbin")

    def __init__(self, name: str, kernel: Any, xclbin: Path) -> None:
        self.name = name
        self.kernel = kernel
        self.xclbin = xclbin
        self.groups: dict[int, int] = {}
        # input staging buffers, reused across calls: (arg index, device bytes) -> (bo, view)
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


class Staging:
    """Buffer handling of :class:`~.xrt.XRTBackend`, which provides ``pyxrt``, ``device``,
    ``stats``, ``_lock`` and ``_load``."""

    pyxrt: Any
    device: Any
    stats: XRTStats
    _lock: Any

    def _load(self, kernel: str) -> Loaded | None:  # pragma: no cover - XRTBackend's
        raise NotImplementedError

    def _alloc(self, nbytes: int, group: int) -> Any:
        return self.pyxrt.bo(self.device, max(int(nbytes), 1), self.pyxrt.bo.normal, group)

    def _sync(self, bo: Any, nbytes: int, direction: Any) -> None:
        # sync(direction, size, offset): the one form every XRT from 2022.1 to 2.25 has.
        bo.sync(direction, max(int(nbytes), 1), 0)

    def _new_array(
        self, shape: tuple[int, ...], dtype: Any, group: int, capacity: int = 0
    ) -> DeviceArray:
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        size = max(nbytes, capacity, 1)
        return map_array(self._alloc(size, group), tuple(shape), dtype, group, self, size)

    def _input(self, lk: Loaded, index: int, group: int, arg: In, array: np.ndarray) -> Buf:
        """The bo to pass for an input: the array's own when it is one, else a staged copy."""
        need = max(array.nbytes, arg.device_bytes)
        if isinstance(array, DeviceArray) and usable_in_place(array, group, self, need):
            return array.bo, need
        if arg.constant and need <= CONSTANT_MAX_BYTES:
            return self._constant(lk, index, group, array), array.nbytes
        key = (index, need)
        cached = lk.staging.get(key)
        if cached is None:
            bo = self._alloc(need, group)
            flat = np.frombuffer(bo.map(), dtype=np.uint8, count=need)
            cached = lk.staging[key] = (bo, flat)
        bo, flat = cached
        # The one host copy of the call: the caller's array into the buffer's mapping.
        src = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
        np.copyto(flat[: src.size], src)
        if need > src.size:
            flat[src.size :] = 0  # padding the kernel reads: never a previous call's data
        self.stats.staged_copies += 1
        self.stats.staged_bytes += array.nbytes
        return bo, need

    def _constant(self, lk: Loaded, index: int, group: int, array: np.ndarray) -> Any:
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

    def _zeros(self, lk: Loaded, index: int, group: int, z: Zeros) -> Buf:
        nbytes = math.prod(z.shape) * np.dtype(z.dtype).itemsize
        key = (index, ("zeros", nbytes))
        bo = lk.constants.get(key)
        if bo is None:
            bo = lk.constants[key] = self._alloc(nbytes, group)
            np.frombuffer(bo.map(), np.uint8, count=nbytes)[:] = 0  # device memory is not zeroed
            self.stats.param_writes += 1
        return bo, nbytes

    def _scratch(self, lk: Loaded, index: int, nbytes: int) -> tuple[Any, np.ndarray]:
        key = (index, -nbytes)  # negative: never collides with an input staging key
        cached = lk.staging.get(key)
        if cached is None:
            bo = self._alloc(nbytes, lk.group(index))
            cached = lk.staging[key] = (bo, np.frombuffer(bo.map(), dtype=np.uint8, count=nbytes))
        return cached

    def prepare(self, kernel: str, arg_index: int, array: Any) -> Any:
        """``array`` copied once into a device buffer the kernel reads in place (padding included)."""
        with self._lock:
            lk = self._load(kernel)
            if lk is None:
                return array
            if not isinstance(array, np.ndarray):  # bytes-like: its bytes
                array = np.frombuffer(memoryview(array).cast("B"), np.uint8)
            capacity = contracts.device_bytes(kernel, arg_index, array.nbytes)
            out = self._new_array(array.shape, array.dtype, lk.group(arg_index), capacity)
            np.copyto(out, array)
            return out

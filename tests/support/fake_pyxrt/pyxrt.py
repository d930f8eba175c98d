"""A stand-in for XRT's ``pyxrt`` binding, for tests and the runtime benchmark.

It has the real module's names and call signatures (XRT's pybind11 module,
see docs/upstream-facts.md#xrt-and-pyxrt), refuses what the real one refuses --
a Python or numpy float given to ``run.set_arg`` / ``kernel(...)``, an int that
does not fit a C ``int``, a kernel name the xclbin does not hold, a hw_context for an
xclbin that was not registered -- and keeps separate "host" and "device"
memory for every buffer, so data only reaches the kernel through
``sync(TO_DEVICE)`` and only comes back through ``sync(FROM_DEVICE)``.

Everything a board would see is appended to :data:`CALLS` as
``(name, details)``; explicit copies (``bo.write`` / ``bo.read``) are also
counted in :data:`COPIES`. Kernels "run" the Python functions registered in
:data:`KERNELS` (see ``kernels.py``) on the device memory, at ``run.wait``.

Not a real device: loaded only by tests, never put on ``sys.path`` for the
whole session.
"""

from __future__ import annotations

import enum
import uuid as _uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

CALLS: list[tuple[str, dict[str, Any]]] = []
COPIES = {"write": 0, "read": 0, "bytes": 0}


@dataclass
class FakeKernel:
    """Device behaviour of one kernel: argument kinds and what it computes."""

    args: list[tuple[str, str]]  # (name, "buffer" | "int" | "uint" | "float")
    impl: Callable[..., None]  # impl(*args): buffers as device uint8 arrays, scalars decoded
    groups: dict[int, int] = field(default_factory=dict)  # arg index -> memory group


KERNELS: dict[str, FakeKernel] = {}


@dataclass
class Behaviour:
    """Knobs tests turn: device count, info, and how the next runs end."""

    devices: int = 1
    name: str = "xilinx_u250_gen3x16_xdma_shell_4_1"
    bdf: str = "0000:65:00.1"
    end_states: list[str] = field(default_factory=list)  # consumed one per run.wait


BEHAVIOUR = Behaviour()


def reset(devices: int = 1) -> None:
    CALLS.clear()
    COPIES.update(write=0, read=0, bytes=0)
    BEHAVIOUR.devices = devices
    BEHAVIOUR.end_states.clear()
    _Memory.next_address = 0x4000000000
    _Memory.by_address.clear()


def _record(call: str, /, **details: Any) -> None:
    CALLS.append((call, details))


def _c_int(name: str, value: Any) -> int:
    # pybind11's int caster: no float (Python or numpy), and it must fit a C int.
    if isinstance(value, (float, np.floating)) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name}(): incompatible function arguments; got {type(value).__name__} {value!r}"
        )
    v = int(value)
    if not -(2**31) <= v < 2**31:
        raise TypeError(f"{name}(): {v} does not fit a C int")
    return v


# --- enums ------------------------------------------------------------------------


xrt_info_device = enum.Enum(
    "xrt_info_device",
    "bdf interface_uuid kdma max_clock_frequency_mhz m2m name nodma offline electrical "
    "thermal mechanical memory platform pcie_info host dynamic_regions vmr",
)
xclBOSyncDirection = enum.Enum(
    "xclBOSyncDirection",
    "XCL_BO_SYNC_BO_TO_DEVICE XCL_BO_SYNC_BO_FROM_DEVICE XCL_BO_SYNC_BO_GMIO_TO_AIE "
    "XCL_BO_SYNC_BO_AIE_TO_GMIO",
    start=0,
)
ert_cmd_state = enum.Enum(
    "ert_cmd_state",
    "ERT_CMD_STATE_NEW ERT_CMD_STATE_QUEUED ERT_CMD_STATE_RUNNING ERT_CMD_STATE_COMPLETED "
    "ERT_CMD_STATE_ERROR ERT_CMD_STATE_ABORT ERT_CMD_STATE_SUBMITTED ERT_CMD_STATE_TIMEOUT "
    "ERT_CMD_STATE_NORESPONSE",
)


def enumerate_devices() -> int:
    _record("enumerate_devices")
    return BEHAVIOUR.devices


# --- xclbin -------------------------------------------------------------------------


class uuid:
    def __init__(self, raw: bytes) -> None:
        self._raw = bytes(raw)

    def to_string(self) -> str:
        return str(_uuid.UUID(bytes=self._raw))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, uuid) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)


class _XclbinKernel:
    def __init__(self, name: str, nargs: int) -> None:
        self._name, self._nargs = name, nargs

    def get_name(self) -> str:
        return self._name

    def get_num_args(self) -> int:
        return self._nargs


class xclbin:
    """Reads a real file (with the project's AXLF parser); refuses what XRT refuses."""

    def __init__(self, path: str) -> None:
        from jupyter_ext.xclbin.model import XclbinError
        from jupyter_ext.xclbin.parser import parse_xclbin

        if not isinstance(path, str):
            raise TypeError("xclbin(): incompatible function arguments")
        try:
            x = parse_xclbin(path)
        except XclbinError as exc:
            raise RuntimeError(str(exc)) from None
        self._path = path
        self._vbnv = x.platform_vbnv
        self._uuid = uuid(_uuid.UUID(x.uuid).bytes)
        self._kernels = list(x.kernel_names)
        _record("xclbin", path=path)

    def get_kernels(self) -> list[_XclbinKernel]:
        return [
            _XclbinKernel(n, len(KERNELS[n].args) if n in KERNELS else 0) for n in self._kernels
        ]

    def get_xsa_name(self) -> str:
        return self._vbnv

    def get_uuid(self) -> uuid:
        return self._uuid

    def get_mems(self) -> list[Any]:
        return []


# --- device, context, kernel -------------------------------------------------------------


class device:
    def __init__(self, index: int | str = 0) -> None:
        if isinstance(index, str):
            if index != BEHAVIOUR.bdf:
                raise RuntimeError(f"No such device '{index}'")
            index = 0
        index = _c_int("device", index)
        if not 0 <= index < BEHAVIOUR.devices:
            raise RuntimeError(f"Could not open device with index '{index}'")
        self._index = index
        self._registered: dict[uuid, xclbin] = {}
        self._loaded: xclbin | None = None
        _record("device", index=index)

    def get_info(self, key: xrt_info_device) -> str:
        if not isinstance(key, xrt_info_device):
            raise TypeError("get_info(): incompatible function arguments")
        return {xrt_info_device.name: BEHAVIOUR.name, xrt_info_device.bdf: BEHAVIOUR.bdf}.get(
            key, ""
        )

    def register_xclbin(self, xb: xclbin) -> uuid:
        if not isinstance(xb, xclbin):
            raise TypeError("register_xclbin(): incompatible function arguments")
        self._registered[xb.get_uuid()] = xb
        _record("register_xclbin", uuid=xb.get_uuid().to_string())
        return xb.get_uuid()

    def load_xclbin(self, xb: xclbin | str) -> uuid:
        if isinstance(xb, str):
            xb = xclbin(xb)
        if not isinstance(xb, xclbin):
            raise TypeError("load_xclbin(): incompatible function arguments")
        self._loaded = xb
        _record("load_xclbin", uuid=xb.get_uuid().to_string())
        return xb.get_uuid()


class hw_context:
    def __init__(self, dev: device, xclbin_id: uuid) -> None:
        if not isinstance(dev, device) or not isinstance(xclbin_id, uuid):
            raise TypeError("hw_context(): incompatible function arguments")
        if xclbin_id not in dev._registered:
            raise RuntimeError("No such xclbin: register it with the device first")
        self._device = dev
        self._xclbin = dev._registered[xclbin_id]
        _record("hw_context", uuid=xclbin_id.to_string())


_HwContext = hw_context  # tests delete the public name to play an older XRT


class kernel:
    cu_access_mode = enum.Enum("cu_access_mode", "exclusive shared none", start=0)
    shared = cu_access_mode.shared
    exclusive = cu_access_mode.exclusive

    def __init__(self, *args: Any) -> None:
        if len(args) == 2 and isinstance(args[0], _HwContext) and isinstance(args[1], str):
            ctx, name = args
            dev, xb = ctx._device, ctx._xclbin
            _record("kernel", name=name, via="hw_context")
        elif (
            len(args) == 4
            and isinstance(args[0], device)
            and isinstance(args[1], uuid)
            and isinstance(args[2], str)
            and isinstance(args[3], kernel.cu_access_mode)
        ):
            dev, xid, name, _ = args
            if dev._loaded is None or dev._loaded.get_uuid() != xid:
                raise RuntimeError("xclbin with this uuid is not loaded on the device")
            xb = dev._loaded
            _record("kernel", name=name, via="uuid")
        else:
            raise TypeError(f"kernel(): incompatible function arguments: {args!r}")
        if name not in xb._kernels:
            raise RuntimeError(f"No such kernel '{name}'")
        if name not in KERNELS:
            raise RuntimeError(f"fake pyxrt has no behaviour for kernel '{name}'")
        self._device, self._name, self._spec = dev, name, KERNELS[name]

    def group_id(self, argno: int) -> int:
        argno = _c_int("group_id", argno)
        kind = self._spec.args[argno][1]
        if kind != "buffer":
            raise RuntimeError(f"argument {argno} of {self._name} is not a buffer")
        return self._spec.groups.get(argno, 10 + argno)

    def __call__(self, *args: Any) -> run:
        r = run(self)
        for i, a in enumerate(args):
            r.set_arg(i, a)
        r.start()
        return r


# --- buffers -------------------------------------------------------------------------


class _Memory:
    next_address = 0x4000000000
    by_address: weakref.WeakValueDictionary[int, bo] = weakref.WeakValueDictionary()


class bo:
    flags = enum.Enum("flags", "normal cacheable device_only host_only p2p svm", start=0)
    normal = flags.normal
    cacheable = flags.cacheable

    def __init__(self, dev: device, size: int, flags: bo.flags, group: int) -> None:
        if not isinstance(dev, (device, _HwContext)) or not isinstance(flags, bo.flags):
            raise TypeError("bo(): incompatible function arguments")
        size = int(size)
        group = _c_int("bo", group)
        if size <= 0:
            raise RuntimeError("bo: size must be > 0")
        self._size = size
        self._group = group
        self._host = np.zeros(size, np.uint8)
        self._dev = np.full(size, 0xA5, np.uint8)  # garbage until synced or written by a kernel
        self._address = _Memory.next_address
        _Memory.next_address += -(-size // 4096) * 4096  # page-aligned allocations
        _Memory.by_address[self._address] = self
        _record("bo", size=size, group=group, address=self._address)

    def map(self) -> memoryview:
        _record("map", address=self._address)
        return memoryview(self._host)

    def sync(self, direction: xclBOSyncDirection, size: int | None = None, offset: int = 0) -> None:
        if not isinstance(direction, xclBOSyncDirection):
            raise TypeError("sync(): incompatible function arguments")
        end = self._size if size is None else offset + int(size)
        if direction is xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE:
            self._dev[offset:end] = self._host[offset:end]
        else:
            self._host[offset:end] = self._dev[offset:end]
        _record("sync", direction=direction.name, address=self._address, size=end - offset)

    def write(self, buf: Any, seek: int) -> None:
        data = np.frombuffer(memoryview(buf).cast("B"), np.uint8)
        self._host[seek : seek + data.size] = data
        COPIES["write"] += 1
        COPIES["bytes"] += data.size
        _record("write", address=self._address, size=data.size)

    def read(self, size: int, skip: int) -> np.ndarray:
        COPIES["read"] += 1
        COPIES["bytes"] += size
        _record("read", address=self._address, size=size)
        return self._host[skip : skip + size].copy()

    def size(self) -> int:
        return self._size

    def address(self) -> int:
        return self._address


# --- runs -------------------------------------------------------------------------------


class run:
    def __init__(self, k: kernel) -> None:
        if not isinstance(k, kernel):
            raise TypeError("run(): incompatible function arguments")
        self._kernel = k
        self._args: dict[int, Any] = {}
        self._state = ert_cmd_state.ERT_CMD_STATE_NEW
        _record("run", kernel=k._name)

    def set_arg(self, index: int, value: Any) -> None:
        index = _c_int("set_arg", index)
        if not isinstance(value, bo):
            value = _c_int("set_arg", value)
        self._args[index] = value
        _record(
            "set_arg",
            index=index,
            value=value.address() if isinstance(value, bo) else value,
            buffer=isinstance(value, bo),
        )

    def start(self) -> None:
        spec = self._kernel._spec
        missing = [i for i in range(len(spec.args)) if i not in self._args]
        if missing:
            raise RuntimeError(f"kernel {self._kernel._name}: arguments {missing} not set")
        self._state = ert_cmd_state.ERT_CMD_STATE_RUNNING
        _record("start", kernel=self._kernel._name)

    def wait(self, timeout_ms: int = 0) -> ert_cmd_state:
        timeout_ms = _c_int("wait", timeout_ms)
        if self._state is ert_cmd_state.ERT_CMD_STATE_RUNNING:
            forced = BEHAVIOUR.end_states.pop(0) if BEHAVIOUR.end_states else None
            if forced:
                self._state = ert_cmd_state[forced]
            else:
                self._execute()
                self._state = ert_cmd_state.ERT_CMD_STATE_COMPLETED
        _record("wait", kernel=self._kernel._name, timeout_ms=timeout_ms, state=self._state.name)
        return self._state

    def state(self) -> ert_cmd_state:
        return self._state

    def _execute(self) -> None:
        spec = self._kernel._spec
        values = []
        for i, (name, kind) in enumerate(spec.args):
            v = self._args[i]
            if kind == "buffer":
                if not isinstance(v, bo):
                    raise RuntimeError(f"argument {i} ({name}) must be a buffer")
                values.append(v)
            elif isinstance(v, bo):
                raise RuntimeError(f"argument {i} ({name}) is a scalar, got a buffer")
            elif kind == "float":
                values.append(float(np.int32(v).view(np.float32)))
            elif kind == "uint":
                values.append(v & 0xFFFFFFFF)
            else:
                values.append(v)
        spec.impl(*values)


def device_memory(b: bo) -> np.ndarray:
    """The device side of a buffer, for kernel behaviours (not part of pyxrt)."""
    return b._dev


def buffer_at(address: int) -> bo:
    """The buffer at a device address (blasKernel follows addresses; not part of pyxrt)."""
    return _Memory.by_address[address]


def _install_kernels() -> None:
    # The behaviours live in kernels.py beside this file; reuse the test package's copy
    # when it is imported (one LAST dict), else load it by path (``import pyxrt`` case).
    import importlib.util
    import sys

    mod = sys.modules.get("tests.support.fake_pyxrt.kernels")
    if mod is None:
        spec = importlib.util.spec_from_file_location(
            "_fake_pyxrt_kernels", Path(__file__).with_name("kernels.py")
        )
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    mod.install(sys.modules[__name__])


_install_kernels()

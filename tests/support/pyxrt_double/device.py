"""What the double's devices, xclbins, uuids, hardware contexts and kernels *do*.

Each function here is the behaviour of one pyxrt callable (keyed by its path,
``"device.__init__"``); it receives the overload the real module would have
picked and the arguments already converted the way pybind11 converts them
(see ``casters.py``), so it only models the device: which xclbin is
registered or loaded, what ``get_kernels()`` reads from the file, which
errors XRT raises (with XRT's own wording where it was observed, e.g.
``No such device with index '0'``).

An xclbin is read with this project's parser, the way XRT's ``xrt::xclbin``
reads it: kernels (and their argument counts) from EMBEDDED_METADATA, the
memory banks from MEM_TOPOLOGY. A file XRT's loader would refuse is refused.
"""

from __future__ import annotations

import uuid as _uuid
import warnings
from types import SimpleNamespace
from typing import Any

from .board import Board
from .build import Overload

ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def _new(board: Board, path: str, **state: Any) -> Any:
    """An instance of the double's class at ``path``, made without its constructor."""
    cls: Any = board.module
    for part in path.split("."):
        cls = getattr(cls, part)
    obj = cls.__new__(cls)
    obj._s = SimpleNamespace(**state)
    return obj


def enum_name(member: Any) -> str:
    for key, m in type(member).__members__.items():
        if int(m) == int(member):
            return key
    return "???"


def make_uuid(board: Board, text: str) -> Any:
    return _new(board, "uuid", text=text)


def device_behaviour(board: Board) -> dict[str, Any]:
    b = board
    bh = board.behaviour

    def enumerate_devices(ov: Overload, a: list[Any]) -> int:
        b.record("enumerate_devices")
        return bh.devices

    def device_init(ov: Overload, a: list[Any]) -> None:
        self = a[0]
        if not ov.types:  # device(): an empty handle
            self._s = SimpleNamespace(index=None, registered={}, loaded=None)
            return
        key = a[1]
        if isinstance(key, str):
            if key != bh.bdf or bh.devices == 0:
                raise RuntimeError(f"No such device '{key}': Invalid argument")
            key = 0
        if not 0 <= key < bh.devices:
            raise RuntimeError(f" No such device with index '{key}'")
        self._s = SimpleNamespace(index=key, registered={}, loaded=None)
        b.record("device", index=key)

    def get_info(ov: Overload, a: list[Any]) -> str:
        _open(a[0])
        return {"name": bh.name, "bdf": bh.bdf}.get(enum_name(a[1]), "")

    def register_xclbin(ov: Overload, a: list[Any]) -> Any:
        dev, xb = _open(a[0]), a[1]._s
        dev.registered[xb.uuid] = a[1]
        b.record("register_xclbin", uuid=xb.uuid)
        return make_uuid(b, xb.uuid)

    def load_xclbin(ov: Overload, a: list[Any]) -> Any:
        if b.warn_deprecated:
            warnings.warn("pyxrt.device.load_xclbin() is deprecated; use pyxrt.hw_context(device, "
                          "xclbin) or pyxrt.hw_context(device, xclbin_path) instead",
                          DeprecationWarning, stacklevel=3)  # fmt: skip
        dev = _open(a[0])
        xb = a[1] if not isinstance(a[1], str) else _new(b, "xclbin", **_read(a[1]))
        dev.loaded = xb
        b.record("load_xclbin", uuid=xb._s.uuid)
        return make_uuid(b, xb._s.uuid)

    def get_xclbin_uuid(ov: Overload, a: list[Any]) -> Any:
        dev = _open(a[0])
        return make_uuid(b, dev.loaded._s.uuid if dev.loaded is not None else ZERO_UUID)

    # --- xclbin ------------------------------------------------------------------------

    def xclbin_init(ov: Overload, a: list[Any]) -> None:
        if not ov.types:
            a[0]._s = SimpleNamespace(path="", vbnv="", uuid=ZERO_UUID, kernels=[], mems=[],
                                      keyvalues=())  # fmt: skip
            return
        a[0]._s = SimpleNamespace(**_read(a[1]))
        b.record("xclbin", path=a[1])

    def get_kernels(ov: Overload, a: list[Any]) -> list[Any]:
        return [_new(b, "xclbin.xclbinkernel", name=n, nargs=k) for n, k in a[0]._s.kernels]

    def get_mems(ov: Overload, a: list[Any]) -> list[Any]:
        return [_new(b, "xclbin.xclbinmem", **m) for m in a[0]._s.mems]

    # --- uuid, hw_context, kernel --------------------------------------------------------

    def uuid_init(ov: Overload, a: list[Any]) -> None:
        try:
            text = str(_uuid.UUID(a[1]))
        except ValueError:
            text = ZERO_UUID
        a[0]._s = SimpleNamespace(text=text)

    def hw_context_init(ov: Overload, a: list[Any]) -> None:
        self, types = a[0], ov.types
        if not types:
            self._s = SimpleNamespace(device=None, xclbin=None, mode=None)
            return
        if "elf" in types[1] or "dict" in types[1]:
            raise RuntimeError("pyxrt double: hardware contexts from ELF files are not modelled")
        dev = _open(a[1])
        if types[1] == "pyxrt.uuid":
            xb = dev.registered.get(a[2]._s.text)
            if xb is None:
                raise RuntimeError(f"No xclbin with uuid {a[2]._s.text} is registered "
                                   "with the device (register_xclbin first)")  # fmt: skip
        else:
            xb = a[2] if not isinstance(a[2], str) else _new(b, "xclbin", **_read(a[2]))
            dev.registered[xb._s.uuid] = xb
        mode = a[3] if len(a) > 3 and not isinstance(a[3], dict) else None
        self._s = SimpleNamespace(device=a[1], xclbin=xb, mode=mode)
        b.record("hw_context", uuid=xb._s.uuid)

    def kernel_init(ov: Overload, a: list[Any]) -> None:
        self = a[0]
        if ov.types[0] == "pyxrt.hw_context":
            ctx, name = a[1]._s, a[2]
            if ctx.xclbin is None:
                raise RuntimeError("hw_context is empty")
            dev_obj, xb, via = ctx.device, ctx.xclbin, "hw_context"
        else:
            if b.warn_deprecated:
                warnings.warn("kernel(device, uuid, name[, mode]) is deprecated; use "
                              "kernel(hw_context, name) instead.", DeprecationWarning,
                              stacklevel=3)  # fmt: skip
            dev_obj, name, via = a[1], a[3], "uuid"
            dev = _open(dev_obj)
            if dev.loaded is None or dev.loaded._s.uuid != a[2]._s.text:
                raise RuntimeError(f"No xclbin with uuid {a[2]._s.text} is loaded on the device")
            xb = dev.loaded
        b.record("kernel", name=name, via=via)
        if name not in [n for n, _ in xb._s.kernels]:
            raise RuntimeError(f"No such kernel '{name}'")
        spec = b.KERNELS.get(name)
        if spec is None:
            raise RuntimeError(f"pyxrt double: no behaviour for kernel '{name}' (kernels.py)")
        self._s = SimpleNamespace(name=name, spec=spec, device=dev_obj, xclbin=xb,
                                  uuid=xb._s.uuid, via=via)  # fmt: skip

    def group_id(ov: Overload, a: list[Any]) -> int:
        k, argno = a[0]._s, a[1]
        if not 0 <= argno < len(k.spec.args):
            raise RuntimeError(f"Invalid kernel argument index '{argno}'")
        if k.spec.args[argno][1] != "buffer":
            raise RuntimeError(f"argument {argno} of {k.name} is not a global memory argument")
        return int(k.spec.groups.get(argno, 10 + argno))

    return {
        "enumerate_devices": enumerate_devices,
        "log_message": lambda ov, a: None,
        "device.__init__": device_init,
        "device.get_info": get_info,
        "device.register_xclbin": register_xclbin,
        "device.load_xclbin": load_xclbin,
        "device.get_xclbin_uuid": get_xclbin_uuid,
        "xclbin.__init__": xclbin_init,
        "xclbin.get_kernels": get_kernels,
        "xclbin.get_mems": get_mems,
        "xclbin.get_xsa_name": lambda ov, a: a[0]._s.vbnv,
        "xclbin.get_uuid": lambda ov, a: make_uuid(b, a[0]._s.uuid),
        "xclbin.get_ips": lambda ov, a: [],
        "xclbin.xclbinkernel.get_name": lambda ov, a: a[0]._s.name,
        "xclbin.xclbinkernel.get_num_args": lambda ov, a: a[0]._s.nargs,
        "xclbin.xclbinmem.get_tag": lambda ov, a: a[0]._s.tag,
        "xclbin.xclbinmem.get_base_address": lambda ov, a: a[0]._s.base,
        "xclbin.xclbinmem.get_size_kb": lambda ov, a: a[0]._s.size_kb,
        "xclbin.xclbinmem.get_used": lambda ov, a: a[0]._s.used,
        "xclbin.xclbinmem.get_index": lambda ov, a: a[0]._s.index,
        "uuid.__init__": uuid_init,
        "uuid.to_string": lambda ov, a: a[0]._s.text,
        "hw_context.__init__": hw_context_init,
        "hw_context.get_device": lambda ov, a: a[0]._s.device,
        "hw_context.get_xclbin": lambda ov, a: a[0]._s.xclbin,
        "hw_context.get_xclbin_uuid": lambda ov, a: make_uuid(b, a[0]._s.xclbin._s.uuid),
        "hw_context.get_mode": lambda ov, a: a[0]._s.mode or b.module.hw_context.shared,
        "kernel.__init__": kernel_init,
        "kernel.group_id": group_id,
    }


def _open(dev: Any) -> Any:
    state = getattr(dev, "_s", None)
    if state is None or state.index is None:
        raise RuntimeError("device handle is empty (pyxrt.device() opens no device)")
    return state


def _read(path: str) -> dict[str, Any]:
    """What ``xrt::xclbin(path)`` knows of a file, read with this project's parser.

    The parser's ``xrt`` view is the one the real-XRT tier checks against
    ``pyxrt.xclbin`` (kernels and argument counts from EMBEDDED_METADATA,
    banks as ``get_mems()`` lists them, XRT's refusals).
    """
    from jupyter_ext.xclbin.model import XclbinError
    from jupyter_ext.xclbin.parser import parse_xclbin

    try:
        x = parse_xclbin(path)
    except FileNotFoundError:
        raise RuntimeError(f"No such file '{path}'") from None
    except (XclbinError, OSError) as exc:
        raise RuntimeError(str(exc)) from None
    view = _xrt_view(x)
    if view.get("refusal"):
        raise RuntimeError(view["refusal"])
    mems = [dict(tag=m["tag"], base=m["base_address"], size_kb=m["size_kb"], used=m["used"],
                 index=m["index"]) for m in view["mems"]]  # fmt: skip
    kernels = [(k["name"], k["num_args"]) for k in view["kernels"]]
    return dict(path=path, vbnv=view["xsa_name"], uuid=view["uuid"], kernels=kernels, mems=mems,
                keyvalues=tuple(getattr(x, "keyvalues", ())))  # fmt: skip


def _xrt_view(x: Any) -> dict[str, Any]:
    try:
        from jupyter_ext.xclbin.info import info_dict

        return info_dict(x)["xrt"]  # type: ignore[no-any-return]
    except (ImportError, KeyError, AttributeError):  # a parser without the XRT view
        return {"uuid": x.uuid, "xsa_name": x.platform_vbnv, "refusal": None,
                "kernels": [{"name": n, "num_args": 0} for n in x.kernel_names],
                "mems": [{"tag": m.tag, "base_address": m.base_address, "size_kb": m.size_kb,
                          "used": m.used, "index": m.index} for m in x.mem_topology]}  # fmt: skip

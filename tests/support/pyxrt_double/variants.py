"""The pyxrt of older XRT releases, derived from the 2.25 surface.

Why: users run XRT 2022.1 to 2.25, and the releases differ where the runtime
cares. Read from ``Xilinx/XRT`` ``src/python/pybind11/src/pyxrt.cpp`` at the
release tags ``202210.2.13.466``, ``202220.2.14.354`` and ``202310.2.15.225``
(the three agree on all of this): compared with 2.25 they have

* no ``hw_context`` and no ``device.register_xclbin`` (both from 2023.2), so
  kernels are opened with ``device.load_xclbin(xb)`` and
  ``kernel(device, uuid, name[, mode])``;
* only the three-argument ``bo.sync(direction, size, offset)`` (the
  one-argument form is from 2023.2), and no ``bo`` constructors taking a
  ``hw_context``;
* no ``enumerate_devices`` (nor ``log_message``, ``xrt_msg_level``): a device
  is found by opening it;
* no ``run.wait2``, ``run.get_ctrl_scratchpad_bo``, ``runlist``, ``elf``,
  ``module``, ``program``, ``ext`` nor ``xclbin.get_axlf``; ``xclbin`` has
  ``get_ips()`` instead.

Everything kept has the same signature, enum values and caster types there
(``device(unsigned int)``, ``run.set_arg(int, int&)``,
``run.wait(unsigned int)``, ``size_t`` sizes), so the probes read from 2.25
stand for it. The 2.25 deprecation warnings of ``load_xclbin`` and the
uuid form of ``kernel`` do not exist in the older releases either.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .generate import parse_signature

NAMES = ("2.25", "2022.1")  # 2022.1 stands for 2022.1, 2022.2 and 2023.1

_GONE = ("enumerate_devices", "log_message", "xrt_msg_level", "emergency", "alert", "critical",
         "error", "warning", "notice", "info", "debug", "hw_context", "runlist", "elf", "module",
         "program", "ext", "device.register_xclbin", "run.wait2", "run.get_ctrl_scratchpad_bo",
         "xclbin.get_axlf")  # fmt: skip


def _keep(path: str, ov: dict[str, Any]) -> bool:
    types = [p["type"] for p in ov["params"] if p["name"] != "self"]
    if path in ("kernel.__init__", "bo.__init__"):
        return "pyxrt.hw_context" not in types
    if path == "bo.sync":
        return len(types) == 3
    return True


def derive(surface: dict[str, Any], name: str) -> dict[str, Any]:
    """The surface of release ``name`` (one of :data:`NAMES`)."""
    if name not in NAMES:
        raise ValueError(f"unknown XRT release {name!r}; known: {', '.join(NAMES)}")
    if name == "2.25":
        return surface
    out = copy.deepcopy(surface)
    tree, probes = out["module"], out["probes"]
    for path in _GONE:
        parent, _, leaf = path.rpartition(".")
        _node(tree, parent)["members"].pop(leaf)
    renumber: dict[str, dict[int, int]] = {}
    for path in ("kernel.__init__", "bo.__init__", "bo.sync"):
        fn = _node(tree, path)
        kept = [i for i, ov in enumerate(fn["overloads"]) if _keep(path, ov)]
        renumber[path] = {old + 1: new + 1 for new, old in enumerate(kept)}
        fn["overloads"] = [fn["overloads"][i] for i in kept]
    _node(tree, "xclbin")["members"]["get_ips"] = {
        "kind": "function",
        "overloads": [
            {**parse_signature("get_ips(self: pyxrt.xclbin) -> pyxrt.xclbinip_vector"), "doc": ""}
        ],
    }
    out["probes"] = _probes(probes, renumber)
    out["probes"]["xclbin.get_ips#1: baseline"] = "accepted"
    out["read_from"] = {
        "module": "pyxrt",
        "package": f"derived for XRT {name} from the 2.25 surface",
    }
    return out


def _node(tree: dict[str, Any], path: str) -> dict[str, Any]:
    node = tree
    for part in path.split(".") if path else ():
        node = node["members"][part]
    return node


def _probes(probes: dict[str, str], renumber: dict[str, dict[int, int]]) -> dict[str, str]:
    key = re.compile(r"^(?P<path>[^#]+)#(?P<n>\d+)(?P<rest>.*)$")
    out = {}
    for k, v in probes.items():
        m = key.match(k)
        path = m.group("path") if m else k
        if any(path == g or path.startswith(g + ".") for g in _GONE):
            continue
        if m and path in renumber:
            n = renumber[path].get(int(m.group("n")))
            if n is None:
                continue
            k = f"{path}#{n}{m.group('rest')}"
        out[k] = v
    return out

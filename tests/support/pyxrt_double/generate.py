"""Read pyxrt's surface -- names, overloads, enums, refusals -- into plain data.

Why: the test double of pyxrt (:mod:`tests.support.pyxrt_double`) must have
exactly the real module's classes, overloads, enum values and refusals, and
a hand-written stand-in drifted (missing names, enum values 0..5 where XRT
has bit flags, ``wait(-1)`` accepted). So the surface is *read* from XRT's
own binding and committed as ``surface.json``; the double is built from it,
and ``tests/xrt/test_pyxrt_double_drift.py`` reads the real module again and
fails on any difference.

What is read:

* every public name of the module (and of ``pyxrt.ext``), classes, nested
  classes, enums with their member values, plain values, and which enum
  members are exported to the enclosing scope;
* every overload of every function and method, parsed from the pybind11
  docstrings (``name(self: pyxrt.bo, arg0: int) -> None``);
* refusals: each scalar, enum or object parameter of each overload is called
  with probe values (ints at the C type boundaries, floats, numpy scalars,
  ``None``, ...) and the outcome recorded: refused (pybind11's "incompatible
  function/constructor arguments" TypeError) or accepted. The real module
  needs a device for almost everything, so probes run on instances made
  without ``__init__`` in a forked child: a conversion that succeeds then
  typically crashes the child, which still means "accepted";
* how each enum compares with a plain int (C enums do, C++ ``enum class`` do not).

Regenerate (as root; XRT's pyxrt lives in the Debian root of ``scripts/xrt-tier``)::

    chroot /var/cache/jupyterhub-fpga/xrt-trixie python3 - \\
        < tests/support/pyxrt_double/generate.py > tests/support/pyxrt_double/surface.json

This file is self-contained (standard library, numpy, the module it reads)
so it can be fed to any Python that imports pyxrt.
"""

from __future__ import annotations

import datetime
import faulthandler
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

FORMAT = 1
SKIP = {"_pybind11_conduit_v1_", "__module__", "__dict__", "__weakref__", "__entries",
        "__members__", "__doc__", "__file__", "__loader__", "__name__", "__package__",
        "__spec__", "__builtins__", "__cached__", "__path__"}  # fmt: skip

# --- docstrings -------------------------------------------------------------------


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split at ``sep`` outside brackets: ``dict[str, int]`` and ``std::ratio<1l, 1000l>`` stay whole."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([<{":
            depth += 1
        elif ch in ")]>}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def parse_signature(line: str) -> dict[str, Any]:
    """``name(a: T, b: U = 1) -> R`` as ``{"params": [...], "returns": R}``."""
    start = line.index("(")
    depth = 0
    for end in range(start, len(line)):
        depth += {"(": 1, ")": -1}.get(line[end], 0)
        if depth == 0:
            break
    params = []
    for raw in split_top(line[start + 1 : end]):
        if raw.startswith("**"):
            params.append({"name": raw[2:], "type": "**kwargs"})
        elif raw.startswith("*"):
            params.append({"name": raw[1:], "type": "*args"})
        else:
            name, _, rest = raw.partition(":")
            typ, eq, default = rest.partition("=")
            p = {"name": name.strip(), "type": typ.strip()}
            if eq:
                p["default"] = default.strip()
            params.append(p)
    returns = line[end + 1 :].strip()
    return {"params": params, "returns": returns[2:].strip() if returns.startswith("->") else ""}


def parse_doc(name: str, doc: str | None) -> list[dict[str, Any]]:
    """Every overload in a pybind11 docstring, each with its own text."""
    lines = (doc or "").splitlines()
    if not lines or not lines[0].startswith(name + "("):
        return []
    if len(lines) > 1 and lines[1].strip() == "Overloaded function.":
        overloads: list[dict[str, Any]] = []
        numbered = re.compile(rf"^(\d+)\. ({re.escape(name)}\(.*)$")
        for line in lines[2:]:
            m = numbered.match(line)
            if m and int(m.group(1)) == len(overloads) + 1:
                overloads.append({**parse_signature(m.group(2)), "doc": []})
            elif overloads:
                overloads[-1]["doc"].append(line)
        for o in overloads:
            o["doc"] = "\n".join(o["doc"]).strip()
        return overloads
    return [{**parse_signature(lines[0]), "doc": "\n".join(lines[1:]).strip()}]


# --- walking --------------------------------------------------------------------------


def _is_enum(obj: Any) -> bool:
    return isinstance(obj, type) and "__members__" in vars(obj)


def _callable_kind(obj: Any) -> str | None:
    kind = type(obj).__name__
    if kind in ("builtin_function_or_method", "instancemethod", "function", "cython_function"):
        return "function"
    return None


def _enum_path(value: Any, root: str) -> str:
    t = type(value)
    mod = t.__module__
    prefix = mod[len(root) + 1 :] + "." if mod.startswith(root + ".") else ""
    return prefix + t.__qualname__


def _member_name(value: Any) -> str:
    for key, member in type(value).__members__.items():
        if int(member) == int(value):
            return key
    return "???"


def walk(obj: Any, root: str, qual: str = "") -> dict[str, Any]:
    """The structure of a module or class, as plain data (no probes)."""
    if isinstance(obj, type(sys)):
        node: dict[str, Any] = {"kind": "module", "doc": obj.__doc__ or ""}
    elif _is_enum(obj):
        members = obj.__members__
        # A list, not a dict: the declaration order decides which alias names a value.
        node = {"kind": "enum", "doc": obj.__doc__ or "",
                "values": [[k, int(v)] for k, v in members.items()]}  # fmt: skip
        first = next(iter(members.values()), None)
        node["eq_int"] = bool(first is not None and first == int(first))
    else:
        node = {"kind": "class", "doc": obj.__doc__ or ""}
    children: dict[str, Any] = {}
    for name, value in sorted(vars(obj).items()):
        if name in SKIP or (isinstance(obj, type(sys)) and name.startswith("__")):
            continue
        path = f"{qual}.{name}" if qual else name
        if node["kind"] == "enum" and isinstance(value, obj):
            continue  # a member: listed in "values"
        if isinstance(value, (type(sys), type)):
            children[name] = walk(value, root, path)
        elif isinstance(value, property) or type(value).__name__ == "pybind11_static_property":
            children[name] = {"kind": "property", "doc": (value.__doc__ or "").strip()}
        elif _callable_kind(value):
            children[name] = {"kind": "function", "overloads": parse_doc(name, value.__doc__)}
        elif _is_enum(type(value)):
            children[name] = {"kind": "enum_value", "enum": _enum_path(value, root),
                              "name": _member_name(value), "value": int(value)}  # fmt: skip
        elif isinstance(value, (int, str, float)):
            children[name] = {"kind": "value", "type": type(value).__name__, "value": value}
        else:
            children[name] = {"kind": "other", "type": type(value).__name__}
    node["members"] = children
    return node


def callables(node: dict[str, Any], qual: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(qualified name, function node) for every function and method, depth first."""
    out = []
    for name, child in node.get("members", {}).items():
        path = f"{qual}.{name}" if qual else name
        if child["kind"] == "function":
            out.append((path, child))
        elif child["kind"] in ("class", "enum", "module"):
            out.extend(callables(child, path))
    return out


# --- probing ------------------------------------------------------------------------------


def classify(value: Any, roots: tuple[str, ...] = ("pyxrt",)) -> str:
    """The probe class of a value: what pybind11's casters tell apart."""
    t = type(value)
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return "bool" if isinstance(value, bool) else "np_bool"
    if t is int:
        return "int"
    if isinstance(value, np.integer):
        return "np_integer"
    if isinstance(value, float):
        return "float" if t is float else "np_float64"
    if isinstance(value, np.floating):
        return "np_floating"
    for simple in (str, bytes, bytearray, memoryview, list, tuple, slice, datetime.timedelta):
        if isinstance(value, simple):
            return simple.__name__
    if isinstance(value, np.ndarray):
        return "ndarray"
    if isinstance(value, dict):
        if not value:
            return "dict"
        k, v = next(iter(value.items()))
        return f"dict[{classify(k)},{classify(v)}]"
    if t.__name__ == "PyCapsule":
        return "capsule"
    if t.__module__.split(".")[0] in roots:
        mod = t.__module__
        prefix = mod[len(roots[0]) + 1 :] + "." if "." in mod else ""
        return ("enum:" if "__members__" in vars(t) else "inst:") + prefix + t.__qualname__
    if callable(value):
        return "callable"
    return "other"


def label(value: Any) -> str:
    """A probe's name: its class, and its value where the class has one (``int=-1``)."""
    cls = classify(value)
    if cls in ("int", "np_integer"):
        return f"{cls}={int(value)}"
    if cls in ("bool", "np_bool"):
        return f"{cls}={bool(value)}"
    if cls in ("float", "np_float64", "np_floating"):
        return f"{cls}={float(value)!r}"
    if cls in ("str", "bytes"):
        return f"{cls}={value!r}"
    return cls


# Each C integer type's bounds and the values just past them.
RANGES = {"uint8": (0, 2**8 - 1), "int8": (-(2**7), 2**7 - 1), "uint16": (0, 2**16 - 1),
          "int16": (-(2**15), 2**15 - 1), "uint32": (0, 2**32 - 1), "int32": (-(2**31), 2**31 - 1),
          "uint64": (0, 2**64 - 1), "int64": (-(2**63), 2**63 - 1)}  # fmt: skip
INT_BOUNDS = sorted({v for lo, hi in RANGES.values() for v in (lo, lo - 1, hi, hi + 1)})


def _capsule() -> Any:
    import ctypes

    new = ctypes.pythonapi.PyCapsule_New
    new.restype, new.argtypes = (
        ctypes.py_object,
        [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p],
    )
    return new(1, None, None)


class Prober:
    """Builds argument values for a module's parameter types and runs probe calls."""

    def __init__(self, mod: Any, tree: dict[str, Any], isolate: bool) -> None:
        self.mod, self.tree, self.isolate = mod, tree, isolate
        self.root = mod.__name__

    def resolve(self, typ: str) -> Any:
        """The class or enum a parameter type names (``pyxrt.bo``, ``xrt::device``), else None."""
        name = typ
        for prefix in (self.root + ".", "xrt::"):
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        else:
            return None
        obj = self.mod
        for part in name.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj if isinstance(obj, type) else None

    def family(self, typ: str) -> str:
        if typ in ("int", "bool", "str", "float", "Buffer", "capsule", "object", "Iterable",
                   "slice", "*args", "**kwargs"):  # fmt: skip
            return typ
        if typ.startswith("dict["):
            return "dict"
        if typ.startswith("list["):
            return "list"
        if typ.startswith("std::chrono::duration"):
            return "duration"
        if typ.startswith("std::function"):
            return "callable"
        cls = self.resolve(typ)
        if cls is not None:
            return "enum" if _is_enum(cls) else "class"
        return "unknown"

    def placeholder(self, cls: type) -> Any:
        if _is_enum(cls):
            return next(iter(cls.__members__.values()))
        return cls.__new__(cls)

    def baseline(self, typ: str) -> Any:
        fam = self.family(typ)
        simple = {"int": 0, "bool": False, "str": "x", "float": 0.0, "Buffer": bytearray(8),
                  "dict": {}, "duration": datetime.timedelta(milliseconds=1), "Iterable": [], "list": [],
                  "slice": slice(0, 1), "callable": lambda *a: None, "object": None}  # fmt: skip
        if fam in simple:
            return simple[fam]
        if fam == "capsule":
            return _capsule()
        if fam in ("class", "enum"):
            return self.placeholder(self.resolve(typ))
        return None

    def probes(self, typ: str) -> list[Callable[[], Any]]:
        """Value factories for one parameter type: the values pybind11's casters tell apart."""
        fam = self.family(typ)
        common: list[Callable[[], Any]] = [lambda: None]
        if fam in ("int", "bool"):
            return [(lambda v=v: v) for v in INT_BOUNDS] + [
                lambda: True, lambda: 1.5, lambda: np.float32(1.5), lambda: np.float64(2.0),
                lambda: np.int64(7), lambda: np.int32(-1), lambda: np.uint64(2**63),
                lambda: np.bool_(True), lambda: "7"] + common  # fmt: skip
        if fam == "str":
            return [lambda: "x", lambda: b"x", lambda: 7, *common]
        if fam == "Buffer":
            return [lambda: bytearray(8), lambda: b"12345678", lambda: memoryview(bytearray(8)),
                    lambda: np.zeros(2, np.int32), lambda: "x", lambda: 7, *common]  # fmt: skip
        if fam == "dict":
            return [lambda: {}, lambda: {"a": 1}, lambda: {"a": 1.5}, lambda: {1: 1},
                    lambda: [], *common]  # fmt: skip
        if fam == "duration":
            return [lambda: datetime.timedelta(milliseconds=5), lambda: 5, lambda: 1.5, *common]
        if fam in ("class", "enum"):
            cls = self.resolve(typ)
            other = self.mod.uuid if cls is not self.mod.uuid else self.mod.run
            vals = [lambda: self.placeholder(cls), lambda: other.__new__(other), lambda: 0]
            if fam == "enum":
                alien = self.mod.ert_cmd_state if cls is not self.mod.ert_cmd_state else (
                    self.mod.xclBOSyncDirection)  # fmt: skip
                vals.append(lambda: next(iter(alien.__members__.values())))
            return vals + common
        if fam == "capsule":
            return [_capsule, lambda: 7, *common]
        return []

    def run(self, fn: Callable[[], Any], deadline_s: float = 1.0) -> str:
        """``refused`` when pybind11 rejected the arguments, else ``accepted``.

        Isolated, the call runs in a forked child: a crash after conversion, or
        a child that never returns (XRT working on an instance that was never
        constructed, or on a lock one of its threads held at ``fork``), still
        means the arguments were taken; a refusal comes at once, before any
        XRT code runs.
        """
        if not self.isolate:
            return _outcome(fn)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child
            faulthandler.disable()  # a crash is an expected outcome here, not news
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # and leaves no core dump
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            os._exit(3 if _outcome(fn) == "refused" else 0)
        end = time.monotonic() + deadline_s
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return "refused" if os.waitstatus_to_exitcode(status) == 3 else "accepted"
            if time.monotonic() > end:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return "accepted"
            time.sleep(0.0005)

    def target(self, path: str) -> tuple[Any, Any]:
        """The callable at ``path`` and the class its ``self`` belongs to (or None)."""
        parts = path.split(".")
        owner: Any = self.mod
        for part in parts[:-1]:
            owner = getattr(owner, part)
        fn = getattr(owner, parts[-1])
        return fn, (owner if isinstance(owner, type) else None)


def _outcome(fn: Callable[[], Any]) -> str:
    """``refused`` for pybind11's argument-conversion TypeError; anything else means taken."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except TypeError as exc:
        text = str(exc)
        if "incompatible function" in text or "incompatible constructor" in text:
            return "refused"
    except KeyboardInterrupt:
        raise
    except BaseException:  # past conversion: no device, an empty handle, a double's BoardHang
        pass
    return "accepted"


def probe_all(mod: Any, tree: dict[str, Any], isolate: bool = True) -> dict[str, str]:
    """``"<callable>#<overload>.<param>: <probe>" -> outcome`` for every probe."""
    pr = Prober(mod, tree, isolate)
    results: dict[str, str] = {}
    for path, node in callables(tree):
        fn, owner = pr.target(path)
        for oi, ov in enumerate(node["overloads"]):
            params = ov["params"]
            if any(p["type"] in ("*args", "**kwargs") for p in params):
                continue
            has_self = bool(params) and params[0]["name"] == "self" and owner is not None
            args = [pr.baseline(p["type"]) for p in params]
            if has_self:
                args[0] = pr.placeholder(owner)
            call = _caller(fn, owner, path.endswith("__init__"))
            results[f"{path}#{oi + 1}: baseline"] = pr.run(lambda c=call, a=list(args): c(a))
            for pi, p in enumerate(params):
                if has_self and pi == 0:
                    continue
                for make in pr.probes(p["type"]):
                    key = f"{path}#{oi + 1}.{p['name']}: {label(make())}"
                    results[key] = pr.run(_trial(call, args, pi, make))
    return results


def _trial(call: Callable[[list[Any]], Any], args: list[Any], pi: int,
           make: Callable[[], Any]) -> Callable[[], Any]:  # fmt: skip
    """The baseline call with argument ``pi`` replaced by a fresh probe value."""

    def attempt() -> Any:
        trial = list(args)
        trial[pi] = make()
        return call(trial)

    return attempt


def _caller(fn: Any, owner: Any, init: bool) -> Callable[[list[Any]], Any]:
    if init and owner is not None:
        return lambda args: owner(*args[1:])  # construct: self is made by the class
    return lambda args: fn(*args)


# --- the whole surface -------------------------------------------------------------------


def xrt_version() -> str:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "python3-xrt"],
                             capture_output=True, text=True, check=False)  # fmt: skip
    except OSError:
        return ""
    return out.stdout.strip()


def surface(mod: Any, isolate: bool = True) -> dict[str, Any]:
    """Everything the double is built from, and everything the drift test compares."""
    tree = walk(mod, mod.__name__)
    return {"format": FORMAT, "module": tree, "probes": probe_all(mod, tree, isolate)}


def main() -> None:
    import pyxrt

    data = surface(pyxrt)
    data["read_from"] = {"module": "pyxrt", "package": "python3-xrt " + xrt_version()}
    json.dump(data, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

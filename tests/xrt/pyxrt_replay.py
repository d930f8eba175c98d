"""Replay calls made on the pyxrt double against XRT's own pyxrt: does the real binding take them?

The real module needs a board for almost everything, and there is none in
the tier. But pybind11 converts every argument before it runs anything, so a
call can be checked on an instance made without ``__init__``: either the
binding refuses the arguments ("incompatible function arguments"), or it
takes them and then fails or crashes for want of a device. Each replayed call
runs in a forked child (``generate.Prober.run``) so a crash is only that
child's.

The children are forked from a fresh interpreter (``python -m
tests.xrt.pyxrt_replay``), not from pytest's: once XRT has started its
threads in a process, a forked child can block on a lock one of them held.
The trace travels there pickled, with the double's objects as
``("inst", class path)`` or ``("enum", enum path, member name)``; there they
become placeholders of the same real class, or the real enum member.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

Trace = list[tuple[str, tuple[Any, ...], dict[str, Any]]]
REPO = Path(__file__).resolve().parents[2]


def _path(t: type) -> str:
    sub = t.__module__.split(".", 1)[1] if "." in t.__module__ else ""
    return f"{sub}.{t.__qualname__}" if sub else t.__qualname__


def encode(value: Any) -> Any:
    """A picklable stand-in for an argument: the double's objects by class (and member) name."""
    if isinstance(value, (list, tuple)):
        return type(value)(encode(v) for v in value)
    if isinstance(value, memoryview):
        return value.tobytes()
    t = type(value)
    if t.__module__.split(".")[0] != "pyxrt":
        return value
    if "__members__" in vars(t):
        name = next(k for k, m in t.__members__.items() if int(m) == int(value))
        return ("enum", _path(t), name)
    return ("inst", _path(t))


def _lookup(real: Any, path: str) -> Any:
    obj = real
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def decode(real: Any, value: Any) -> Any:
    if isinstance(value, tuple) and len(value) in (2, 3) and value[0] in ("inst", "enum"):
        cls = _lookup(real, value[1])
        return getattr(cls, value[2]) if value[0] == "enum" else cls.__new__(cls)
    if isinstance(value, (list, tuple)):
        return type(value)(decode(real, v) for v in value)
    return value


def replay(real: Any, trace: Trace) -> list[str]:
    """Every traced call the real binding refuses, as ``path(args)`` lines (empty: all taken)."""
    del real  # replayed in a fresh interpreter that imports it itself
    data = pickle.dumps([(p, encode(a), encode(k)) for p, a, k in trace])
    out = subprocess.run([sys.executable, "-m", "tests.xrt.pyxrt_replay"], input=data,
                         capture_output=True, cwd=REPO, timeout=600, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    refused = json.loads(out.stdout)
    return [f"{trace[i][0]}{trace[i][1]!r}" for i in refused]


def _main() -> None:
    import pyxrt

    from tests.support.pyxrt_double import generate

    calls = pickle.loads(sys.stdin.buffer.read())
    prober = generate.Prober(pyxrt, {}, isolate=True)
    refused = []
    for i, (path, args, kwargs) in enumerate(calls):
        parts = path.split(".")
        owner = _lookup(pyxrt, ".".join(parts[:-1])) if len(parts) > 1 else pyxrt
        fn = getattr(owner, parts[-1])
        a, k = decode(pyxrt, list(args)), decode(pyxrt, dict(kwargs))
        if parts[-1] == "__init__" and isinstance(owner, type):

            def call(o: Any = owner, a: list[Any] = a, k: dict[str, Any] = k) -> Any:
                return o(*a[1:], **k)
        else:

            def call(f: Any = fn, a: list[Any] = a, k: dict[str, Any] = k) -> Any:
                return f(*a, **k)

        if prober.run(call) == "refused":
            refused.append(i)
    json.dump(refused, sys.stdout)


if __name__ == "__main__":
    _main()

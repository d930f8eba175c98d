"""Build a module with pyxrt's exact surface from ``surface.json``, wiring in device behaviour.

Why generic: every class, overload, docstring, enum value and refusal of the
double comes from the surface read off the real module, so nothing here
names a pyxrt class. Behaviour (what a call *does*) is looked up by the
callable's path (``"bo.sync"``, ``"run.wait"``) in a table the device module
provides; a callable with no behaviour converts its arguments like the real
one and then raises ``RuntimeError`` saying the double does not model it.
Enums get their pybind11 behaviour here (values, ``name``/``value``, repr,
hashing, comparison with ints only for C enums, ``|``/``&`` where the real
enum has them).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .casters import Param, derive

Impl = Callable[["Overload", list[Any]], Any]
Tracer = Callable[[str, tuple[Any, ...], dict[str, Any]], None]


@dataclass(frozen=True)
class Overload:
    """One overload of a pyxrt callable: its parameters with their conversion rules."""

    index: int
    params: list[Param] | None  # None: nothing converts to one of its parameter types
    returns: str
    doc: str
    raw: tuple[tuple[str, str], ...]  # (name, type) as the docstring prints them

    @property
    def types(self) -> tuple[str, ...]:
        """Parameter types without ``self``: what behaviours branch on."""
        return tuple(t for n, t in self.raw if n != "self")

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any], owner: Any) -> list[Any] | None:
        """The converted arguments if this overload takes the call, else None.

        A ``*args`` parameter takes the remaining positional arguments as they are.
        """
        if self.params is None:
            return None
        star = next((i for i, p in enumerate(self.params) if p.type == "*args"), None)
        fixed = self.params if star is None else self.params[:star]
        if star is not None:
            if len(args) < len(fixed) or kwargs:
                return None
            head = self.bind_fixed(fixed, args[: len(fixed)], {}, owner)
            return None if head is None else head + list(args[len(fixed) :])
        if len(args) + len(kwargs) != len(fixed):
            return None
        return self.bind_fixed(fixed, args, kwargs, owner)

    @staticmethod
    def bind_fixed(params: list[Param], args: tuple[Any, ...], kwargs: dict[str, Any],
                   owner: Any) -> list[Any] | None:  # fmt: skip
        values = list(args)
        for p in params[len(args) :]:
            if p.name not in kwargs or not p.keyword:
                return None
            values.append(kwargs[p.name])
        out = []
        for i, (p, v) in enumerate(zip(params, values, strict=True)):
            if i == 0 and p.name == "self":
                if owner is not None and not isinstance(v, owner) and p.type != "object":
                    return None
                out.append(v)
                continue
            ok, conv = p.convert(v)
            if not ok:
                return None
            out.append(conv)
        return out


def _param(name: str, typ: str) -> str:
    if typ == "*args":
        return f"*{name}"
    if typ == "**kwargs":
        return f"**{name}"
    return f"{name}: {typ}"


def signature(name: str, raw: tuple[tuple[str, str], ...], returns: str) -> str:
    return f"{name}({', '.join(_param(n, t) for n, t in raw)}) -> {returns}"


def render(name: str, overloads: list[Overload]) -> str:
    """A pybind11 docstring that :func:`generate.parse_doc` reads back to the same overloads."""
    if len(overloads) == 1:
        ov = overloads[0]
        return f"{signature(name, ov.raw, ov.returns)}\n\n{ov.doc}\n" if ov.doc else (
            signature(name, ov.raw, ov.returns) + "\n")  # fmt: skip
    parts = [f"{name}(*args, **kwargs)\nOverloaded function.\n"]
    for ov in overloads:
        parts.append(f"{ov.index}. {signature(name, ov.raw, ov.returns)}\n")
        if ov.doc:
            parts.append(ov.doc + "\n")
    return "\n".join(parts)


def _refusal(name: str, qual: str, overloads: list[Overload], args: tuple, kwargs: dict) -> str:
    ctor = name == "__init__"
    lines = []
    for ov in overloads:
        raw = ov.raw[1:] if ctor else ov.raw
        sig = signature("", raw, ov.returns)
        lines.append(
            f"    {ov.index}. " + (f"pyxrt.{qual}{sig[: sig.rindex(' -> ')]}" if ctor else sig)
        )
    shown = [repr(a) for a in (args[1:] if ctor else args)]
    shown += [f"kwargs: {', '.join(f'{k}={v!r}' for k, v in kwargs.items())}"] if kwargs else []
    what = "constructor" if ctor else "function"
    return (f"{name}(): incompatible {what} arguments. The following argument types are "
            "supported:\n" + "\n".join(lines) + "\n\nInvoked with: " + ", ".join(shown))  # fmt: skip


def make_function(path: str, node: dict[str, Any], probes: dict[str, str], tree: dict[str, Any],
                  owner: Any, impl: Impl | None, tracer: Tracer | None = None) -> Callable[..., Any]:  # fmt: skip
    """One dispatcher for all overloads of ``path``: convert, pick the first that fits, run."""
    name = path.rsplit(".", 1)[-1]
    derived = derive(path, node["overloads"], probes, tree)
    overloads = [
        Overload(
            i + 1,
            params,
            ov["returns"],
            ov["doc"],
            tuple((p["name"], p["type"]) for p in ov["params"]),
        )  # fmt: skip
        for i, (ov, params) in enumerate(zip(node["overloads"], derived, strict=True))
    ]
    qual = path[: -len(name) - 1] if "." in path else ""

    def dispatch(*args: Any, **kwargs: Any) -> Any:
        if tracer is not None:
            tracer(path, args, kwargs)
        for ov in overloads:
            bound = ov.bind(args, kwargs, owner)
            if bound is not None:
                if impl is None:
                    raise RuntimeError(
                        f"pyxrt double: {path} is not modelled (no device behaviour)"
                    )
                return impl(ov, bound)
        raise TypeError(_refusal(name, qual, overloads, args, kwargs))

    dispatch.__name__ = dispatch.__qualname__ = name
    dispatch.__doc__ = render(name, overloads)
    dispatch.overloads = overloads  # type: ignore[attr-defined]
    return dispatch


# --- enums --------------------------------------------------------------------------------


class EnumBase:
    """Instances hold one int; the class holds ``__members__``. Behaviour of pybind11's py::enum_."""

    _v: int

    def _name(self) -> str:
        for key, member in type(self).__members__.items():  # type: ignore[attr-defined]
            if member._v == self._v:
                return key
        return "???"


def _enum_impls(cls: Any, node: dict[str, Any]) -> dict[str, Impl]:
    def init(ov: Overload, a: list[Any]) -> None:
        a[0]._v = int(a[1])

    def eq(ov: Overload, a: list[Any]) -> bool:
        me, other = a
        if type(other) is type(me):
            return me._v == other._v
        if node["eq_int"] and isinstance(other, (int, float)) and not isinstance(other, EnumBase):
            return bool(me._v == other)
        return False

    def arith(op: Callable[[int, int], int]) -> Impl:
        return lambda ov, a: cls(op(a[0]._v, a[1]._v))

    def setstate(ov: Overload, a: list[Any]) -> None:
        a[0]._v = int(a[1])

    return {
        "__init__": init, "__eq__": eq, "__ne__": lambda ov, a: not eq(ov, a),
        "__hash__": lambda ov, a: a[0]._v, "__int__": lambda ov, a: a[0]._v,
        "__index__": lambda ov, a: a[0]._v, "__getstate__": lambda ov, a: a[0]._v,
        "__setstate__": setstate,
        "__repr__": lambda ov, a: f"<{cls.__name__}.{a[0]._name()}: {a[0]._v}>",
        "__str__": lambda ov, a: f"{cls.__name__}.{a[0]._name()}",
        "__or__": arith(lambda x, y: x | y), "__and__": arith(lambda x, y: x & y),
        "__ior__": arith(lambda x, y: x | y), "__iand__": arith(lambda x, y: x & y),
    }  # fmt: skip


# --- assembling the module ------------------------------------------------------------------


class Builder:
    """Turns the surface tree into classes, enums and functions of a fresh module."""

    def __init__(self, surface: dict[str, Any], behaviour: dict[str, Impl], name: str,
                 tracer: Tracer | None = None) -> None:  # fmt: skip
        self.tracer = tracer
        self.tree = surface["module"]
        self.probes = surface["probes"]
        self.behaviour = behaviour
        self.root = name
        self.enums: dict[str, Any] = {}
        self.pending: list[tuple[Any, str, dict[str, Any]]] = []

    def module(self) -> types.ModuleType:
        mod = self._module(self.root, self.tree, "")
        for target, attr, node in self.pending:  # exported enum members, once all enums exist
            enum = self.enums[node["enum"]]
            setattr(target, attr, getattr(enum, node["name"]))
        return mod

    def _module(self, name: str, node: dict[str, Any], qual: str) -> types.ModuleType:
        mod = types.ModuleType(name, node["doc"])
        self._fill(mod, node, qual, owner=None, modname=name)
        return mod

    def _fill(self, target: Any, node: dict[str, Any], qual: str, owner: Any, modname: str) -> None:
        enum_impls = _enum_impls(owner, node) if node["kind"] == "enum" else None
        for attr, child in node["members"].items():
            path = f"{qual}.{attr}" if qual else attr
            kind = child["kind"]
            if kind == "module":
                setattr(target, attr, self._module(f"{modname}.{attr}", child, path))
            elif kind in ("class", "enum"):
                setattr(target, attr, self._class(attr, path, child, modname, qual))
            elif kind == "function":
                impl = enum_impls.get(attr) if enum_impls is not None else self.behaviour.get(path)
                trace = self.tracer if enum_impls is None else None  # enum dunders: noise
                fn = make_function(path, child, self.probes, self.tree, owner, impl, trace)
                setattr(target, attr, fn)
            elif kind == "enum_value":
                self.pending.append((target, attr, child))
            elif kind == "value":
                setattr(target, attr, child["value"])
            elif kind == "property" and owner is not None:
                setattr(target, attr, self._property(attr, child))

    def _property(self, attr: str, node: dict[str, Any]) -> property:
        getter = {"name": lambda self: self._name(), "value": lambda self: self._v}.get(attr)
        return property(getter, doc=node["doc"] or None)

    def _class(self, name: str, path: str, node: dict[str, Any], modname: str, qual: str) -> Any:
        # The path is module-relative ("ext.bo"); the class's qualname drops the submodule ("bo").
        sub = modname[len(self.root) + 1 :]
        local = path[len(sub) + 1 :] if sub else path
        ns: dict[str, Any] = {"__module__": modname, "__qualname__": local, "__doc__": node["doc"]}
        bases = (EnumBase,) if node["kind"] == "enum" else (object,)
        cls = type(name, bases, ns)
        if node["kind"] == "enum":
            self.enums[path] = cls
        self._fill(cls, node, path, owner=cls, modname=modname)
        if node["kind"] == "enum":
            members = {}
            for key, value in node["values"]:
                member = object.__new__(cls)
                member._v = value
                members[key] = member
                setattr(cls, key, member)
            cls.__members__ = members
        return cls

"""Argument conversion of the double: pybind11's casters, as probing the real module saw them.

Why not hand-written rules: the real binding's refusals depend on each C++
parameter type (``int`` and ``unsigned int`` print the same in docstrings but
``wait(-1)`` is refused and ``set_arg(0, -1)`` is not), on pybind11's version
(``np.float32(1.5)`` accepted and truncated, ``np.float64`` refused) and on
headers the binding did not include (``std::chrono`` or ``std::function``
parameters that nothing converts to). ``surface.json`` records the outcome of
every probe; this module turns those outcomes into one acceptance rule per
parameter -- which value classes it takes and, for integers, the C range --
so the double refuses what the real module refuses, also for values that were
never probed.

A probe is attributed to the parameter it was aimed at unless another
overload of the same arity could have taken the value at that position
(``device("7")`` is accepted by ``device(bdf: str)``, not by
``device(index: int)``); such outcomes are checked at call level only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .generate import RANGES, classify

INT_LIKE = frozenset({"int", "bool", "np_integer", "np_bool", "np_floating"})
BUFFERS = frozenset({"bytes", "bytearray", "memoryview", "ndarray"})
ITERABLE = BUFFERS | {"str", "list", "tuple", "dict", "dict[str,int]", "dict[str,float]",
                      "dict[int,int]"}  # fmt: skip
ANYTHING = frozenset({"*"})


def family(typ: str, tree: dict[str, Any]) -> tuple[str, str]:
    """(family, class path) of a parameter type: ``pyxrt.bo.flags`` -> ("enum", "bo.flags")."""
    simple = {"int", "bool", "str", "float", "Buffer", "capsule", "object", "Iterable", "slice",
              "*args", "**kwargs"}  # fmt: skip
    if typ in simple:
        return typ, ""
    if typ.startswith("dict["):
        return "dict", ""
    if typ.startswith("list["):
        return "list", ""
    if typ.startswith("std::chrono::duration"):
        return "duration", ""
    if typ.startswith("std::function"):
        return "callable", ""
    for prefix in ("pyxrt.", "xrt::"):
        if typ.startswith(prefix):
            path = typ[len(prefix) :]
            node = lookup(tree, path)
            if node is not None and node["kind"] in ("class", "enum"):
                return node["kind"], path
    return "unknown", ""


def lookup(tree: dict[str, Any], path: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = tree
    for part in path.split("."):
        node = (node or {}).get("members", {}).get(part)
        if node is None:
            return None
    return node


def natural(fam: str, target: str) -> frozenset[str]:
    """What a caster of this family may take at all (used to settle ambiguous probes)."""
    if fam in ("int", "bool"):
        return INT_LIKE
    if fam == "str":
        return frozenset({"str", "bytes"})
    if fam == "Buffer":
        return BUFFERS
    if fam == "class":
        return frozenset({"inst:" + target})
    if fam == "enum":
        return frozenset({"enum:" + target})
    if fam == "dict":
        return frozenset({"dict", "dict[str,int]"})
    if fam in ("object", "*args", "**kwargs"):
        return ANYTHING
    if fam == "Iterable":
        return frozenset(ITERABLE)
    if fam == "list":
        return frozenset({"list", "tuple"})
    if fam == "slice":
        return frozenset({"slice"})
    return frozenset()


@dataclass(frozen=True)
class Param:
    """One parameter of one overload, with the rule the real module applies to it."""

    name: str
    type: str
    family: str
    target: str  # class path for class/enum parameters
    accepts: frozenset[str]  # probe classes taken; "*" takes anything
    lo: int | None = None
    hi: int | None = None

    @property
    def keyword(self) -> bool:
        """pybind11 takes keywords only for parameters declared with a name (not ``argN``)."""
        return not (self.name.startswith("arg") and self.name[3:].isdigit())

    def convert(self, value: Any) -> tuple[bool, Any]:
        """(taken, converted value): an int for integer parameters, str for str, else as is."""
        if "*" in self.accepts:
            return True, value
        if self.family == "Iterable":  # pybind11's py::iterable: anything iter() takes
            try:
                iter(value)
            except TypeError:
                return False, None
            return True, value
        cls = classify(value)
        if cls not in self.accepts:
            return False, None
        if cls in INT_LIKE and self.family in ("int", "bool", "unknown"):
            number = int(value)
            if self.lo is not None and self.hi is not None and not self.lo <= number <= self.hi:
                return False, None
            return True, bool(number) if self.family == "bool" else number
        if cls == "bytes" and self.family == "str":
            return True, value.decode()
        return True, value


def derive(path: str, overloads: list[dict[str, Any]], probes: dict[str, str],
           tree: dict[str, Any]) -> list[list[Param] | None]:  # fmt: skip
    """The parameters of every overload of ``path``; None for an overload nothing reaches.

    An overload whose baseline call was refused (every argument of a
    plausible type) has a parameter type the binding cannot convert from
    Python at all: the double refuses every call to it, as the real one does.
    """
    fams = [[family(p["type"], tree) for p in ov["params"]] for ov in overloads]
    out: list[list[Param] | None] = []
    for oi, ov in enumerate(overloads):
        base = probes.get(f"{path}#{oi + 1}: baseline")
        if base == "refused":
            out.append(None)
            continue
        params = []
        for pi, p in enumerate(ov["params"]):
            fam, target = fams[oi][pi]
            prefix = f"{path}#{oi + 1}.{p['name']}: "
            seen = {k[len(prefix) :]: v for k, v in probes.items() if k.startswith(prefix)}
            if p["name"] == "self":  # the dispatcher checks the owner class itself
                params.append(Param("self", p["type"], fam, target, ANYTHING))
                continue
            if not seen:  # no probe for this type (a list, a slice): what such a caster takes
                params.append(Param(p["name"], p["type"], fam, target, natural(fam, target)))
                continue
            rivals = [fams[j][pi] for j in range(len(overloads))
                      if j != oi and len(fams[j]) == len(fams[oi])]  # fmt: skip
            accepts, ints = set(), {}
            for label, outcome in seen.items():
                cls, _, val = label.partition("=")
                if cls == "int":
                    ints[int(val)] = outcome == "accepted"
                ambiguous = any(cls in natural(f, t) or "*" in natural(f, t) for f, t in rivals)
                if (
                    outcome == "accepted"
                    and not ambiguous
                    or ambiguous
                    and cls in natural(fam, target)
                ):
                    accepts.add(cls)
            lo, hi = _range(path, p["name"], ints)
            params.append(Param(p["name"], p["type"], fam, target, frozenset(accepts), lo, hi))
        out.append(params)
    return out


def _range(path: str, name: str, ints: dict[int, bool]) -> tuple[int | None, int | None]:
    """The C integer range consistent with every integer probe (e.g. ``unsigned int``)."""
    if not ints or not any(ints.values()) or all(ints.values()):
        return None, None  # no integer taken, or any Python int (a ``py::int_`` parameter)
    for lo, hi in RANGES.values():
        if all((lo <= v <= hi) == ok for v, ok in ints.items()):
            return lo, hi
    raise ValueError(f"{path}({name}): integer probes fit no C integer type: {ints}")

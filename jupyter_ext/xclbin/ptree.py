"""JSON metadata read the way ``xclbinutil`` reads it: as a boost property tree.

xclbinutil (and so what people expect ``--info`` to show) does not see the
JSON of BUILD_METADATA, KEYVALUE_METADATA or SYSTEM_METADATA as typed values
but as a property tree: every value is text (``1`` and ``"1"`` are the same,
``true`` is ``"true"``), an object may hold the same key twice (old Vitis
metadata lists ``"port": {...}, "port": {...}``), an array is a node whose
children have empty keys, and an empty array written back by xclbinutil becomes
``""``. Looking a key up takes the *first* child with that name, and iterating
a node walks its children whatever they are. A ``dict`` loses duplicates and
typing breaks on ``""`` where a list was expected; this model keeps both
behaviours identical to xclbinutil's so the report matches it line for line.
"""

from __future__ import annotations

import json
from typing import Any


class PTree:
    """One property-tree node: text ``data`` and ordered ``(key, child)`` pairs."""

    __slots__ = ("children", "data")

    def __init__(self, data: str = "", children: list[tuple[str, PTree]] | None = None) -> None:
        self.data = data
        self.children = children if children is not None else []

    def __repr__(self) -> str:
        return f"PTree({self.data!r}, {len(self.children)} children)"

    def empty(self) -> bool:
        """boost's ``ptree::empty()``: no children (the node's own text does not count)."""
        return not self.children

    def find(self, key: str) -> PTree | None:
        """The first direct child called ``key`` (boost's ``ptree::find``)."""
        return next((c for k, c in self.children if k == key), None)

    def child(self, path: str) -> PTree | None:
        """Walk a dotted path, first match at each step (boost's ``get_child_optional``)."""
        node: PTree | None = self
        for key in path.split("."):
            node = node.find(key) if node is not None else None
        return node

    def get(self, path: str, default: str = "") -> str:
        """The text at ``path``, or ``default`` when there is no such node."""
        node = self.child(path)
        return default if node is None else node.data

    def values(self) -> list[PTree]:
        """The children, whatever their keys: what a loop over a ptree sees."""
        return [c for _, c in self.children]

    def vector(self, key: str) -> list[PTree]:
        """xclbinutil's ``as_vector(pt, key)``: the children of the first child ``key``."""
        node = self.find(key)
        return [] if node is None else node.values()

    def depth(self) -> int:
        """How deeply the tree nests (counted without recursion, so any tree can be measured)."""
        deepest, stack = 0, [(self, 1)]
        while stack:
            node, level = stack.pop()
            deepest = max(deepest, level)
            stack.extend((c, level + 1) for _, c in node.children)
        return deepest

    def plain(self) -> Any:
        """A JSON-like value (dict, list or str) for callers that want ordinary data.

        Keys that repeat keep their first value, as a lookup in the tree would.
        """
        if not self.children:
            return self.data
        if all(k == "" for k, _ in self.children):
            return [c.plain() for _, c in self.children]
        out: dict[str, Any] = {}
        for k, c in self.children:
            out.setdefault(k, c.plain())
        return out


def _node(value: Any) -> PTree:
    if isinstance(value, PTree):
        return value
    if isinstance(value, list):
        return PTree("", [("", _node(v)) for v in value])
    if value is True:
        return PTree("true")
    if value is False:
        return PTree("false")
    if value is None:
        return PTree("null")
    return PTree(str(value))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def from_json(text: str) -> PTree:
    """Parse JSON text into a property tree; ``ValueError`` on bad JSON.

    Numbers keep their literal spelling (``1.50`` stays ``1.50``), as boost
    keeps the characters it read; ``NaN``/``Infinity`` are refused as boost
    refuses them.
    """
    value = json.loads(
        text,
        object_pairs_hook=lambda pairs: PTree("", [(k, _node(v)) for k, v in pairs]),
        parse_int=str,
        parse_float=str,
        parse_constant=_refuse_constant,
    )
    return _node(value)

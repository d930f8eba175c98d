"""Label and field selectors with the API server's grammar and semantics.

kubespawner's reflectors filter by `component=singleuser-server` and
`involvedObject.kind=Pod`; the capacity watch filters by node. Parsing is strict
(a bad selector is a 400, as on a real API server), matching is pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_KEY_RE = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


class SelectorError(ValueError):
    """A selector string the API server would reject (answered as 400)."""


@dataclass(frozen=True)
class Requirement:
    """One clause of a label selector: key, operator, values."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("gt", "lt"):
            try:
                number, bound = int(value or ""), int(self.values[0])
            except ValueError:
                return False
            return number > bound if self.op == "gt" else number < bound
        raise AssertionError(self.op)


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError(f"unable to parse requirement: unbalanced ')' in {text!r}")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth:
        raise SelectorError(f"unable to parse requirement: unbalanced '(' in {text!r}")
    parts.append("".join(current))
    return parts


def _check_key(key: str) -> str:
    if not key or not _KEY_RE.match(key) or len(key.rsplit("/", 1)[-1]) > 63:
        raise SelectorError(f"unable to parse requirement: invalid label key {key!r}")
    return key


def _check_value(value: str) -> str:
    if len(value) > 63 or not _VALUE_RE.match(value):
        raise SelectorError(f"unable to parse requirement: invalid label value: {value!r}")
    return value


_SET_RE = re.compile(r"^\s*(\S+)\s+(in|notin)\s*\((.*)\)\s*$")
_OP_RE = re.compile(r"^\s*([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)\s*$")


def parse_label_selector(text: str | None) -> tuple[Requirement, ...]:
    """Parse `a=b,c!=d,e in (x,y),!f,g` into requirements; '' selects everything."""
    if not text or not text.strip():
        return ()
    requirements = []
    for raw in _split_top_level(text):
        part = raw.strip()
        if not part:
            raise SelectorError(f"unable to parse requirement: empty requirement in {text!r}")
        set_match = _SET_RE.match(part)
        if set_match:
            key, op, inner = set_match.groups()
            values = (
                tuple(_check_value(v.strip()) for v in inner.split(",")) if inner.strip() else ()
            )
            if not values:
                raise SelectorError(
                    f"unable to parse requirement: for '{op}' operator, values set can't be empty"
                )
            requirements.append(Requirement(_check_key(key), op, values))
            continue
        if part.startswith("!"):
            requirements.append(Requirement(_check_key(part[1:].strip()), "!"))
            continue
        op_match = _OP_RE.match(part)
        if op_match:
            key, op, value = op_match.groups()
            if op in (">", "<"):
                if not value.lstrip("-").isdigit():
                    raise SelectorError(
                        f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: {value!r}"
                    )
                requirements.append(
                    Requirement(_check_key(key), "gt" if op == ">" else "lt", (value,))
                )
            else:
                norm = "!=" if op == "!=" else "="
                requirements.append(Requirement(_check_key(key), norm, (_check_value(value),)))
            continue
        if re.match(r"^\S+$", part):
            requirements.append(Requirement(_check_key(part), "exists"))
            continue
        raise SelectorError(
            f"unable to parse requirement: found {part!r}, expected: '=', '!=', 'in', 'notin'"
        )
    return tuple(requirements)


def labels_match(requirements: tuple[Requirement, ...], labels: Mapping[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in requirements)


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    equal: bool
    value: str


def parse_field_selector(
    text: str | None, supported: frozenset[str]
) -> tuple[FieldRequirement, ...]:
    """Parse `a=b,c!=d`; fields outside `supported` are rejected like the API server does."""
    if not text or not text.strip():
        return ()
    result = []
    for raw in text.split(","):
        part = raw.strip()
        match = re.match(r"^([^=!]+)(==|=|!=)(.*)$", part)
        if not match:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        name, op, value = match.group(1).strip(), match.group(2), match.group(3).strip()
        if name not in supported:
            raise SelectorError(f"field label not supported: {name}")
        result.append(FieldRequirement(name, op != "!=", value))
    return tuple(result)


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string an object has at a dotted field path ('' when absent), as selectors compare it."""
    if path == "source":  # events: 'source' means source.component
        path = "source.component"
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return ""
        node = node[part]
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def fields_match(requirements: tuple[FieldRequirement, ...], obj: Mapping[str, Any]) -> bool:
    return all((field_value(obj, r.field) == r.value) == r.equal for r in requirements)


def make_matcher(
    namespace: str | None,
    label_requirements: tuple[Requirement, ...],
    field_requirements: tuple[FieldRequirement, ...],
) -> Callable[[Mapping[str, Any]], bool]:
    """One predicate for list and watch: namespace, labels and fields together."""

    def match(obj: Mapping[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        if namespace is not None and meta.get("namespace") != namespace:
            return False
        return labels_match(label_requirements, meta.get("labels")) and fields_match(
            field_requirements, obj
        )

    return match

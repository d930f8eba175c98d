"""The part of CEL that DRA device selectors are written in: parsed, checked and evaluated.

Kubernetes evaluates a DeviceClass's or a request's selector (a CEL expression
over one ``device``) against every device a ResourceSlice publishes. A
selector with a syntax error is only refused by the API server when the
ResourceClaimTemplate is created, that is at the first spawn; so the hub
parses the catalog's selectors at start-up and names the entry that is wrong.
The capacity view and the emulator's allocator evaluate the same expressions
against the devices the slices list, so the three cannot disagree on which
devices a board type means.

The subset: literals (strings, integers, ``true``/``false``/``null``, lists),
``device.driver``, ``device.attributes["domain"].name`` (or
``["domain"]["name"]``), ``device.capacity[...]``,
``device.allowMultipleAllocations``, the operators ``== != < <= > >= in``,
``&& || !`` and parentheses, and the string methods ``startsWith``,
``endsWith``, ``contains``, ``matches`` and ``size()``. Everything else (macros,
arithmetic, the ternary operator) is refused as "not supported here" rather
than misread. The facts: docs/upstream-facts.md, "Dynamic Resource Allocation".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CelError", "Expression", "DEVICE_FIELDS", "compile_selector", "device_view"]

DEVICE_FIELDS = ("driver", "attributes", "capacity", "allowMultipleAllocations")
METHODS = {"startsWith": 1, "endsWith": 1, "contains": 1, "matches": 1, "size": 0}
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<number>\d+)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\].,])
    |(?P<other>\S)
    )""",
    re.VERBOSE,
)
_RELATIONS = ("==", "!=", "<", "<=", ">", ">=", "in")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


class CelError(ValueError):
    """A selector that cannot be used; the message says where (column) and why."""


class CelRuntimeError(CelError):
    """Evaluation failed for one device (a missing attribute, a type mismatch)."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int


def _tokens(source: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:  # only trailing blanks are left
            break
        kind = match.lastgroup or "other"
        if kind == "other":
            raise CelError(f"column {match.start(kind) + 1}: unexpected {match.group(kind)!r}")
        tokens.append(_Token(kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    tokens.append(_Token("end", "", len(source) + 1))
    return tokens


def _unquote(text: str) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


# The tree is nested tuples: ("lit", value), ("list", items), ("device",),
# ("member", obj, name), ("index", obj, key), ("call", obj, method, args),
# ("not", x), ("and", a, b), ("or", a, b), ("rel", op, a, b).
Node = tuple


class _Parser:
    def __init__(self, source: str):
        self.tokens = _tokens(source)
        self.i = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self, text: str | None = None) -> _Token:
        token = self.peek
        if text is not None and token.text != text:
            found = repr(token.text) if token.kind != "end" else "the end"
            raise CelError(f"column {token.column}: expected {text!r}, found {found}")
        self.i += 1
        return token

    def parse(self) -> Node:
        if self.peek.kind == "end":
            raise CelError("the expression is empty")
        node = self.disjunction()
        if self.peek.kind != "end":
            raise CelError(f"column {self.peek.column}: unexpected {self.peek.text!r}")
        return node

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.peek.text == "||":
            self.take()
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.relation()
        while self.peek.text == "&&":
            self.take()
            node = ("and", node, self.relation())
        return node

    def relation(self) -> Node:
        node = self.unary()
        if self.peek.text in _RELATIONS and self.peek.kind in ("op", "name"):
            op = self.take().text
            node = ("rel", op, node, self.unary())
            if self.peek.text in _RELATIONS:
                raise CelError(
                    f"column {self.peek.column}: chained comparisons are not supported here; join them with &&"
                )
        return node

    def unary(self) -> Node:
        if self.peek.text == "!":
            self.take()
            return ("not", self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        while self.peek.text in (".", "["):
            if self.take().text == "[":
                node = ("index", node, self.disjunction())
                self.take("]")
                continue
            name = self.take()
            if name.kind != "name":
                raise CelError(f"column {name.column}: expected a field or method name")
            if self.peek.text != "(":
                node = ("member", node, name.text)
                continue
            if name.text not in METHODS:
                raise CelError(
                    f"column {name.column}: method {name.text!r} is not supported here; "
                    f"supported: {', '.join(METHODS)}"
                )
            self.take("(")
            args = [] if self.peek.text == ")" else self.arguments(")")
            self.take(")")
            if len(args) != METHODS[name.text]:
                raise CelError(
                    f"column {name.column}: {name.text}() takes {METHODS[name.text]} argument(s)"
                )
            node = ("call", node, name.text, tuple(args))
        return node

    def arguments(self, closing: str) -> list[Node]:
        items = [self.disjunction()]
        while self.peek.text == ",":
            self.take()
            if self.peek.text == closing:  # CEL allows a trailing comma
                break
            items.append(self.disjunction())
        return items

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "string":
            return ("lit", _unquote(token.text))
        if token.kind == "number":
            return ("lit", int(token.text))
        if token.text == "(":
            node = self.disjunction()
            self.take(")")
            return node
        if token.text == "[":
            items = [] if self.peek.text == "]" else self.arguments("]")
            self.take("]")
            return ("list", tuple(items))
        if token.kind == "name":
            literal = {"true": True, "false": False, "null": None}
            if token.text in literal:
                return ("lit", literal[token.text])
            if token.text != "device":
                raise CelError(
                    f"column {token.column}: unknown name {token.text!r}; a device selector "
                    "can only read 'device'"
                )
            if self.peek.text == "(":
                raise CelError(f"column {token.column}: 'device' is not a function")
            return ("device",)
        found = repr(token.text) if token.kind != "end" else "the end"
        raise CelError(f"column {token.column}: expected a value, found {found}")


def _check_device_fields(node: Node) -> None:
    """``device.<field>`` must be a field a Kubernetes device has."""
    if node[0] == "member" and node[1] == ("device",) and node[2] not in DEVICE_FIELDS:
        raise CelError(f"device has no field {node[2]!r}; fields: {', '.join(DEVICE_FIELDS)}")
    for part in node[1:]:
        if isinstance(part, tuple) and part and isinstance(part[0], str):
            _check_device_fields(part)
        elif isinstance(part, tuple):
            for item in part:
                if isinstance(item, tuple):
                    _check_device_fields(item)


def _get(value: Any, key: Any) -> Any:
    if isinstance(value, Mapping):
        if key not in value:
            raise CelRuntimeError(f"no such key: {key}")
        return value[key]
    if isinstance(value, list) and isinstance(key, int) and not isinstance(key, bool):
        if not 0 <= key < len(value):
            raise CelRuntimeError(f"index out of range: {key}")
        return value[key]
    raise CelRuntimeError(f"cannot index a {type(value).__name__}")


def _same_type(a: Any, b: Any) -> bool:
    return type(a) is type(b) or a is None or b is None


def _relation(op: str, a: Any, b: Any) -> bool:
    if op == "in":
        if isinstance(b, Mapping):
            return a in b
        if isinstance(b, list):
            return any(_same_type(a, item) and a == item for item in b)
        raise CelRuntimeError("'in' needs a list or a map on its right")
    if op in ("==", "!="):
        if not _same_type(a, b):
            raise CelRuntimeError(f"no such overload: {type(a).__name__} {op} {type(b).__name__}")
        return (a == b) == (op == "==")
    if type(a) is not type(b) or not isinstance(a, (int, str)) or isinstance(a, bool):
        raise CelRuntimeError(f"no such overload: {type(a).__name__} {op} {type(b).__name__}")
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _call(target: Any, method: str, args: list[Any]) -> Any:
    if method == "size":
        if isinstance(target, (str, list, Mapping)):
            return len(target)
        raise CelRuntimeError(f"no such overload: size({type(target).__name__})")
    if not isinstance(target, str) or not isinstance(args[0], str):
        raise CelRuntimeError(f"{method}() works on strings")
    if method == "startsWith":
        return target.startswith(args[0])
    if method == "endsWith":
        return target.endswith(args[0])
    if method == "contains":
        return args[0] in target
    try:
        return re.search(args[0], target) is not None
    except re.error as e:
        raise CelRuntimeError(f"matches(): bad pattern: {e}") from None


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise CelRuntimeError(f"expected a bool, got {type(value).__name__}")
    return value


def _evaluate(node: Node, device: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "list":
        return [_evaluate(item, device) for item in node[1]]
    if kind == "device":
        return device
    if kind == "member":
        return _get(_evaluate(node[1], device), node[2])
    if kind == "index":
        return _get(_evaluate(node[1], device), _evaluate(node[2], device))
    if kind == "call":
        return _call(_evaluate(node[1], device), node[2], [_evaluate(a, device) for a in node[3]])
    if kind == "not":
        return not _bool(_evaluate(node[1], device))
    if kind == "and":
        return _bool(_evaluate(node[1], device)) and _bool(_evaluate(node[2], device))
    if kind == "or":
        return _bool(_evaluate(node[1], device)) or _bool(_evaluate(node[2], device))
    return _relation(node[1], _evaluate(node[2], device), _evaluate(node[3], device))


@dataclass(frozen=True)
class Expression:
    """One parsed selector; :meth:`matches` answers for one device (see :func:`device_view`)."""

    source: str
    tree: Node

    def evaluate(self, device: Mapping[str, Any]) -> Any:
        return _evaluate(self.tree, device)

    def matches(self, device: Mapping[str, Any]) -> bool:
        """True only when the expression yields true; a runtime error is no match.

        Kubernetes reports such an error on the claim and allocates nothing;
        for counting capacity and for the emulator, "this device does not
        qualify" is the same outcome.
        """
        try:
            return self.evaluate(device) is True
        except CelRuntimeError:
            return False


def compile_selector(source: str) -> Expression:
    """Parse and check one selector, or raise :class:`CelError` saying where it is wrong."""
    if not isinstance(source, str):
        raise CelError(f"must be a string, got {type(source).__name__}")
    if len(source) > 10 * 1024:
        raise CelError("is longer than 10 KiB, the API server's limit")
    tree = _Parser(source).parse()
    _check_device_fields(tree)
    if tree[0] in ("lit", "list") and not isinstance(tree[1], bool):
        raise CelError("must yield a bool (true when the device qualifies)")
    return Expression(source, tree)


def _attribute_value(raw: Any) -> Any:
    """A ResourceSlice attribute ({"string": ...}, {"int": ...}, ...) as a plain value."""
    if isinstance(raw, Mapping):
        for key in ("string", "int", "bool", "version"):
            if key in raw:
                return raw[key]
    return None


def device_view(driver: str, device: Mapping[str, Any]) -> dict[str, Any]:
    """The ``device`` a selector sees, from one device of a ResourceSlice (resource.k8s.io/v1).

    Attribute and capacity names without a domain belong to the driver's domain.
    """
    attributes: dict[str, dict[str, Any]] = {}
    for name, raw in (device.get("attributes") or {}).items():
        domain, _, short = str(name).rpartition("/")
        attributes.setdefault(domain or driver, {})[short] = _attribute_value(raw)
    capacity: dict[str, dict[str, Any]] = {}
    for name, raw in (device.get("capacity") or {}).items():
        domain, _, short = str(name).rpartition("/")
        value = raw.get("value") if isinstance(raw, Mapping) else raw
        capacity.setdefault(domain or driver, {})[short] = value
    return {
        "driver": driver,
        "attributes": attributes,
        "capacity": capacity,
        "allowMultipleAllocations": bool(device.get("allowMultipleAllocations")),
    }

"""PARTITION_METADATA: a flattened device tree, read for its interface UUIDs.

xclbinutil stores a shell partition's metadata as a device-tree blob (the
standard FDT layout: big-endian header, structure block of BEGIN_NODE / PROP /
END_NODE tokens, strings block). ``--info`` shows each
``interfaces/@N/interface_uuid`` as a ``UUID (IINTF)`` line, and takes the
first one as the xclbin's static (interface) UUID. Nothing else of the tree is
needed, so nothing else is kept.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from .model import XclbinError

MAGIC = 0xD00DFEED
HEADER = struct.Struct(">10I")  # magic, totalsize, off_struct, off_strings, off_rsvmap, ...
BEGIN_NODE, END_NODE, PROP, NOP, END = 1, 2, 3, 4, 9
MAX_DEPTH = 64  # real partition metadata is four levels deep


@dataclass
class Node:
    name: str
    props: dict[str, bytes] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)


def _fail(source: str, defect: str) -> XclbinError:
    return XclbinError(source, f"PARTITION_METADATA {defect}")


def _cstr(blob: bytes, at: int, source: str, what: str) -> tuple[str, int]:
    end = blob.find(b"\0", at)
    if end < 0:
        raise _fail(source, f"{what} has no terminating NUL")
    try:
        return blob[at:end].decode("utf-8"), end
    except UnicodeDecodeError:
        raise _fail(source, f"{what} is not valid UTF-8") from None


def parse(blob: bytes, source: str) -> Node:
    """The root node of a device-tree blob; ``XclbinError`` naming the defect."""
    if len(blob) < HEADER.size:
        raise _fail(source, f"is {len(blob)} bytes, smaller than a device-tree header")
    magic, total, off_struct, off_strings, _, _, _, _, size_strings, size_struct = (
        HEADER.unpack_from(blob)
    )
    if magic != MAGIC:
        raise _fail(source, f"is not a device tree (magic 0x{magic:08x})")
    if total != len(blob):
        raise _fail(source, f"device tree says {total} bytes, the section is {len(blob)}")
    if off_strings + size_strings > total or off_struct + size_struct > total:
        raise _fail(source, "device tree blocks run past the end of the section")
    strings = blob[off_strings : off_strings + size_strings]
    body = blob[off_struct : off_struct + size_struct]
    if len(body) < 12 or struct.unpack_from(">I", body)[0] != BEGIN_NODE:
        raise _fail(source, "device tree does not start with a node")
    pos = 0
    stack: list[Node] = []
    root: Node | None = None
    while True:
        if pos + 4 > len(body):
            raise _fail(source, "device tree ends inside a node")
        (token,) = struct.unpack_from(">I", body, pos)
        pos += 4
        if token == BEGIN_NODE:
            name, end = _cstr(body, pos, source, "node name")
            pos = (end + 4) & ~3
            node = Node(name)
            if stack:
                stack[-1].nodes.append(node)
            elif root is None:
                root = node
            else:
                raise _fail(source, "device tree has two root nodes")
            stack.append(node)
            if len(stack) > MAX_DEPTH:
                raise _fail(source, f"device tree is nested deeper than {MAX_DEPTH} levels")
        elif token == PROP:
            if not stack or pos + 8 > len(body):
                raise _fail(source, "device tree property outside a node")
            length, name_at = struct.unpack_from(">II", body, pos)
            pos += 8
            if pos + length > len(body):
                raise _fail(source, "device tree property runs past the structure block")
            name, _ = _cstr(strings, name_at, source, "property name")
            stack[-1].props.setdefault(name, body[pos : pos + length])
            pos = (pos + length + 3) & ~3
        elif token == END_NODE:
            if not stack:
                raise _fail(source, "device tree closes a node it never opened")
            stack.pop()
        elif token == NOP:
            continue
        elif token == END:
            break
        else:
            raise _fail(source, f"device tree has an unknown token 0x{token:x}")
    if root is None or stack:
        raise _fail(source, "device tree ends inside a node")
    return root


def interface_uuids(blob: bytes, source: str) -> tuple[str, ...]:
    """``interfaces/*/interface_uuid`` in order, as the section spells them."""
    root = parse(blob, source)
    interfaces = next((n for n in root.nodes if n.name == "interfaces"), None)
    if interfaces is None:
        return ()
    out = []
    for i, node in enumerate(interfaces.nodes):
        raw = node.props.get("interface_uuid")
        if raw is None:
            raise _fail(source, f"interface #{i} has no interface_uuid")
        text, _ = _cstr(raw + b"\0", 0, source, f"interface #{i} interface_uuid")
        out.append(text)
    return tuple(out)

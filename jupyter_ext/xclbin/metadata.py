"""Kernel signatures from the metadata sections.

The binary sections say *where* kernels are (IP_LAYOUT) but not what their
arguments are; that lives in BUILD_METADATA (JSON, what ``xclbinutil --info``
reads) and EMBEDDED_METADATA (XML, what XRT's runtime reads). Both are checked
for shape, because a mutated or hand-written file must give an ``XclbinError``,
not a ``TypeError`` deep in the report code.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from .model import KernelArg, KernelPort
from .sections import Reader


@dataclass(frozen=True)
class MetaKernel:
    name: str
    args: tuple[KernelArg, ...]
    ports: tuple[KernelPort, ...]
    instances: tuple[str, ...]


def _decode(reader: Reader, what: str, raw: bytes) -> str:
    try:
        return raw.rstrip(b"\0").decode("utf-8")
    except UnicodeDecodeError as e:
        raise reader.fail(f"{what} is not valid UTF-8 (byte {e.start})") from None


def _text(reader: Reader, what: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise reader.fail(f"{what} should be a text value, found a {type(value).__name__}")
    return str(value)


def _int(reader: Reader, what: str, value: Any, default: int = 0) -> int:
    text = _text(reader, what, value).strip()
    if not text:
        return default
    try:
        return int(text, 0)
    except ValueError:
        raise reader.fail(f"{what} should be an integer, found {text[:40]!r}") from None


def _list(reader: Reader, what: str, value: Any) -> list[dict]:
    if value is None:
        return []
    if isinstance(value, dict):  # boost ptree writes a one-element array as an object
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise reader.fail(f"{what} should be a list of objects")
    return value


def load_json(reader: Reader, what: str, raw: bytes) -> dict[str, Any]:
    text = _decode(reader, what, raw)
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise reader.fail(f"{what} is not valid JSON ({str(e)[:80]})") from None
    if not isinstance(obj, dict):
        raise reader.fail(f"{what} should hold a JSON object, found {type(obj).__name__}")
    return obj


def build_metadata(reader: Reader, raw: bytes) -> dict[str, Any]:
    obj = load_json(reader, "BUILD_METADATA", raw)
    inner = obj.get("build_metadata", obj)
    if not isinstance(inner, dict):
        raise reader.fail("BUILD_METADATA 'build_metadata' should be a JSON object")
    return inner


def kernels_from_build_metadata(reader: Reader, meta: dict[str, Any]) -> list[MetaKernel]:
    xclbin = meta.get("xclbin", {})
    if not isinstance(xclbin, dict):
        raise reader.fail("BUILD_METADATA 'xclbin' should be a JSON object")
    out = []
    regions = _list(reader, "BUILD_METADATA xclbin.user_regions", xclbin.get("user_regions"))
    for r, region in enumerate(regions):
        where = f"BUILD_METADATA user_regions[{r}]"
        for k, kern in enumerate(_list(reader, f"{where}.kernels", region.get("kernels"))):
            kw = f"{where}.kernels[{k}]"
            name = _text(reader, f"{kw}.name", kern.get("name"))
            if not name:
                continue
            args = []
            for a, arg in enumerate(_list(reader, f"{kw}.arguments", kern.get("arguments"))):
                aw = f"{kw}.arguments[{a}]"
                args.append(
                    KernelArg(
                        index=_int(reader, f"{aw}.id", arg.get("id"), a),
                        name=_text(reader, f"{aw}.name", arg.get("name")),
                        type=_text(reader, f"{aw}.type", arg.get("type")),
                        port=_text(reader, f"{aw}.port", arg.get("port")),
                        offset=_text(reader, f"{aw}.offset", arg.get("offset")),
                        size=_text(reader, f"{aw}.size", arg.get("size")),
                        address_qualifier=_int(
                            reader, f"{aw}.address_qualifier", arg.get("address_qualifier")
                        ),
                    )
                )
            ports = [
                KernelPort(
                    name=_text(reader, f"{kw}.ports.name", p.get("name")),
                    mode=_text(reader, f"{kw}.ports.mode", p.get("mode")),
                    range=_text(reader, f"{kw}.ports.range", p.get("range")),
                    data_width=_text(reader, f"{kw}.ports.data_width", p.get("data_width")),
                    port_type=_text(reader, f"{kw}.ports.port_type", p.get("port_type")),
                )
                for p in _list(reader, f"{kw}.ports", kern.get("ports"))
            ]
            insts = [
                _text(reader, f"{kw}.instances.name", i.get("name"))
                for i in _list(reader, f"{kw}.instances", kern.get("instances"))
            ]
            out.append(MetaKernel(name, tuple(args), tuple(ports), tuple(insts)))
    return out


def kernels_from_embedded_xml(reader: Reader, raw: bytes) -> list[MetaKernel]:
    text = _decode(reader, "EMBEDDED_METADATA", raw)
    # Vitis never writes a DTD; refusing one shuts out entity-expansion bombs.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise reader.fail("EMBEDDED_METADATA contains a DTD, which xclbin metadata never has")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise reader.fail(f"EMBEDDED_METADATA is not valid XML ({e})") from None
    out = []
    for kern in root.iter("kernel"):
        name = kern.get("name", "")
        if not name:
            continue
        kw = f"EMBEDDED_METADATA kernel {name!r}"
        args = [
            KernelArg(
                index=_int(reader, f"{kw} arg id", a.get("id"), i),
                name=a.get("name", ""),
                type=a.get("type", ""),
                port=a.get("port", ""),
                offset=a.get("offset", ""),
                size=a.get("size", ""),
                address_qualifier=_int(
                    reader, f"{kw} arg addressQualifier", a.get("addressQualifier")
                ),
            )
            for i, a in enumerate(kern.findall("arg"))
        ]
        ports = [
            KernelPort(
                name=p.get("name", ""),
                mode=p.get("mode", ""),
                range=p.get("range", ""),
                data_width=p.get("dataWidth", ""),
                port_type=p.get("portType", ""),
            )
            for p in kern.findall("port")
        ]
        insts = [i.get("name", "") for i in kern.findall("instance")]
        out.append(MetaKernel(name, tuple(args), tuple(ports), tuple(insts)))
    return out


def keyvalues(reader: Reader, raw: bytes) -> tuple[tuple[str, str], ...]:
    obj = load_json(reader, "KEYVALUE_METADATA", raw)
    inner = obj.get("keyvalue_metadata", obj)
    if not isinstance(inner, dict):
        raise reader.fail("KEYVALUE_METADATA 'keyvalue_metadata' should be a JSON object")
    pairs = _list(reader, "KEYVALUE_METADATA key_values", inner.get("key_values"))
    return tuple(
        (
            _text(reader, "KEYVALUE_METADATA key", p.get("key")),
            _text(reader, "KEYVALUE_METADATA value", p.get("value")),
        )
        for p in pairs
    )

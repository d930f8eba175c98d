"""Kernel signatures and other facts from the metadata sections.

The binary sections say *where* kernels are (IP_LAYOUT) but not what their
arguments are; that lives in BUILD_METADATA (JSON, what ``xclbinutil --info``
reads) and EMBEDDED_METADATA (XML, what XRT's runtime reads). Each is read the
way its reader reads it: the JSON sections as boost property trees (ptree.py),
the XML along the one path XRT follows (``project/platform/device/core``, first
match at each step), so the kernels and argument counts we report are the ones
those tools report. Text that is not UTF-8, not JSON or not XML is an
``XclbinError`` naming the section, never a crash further on.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .format import MAX_METADATA_DEPTH
from .model import KernelArg, KernelPort, SystemClock, XrtKernel
from .ptree import PTree, from_json
from .sections import Reader


@dataclass(frozen=True)
class MetaKernel:
    name: str
    args: tuple[KernelArg, ...]
    ports: tuple[KernelPort, ...]
    instances: tuple[str, ...]


def _decode(reader: Reader, what: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise reader.fail(f"{what} is not valid UTF-8 (byte {e.start})") from None


def load_tree(reader: Reader, what: str, raw: bytes) -> PTree:
    """A JSON section as a property tree; its top level must be an object."""
    text = _decode(reader, what, raw)
    try:
        tree = from_json(text)
    except (ValueError, RecursionError) as e:
        raise reader.fail(f"{what} is not valid JSON ({str(e)[:80]})") from None
    if not text.lstrip().startswith("{"):
        kind = "an array" if text.lstrip().startswith("[") else "a single value"
        raise reader.fail(f"{what} should hold a JSON object, found {kind}")
    if tree.depth() > MAX_METADATA_DEPTH:
        raise reader.fail(f"{what} nests deeper than {MAX_METADATA_DEPTH} levels")
    return tree


def c_integer(text: str) -> int | None:
    """``std::stoul(text, nullptr, 0)`` as XRT calls it: the leading number, else None."""
    m = re.match(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", text)
    if m is None:
        return None
    digits = m.group(2)
    if digits[:2].lower() == "0x":
        value = int(digits, 16)
    elif digits.startswith("0"):
        value = int(digits, 8)
    else:
        value = int(digits)
    return -value if m.group(1) == "-" else value


def _int(text: str, default: int) -> int:
    value = c_integer(text)
    return default if value is None else value


# --- BUILD_METADATA --------------------------------------------------------------


def build_metadata(reader: Reader, raw: bytes) -> PTree:
    """The ``build_metadata`` node (xclbinutil's starting point for the report)."""
    root = load_tree(reader, "BUILD_METADATA", raw)
    return root.find("build_metadata") or root


def kernels_from_build_metadata(meta: PTree) -> list[MetaKernel]:
    """``xclbin.user_regions[].kernels[]`` walked as xclbinutil walks it."""
    xclbin = meta.find("xclbin")
    out = []
    for region in xclbin.vector("user_regions") if xclbin else []:
        for kern in region.vector("kernels"):
            name = kern.get("name")
            if not name:
                continue
            args = tuple(
                KernelArg(
                    index=_int(a.get("id"), i),
                    name=a.get("name"),
                    type=a.get("type"),
                    port=a.get("port"),
                    offset=a.get("offset"),
                    size=a.get("size"),
                    address_qualifier=_int(a.get("address_qualifier"), 0),
                )
                for i, a in enumerate(kern.vector("arguments"))
            )
            ports = tuple(
                KernelPort(
                    name=p.get("name"),
                    mode=p.get("mode"),
                    range=p.get("range"),
                    data_width=p.get("data_width"),
                    port_type=p.get("port_type"),
                )
                for p in kern.vector("ports")
            )
            insts = tuple(i.get("name") for i in kern.vector("instances"))
            out.append(MetaKernel(name, args, ports, insts))
    return out


# --- EMBEDDED_METADATA -------------------------------------------------------------


def xml_core(reader: Reader, raw: bytes) -> ET.Element | None:
    """``project/platform/device/core`` of the XML (first match at each step), if any."""
    text = _decode(reader, "EMBEDDED_METADATA", raw)
    # Vitis never writes a DTD; refusing one shuts out entity-expansion bombs.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise reader.fail("EMBEDDED_METADATA contains a DTD, which xclbin metadata never has")
    try:
        root = ET.fromstring(raw)
    except (ET.ParseError, LookupError, ValueError) as e:  # LookupError: unknown encoding
        raise reader.fail(f"EMBEDDED_METADATA is not valid XML ({str(e)[:80]})") from None
    if root.tag != "project":
        return None
    node: ET.Element | None = root
    for tag in ("platform", "device", "core"):
        node = node.find(tag) if node is not None else None
    return node


def kernels_from_embedded_xml(core: ET.Element | None) -> list[MetaKernel]:
    out = []
    for kern in core.findall("kernel") if core is not None else []:
        name = kern.get("name", "")
        if not name:
            continue
        args = tuple(
            KernelArg(
                index=_int(a.get("id", ""), i),
                name=a.get("name", ""),
                type=a.get("type", ""),
                port=a.get("port", ""),
                offset=a.get("offset", ""),
                size=a.get("size", ""),
                address_qualifier=_int(a.get("addressQualifier", ""), 0),
            )
            for i, a in enumerate(kern.findall("arg"))
        )
        ports = tuple(
            KernelPort(
                name=p.get("name", ""),
                mode=p.get("mode", ""),
                range=p.get("range", ""),
                data_width=p.get("dataWidth", ""),
                port_type=p.get("portType", ""),
            )
            for p in kern.findall("port")
        )
        insts = tuple(i.get("name", "") for i in kern.findall("instance"))
        out.append(MetaKernel(name, args, ports, insts))
    return out


def xrt_kernels(core: ET.Element | None) -> tuple[XrtKernel, ...]:
    """Kernels and argument counts as XRT's ``xclbin::kernel::get_num_args()`` gives them.

    XRT sorts a kernel's ``arg`` elements by ``id``, merges the components of
    one argument (same id) and does not count arguments without an id (OpenCL's
    ``local_size`` and the like), so the count is the number of distinct ids.
    """
    out = []
    for kern in core.findall("kernel") if core is not None else []:
        ids = {c_integer(i) for a in kern.findall("arg") if (i := a.get("id", ""))}
        out.append(XrtKernel(kern.get("name", ""), len(ids - {None})))
    return tuple(out)


# --- KEYVALUE_METADATA, SYSTEM_METADATA ---------------------------------------------


def keyvalues(reader: Reader, raw: bytes) -> tuple[tuple[str, str], ...]:
    """``key_values[]`` at the top of the section (how xclbinutil writes and reads it)."""
    root = load_tree(reader, "KEYVALUE_METADATA", raw)
    return tuple((p.get("key"), p.get("value")) for p in root.vector("key_values"))


def system_clocks(reader: Reader, raw: bytes) -> tuple[SystemClock, ...]:
    """``system_diagram_metadata.xsa.clocks[]`` of SYSTEM_METADATA, every field as text."""
    root = load_tree(reader, "SYSTEM_METADATA", raw)
    xsa = root.child("system_diagram_metadata.xsa")
    return tuple(
        SystemClock(
            name=c.get("orig_name"),
            type=c.get("type"),
            spec_frequency=c.get("spec_frequency"),
            requested_frequency=c.get("requested_frequency"),
            achieved_frequency=c.get("achieved_frequency"),
        )
        for c in (xsa.vector("clocks") if xsa else [])
    )

"""Read an xclbin without reading its bitstream.

The file is mapped with ``mmap`` and only the header, the section table and
the small descriptive sections are touched, so parse time and memory do not
depend on the size of the BITSTREAM (a real one is 30-100 MB) nor on how big a
crafted file claims to be: every offset and count is checked against the file
size and against the limits in format.py before anything is allocated, and
metadata is read only up to its first NUL. The first defect found is raised as
one ``XclbinError`` that names the file and the defect.
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
from pathlib import Path

from . import format as fmt
from . import metadata as meta
from . import sections as sec
from .fdt import interface_uuids
from .joins import kernels as join_kernels
from .model import (
    Clock,
    Connection,
    MemBank,
    Section,
    SystemClock,
    Xclbin,
    XclbinError,
    uuid_string,
)
from .ptree import PTree
from .signature import user_signature, xrt_refusal


def parse_xclbin(path: str | os.PathLike[str]) -> Xclbin:
    """Parse the xclbin at ``path``."""
    p = Path(path)
    try:
        if not stat.S_ISREG(os.stat(p).st_mode):  # a FIFO would block open() forever
            raise XclbinError(p, "not a regular file")
        f = open(p, "rb")  # noqa: SIM115 - closed below, after the mmap
    except OSError as e:
        raise XclbinError(p, f"cannot open: {e.strerror or e}") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise XclbinError(p, "file is empty (0 bytes); an xclbin starts with 'xclbin2'")
        try:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as e:
            raise XclbinError(p, f"cannot map the file: {e}") from None
        try:
            return _parse(sec.Reader(mm, size, str(p)))
        finally:
            mm.close()


def parse_bytes(data: bytes | bytearray | memoryview, source: str = "<bytes>") -> Xclbin:
    """Parse an xclbin held in memory (tests, fuzzing, uploads)."""
    return _parse(sec.Reader(data, len(data), source))


def _parse(r: sec.Reader) -> Xclbin:
    size = r.size
    if size < len(fmt.MAGIC) or r.read(0, len(fmt.MAGIC)) != fmt.MAGIC:
        head = r.read(0, min(size, 8))
        raise r.fail(f"not an xclbin: starts with {head!r}, expected b'xclbin2\\x00'")
    if size < fmt.HEADER_SIZE:
        raise r.fail(
            f"truncated: {size} bytes, but the xclbin header alone is {fmt.HEADER_SIZE} bytes"
        )
    (sig_len,) = r.unpack(_I32, fmt.OFF_SIGNATURE_LENGTH)
    unique_id, length, ts, rom_ts, patch, major, minor, mode, amask = r.unpack(
        fmt.HEADER_NUMBERS, fmt.OFF_UNIQUE_ID
    )
    if length > size:
        raise r.fail(f"truncated: the header says {length} bytes, the file has {size}")
    (n_sections,) = r.unpack(_U32, fmt.OFF_NUM_SECTIONS)
    table_end = fmt.OFF_SECTIONS + n_sections * fmt.SECTION_HEADER_SIZE
    if table_end > size:
        raise r.fail(
            f"section count {n_sections} needs {table_end} bytes of section headers, "
            f"but the file has {size} bytes"
        )
    if n_sections > fmt.MAX_SECTIONS:
        raise r.fail(f"section count {n_sections} is more than the {fmt.MAX_SECTIONS} XRT accepts")
    sections = tuple(_section(r, i) for i in range(n_sections))

    first: dict[int, Section] = {}
    for s in sections:
        first.setdefault(s.kind, s)

    def text(kind: int) -> bytes | None:
        s = first.get(kind)
        return None if s is None else r.text(s, fmt.MAX_METADATA_BYTES)

    ips = sec.ip_layout(r, first[fmt.IP_LAYOUT]) if fmt.IP_LAYOUT in first else ()
    mems = sec.mem_topology(r, first[fmt.MEM_TOPOLOGY]) if fmt.MEM_TOPOLOGY in first else ()
    conns: tuple[Connection, ...] = ()
    if fmt.CONNECTIVITY in first:
        conns = sec.connectivity(r, first[fmt.CONNECTIVITY], len(ips), len(mems))
    groups: tuple[MemBank, ...] = ()
    if fmt.ASK_GROUP_TOPOLOGY in first:
        groups = sec.mem_topology(r, first[fmt.ASK_GROUP_TOPOLOGY])
    group_conns: tuple[Connection, ...] = ()
    if fmt.ASK_GROUP_CONNECTIVITY in first:
        group_conns = sec.connectivity(
            r, first[fmt.ASK_GROUP_CONNECTIVITY], len(ips), len(groups), "GROUP_TOPOLOGY"
        )
    clocks: tuple[Clock, ...] = ()
    if fmt.CLOCK_FREQ_TOPOLOGY in first:
        clocks = sec.clock_freq_topology(r, first[fmt.CLOCK_FREQ_TOPOLOGY])
    debug = (
        sec.debug_ip_layout(r, first[fmt.DEBUG_IP_LAYOUT]) if fmt.DEBUG_IP_LAYOUT in first else ()
    )

    build: PTree | None = None
    meta_kernels: list[meta.MetaKernel] = []
    if (b := text(fmt.BUILD_METADATA)) is not None:
        build = meta.build_metadata(r, b)
        meta_kernels = meta.kernels_from_build_metadata(build)
    core = None
    if (x := text(fmt.EMBEDDED_METADATA)) is not None:
        core = meta.xml_core(r, x)
    xml_kernels = meta.kernels_from_embedded_xml(core)
    kv: tuple[tuple[str, str], ...] = ()
    if (k := text(fmt.KEYVALUE_METADATA)) is not None and first[fmt.KEYVALUE_METADATA].size:
        kv = meta.keyvalues(r, k)
    system_clocks: tuple[SystemClock, ...] = ()
    if (m := text(fmt.SYSTEM_METADATA)) is not None and first[fmt.SYSTEM_METADATA].size:
        system_clocks = meta.system_clocks(r, m)
    interfaces = tuple(
        interface_uuids(_blob(r, s), r.source) for s in sections if s.kind == fmt.PARTITION_METADATA
    )

    content = sec.bitstream_content(r, first[fmt.BITSTREAM]) if fmt.BITSTREAM in first else ""
    return Xclbin(
        source=r.source,
        file_size=size,
        signature_length=sig_len,
        unique_id=unique_id,
        length=length,
        timestamp=ts,
        feature_rom_timestamp=rom_ts,
        version=(major, minor, patch),
        mode=mode,
        mode_name=fmt.MODES.get(mode, "UNKNOWN"),
        action_mask=amask,
        interface_uuid=uuid_string(r.read(fmt.OFF_INTERFACE_UUID, 16)),
        platform_vbnv=sec.cstr(r, r.read(fmt.OFF_PLATFORM_VBNV, fmt.VBNV_SIZE), "platform VBNV"),
        uuid=uuid_string(r.read(fmt.OFF_XCLBIN_UUID, 16)),
        debug_bin=sec.cstr(r, r.read(fmt.OFF_DEBUG_BIN, fmt.DEBUG_BIN_SIZE), "debug bin name"),
        sections=sections,
        ip_layout=ips,
        mem_topology=mems,
        connectivity=conns,
        clocks=clocks,
        debug_ips=debug,
        kernels=join_kernels(meta_kernels or xml_kernels, xml_kernels, ips, mems, conns),
        build_metadata=_plain(build),
        embedded_metadata_xml=fmt.EMBEDDED_METADATA in first,
        keyvalues=kv,
        content=content,
        emulation=_emulation(mode, content),
        group_topology=groups,
        group_connectivity=group_conns,
        system_metadata=fmt.SYSTEM_METADATA in first,
        system_clocks=system_clocks,
        partition_interfaces=interfaces,
        user_signature=user_signature(r, length),
        xrt_kernels=meta.xrt_kernels(core),
        xrt_refusal=xrt_refusal(r, length, n_sections),
        build_tree=build,
    )


_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")


def _section(r: sec.Reader, i: int) -> Section:
    kind, raw_name, offset, size = r.unpack(
        fmt.SECTION_HEADER, fmt.OFF_SECTIONS + i * fmt.SECTION_HEADER_SIZE
    )
    kind_name = fmt.SECTION_KINDS.get(kind, f"UNKNOWN_{kind}")
    name = sec.cstr(r, raw_name, f"section #{i} ({kind_name}) name")
    if offset > r.size or size > r.size - offset:
        raise r.fail(
            f"section #{i} ({kind_name} {name!r}) spans bytes {offset}..{offset + size}, "
            f"past the end of the file ({r.size} bytes)"
        )
    return Section(
        kind=kind,
        kind_name=kind_name,
        name=name,
        offset=offset,
        size=size,
        index_name=sec.index_name(r, kind, offset, size),
    )


def _blob(r: sec.Reader, s: Section) -> bytes:
    """A binary metadata section (PARTITION_METADATA's device tree), size-checked first."""
    if s.size > fmt.MAX_METADATA_BYTES:
        raise r.fail(f"{s.kind_name} section is {s.size} bytes; over 16 MiB is refused")
    return r.read(s.offset, s.size)


def _plain(tree: PTree | None) -> dict | None:
    if tree is None:
        return None
    value = tree.plain()
    return value if isinstance(value, dict) else {}


def _emulation(mode: int, content: str) -> str:
    if mode in (fmt.MODE_HW_EMU, fmt.MODE_HW_EMU_PR) or content == "HW Emulation Binary":
        return "hw_emu"
    if mode == fmt.MODE_SW_EMU or content == "SW Emulation Binary":
        return "sw_emu"
    return "hw"

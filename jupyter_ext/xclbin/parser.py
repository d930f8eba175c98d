"""Read an xclbin without reading its bitstream.

The file is mapped with ``mmap`` and only the header, the section table and
the small descriptive sections are touched, so parse time and memory do not
depend on the size of the BITSTREAM (a real one is 30-100 MB). Every offset
and count is checked against the file size first; the first defect found is
raised as one ``XclbinError`` that names the file and the defect.
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
from .model import (
    Clock,
    Connection,
    IpEntry,
    Kernel,
    KernelInstance,
    MemBank,
    Section,
    Xclbin,
    XclbinError,
    uuid_string,
)


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
    sections = tuple(_section(r, i) for i in range(n_sections))

    first: dict[int, Section] = {}
    for s in sections:
        first.setdefault(s.kind, s)

    def raw(kind: int, what: str) -> bytes | None:
        s = first.get(kind)
        if s is None:
            return None
        if s.size > fmt.MAX_METADATA_BYTES:
            raise r.fail(f"{what} section is {s.size} bytes; metadata over 16 MiB is refused")
        return r.read(s.offset, s.size)

    ips = sec.ip_layout(r, first[fmt.IP_LAYOUT]) if fmt.IP_LAYOUT in first else ()
    mems = sec.mem_topology(r, first[fmt.MEM_TOPOLOGY]) if fmt.MEM_TOPOLOGY in first else ()
    conns: tuple[Connection, ...] = ()
    if fmt.CONNECTIVITY in first:
        conns = sec.connectivity(r, first[fmt.CONNECTIVITY], len(ips), len(mems))
    clocks: tuple[Clock, ...] = ()
    if fmt.CLOCK_FREQ_TOPOLOGY in first:
        clocks = sec.clock_freq_topology(r, first[fmt.CLOCK_FREQ_TOPOLOGY])
    debug = (
        sec.debug_ip_layout(r, first[fmt.DEBUG_IP_LAYOUT]) if fmt.DEBUG_IP_LAYOUT in first else ()
    )

    build = None
    meta_kernels: list[meta.MetaKernel] = []
    if (b := raw(fmt.BUILD_METADATA, "BUILD_METADATA")) is not None:
        build = meta.build_metadata(r, b)
        meta_kernels = meta.kernels_from_build_metadata(r, build)
    xml_kernels: list[meta.MetaKernel] = []
    if (x := raw(fmt.EMBEDDED_METADATA, "EMBEDDED_METADATA")) is not None:
        xml_kernels = meta.kernels_from_embedded_xml(r, x)
    kv: tuple[tuple[str, str], ...] = ()
    if (k := raw(fmt.KEYVALUE_METADATA, "KEYVALUE_METADATA")) is not None:
        kv = meta.keyvalues(r, k)

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
        kernels=_kernels(meta_kernels or xml_kernels, xml_kernels, ips, mems, conns),
        build_metadata=build,
        embedded_metadata_xml=fmt.EMBEDDED_METADATA in first,
        keyvalues=kv,
        content=content,
        emulation=_emulation(mode, content),
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
    return Section(kind=kind, kind_name=kind_name, name=name, offset=offset, size=size)


def _emulation(mode: int, content: str) -> str:
    if mode in (fmt.MODE_HW_EMU, fmt.MODE_HW_EMU_PR) or content == "HW Emulation Binary":
        return "hw_emu"
    if mode == fmt.MODE_SW_EMU or content == "SW Emulation Binary":
        return "sw_emu"
    return "hw"


def _kernels(
    metas: list[meta.MetaKernel],
    xml_kernels: list[meta.MetaKernel],
    ips: tuple[IpEntry, ...],
    mems: tuple[MemBank, ...],
    conns: tuple[Connection, ...],
) -> tuple[Kernel, ...]:
    """Join metadata (arguments) with IP_LAYOUT (addresses) and CONNECTIVITY (banks)."""
    xml_by_name = {m.name: m for m in xml_kernels}
    ip_instances: dict[str, list[tuple[str, IpEntry]]] = {}
    for ip in ips:
        if ip.control_protocol is None:
            continue  # not a kernel
        kname, _, iname = ip.name.partition(":")
        ip_instances.setdefault(kname, []).append((iname or kname, ip))
    names = [m.name for m in metas] + [n for n in ip_instances if n not in {m.name for m in metas}]
    out = []
    for name in dict.fromkeys(names):
        m = next((m for m in metas if m.name == name), None) or xml_by_name.get(name)
        args = m.args if m else ()
        if m and not args and name in xml_by_name:
            args = xml_by_name[name].args  # BUILD_METADATA without args: use the XML's
        by_inst = dict(ip_instances.get(name, []))
        inst_names = list(m.instances if m else ()) + [
            n for n in by_inst if not m or n not in m.instances
        ]
        instances = []
        for iname in dict.fromkeys(inst_names):
            found = by_inst.get(iname)
            memory: dict[int, tuple[str, ...]] = {}
            if found is not None:
                for c in conns:
                    if c.ip_index == found.index:
                        tag = mems[c.mem_index].tag
                        if tag not in memory.get(c.arg_index, ()):
                            memory[c.arg_index] = (*memory.get(c.arg_index, ()), tag)
            instances.append(
                KernelInstance(
                    name=iname,
                    base_address=found.base_address if found else None,
                    control_protocol=found.control_protocol if found else None,
                    interrupt=found.interrupt if found else False,
                    memory=memory,
                )
            )
        out.append(
            Kernel(name=name, args=args, ports=m.ports if m else (), instances=tuple(instances))
        )
    return tuple(out)

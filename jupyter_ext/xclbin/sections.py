"""Decoders for the fixed-layout xclbin sections.

Each decoder reads one section through a bounds-checked ``Reader`` and raises
``XclbinError`` on the first defect: a count that does not fit the section, an
index that points nowhere, a name that is not UTF-8. Counts are checked against
the section size *before* any loop, so a hostile count cannot make us allocate
or iterate past what the file holds.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable

from . import format as fmt
from .model import Clock, Connection, DebugIp, IpEntry, MemBank, Section, XclbinError


class Reader:
    """Bounds-checked reads from bytes or an mmap; copies only what is asked for."""

    def __init__(
        self, buf: bytes | bytearray | memoryview | mmap.mmap, size: int, source: str
    ) -> None:
        self.buf = buf
        self.size = size
        self.source = source

    def fail(self, defect: str) -> XclbinError:
        return XclbinError(self.source, defect)

    def unpack(self, st: struct.Struct, offset: int) -> tuple:
        if offset < 0 or offset + st.size > self.size:
            raise self.fail(f"read of {st.size} bytes at offset {offset} runs past the end")
        return st.unpack_from(self.buf, offset)

    def read(self, offset: int, n: int) -> bytes:
        if offset < 0 or n < 0 or offset + n > self.size:
            raise self.fail(f"read of {n} bytes at offset {offset} runs past the end")
        return bytes(self.buf[offset : offset + n])


def cstr(reader: Reader, raw: bytes, what: str) -> str:
    """A NUL-terminated fixed-size field as text; non-UTF-8 is a defect, not a guess."""
    text = raw.split(b"\0", 1)[0]
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise reader.fail(f"{what} is not valid UTF-8: {text[:32]!r}") from None


def _entries(
    reader: Reader, sec: Section, count_fmt: str, first: int, entry: struct.Struct
) -> tuple[int, Callable[[int], tuple]]:
    """Validate a section's count against its size; return an entry accessor."""
    label = f"{sec.kind_name} section"
    count_st = struct.Struct("<" + count_fmt)
    if sec.size < count_st.size:
        raise reader.fail(f"{label} is {sec.size} bytes, too small to hold its entry count")
    (count,) = reader.unpack(count_st, sec.offset)
    if count < 0:
        raise reader.fail(f"{label} has a negative entry count ({count})")
    if count and first + count * entry.size > sec.size:
        raise reader.fail(
            f"{label} says {count} entries ({first + count * entry.size} bytes), "
            f"but the section is {sec.size} bytes"
        )
    return count, lambda i: reader.unpack(entry, sec.offset + first + i * entry.size)


def ip_layout(reader: Reader, sec: Section) -> tuple[IpEntry, ...]:
    count, entry = _entries(reader, sec, "i", fmt.IP_LAYOUT_FIRST, fmt.IP_DATA)
    out = []
    for i in range(count):
        typ, props, base, raw_name = entry(i)
        is_kernel = typ in (fmt.IP_KERNEL, fmt.IP_PS_KERNEL)
        proto = (props & fmt.IP_CONTROL_MASK) >> fmt.IP_CONTROL_SHIFT
        out.append(
            IpEntry(
                index=i,
                type=fmt.IP_TYPES.get(typ, f"IP_UNKNOWN_{typ}"),
                name=cstr(reader, raw_name, f"IP_LAYOUT entry #{i} name"),
                base_address=None if base == fmt.BASE_ADDRESS_NOT_USED else base,
                interrupt=bool(props & fmt.IP_INTERRUPT_ENABLE) if is_kernel else False,
                control_protocol=fmt.CONTROL_PROTOCOLS.get(proto, f"UNKNOWN_{proto}")
                if is_kernel
                else None,
            )
        )
    return tuple(out)


def mem_topology(reader: Reader, sec: Section) -> tuple[MemBank, ...]:
    count, entry = _entries(reader, sec, "i", fmt.MEM_TOPOLOGY_FIRST, fmt.MEM_DATA)
    out = []
    for i in range(count):
        typ, used, size_kb, base, raw_tag = entry(i)
        out.append(
            MemBank(
                index=i,
                tag=cstr(reader, raw_tag, f"MEM_TOPOLOGY entry #{i} tag"),
                type=fmt.MEM_TYPES.get(typ, f"MEM_UNKNOWN_{typ}"),
                used=bool(used),
                base_address=base,
                size_kb=size_kb,
            )
        )
    return tuple(out)


def connectivity(reader: Reader, sec: Section, n_ips: int, n_mems: int) -> tuple[Connection, ...]:
    count, entry = _entries(reader, sec, "i", fmt.CONNECTIVITY_FIRST, fmt.CONNECTION)
    out = []
    for i in range(count):
        arg, ip, mem = entry(i)
        if arg < 0:
            raise reader.fail(f"CONNECTIVITY entry #{i} has a negative argument index ({arg})")
        if not 0 <= ip < n_ips:
            raise reader.fail(
                f"CONNECTIVITY entry #{i} points at IP_LAYOUT entry {ip}, "
                f"but IP_LAYOUT has {n_ips} entries"
            )
        if not 0 <= mem < n_mems:
            raise reader.fail(
                f"CONNECTIVITY entry #{i} points at MEM_TOPOLOGY entry {mem}, "
                f"but MEM_TOPOLOGY has {n_mems} entries"
            )
        out.append(Connection(arg_index=arg, ip_index=ip, mem_index=mem))
    return tuple(out)


def clock_freq_topology(reader: Reader, sec: Section) -> tuple[Clock, ...]:
    count, entry = _entries(reader, sec, "h", fmt.CLOCK_FIRST, fmt.CLOCK_FREQ)
    out = []
    for i in range(count):
        mhz, typ, raw_name = entry(i)
        out.append(
            Clock(
                index=i,
                name=cstr(reader, raw_name, f"CLOCK_FREQ_TOPOLOGY entry #{i} name"),
                type=fmt.CLOCK_TYPES.get(typ, f"UNKNOWN_{typ}"),
                freq_mhz=mhz,
            )
        )
    return tuple(out)


def debug_ip_layout(reader: Reader, sec: Section) -> tuple[DebugIp, ...]:
    count, entry = _entries(reader, sec, "H", fmt.DEBUG_IP_FIRST, fmt.DEBUG_IP_DATA)
    out = []
    for i in range(count):
        typ, idx_lo, _props, major, minor, idx_hi, base, raw_name = entry(i)
        del idx_lo, idx_hi  # the per-type index is not reported
        out.append(
            DebugIp(
                index=i,
                type=fmt.DEBUG_IP_TYPES.get(typ, f"UNKNOWN_{typ}"),
                name=cstr(reader, raw_name, f"DEBUG_IP_LAYOUT entry #{i} name"),
                base_address=base,
                major=major,
                minor=minor,
            )
        )
    return tuple(out)


def bitstream_content(reader: Reader, sec: Section) -> str:
    """What the BITSTREAM holds, by xclbinutil's rule: look at 8 bytes, never more."""
    if sec.size < 8:
        return "Binary Image"
    head = reader.read(sec.offset, 8)
    if head == fmt.XILINX_BIT_HEADER:
        return "Bitstream"
    if head[:4] in fmt.ZIP_MAGICS:
        return "HW Emulation Binary" if sec.name == "behav" else "DCP"
    if head[:4] == fmt.ELF_MAGIC:
        return "SW Emulation Binary"
    return "Binary Image"

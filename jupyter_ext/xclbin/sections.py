"""Decoders for the fixed-layout xclbin sections.

Each decoder reads one section through a bounds-checked ``Reader`` and raises
``XclbinError`` on the first defect: a count that does not fit the section, an
index that points nowhere, a name that is not UTF-8. Counts are checked against
the section size *and* against a limit no real design comes near (format.py)
before any loop, so neither a hostile count nor a huge sparse section can make
us allocate or iterate more than a few MB.
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

    def find(self, needle: bytes, start: int, end: int) -> int:
        """Offset of ``needle`` in ``[start, end)``, or -1; reads no more than that range."""
        end = min(end, self.size)
        if start >= end:
            return -1
        if isinstance(self.buf, memoryview):  # memoryview has no find(); search a copy
            at = bytes(self.buf[start:end]).find(needle)
            return at if at < 0 else start + at
        return self.buf.find(needle, start, end)

    def text(self, sec: Section, limit: int) -> bytes:
        """A metadata section's bytes up to its first NUL (how XRT's tools read them).

        Only the text is read: a section padded with gigabytes of zeros costs a
        search for the first zero byte, not a copy of the padding.
        """
        stop = self.find(b"\0", sec.offset, sec.offset + min(sec.size, limit + 1))
        length = (sec.size if sec.size <= limit else limit + 1) if stop < 0 else stop - sec.offset
        if length > limit:
            raise self.fail(
                f"{sec.kind_name} section holds over {limit // (1024 * 1024)} MiB of text; refused"
            )
        return self.read(sec.offset, length)


def cstr(reader: Reader, raw: bytes, what: str) -> str:
    """A NUL-terminated fixed-size field as text; non-UTF-8 is a defect, not a guess."""
    text = raw.split(b"\0", 1)[0]
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise reader.fail(f"{what} is not valid UTF-8: {text[:32]!r}") from None


def _name(sec: Section) -> str:
    """The section's name as XRT's tools print it (GROUP_TOPOLOGY, not ASK_GROUP_TOPOLOGY)."""
    return fmt.INFO_KIND_NAMES.get(sec.kind, sec.kind_name)


def _entries(
    reader: Reader, sec: Section, count_fmt: str, first: int, entry: struct.Struct, limit: int
) -> tuple[int, Callable[[int], tuple]]:
    """Validate a section's count against its size and ``limit``; return an entry accessor."""
    label = f"{_name(sec)} section"
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
    if count > limit:
        raise reader.fail(f"{label} says {count} entries; more than {limit} is refused")
    return count, lambda i: reader.unpack(entry, sec.offset + first + i * entry.size)


def ip_layout(reader: Reader, sec: Section) -> tuple[IpEntry, ...]:
    count, entry = _entries(reader, sec, "i", fmt.IP_LAYOUT_FIRST, fmt.IP_DATA, fmt.MAX_IPS)
    out = []
    for i in range(count):
        typ, props, base, raw_name = entry(i)
        is_kernel = typ in (fmt.IP_KERNEL, fmt.IP_PS_KERNEL)
        proto = (props & fmt.IP_CONTROL_MASK) >> fmt.IP_CONTROL_SHIFT
        out.append(
            IpEntry(
                index=i,
                type=fmt.IP_TYPES.get(typ) or fmt.unknown(typ),
                name=cstr(reader, raw_name, f"IP_LAYOUT entry #{i} name"),
                base_address=None if base == fmt.BASE_ADDRESS_NOT_USED else base,
                interrupt=bool(props & fmt.IP_INTERRUPT_ENABLE) if is_kernel else False,
                control_protocol=(fmt.CONTROL_PROTOCOLS.get(proto) or fmt.unknown(proto))
                if is_kernel
                else None,
                type_code=typ,
            )
        )
    return tuple(out)


def mem_topology(reader: Reader, sec: Section) -> tuple[MemBank, ...]:
    """MEM_TOPOLOGY, or GROUP_TOPOLOGY (same layout, plus bank groups at the end)."""
    count, entry = _entries(reader, sec, "i", fmt.MEM_TOPOLOGY_FIRST, fmt.MEM_DATA, fmt.MAX_MEMS)
    out = []
    for i in range(count):
        typ, used, size_kb, base, raw_tag = entry(i)
        out.append(
            MemBank(
                index=i,
                tag=cstr(reader, raw_tag, f"{_name(sec)} entry #{i} tag"),
                type=fmt.MEM_TYPES.get(typ) or fmt.unknown(typ),
                used=bool(used),
                base_address=base,
                size_kb=size_kb,
            )
        )
    return tuple(out)


def connectivity(
    reader: Reader, sec: Section, n_ips: int, n_mems: int, mems_name: str = "MEM_TOPOLOGY"
) -> tuple[Connection, ...]:
    """CONNECTIVITY (into MEM_TOPOLOGY) or GROUP_CONNECTIVITY (into GROUP_TOPOLOGY)."""
    count, entry = _entries(
        reader, sec, "i", fmt.CONNECTIVITY_FIRST, fmt.CONNECTION, fmt.MAX_CONNECTIONS
    )
    name = _name(sec)
    out = []
    for i in range(count):
        arg, ip, mem = entry(i)
        if arg < 0:
            raise reader.fail(f"{name} entry #{i} has a negative argument index ({arg})")
        if not 0 <= ip < n_ips:
            raise reader.fail(
                f"{name} entry #{i} points at IP_LAYOUT entry {ip}, "
                f"but IP_LAYOUT has {n_ips} entries"
            )
        if not 0 <= mem < n_mems:
            raise reader.fail(
                f"{name} entry #{i} points at {mems_name} entry {mem}, "
                f"but {mems_name} has {n_mems} entries"
            )
        out.append(Connection(arg_index=arg, ip_index=ip, mem_index=mem))
    return tuple(out)


def clock_freq_topology(reader: Reader, sec: Section) -> tuple[Clock, ...]:
    count, entry = _entries(reader, sec, "h", fmt.CLOCK_FIRST, fmt.CLOCK_FREQ, fmt.MAX_CLOCKS)
    out = []
    for i in range(count):
        mhz, typ, raw_name = entry(i)
        out.append(
            Clock(
                index=i,
                name=cstr(reader, raw_name, f"CLOCK_FREQ_TOPOLOGY entry #{i} name"),
                type=fmt.CLOCK_TYPES.get(typ) or fmt.unknown_clock(typ),
                freq_mhz=mhz,
            )
        )
    return tuple(out)


def debug_ip_layout(reader: Reader, sec: Section) -> tuple[DebugIp, ...]:
    count, entry = _entries(
        reader, sec, "H", fmt.DEBUG_IP_FIRST, fmt.DEBUG_IP_DATA, fmt.MAX_DEBUG_IPS
    )
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


def index_name(reader: Reader, kind: int, offset: int, size: int) -> str:
    """The name a SOFT_KERNEL, AIE_PARTITION, ... section gives itself ("" for other kinds).

    The header holds the offset of a NUL-terminated string inside the section;
    an offset outside the section or a string without its NUL is a defect, as
    it is for xclbinutil.
    """
    kind_name = fmt.INFO_KIND_NAMES.get(kind) or fmt.SECTION_KINDS.get(kind, str(kind))
    if kind == fmt.ASK_FLASH:
        if size < fmt.FLASH_HEADER_SIZE:
            raise reader.fail(f"{kind_name} section is {size} bytes, smaller than its header")
        (flash_type,) = reader.unpack(_U16, offset)
        return fmt.FLASH_TYPES.get(flash_type, "UNKNOWN")
    if kind not in fmt.INDEX_NAME_FIELD:
        return ""
    field_at, header_size = fmt.INDEX_NAME_FIELD[kind]
    if size < header_size:
        raise reader.fail(
            f"{kind_name} section is {size} bytes, smaller than its {header_size}-byte header"
        )
    (at,) = reader.unpack(_U32, offset + field_at)
    if at >= size:
        raise reader.fail(f"{kind_name} name offset {at} is outside the {size}-byte section")
    end = reader.find(b"\0", offset + at, min(offset + size, offset + at + _MAX_NAME))
    if end < 0:
        raise reader.fail(
            f"{kind_name} name at offset {at} has no terminating NUL within {_MAX_NAME} bytes"
        )
    return cstr(reader, reader.read(offset + at, end - offset - at), f"{kind_name} name")


_MAX_NAME = 4096  # a section's own name is an identifier, never kilobytes long
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")

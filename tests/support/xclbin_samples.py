"""xclbins the tests write: one with everything the parser must read back."""

from __future__ import annotations

from tests.support.xclbin_specs import ArgSpec, ClockSpec, KernelSpec, MemSpec
from tests.support.xclbin_writer import build_xclbin

U280 = "xilinx_u280_gen3x16_xdma_base_1"
FULL_UUID = "0123abcd-4567-89ef-0123-456789abcdef"

KERNELS = [
    KernelSpec(
        "krnl_vadd",
        args=["float* in1", "float* in2", ArgSpec("out", "float*", memory="HBM[1]"), "int size"],
        instances=2,
        control_protocol="ap_ctrl_chain",
    ),
    KernelSpec(
        "stereo_bm",
        args=["unsigned char* left", "unsigned char* right", "short* disp", "int rows", "int cols"],
        instances=["stereo_bm_a"],
        base_address=0x2000000,
        control_protocol="AP_CTRL_HS",
        interrupt=False,
    ),
]
MEMS = [
    MemSpec("HBM[0]", "MEM_HBM", size_kb=256 * 1024, base_address=0x0),
    MemSpec("HBM[1]", "MEM_HBM", size_kb=256 * 1024, base_address=0x10000000),
    MemSpec("DDR[0]", "MEM_DDR4", used=False),
    MemSpec("PLRAM[0]", "MEM_DRAM", size_kb=128),
]
CLOCKS = [ClockSpec("DATA_CLK", 300, "DATA"), ClockSpec("KERNEL_CLK", 450, "KERNEL")]


def full_xclbin(**overrides) -> bytes:
    kw = dict(
        platform=U280,
        kernels=KERNELS,
        mems=MEMS,
        clocks=CLOCKS,
        xclbin_uuid=FULL_UUID,
        timestamp=1_700_000_000,
        keyvalues={"owner": "tests"},
        bitstream=bytes([0x00, 0x09, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0]) + b"\x5a" * 120,
    )
    kw.update(overrides)
    return build_xclbin(**kw)


def sparse_xclbin(
    path,
    size: int,
    sections: list[tuple[int, int, int]],
    payloads: dict[int, bytes] | None = None,
    *,
    length: int | None = None,
    n_sections: int | None = None,
):
    """A crafted xclbin of ``size`` bytes that holds almost nothing: a sparse file.

    Only the header, the section table (``(kind, offset, size)`` rows, taken as
    given, however absurd) and ``payloads`` (offset -> bytes) are written; the
    file is then extended with ``truncate``, so a 1 GiB file costs a few blocks
    of disk. ``length`` is the header's total length (default: ``size``),
    ``n_sections`` its section count (default: the rows given).
    """
    import struct
    from pathlib import Path

    from jupyter_ext.xclbin import format as fmt

    head = bytearray(fmt.MAGIC + struct.pack("<i", -1) + b"\xff" * 28 + b"\xff" * 256)
    head += fmt.HEADER_NUMBERS.pack(1, size if length is None else length, 1, 0, 0, 2, 16, 0, 0)
    head += bytes(16) + b"crafted".ljust(64, b"\0") + bytes(range(16)) + bytes(16)
    head += struct.pack("<I4x", len(sections) if n_sections is None else n_sections)
    for kind, offset, nbytes in sections:
        head += fmt.SECTION_HEADER.pack(kind, b"crafted", offset, nbytes)
    p = Path(path)
    with open(p, "wb") as f:
        f.write(head)
        for offset, data in (payloads or {}).items():
            f.seek(offset)
            f.write(data)
        f.truncate(size)
    return p


def partition_metadata(interfaces: list[str]) -> bytes:
    """A PARTITION_METADATA payload: a device tree with ``interfaces/@N/interface_uuid``.

    The standard flattened-device-tree layout (big-endian header, structure and
    strings blocks), laid out as xclbinutil lays it out.
    """
    import struct

    names = {"major": 0, "minor": 6, "interface_uuid": 12}
    strings = b"major\0minor\0interface_uuid\0"

    def node(name: str, body: bytes) -> bytes:
        raw = name.encode() + b"\0"
        return (
            struct.pack(">I", 1)
            + raw.ljust((len(raw) + 3) & ~3, b"\0")
            + body
            + struct.pack(">I", 2)
        )

    def prop(name: str, value: bytes) -> bytes:
        head = struct.pack(">III", 3, len(value), names[name])
        return head + value.ljust((len(value) + 3) & ~3, b"\0")

    schema = node("schema_version", prop("major", struct.pack(">I", 1)) + prop("minor", bytes(4)))
    ifaces = b"".join(
        node(f"@{i}", prop("interface_uuid", u.encode() + b"\0")) for i, u in enumerate(interfaces)
    )
    body = node("", schema + node("interfaces", ifaces)) + struct.pack(">I", 9)
    off_struct = 40 + 16
    off_strings = off_struct + len(body)
    total = off_strings + len(strings)
    header = struct.pack(">10I", 0xD00DFEED, total, off_struct, off_strings, 40, 17, 16, 0,
                         len(strings), len(body))  # fmt: skip
    return header + bytes(16) + body + strings


def user_signature(text: str) -> bytes:
    """What ``xclbinutil --add-signature TEXT`` appends after an xclbin."""
    import struct

    from jupyter_ext.xclbin import format as fmt

    sig = text.encode()
    size = fmt.USER_SIGNATURE_HEADER.size
    return fmt.USER_SIGNATURE_MAGIC + bytes(8) + struct.pack("<5I", size + len(sig), 0, size,
                                                             len(sig), size + len(sig)) + sig  # fmt: skip


def sparse_cases(directory, size: int = 1 << 30) -> dict:
    """Crafted sparse files of ``size`` bytes: {name: (path, what the parser must say)}.

    The phrase is part of the ``XclbinError`` a file must raise; None means it
    must parse. Each one claims something huge the file does not hold: a table
    count, a section count, metadata that is all padding, a bitstream four
    times the size, bytes past the end of the xclbin.
    """
    import json
    import struct
    from pathlib import Path

    from jupyter_ext.xclbin import format as fmt

    d, at = Path(directory), 4096
    big = size - at
    meta = json.dumps({"build_metadata": {"xclbin": {"user_regions": [
        {"kernels": [{"name": "k", "arguments": [{"name": "a", "id": "0"}]}]}]}}}).encode()  # fmt: skip
    soft = struct.pack("<7I", 80, 0, 0, 80, 80, 80, 1).ljust(80, b"\0") + b"sk\0"

    def f(name, sections, payloads=None, **kw):
        kw.setdefault("size", size)
        return sparse_xclbin(d / f"{name}.xclbin", kw.pop("size"), sections, payloads, **kw)

    n = min((size - fmt.OFF_SECTIONS) // fmt.SECTION_HEADER_SIZE, 2**32 - 1)
    ips = struct.pack("<i", min((big - 8) // 80, 2**31 - 1))
    conns = struct.pack("<i", min((big - 4) // 12, 2**31 - 1))
    return {
        "no_sections": (f("no_sections", []), None),
        "section_count": (f("section_count", [], n_sections=n), "more than the 10000 XRT accepts"),
        "ip_count": (f("ip_count", [(fmt.IP_LAYOUT, at, big)], {at: ips}), "more than 4096"),
        "connection_count": (
            f("connection_count", [(fmt.CONNECTIVITY, at, big)], {at: conns}),
            "more than 65536 is refused",
        ),
        "zero_json": (f("zero_json", [(fmt.BUILD_METADATA, at, big)]), "is not valid JSON"),
        "zero_xml": (f("zero_xml", [(fmt.EMBEDDED_METADATA, at, big)]), "is not valid XML"),
        "padded_json": (f("padded_json", [(fmt.BUILD_METADATA, at, big)], {at: meta}), None),
        "device_tree": (
            f("device_tree", [(fmt.PARTITION_METADATA, at, big)]),
            f"PARTITION_METADATA section is {big} bytes; over 16 MiB is refused",
        ),
        "soft_kernel": (f("soft_kernel", [(fmt.SOFT_KERNEL, at, big)], {at: soft}), None),
        "bitstream_x4": (
            f("bitstream_x4", [(fmt.BITSTREAM, at, 4 * size - at)], size=4 * size),
            None,
        ),
        "trailer": (f("trailer", [], length=at), None),
    }

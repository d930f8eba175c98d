"""The parser against a real Xilinx file and against files we write."""

from __future__ import annotations

import json

import pytest

from jupyter_ext.xclbin import parse_bytes, parse_xclbin
from tests.support.xclbin_samples import FULL_UUID, U280, full_xclbin
from tests.support.xclbin_specs import KernelSpec, MemSpec
from tests.support.xclbin_writer import build_xclbin, write_xclbin


def test_real_fixture_header_matches_readme(vck190_path):
    x = parse_xclbin(vck190_path)
    assert x.file_size == 10346 == x.length
    assert x.signature_length == -1
    assert x.version == (2, 16, 0)
    assert x.mode == 0 and x.mode_name == "XCLBIN_FLAT"
    assert x.platform_vbnv == "xilinx.com_xd_xilinx_vck190_base_202410_1_202410_1"
    assert x.uuid == "6c41dbdb-206e-a151-629a-9ed6a37c9061"
    assert [(s.kind, s.kind_name, s.name, s.offset, s.size) for s in x.sections] == [
        (9, "DEBUG_IP_LAYOUT", "debug_ip_layout", 496, 3896)
    ]
    assert x.kernels == () and x.build_metadata is None and x.emulation == "hw"


def test_real_fixture_debug_ips_match_xclbinutils_own_json_mirror(vck190_bytes, vck190_path):
    """xclbinutil appended its own JSON view of the section: an independent oracle."""
    start = vck190_bytes.index(b"XCLBIN_MIRROR_DATA_START") + len(b"XCLBIN_MIRROR_DATA_START")
    end = vck190_bytes.index(b"XCLBIN_MIRROR_DATA_END")
    mirror = json.loads(vck190_bytes[start:end])
    want = mirror["section_header"]["payload"]["debug_ip_layout"]["m_debug_ip_data"]
    got = parse_xclbin(vck190_path).debug_ips
    assert len(got) == len(want) == 27
    for g, w in zip(got, want, strict=True):
        assert (g.type, g.name, hex(g.base_address)) == (
            w["m_type"],
            w["m_name"],
            w["m_base_address"],
        )
        assert (str(g.major), str(g.minor)) == (w["m_major"], w["m_minor"])


def test_writer_reproduces_the_real_file_byte_for_byte(vck190_bytes, vck190_path):
    x = parse_xclbin(vck190_path)
    sec = x.sections[0]
    payload = vck190_bytes[sec.offset : sec.offset + sec.size]
    trailer = vck190_bytes[sec.offset + sec.size :]
    fields = dict(
        platform=x.platform_vbnv,
        xclbin_uuid=x.uuid,
        timestamp=x.timestamp,
        unique_id=x.unique_id,
        version=x.version,
        mode=x.mode,
        extra_sections=[(sec.kind, sec.name, payload)],
    )
    header_only = build_xclbin(**fields)
    # every header byte except the total length (the fixture's includes its JSON trailer)
    assert header_only[:304] == vck190_bytes[:304]
    assert header_only[312:496] == vck190_bytes[312:496]
    assert build_xclbin(trailer=trailer, **fields) == vck190_bytes


def test_written_xclbin_reads_back_exactly():
    x = parse_bytes(full_xclbin())
    assert x.platform_vbnv == U280 and x.uuid == FULL_UUID and x.timestamp == 1_700_000_000
    assert [(m.tag, m.type, m.used, m.base_address, m.size_kb) for m in x.mem_topology] == [
        ("HBM[0]", "MEM_HBM", True, 0x0, 256 * 1024),
        ("HBM[1]", "MEM_HBM", True, 0x10000000, 256 * 1024),
        ("DDR[0]", "MEM_DDR4", False, 0x10000000 + 256 * 1024 * 1024, 16 * 1024 * 1024),
        ("PLRAM[0]", "MEM_DRAM", True, 0x10000000 + 256 * 1024 * 1024 + 16 * 1024**3, 128),
    ]
    assert [(c.name, c.type, c.freq_mhz) for c in x.clocks] == [
        ("DATA_CLK", "DATA", 300),
        ("KERNEL_CLK", "KERNEL", 450),
    ]
    assert [
        (ip.name, ip.type, ip.base_address, ip.control_protocol, ip.interrupt) for ip in x.ip_layout
    ] == [
        ("krnl_vadd:krnl_vadd_1", "IP_KERNEL", 0x1800000, "AP_CTRL_CHAIN", True),
        ("krnl_vadd:krnl_vadd_2", "IP_KERNEL", 0x1810000, "AP_CTRL_CHAIN", True),
        ("stereo_bm:stereo_bm_a", "IP_KERNEL", 0x2000000, "AP_CTRL_HS", False),
    ]
    # buffers default to the first used bank; "out" was pinned to HBM[1]
    assert [(c.arg_index, c.ip_index, c.mem_index) for c in x.connectivity] == [
        (0, 0, 0), (1, 0, 0), (2, 0, 1),
        (0, 1, 0), (1, 1, 0), (2, 1, 1),
        (0, 2, 0), (1, 2, 0), (2, 2, 0),
    ]  # fmt: skip
    vadd, sbm = x.kernels
    assert vadd.signature == "krnl_vadd (float* in1, float* in2, float* out, int size)"
    assert [(a.name, a.offset, a.port, a.address_qualifier) for a in vadd.args] == [
        ("in1", "0x10", "M_AXI_GMEM0", 1),
        ("in2", "0x1c", "M_AXI_GMEM1", 1),
        ("out", "0x28", "M_AXI_GMEM2", 1),
        ("size", "0x34", "S_AXI_CONTROL", 0),
    ]
    assert [i.name for i in vadd.instances] == ["krnl_vadd_1", "krnl_vadd_2"]
    assert vadd.instances[1].memory == {0: ("HBM[0]",), 1: ("HBM[0]",), 2: ("HBM[1]",)}
    assert sbm.instances[0].base_address == 0x2000000 and not sbm.instances[0].interrupt
    assert x.build_metadata["xclbin"]["generated_by"]["name"] == "jupyterhub-fpga"
    assert x.keyvalues == (("owner", "tests"),)
    assert x.content == "Bitstream" and x.emulation == "hw"


def test_kernel_arguments_from_embedded_xml_alone():
    """XRT's runtime reads EMBEDDED_METADATA; a file without BUILD_METADATA still has args."""
    x = parse_bytes(full_xclbin(build_metadata=False))
    assert x.build_metadata is None and x.embedded_metadata_xml
    assert [k.name for k in x.kernels] == ["krnl_vadd", "stereo_bm"]
    assert [a.name for a in x.kernels[1].args] == ["left", "right", "disp", "rows", "cols"]
    assert x.kernels[1].args[3].type == "int" and x.kernels[1].args[0].is_buffer


def test_kernels_from_ip_layout_without_any_metadata():
    x = parse_bytes(full_xclbin(build_metadata=False, embedded_metadata=False))
    assert [k.name for k in x.kernels] == ["krnl_vadd", "stereo_bm"]
    assert x.kernels[0].args == () and len(x.kernels[0].instances) == 2


@pytest.mark.parametrize(
    "kw, emulation, content",
    [
        (dict(mode="sw_emu", bitstream=b"\x7fELF" + bytes(60)), "sw_emu", "SW Emulation Binary"),
        (dict(mode="hw_emu", bitstream=b"PK\x03\x04" + bytes(60), bitstream_name="behav"), "hw_emu", "HW Emulation Binary"),
        (dict(mode=0, bitstream=b"PK\x03\x04" + bytes(60)), "hw", "DCP"),
        (dict(mode="XCLBIN_HW_EMU_PR", bitstream=None), "hw_emu", ""),
        (dict(mode=0, bitstream=b"\x01\x02"), "hw", "Binary Image"),
    ],
)  # fmt: skip
def test_emulation_mode_detection(kw, emulation, content):
    x = parse_bytes(full_xclbin(**kw))
    assert (x.emulation, x.content) == (emulation, content)


def test_big_file_writes_streamed_and_parses(tmp_path):
    p = write_xclbin(tmp_path / "big.xclbin", platform=U280, kernels=["k"], bitstream_size=3 << 20)
    x = parse_xclbin(p)
    assert p.stat().st_size == x.length > 3 << 20
    bit = x.section("BITSTREAM")
    assert bit.size == 3 << 20 and bit.offset + bit.size == x.length
    assert x.kernel_names == ["k"] and x.content == "Bitstream"


def test_writer_refuses_bad_input_with_the_field_named():
    with pytest.raises(ValueError, match="platform VBNV"):
        build_xclbin(platform="x" * 64)
    with pytest.raises(ValueError, match="memory type='SRAM'"):
        build_xclbin(kernels=["k"], mems=[MemSpec("b", "SRAM")])
    with pytest.raises(ValueError, match="control_protocol='ap_ctrl_magic'"):
        build_xclbin(kernels=[KernelSpec("k", control_protocol="ap_ctrl_magic")])
    with pytest.raises(ValueError, match="memory 'HBM.9.' not in"):
        build_xclbin(
            kernels=[KernelSpec("k", args=[{"name": "a", "type": "int*", "memory": "HBM[9]"}])]
        )

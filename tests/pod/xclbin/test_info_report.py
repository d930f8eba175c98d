"""The ``--info`` rules that xclbinutil applies, checked without XRT.

tests/xrt compares whole reports with the real xclbinutil; these tests pin
each rule down where a developer without XRT can run them.
"""

from __future__ import annotations

import json

from jupyter_ext.xclbin import format as fmt
from jupyter_ext.xclbin import parse_bytes
from jupyter_ext.xclbin.info import info_dict, info_text, wrap_sections
from tests.support.xclbin_samples import (
    U280,
    full_xclbin,
    partition_metadata,
    user_signature,
)
from tests.support.xclbin_specs import ArgSpec, KernelSpec, MemSpec
from tests.support.xclbin_writer import build_xclbin


def _meta(kernels, platform=None, dsa=None, generated=None) -> dict:
    return {"build_metadata": {
        "dsa": dsa or {}, "platform": platform or {},
        "xclbin": {"generated_by": generated or {"name": "v++", "options": "v++ -l -o a.xclbin"},
                   "user_regions": [{"kernels": kernels}]}}}  # fmt: skip


def test_created_is_printed_the_way_xclbinutil_prints_it():
    meta = _meta(
        [], platform={"generated_by": {"time_stamp": "Mon"}, "board": {"part": "xcu280-f"}}
    )
    text = info_text(parse_bytes(build_xclbin(platform=U280, build_metadata=meta)))
    assert "   Created:\n               Mon   FPGA Device:            xcu280\n" in text


def test_platform_facts_fall_back_from_platform_to_dsa():
    meta = _meta([], platform={"vendor": "--", "name": "p"}, dsa={"vendor": "amd", "name": "d"})
    d = info_dict(parse_bytes(build_xclbin(platform=U280, build_metadata=meta)))
    assert (d["platform"]["vendor"], d["platform"]["name"], d["platform"]["board"]) == (
        "amd", "p", "--")  # fmt: skip


def test_sections_list_index_names_and_the_groups_xclbinutil_builds():
    soft = b"".join(v.to_bytes(4, "little") for v in (80, 0, 0, 80, 80, 80, 1)).ljust(80, b"\0")
    x = parse_bytes(full_xclbin(extra_sections=[(fmt.SOFT_KERNEL, "sk", soft + b"alpha\0")]))
    assert x.sections[-1].index_name == "alpha"
    d = info_dict(x)
    assert d["xclbin"]["sections"][-1] == "SOFT_KERNEL[alpha]"
    assert d["xclbin"]["sections_added_by_xclbinutil"] == ["GROUP_CONNECTIVITY", "GROUP_TOPOLOGY"]
    assert "GROUP_TOPOLOGY" in "".join(info_text(x).partition("   Sections:")[2].split("=")[0])


def test_the_section_list_wraps_at_54_columns_and_cuts_at_every_comma_space():
    assert wrap_sections(["AAAA", "B[x, y]", "C"], width=8) == ["AAAA, ", "B[x, ", "y], C"]
    assert wrap_sections([]) == [""]


def test_partition_metadata_gives_interface_uuids_and_the_static_uuid():
    pm = partition_metadata(["d7612a7c701e012c10959c59e9cad082", "second"])
    x = parse_bytes(
        build_xclbin(platform=U280, extra_sections=[(fmt.PARTITION_METADATA, "pm", pm)])
    )
    text = info_text(x)
    assert "   UUID (IINTF):           d7612a7c701e012c10959c59e9cad082\n" in text
    assert "   UUID (IINTF):           second\n" in text
    assert "   Static UUID:            d7612a7c-701e-012c-1095-9c59e9cad082\n" in text
    assert x.interface_uuid == "00000000-0000-0000-0000-000000000000"  # the header is unchanged


def test_a_user_signature_appended_after_the_xclbin():
    x = parse_bytes(full_xclbin() + user_signature("signed by tests"))
    assert "   Signature:              Present - signed by tests\n" in info_text(x)
    assert "the file has" in x.xrt_refusal  # XRT's loader wants length == file size
    assert parse_bytes(full_xclbin()).xrt_refusal is None


def test_kernels_take_banks_by_argument_position_and_other_ips_follow():
    args = [{"name": "a", "id": "1", "type": "int*", "port": "P", "offset": "0x10"},
            {"name": "b", "id": "0", "type": "int*", "port": "P", "offset": "0x1c"}]  # fmt: skip
    meta = _meta([{"name": "k", "arguments": args, "instances": [{"name": "k_1"}]}])
    data = build_xclbin(
        platform=U280,
        kernels=[KernelSpec("k", args=["int* a", "int* b"]), KernelSpec("extra")],
        mems=[MemSpec("m0"), MemSpec("m1")],
        connectivity=[(0, 0, 1), (0, 0, 1), (1, 0, 0)],
        build_metadata=meta,
    )
    text = info_text(parse_bytes(data))
    a_block = text.partition("   Argument:          a\n")[2].partition("\n\n")[0]
    assert a_block.count("   Memory:            m1 (MEM_DDR4)") == 2  # duplicates kept
    assert "Kernel: extra\n--------------------------\nInstance:        extra_1\n" in text


def test_empty_arrays_written_as_text_and_regions_without_kernels():
    meta = _meta([{"name": "e", "ports": "", "arguments": "", "instances": ""}])
    meta["build_metadata"]["xclbin"]["user_regions"].append({"kernels": ""})
    text = info_text(parse_bytes(build_xclbin(platform=U280, build_metadata=meta)))
    assert "   Signature: e ()\n\nPorts\n-----\n\nKernel(s): <None Found>\n" in text


def test_system_clocks_skip_reserved_ones_and_keep_the_trailing_spaces():
    clocks = [{"orig_name": "a", "type": "FIXED", "spec_frequency": 300},
              {"orig_name": "b", "type": "SCALABLE", "spec_frequency": 500,
               "requested_frequency": 450, "achieved_frequency": 449.99},
              {"orig_name": "cpu", "type": "reserved", "spec_frequency": 1200}]  # fmt: skip
    body = json.dumps({"system_diagram_metadata": {"xsa": {"clocks": clocks}}}).encode()
    x = parse_bytes(build_xclbin(platform=U280, extra_sections=[(fmt.SYSTEM_METADATA, "s", body)]))
    text = info_text(x).partition("System Clocks\n------\n")[2].partition("Memory")[0]
    assert text == (
        "   Name:           a \n   Type:           FIXED \n   Default Freq:   300 MHz\n\n"
        "   Name:           b \n   Type:           SCALABLE \n   Default Freq:   500 MHz\n"
        "   Requested Freq: 450 MHz\n   Achieved Freq:  449.99 MHz\n\n\n"
    )


def test_action_masks_and_unknown_enums():
    data = build_xclbin(platform=U280, action_mask=3, kernels=[KernelSpec("k", control_protocol=9)],
                        mems=[MemSpec("odd", 13)])  # fmt: skip
    x = parse_bytes(data)
    assert "   Action Mask(s):         LOAD_AIE LOAD_PDI \n" in info_text(x)
    assert (
        x.mem_topology[0].type == "UNKNOWN (13)"
        and x.ip_layout[0].control_protocol == "UNKNOWN (9)"
    )


def test_json_xrt_block_lists_bank_groups_and_streams_as_xrt_does():
    hbm = [MemSpec(f"HBM[{i}]", "MEM_HBM", size_kb=1024, base_address=i << 20) for i in range(2)]
    stream = MemSpec("s", "MEM_STREAMING_CONNECTION", size_kb=0, base_address=0)
    data = build_xclbin(
        platform=U280,
        kernels=[KernelSpec("k", args=[ArgSpec("p", "int*", memory="HBM[0]")])],
        mems=[*hbm, stream],
        group_topology=[*hbm, stream, MemSpec("MBG[0:1]", "MEM_HBM", size_kb=2048, base_address=0)],
        group_connectivity=[(0, 0, 3)],
    )
    xrt = info_dict(parse_bytes(data))["xrt"]
    assert [m["tag"] for m in xrt["mems"]] == ["HBM[0]", "HBM[1]", "s", "MBG[0:1]"]
    assert (xrt["mems"][2]["base_address"], xrt["mems"][2]["size_kb"]) == (2**64 - 1, 0)
    assert xrt["kernels"] == [{"name": "k", "num_args": 1}] and xrt["refusal"] is None

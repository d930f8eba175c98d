"""More corpus cases: clocks, metadata quirks, signatures, partitions, PS/soft kernels, targets.

See xclbin_corpus.py for how a case is built.
"""

from __future__ import annotations

from collections.abc import Callable

from .xclbin_corpus import BIT_HEADER, U55C, U250, Case, _ddr, _one_step
from .xclbin_corpus_json import GENERATED, kernel, simple_args
from .xclbin_corpus_json import build_metadata as bm
from .xclbin_corpus_json import clocks as clk
from .xclbin_corpus_json import connectivity as conn
from .xclbin_corpus_json import embedded_xml as xml
from .xclbin_corpus_json import ip_kernel as ipk
from .xclbin_corpus_json import ip_layout as ipl
from .xclbin_corpus_json import mem_topology as mem

VCK = "xilinx_vck190_base_202220_1"


def _case_clocks() -> Case:
    long_name = "clk_" + "x" * 100
    rows = [("DATA_CLK", 300, "DATA"), ("KERNEL_CLK", 500, "KERNEL"), ("SYS_CLK", 100, "SYSTEM"),
            ("spare", 0, "UNUSED"), (long_name, 65535, "KERNEL")]  # fmt: skip
    k = kernel("k", simple_args(["int* p"]), ["k_1"])
    files = {"bm.json": bm(U250, [k]), "clk.json": clk(rows)}
    secs = ["BUILD_METADATA:JSON:@bm.json", "CLOCK_FREQ_TOPOLOGY:JSON:@clk.json"]
    return Case("clocks", files, _one_step(secs))


def _system_metadata(last_reserved: bool) -> dict:
    def c(name: str, kind: str, spec, req=0, ach=0) -> dict:
        return {"name": name, "orig_name": name + "_orig", "id": 0, "default": False,
                "type": kind, "spec_frequency": spec, "spec_period": 3.333333,
                "requested_frequency": req, "achieved_frequency": ach, "clock_domain": "",
                "inst_ref": "", "comp_ref": "", "xclbin_name": ""}  # fmt: skip

    clocks = [c("CPU", "RESERVED", 1200), c("clk_out1", "FIXED", 300),
              c("clk_kernel", "SCALABLE", 500, 500, 499.999995), c("clk_out2", "fixed", 100)]  # fmt: skip
    if last_reserved:
        clocks.append(c("PL_REF", "Reserved", 33.333))
    return {"system_diagram_metadata": {"schema_version": {"major": "1", "minor": "0"},
            "xsa": {"name": "base", "vbnv": VCK, "clocks": clocks}}}  # fmt: skip


def _case_system_metadata() -> Case:
    files = {"bm.json": bm(VCK, []), "sys.json": _system_metadata(True)}
    secs = ["BUILD_METADATA:JSON:@bm.json", "SYSTEM_METADATA:RAW:@sys.json"]
    return Case("system_metadata", files, _one_step(secs))


def _case_system_metadata_no_bm() -> Case:
    files = {"sys.json": _system_metadata(False)}
    return Case("system_metadata_only", files,
                _one_step(["SYSTEM_METADATA:RAW:@sys.json"], "--key-value",
                          f"SYS:PlatformVBNV:{VCK}"))  # fmt: skip


def _case_raw_build_metadata() -> Case:
    """BUILD_METADATA:RAW keeps the file's bytes: real numbers, true, null, [] and floats."""
    text = (
        '{"build_metadata": {"dsa": {"feature_roms": [{"vbnvName": "@VBNV@", "timeSinceEpoch": 7}]},'
        ' "platform": {"vendor": "xilinx", "board_id": "u55c", "name": "gen3x16_xdma",'
        ' "version_major": 3, "version_minor": 0, "description": null, "debug": true,'
        ' "board": {"name": "xilinx.com:au55c:1.0", "vendor": "xilinx.com", "part": "xcu55c",'
        ' "board_part": []}, "generated_by": {"name": "Vivado", "version": 2022.10, "cl": 3526262,'
        ' "time_stamp": 1.5e3}},'
        ' "xclbin": {"generated_by": {"name": "v++", "version": 2022.20, "cl": 0,'
        ' "time_stamp": false, "options": "v++ -l"},'
        ' "user_regions": [{"name": "OCL_REGION_0", "kernels": [{"name": "raw", "ports": [],'
        ' "arguments": [{"name": "x", "type": "int", "offset": 16, "port": null, "id": 0}],'
        ' "instances": [{"name": "raw_1"}, {"name": 2}]}]}]}}}\n'
    ).replace("@VBNV@", U55C)
    return Case("raw_build_metadata", {"bm.json": text},
                _one_step(["BUILD_METADATA:RAW:@bm.json"]))  # fmt: skip


def _case_keyvalues() -> Case:
    files = {"bm.json": bm(U250, [])}
    kv = ["USER:owner:alice", "USER:colour:blue", "USER:owner:bob",
          "USER:gaussian_filter_accel.FILTER_WIDTH:5", "USER:path:/a:b:c", "USER:empty:"]  # fmt: skip
    args = [a for v in kv for a in ("--key-value", v)]
    return Case("key_values", files, _one_step(["BUILD_METADATA:JSON:@bm.json"], *args))


def _case_user_signature() -> Case:
    k = kernel("signed", simple_args(["int* p"]), ["signed_1"])
    files = {"bm.json": bm(U250, [k]), "mem.json": mem(_ddr(1))}
    steps = [
        [
            "--add-section",
            "BUILD_METADATA:JSON:{d}/bm.json",
            "--add-section",
            "MEM_TOPOLOGY:JSON:{d}/mem.json",
            "--output",
            "{d}/unsigned.xclbin",
        ],
        [
            "--input",
            "{d}/unsigned.xclbin",
            "--add-signature",
            "corpus-signature 0123456789abcdef",
            "--output",
            "{d}/out.xclbin",
        ],
    ]
    return Case("user_signature", files, steps)


def _partition(interfaces: list[str]) -> dict:
    return {"partition_metadata": {
        "schema_version": {"major": "0x1", "minor": "0x0"},
        "logic_uuid": "b772b6bbd3ba046439ece1b7763c69c7",
        "interfaces": [{"interface_uuid": u} for u in interfaces],
        "pcie": {"bars": [{"pcie_base_address_register": "0x0", "pcie_physical_function": "0x0",
                           "offset": "0x0000020100000000", "range": "0x0000000002000000"}]},
        "addressable_endpoints": {"ep_gate_00": {
            "offset": "0x0000000001f06000", "range": "0x0000000000001000",
            "pcie_physical_function": "0x0",
            "register_abstraction_name": "xilinx.com:reg_abs:axi_gpio:1.0"}}}}  # fmt: skip


def _case_partition_pr() -> Case:
    files = {"bm.json": bm(U250, []), "pm.json": _partition(["d7612a7c701e012c10959c59e9cad082"])}
    secs = ["BUILD_METADATA:JSON:@bm.json", "PARTITION_METADATA:JSON:@pm.json"]
    return Case("partition_metadata_pr", files, _one_step(secs, "--key-value", "SYS:mode:hw_pr"))


def _case_partition_two() -> Case:
    uuids = ["862c7020-a250-293e-32d3-f4a8a9f3b1a2", "0123456789abcdef0123456789abcdef"]
    files = {"pm.json": _partition(uuids)}
    return Case("partition_two_interfaces", files, _one_step(["PARTITION_METADATA:JSON:@pm.json"]))


def _aie_partition(name: str) -> dict:
    return {"aie_partition": {
        "name": name, "operations_per_cycle": "2048", "inference_fingerprint": "23423",
        "pre_post_fingerprint": "12345", "kernel_commit_id": "0123456789abcdef",
        "partition": {"column_width": 4, "start_columns": [1, 5]},
        "PDIs": [{"uuid": "00000000-0000-0000-0000-000000001110", "file_name": "./a.pdi",
                  "cdo_groups": [{"name": "DPU", "type": "PRIMARY", "pdi_id": "0xF0",
                                  "dpu_kernel_ids": ["0x100"], "pre_cdo_groups": ["0xC0"]}]}]}}  # fmt: skip


def _case_aie_partitions() -> Case:
    files = {"bm.json": bm(VCK, []), "a.pdi": b"PDI\x00" * 64,
             "flavor.json": _aie_partition("flavor"), "lite.json": _aie_partition("lite")}  # fmt: skip
    secs = ["BUILD_METADATA:JSON:@bm.json", "AIE_PARTITION[flavor]:JSON:@flavor.json",
            "AIE_PARTITION[lite]:JSON:@lite.json"]  # fmt: skip
    args = ["--key-value", "SYS:action_mask:LOAD_AIE", "--key-value", "SYS:action_mask:LOAD_PDI"]
    return Case("aie_partitions", files, _one_step(secs, *args))


def _soft_kernel(name: str, instances: int) -> dict:
    return {"soft_kernel_metadata": {"mpo_name": name, "mpo_version": "1.2.3",
            "mpo_md5_value": "a794b17fb67e96cad73342598ec9dd45", "mpo_symbol_name": name + "_sym",
            "m_num_instances": instances}}  # fmt: skip


def _case_soft_kernels() -> Case:
    files = {"bm.json": bm(VCK, []), "obj.so": b"\x7fELF" + bytes(252),
             "a.json": _soft_kernel("sk_alpha", 2), "b.json": _soft_kernel("sk_beta", 1)}  # fmt: skip
    secs = ["BUILD_METADATA:JSON:@bm.json", "SOFT_KERNEL[sk_alpha]-OBJ:RAW:@obj.so",
            "SOFT_KERNEL[sk_alpha]-METADATA:JSON:@a.json", "SOFT_KERNEL[sk_beta]-OBJ:RAW:@obj.so",
            "SOFT_KERNEL[sk_beta]-METADATA:JSON:@b.json"]  # fmt: skip
    return Case("soft_kernels", files, _one_step(secs))


def _case_ps_kernel() -> Case:
    k = kernel("vadd", simple_args(["void* in1", "void* in2", "void* out_r", "int size"]),
               ["vadd_1"])  # fmt: skip
    ps = {"ps-kernels": {"kernels": [{
        "name": "DPU", "type": "dpu",
        "extended-data": {"subtype": "DPU", "functional": "DPU", "dpu_kernel_id": "0x101"},
        "arguments": [
            {"name": "ifm", "memory-connection": "HOST", "address-qualifier": "GLOBAL",
             "type": "char *", "offset": "0x00"},
            {"name": "ofm", "memory-connection": "HOST", "address-qualifier": "GLOBAL",
             "type": "char *", "offset": "0x08"},
            {"name": "n", "address-qualifier": "SCALAR", "type": "uint32_t", "offset": "0x10"}],
        "instances": [{"name": "IPUV1CNN"}]}]}}  # fmt: skip
    files = {
        "bm.json": bm(VCK, [k]),
        "meta.xml": xml(VCK, [k]),
        "mem.json": mem(
            [
                ("HOST", "MEM_DRAM", 0x4000000, 0x10000, True),
                ("SRAM", "MEM_DRAM", 0x0, 0x200, False),
            ]
        ),
        "ip.json": ipl([ipk("vadd:vadd_1", 0x80000, "AP_CTRL_CHAIN")]),
        "conn.json": conn([(0, 0, 0), (1, 0, 0), (2, 0, 0)]),
        "ps.json": ps,
    }
    steps = [
        [
            "--add-section",
            "BUILD_METADATA:JSON:{d}/bm.json",
            "--add-section",
            "EMBEDDED_METADATA:RAW:{d}/meta.xml",
            "--add-section",
            "MEM_TOPOLOGY:JSON:{d}/mem.json",
            "--add-section",
            "IP_LAYOUT:JSON:{d}/ip.json",
            "--add-section",
            "CONNECTIVITY:JSON:{d}/conn.json",
            "--output",
            "{d}/work.xclbin",
        ],
        ["--input", "{d}/work.xclbin", "--add-kernel", "{d}/ps.json", "--output", "{d}/out.xclbin"],
    ]
    return Case("ps_kernel", files, steps)


def _case_target(target: str, blob_name: str, blob: bytes) -> Case:
    k = kernel("emu", simple_args(["int* a", "int n"]), ["emu_1"])
    files = {"bm.json": bm(U250, [k]), "meta.xml": xml(U250, [k]), blob_name: blob,
             "ip.json": ipl([ipk("emu:emu_1", 0x1800000)])}  # fmt: skip
    secs = ["BUILD_METADATA:JSON:@bm.json", "EMBEDDED_METADATA:RAW:@meta.xml",
            f"BITSTREAM:RAW:@{blob_name}", "IP_LAYOUT:JSON:@ip.json"]  # fmt: skip
    args = ["--target", target] if target else []
    return Case(f"target_{target or 'hw'}_{blob_name.replace('.', '_')}", files,
                _one_step(secs, *args))  # fmt: skip


def _targets() -> list[Case]:
    return [
        _case_target("hw_emu", "behav.zip", b"PK\x03\x04" + bytes(120)),
        _case_target("sw_emu", "kernels.so", b"\x7fELF" + bytes(120)),
        _case_target("hw", "design.bit", BIT_HEADER + bytes(4096)),
        _case_target("", "design.dcp", b"PK\x05\x06" + bytes(60)),
        _case_target("hw", "tiny.bin", b"\x01\x02\x03"),
    ]


def _case_debug_ip_layout() -> Case:
    def d(t: str, i: int, base: int, name: str) -> dict:
        return {"m_type": t, "m_index": str(i), "m_properties": "0", "m_major": "1",
                "m_minor": "0", "m_base_address": f"0x{base:x}", "m_name": name}  # fmt: skip

    rows = [d("AXI_MM_MONITOR", 0, 0x1000, "vadd_1/m_axi_gmem-DDR[0]"),
            d("ACCEL_MONITOR", 1, 0x2000, "vadd_1"), d("AXI_STREAM_MONITOR", 2, 0x3000, "s/x"),
            d("TRACE_S2MM", 3, 0x4000, "trace"), d("LAPC", 4, 0x5000, "lapc0")]  # fmt: skip
    files = {"dbg.json": {"debug_ip_layout": {"m_count": str(len(rows)), "m_debug_ip_data": rows}}}
    return Case("debug_ip_layout", files, _one_step(
        ["DEBUG_IP_LAYOUT:JSON:@dbg.json"], "--key-value", f"SYS:PlatformVBNV:{VCK}"))  # fmt: skip


def _case_no_metadata() -> Case:
    files = {
        "mem.json": mem(_ddr(2)),
        "ip.json": ipl([ipk("vadd:vadd_1", 0x1800000), ipk("vadd:vadd_2", None)]),
        "conn.json": conn([(0, 0, 0), (0, 1, 1)]),
    }
    secs = [
        "MEM_TOPOLOGY:JSON:@mem.json",
        "IP_LAYOUT:JSON:@ip.json",
        "CONNECTIVITY:JSON:@conn.json",
    ]
    args = ["--key-value", f"SYS:PlatformVBNV:{U55C}", "--key-value",
            "SYS:InterfaceUUID:11112222-3333-4444-5555-666677778888",
            "--key-value", "SYS:FeatureRomTimestamp:1234567890", "--key-value", "USER:k:v"]  # fmt: skip
    return Case("no_build_metadata", files, _one_step(secs, *args))


def _case_other_ips() -> Case:
    k = kernel("vadd", simple_args(["int* a", "int n"]), ["vadd_1"])
    ips = [ipk("vadd:vadd_1", 0x1800000), ipk("vadd:vadd_2", 0x1810000),
           ipk("other:other_1", 0x1820000, "AP_CTRL_NONE"),
           {"m_type": "IP_MEM_DDR4", "m_index": "0", "m_pc_index": "0",
            "m_base_address": "0x4000000000", "m_name": "DDR4_MEM00"},
           {"m_type": "IP_MEM_HBM", "m_index": "1", "m_pc_index": "0",
            "m_base_address": "0x10000000", "m_name": "MEM:HBM_1"},
           {"m_type": "IP_PS_KERNEL", "m_subtype": "PS", "m_base_address": "not_used",
            "m_name": "psk:psk_1"},
           {"m_type": "IP_DNASC", "m_base_address": "0x30000", "m_name": "dna"}]  # fmt: skip
    files = {"bm.json": bm(U250, [k]), "ip.json": ipl(ips), "mem.json": mem(_ddr(1)),
             "conn.json": conn([(0, 0, 0), (0, 1, 0), (1, 2, 0)])}  # fmt: skip
    secs = ["BUILD_METADATA:JSON:@bm.json", "IP_LAYOUT:JSON:@ip.json", "MEM_TOPOLOGY:JSON:@mem.json",
            "CONNECTIVITY:JSON:@conn.json"]  # fmt: skip
    return Case("ips_outside_metadata", files, _one_step(secs))


def _case_generated_variants() -> Case:
    platform = {"vendor": "--", "board_id": "u50", "version_major": "5",
                "board": {"part": "xcu50", "vendor": "xilinx.com"},
                "generated_by": {"name": "Vivado", "version": "2021.1"}}  # fmt: skip
    meta = bm(U250, [kernel("g", simple_args(["int a"]), ["g_1"])], platform=platform,
              generated={"version": "2021.1", "options": "-x -y"})  # fmt: skip
    meta["build_metadata"]["dsa"]["vendor"] = "amd"
    meta["build_metadata"]["dsa"]["name"] = "from_dsa"
    return Case("generated_by_variants", {"bm.json": meta},
                _one_step(["BUILD_METADATA:JSON:@bm.json"]))  # fmt: skip


def _case_modes() -> Case:
    files = {"bm.json": bm(U250, [], generated={**GENERATED, "options": "v++  - -a --b -"})}
    args = ["--key-value", "SYS:mode:tandem_pr", "--key-value", "SYS:action_mask:LOAD_PDI"]
    return Case("tandem_pr_mode", files, _one_step(["BUILD_METADATA:JSON:@bm.json"], *args))


def _case_positional_connections() -> Case:
    args = simple_args(["int* first", "int* second", "int* third"])
    args[0]["id"], args[1]["id"] = "1", "0"  # ids out of order: xclbinutil goes by position
    k = kernel("order", args, ["order_1"])
    files = {"bm.json": bm(U250, [k]), "mem.json": mem(_ddr(2)), "meta.xml": xml(U250, [k]),
             "ip.json": ipl([ipk("order:order_1", 0x1800000)]),
             "conn.json": conn([(0, 0, 0), (0, 0, 0), (1, 0, 1), (5, 0, 0), (2, 0, 1)])}  # fmt: skip
    secs = ["BUILD_METADATA:JSON:@bm.json", "MEM_TOPOLOGY:JSON:@mem.json", "IP_LAYOUT:JSON:@ip.json",
            "CONNECTIVITY:JSON:@conn.json", "EMBEDDED_METADATA:RAW:@meta.xml"]  # fmt: skip
    return Case("positional_connections", files, _one_step(secs))


def _case_many_sections() -> Case:
    raw = b"corpus\x00" * 9
    names = ["EMULATION_DATA", "DEBUG_DATA", "USER_METADATA", "PDI", "BITSTREAM_PARTIAL_PDI",
             "CLEARING_BITSTREAM", "DESIGN_CHECKPOINT", "SCHED_FIRMWARE", "FIRMWARE",
             "OVERLAY", "AIE_RESOURCES", "IP_METADATA"]  # fmt: skip
    files = {"bm.json": bm(VCK, []), "raw.bin": raw, "vm.bin": b"vendor data",
             "ip_meta.json": b'{"ip_metadata": {"ips": []}}'}  # fmt: skip
    secs = ["BUILD_METADATA:JSON:@bm.json"]
    secs += [f"{n}:RAW:@{'ip_meta.json' if n == 'IP_METADATA' else 'raw.bin'}" for n in names]
    secs += ["VENDER_METADATA[acme, inc]:RAW:@vm.bin", "VENDER_METADATA[zeta]:RAW:@vm.bin"]
    return Case("many_sections", files, _one_step(secs, "--key-value", "USER:a:1"))


def _case_dsa_only() -> Case:
    meta = bm(U250, [kernel("d", simple_args(["float* x"]), ["d_1"])])
    meta["build_metadata"]["dsa"].update(meta["build_metadata"].pop("platform"))
    return Case("dsa_platform_block", {"bm.json": meta},
                _one_step(["BUILD_METADATA:JSON:@bm.json"], "--key-value", "USER:z:"))  # fmt: skip


MORE_CASES: list[Callable[[], Case]] = [
    _case_clocks,
    _case_system_metadata,
    _case_system_metadata_no_bm,
    _case_raw_build_metadata,
    _case_keyvalues,
    _case_user_signature,
    _case_partition_pr,
    _case_partition_two,
    _case_aie_partitions,
    _case_soft_kernels,
    _case_ps_kernel,
    *[lambda c=c: c for c in _targets()],
    _case_debug_ip_layout,
    _case_no_metadata,
    _case_other_ips,
    _case_generated_variants,
    _case_modes,
    _case_positional_connections,
    _case_many_sections,
    _case_dsa_only,
]

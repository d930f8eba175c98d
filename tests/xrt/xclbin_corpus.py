"""A corpus of genuine xclbins, each written by XRT 2.25's own ``xclbinutil``.

Every case is a set of input files (JSON, XML, raw bytes) and the xclbinutil
command lines that turn them into ``out.xclbin``: ``--add-section``,
``--add-kernel``, ``--key-value``, ``--target``, ``--add-signature``. The
cases cover what ``--info`` and XRT's loader treat differently: old- and
new-style BUILD_METADATA (with the empty arrays xclbinutil rewrites as ``""``),
kernels with many and with stream arguments, DDR4/HBM/PLRAM/host/streaming
banks and the bank groups xclbinutil derives from them, clocks, key-values,
signatures, partition metadata, AIE partitions, PS and soft kernels, emulation
targets, PR modes, system metadata and debug IP layouts.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .xclbin_corpus_json import GENERATED, Dup, dumps, kernel, simple_args
from .xclbin_corpus_json import build_metadata as bm
from .xclbin_corpus_json import clocks as clk
from .xclbin_corpus_json import connectivity as conn
from .xclbin_corpus_json import embedded_xml as xml
from .xclbin_corpus_json import ip_kernel as ipk
from .xclbin_corpus_json import ip_layout as ipl
from .xclbin_corpus_json import mem_topology as mem

U250 = "xilinx_u250_gen3x16_xdma_4_1_202210_1"
U55C = "xilinx_u55c_gen3x16_xdma_3_202210_1"
BIT_HEADER = bytes([0x00, 0x09, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0])


@dataclass
class Case:
    """Input files, then xclbinutil steps; ``{d}`` in a step is the case's directory."""

    name: str
    files: dict[str, Any]
    steps: list[list[str]]


def _one_step(sections: list[str], *args: str) -> list[list[str]]:
    cmd = [a for s in sections for a in ("--add-section", s.replace("@", "{d}/"))]
    return [[*cmd, *args, "--output", "{d}/out.xclbin"]]


def _ddr(n: int = 4) -> list[tuple[str, str, int, int, bool]]:
    return [(f"bank{i}", "MEM_DDR4", 0x40_0000_0000 + i * 0x4_0000_0000, 0x100_0000, True)
            for i in range(n)]  # fmt: skip


def _case_vadd() -> Case:
    k = kernel("vadd", simple_args(["int* a", "int* b", "int* c", "int n"]), ["vadd_1", "vadd_2"])
    files = {
        "bm.json": bm(U250, [k]),
        "mem.json": mem(_ddr()),
        "ip.json": ipl(
            [
                ipk("vadd:vadd_1", 0x1800000, "AP_CTRL_CHAIN"),
                ipk("vadd:vadd_2", 0x1810000, "AP_CTRL_CHAIN"),
            ]
        ),
        "conn.json": conn([(0, 0, 0), (1, 0, 1), (2, 0, 2), (0, 1, 3), (1, 1, 3), (2, 1, 3)]),
        "clk.json": clk([("DATA_CLK", 300, "DATA"), ("KERNEL_CLK", 500, "KERNEL")]),
        "meta.xml": xml(U250, [k]),
    }
    secs = ["BUILD_METADATA:JSON:@bm.json", "MEM_TOPOLOGY:JSON:@mem.json",
            "IP_LAYOUT:JSON:@ip.json", "CONNECTIVITY:JSON:@conn.json",
            "CLOCK_FREQ_TOPOLOGY:JSON:@clk.json", "EMBEDDED_METADATA:RAW:@meta.xml"]  # fmt: skip
    return Case("vadd_ddr4", files, _one_step(secs, "--key-value", "USER:owner:corpus"))


def _case_hbm_groups() -> Case:
    banks = [(f"HBM[{i}]", "MEM_HBM", i * 0x1000_0000, 0x4_0000, True) for i in range(32)]
    banks.append(("PLRAM[0]", "MEM_DRAM", 0x40_0000_0000, 0x80, True))
    banks.append(("DDR[0]", "MEM_DDR4", 0x50_0000_0000, 0x100_0000, False))
    args = simple_args(["float* in1", "float* in2", "float* out", "float* lut", "int size"])
    k = kernel("krnl_hbm", args, ["krnl_hbm_1", "krnl_hbm_2"])
    conns = [(0, 0, i) for i in range(4)] + [(1, 0, i) for i in range(4, 8)] + [(2, 0, 8)]
    conns += [(3, 0, 32)] + [(0, 1, i) for i in range(16, 20)] + [(1, 1, 20), (1, 1, 22)]
    conns += [(2, 1, 24), (2, 1, 25), (3, 1, 32)]
    files = {
        "bm.json": bm(U55C, [k]),
        "mem.json": mem(banks),
        "ip.json": ipl(
            [ipk("krnl_hbm:krnl_hbm_1", 0x800000), ipk("krnl_hbm:krnl_hbm_2", 0x810000)]
        ),
        "conn.json": conn(conns),
        "meta.xml": xml(U55C, [k]),
    }
    secs = ["BUILD_METADATA:JSON:@bm.json", "MEM_TOPOLOGY:JSON:@mem.json",
            "IP_LAYOUT:JSON:@ip.json", "CONNECTIVITY:JSON:@conn.json",
            "EMBEDDED_METADATA:RAW:@meta.xml"]  # fmt: skip
    return Case("hbm_bank_groups", files, _one_step(secs))


def _case_many_args() -> Case:
    decls = [f"int* buf{i}" if i % 3 == 0 else f"unsigned int s{i}" for i in range(40)]
    k = kernel("wide", simple_args(decls), ["wide_1", "wide_2", "wide_3"])
    conns = [(a, ip, a % 2) for ip in range(3) for a in range(0, 40, 3)]
    files = {
        "bm.json": bm(U250, [k]),
        "mem.json": mem(_ddr(2)),
        "ip.json": ipl([ipk(f"wide:wide_{i + 1}", 0x1000000 + i * 0x10000) for i in range(3)]),
        "conn.json": conn(conns),
        "meta.xml": xml(U250, [k], extra_arg=True),
    }
    secs = ["BUILD_METADATA:JSON:@bm.json", "MEM_TOPOLOGY:JSON:@mem.json",
            "IP_LAYOUT:JSON:@ip.json", "CONNECTIVITY:JSON:@conn.json",
            "EMBEDDED_METADATA:RAW:@meta.xml"]  # fmt: skip
    return Case("many_arguments", files, _one_step(secs))


def _case_streams() -> Case:
    stream = "hls::stream<ap_axiu<32, 0, 0, 0>>&"
    k1 = kernel("mm2s", simple_args(["int* mem", f"{stream} out_s", "int n"]), ["mm2s_1"])
    k2 = kernel("s2mm", simple_args([f"{stream} in_s", "int* mem", "int n"]), ["s2mm_1"])
    banks = [("bank0", "MEM_DDR4", 0x40_0000_0000, 0x100_0000, True),
             ("mm2s_1_out_s", "MEM_STREAMING_CONNECTION", 0, 0, True),
             ("s2mm_1_in_s", "MEM_STREAMING_CONNECTION", 0, 0, True),
             ("streaming", "MEM_STREAMING", 0x60_0000_0000, 0x40, True)]  # fmt: skip
    files = {
        "bm.json": bm(U250, [k1, k2]),
        "mem.json": mem(banks),
        "ip.json": ipl([ipk("mm2s:mm2s_1", 0x1800000), ipk("s2mm:s2mm_1", 0x1810000)]),
        "conn.json": conn([(0, 0, 0), (1, 0, 1), (0, 1, 2), (1, 1, 0), (1, 1, 3)]),
        "meta.xml": xml(U250, [k1, k2]),
    }
    secs = ["BUILD_METADATA:JSON:@bm.json", "MEM_TOPOLOGY:JSON:@mem.json",
            "IP_LAYOUT:JSON:@ip.json", "CONNECTIVITY:JSON:@conn.json",
            "EMBEDDED_METADATA:RAW:@meta.xml"]  # fmt: skip
    return Case("stream_arguments", files, _one_step(secs))


def _case_host_memory() -> Case:
    k = kernel("hostk", simple_args(["char* src", "char* dst", "long n"]), ["hostk_1"])
    banks = [("HOST[0]", "MEM_HOST", 0x0, 0x400000, True), ("bank0", "MEM_DDR4", 0x40_0000_0000,
             0x100_0000, False), ("MBG[0:1]", "MEM_PS_KERNEL", 0x80_0000_0000, 0x100, True)]  # fmt: skip
    files = {
        "bm.json": bm(U250, [k]),
        "mem.json": mem(banks),
        "ip.json": ipl([ipk("hostk:hostk_1", 0x20000, "AP_CTRL_HS", irq=False)]),
        "conn.json": conn([(0, 0, 0), (1, 0, 0)]),
        "meta.xml": xml(U250, [k]),
    }
    secs = ["BUILD_METADATA:JSON:@bm.json", "MEM_TOPOLOGY:JSON:@mem.json",
            "IP_LAYOUT:JSON:@ip.json", "CONNECTIVITY:JSON:@conn.json",
            "EMBEDDED_METADATA:RAW:@meta.xml"]  # fmt: skip
    return Case("host_memory", files, _one_step(secs))


def _old_style_metadata() -> Dup:
    """BUILD_METADATA as older v++ wrote it: platform under ``dsa``, repeated keys as lists."""

    def old_kernel(name: str, insts: list[str]) -> Dup:
        args = simple_args(["int* in", "int* out", "int size"])
        ports = [("port", {"name": "S_AXI_CONTROL", "mode": "slave", "range": "0x1000",
                           "data_width": "32", "port_type": "addressable", "base": "0x0"}),
                 ("port", {"name": "M_AXI_GMEM0", "mode": "master", "range": "0xFFFFFFFF",
                           "data_width": "512", "port_type": "addressable", "base": "0x0"})]  # fmt: skip
        return Dup(("name", name), ("ports", Dup(*ports)),
                   ("arguments", Dup(*[("argument", a) for a in args])),
                   ("instances", Dup(*[("instance", {"name": i}) for i in insts])))  # fmt: skip

    dsa = Dup(("vendor", "xilinx"), ("board_id", "vcu1525"), ("name", "dynamic"),
              ("version_major", "5"), ("version_minor", "2"), ("description", ""),
              ("board", {"name": "xilinx.com:vcu1525:1.1", "vendor": "xilinx.com",
                         "part": "xcvu9p-fsgd2104-2L-e", "board_part": "xilinx.com:vcu1525:part0:1.1"}),
              ("feature_roms", Dup(("feature_rom", {"vbnv_name": "xilinx_vcu1525_dynamic_5_2",
                                                    "time_epoch": "1528338249"}))),
              ("generated_by", {"name": "Vivado", "version": "2018.2", "cl": "2258646"}))  # fmt: skip
    gen = {"name": "xocc", "version": "2018.2", "cl": "2258646",
           "time_stamp": "Wed Oct  3 10:04:04 2018", "options": "xocc -l -o old.xclbin"}  # fmt: skip
    region = Dup(("name", "OCL_REGION_0"), ("type", "clc_region"),
                 ("kernels", Dup(("kernel", old_kernel("input_stage", ["input_stage_1"])),
                                 ("kernel", old_kernel("output_stage", ["os_0", "os_1"])))))  # fmt: skip
    xclbin = Dup(("generated_by", gen), ("user_regions", Dup(("user_region", region))))
    return Dup(("schema_version", {"major": "1", "minor": "0", "patch": "0"}),
               ("build_metadata", Dup(("dsa", dsa), ("xclbin", xclbin))))  # fmt: skip


def _case_old_style() -> Case:
    files = {
        "bm.json": _old_style_metadata(),
        "mem.json": mem(_ddr(1)),
        "ip.json": ipl(
            [
                ipk("input_stage:input_stage_1", 0x1800000),
                ipk("output_stage:os_0", 0x1810000),
                ipk("output_stage:os_1", None),
            ]
        ),
        "conn.json": conn([(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 2, 0)]),
    }
    secs = ["BUILD_METADATA:JSON:@bm.json", "MEM_TOPOLOGY:JSON:@mem.json",
            "IP_LAYOUT:JSON:@ip.json", "CONNECTIVITY:JSON:@conn.json"]  # fmt: skip
    return Case("old_style_build_metadata", files, _one_step(secs))


def _case_empty_arrays() -> Case:
    empty = {"name": "nothing", "ports": [], "arguments": [], "instances": []}
    scalar = kernel("only_scalars", simple_args(["int a", "int b"]), [])
    regions = [
        {"name": "OCL_REGION_0", "type": "clc_region", "kernels": [empty, scalar]},
        {"name": "OCL_REGION_1", "type": "clc_region", "kernels": []},
    ]
    files = {"bm.json": bm(U250, regions=regions, generated={**GENERATED, "options": ""})}
    return Case("empty_arrays", files, _one_step(["BUILD_METADATA:JSON:@bm.json"]))


def _case_no_regions() -> Case:
    files = {"bm.json": bm(U250, regions=[])}
    return Case("no_user_regions", files, _one_step(["BUILD_METADATA:JSON:@bm.json"]))


CASES: list[Callable[[], Case]] = [
    _case_vadd,
    _case_hbm_groups,
    _case_many_args,
    _case_streams,
    _case_host_memory,
    _case_old_style,
    _case_empty_arrays,
    _case_no_regions,
]


def _write(path: Path, content: Any) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, Dup):
        path.write_text(dumps(content) + "\n")
    else:
        path.write_text(json.dumps(content, indent=2) + "\n")


def all_cases() -> list[Case]:
    from .xclbin_corpus_more import MORE_CASES

    return [make() for make in [*CASES, *MORE_CASES]]


def build(case: Case, xclbinutil: str, root: Path) -> Path:
    """Write the case's inputs under ``root/<name>`` and run its steps; the xclbin's path."""
    d = root / case.name
    d.mkdir(parents=True, exist_ok=True)
    for name, content in case.files.items():
        _write(d / name, content)
    for step in case.steps:
        cmd = [xclbinutil, "--quiet", "--force", *(a.replace("{d}", str(d)) for a in step)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=d)
        if r.returncode != 0:
            raise RuntimeError(f"{case.name}: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return d / "out.xclbin"

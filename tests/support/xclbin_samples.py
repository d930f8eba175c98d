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

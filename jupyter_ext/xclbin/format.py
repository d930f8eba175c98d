"""The AXLF (xclbin) binary layout, as constants.

One place for every offset, size and enum so the parser and the test suite's
writer cannot disagree. Values follow XRT's ``xclbin.h`` (docs/upstream-facts.md,
"The xclbin format"); names are the strings ``xclbinutil --info`` prints, so our
text output matches theirs.
"""

from __future__ import annotations

import struct

MAGIC = b"xclbin2\0"

# --- the top-level header (struct axlf + struct axlf_header) -----------------
OFF_SIGNATURE_LENGTH = 8
OFF_RESERVED = 12
RESERVED_SIZE = 28
OFF_KEY_BLOCK = 40
KEY_BLOCK_SIZE = 256
OFF_UNIQUE_ID = 296
OFF_LENGTH = 304
OFF_TIMESTAMP = 312
OFF_FEATURE_ROM_TIMESTAMP = 320
OFF_VERSION_PATCH = 328
OFF_VERSION_MAJOR = 330
OFF_VERSION_MINOR = 331
OFF_MODE = 332
OFF_ACTION_MASK = 334
OFF_INTERFACE_UUID = 336
OFF_PLATFORM_VBNV = 352
VBNV_SIZE = 64
OFF_XCLBIN_UUID = 416
OFF_DEBUG_BIN = 432
DEBUG_BIN_SIZE = 16
OFF_NUM_SECTIONS = 448
OFF_SECTIONS = 456
HEADER_SIZE = OFF_SECTIONS  # bytes before the first section header

# fixed part of the header after the key block: unique id .. num sections
# (u64 uniqueId, u64 length, u64 timestamp, u64 featureRomTimestamp,
#  u16 patch, u8 major, u8 minor, u16 mode, u16 action mask)
HEADER_NUMBERS = struct.Struct("<QQQQHBBHH")

# --- section headers (struct axlf_section_header) ----------------------------
SECTION_HEADER = struct.Struct("<I16s4xQQ")  # kind, name[16], pad to 24, offset, size
SECTION_HEADER_SIZE = SECTION_HEADER.size  # 40
SECTION_NAME_SIZE = 16

SECTION_KINDS: dict[int, str] = {
    0: "BITSTREAM",
    1: "CLEARING_BITSTREAM",
    2: "EMBEDDED_METADATA",
    3: "FIRMWARE",
    4: "DEBUG_DATA",
    5: "SCHED_FIRMWARE",
    6: "MEM_TOPOLOGY",
    7: "CONNECTIVITY",
    8: "IP_LAYOUT",
    9: "DEBUG_IP_LAYOUT",
    10: "DESIGN_CHECK_POINT",
    11: "CLOCK_FREQ_TOPOLOGY",
    12: "MCS",
    13: "BMC",
    14: "BUILD_METADATA",
    15: "KEYVALUE_METADATA",
    16: "USER_METADATA",
    17: "DNA_CERTIFICATE",
    18: "PDI",
    19: "BITSTREAM_PARTIAL_PDI",
    20: "PARTITION_METADATA",
    21: "EMULATION_DATA",
    22: "SYSTEM_METADATA",
    23: "SOFT_KERNEL",
    24: "ASK_FLASH",
    25: "AIE_METADATA",
    26: "ASK_GROUP_TOPOLOGY",
    27: "ASK_GROUP_CONNECTIVITY",
    28: "SMARTNIC",
    29: "AIE_RESOURCES",
    30: "OVERLAY",
    31: "VENDER_METADATA",
    32: "AIE_PARTITION",
    33: "IP_METADATA",
    34: "AIE_RESOURCES_BIN",
    35: "AIE_TRACE_METADATA",
    36: "DTBO",
}
KIND_BY_NAME = {v: k for k, v in SECTION_KINDS.items()}
# xclbinutil registers these under other names; --info prints those.
INFO_KIND_NAMES = {
    10: "DESIGN_CHECKPOINT",
    24: "FLASH",
    26: "GROUP_TOPOLOGY",
    27: "GROUP_CONNECTIVITY",
}

BITSTREAM = 0
EMBEDDED_METADATA = 2
MEM_TOPOLOGY = 6
CONNECTIVITY = 7
IP_LAYOUT = 8
DEBUG_IP_LAYOUT = 9
CLOCK_FREQ_TOPOLOGY = 11
BUILD_METADATA = 14
KEYVALUE_METADATA = 15
PARTITION_METADATA = 20
EMULATION_DATA = 21
SYSTEM_METADATA = 22
SOFT_KERNEL = 23
ASK_FLASH = 24
ASK_GROUP_TOPOLOGY = 26
ASK_GROUP_CONNECTIVITY = 27
VENDER_METADATA = 31
AIE_PARTITION = 32
AIE_RESOURCES_BIN = 34

# --- sections with a name of their own ("SOFT_KERNEL[name]") --------------------
# xclbinutil shows that name after the kind in --info's section list. It is a
# string the section points at: (offset of the u32 string offset, smallest
# section that holds the header), from xclbin.h's soft_kernel, aie_partition,
# vender_metadata and aie_resources_bin structs. FLASH names itself by its type.
INDEX_NAME_FIELD = {
    SOFT_KERNEL: (0, 80),
    AIE_PARTITION: (4, 184),
    VENDER_METADATA: (0, 48),
    AIE_RESOURCES_BIN: (0, 76),
}
FLASH_HEADER_SIZE = 72
FLASH_TYPES = {1: "BIN"}  # anything else: "UNKNOWN"

# --- limits: what a real xclbin holds, so a hostile count costs nothing ----------
# XRT itself refuses more than 10,000 sections (xrt_xclbin.cpp). The table limits
# are far above any Vitis design (XRT drives at most 128 compute units, and
# xclbinutil warns when MEM_TOPOLOGY outgrows 64 KiB, about 1,600 banks) and keep
# a crafted file's decoded tables to a few MB whatever size it claims.
MAX_SECTIONS = 10_000
MAX_IPS = 4096
MAX_MEMS = 4096
MAX_CONNECTIONS = 65_536
MAX_CLOCKS = 1024
MAX_DEBUG_IPS = 4096

MODES = {
    0: "XCLBIN_FLAT",
    1: "XCLBIN_PR",
    2: "XCLBIN_TANDEM_STAGE2",
    3: "XCLBIN_TANDEM_STAGE2_WITH_PR",
    4: "XCLBIN_HW_EMU",
    5: "XCLBIN_SW_EMU",
    6: "XCLBIN_HW_EMU_PR",
}
MODE_BY_NAME = {v: k for k, v in MODES.items()}
MODE_HW_EMU, MODE_SW_EMU, MODE_HW_EMU_PR = 4, 5, 6

# --- IP_LAYOUT ---------------------------------------------------------------
IP_LAYOUT_FIRST = 8
IP_DATA = struct.Struct("<IIQ64s")  # type, properties, base address, name[64]
IP_TYPES = {
    0: "IP_MB",
    1: "IP_KERNEL",
    2: "IP_DNASC",
    3: "IP_DDR4_CONTROLLER",
    4: "IP_MEM_DDR4",
    5: "IP_MEM_HBM",
    6: "IP_MEM_HBM_ECC",
    7: "IP_PS_KERNEL",
}
IP_KERNEL, IP_PS_KERNEL = 1, 7
IP_INTERRUPT_ENABLE = 0x1
IP_CONTROL_MASK = 0xFF00
IP_CONTROL_SHIFT = 8
CONTROL_PROTOCOLS = {
    0: "AP_CTRL_HS",
    1: "AP_CTRL_CHAIN",
    2: "AP_CTRL_NONE",
    3: "AP_CTRL_ME",
    4: "ACCEL_ADAPTER",
    5: "FAST_ADAPTER",
}
CONTROL_BY_NAME = {v: k for k, v in CONTROL_PROTOCOLS.items()}
BASE_ADDRESS_NOT_USED = 0xFFFF_FFFF_FFFF_FFFF

# --- MEM_TOPOLOGY ------------------------------------------------------------
MEM_TOPOLOGY_FIRST = 8
MEM_DATA = struct.Struct("<BB6xQQ16s")  # type, used, pad, size KB, base, tag[16]
MEM_TYPES = {
    0: "MEM_DDR3",
    1: "MEM_DDR4",
    2: "MEM_DRAM",
    3: "MEM_STREAMING",
    4: "MEM_PREALLOCATED_GLOB",
    5: "MEM_ARE",
    6: "MEM_HBM",
    7: "MEM_BRAM",
    8: "MEM_URAM",
    9: "MEM_STREAMING_CONNECTION",
    10: "MEM_HOST",
    11: "MEM_PS_KERNEL",
}
MEM_TYPE_BY_NAME = {v: k for k, v in MEM_TYPES.items()}

# --- CONNECTIVITY ------------------------------------------------------------
CONNECTIVITY_FIRST = 4
CONNECTION = struct.Struct("<iii")  # arg index, ip_layout index, mem_data index

# --- CLOCK_FREQ_TOPOLOGY -----------------------------------------------------
CLOCK_FIRST = 2
CLOCK_FREQ = struct.Struct("<HB5x128s")  # MHz, type, pad, name[128]
CLOCK_TYPES = {0: "UNUSED", 1: "DATA", 2: "KERNEL", 3: "SYSTEM"}
CLOCK_TYPE_BY_NAME = {v: k for k, v in CLOCK_TYPES.items()}


def unknown(code: int) -> str:
    """How xclbinutil names a memory, IP or control type it does not know."""
    return f"UNKNOWN ({code})"


def unknown_clock(code: int) -> str:
    """xclbinutil's name for an unknown clock type (sic: the suffix is its own)."""
    return f"UNKNOWN ({code}) CLOCK_TYPE"


# --- DEBUG_IP_LAYOUT ---------------------------------------------------------
DEBUG_IP_FIRST = 8
DEBUG_IP_DATA = struct.Struct("<BBBBBBxxQ128s")  # type, idx lo, props, major, minor, idx hi
DEBUG_IP_TYPES = {
    0: "UNDEFINED",
    1: "LAPC",
    2: "ILA",
    3: "AXI_MM_MONITOR",
    4: "AXI_TRACE_FUNNEL",
    5: "AXI_MONITOR_FIFO_LITE",
    6: "AXI_MONITOR_FIFO_FULL",
    7: "ACCEL_MONITOR",
    8: "AXI_STREAM_MONITOR",
    9: "AXI_STREAM_PROTOCOL_CHECKER",
    10: "TRACE_S2MM",
    11: "AXI_DMA",
    12: "TRACE_S2MM_FULL",
    13: "AXI_NOC",
    14: "ACCEL_DEADLOCK_DETECTOR",
    15: "HSDP_TRACE",
}

# Leading bytes that tell what a BITSTREAM section holds (xclbinutil's rules).
XILINX_BIT_HEADER = bytes([0x00, 0x09, 0x0F, 0xF0, 0x0F, 0xF0, 0x0F, 0xF0])
ELF_MAGIC = b"\x7fELF"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# Metadata sections are read as text up to their first NUL (JSON/XML); real ones
# are tens of KB, a system diagram a few MB.
MAX_METADATA_BYTES = 16 * 1024 * 1024
# Real metadata nests about eight levels deep; anything past this is refused.
MAX_METADATA_DEPTH = 256

# --- signatures ----------------------------------------------------------------
# ``xclbinutil --add-signature`` appends this header and the signature text after
# the xclbin (XclBinUtilities.cxx): 16-byte magic, 8 bytes padding, then u32
# signedBy offset, signedBy size, signature offset, signature size, total size.
USER_SIGNATURE_MAGIC = bytes.fromhex("5349474E9DFF41C08CCB82A7131CC9F3")
USER_SIGNATURE_HEADER = struct.Struct("<16s8xIIIII")
# How far past the end of the xclbin we look for it; a signature is a short text.
USER_SIGNATURE_SEARCH = 64 * 1024

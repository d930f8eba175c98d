"""Xclbins made by the project's own writer (tests/support/xclbin_writer.py), for the tier.

The host tests trust these files, so XRT must read them as our parser does. The
set covers what the host tests write (the sample with everything, kernels named
without arguments, scalars only, streams, no memory at all, emulation modes,
key-values, bank groups) plus what only a hand-made file can hold: enum values
XRT does not know and a PKCS signature length in the header.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.support import fake_pyxrt
from tests.support.paths import VCK190_XCLBIN
from tests.support.xclbin_samples import U280, full_xclbin
from tests.support.xclbin_specs import ArgSpec, ClockSpec, KernelSpec, MemSpec
from tests.support.xclbin_writer import write_xclbin

U250 = fake_pyxrt.PLATFORM


def _bytes(data: bytes) -> Callable[[Path], Path]:
    def make(p: Path) -> Path:
        p.write_bytes(data)
        return p

    return make


def _write(**kw) -> Callable[[Path], Path]:
    return lambda p: write_xclbin(p, **kw)


HBM = [MemSpec(f"HBM[{i}]", "MEM_HBM", size_kb=256 * 1024, base_address=i << 28) for i in range(4)]
GROUPS = [*HBM, MemSpec("MBG[0:1]", "MEM_HBM", size_kb=512 * 1024, base_address=0)]

WRITER_FILES: dict[str, Callable[[Path], Path]] = {
    "full": _bytes(full_xclbin()),
    "full_xml_only": _bytes(full_xclbin(build_metadata=False)),
    "full_no_metadata": _bytes(full_xclbin(build_metadata=False, embedded_metadata=False)),
    "names_only": _write(platform=U250, kernels=["bs_kernel", "mc_euro_k"]),
    "scalars_only": _write(platform=U250, kernels=[KernelSpec("s", args=["int a", "float b"])]),
    "streams": _write(
        platform=U250,
        kernels=[KernelSpec("st", args=["hls::stream<int>& in_s", "int* out", "int n"])],
    ),
    "no_memory": _write(platform=U250, kernels=["k"], mems=[]),
    "empty": _write(platform=U250),
    "sw_emu": _write(platform=U280, kernels=["stereo_bm"], mode="sw_emu"),
    "hw_emu": _bytes(
        full_xclbin(mode="hw_emu", bitstream=b"PK\x03\x04" + bytes(60), bitstream_name="behav")
    ),
    "key_values": _write(platform=U250, kernels=["k"], keyvalues={"k.WIDTH": "5", "a": "b:c"}),
    "bank_groups": _write(
        platform=U280,
        kernels=[KernelSpec("g", args=[ArgSpec("in", "int*", memory="HBM[0]"), "int n"])],
        mems=HBM,
        group_topology=GROUPS,
        group_connectivity=[(0, 0, 4)],
    ),
    "unknown_enums": _write(
        platform=U250,
        kernels=[KernelSpec("odd", args=["int* p"], control_protocol=7)],
        mems=[MemSpec("weird", 12), MemSpec("bank1")],
        clocks=[ClockSpec("c", 100, 5), ClockSpec("k", 300, "KERNEL")],
        # with bank groups present xclbinutil does not rebuild them, which it could
        # not do for a memory type it cannot name
        group_topology=[MemSpec("weird", 12), MemSpec("bank1")],
        group_connectivity=[(0, 0, 0)],
    ),
    "pkcs_signature_length": _bytes(full_xclbin(signature_length=256)),
    "vck190_fixture": _bytes(VCK190_XCLBIN.read_bytes()),
    "big_bitstream": _write(platform=U250, kernels=["k"], bitstream_size=3 << 20),
}


def fake_pyxrt_files(directory: Path) -> dict[str, Path]:
    """The files the host tests' stand-in device loads."""
    return {f"fake_pyxrt/{n}": p for n, p in fake_pyxrt.write_xclbins(directory).items()}

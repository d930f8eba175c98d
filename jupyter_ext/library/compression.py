"""Data compression: gzip and zlib streams from Vitis' ``xilGzipCompBlock`` kernel.

``xilGzipCompBlock(const ap_uint* in, ap_uint* out, uint32_t* compressd_size,
uint32_t* checksumData, uint32_t input_size, bool checksumType)`` compresses
the input in independent 32 KiB blocks (LZ77 + Huffman, each block ending on a
byte-aligned sync marker), writes the deflate bytes and their total length,
and updates the checksum in place (``checksumType`` true: CRC-32, seeded
``~0``; false: Adler-32, seeded 1). As in Vitis' host code, the host writes
the container itself: the gzip (RFC 1952) or zlib (RFC 1950) header, a final
empty stored block ``01 00 00 ff ff`` and the trailer. So the output is a
standard stream that ``gzip -d`` and ``zlib.decompress`` read back.

The kernel's input contract (:mod:`jupyter_ext.runtime.contracts`): it reads
and writes whole 1 KiB bursts, so the device input buffer is padded (with
zeros, no extra host copy) and the output buffer sized for the worst case;
it cannot take an empty input (``input_size`` 0 hangs it), so an empty input
is compressed on the CPU and the result says why.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np

from ..runtime import (
    EmulationBackend,
    In,
    InOut,
    KernelCall,
    Out,
    Result,
    Scalar,
    contracts,
    get_runtime,
)
from ..runtime.base import Backend, InvalidArgument

KERNEL = "xilGzipCompBlock"
BLOCK_SIZE = 32 * 1024
LEVEL = 1  # the kernel's LZ77 is a fast, short-chain matcher: zlib's level 1 models it
MAX_INPUT = contracts.GZIP_MAX_INPUT
_FINAL_BLOCK = b"\x01\x00\x00\xff\xff"
# gzip: magic, CM=8 (deflate), FLG=0, MTIME=0 (reproducible), XFL=4 (fastest), OS=3 (Unix)
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\x03"
# zlib: CMF=0x78 (deflate, 32 KiB window), FLG=0x01 (fastest, no dict; 0x7801 % 31 == 0)
_ZLIB_HEADER = b"\x78\x01"


def _as_bytes(data: Any) -> np.ndarray:
    """The input as a flat uint8 array, without copying when it already is one."""
    if (
        isinstance(data, np.ndarray)
        and data.dtype == np.uint8
        and data.ndim == 1
        and data.flags.c_contiguous
    ):
        return data  # as is: a DeviceArray is then used in place on XRT
    if isinstance(data, str):
        raise InvalidArgument("data", "a str", "bytes, bytearray, memoryview or a numpy array")
    try:
        mv = memoryview(data)
    except TypeError:
        raise InvalidArgument(
            "data", type(data).__name__, "bytes, bytearray, memoryview or a numpy array"
        ) from None
    arr = np.frombuffer(mv.cast("B") if mv.c_contiguous else mv.tobytes(), dtype=np.uint8)
    if arr.size > MAX_INPUT:
        raise InvalidArgument("data", f"{arr.size} bytes", f"at most {MAX_INPUT} bytes per call")
    return arr


def _model(src: np.ndarray, crc: bool, seed: int) -> list[np.ndarray]:
    """Independent 32 KiB blocks, each ended by a full flush (sync marker, history reset)."""
    comp = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    parts = []
    view = memoryview(src)
    for off in range(0, src.size, BLOCK_SIZE):  # blocks, not bytes: ~30 per MiB
        parts.append(comp.compress(view[off : off + BLOCK_SIZE]))
        parts.append(comp.flush(zlib.Z_FULL_FLUSH))
    body = b"".join(parts)
    check = zlib.crc32(view, ~seed & 0xFFFFFFFF) if crc else zlib.adler32(view, seed)
    return [
        np.frombuffer(body, dtype=np.uint8),
        np.array([len(body), 0], dtype=np.uint32),
        np.array([check], dtype=np.uint32),
    ]


def _container(gzip: bool, size: int):
    def collect(outs: list[np.ndarray]) -> bytes:
        out, sizes, check = outs
        n = int(sizes[0])
        if n > out.size:
            raise RuntimeError(
                f"{KERNEL} reported {n} compressed bytes in a {out.size}-byte buffer"
            )
        c = int(check[0])
        if gzip:
            head, tail = _GZIP_HEADER, struct.pack("<II", c, size & 0xFFFFFFFF)
        else:
            head, tail = _ZLIB_HEADER, struct.pack(">I", c)
        return b"".join((head, out[:n], _FINAL_BLOCK, tail))

    return collect


def _compress(data: Any, gzip: bool, runtime: Backend | None) -> Result:
    src = _as_bytes(data)
    n = int(src.size)
    seed = 0xFFFFFFFF if gzip else 1
    backend = runtime or get_runtime()
    if n == 0 and backend.where(KERNEL).hardware:
        # input_size 0 would hang the kernel; an empty stream needs no kernel at all.
        backend = EmulationBackend(
            f"{KERNEL} cannot take an empty input (input_size 0 never completes on a board)"
        )
    kc = KernelCall(
        function="compression.gzip" if gzip else "compression.zlib",
        kernel=KERNEL,
        args=(
            In(src, "in", device_bytes=contracts.gzip_read_bytes(n) if n else 0),
            Out((contracts.gzip_out_bytes(n),), np.uint8, "out"),
            Out((2 * (n // BLOCK_SIZE + 1),), np.uint32, "compressd_size"),
            InOut(np.array([seed], dtype=np.uint32), "checksumData"),
            Scalar.u32(n, "input_size"),
            Scalar.u32(1 if gzip else 0, "checksumType"),
        ),
        model=lambda: _model(src, gzip, seed),
        collect=_container(gzip, n),
        details={"input_bytes": n, "format": "gzip" if gzip else "zlib"},
    )
    return backend.run(kc)


def gzip_compress(data: Any, *, runtime: Backend | None = None) -> Result:
    """A gzip (.gz) stream of ``data``; ``result.value`` is bytes ``gzip -d`` reads."""
    return _compress(data, True, runtime)


def zlib_compress(data: Any, *, runtime: Backend | None = None) -> Result:
    """A zlib stream of ``data``; ``result.value`` is bytes ``zlib.decompress`` reads."""
    return _compress(data, False, runtime)

"""Kernel contracts: what each Vitis kernel can complete, checked before anything reaches a board.

Why: a board does not reject a call its kernel cannot complete. The kernel
waits forever for data that never comes (the compute unit stays busy until
the board is reset), or reads and writes memory it was not given. So every
rule a kernel's source imposes on its arguments is written down here, once,
as pure functions: the library functions size and pad their buffers with
them, and the XRT backend checks every call against them before allocating
anything (:func:`check`). A refusal is a :class:`ContractError` that names
the kernel argument and what it needs.

Read from the Vitis Libraries sources (docs/upstream-facts.md#vitis-kernels):

* ``xilGzipCompBlock`` (data_compression L2 ``gzip_compress_multicore_mm``,
  L1 ``mm2s.hpp``/``s2mm.hpp``): the input is read in 64-bit words,
  ``(input_size - 1) / 8 + 1`` of them, so ``input_size`` 0 wraps to 2**29
  words and hangs; words are read in whole bursts of ``GMEM_BURST_SIZE``
  (128 words) and, because of how the burst count is rounded, one burst more
  than whole; the output is written in whole bursts too, up to and including
  the end-of-stream word; ``compressd_size`` and ``checksumData`` are one
  ``uint32`` each (the checksum is read as the seed and written back).
* ``blasKernel`` (blas L2 ``kernel.cpp``, ``gemmKernel.hpp``): the
  instruction buffer holds the code page (64 instructions of 64 bytes) and
  the page the kernel writes its results to; OpGemm divides m, k, n by the
  build's block (``ddrWidth * gemm{M,K,N}Blocks``) and drops the remainder,
  and leading dimensions by ``ddrWidth`` (16 floats); matrices are addressed
  by unsigned page offsets from the instruction buffer.
* ``bs_kernel`` (quantitative_finance L2 CFBlackScholes): inputs are read as
  ``num / 16`` 512-bit words, so a ``num`` that is not a multiple of 16 hangs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .base import InvalidArgument


class ContractError(InvalidArgument):
    """A call the kernel could not complete (it would hang the board or touch foreign memory)."""

    def __init__(self, kernel: str, argument: str, problem: str, allowed: str) -> None:
        self.kernel = kernel
        super().__init__(f"{kernel} argument {argument}", problem, allowed)


# --- xilGzipCompBlock ------------------------------------------------------------------------

GZIP_KERNEL = "xilGzipCompBlock"
GZIP_WORD = 8  # GMEM_DWIDTH 64 bits
GZIP_BURST_WORDS = 128  # GMEM_BURST_SIZE
GZIP_BURST = GZIP_WORD * GZIP_BURST_WORDS
GZIP_BLOCK = 32 * 1024  # BLOCKSIZE_IN_KB
GZIP_MAX_INPUT = 2**32 - 1  # input_size is a uint32_t
# Per 32 KiB block: dynamic Huffman header (at most ~290 bytes), end-of-block code, byte
# alignment and the sync marker.
GZIP_BLOCK_OVERHEAD = 320


def gzip_input_size(n: int) -> None:
    """Refuse an input size the kernel cannot take (0 hangs it; a uint32 holds the size)."""
    if not 1 <= n <= GZIP_MAX_INPUT:
        raise ContractError(GZIP_KERNEL, "input_size", f"{n} bytes",
                            f"1 to {GZIP_MAX_INPUT:,} bytes: 0 wraps to (0 - 1) / 8 + 1 = 2**29 "
                            "words in mm2Stream and the kernel never finishes")  # fmt: skip


def gzip_read_bytes(n: int) -> int:
    """How many bytes of ``in`` the kernel reads for ``n`` input bytes: whole bursts, one extra."""
    words = (n - 1) // GZIP_WORD + 1
    return (words // GZIP_BURST_WORDS + 1) * GZIP_BURST


def gzip_out_bytes(n: int) -> int:
    """An ``out`` buffer the kernel cannot overrun for ``n`` input bytes.

    A generous bound on the deflate stream -- 10 bits per input byte (the
    block's own Huffman code is never much worse than the fixed code's 9)
    plus :data:`GZIP_BLOCK_OVERHEAD` per block -- and the end-of-stream word,
    rounded up to the whole bursts ``stream2MM`` writes.
    """
    blocks = max(1, -(-n // GZIP_BLOCK))
    body = -(-n * 10 // 8) + GZIP_BLOCK_OVERHEAD * blocks
    return -(-(body + GZIP_WORD) // GZIP_BURST) * GZIP_BURST


def _gzip(scalars: Mapping[int, int], sizes: Mapping[int, int]) -> None:
    n = scalars[4] & 0xFFFFFFFF
    gzip_input_size(n)
    _at_least(GZIP_KERNEL, "in", sizes[0], gzip_read_bytes(n),
              f"the kernel reads whole {GZIP_BURST}-byte bursts, one more than whole")  # fmt: skip
    _at_least(GZIP_KERNEL, "out", sizes[1], gzip_out_bytes(n),
              f"the worst-case stream for {n} bytes in whole {GZIP_BURST}-byte bursts")  # fmt: skip
    _at_least(GZIP_KERNEL, "compressd_size", sizes[2], 4, "one uint32")
    _at_least(GZIP_KERNEL, "checksumData", sizes[3], 4, "one uint32 (seed in, checksum out)")
    if scalars[5] not in (0, 1):
        raise ContractError(
            GZIP_KERNEL, "checksumType", repr(scalars[5]), "0 (Adler-32) or 1 (CRC-32)"
        )


# --- blasKernel --------------------------------------------------------------------------------

BLAS_KERNEL = "blasKernel"
BLAS_PAGE = 4096
BLAS_INSTR_BYTES = 2 * BLAS_PAGE  # code page + result page
BLAS_DDR_WIDTH = 16  # floats per 512-bit word
BLAS_OP_GEMM = 2
BLAS_NUM_INSTR = 64  # instructions of 16 int32 words on the code page


def check_gemm_instruction(words: Sequence[int], block: int, base: int,
                           buffers: Sequence[tuple[int, int]]) -> None:  # fmt: skip
    """One OpGemm instruction against the block size and the buffers (address, bytes) it points at."""
    _op, a, b, c, x, m, k, n, lda, ldb, ldc, ldx = (int(w) for w in words[:12])
    for name, value in (("m", m), ("k", k), ("n", n)):
        if value < block or value % block:
            raise ContractError(BLAS_KERNEL, f"instruction {name}", str(value),
                                f"a positive multiple of {block}: the kernel drops a partial block")  # fmt: skip
    for name, off, rows, ld, cols in (("A", a, m, lda, k), ("B", b, k, ldb, n), ("C", c, m, ldc, n),
                                      ("X", x, m, ldx, n)):  # fmt: skip
        if ld < cols or ld % BLAS_DDR_WIDTH:
            raise ContractError(BLAS_KERNEL, f"ld{name.lower()}", str(ld),
                                f"at least {cols} and a multiple of {BLAS_DDR_WIDTH}")  # fmt: skip
        start, need = base + off * BLAS_PAGE, rows * ld * 4
        if off < 0 or not any(s <= start and start + need <= s + size for s, size in buffers):
            raise ContractError(BLAS_KERNEL, f"matrix {name}", f"page offset {off}",
                                f"{need} bytes inside one of the call's buffers")  # fmt: skip


def _blas(scalars: Mapping[int, int], sizes: Mapping[int, int]) -> None:
    for i, name in enumerate(("p_DdrRd", "p_DdrWr")):
        _at_least(BLAS_KERNEL, name, sizes[i], BLAS_INSTR_BYTES,
                  "the code page and the result page the kernel writes after it")  # fmt: skip


# --- bs_kernel ----------------------------------------------------------------------------------

BS_KERNEL = "bs_kernel"
BS_WORD = 16  # floats per 512-bit word


def _black_scholes(scalars: Mapping[int, int], sizes: Mapping[int, int]) -> None:
    num = scalars[6] & 0xFFFFFFFF
    if num % BS_WORD:
        raise ContractError(BS_KERNEL, "num", f"{num} is not a multiple of {BS_WORD}",
                            f"whole 512-bit words: the kernel reads num / {BS_WORD} words per input "
                            "and would wait forever for the rest")  # fmt: skip
    names = ("s", "v", "r", "t", "k", "", "", "price", "delta", "gamma", "vega", "theta", "rho")
    for i, name in enumerate(names):
        if name:
            _at_least(BS_KERNEL, name, sizes[i], 4 * num, f"num ({num}) float32 values")


# --- the check ---------------------------------------------------------------------------------

Rule = Callable[[Mapping[int, int], Mapping[int, int]], None]
RULES: dict[str, Rule] = {GZIP_KERNEL: _gzip, BLAS_KERNEL: _blas, BS_KERNEL: _black_scholes}
PADDING: dict[tuple[str, int], Callable[[int], int]] = {(GZIP_KERNEL, 0): gzip_read_bytes}


def check(kernel: str, scalars: Mapping[int, int], sizes: Mapping[int, int]) -> None:
    """Refuse a call ``kernel`` could not complete: scalars by argument index, buffer bytes by index."""
    rule = RULES.get(kernel)
    if rule is not None:
        rule(scalars, sizes)


def check_patched(kernel: str, scratch: Mapping[int, np.ndarray], arg_addresses: Sequence[int | None],
                  buffers: Sequence[tuple[int, int]]) -> None:  # fmt: skip
    """Checks that need the instruction a call wrote after allocation (blasKernel's code page).

    The block size of the xclbin is not known here, so m, k and n are checked
    against the granularity every float32 build shares (``ddrWidth``, 16).
    """
    if kernel != BLAS_KERNEL or 0 not in scratch or arg_addresses[0] is None:
        return
    code = np.asarray(scratch[0][: BLAS_NUM_INSTR * 64]).view(np.int32).reshape(-1, 16)
    for pc, words in enumerate(code):
        op = int(words[0])
        if op == BLAS_OP_GEMM:
            check_gemm_instruction(words.tolist(), BLAS_DDR_WIDTH, int(arg_addresses[0]), buffers)
        elif op != 0:
            raise ContractError(BLAS_KERNEL, f"instruction {pc}", f"op {op}",
                                f"OpGemm ({BLAS_OP_GEMM}) or OpControl (0)")  # fmt: skip


def device_bytes(kernel: str, index: int, nbytes: int) -> int:
    """The device buffer an input of ``nbytes`` at argument ``index`` needs (padding included)."""
    pad = PADDING.get((kernel, index))
    return max(nbytes, pad(nbytes)) if pad is not None and nbytes > 0 else nbytes


def _at_least(kernel: str, name: str, have: int, need: int, why: str) -> None:
    if have < need:
        raise ContractError(kernel, name, f"{have} bytes", f"at least {need} bytes: {why}")

"""BLAS: single-precision GEMM on Vitis BLAS' instruction-driven ``blasKernel``.

``blasKernel`` takes one buffer twice (read and write port) holding an
instruction page; each 64-byte instruction names an operation and the page
offsets (relative to the instruction buffer's device address) of its
matrices, which live in buffers of the same memory group (as in
Vitis_Libraries/blas L3 ``GemmArgs``)::

    int32 optype = 2 (OpGemm), aOffset, bOffset, cOffset, xOffset,
          m, k, n, lda, ldb, ldc, ldx, postScale << 8 | postShift, 0, 0, 0

It computes ``C = A @ B + X``. Each of ``m``, ``k`` and ``n`` must be a
multiple of the kernel's block along it (``ddrWidth * gemm{M,K,N}Blocks``,
fixed at build time): the kernel drops a partial block, so the host pads and
the result is the top-left ``m x n`` view (no copy). The blocks are read from
the xclbin's key-value metadata (``BLAS_ddrWidth``, ``BLAS_gemmMBlocks``, ...,
as :mod:`.xclbin_keys` reads them) when the call runs on a board, else the
float32 gemm build's default (4 blocks of 16); ``min_size`` pads further, to a
multiple of itself. The instruction buffer holds the code page and the result
page the kernel writes after it (the contract is in
:mod:`jupyter_ext.runtime.contracts`). The CPU model is plain numpy
``matmul`` in float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..runtime import In, KernelCall, Out, Ref, Result, Scratch, Zeros, contracts, get_runtime
from ..runtime.base import Backend, InvalidArgument, reserve_scratch
from . import xclbin_keys

KERNEL = "blasKernel"
PAGE_SIZE = contracts.BLAS_PAGE
INSTR_BYTES = contracts.BLAS_INSTR_BYTES  # code page + result page, as XHost allocates
OP_GEMM = contracts.BLAS_OP_GEMM  # xf::blas OpType: OpControl, OpGemv, OpGemm, ...
DEFAULT_MIN_SIZE = 64  # ddrWidth 16 floats x 4 blocks, the float32 gemm xclbin's default
BUILD_DEFAULTS = {"BLAS_ddrWidth": contracts.BLAS_DDR_WIDTH, "BLAS_gemmMBlocks": 4,
                  "BLAS_gemmKBlocks": 4, "BLAS_gemmNBlocks": 4}  # fmt: skip

reserve_scratch(KERNEL, 0, INSTR_BYTES)  # matrices sit above it (unsigned page offsets)


def _matrix(name: str, a: Any, ndim: int = 2) -> np.ndarray:
    arr = np.asanyarray(a)
    if arr.ndim != ndim:
        raise InvalidArgument(name, f"{arr.ndim}-D", "a 2-D matrix")
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise InvalidArgument(name, f"dtype {arr.dtype}", "real numbers (computed in float32)")
    if 0 in arr.shape:
        raise InvalidArgument(name, f"shape {arr.shape}", "a non-empty matrix")
    return arr


def _padded(a: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``a`` as a float32 C-contiguous rows x cols matrix: no copy when it already is one."""
    if a.shape == (rows, cols):
        if a.dtype == np.float32 and a.flags.c_contiguous:
            return a  # the same object: a DeviceArray is used in place on XRT
        return np.ascontiguousarray(a, dtype=np.float32)
    out = np.zeros((rows, cols), np.float32)
    out[: a.shape[0], : a.shape[1]] = a
    return out


def _pad_to(v: int, step: int) -> int:
    return -(-v // step) * step


def gemm_instruction(
    base: int, addresses: Sequence[int], m: int, k: int, n: int, post_scale: int = 1
) -> np.ndarray:
    """The 16 int32 words of a GEMM instruction for matrices at ``addresses`` (A, B, C, X)."""
    offsets = []
    for name, addr in zip("ABCX", addresses, strict=True):
        delta = int(addr) - int(base)
        if delta < 0 or delta % PAGE_SIZE:
            raise RuntimeError(
                f"{KERNEL}: matrix {name} at 0x{addr:x} is not page-aligned above "
                f"the instruction buffer at 0x{base:x}"
            )
        offsets.append(delta // PAGE_SIZE)
    words = [OP_GEMM, *offsets, m, k, n, k, n, n, n, (post_scale << 8) | 0, 0, 0, 0]
    return np.array(words, dtype=np.int64).astype(np.uint32).view(np.int32)


def blocks(runtime: Backend) -> tuple[tuple[int, int, int], str]:
    """The (m, k, n) blocks of the ``blasKernel`` build ``runtime`` runs, and where they come from.

    A build's macros may be written ``BLAS_gemmMBlocks`` or ``XF_BLAS_gemmMBlocks``
    (``blasKernel.``-prefixed to target this kernel of a multi-kernel xclbin).
    """
    where = getattr(runtime, "where", None)
    w = where(KERNEL) if where is not None else None
    if w is None or not (w.hardware and w.xclbin):
        return (DEFAULT_MIN_SIZE,) * 3, "the float32 gemm build's default"
    declared = xclbin_keys.for_kernel(KERNEL, xclbin_keys.keyvalues(w.xclbin))
    file = f"xclbin {Path(w.xclbin).name}"
    build = {}
    for macro, default in BUILD_DEFAULTS.items():
        written = [declared[n] for n in (macro, "XF_" + macro) if n in declared]
        written.sort(key=lambda kv: not kv[0].startswith(KERNEL + "."))  # this kernel's first
        key, raw = written[0] if written else (macro, str(default))
        try:
            build[macro] = int(raw.strip(), 0)
        except ValueError:
            raise InvalidArgument(f"{file}: {key}", repr(raw), "an integer") from None
        if build[macro] < 1:
            raise InvalidArgument(f"{file}: {key}", repr(raw), "a positive integer")
    ddr = build["BLAS_ddrWidth"]
    if ddr != contracts.BLAS_DDR_WIDTH:
        raise InvalidArgument(f"{file}: BLAS_ddrWidth", str(ddr),
                              f"{contracts.BLAS_DDR_WIDTH} (a float32 build: 16 floats a "
                              "512-bit word; this library runs float32 GEMM only)")  # fmt: skip
    m, k, n = (ddr * build[f"BLAS_gemm{d}Blocks"] for d in "MKN")
    return (m, k, n), f"{file} metadata"


def gemm(
    a: Any,
    b: Any,
    bias: Any = None,
    *,
    min_size: int | None = None,
    runtime: Backend | None = None,
) -> Result:
    """``a @ b (+ bias)`` in float32; ``result.value`` is the m x n matrix.

    The operands are padded to the blocks of the build that runs the call
    (:func:`blocks`); ``min_size``, when given, must be a multiple of those
    and pads every dimension to a multiple of itself.
    """
    rt = runtime or get_runtime()
    A = _matrix("a", a)
    B = _matrix("b", b)
    m, k = A.shape
    if B.shape[0] != k:
        raise InvalidArgument("b", f"shape {B.shape} after a of shape {A.shape}", f"{k} rows")
    n = B.shape[1]
    X = None
    if bias is not None:
        X = np.broadcast_to(np.asarray(bias, dtype=np.float32), (m, n))
    steps, source = blocks(rt)
    if min_size is not None:
        if not (isinstance(min_size, int) and not isinstance(min_size, bool) and min_size >= 1
                and min_size % contracts.BLAS_DDR_WIDTH == 0):  # fmt: skip
            raise InvalidArgument(
                "min_size",
                repr(min_size),
                f"a positive multiple of {contracts.BLAS_DDR_WIDTH} (the xclbin's block size: "
                "ddrWidth x gemm blocks; the kernel computes whole blocks only)",
            )
        if any(min_size % step for step in steps):
            raise InvalidArgument("min_size", repr(min_size),
                                  "a multiple of the build's blocks: m {}, k {}, n {} ({})".format(
                                      *steps, source))  # fmt: skip
        steps = (min_size,) * 3
    mp, kp, np_ = (_pad_to(v, step) for v, step in zip((m, k, n), steps, strict=True))

    def model() -> list[np.ndarray]:
        c = np.matmul(A, B, dtype=np.float32)
        if X is not None:
            c += X
        return [c]

    # Device-side operands, padded to the kernel's block size: built only if XRT runs.
    extra = (
        In(lambda: _padded(A, mp, kp), "A"),
        In(lambda: _padded(B, kp, np_), "B"),
        Out((mp, np_), np.float32, "C"),
        In(lambda: _padded(X, mp, np_), "X")
        if X is not None
        else Zeros((mp, np_), np.float32, "X"),
    )

    def patch(arg_addr: Sequence[int | None], extra_addr: Sequence[int], scratch: dict) -> None:
        instr = scratch[0]
        instr[:] = 0
        words = gemm_instruction(int(arg_addr[0]), extra_addr, mp, kp, np_)
        instr[: words.nbytes] = words.view(np.uint8)

    kc = KernelCall(
        function="blas.gemm",
        kernel=KERNEL,
        args=(Scratch(INSTR_BYTES, "p_DdrRd"), Ref(0)),
        extra=extra,
        patch=patch,
        model=model,
        collect=lambda outs: outs[0][:m, :n],
        details={
            "m": m,
            "k": k,
            "n": n,
            "bias": X is not None,
            "padded": (mp, kp, np_),
            "blocks": source,
        },  # fmt: skip
    )
    return rt.run(kc)

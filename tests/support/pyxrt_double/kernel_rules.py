"""What each kernel on the double can complete: the contracts a board enforces by hanging.

Why the double needs them: on a board, a call its kernel cannot complete does
not raise -- the dataflow waits forever for data that never comes, or the
kernel reads and writes memory it was not given. A double that computed
any call anyway would let such a call pass every host test. So before a run
computes, :func:`judge` checks the call against what the kernel's source does
and answers ``("hang", why)`` or ``("error", why)``.

Written from the Vitis Libraries sources (docs/upstream-facts.md#vitis-kernels),
deliberately not from ``jupyter_ext/runtime/contracts.py``: the runtime's
checks and these must agree because both follow the kernels, not because one
copies the other.

* ``bs_kernel`` (L2 CFBlackScholes): reads each input in 512-bit words,
  ``num / 16`` of them; a ``num`` that is not a multiple of 16 hangs.
* vision (L2 example builds, ``xf_config_params.h``): images beyond the
  build's ``HEIGHT``/``WIDTH`` (resize also ``NEWHEIGHT``/``NEWWIDTH`` and
  ``MAXDOWNSCALE``) overrun line buffers sized at build time: treated as a
  hang. An xclbin's key-value metadata (``[<kernel>.]HEIGHT`` ...) overrides
  the example build.
* ``xilGzipCompBlock`` (``gzip_compress_multicore_mm``): ``mm2Stream`` reads
  ``(input_size - 1) / 8 + 1`` 64-bit words, so ``input_size`` 0 wraps to
  2**29 words nobody consumes (hang); it reads whole bursts of
  ``GMEM_BURST_SIZE`` (128) words, one burst more than whole, and
  ``stream2MM`` writes whole bursts including the end-of-stream word.
* ``blasKernel``: fetches all 64 instructions of its code page, writes the
  result page after it, and for OpGemm needs m, k, n in whole blocks of
  ``ddrWidth * gemm{M,K,N}Blocks`` (16 * 4 for the float32 build) with every
  matrix inside a buffer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Verdict = tuple[str, str] | None

# Vitis L2 example builds: (HEIGHT, WIDTH, channels); resize adds NEWHEIGHT, NEWWIDTH, MAXDOWNSCALE.
VISION = {
    "gaussian_filter_accel": (2160, 3840, 1),
    "resize_accel": (2160, 3840, 1),
    "color_detect": (2160, 3840, 3),
    "stereolbm_accel": (1080, 1920, 1),
    "stereopipeline_accel": (1080, 1920, 1),
}
RESIZE_OUT = (1080, 1920, 2)
GZIP_WORD, GZIP_BURST = 8, 128
BLAS_PAGE, BLAS_INSTR, BLAS_NUM_INSTR = 4096, 64, 64
BLAS_BUILD = {"BLAS_ddrWidth": 16, "BLAS_gemmMBlocks": 4, "BLAS_gemmKBlocks": 4,
              "BLAS_gemmNBlocks": 4}  # fmt: skip


def _size(bo: Any) -> int:
    return int(bo._s.size)


def _short(name: str, bo: Any, need: int, what: str) -> Verdict:
    if _size(bo) < need:
        return "error", (f"{name} is {_size(bo)} bytes but the kernel {what} {need}: it would "
                         "touch memory of other allocations")  # fmt: skip
    return None


def _first(*verdicts: Verdict) -> Verdict:
    return next((v for v in verdicts if v is not None), None)


def _build(kernel: str, keyvalues: tuple[tuple[str, str], ...], key: str, default: int) -> int:
    """A build macro from the xclbin's key-value metadata (``<kernel>.KEY`` wins), else the default."""
    found, rank = default, -1
    for k, v in keyvalues:
        name, r = (k[len(kernel) + 1 :], 1) if k.startswith(kernel + ".") else (k, 0)
        if name in (key, "XF_" + key) and r >= rank:
            try:
                found, rank = int(v.strip(), 0), r
            except ValueError:
                continue
    return found


def judge(
    kernel: str, args: list[Any], keyvalues: tuple[tuple[str, str], ...], board: Any
) -> Verdict:
    """``("hang" | "error", why)`` when the kernel cannot complete this call, else None."""
    if kernel == "bs_kernel":
        return _black_scholes(args)
    if kernel == "mc_euro_k":
        return _first(_short("seed", args[7], 8, "reads"), _short("output", args[8], 4, "writes"))
    if kernel in VISION:
        return _vision(kernel, args, keyvalues)
    if kernel == "xilGzipCompBlock":
        return _gzip(args)
    if kernel == "blasKernel":
        return _blas(args, keyvalues, board)
    return None


def judge_after(kernel: str, args: list[Any], board: Any) -> str | None:
    """Checks that need the kernel's own output (how much gzip wrote)."""
    if kernel == "xilGzipCompBlock":
        out, sizes = args[1], args[2]
        written = int(board.device_memory(sizes)[:4].view(np.uint32)[0])
        words = -(-written // GZIP_WORD) + 1  # and the end-of-stream word
        extent = -(-words // GZIP_BURST) * GZIP_BURST * GZIP_WORD
        if extent > _size(out):
            return (f"out is {_size(out)} bytes but stream2MM writes {extent} (whole bursts of "
                    f"{GZIP_BURST} words for {written} compressed bytes)")  # fmt: skip
    return None


def _black_scholes(args: list[Any]) -> Verdict:
    num = int(args[6])
    if num % 16:
        return "hang", (f"num={num} is not a whole number of 512-bit words (16 floats): the "
                        "kernel reads num/16 words per input and waits for the rest")  # fmt: skip
    names = ("s", "v", "r", "t", "k", None, None, "price", "delta", "gamma", "vega", "theta", "rho")
    return _first(*(_short(n, args[i], 4 * num, "touches") for i, n in enumerate(names) if n))


def _vision(kernel: str, args: list[Any], kv: tuple[tuple[str, str], ...]) -> Verdict:
    height, width, channels = VISION[kernel]
    height, width = _build(kernel, kv, "HEIGHT", height), _build(kernel, kv, "WIDTH", width)
    channels = 3 if _build(kernel, kv, "RGB", 0) == 1 else _build(kernel, kv, "CHANNELS", channels)
    rows, cols = (args[2], args[3]) if kernel in ("gaussian_filter_accel", "resize_accel") else (
        args[-2], args[-1])  # fmt: skip
    if not (1 <= rows <= height and 1 <= cols <= width):
        return "hang", (f"{rows}x{cols} is outside this build's 1..{height} x 1..{width}: the "
                        "line buffers are sized at build time")  # fmt: skip
    image = rows * cols * channels
    if kernel == "gaussian_filter_accel":
        return _first(_short("img_inp", args[0], image, "reads"),
                      _short("img_out", args[1], image, "writes"))  # fmt: skip
    if kernel == "resize_accel":
        out_h, out_w, down = RESIZE_OUT
        out_h = _build(kernel, kv, "NEWHEIGHT", out_h)
        out_w = _build(kernel, kv, "NEWWIDTH", out_w)
        down = _build(kernel, kv, "MAXDOWNSCALE", down)
        ro, co = args[4], args[5]
        if not (1 <= ro <= out_h and 1 <= co <= out_w) or rows > ro * down or cols > co * down:
            return "hang", (f"{rows}x{cols} -> {ro}x{co} is outside this build (output at most "
                            f"{out_h}x{out_w}, at most {down}x smaller)")  # fmt: skip
        return _first(_short("img_inp", args[0], image, "reads"),
                      _short("img_out", args[1], ro * co * channels, "writes"))  # fmt: skip
    if kernel == "color_detect":
        return _first(_short("img_in", args[0], image, "reads"),
                      *(_short(n, args[i], 9, "reads") for i, n in
                        ((1, "low_thresh"), (2, "high_thresh"), (3, "process_shape"))),
                      _short("img_out", args[4], rows * cols, "writes"))  # fmt: skip
    if kernel == "stereolbm_accel":
        return _first(_short("img_in_l", args[0], image, "reads"),
                      _short("img_in_r", args[1], image, "reads"),
                      _short("bm_state_in", args[2], 4, "reads"),
                      _short("img_out", args[3], rows * cols * 2, "writes"))  # fmt: skip
    cams = ((3, "cameraMA_l", 36), (4, "cameraMA_r", 36), (5, "distC_l", 20), (6, "distC_r", 20),
            (7, "irA_l", 36), (8, "irA_r", 36), (9, "bm_state_arr", 44))  # fmt: skip
    return _first(_short("img_L", args[0], image, "reads"), _short("img_R", args[1], image, "reads"),
                  _short("img_disp", args[2], rows * cols * 2, "writes"),
                  *(_short(n, args[i], need, "reads") for i, n, need in cams))  # fmt: skip


def _gzip(args: list[Any]) -> Verdict:
    n = int(args[4])
    if n == 0:
        return "hang", ("input_size=0: mm2Stream streams (0 - 1) / 8 + 1 = 2**29 words that "
                        "the compressor never consumes")  # fmt: skip
    words = (n - 1) // GZIP_WORD + 1
    extent = (words // GZIP_BURST + 1) * GZIP_BURST * GZIP_WORD
    return _first(_short("in", args[0], extent, "reads (whole bursts)"),
                  _short("compressd_size", args[2], 4, "writes"),
                  _short("checksumData", args[3], 4, "reads and writes"))  # fmt: skip


def _blas(args: list[Any], kv: tuple[tuple[str, str], ...], board: Any) -> Verdict:
    rd, wr = args
    short = _first(_short("p_DdrRd", rd, BLAS_PAGE, "reads (code page)"),
                   _short("p_DdrWr", wr, 2 * BLAS_PAGE, "writes (result page after the code)"))  # fmt: skip
    if short is not None:
        return short
    build = {k: _build("blasKernel", kv, k, v) for k, v in BLAS_BUILD.items()}
    ddr = build["BLAS_ddrWidth"]
    code = board.device_memory(rd)[: BLAS_NUM_INSTR * BLAS_INSTR].view(np.int32).reshape(-1, 16)
    base = int(rd._s.address)
    for pc, words in enumerate(code):
        op = int(words[0])
        if op == 0:  # OpControl
            continue
        if op != 2:
            return (
                "error",
                f"instruction {pc}: op {op} is not OpGemm (2), the only op of this build",
            )
        a_off, b_off, c_off, x_off, m, k, n, lda, ldb, ldc, ldx = (int(w) for w in words[1:12])
        blocks = {"m": (m, "BLAS_gemmMBlocks"), "k": (k, "BLAS_gemmKBlocks"),
                  "n": (n, "BLAS_gemmNBlocks")}  # fmt: skip
        for dim, (value, key) in blocks.items():
            step = ddr * build[key]
            if value < step or value % step:
                return "error", (f"instruction {pc}: {dim}={value} is not a whole number of "
                                 f"{step}-blocks (ddrWidth {ddr} x {key} {build[key]}): the kernel "
                                 "computes only whole blocks")  # fmt: skip
        for name, off, rows, ld, cols in (("A", a_off, m, lda, k), ("B", b_off, k, ldb, n),
                                          ("C", c_off, m, ldc, n), ("X", x_off, m, ldx, n)):  # fmt: skip
            if ld < cols or ld % ddr:
                return "error", f"instruction {pc}: ld{name.lower()}={ld} for {cols} columns"
            where = _inside(board, base + off * BLAS_PAGE, rows * ld * 4)
            if where is not None:
                return "error", f"instruction {pc}: matrix {name} {where}"
    return None


def _inside(board: Any, address: int, nbytes: int) -> str | None:
    for start, bo in list(board.by_address.items()):
        if start <= address < start + _size(bo):
            if address + nbytes > start + _size(bo):
                return f"({nbytes} bytes at 0x{address:x}) runs past its buffer"
            return None
    return f"at 0x{address:x} is in no buffer"

"""Predicted board time of one kernel call: clock, II, parallelism, and bytes over the host link.

Why this exists: in emulation the CPU model gives the board's *answer*, but
its *time* is the CPU's. What a user comparing "FPGA vs CPU" wants to know is
how long the board would take, so emulated views show a prediction --
labelled "predicted", never presented as a measurement -- built from what the
kernel is (read from its source and AMD's build reports) and what the board
is (:mod:`.board_models`):

``kernel time = max(cycles / clock, bytes through DDR / streamed DDR rate) + pipeline latency``
where ``cycles`` follows the kernel's loop structure: work items divided by
the parallel units that take one item per cycle each (initiation interval 1
in every kernel modelled here). Host-to-device and device-to-host times are
the bytes each call moves over PCIe divided by the link's rate.

Left out on purpose: per-call overheads (kernel launch, buffer syncs of
small buffers), which dominate calls of well under a millisecond; the docs
(docs/functions.md) show how far that takes small calls from AMD's figures.
:mod:`.predict_published` compares each model with AMD's published figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..runtime.base import Result
from .board_models import BoardModel
from .vision_build import DEFAULTS, PIPELINE_KERNEL, STEREO_KERNEL

MHZ = 1e6

# --- what the kernels are (sources in each model's docstring) -----------------------------
BS_ENGINES = 2  # NUM_KERNELS: cfBSMEngine instances in bs_kernel's II=1 loop
BS_CLOCK = 300 * MHZ  # 3.333 ns in AMD's resource table for the closed-form kernels
BS_LATENCY = 334  # cycles, same table
BS_INPUTS, BS_OUTPUTS, F32 = 5, 6, 4  # float streams in and out; bytes per float
BS_WORD = 16  # options per 512-bit bus word: the kernel takes whole words
MC_CLOCK = 250 * MHZ  # AMD's MC European build on a U250 met 250 MHz
MC_PATHS_PER_MODULE = 1024  # paths a module prices per batch, one path-step per cycle
VISION_CLOCK = 300 * MHZ  # the Vitis Vision builds AMD reports (1 pixel per clock, XF_NPPC1)
GZIP_CORES = 8  # NUM_CORES in gzip_compress_multicore_mm (xilGzipCompBlock)
GZIP_CLOCK = 300 * MHZ  # "Fmax 300MHz"; each LZ77 core takes 1 byte per clock
GEMM_DDR_WIDTH = 16  # GEMX_ddrWidth for float: 16 floats per 64-byte word
GEMM_CLOCK = 150 * MHZ  # AMD's float GEMM xclbin for the U250 runs at 150 MHz
GEMM_BLOCK = 64  # the float xclbin's matrix block (ddrWidth x 4 blocks): sizes are padded to it
GEMM_INSTR = 8192  # the instruction page blasKernel reads each call


@dataclass(frozen=True)
class Prediction:
    """A predicted board time for one call, with the inputs it was computed from."""

    function: str
    board: str
    kernel_s: float
    h2d_s: float
    d2h_s: float
    bound: str  # what limits the kernel: "compute" or "DDR bandwidth"
    inputs: tuple[tuple[str, str], ...] = ()

    @property
    def total_s(self) -> float:
        return self.h2d_s + self.kernel_s + self.d2h_s

    def phases(self) -> tuple[tuple[str, float], ...]:
        return (("host->device", self.h2d_s), ("kernel", self.kernel_s),
                ("device->host", self.d2h_s))  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {"function": self.function, "board": self.board, "predicted_s": self.total_s,
                "h2d_s": self.h2d_s, "kernel_s": self.kernel_s, "d2h_s": self.d2h_s,
                "bound": self.bound, "inputs": dict(self.inputs)}  # fmt: skip


def _mhz(hz: float) -> str:
    return f"{hz / MHZ:g} MHz"


def _bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def _finish(function: str, board: BoardModel, kernel_s: float, bound: str, h2d: float,
            d2h: float, inputs: list[tuple[str, str]]) -> Prediction:  # fmt: skip
    link = (f"{board.host_link}: {_bytes(h2d)} in, {_bytes(d2h)} out at "
            f"{board.h2d_bytes_per_s / 1e9:g}/{board.d2h_bytes_per_s / 1e9:g} GB/s")  # fmt: skip
    inputs.append(("host link", link))
    if board.memory_note:
        inputs.append(("memory", board.memory_note))
    return Prediction(function, board.name, kernel_s, board.h2d_seconds(h2d),
                      board.d2h_seconds(d2h), bound, tuple(inputs))  # fmt: skip


# --- the kernel models ---------------------------------------------------------------------


def black_scholes(options: int, board: BoardModel, *, inputs_per_option: int = BS_INPUTS,
                  function: str = "finance.black_scholes") -> Prediction:  # fmt: skip
    """``bs_kernel``: 2 engines at II=1, 300 MHz, but bound by the DDR bank it streams.

    Source: quantitative_finance L2 ``bs_kernel.cpp``/``bsm_kernel.cpp`` (``NUM_KERNELS
    2``, ``#pragma HLS PIPELINE II = 1``, one 512-bit AXI port per array) and AMD's
    engine pages (11 floats = 44 bytes per option, 8.9 GB/s achieved on one
    DDR bank). ``inputs_per_option`` is 6 for the BSM/GK variants.
    """
    n = -(-options // BS_WORD) * BS_WORD
    per_option = (inputs_per_option + BS_OUTPUTS) * F32
    compute = n / BS_ENGINES / BS_CLOCK
    memory = n * per_option / board.stream_bytes_per_s
    kernel = max(compute, memory) + BS_LATENCY / BS_CLOCK
    bound = "DDR bandwidth" if memory > compute else "compute"
    inputs = [("kernel", "bs_kernel (CFBlackScholes)"), ("clock", _mhz(BS_CLOCK)),
              ("II", "1"), ("parallel engines", str(BS_ENGINES)),
              ("work", f"{options:,} options ({n:,} in whole 16-float words)"),
              ("DDR", f"{per_option} B per option at {board.stream_bytes_per_s / 1e9:g} GB/s "
                      "(AMD's measured rate for these kernels)"),
              ("pipeline latency", f"{BS_LATENCY} cycles")]  # fmt: skip
    return _finish(function, board, kernel, bound, n * inputs_per_option * F32,
                   n * BS_OUTPUTS * F32, inputs)  # fmt: skip


def mc_european(samples: int, steps: int, board: BoardModel, *, modules: int = 2,
                clock: float = MC_CLOCK) -> Prediction:  # fmt: skip
    """``mc_euro_k``: ``modules`` Monte-Carlo modules, each one path-step per cycle.

    Source: ``mc_euro_k`` (``MCEuropeanEngine<float, 2>``), ``mc_simulation.hpp``
    (batches of 1024 paths per module); AMD's MC European benchmark (UN 8,
    250 MHz on a U250). The tolerance loop's check after each batch is not modelled.
    """
    batch = modules * MC_PATHS_PER_MODULE
    batches = max(1, -(-samples // batch))
    cycles = batches * MC_PATHS_PER_MODULE * steps
    inputs = [("kernel", "mc_euro_k"), ("clock", _mhz(clock)), ("II", "1 path-step per module"),
              ("parallel modules", str(modules)),
              ("work", f"{batches:,} batches of {batch:,} paths x {steps} step(s)")]  # fmt: skip
    return _finish("finance.mc_european", board, cycles / clock, "compute", 64, 4, inputs)


def _vision(function: str, kernel: str, board: BoardModel, cycles: float, h2d: float,
            d2h: float, work: str, extra: list[tuple[str, str]]) -> Prediction:  # fmt: skip
    inputs = [("kernel", kernel), ("clock", _mhz(VISION_CLOCK)),
              ("II", "1 (one pixel per clock, XF_NPPC1)"), ("work", work), *extra]  # fmt: skip
    return _finish(function, board, cycles / VISION_CLOCK, "compute", h2d, d2h, inputs)


def gaussian(rows: int, cols: int, board: BoardModel, *, channels: int = 1,
             ksize: int = 3) -> Prediction:  # fmt: skip
    """``gaussian_filter_accel``: a pixel per clock; ``ksize // 2`` rows fill the line buffer."""
    cycles = (rows + ksize // 2) * cols
    n = rows * cols * channels
    return _vision("vision.gaussian_filter", "gaussian_filter_accel", board, cycles, n, n,
                   f"{rows}x{cols} pixels + {ksize // 2} row(s) of line-buffer fill",
                   [("filter", f"{ksize}x{ksize}")])  # fmt: skip


def resize(rows_in: int, cols_in: int, rows_out: int, cols_out: int, board: BoardModel, *,
           channels: int = 1) -> Prediction:  # fmt: skip
    """``resize_accel`` (bilinear): one pixel per clock of the larger of input and output."""
    cycles = max(rows_in * cols_in, rows_out * cols_out) + 2 * cols_in
    return _vision("vision.resize", "resize_accel", board, cycles, rows_in * cols_in * channels,
                   rows_out * cols_out * channels,
                   f"{rows_in}x{cols_in} -> {rows_out}x{cols_out}, 2 rows of fill", [])  # fmt: skip


def color_detect(rows: int, cols: int, board: BoardModel, *, filter_size: int = 3) -> Prediction:
    """``color_detect``: bgr2hsv, thresholds, erode-dilate-dilate-erode in one dataflow."""
    fill = 4 * (filter_size // 2)
    cycles = rows * cols + fill * cols
    return _vision("vision.color_detect", "color_detect", board, cycles, 3 * rows * cols,
                   rows * cols, f"{rows}x{cols} BGR pixels + {fill} rows of fill (4 morphology stages)",
                   [("filter", f"{filter_size}x{filter_size}")])  # fmt: skip


def stereo(rows: int, cols: int, board: BoardModel, *, window: int = 11, disparities: int = 32,
           units: int = 32, function: str = "vision.stereo_bm") -> Prediction:  # fmt: skip
    """Block matching: ``disparities / units`` sweeps, each a pixel per clock."""
    sweeps = max(1, disparities // max(units, 1))
    cycles = sweeps * (rows + window // 2) * cols
    kernel = STEREO_KERNEL if function == "vision.stereo_bm" else PIPELINE_KERNEL
    return _vision(function, kernel, board, cycles, 2 * rows * cols, 2 * rows * cols,
                   f"{sweeps} sweep(s) of {rows}x{cols} pixels",
                   [("window", f"{window}x{window}"),
                    ("disparities", f"{disparities}, {units} per sweep")])  # fmt: skip


def gzip(in_bytes: int, out_bytes: int, board: BoardModel, *,
         function: str = "compression.gzip") -> Prediction:  # fmt: skip
    """``xilGzipCompBlock``: 8 cores on 32 KiB blocks, each LZ77 core a byte per clock."""
    cycles = in_bytes / GZIP_CORES
    inputs = [("kernel", "xilGzipCompBlock"), ("clock", _mhz(GZIP_CLOCK)),
              ("II", "1 byte per clock per core"), ("parallel cores", str(GZIP_CORES)),
              ("work", f"{_bytes(in_bytes)} in")]  # fmt: skip
    return _finish(function, board, cycles / GZIP_CLOCK, "compute", in_bytes, out_bytes, inputs)


def gemm(m: int, k: int, n: int, board: BoardModel, *, pairs: int = 1, block: int = GEMM_BLOCK,
         inputs_per_pair: int = 3) -> Prediction:  # fmt: skip
    """``blasKernel`` GEMM: a ddrWidth x ddrWidth (16 x 16) multiply-accumulate array.

    AMD's own benchmark computes its 100%-efficiency time the same way
    (``ops / 2 / ddrWidth / ddrWidth / freq``). ``pairs`` matrix pairs run on
    as many compute units at once, sharing the host link; each sends
    ``inputs_per_pair`` matrices (A, B and the bias/C) and gets C back.
    """
    mp, kp, np_ = (-(-v // block) * block for v in (m, k, n))
    macs = GEMM_DDR_WIDTH * GEMM_DDR_WIDTH
    cycles = mp * kp * np_ / macs
    per_pair = (mp * kp + kp * np_ + (inputs_per_pair - 2) * mp * np_) * F32 + GEMM_INSTR
    h2d = pairs * per_pair
    inputs = [("kernel", "blasKernel (GEMM)"), ("clock", _mhz(GEMM_CLOCK)),
              ("II", "1"), ("multiply-accumulates per clock", f"{macs} (16 x 16)"),
              ("work", f"{mp}x{kp} @ {kp}x{np_} (padded to {block})"),
              ("compute units", f"{pairs} in parallel" if pairs > 1 else "1")]  # fmt: skip
    return _finish("blas.gemm", board, cycles / GEMM_CLOCK, "compute", h2d,
                   pairs * mp * np_ * F32, inputs)  # fmt: skip


# --- from a Result -------------------------------------------------------------------------


def _shape(details: dict[str, Any], key: str) -> tuple[int, ...]:
    return tuple(int(v) for v in details.get(key) or ())


def predict(result: Result, board: BoardModel) -> Prediction | None:
    """The predicted board time of the call that produced ``result`` (None: no model for it).

    Sizes come from what the library recorded in ``result.details``: the
    same whether the call ran on a board or was emulated.
    """
    d = result.details or {}
    f = result.function
    try:
        if f == "finance.black_scholes":
            return black_scholes(int(d["options"]), board)
        if f == "finance.mc_european" and d.get("samples"):
            return mc_european(int(d["samples"]), int(d.get("time_steps") or 1), board)
        if f == "vision.gaussian_filter":
            rows, cols, *ch = _shape(d, "shape")
            return gaussian(rows, cols, board, channels=ch[0] if ch else 1, ksize=int(d["ksize"]))
        if f == "vision.resize":
            (ri, ci, *ch), (ro, co, *_) = _shape(d, "from"), _shape(d, "to")
            return resize(ri, ci, ro, co, board, channels=ch[0] if ch else 1)
        if f == "vision.color_detect":
            rows, cols, *_ = _shape(d, "shape")
            return color_detect(rows, cols, board)
        if f in ("vision.stereo_bm", "vision.stereo_pipeline"):
            rows, cols = _shape(d, "shape")[:2]
            disp = int(d["num_disparities"])
            kernel = STEREO_KERNEL if f == "vision.stereo_bm" else PIPELINE_KERNEL
            units = DEFAULTS[kernel].units  # the result does not say; the example build's
            units = units if disp % units == 0 else disp
            return stereo(rows, cols, board, window=int(d["block_size"]), disparities=disp,
                          units=units, function=f)  # fmt: skip
        if f in ("compression.gzip", "compression.zlib"):
            out = len(result.value) if isinstance(result.value, bytes | bytearray) else 0
            return gzip(int(d["input_bytes"]), out, board, function=f)
        if f == "blas.gemm":
            return gemm(int(d["m"]), int(d["k"]), int(d["n"]), board)
    except (KeyError, TypeError, ValueError):
        return None  # details of another shape: no prediction rather than a wrong one
    return None


def predict_all(results: list[Result], board: BoardModel) -> tuple[Prediction | None, list[str]]:
    """Summed predictions of several calls, and the functions that have no model."""
    preds, missing = [], []
    for r in results:
        p = predict(r, board)
        if p is None:
            missing.append(r.function)
        else:
            preds.append(p)
    if not preds:
        return None, sorted(set(missing))
    total = Prediction(
        function="+".join(dict.fromkeys(p.function for p in preds)),
        board=board.name,
        kernel_s=sum(p.kernel_s for p in preds),
        h2d_s=sum(p.h2d_s for p in preds),
        d2h_s=sum(p.d2h_s for p in preds),
        bound=", ".join(sorted({p.bound for p in preds})),
    )
    return total, sorted(set(missing))

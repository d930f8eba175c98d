"""AMD's published figures for the kernels we model, and how close each model comes to them.

Why: a predicted board time is only worth showing if it has been checked.
Every figure here is quoted from AMD's Vitis Libraries documentation (the
path says where), with the configuration it was measured (or estimated) in;
the model is evaluated at that same configuration and the two are set side
by side. Two kinds of figure are marked rather than left out:

* ``calibrated``: a model input was taken from this very figure, so
  agreement is by construction and checks only the arithmetic;
* ``suspect``: the figure contradicts its own build (for example more
  frames per second than one pixel per clock allows), so a large error
  says more about the figure than about the model.

``in_max`` marks the figures at the sizes ``benchmarks/emulation.py``
reports on; the others (small calls, other builds) are listed to show where
the model stops working, not hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import predict as m
from .board_models import BOARDS, BoardModel
from .predict import Prediction

_QF = "Xilinx/Vitis_Libraries quantitative_finance/docs"
_VISION = "Xilinx/Vitis_Libraries vision/docs"
_GZIP = "Xilinx/Vitis_Libraries data_compression/docs/source/L2/gzipc_block_mm.rst"
_BLAS = "Xilinx/Vitis_Libraries blas/docs/src/user_guide/L3/L3_benchmark_gemm.rst (2020.1)"


@dataclass(frozen=True)
class Published:
    """One published figure and the configuration it is for."""

    key: str
    function: str
    size: str
    what: str  # "kernel" (kernel execution only) or "end-to-end" (with host transfers)
    seconds: float
    board: str
    quote: str
    source: str
    model: Callable[[BoardModel], Prediction]
    in_max: bool = True
    calibrated: str = ""
    suspect: str = ""
    note: str = ""


@dataclass(frozen=True)
class Check:
    """A model evaluated at a published figure's configuration."""

    published: Published
    prediction: Prediction

    @property
    def predicted_s(self) -> float:
        p = self.prediction
        return p.kernel_s if self.published.what == "kernel" else p.total_s

    @property
    def error(self) -> float:
        """Signed relative error of the prediction: +0.10 predicts 10% longer than published."""
        return self.predicted_s / self.published.seconds - 1.0

    def as_dict(self) -> dict[str, object]:
        p = self.published
        return {"function": p.function, "size": p.size, "board": BOARDS[p.board].name,
                "compares": p.what, "predicted_s": self.predicted_s, "published_s": p.seconds,
                "error": self.error, "published": p.quote, "source": p.source,
                "in_max": p.in_max, "calibrated": p.calibrated or None,
                "suspect": p.suspect or None}  # fmt: skip


_FPS_LIMIT = ("one pixel per clock at 300 MHz allows at most {limit:.0f} frames per second at "
              "this size; the figure equals the Harris-corner row (8 pixels per clock) digit "
              "for digit")  # fmt: skip


def _gemm(size: int) -> Callable[[BoardModel], Prediction]:
    return lambda b: m.gemm(size, size, size, b, pairs=4, block=m.GEMM_BLOCK)


_BLAS_API = {256: 2.715, 512: 7.223, 1024: 40.020, 2048: 292.971, 4096: 1990.240,
             8192: 15317.589}  # ms, "API time", float, 4 kernels at 150 MHz on a U250  # fmt: skip

FIGURES: tuple[Published, ...] = (
    Published(
        "black_scholes",
        "finance.black_scholes",
        "4,194,304 options",
        "kernel",
        4_194_304 / 203e6,
        "u200",
        "around 203 million options per second (~8.9 GB/s)",
        f"{_QF}/src/guide_L2/engines/CFBlack76.rst and CFBlackScholesMerton.rst (U200)",
        lambda b: m.black_scholes(4_194_304, b),
        calibrated="the 8.9 GB/s streamed-DDR rate the model uses is this page's own measurement",
    ),
    Published(
        "garman_kohlhagen_16k",
        "finance.black_scholes",
        "16,384 options (gk_kernel)",
        "kernel",
        235e-6,
        "u200",
        "calculation time (kernel execution time) = 235us",
        f"{_QF}/src/guide_L2/engines/GarmanKohlhagen.rst (U200)",
        lambda b: m.black_scholes(16_384, b, inputs_per_option=6),
        in_max=False,
        note="a sibling kernel (6 inputs) on a small batch: a fixed per-call cost the model "
        "leaves out dominates",
    ),
    Published(
        "mc_european",
        "finance.mc_european",
        "16,383 paths, 1 step, 8 modules (double)",
        "kernel",
        7.1e-6,
        "u250",
        "kernel 7.1ms (1000 loop), 4 CUs at 250MHz",
        f"{_QF}/src/guide_L2/benchmarks/MCEuropeanEngine.rst",
        lambda b: m.mc_european(16_383, 1, b, modules=8),
        in_max=False,
        suspect="read as 7.1 us per run; the page's kernel/E2E columns, its cold/warm runs and "
        "its note that kernel and E2E barely differ do not fit one reading",
    ),
    Published(
        "gaussian_1080p",
        "vision.gaussian_filter",
        "1080x1920, 3x3",
        "kernel",
        7.01e-3,
        "u200",
        "1 pixel operation (300 MHz), 3x3: 7.01 ms (HLS latency estimate)",
        f"{_VISION}/api-reference.rst, GaussianBlur performance estimate",
        lambda b: m.gaussian(1080, 1920, b),
        note="an HLS latency estimate, not a board measurement",
    ),
    Published(
        "resize_1080p",
        "vision.resize",
        "1080x1920 -> 480x640, bilinear",
        "kernel",
        6.97e-3,
        "u200",
        "1 pixel, 300 MHz, downscale bilinear: 6.97 ms (HLS latency estimate)",
        f"{_VISION}/api-reference.rst, resize performance estimate",
        lambda b: m.resize(1080, 1920, 480, 640, b),
        note="an HLS latency estimate, not a board measurement",
    ),
    Published(
        "color_detect_1080p",
        "vision.color_detect",
        "1080x1920",
        "kernel",
        7.5e-3,
        "u200",
        "HW(ms) 7.5 at FULL-HD(1920x1080); 133 images(full-hd)/sec",
        "Xilinx/Vitis_Libraries L3/benchmarks/colordetect/README.md",
        lambda b: m.color_detect(1080, 1920, b),
        note="a board measurement; the page names no board (the L3 colordetect example's "
        "documented run is on a U200, vision/docs/src/colordetect-bm.rst) and does not say "
        "whether host transfers are in the time; compared with the predicted kernel time",
    ),
    Published(
        "color_detect_4k",
        "vision.color_detect",
        "2160x3840",
        "kernel",
        28.15e-3,
        "u200",
        "HW(ms) 28.15 at 4k(3840x2160)",
        "Xilinx/Vitis_Libraries L3/benchmarks/colordetect/README.md",
        lambda b: m.color_detect(2160, 3840, b),
        note="as for 1080p",
    ),
    Published(
        "color_detect_fps_1080p",
        "vision.color_detect",
        "1080x1920",
        "kernel",
        1 / 1100,
        "u200",
        "FPS(FPGA) 1100 at Full HD, NPPC 1 (U200, 300 MHz)",
        f"{_VISION}/src/colordetect-bm.rst and Benchmark.rst",
        lambda b: m.color_detect(1080, 1920, b),
        in_max=False,
        suspect=_FPS_LIMIT.format(limit=300e6 / (1080 * 1920)),
    ),
    Published(
        "color_detect_fps_4k",
        "vision.color_detect",
        "2160x3840",
        "kernel",
        1 / 289,
        "u200",
        "FPS(FPGA) 289 at 4K, NPPC 1 (U200, 300 MHz)",
        f"{_VISION}/src/colordetect-bm.rst and Benchmark.rst",
        lambda b: m.color_detect(2160, 3840, b),
        in_max=False,
        suspect=_FPS_LIMIT.format(limit=300e6 / (2160 * 3840)),
    ),
    Published(
        "stereo_1080p",
        "vision.stereo_bm",
        "1080x1920, 32 disparities, 32 units",
        "kernel",
        1 / 135,
        "u200",
        "FPS(FPGA) 135 at Full HD (U200, 300 MHz)",
        f"{_VISION}/src/stereolbm-bm.rst",
        lambda b: m.stereo(1080, 1920, b),
    ),
    Published(
        "stereo_4k",
        "vision.stereo_bm",
        "2160x3840, 32 disparities, 32 units",
        "kernel",
        1 / 34,
        "u200",
        "FPS(FPGA) 34 at 4K (U200, 300 MHz)",
        f"{_VISION}/src/stereolbm-bm.rst",
        lambda b: m.stereo(2160, 3840, b),
        in_max=False,
        note="a 4K build; the library's default build stops at 1920x1080",
    ),
    Published(
        "stereo_pipeline_1080p",
        "vision.stereo_pipeline",
        "1080x1920, 15x15, 48 disparities, 16 units",
        "kernel",
        20.736e-3,
        "u200",
        "HD_15_48_16, 300 MHz: 20.736 ms (HLS estimate)",
        f"{_VISION}/api-reference.rst, StereoBM performance estimate",
        lambda b: m.stereo(
            1080, 1920, b, window=15, disparities=48, units=16, function="vision.stereo_pipeline"
        ),
        in_max=False,
        note="the block-matching stage alone (an HLS estimate)",
    ),  # fmt: skip
    Published(
        "gzip_100MB",
        "compression.gzip",
        "100 MB",
        "kernel",
        100e6 / 2e9,
        "u200",
        "compression throughput 2 GB/s for a single compute unit",
        _GZIP,
        lambda b: m.gzip(100_000_000, 37_000_000, b),
        note="a throughput figure, applied at 100 MB",
    ),
    *(
        Published(
            f"gemm_{n}",
            "blas.gemm",
            f"{n}x{n}, 4 pairs on 4 CUs",
            "end-to-end",
            ms * 1e-3,
            "u250",
            f"API time {ms} ms (float, 4 kernels, 150 MHz)",
            _BLAS,
            _gemm(n),
            in_max=n == 2048,
            note="" if n >= 1024 else "small matrices: per-call overheads the model leaves out",
        )
        for n, ms in _BLAS_API.items()
    ),
)


def checks() -> list[Check]:
    """Every published figure beside the model's prediction for the same configuration."""
    return [Check(p, p.model(BOARDS[p.board])) for p in FIGURES]


def check_for(function: str) -> Check | None:
    """The figure a view quotes for ``function``: counted, not suspect, not calibrated first."""
    ranked = sorted((c for c in checks() if c.published.function == function),
                    key=lambda c: (not c.published.in_max, bool(c.published.suspect),
                                   bool(c.published.calibrated)))  # fmt: skip
    return ranked[0] if ranked else None

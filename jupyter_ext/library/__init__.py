"""Vitis library functions from Python: on an FPGA through XRT, or emulated on the CPU.

Each function takes numpy arrays / bytes and returns a
:class:`~jupyter_ext.runtime.Result` whose ``.value`` is the answer and whose
``.backend`` says ``"xrt"`` or ``"emulated"`` (with ``.reason``)::

    from jupyter_ext.library import black_scholes
    r = black_scholes(spot, strike, vol, rate, t)
    r["price"], r.backend, r.timings

``FUNCTIONS`` maps names like ``"vision.stereo_bm"`` to their specs (kernel,
benchmark inputs, independent reference, comparison); :func:`bench` runs one
against its reference.
"""

from .bench import BenchReport, bench
from .blas import gemm
from .compression import gzip_compress, zlib_compress
from .finance import black_scholes, mc_european
from .finance_american import mc_american
from .finance_runs import last_result, last_runtime
from .registry import FUNCTIONS, Comparison, FunctionSpec
from .vision import color_detect, gaussian_filter, resize, stereo_bm
from .vision_build import VisionBuild
from .vision_stereo import Rectification, stereo_pipeline

__all__ = [
    "FUNCTIONS",
    "BenchReport",
    "Comparison",
    "FunctionSpec",
    "Rectification",
    "VisionBuild",
    "bench",
    "black_scholes",
    "color_detect",
    "gaussian_filter",
    "gemm",
    "gzip_compress",
    "last_result",
    "last_runtime",
    "mc_american",
    "mc_european",
    "resize",
    "stereo_bm",
    "stereo_pipeline",
    "zlib_compress",
]

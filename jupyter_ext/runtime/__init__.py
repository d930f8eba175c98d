"""Run a Vitis kernel on an FPGA through pyxrt, or on the CPU model when there is none.

``get_runtime()`` returns the backend chosen for this pod (``.name`` is
``"xrt"`` or ``"emulated"``, ``.reason`` says why); library functions take a
``runtime=`` argument and otherwise use it. Every :class:`Result` says which
backend produced it.
"""

from .base import (
    BACKEND_EMULATED,
    BACKEND_XRT,
    Backend,
    FPGARuntimeError,
    In,
    InOut,
    InvalidArgument,
    KernelCall,
    KernelError,
    KernelTimeout,
    Out,
    Ref,
    Result,
    Scalar,
    Scratch,
    Timings,
    Zeros,
    bits_f32,
    f32_bits,
)
from .buffers import DeviceArray
from .emulation import EmulationBackend
from .select import get_runtime, repository_locator, select_runtime, set_runtime

__all__ = [
    "BACKEND_EMULATED",
    "BACKEND_XRT",
    "Backend",
    "DeviceArray",
    "EmulationBackend",
    "FPGARuntimeError",
    "In",
    "InOut",
    "InvalidArgument",
    "KernelCall",
    "KernelError",
    "KernelTimeout",
    "Out",
    "Ref",
    "Result",
    "Scalar",
    "Scratch",
    "Timings",
    "Zeros",
    "bits_f32",
    "f32_bits",
    "get_runtime",
    "repository_locator",
    "select_runtime",
    "set_runtime",
]

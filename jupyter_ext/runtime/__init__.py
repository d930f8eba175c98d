"""Run a Vitis kernel on an FPGA through pyxrt, or on the CPU model when there is none.

``get_runtime()`` returns the backend chosen for this pod (``.name`` is
``"xrt"`` or ``"emulated"``, ``.reason`` says why); library functions take a
``runtime=`` argument and otherwise use it. ``runtime.where(kernel)`` says,
before a call, where that kernel would run and why (a :class:`Where`); every
:class:`Result` says which backend produced it, in the same words.
``jupyter_ext.runtime.load.load`` programs a device on request;
``jupyter_ext.runtime.contracts`` holds what each kernel can complete, and a
call it could not is refused (:class:`ContractError`) before reaching a board.
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
    LoadRefused,
    Out,
    Ref,
    Result,
    Scalar,
    Scratch,
    Timings,
    Where,
    Zeros,
    bits_f32,
    f32_bits,
)
from .buffers import DeviceArray
from .contracts import ContractError
from .emulation import EmulationBackend
from .select import get_runtime, repository_locator, select_runtime, set_runtime

__all__ = [
    "BACKEND_EMULATED",
    "BACKEND_XRT",
    "Backend",
    "ContractError",
    "DeviceArray",
    "EmulationBackend",
    "FPGARuntimeError",
    "In",
    "InOut",
    "InvalidArgument",
    "KernelCall",
    "KernelError",
    "KernelTimeout",
    "LoadRefused",
    "Out",
    "Ref",
    "Result",
    "Scalar",
    "Scratch",
    "Timings",
    "Where",
    "Zeros",
    "bits_f32",
    "f32_bits",
    "get_runtime",
    "repository_locator",
    "select_runtime",
    "set_runtime",
]

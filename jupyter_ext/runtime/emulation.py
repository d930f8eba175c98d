"""The emulation backend: run the library's own CPU model of the kernel.

This is not XRT's ``sw_emu``/``hw_emu`` (those need Vitis-built emulation
xclbins); it is a vectorised numpy/OpenCV/zlib model of what each kernel
computes, used whenever there is no pyxrt, no device, or no xclbin holding the
kernel for this platform. Every result it returns says ``emulated`` and why.
"""

from __future__ import annotations

from time import perf_counter

from .base import BACKEND_EMULATED, Backend, KernelCall, Result, Timings, Where

CPU = "CPU"  # the device label of everything the emulation runs


class EmulationBackend(Backend):
    """Runs ``KernelCall.model`` on the CPU and labels the result ``emulated``."""

    name = BACKEND_EMULATED

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def where(self, kernel: str) -> Where:
        """Every kernel runs on the CPU model here, for this backend's one reason."""
        return Where(kernel, BACKEND_EMULATED, self.reason, device=CPU)

    def run(self, call: KernelCall, reason: str | None = None) -> Result:
        t0 = perf_counter()
        outs = call.model()
        t1 = perf_counter()
        value = call.collect(outs)
        t2 = perf_counter()
        return Result(
            function=call.function,
            kernel=call.kernel,
            value=value,
            backend=BACKEND_EMULATED,
            reason=reason or self.reason,
            # There is no transfer to time: h2d/d2h stay None ("n/a"), not 0.
            timings=Timings(total=t2 - t0, kernel=t1 - t0),
            device=CPU,
            details=call.details,
        )

"""Run one library function against its CPU reference: agreement and timings.

The core of ``%fpga bench FUNCTION [--size N] [--repeat R]``: same inputs to
both, the result checked against the reference, both timed (median of
``repeat`` runs after one warm-up), and the accelerator's time split into
host-to-device, kernel and device-to-host where the backend can tell them
apart. An emulated run's "speedup" is CPU model vs CPU reference and the
report says so.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from ..runtime import get_runtime
from ..runtime.base import Backend, InvalidArgument, Result
from .registry import FUNCTIONS, Comparison


@dataclass(frozen=True)
class BenchReport:
    function: str
    size: int
    size_unit: str
    repeat: int
    backend: str
    reason: str
    device: str
    seconds: float
    reference_seconds: float
    reference_name: str
    h2d: float | None
    kernel: float | None
    d2h: float | None
    comparison: Comparison
    result: Result

    @property
    def speedup(self) -> float:
        return self.reference_seconds / self.seconds if self.seconds > 0 else float("inf")

    @property
    def emulated(self) -> bool:
        return self.result.emulated

    def as_dict(self) -> dict[str, Any]:
        return {
            "function": self.function, "size": self.size, "size_unit": self.size_unit,
            "repeat": self.repeat, "backend": self.backend, "reason": self.reason,
            "device": self.device, "seconds": self.seconds,
            "reference_seconds": self.reference_seconds, "reference": self.reference_name,
            "speedup": self.speedup, "h2d": self.h2d, "kernel": self.kernel, "d2h": self.d2h,
            "agrees": self.comparison.ok, "comparison": self.comparison.detail,
        }  # fmt: skip

    def __str__(self) -> str:
        where = self.result.label()
        vs = "CPU model vs CPU reference, not an FPGA figure" if self.emulated else "FPGA vs CPU"
        lines = [
            f"{self.function} ({self.size} {self.size_unit}, median of {self.repeat}): {where}",
            f"  accelerated {self.seconds * 1e3:.3f} ms, {self.reference_name} "
            f"{self.reference_seconds * 1e3:.3f} ms, speedup {self.speedup:.2f}x ({vs})",
        ]
        if self.h2d is not None:
            lines.append(
                f"  host->device {self.h2d * 1e3:.3f} ms, kernel {self.kernel * 1e3:.3f} ms, "
                f"device->host {self.d2h * 1e3:.3f} ms"
            )
        lines.append(f"  {self.comparison}")
        return "\n".join(lines)


def _median(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return statistics.median(vals) if len(vals) == len(xs) and vals else None


def bench(
    name: str, size: int | None = None, repeat: int = 5, *, runtime: Backend | None = None
) -> BenchReport:
    """Time ``FUNCTIONS[name]`` against its reference on generated inputs of ``size``."""
    spec = FUNCTIONS.get(name)
    if spec is None:
        raise InvalidArgument("function", repr(name), ", ".join(sorted(FUNCTIONS)))
    if size is not None and (not isinstance(size, int) or size < spec.min_size):
        raise InvalidArgument("size", repr(size), f"an int >= {spec.min_size} ({spec.size_unit})")
    if not isinstance(repeat, int) or not 1 <= repeat <= 1000:
        raise InvalidArgument("repeat", repr(repeat), "an int in 1..1000")
    n = size or spec.default_size
    rt = runtime or get_runtime()
    inputs = spec.make_inputs(n)
    placed = spec.prepare(inputs, rt)  # device-resident once: timed calls copy nothing

    spec.run(placed, rt)  # warm-up: loads the xclbin / imports OpenCV
    results: list[Result] = []
    for _ in range(repeat):
        results.append(spec.run(placed, rt))
    ref_value = spec.run_reference(inputs)
    ref_times = []
    for _ in range(repeat):
        t0 = perf_counter()
        spec.run_reference(inputs)
        ref_times.append(perf_counter() - t0)
    last = results[-1]
    return BenchReport(
        function=name,
        size=n,
        size_unit=spec.size_unit,
        repeat=repeat,
        backend=last.backend,
        reason=last.reason,
        device=last.device,
        seconds=statistics.median(r.timings.total for r in results),
        reference_seconds=statistics.median(ref_times),
        reference_name=spec.reference_name,
        h2d=_median([r.timings.h2d for r in results]),
        kernel=_median([r.timings.kernel for r in results]),
        d2h=_median([r.timings.d2h for r in results]),
        comparison=spec.compare(last.value, ref_value, inputs),
        result=last,
    )

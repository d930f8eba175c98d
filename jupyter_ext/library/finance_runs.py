"""The last finance call's timings, and one Result for a function that runs several kernels.

InAccel's finance objects answer ``lastruntime()``: microseconds of their
last run. Here every call already returns a
:class:`~jupyter_ext.runtime.Result` with ``timings`` (total, and kernel,
host-to-device and device-to-host where the backend can tell them apart);
:func:`last_runtime` reads the last finance Result's total, so notebooks
written in InAccel's style keep one line. Monte-Carlo American runs three
kernels; :func:`combine` folds their Results into one that is ``xrt`` only
when all three ran on a board and otherwise says which kernel was emulated
and why -- the runtime decided each, this only reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..runtime.base import BACKEND_EMULATED, BACKEND_XRT, Result, Timings

_LAST: dict[str, Result] = {}


def remember(result: Result) -> Result:
    """Record ``result`` as the last finance call and hand it back."""
    _LAST["result"] = result
    return result


def last_result() -> Result | None:
    """The Result of the last finance call in this kernel, or None before the first."""
    return _LAST.get("result")


def last_runtime() -> int | None:
    """InAccel's ``lastruntime()``: microseconds the last finance call took, end to end.

    That is ``last_result().timings.total``; ``.timings.kernel`` is the
    kernel alone. Check ``last_result().emulated``: an emulated time is the
    CPU model's, not an FPGA's.
    """
    result = last_result()
    return None if result is None else round(result.timings.total * 1e6)


def _sum(values: Sequence[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def combine(
    function: str, results: Sequence[Result], value: Any, details: dict[str, Any]
) -> Result:
    """One Result for a call made of ``results`` (run in order), with their summed timings."""
    emulated = [r for r in results if r.emulated]
    if emulated:
        reasons = _unique([r.reason for r in emulated])
        reason = (
            reasons[0]
            if len(reasons) == 1 and len(emulated) == len(results)
            else "; ".join(f"{r.kernel}: {r.reason}" for r in emulated)
        )
    else:
        reason = results[0].reason
    t = [r.timings for r in results]
    details["kernels"] = {r.kernel: {"backend": r.backend, **r.timings.as_dict()} for r in results}
    return Result(
        function=function,
        kernel="+".join(r.kernel for r in results),
        value=value,
        backend=BACKEND_EMULATED if emulated else BACKEND_XRT,
        reason=reason,
        timings=Timings(
            total=sum(x.total for x in t),
            kernel=_sum([x.kernel for x in t]),
            h2d=_sum([x.h2d for x in t]),
            d2h=_sum([x.d2h for x in t]),
        ),
        device="+".join(_unique([r.device for r in results])),
        xclbin="+".join(_unique([r.xclbin for r in results])),
        details=details,
    )

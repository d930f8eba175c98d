"""Monte-Carlo price of an American option: Vitis' MC American engine, three kernels in a row.

``MCAE_k0`` simulates calibration paths, ``MCAE_k1`` fits the
Longstaff-Schwartz exercise rule to them, ``MCAE_k2`` prices fresh paths
with that rule (signatures below; the models and their sources are in
:mod:`.mc_american_kernel`). The host passes each kernel's output buffers to
the next, as InAccel's ``MCAmerican.run`` does; on a board they stay in
device memory.

* ``MCAE_k0(double underlying, volatility, riskFreeRate, dividendYield,
  timeLength, strike, int optionType, ap_uint<128> pOut[], ap_uint<64> mOut[],
  unsigned calibSamples, unsigned timeSteps)``
* ``MCAE_k1(double timeLength, riskFreeRate, strike, int optionType,
  ap_uint<128> priceIn[], ap_uint<64> matIn[], ap_uint<256> coefOut[],
  unsigned calibSamples, unsigned timeSteps)``
* ``MCAE_k2(unsigned seed, double underlying, volatility, dividendYield,
  riskFreeRate, timeLength, strike, int optionType, ap_uint<256> coefIn[],
  double outputs[1], double requiredTolerance, unsigned requiredSamples,
  unsigned timeSteps)``

The scalars are 64-bit doubles, and this runtime passes 32-bit scalars only
(pyxrt's ``run.set_arg`` takes a C int or a buffer), so on a board these
kernels are refused with :class:`FPGARuntimeError` until the runtime can pass
a double; the emulation runs everywhere.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from ..runtime import In, KernelCall, Out, Result, Scalar, get_runtime
from ..runtime.base import Backend, FPGARuntimeError, InvalidArgument
from . import finance_checks as check
from .finance_runs import combine, remember
from .mc_american_kernel import (
    CALIBRATION_ROUND,
    COEFS,
    PRESAMPLE_MODULES,
    PRICING_BATCH,
    PRICING_MODULES,
    TERMS,
    calibrate_model,
    presample_model,
    pricing_model,
    pricing_seeds,
)
from .mc_simulation import PATHS_PER_MODULE, max_samples

KERNELS = ("MCAE_k0", "MCAE_k1", "MCAE_k2")
MAX_STEPS = 454  # MCAE_k0 buffers 9 sums per step in 4096 doubles; MCAE_k1 needs an even count
MAX_CALIBRATION = 8192  # MCAE_k1 keeps 4096 paths per module
DEFAULT_SEED = 11111  # the seed the Vitis host code gives MCAE_k2


def _f64(value: float, name: str) -> Scalar:
    """A double scalar: its 64-bit pattern (no 32-bit runtime can pass it; see the module doc)."""
    return Scalar(struct.unpack("<q", struct.pack("<d", value))[0], name, "f64")


def _refuse_hardware(rt: Backend) -> None:
    for kernel in KERNELS:
        where = rt.where(kernel)
        if where.hardware:
            raise FPGARuntimeError(
                f"{kernel} would run on {where.device} ({where.xclbin}), but its scalar arguments "
                "are 64-bit doubles and this runtime passes 32-bit scalars only (pyxrt's "
                "run.set_arg takes a C int); use the emulation until the runtime can pass doubles"
            )


def mc_american(
    option_type: str = "put",
    underlying: float = 36.0,
    strike: float = 40.0,
    risk_free_rate: float = 0.06,
    dividend_yield: float = 0.0,
    volatility: float = 0.20,
    time_to_maturity: float = 1.0,
    required_tolerance: float = 0.02,
    *,
    samples: int = 0,
    time_steps: int = 100,
    calibration_samples: int = 4096,
    seed: int = DEFAULT_SEED,
    runtime: Backend | None = None,
) -> Result:
    """Longstaff-Schwartz Monte-Carlo price of an American option (arguments as InAccel's MCAmerican.run).

    ``time_steps`` exercise dates (even, 2 to 454), regression fitted on
    ``calibration_samples`` paths (2048, 4096, 6144 or 8192), then priced on
    fresh paths: ``samples=0`` adds batches of 4096 until the standard error
    is at most ``required_tolerance`` (in currency: the kernel compares the
    error of price/underlying, so the tolerance is passed divided by the
    underlying), ``samples=N`` prices ``N`` rounded up to 4096. ``seed``
    seeds the pricing kernel's four generators (``seed * 1, 3, 6, 9``); the
    calibration kernel's seeds are fixed.

    Like the kernel, this is a lower-biased estimate, and two kernel
    properties shape it: the calibration regresses on paths where the *put*
    payoff is positive even for calls, and for ``time_steps >= 64`` it reads
    the second and later calibration rounds at offsets wrapped to 16 bits,
    which degrades the exercise rule (Vitis' own test expects 3.978 for the
    default put, whose value is about 4.48). ``result.details`` has
    ``samples``, ``stderr`` (emulated runs) and each kernel's timings.
    """
    put = check.option_kind("option_type", option_type)
    f64 = check.F64
    s0 = check.real_scalar("underlying", underlying, positive=True, info=f64)
    k = check.real_scalar("strike", strike, positive=True, info=f64)
    vol = check.real_scalar("volatility", volatility, positive=True, info=f64)
    t = check.real_scalar("time_to_maturity", time_to_maturity, positive=True, info=f64)
    r = check.real_scalar("risk_free_rate", risk_free_rate, positive=False, info=f64)
    q = check.real_scalar("dividend_yield", dividend_yield, positive=False, info=f64)
    n = check.sample_count(samples, PRICING_BATCH, max_samples(PRICING_MODULES))
    tol = check.tolerance(required_tolerance, n, info=f64)
    steps = check.whole_number("time_steps", time_steps, 2, MAX_STEPS,
                               f"an even int from 2 to {MAX_STEPS} (the calibration kernel "
                               "splits steps over 2 SVD units)")  # fmt: skip
    if steps % 2:
        raise InvalidArgument("time_steps", repr(time_steps),
                              f"an even int from 2 to {MAX_STEPS} (the calibration kernel "
                              "splits steps over 2 SVD units)")  # fmt: skip
    calib = check.whole_number("calibration_samples", calibration_samples, CALIBRATION_ROUND,
                               MAX_CALIBRATION, "2048, 4096, 6144 or 8192")  # fmt: skip
    if calib % CALIBRATION_ROUND:
        raise InvalidArgument("calibration_samples", repr(calibration_samples),
                              "2048, 4096, 6144 or 8192")  # fmt: skip
    seed = check.whole_number("seed", seed, 1, 2**32 - 1)
    if len(set(pricing_seeds(seed))) < PRICING_MODULES:
        raise InvalidArgument("seed", f"{seed}: seed * (1, 3, 6, 9) repeats modulo 2**32, so "
                              "generators would draw the same paths",
                              "an int from 1 to 2**32 - 1 other than multiples of 2**29")  # fmt: skip
    rt = runtime or get_runtime()
    _refuse_hardware(rt)
    option = Scalar.i32(int(put), "optionType")
    rounds = calib // CALIBRATION_ROUND
    kernel_tol = tol / s0

    k0 = rt.run(KernelCall(
        function="finance.mc_american", kernel=KERNELS[0],
        args=(_f64(s0, "underlying"), _f64(vol, "volatility"), _f64(r, "riskFreeRate"),
              _f64(q, "dividendYield"), _f64(t, "timeLength"), _f64(k, "strike"), option,
              Out((rounds * steps * PATHS_PER_MODULE, PRESAMPLE_MODULES), np.float64, "pOut"),
              Out((steps * TERMS,), np.float64, "mOut"),
              Scalar.u32(calib, "calibSamples"), Scalar.u32(steps, "timeSteps")),
        model=lambda: presample_model(s0, vol, r, q, t, k, calib, steps),
        collect=lambda outs: list(outs),
    ))  # fmt: skip
    prices, matrix = k0.value
    k1 = rt.run(KernelCall(
        function="finance.mc_american", kernel=KERNELS[1],
        args=(_f64(t, "timeLength"), _f64(r, "riskFreeRate"), _f64(k, "strike"), option,
              In(prices, "priceIn"), In(matrix, "matIn"),
              Out((steps - 1, COEFS), np.float64, "coefOut"),
              Scalar.u32(calib, "calibSamples"), Scalar.u32(steps, "timeSteps")),
        model=lambda: calibrate_model(t, r, k, put, prices, matrix, calib, steps),
    ))  # fmt: skip
    coefs = k1.value
    details: dict[str, Any] = {
        "samples": -(-n // PRICING_BATCH) * PRICING_BATCH if n else None, "stderr": None,
        "time_steps": steps, "calibration_samples": calib, "seed": seed,
    }  # fmt: skip

    def price_model() -> list[np.ndarray]:
        out, outcome = pricing_model(seed, s0, vol, q, r, t, k, put, coefs, kernel_tol, n, steps)
        details.update(samples=outcome.samples, stderr=outcome.error * s0,
                       tolerance_met=outcome.tolerance_met)  # fmt: skip
        return [out]

    k2 = rt.run(KernelCall(
        function="finance.mc_american", kernel=KERNELS[2],
        args=(Scalar.u32(seed, "seed"), _f64(s0, "underlying"), _f64(vol, "volatility"),
              _f64(q, "dividendYield"), _f64(r, "riskFreeRate"), _f64(t, "timeLength"),
              _f64(k, "strike"), option, In(coefs, "coefIn"),
              Out((1,), np.float64, "outputs"), _f64(kernel_tol, "requiredTolerance"),
              Scalar.u32(n, "requiredSamples"), Scalar.u32(steps, "timeSteps")),
        model=price_model,
        collect=lambda outs: float(outs[0][0]),
    ))  # fmt: skip
    value = k2.value
    if not np.isfinite(value):
        if not n:
            raise InvalidArgument("required_tolerance", f"{tol!r} was not met within "
                                  f"{max_samples(PRICING_MODULES):,} paths (the kernel returned "
                                  f"{value})", "a larger tolerance, or samples=N")  # fmt: skip
        raise InvalidArgument("underlying/strike/volatility/risk_free_rate/time_to_maturity",
                              f"the kernel's price is {value}",
                              "parameters whose paths stay within float64")  # fmt: skip
    return remember(combine("finance.mc_american", [k0, k1, k2], value, details))

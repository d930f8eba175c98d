"""Quantitative finance on Vitis kernels: Black-Scholes with greeks, Monte-Carlo European and American.

Kernels from Vitis_Libraries/quantitative_finance (see docs/upstream-facts.md#vitis-kernels):

* ``bs_kernel(s, v, r, t, k, unsigned call, unsigned num, price, delta,
  gamma, vega, theta, rho)`` -- CFBlackScholes, float32 arrays of ``num``
  options read and written in 512-bit words of 16 (:mod:`.finance_bs_kernel`);
* ``mc_euro_k(float underlying, volatility, dividendYield, riskFreeRate,
  timeLength, strike, unsigned optionType, ap_uint<32> seed[2], float
  output[1], float requiredTolerance, unsigned requiredSamples, unsigned
  timeSteps)`` (:mod:`.mc_european_kernel`);
* ``MCAE_k0``, ``MCAE_k1``, ``MCAE_k2``: Monte-Carlo American
  (:mod:`.finance_american`).

On a board the kernel computes; otherwise the emulation runs a CPU model that
computes what the kernel computes (float32 where it uses float, its random
numbers, its output layout and units). Either way the kernel's raw outputs
then go through the same host code below, so the units a user sees are the
same on both:

======  =====================================================================
price   in the currency of spot and strike
delta   dV/dS
gamma   d2V/dS2
vega    dV/dvolatility, per 1.00 of volatility (the kernel's is per 1%)
theta   -dV/dT, per year (the kernel's is per day)
rho     dV/drate, per 1.00 of rate (the kernel's is per 1%); negative for a
        put (the kernel returns its magnitude)
======  =====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..runtime import In, KernelCall, Out, Result, Scalar, get_runtime
from ..runtime.base import Backend, InvalidArgument
from . import finance_checks as check
from .finance_american import mc_american
from .finance_bs_kernel import (
    ANNUALIZED_SCALE,
    GREEKS,
    PAD_OPTION,
    PERCENTAGE_SCALE,
    WORD_FLOATS,
    bs_kernel_model,
    pad_to_words,
    padded_length,
)
from .finance_runs import last_result, last_runtime, remember
from .mc_european_kernel import BATCH as MC_BATCH
from .mc_european_kernel import MODULES as MC_MODULES
from .mc_european_kernel import mc_euro_k_model
from .mc_simulation import max_samples

__all__ = [
    "BS_KERNEL",
    "GREEKS",
    "MC_KERNEL",
    "OPTION_TYPES",
    "UNITS",
    "black_scholes",
    "last_result",
    "last_runtime",
    "mc_american",
    "mc_european",
]

BS_KERNEL = "bs_kernel"
MC_KERNEL = "mc_euro_k"
OPTION_TYPES = check.OPTION_TYPES
UNITS = {
    "price": "currency", "delta": "per 1.00 of spot", "gamma": "per 1.00 of spot, squared",
    "vega": "per 1.00 of volatility", "theta": "per year", "rho": "per 1.00 of rate",
}  # fmt: skip
DEFAULT_MC_SEED = (1, 10001)  # the seeds xf_fintech's MCEuropean host code gives mc_euro_k
_F32_MAX_STEPS = 2**16 - 1  # timeSteps is an ap_uint<16> inside the engine


# --- Black-Scholes ------------------------------------------------------------------------


def _as_kernel_vector(arr: np.ndarray, n: int) -> np.ndarray:
    """``arr`` as a length-``n`` float32 vector; the very same object when it already is one."""
    if arr.shape == (n,) and arr.dtype == np.float32 and arr.flags.c_contiguous:
        return arr
    return np.ascontiguousarray(np.broadcast_to(arr, (n,)), dtype=np.float32)


def _bus_input(arr: np.ndarray, name: str) -> In:
    """The kernel reads whole 16-float words: pad (a copy, built only for a board) when needed."""
    if arr.shape[0] % WORD_FLOATS == 0:
        return In(arr, name)
    return In(lambda: pad_to_words(arr, PAD_OPTION[name]), name)


def _kernel_to_api(outs: list[np.ndarray], n: int, put: bool,
                   forward: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> dict[str, np.ndarray]:  # fmt: skip
    """The one place kernel units become API units (see the module docstring), for both backends.

    Divides by the kernel's own float32 scale constants, so the only error
    added is one rounding. ``forward`` = (exp(-qT), spot*exp(-qT), q) when a
    dividend yield was applied through the forward spot.
    """
    price, delta, gamma, vega, theta, rho = (o[:n] for o in outs)
    f64, f32 = np.float64, np.float32
    vega = (vega.astype(f64) / f64(PERCENTAGE_SCALE)).astype(f32)
    rho = (rho.astype(f64) / (-f64(PERCENTAGE_SCALE) if put else f64(PERCENTAGE_SCALE))).astype(f32)
    theta64 = theta.astype(f64) / f64(ANNUALIZED_SCALE)
    if forward is not None:
        disc_q, s_fwd, q = forward
        theta64 = theta64 + q * s_fwd * delta.astype(f64)  # calendar time also moves the forward
        delta = (delta.astype(f64) * disc_q).astype(f32)
        gamma = (gamma.astype(f64) * (disc_q * disc_q)).astype(f32)
    return dict(zip(GREEKS, (price, delta, gamma, vega, theta64.astype(f32), rho), strict=True))


def black_scholes(
    spot: Any,
    strike: Any,
    volatility: Any,
    rate: Any,
    time: Any,
    *,
    option: str = "call",
    dividend_yield: Any = 0.0,
    runtime: Backend | None = None,
) -> Result:
    """Closed-form Black-Scholes(-Merton) price and greeks of European options, on ``bs_kernel``.

    Arguments broadcast against each other (scalars or 1-D arrays): stock
    price, strike, volatility, risk-free rate, time to maturity in years, and
    a continuous ``dividend_yield``. ``result.value`` is a dict of float32
    arrays ``price, delta, gamma, vega, theta, rho`` in the units of the
    module docstring (``UNITS``), on hardware and emulated alike.

    ``bs_kernel`` has no dividend input (it calls the engine with ``q = 0``),
    so a yield is applied through the forward spot ``S*exp(-qT)``, which
    gives the same price, vega and rho; delta is then scaled by
    ``exp(-qT)``, gamma by ``exp(-2qT)``, and theta gains ``q*S*exp(-qT)*delta``.
    Inputs are computed in float32 on the kernel: values outside float32's
    normal range are refused (:class:`InvalidArgument`). The caller's arrays
    are never modified.
    """
    put = check.option_kind("option", option)
    arrays = [
        check.real_array("spot", spot, positive=True),
        check.real_array("strike", strike, positive=True),
        check.real_array("volatility", volatility, positive=True),
        check.real_array("rate", rate, positive=False),
        check.real_array("time", time, positive=True),
        check.real_array("dividend_yield", dividend_yield, positive=False),
    ]
    try:
        (n,) = np.broadcast_shapes(*(a.shape for a in arrays)) or (1,)
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise InvalidArgument(
            "spot/strike/volatility/rate/time/dividend_yield", f"shapes {shapes}",
            "arrays of one length or scalars",
        ) from None  # fmt: skip
    if n == 0:
        raise InvalidArgument("spot", "no options given", "at least one option")
    spot_in, k, v, r, t = (_as_kernel_vector(a, n) for a in arrays[:5])
    s, forward = spot_in, None
    if np.any(arrays[5] != 0):
        q = np.broadcast_to(np.asarray(arrays[5], np.float64), (n,))
        with np.errstate(over="ignore", invalid="ignore"):
            disc_q = np.exp(-q * t.astype(np.float64))
            s = (spot_in.astype(np.float64) * disc_q).astype(np.float32)  # new: spot is untouched
        bad = ~(np.isfinite(s) & (s >= check.F32.smallest_normal))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidArgument(
                "dividend_yield", f"{q[i].item()!r} at index {i}: spot*exp(-q*time) = {s[i].item()!r}",
                "yields that keep spot*exp(-q*time) within float32's normal range")  # fmt: skip
        forward = (disc_q, s.astype(np.float64), q)
    call = not put
    n_bus = padded_length(n)

    def collect(outs: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        value = _kernel_to_api(list(outs), n, put, forward)
        check.finite_outputs("spot/strike/volatility/rate/time", value, lambda i: (
            f"spot={spot_in[i]:g}, strike={k[i]:g}, volatility={v[i]:g}, rate={r[i]:g}, time={t[i]:g}"))  # fmt: skip
        return value

    kc = KernelCall(
        function="finance.black_scholes",
        kernel=BS_KERNEL,
        args=(
            _bus_input(s, "s"),
            _bus_input(v, "v"),
            _bus_input(r, "r"),
            _bus_input(t, "t"),
            _bus_input(k, "k"),
            Scalar.u32(int(call), "call"),
            Scalar.u32(n_bus, "num"),
            *(Out((n_bus,), np.float32, g) for g in GREEKS),
        ),
        model=lambda: bs_kernel_model(s, v, r, t, k, call),
        collect=collect,
        details={
            "options": n,
            "option": option,
            "bus_words": n_bus // WORD_FLOATS,
            "padding": n_bus - n,
            "units": UNITS,
        },  # fmt: skip
    )
    return remember((runtime or get_runtime()).run(kc))


# --- Monte-Carlo European -----------------------------------------------------------------


def mc_european(
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
    time_steps: int = 1,
    seed: int | tuple[int, int] = DEFAULT_MC_SEED,
    runtime: Backend | None = None,
) -> Result:
    """Monte-Carlo price of a European option on ``mc_euro_k`` (arguments as xf_fintech's MCEuropean.run).

    ``samples=0`` adds batches of 2048 paths until the kernel's standard-error
    estimate is at most ``required_tolerance`` (so it stops within one batch
    of the paths the tolerance needs); ``samples=N`` runs ``N`` rounded up to
    whole batches. ``seed`` seeds the kernel's two generators: a pair, or an
    int whose low and high 32-bit halves are used (ints below 2**32 seed the
    second generator with 0, so such seeds share that half of their paths).
    ``result.value`` is the price; ``result.details`` has ``samples`` and
    ``stderr`` (the kernel's own estimate) when emulated -- the kernel
    returns neither, so on a board they are None (``samples`` is known when
    you fixed it).

    ``time_steps > 1`` follows the later Vitis path pricer (one price per path
    after all its steps). The 2019-2020 pricer reads one increment per path,
    so a build of that vintage does not consume the other steps' draws: keep
    ``time_steps=1`` (the Vitis host code's value) on such a board.
    """
    put = check.option_kind("option_type", option_type)
    s0 = check.real_scalar("underlying", underlying, positive=True)
    k = check.real_scalar("strike", strike, positive=True)
    vol = check.real_scalar("volatility", volatility, positive=True)
    t = check.real_scalar("time_to_maturity", time_to_maturity, positive=True)
    r = check.real_scalar("risk_free_rate", risk_free_rate, positive=False)
    q = check.real_scalar("dividend_yield", dividend_yield, positive=False)
    n = check.sample_count(samples, MC_BATCH, max_samples(MC_MODULES))
    tol = check.tolerance(required_tolerance, n)
    steps = check.whole_number("time_steps", time_steps, 1, _F32_MAX_STEPS,
                               f"an int from 1 to {_F32_MAX_STEPS:,} (the engine's ap_uint<16>)")  # fmt: skip
    words = check.seed_pair(seed)
    rounded = -(-n // MC_BATCH) * MC_BATCH if n else None
    details: dict[str, Any] = {"samples": rounded, "stderr": None, "time_steps": steps,
                               "seeds": words, "batch": MC_BATCH}  # fmt: skip

    def model() -> list[np.ndarray]:
        out, outcome = mc_euro_k_model(s0, vol, q, r, t, k, put, words, tol, n, steps)
        details.update(samples=outcome.samples, stderr=outcome.error,
                       tolerance_met=outcome.tolerance_met)  # fmt: skip
        return [out]

    def collect(outs: Sequence[np.ndarray]) -> float:
        value = float(outs[0][0])
        if not np.isfinite(value):
            if not n:
                raise InvalidArgument(
                    "required_tolerance", f"{tol!r} was not met within "
                    f"{max_samples(MC_MODULES):,} paths (the kernel returned {value})",
                    "a larger tolerance, or samples=N")  # fmt: skip
            raise InvalidArgument(
                "underlying/strike/volatility/risk_free_rate/time_to_maturity",
                f"the kernel's float32 price is {value}: path values leave float32",
                "parameters whose paths stay within float32")  # fmt: skip
        return value

    kc = KernelCall(
        function="finance.mc_european",
        kernel=MC_KERNEL,
        args=(
            Scalar.f32(s0, "underlying"),
            Scalar.f32(vol, "volatility"),
            Scalar.f32(q, "dividendYield"),
            Scalar.f32(r, "riskFreeRate"),
            Scalar.f32(t, "timeLength"),
            Scalar.f32(k, "strike"),
            Scalar.u32(OPTION_TYPES["put" if put else "call"], "optionType"),
            In(np.array(words, dtype=np.uint32), "seed", constant=True),
            Out((1,), np.float32, "output"),
            Scalar.f32(tol, "requiredTolerance"),
            Scalar.u32(n, "requiredSamples"),
            Scalar.u32(steps, "timeSteps"),
        ),
        model=model,
        collect=collect,
        details=details,
    )
    return remember((runtime or get_runtime()).run(kc))

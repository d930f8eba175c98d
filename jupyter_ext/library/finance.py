"""Quantitative finance: closed-form Black-Scholes with greeks, Monte-Carlo European.

Kernels from Vitis_Libraries/quantitative_finance:

* ``bs_kernel(s, v, r, t, k, unsigned call, unsigned num, price, delta, gamma,
  vega, theta, rho)`` -- float arrays in, six float arrays out (CFBlackScholes);
* ``mc_euro_k(float underlying, volatility, dividendYield, riskFreeRate,
  timeLength, strike, unsigned optionType, ap_uint<32> seed[2], float
  output[1], float requiredTolerance, unsigned requiredSamples, unsigned
  timeSteps)``.

The CPU models are ours (numpy, no scipy): the normal CDF is Hart's 1968
double-precision rational approximation, so the check against scipy's
``norm.cdf`` is a check against an independent implementation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..runtime import In, KernelCall, Out, Result, Scalar, get_runtime
from ..runtime.base import Backend, InvalidArgument

BS_KERNEL = "bs_kernel"
MC_KERNEL = "mc_euro_k"
GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho")
OPTION_TYPES = {"call": 0, "put": 1}  # mc_euro_k's optionType

# Hart (1968) via G. West, "Better approximations to cumulative normal functions".
_HN = (3.52624965998911e-02, 0.700383064443688, 6.37396220353165, 33.912866078383,
       112.079291497871, 221.213596169931, 220.206867912376)  # fmt: skip
_HD = (8.83883476483184e-02, 1.75566716318264, 16.064177579207, 86.7807322029461,
       296.564248779674, 637.333633378831, 793.826512519948, 440.413735824752)  # fmt: skip
_INV_SQRT_2PI = 0.3989422804014327


def _upper_tail(ax: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Q(|x|) = 1 - N(|x|) given e = exp(-x^2/2); relative error ~1e-8 or better."""
    num = _HN[0] * ax + _HN[1]
    for c in _HN[2:]:
        num *= ax
        num += c
    den = _HD[0] * ax + _HD[1]
    for c in _HD[2:]:
        den *= ax
        den += c
    num *= e
    num /= den
    far = ax >= 7.07106781186547
    if far.any():  # continued fraction beyond 5 sigma (rare for real options)
        a = ax[far]
        num[far] = e[far] / (a + 1 / (a + 2 / (a + 3 / (a + 4 / (a + 0.65))))) / 2.506628274631
    return num


def _norm(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N(x), phi(x)) sharing one exp."""
    ax = np.abs(x)
    e = np.exp(-0.5 * ax * ax)
    q = _upper_tail(ax, e)
    cdf = np.where(x > 0, 1.0 - q, q)
    e *= _INV_SQRT_2PI
    return cdf, e


def _bs_model(s, v, r, t, k, call: bool) -> list[np.ndarray]:
    """What bs_kernel leaves in its six output buffers (computed in double, stored float)."""
    S, V, R, T, K = (np.asarray(a, dtype=np.float64) for a in (s, v, r, t, k))
    sqrt_t = np.sqrt(T)
    vs = V * sqrt_t
    d1 = np.log(S / K)
    d1 += (R + 0.5 * V * V) * T
    d1 /= vs
    n1, pdf1 = _norm(d1)
    n2, _ = _norm(d1 - vs)
    kd = K * np.exp(-R * T)
    decay = S * pdf1
    vega = decay * sqrt_t
    gamma = pdf1 / (S * vs)
    decay *= V
    decay /= -2.0 * sqrt_t
    if call:
        price = S * n1 - kd * n2
        delta = n1
        kdn2 = kd * n2
        theta = decay - R * kdn2
        rho = kdn2 * T
    else:
        m1 = 1.0 - n1
        kdm2 = kd * (1.0 - n2)
        price = kdm2 - S * m1
        delta = n1 - 1.0
        theta = decay + R * kdm2
        rho = -kdm2 * T
    return [a.astype(np.float32) for a in (price, delta, gamma, vega, theta, rho)]


def _option_array(name: str, value: Any, positive: bool = True) -> np.ndarray:
    arr = np.asanyarray(value)  # keeps a DeviceArray a DeviceArray (no copy on XRT)
    if arr.dtype.kind not in "fiu":
        raise InvalidArgument(name, f"dtype {arr.dtype}", "numbers or arrays of numbers")
    if arr.ndim > 1:
        raise InvalidArgument(name, f"has {arr.ndim} dimensions", "a scalar or a 1-D array")
    bad = ~np.isfinite(arr)
    if positive:
        bad |= arr <= 0
    if bad.any():
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        got = arr.reshape(-1)[i].item()
        allowed = "finite numbers > 0" if positive else "finite numbers"
        raise InvalidArgument(name, f"{got!r} at index {i}", allowed)
    return arr


def _float32_vector(arr: np.ndarray, n: int) -> np.ndarray:
    """``arr`` as a length-``n`` float32 vector; the very same object when it already is one."""
    if arr.shape == (n,) and arr.dtype == np.float32 and arr.flags.c_contiguous:
        return arr
    return np.ascontiguousarray(np.broadcast_to(arr, (n,)), dtype=np.float32)


def black_scholes(
    spot: Any,
    strike: Any,
    volatility: Any,
    rate: Any,
    time: Any,
    *,
    option: str = "call",
    runtime: Backend | None = None,
) -> Result:
    """Closed-form Black-Scholes price and greeks of European options (no dividend).

    Arguments broadcast against each other (scalars or 1-D arrays), in the
    order of Vitis' CFBlackScholes: stock price, strike, volatility, risk-free
    rate, time to maturity (years). ``result.value`` is a dict of float32
    arrays: ``price, delta, gamma, vega`` (per unit volatility), ``theta``
    (per year), ``rho`` (per unit rate).
    """
    if option not in ("call", "put"):
        raise InvalidArgument("option", repr(option), "'call', 'put'")
    arrays = [
        _option_array("spot", spot),
        _option_array("strike", strike),
        _option_array("volatility", volatility),
        _option_array("rate", rate, positive=False),
        _option_array("time", time),
    ]
    try:
        (n,) = np.broadcast_shapes(*(a.shape for a in arrays)) or (1,)
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise InvalidArgument(
            "spot/strike/volatility/rate/time",
            f"shapes {shapes}",
            "arrays of one length or scalars",
        ) from None
    s, k, v, r, t = (_float32_vector(a, n) for a in arrays)
    if n == 0:
        raise InvalidArgument("spot", "no options given", "at least one option")
    call = option == "call"
    kc = KernelCall(
        function="finance.black_scholes",
        kernel=BS_KERNEL,
        args=(
            In(s, "s"),
            In(v, "v"),
            In(r, "r"),
            In(t, "t"),
            In(k, "k"),
            Scalar.u32(int(call), "call"),
            Scalar.u32(n, "num"),
            *(Out((n,), np.float32, g) for g in GREEKS),
        ),  # fmt: skip
        model=lambda: _bs_model(s, v, r, t, k, call),
        collect=lambda outs: dict(zip(GREEKS, outs, strict=True)),
        details={"options": n, "option": option},
    )
    return (runtime or get_runtime()).run(kc)


def _mc_model(
    call: bool, s0: float, k: float, r: float, q: float, vol: float, t: float,
    tolerance: float, samples: int, steps: int, seed: int, details: dict[str, Any],
) -> list[np.ndarray]:  # fmt: skip
    """Monte-Carlo of GBM paths in ``steps`` log-Euler steps (exact for GBM), in batches.

    With ``samples == 0`` it adds batches until the standard error is at most
    ``tolerance``, as mc_euro_k does with requiredSamples 0.
    """
    rng = np.random.Generator(np.random.Philox(seed))
    dt = t / steps
    drift = (r - q - 0.5 * vol * vol) * t
    diffusion = vol * np.sqrt(dt)
    log_s0 = np.log(s0)
    batch = max(1024, (1 << 21) // steps)
    cap = samples if samples else 1 << 26
    total = 0.0
    total_sq = 0.0
    n = 0
    while n < cap:
        m = min(batch, cap - n)
        z = rng.standard_normal((m, steps)) if steps > 1 else rng.standard_normal(m)
        w = z.sum(axis=1) if steps > 1 else z
        st = np.exp(log_s0 + drift + diffusion * w)
        pay = np.maximum(st - k, 0.0) if call else np.maximum(k - st, 0.0)
        total += float(pay.sum())
        total_sq += float(np.dot(pay, pay))
        n += m
        if not samples and n >= 4096:
            var = max(total_sq / n - (total / n) ** 2, 0.0)
            if np.exp(-r * t) * np.sqrt(var / n) <= tolerance:
                break
    disc = np.exp(-r * t)
    mean = total / n
    var = max(total_sq / n - mean * mean, 0.0) * n / max(n - 1, 1)
    details["stderr"] = float(disc * np.sqrt(var / n))
    details["samples"] = n
    return [np.array([disc * mean], dtype=np.float32)]


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
    seed: int = 42,
    runtime: Backend | None = None,
) -> Result:
    """Monte-Carlo price of a European option (arguments as in xf_fintech's MCEuropean.run).

    ``samples=0`` runs until the standard error is at most
    ``required_tolerance``. ``result.value`` is the price;
    ``result.details['stderr']`` is the standard error where the backend
    reports it (the emulation does; mc_euro_k's one output does not).
    """
    if option_type not in OPTION_TYPES:
        raise InvalidArgument("option_type", repr(option_type), "'call', 'put'")
    for name, val in (("underlying", underlying), ("strike", strike),
                      ("volatility", volatility), ("time_to_maturity", time_to_maturity)):  # fmt: skip
        if not (np.isfinite(val) and val > 0):
            raise InvalidArgument(name, repr(val), "a finite number > 0")
    for name, val in (("risk_free_rate", risk_free_rate), ("dividend_yield", dividend_yield)):
        if not np.isfinite(val):
            raise InvalidArgument(name, repr(val), "a finite number")
    if samples == 0 and not (np.isfinite(required_tolerance) and required_tolerance > 0):
        raise InvalidArgument("required_tolerance", repr(required_tolerance), "> 0 when samples=0")
    if not (isinstance(samples, int | np.integer) and 0 <= samples < 2**32):
        raise InvalidArgument("samples", repr(samples), "an int in [0, 2**32); 0 = until tolerance")
    if not (isinstance(time_steps, int | np.integer) and 1 <= time_steps < 2**32):
        raise InvalidArgument("time_steps", repr(time_steps), "an int >= 1")
    if not (isinstance(seed, int | np.integer) and 0 <= seed < 2**64):
        raise InvalidArgument("seed", repr(seed), "an int in [0, 2**64)")
    seed_words = np.array([int(seed) & 0xFFFFFFFF, int(seed) >> 32], dtype=np.uint32)
    details: dict[str, Any] = {"samples": int(samples), "time_steps": int(time_steps)}
    call = option_type == "call"
    kc = KernelCall(
        function="finance.mc_european",
        kernel=MC_KERNEL,
        args=(
            Scalar.f32(underlying, "underlying"),
            Scalar.f32(volatility, "volatility"),
            Scalar.f32(dividend_yield, "dividendYield"),
            Scalar.f32(risk_free_rate, "riskFreeRate"),
            Scalar.f32(time_to_maturity, "timeLength"),
            Scalar.f32(strike, "strike"),
            Scalar.u32(OPTION_TYPES[option_type], "optionType"),
            In(seed_words, "seed", constant=True),
            Out((1,), np.float32, "output"),
            Scalar.f32(required_tolerance, "requiredTolerance"),
            Scalar.u32(samples, "requiredSamples"),
            Scalar.u32(time_steps, "timeSteps"),
        ),
        model=lambda: _mc_model(
            call,
            underlying,
            strike,
            risk_free_rate,
            dividend_yield,
            volatility,
            time_to_maturity,
            required_tolerance,
            int(samples),
            int(time_steps),
            int(seed),
            details,
        ),  # fmt: skip
        collect=lambda outs: float(outs[0][0]),
        details=details,
    )
    return (runtime or get_runtime()).run(kc)

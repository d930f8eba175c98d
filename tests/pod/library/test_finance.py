"""Finance functions against closed forms computed independently of our models."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from jupyter_ext.library import black_scholes, mc_european
from jupyter_ext.library.registry import bs_inputs
from jupyter_ext.runtime import InvalidArgument


def _scalar_bs(s, k, v, r, t, call):
    """One option, math module only (a second, scalar reference)."""
    n = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    d1 = (math.log(s / k) + (r + v * v / 2) * t) / (v * math.sqrt(t))
    d2 = d1 - v * math.sqrt(t)
    if call:
        return s * n(d1) - k * math.exp(-r * t) * n(d2)
    return k * math.exp(-r * t) * n(-d2) - s * n(-d1)


KERNEL_DEVIATION = 1e-6  # API vs scipy, relative to each output's largest value (measured 7.6e-7)


@pytest.mark.parametrize("option", ["call", "put"])
def test_black_scholes_100k_options_against_scipy(emulated, option):
    x = bs_inputs(100_000)
    r = black_scholes(x["spot"], x["strike"], x["volatility"], x["rate"], x["time"],
                      option=option, runtime=emulated)  # fmt: skip
    assert r.emulated and set(r.value) == {"price", "delta", "gamma", "vega", "theta", "rho"}
    S, K, V, R, T = (
        x[k].astype(np.float64) for k in ("spot", "strike", "volatility", "rate", "time")
    )
    d1 = (np.log(S / K) + (R + V**2 / 2) * T) / (V * np.sqrt(T))
    d2 = d1 - V * np.sqrt(T)
    sgn = 1 if option == "call" else -1
    want = {
        "price": sgn * (S * norm.cdf(sgn * d1) - K * np.exp(-R * T) * norm.cdf(sgn * d2)),
        "delta": norm.cdf(d1) - (0 if option == "call" else 1),
        "gamma": norm.pdf(d1) / (S * V * np.sqrt(T)),
        "vega": S * norm.pdf(d1) * np.sqrt(T),
        "theta": -S * norm.pdf(d1) * V / (2 * np.sqrt(T))
        - sgn * R * K * np.exp(-R * T) * norm.cdf(sgn * d2),
        "rho": sgn * K * T * np.exp(-R * T) * norm.cdf(sgn * d2),
    }
    for g, w in want.items():
        got = r[g]
        assert got.dtype == np.float32 and got.shape == (100_000,)
        # the kernel's float32 arithmetic and 7-digit normal CDF: measured at most 7.6e-7 of the
        # output's largest magnitude (price); 2e-6 leaves room for the FPGA's own exp/log
        assert np.abs(got - w).max() <= KERNEL_DEVIATION * np.abs(w).max(), g
        np.testing.assert_allclose(got, w, rtol=2e-6, atol=2e-6 * np.abs(w).max(), err_msg=g)
    for i in (0, 1, 99_999):
        assert r["price"][i] == pytest.approx(
            _scalar_bs(S[i], K[i], V[i], R[i], T[i], option == "call"), rel=1e-5, abs=1e-5
        )


def test_textbook_values_and_put_call_parity(emulated):
    # Hull, Options Futures and Other Derivatives: S=42, K=40, r=10%, sigma=20%, T=0.5
    r_call = black_scholes(42, 40, 0.2, 0.1, 0.5, runtime=emulated)
    r_put = black_scholes(42, 40, 0.2, 0.1, 0.5, option="put", runtime=emulated)
    assert r_call["price"][0] == pytest.approx(4.76, abs=0.005)
    assert r_put["price"][0] == pytest.approx(0.81, abs=0.005)
    assert r_call["price"][0] - r_put["price"][0] == pytest.approx(
        42 - 40 * math.exp(-0.05), abs=1e-5
    )


def test_greeks_are_the_derivatives_of_the_price(emulated):
    """Central finite differences of the (closed-form) price, independent of our greek formulas."""
    s, k, v, r, t = 100.0, 105.0, 0.25, 0.03, 0.75
    price = lambda **kw: _scalar_bs(**{"s": s, "k": k, "v": v, "r": r, "t": t, **kw}, call=True)  # noqa: E731
    h = 1e-4
    res = black_scholes(s, k, v, r, t, runtime=emulated)
    assert res["delta"][0] == pytest.approx((price(s=s + h) - price(s=s - h)) / (2 * h), rel=1e-4)
    assert res["gamma"][0] == pytest.approx(
        (price(s=s + 0.01) - 2 * price() + price(s=s - 0.01)) / 1e-4, rel=1e-3
    )
    assert res["vega"][0] == pytest.approx((price(v=v + h) - price(v=v - h)) / (2 * h), rel=1e-4)
    assert res["rho"][0] == pytest.approx((price(r=r + h) - price(r=r - h)) / (2 * h), rel=1e-4)
    # theta is the derivative with respect to calendar time: -dV/dT
    assert res["theta"][0] == pytest.approx(-(price(t=t + h) - price(t=t - h)) / (2 * h), rel=1e-4)


def test_black_scholes_bad_input_names_the_field(emulated):
    with pytest.raises(
        InvalidArgument,
        match=r"volatility: -0\.2 at index 1 \(allowed: finite numbers > 0, from 1\.1754944e-38",
    ):
        black_scholes([100, 100], 100, [0.2, -0.2], 0.05, 1.0, runtime=emulated)
    with pytest.raises(InvalidArgument, match="option: 'straddle'"):
        black_scholes(100, 100, 0.2, 0.05, 1.0, option="straddle", runtime=emulated)
    with pytest.raises(
        InvalidArgument, match="spot/strike/volatility/rate/time/dividend_yield: shapes"
    ):
        black_scholes([1, 2, 3], [1, 2], 0.2, 0.05, 1.0, runtime=emulated)
    with pytest.raises(InvalidArgument, match="time: nan at index 0"):
        black_scholes(100, 100, 0.2, 0.05, float("nan"), runtime=emulated)


def _mc_theory(option, s0, k, r, q, vol, t):
    """Closed-form mean and standard deviation of the discounted payoff (lognormal moments)."""
    mu = r - q
    sd = vol * math.sqrt(t)
    d0 = (math.log(s0 / k) + (mu - vol * vol / 2) * t) / sd
    n = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731

    def partial(p):  # E[S^p 1{S>K}] (call side) and E[S^p 1{S<K}] (put side)
        m = s0**p * math.exp(p * (mu - vol * vol / 2) * t + p * p * vol * vol * t / 2)
        above = m * n(d0 + p * sd)
        return above if option == "call" else m - above

    sign = 1 if option == "call" else -1
    first = sign * (partial(1) - k * partial(0))
    second = partial(2) - 2 * k * partial(1) + k * k * partial(0)
    disc = math.exp(-r * t)
    return disc * first, disc * math.sqrt(second - first * first)


@pytest.mark.parametrize(
    "params",
    [
        ("put", 36.0, 40.0, 0.06, 0.0, 0.20, 1.0),  # xf_fintech's MCEuropean example
        ("call", 100.0, 110.0, 0.03, 0.02, 0.35, 2.0),
    ],
)
def test_monte_carlo_within_three_standard_errors(emulated, params):
    price, sd = _mc_theory(*params)
    samples = 1 << 18
    se = sd / math.sqrt(samples)
    for seed in (1, 2, 3):
        r = mc_european(*params, samples=samples, time_steps=8, seed=seed, runtime=emulated)
        assert r.emulated and r.details["samples"] == samples
        assert abs(r.value - price) <= 3 * se, (seed, r.value, price, se)
        assert r.details["stderr"] == pytest.approx(se, rel=0.05)


def test_monte_carlo_is_unbiased_and_its_error_bars_honest(emulated):
    params = ("put", 36.0, 40.0, 0.06, 0.0, 0.20, 1.0)
    price, _ = _mc_theory(*params)
    z = []
    for seed in range(40):  # both of the kernel's generators get a new seed every run
        r = mc_european(*params, samples=1 << 13, time_steps=2, seed=(seed, seed + 1000),
                        runtime=emulated)  # fmt: skip
        z.append((r.value - price) / r.details["stderr"])
    z = np.array(z)
    assert abs(z.mean()) < 0.6  # mean of 40 standard normals: sd 0.16
    assert 0.6 < z.std() < 1.5


def test_monte_carlo_tolerance_mode_and_seed(emulated):
    params = ("put", 36.0, 40.0, 0.06, 0.0, 0.20, 1.0, 0.01)
    a = mc_european(*params, seed=11, runtime=emulated)
    b = mc_european(*params, seed=11, runtime=emulated)
    c = mc_european(*params, seed=12, runtime=emulated)
    assert a.value == b.value and a.value != c.value  # the seed decides the paths
    assert a.details["stderr"] <= 0.01 and a.details["samples"] < 1 << 26
    price, _ = _mc_theory(*params[:7])
    assert abs(a.value - price) <= 3 * a.details["stderr"]


def test_monte_carlo_bad_input(emulated):
    with pytest.raises(InvalidArgument, match="option_type: 'bermudan'"):
        mc_european("bermudan", runtime=emulated)
    with pytest.raises(InvalidArgument, match="time_steps: 0"):
        mc_european(time_steps=0, runtime=emulated)
    with pytest.raises(InvalidArgument, match="required_tolerance"):
        mc_european(required_tolerance=0.0, runtime=emulated)


def _bsm_scipy(S, K, V, R, T, Q, call):
    """Black-Scholes-Merton with a continuous dividend yield, float64, scipy's normal."""
    d1 = (np.log(S / K) + (R - Q + V**2 / 2) * T) / (V * np.sqrt(T))
    d2 = d1 - V * np.sqrt(T)
    sgn = 1 if call else -1
    dq, dr = np.exp(-Q * T), np.exp(-R * T)
    return {
        "price": sgn * (S * dq * norm.cdf(sgn * d1) - K * dr * norm.cdf(sgn * d2)),
        "delta": sgn * dq * norm.cdf(sgn * d1),
        "gamma": dq * norm.pdf(d1) / (S * V * np.sqrt(T)),
        "vega": S * dq * norm.pdf(d1) * np.sqrt(T),
        "theta": -S * dq * norm.pdf(d1) * V / (2 * np.sqrt(T))
        + sgn * (Q * S * dq * norm.cdf(sgn * d1) - R * K * dr * norm.cdf(sgn * d2)),
        "rho": sgn * K * T * dr * norm.cdf(sgn * d2),
    }


@pytest.mark.parametrize("option", ["call", "put"])
def test_dividend_yield_against_scipy_and_parity(emulated, option):
    """bs_kernel has no q: the forward spot S*exp(-qT) plus the host's greek adjustments."""
    x = bs_inputs(20_000)
    q = np.random.default_rng(3).uniform(-0.02, 0.08, 20_000)
    r = black_scholes(x["spot"], x["strike"], x["volatility"], x["rate"], x["time"],
                      option=option, dividend_yield=q, runtime=emulated)  # fmt: skip
    S, K, V, R, T = (
        x[k].astype(np.float64) for k in ("spot", "strike", "volatility", "rate", "time")
    )
    want = _bsm_scipy(S, K, V, R, T, q, option == "call")
    for g, w in want.items():
        np.testing.assert_allclose(r[g], w, rtol=2e-6, atol=2e-6 * np.abs(w).max(), err_msg=g)
    other = black_scholes(x["spot"], x["strike"], x["volatility"], x["rate"], x["time"],
                          option="put" if option == "call" else "call", dividend_yield=q,
                          runtime=emulated)  # fmt: skip
    call, put = (r, other) if option == "call" else (other, r)
    parity = S * np.exp(-q * T) - K * np.exp(-R * T)
    np.testing.assert_allclose(call["price"] - put["price"], parity, atol=2e-4)


def test_put_rho_is_the_derivative_of_the_put_price(emulated):
    """The kernel returns |rho| for a put; the API returns dV/dr (negative)."""
    s, k, v, r, t = 100.0, 105.0, 0.25, 0.03, 0.75
    put = lambda **kw: _scalar_bs(**{"s": s, "k": k, "v": v, "r": r, "t": t, **kw}, call=False)  # noqa: E731
    h = 1e-4
    res = black_scholes(s, k, v, r, t, option="put", runtime=emulated)
    assert res["rho"][0] == pytest.approx((put(r=r + h) - put(r=r - h)) / (2 * h), rel=1e-4)
    assert res["rho"][0] < 0
    assert res["theta"][0] == pytest.approx(-(put(t=t + h) - put(t=t - h)) / (2 * h), rel=1e-4)

"""Finance inputs: refusals that name the argument and the range, untouched caller arrays,
and Monte-Carlo tolerance runs that stop near the paths they need."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jupyter_ext.library.finance import black_scholes, mc_european
from jupyter_ext.runtime import InvalidArgument

F32_RANGE = (
    r"finite numbers > 0, from 1\.1754944e-38 \(smallest normal float32\) to 3\.4028235e\+38"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1e39, 100, 0.2, 0.05, 1.0), rf"spot: 1e\+39 at index 0 \(allowed: {F32_RANGE}\)"),
        ((100, 100, 0.2, 0.05, 1e-46), rf"time: 1e-46 at index 0 \(allowed: {F32_RANGE}\)"),
        ((100, [1, 2e-39], 0.2, 0.05, 1), r"strike: 2e-39 at index 1 \(allowed: finite numbers"),
        ((100, 100, 0.2, 1e39, 1.0), r"rate: 1e\+39 at index 0 \(allowed: finite numbers from "
                                     r"-3\.4028235e\+38 to 3\.4028235e\+38 \(float32\)\)"),
        ((100, 100, 0.0, 0.05, 1.0), r"volatility: 0\.0 at index 0 \(allowed: finite numbers > 0"),
        (([100, np.inf], 100, 0.2, 0.05, 1.0), r"spot: inf at index 1"),
    ],
)  # fmt: skip
def test_black_scholes_refuses_what_float32_cannot_hold(emulated, args, message):
    with pytest.raises(InvalidArgument, match=message):
        black_scholes(*args, runtime=emulated)


def test_black_scholes_refuses_results_that_overflow_inside_the_kernel(emulated):
    # each input fits float32, but spot * volatility * ... overflows on the way: named, not NaN
    with pytest.raises(InvalidArgument, match=r"option 1 \(spot=3e\+38.*\) gives .* float32"):
        black_scholes([100, 3e38], 1e-30, 1e10, 0.05, 1.0, runtime=emulated)
    with pytest.raises(InvalidArgument, match=r"dividend_yield: -1e\+30 at index 0"):
        black_scholes(100, 100, 0.2, 0.05, 1.0, dividend_yield=-1e30, runtime=emulated)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"samples": 1}, r"samples: 1 \(allowed: 0 to run until required_tolerance is met, "
                         r"or an int from 2 to 134,215,680 \(rounded up to whole batches of 2,048"),
        ({"samples": 3_000_000_000}, r"samples: 3000000000 \(allowed: 0 to run"),
        ({"time_steps": 65536}, r"time_steps: 65536 \(allowed: an int from 1 to 65,535"),
        ({"underlying": 1e39}, r"underlying: 1e\+39 \(allowed: finite numbers > 0"),
        ({"time_to_maturity": 1e-46}, r"time_to_maturity: 1e-46 \(allowed: finite numbers > 0"),
        ({"required_tolerance": 0.0}, r"required_tolerance: 0\.0 \(allowed: finite numbers > 0"),
        ({"seed": (5, 5)}, r"seed: \(5, 5\): both generators would be seeded 5"),
        ({"seed": (7 << 32) | 7}, r"seed: 30064771079: both generators"),
        ({"seed": -1}, r"seed: -1 \(allowed: an int in \[0, 2\*\*64\)"),
    ],
)  # fmt: skip
def test_mc_european_refuses_what_the_kernel_cannot_do(emulated, kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        mc_european(**kwargs, runtime=emulated)


def test_callers_arrays_are_never_modified(emulated, xrt):
    rng = np.random.default_rng(5)
    inputs = {
        "spot": rng.uniform(50, 150, 37).astype(np.float32),  # float32: passed to the kernel as is
        "strike": rng.uniform(50, 150, 37),  # float64: converted
        "volatility": np.float32(0.25),
        "rate": rng.uniform(0, 0.05, 37).astype(np.float32),
        "time": rng.uniform(0.1, 2, 37).astype(np.float32),
        "dividend_yield": rng.uniform(0, 0.05, 37),
    }
    before = {k: np.copy(v) for k, v in inputs.items()}
    for rt in (emulated, xrt):
        for option in ("call", "put"):
            black_scholes(**inputs, option=option, runtime=rt)
    for k, v in inputs.items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def _put_payoff_spread(s0=36.0, k=40.0, r=0.06, vol=0.2, t=1.0) -> float:
    """Standard deviation of the discounted put payoff, from lognormal moments."""
    sd = vol * math.sqrt(t)
    n = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    d0 = (math.log(s0 / k) + (r - vol * vol / 2) * t) / sd

    def below(p: int) -> float:  # E[S^p 1{S < K}]
        m = s0**p * math.exp(p * (r - vol * vol / 2) * t + p * p * vol * vol * t / 2)
        return m - m * n(d0 + p * sd)

    first = k * below(0) - below(1)
    second = below(2) - 2 * k * below(1) + k * k * below(0)
    return math.exp(-r * t) * math.sqrt(second - first * first)


@pytest.mark.parametrize("tolerance", [0.05, 0.02, 0.01])
def test_mc_european_tolerance_mode_stops_within_twice_the_paths_it_needs(emulated, tolerance):
    needed = (_put_payoff_spread() / tolerance) ** 2
    r = mc_european("put", 36.0, 40.0, 0.06, 0.0, 0.20, 1.0, tolerance, runtime=emulated)
    assert r.details["tolerance_met"] and r.details["stderr"] <= tolerance
    assert needed / 2 <= r.details["samples"] <= max(2 * needed, 2048), (needed, r.details)
    assert r.details["samples"] % 2048 == 0  # whole batches, as the kernel runs them


def test_mc_european_tolerance_out_of_reach_is_an_error(emulated):
    with pytest.raises(InvalidArgument, match=r"required_tolerance: 1e-05 was not met within "
                                              r"134,215,680 paths"):  # fmt: skip
        mc_european(required_tolerance=1e-5, runtime=emulated)

"""The emulation computes what the kernels compute: the library's models against independent ports.

The ports (tests/support/kernel_ports_finance.py) are written from the Vitis
sources separately from the library and share no code with it. Where the
kernel is deterministic the models must agree bit for bit; the deviations
measured when these tests were written are pinned below.
"""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_ext.library import mc_american_kernel as american
from jupyter_ext.library.finance import black_scholes
from jupyter_ext.library.finance_bs_kernel import GREEKS, bs_kernel_model
from jupyter_ext.library.mc_european_kernel import mc_euro_k_model
from jupyter_ext.library.mc_rng import (
    KernelStream,
    acklam_f64,
    ppnd7_f32,
    uniform_f32,
    uniform_f64,
)
from tests.support import kernel_ports_finance as port

# Measured: largest difference between bs_kernel_model and the port, in float32 ulps, over
# 4,000 random options (spot 1..1000, strike within a factor 2, vol 2 %..150 %, rate -2 %..15 %,
# 1 day..10 years), calls and puts, all six outputs.
BS_MAX_ULPS = 0
# Measured: largest relative difference of the MCAE_k1 coefficients (LAPACK SVD in the library,
# eigendecomposition in the port), 4 to 64 steps.
CALIBRATION_RTOL = 1e-8


def ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance between float32 values in units in the last place (NaN == NaN)."""

    def ordered(x: np.ndarray) -> np.ndarray:
        i = np.asarray(x, np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)

    d = np.abs(ordered(a) - ordered(b))
    return np.where(np.isnan(a) & np.isnan(b), 0, d)


def random_options(n: int, seed: int) -> tuple[np.ndarray, ...]:
    """(s, v, r, t, k) in the kernel's order, float32."""
    rng = np.random.default_rng(seed)
    s = np.exp(rng.uniform(0, np.log(1000), n))
    k = s * np.exp(rng.uniform(-0.7, 0.7, n))
    v = rng.uniform(0.02, 1.5, n)
    r = rng.uniform(-0.02, 0.15, n)
    t = np.exp(rng.uniform(np.log(1 / 365), np.log(10), n))
    return tuple(a.astype(np.float32) for a in (s, v, r, t, k))


@pytest.mark.parametrize("call", [True, False], ids=["call", "put"])
def test_bs_kernel_model_is_the_kernels_float32_arithmetic(call):
    x = random_options(4000, 1 if call else 2)
    want = port.bs_kernel(*x, call, 4000)
    got = bs_kernel_model(*x, call)
    for g, a, b in zip(GREEKS, got, want, strict=True):
        assert a.dtype == np.float32 and a.shape == (4000,)
        assert int(ulps(a, b).max()) <= BS_MAX_ULPS, g


@pytest.mark.parametrize("option", ["call", "put"])
def test_kernel_units_become_api_units_in_one_place(emulated, option):
    """What the buffers hold (port) -> what users get: vega, rho * 100, theta * 365, put rho < 0."""
    s, v, r, t, k = random_options(64, 3)
    raw = dict(zip(GREEKS, port.bs_kernel(s, v, r, t, k, option == "call", 64), strict=True))
    api = black_scholes(s, k, v, r, t, option=option, runtime=emulated).value
    for g in ("price", "delta", "gamma"):
        np.testing.assert_array_equal(api[g], raw[g], err_msg=g)

    def scaled(x: np.ndarray, by: float) -> np.ndarray:  # one rounding after the exact quotient
        return (x.astype(np.float64) / np.float64(np.float32(by))).astype(np.float32)

    np.testing.assert_array_equal(api["vega"], scaled(raw["vega"], 0.01))
    np.testing.assert_array_equal(api["theta"], scaled(raw["theta"], 1 / 365))
    sign = 1 if option == "call" else -1
    np.testing.assert_array_equal(api["rho"], scaled(raw["rho"], sign * 0.01))
    assert (raw["rho"] >= 0).all()  # cfBSMEngine: a magnitude, for puts too
    np.testing.assert_array_equal(np.sign(api["rho"]), sign * np.sign(raw["rho"]))


@pytest.mark.parametrize("seed", [0, 1, 42, 0xFFFEF232, 0xFFFEF233, 2**32 - 1])
def test_rng_words_follow_the_kernels_seeding(seed):
    """seed + 0x10DCD starts the state unless the seed is above 0xFFFEF232."""
    np.testing.assert_array_equal(
        KernelStream(seed).words(3000), port.MersenneTwister(seed).words(3000)
    )


def test_inverse_normals_are_the_kernels_draw_for_draw():
    edges = np.array([0, 1, 127, 128, 2**31, 2**32 - 129, 2**32 - 128, 2**32 - 1], np.uint32)
    words = np.concatenate([edges, KernelStream(7).words(20_000),
                            np.linspace(0, 2**32 - 1, 5001).astype(np.uint32)])  # fmt: skip
    got = ppnd7_f32(uniform_f32(words))
    want = np.array([port.ppnd7(int(w)) for w in words], np.float32)
    assert int(ulps(got, want).max()) == 0
    # float: a word of 0 or >= 2**32 - 128 becomes a uniform of 0 or 1.0, hence NaN, on the board too
    assert np.isnan(got[[0, 6, 7]]).all() and not np.isnan(got[[1, 5]]).any()
    got64, want64 = acklam_f64(uniform_f64(words)), port.acklam(words.astype(np.uint64))
    np.testing.assert_array_equal(got64, want64)
    np.testing.assert_array_equal(np.isnan(got64), words == 0)  # double: only a uniform of 0


@pytest.mark.parametrize(
    "args",
    [
        (36.0, 0.2, 0.0, 0.06, 1.0, 40.0, True, (1, 10001), 0.02, 2048, 1),
        (100.0, 0.3, 0.02, 0.03, 2.0, 110.0, False, (7, 99), 0.02, 4096, 3),
        (36.0, 0.2, 0.0, 0.06, 1.0, 40.0, True, (5, 6), 0.07, 0, 2),  # tolerance mode
    ],
    ids=["put-1-step", "call-3-steps", "until-tolerance"],
)
def test_mc_euro_k_model_matches_the_port_bit_for_bit(args):
    out, outcome = mc_euro_k_model(*args)
    price, paths = port.mc_euro_k(*args)
    assert out.dtype == np.float32 and out[0] == np.float32(price)
    assert outcome.samples == paths


@pytest.mark.parametrize(
    ("steps", "calib", "samples", "put"),
    [(4, 2048, 4096, True), (6, 4096, 0, False)],
    ids=["put-fixed-samples", "call-until-tolerance"],
)
def test_mc_american_kernels_match_the_port(steps, calib, samples, put):
    s, k, r, q, vol, t = 36.0, 40.0, 0.06, 0.01, 0.25, 1.0
    prices, matrix = american.presample_model(s, vol, r, q, t, k, calib, steps)
    want_prices, want_matrix = port.mcae_k0(s, vol, r, q, t, k, calib, steps)
    np.testing.assert_array_equal(prices, want_prices)
    np.testing.assert_array_equal(matrix, want_matrix)
    (coefs,) = american.calibrate_model(t, r, k, put, prices, matrix, calib, steps)
    want_coefs = port.mcae_k1(t, r, k, put, prices, matrix, calib, steps)
    np.testing.assert_allclose(coefs, want_coefs, rtol=CALIBRATION_RTOL, atol=1e-12)
    out, outcome = american.pricing_model(11111, s, vol, q, r, t, k, put, coefs, 0.02 / s,
                                          samples, steps)  # fmt: skip
    price, paths = port.mcae_k2(11111, s, vol, q, r, t, k, put, coefs, 0.02 / s, samples, steps)
    assert out[0] == price and outcome.samples == paths


def test_mc_american_calibration_reads_back_modulo_16_bits():
    """With 64 steps the kernel's ap_uint<16> offset wraps: both read the same (shifted) paths."""
    steps, calib = 64, 4096
    prices, matrix = american.presample_model(36.0, 0.2, 0.06, 0.0, 1.0, 40.0, calib, steps)
    (coefs,) = american.calibrate_model(1.0, 0.06, 40.0, True, prices, matrix, calib, steps)
    want = port.mcae_k1(1.0, 0.06, 40.0, True, prices, matrix, calib, steps)
    np.testing.assert_allclose(coefs, want, rtol=CALIBRATION_RTOL, atol=1e-12)

"""mc_american: the Vitis MC American engine, against Vitis' own expected values and a binomial tree."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from jupyter_ext.library.finance import last_result, last_runtime, mc_american
from jupyter_ext.runtime import FPGARuntimeError, InvalidArgument, select_runtime
from jupyter_ext.runtime.xrt import XRTBackend

# Longstaff & Schwartz's first case, and the case Vitis' own host code tests
PUT = ("put", 36.0, 40.0, 0.06, 0.0, 0.20, 1.0)


def binomial(put: bool, s, k, r, q, vol, t, steps=2000, exercise_every=1) -> float:
    """Cox-Ross-Rubinstein tree; exercise allowed every ``exercise_every`` steps (Bermudan)."""
    dt = t / steps
    up = math.exp(vol * math.sqrt(dt))
    p = (math.exp((r - q) * dt) - 1 / up) / (up - 1 / up)
    disc = math.exp(-r * dt)

    def payoff(i: int) -> np.ndarray:
        prices = s * up ** (i - 2 * np.arange(i + 1))
        return np.maximum(k - prices, 0) if put else np.maximum(prices - k, 0)

    value = payoff(steps)
    for i in range(steps - 1, 0, -1):
        value = disc * (p * value[:-1] + (1 - p) * value[1:])
        if i % exercise_every == 0:
            value = np.maximum(value, payoff(i))
    return float(disc * (p * value[0] + (1 - p) * value[1]))


def test_vitis_expected_prices(emulated):
    """The L2 benchmark's host expects 3.978 (100 steps) and 4.18 (2 steps), +-0.02.

    Same seeds (11111 x 1, 3, 6, 9), 4096 calibration and 24576 pricing paths. At 100
    steps the kernel's 16-bit read-back offset degrades the exercise rule, which is why
    its answer is far below the option's value (about 4.48): the emulation reproduces it.
    """
    hundred = mc_american(*PUT, samples=24576, time_steps=100, runtime=emulated)
    assert hundred.value == pytest.approx(3.978, abs=0.02)
    two = mc_american(*PUT, samples=24576, time_steps=2, runtime=emulated)
    assert two.value == pytest.approx(4.18, abs=0.02)
    assert hundred.emulated and hundred.details["samples"] == 24576


@pytest.mark.parametrize(
    ("option", "q"), [("put", 0.0), ("call", 0.0), ("call", 0.04)], ids=["put", "call", "call-q"]
)
def test_against_a_bermudan_binomial_tree(emulated, option, q):
    """50 exercise dates, no read-back wrap: within LSM's low bias and 3 standard errors."""
    params = (option, 36.0, 40.0, 0.06, q, 0.20, 1.0)
    r = mc_american(*params, samples=40960, time_steps=50, runtime=emulated)
    want = binomial(option == "put", 36.0, 40.0, 0.06, q, 0.20, 1.0, 2000, exercise_every=40)
    european = binomial(option == "put", 36.0, 40.0, 0.06, q, 0.20, 1.0, 2000, 10**9)
    se = r.details["stderr"]
    assert 0.005 < se < 0.05
    # Longstaff-Schwartz prices with an estimated exercise rule: below the value, up to noise
    assert want - 0.05 - 3 * se < r.value < want + 3 * se, (r.value, want, se)
    if option == "put":
        assert r.value > european + 0.4  # the early-exercise premium is there


def test_tolerance_mode_stops_within_twice_the_paths_it_needs(emulated):
    fixed = mc_american(*PUT, samples=16 * 4096, time_steps=20, runtime=emulated)
    spread = fixed.details["stderr"] * math.sqrt(fixed.details["samples"])  # per-path std dev
    tolerance = 0.01
    needed = (spread / tolerance) ** 2
    r = mc_american(*PUT, tolerance, time_steps=20, runtime=emulated)
    assert r.details["tolerance_met"] and r.details["stderr"] <= tolerance
    assert needed / 2 <= r.details["samples"] <= max(2 * needed, 4096), (needed, r.details)


def test_result_says_emulated_and_keeps_each_kernels_time(xrt):
    """The stand-in board has no MCAE xclbin: all three kernels emulated, with the runtime's reason."""
    r = mc_american(*PUT, time_steps=10, runtime=xrt)
    assert r.emulated and r.backend == "emulated"
    assert r.reason.startswith("MCAE_k0: no xclbin for kernel MCAE_k0") and "MCAE_k2: " in r.reason
    assert "emulated on CPU" in r.label()
    assert r.kernel == "MCAE_k0+MCAE_k1+MCAE_k2"
    kernels = r.details["kernels"]
    assert list(kernels) == ["MCAE_k0", "MCAE_k1", "MCAE_k2"]
    assert r.timings.total == pytest.approx(sum(k["total"] for k in kernels.values()))
    assert last_result() is r and last_runtime() == round(r.timings.total * 1e6)


def test_refused_on_a_board_until_the_runtime_passes_doubles(fake, tmp_path: Path):
    def locate(kernel: str, platform: str) -> Path | None:
        return tmp_path / "mcae.xclbin" if kernel.startswith("MCAE") else None

    rt = select_runtime({}, import_pyxrt=lambda: fake, locator=locate)
    assert isinstance(rt, XRTBackend)
    with pytest.raises(FPGARuntimeError, match="64-bit doubles"):
        mc_american(*PUT, runtime=rt)
    assert not [c for c in fake.CALLS if c[0] == "run"]  # nothing was started


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_steps": 101}, r"time_steps: 101 \(allowed: an even int from 2 to 454"),
        ({"time_steps": 456}, r"time_steps: 456 \(allowed: an even int from 2 to 454"),
        ({"calibration_samples": 3000}, r"calibration_samples: 3000 \(allowed: 2048, 4096"),
        ({"seed": 0}, r"seed: 0 \(allowed: an int from 1"),
        ({"seed": 2**29}, r"seed: 536870912: seed \* \(1, 3, 6, 9\) repeats"),
        ({"samples": 1}, r"samples: 1 \(allowed: 0 to run until required_tolerance is met"),
        ({"samples": 2**27}, r"samples: 134217728 \(allowed: .* to 134,213,632"),
        ({"required_tolerance": 0.0}, r"required_tolerance: 0\.0 \(allowed: finite numbers > 0"),
        ({"volatility": -0.2}, r"volatility: -0\.2 \(allowed: finite numbers > 0"),
        ({"option_type": "bermudan"}, r"option_type: 'bermudan' \(allowed: 'call', 'put'\)"),
    ],
)
def test_bad_input_names_the_argument_and_the_range(emulated, kwargs, message):
    args = dict(zip(("option_type", "underlying", "strike", "risk_free_rate", "dividend_yield",
                     "volatility", "time_to_maturity"), PUT, strict=True))  # fmt: skip
    with pytest.raises(InvalidArgument, match=message):
        mc_american(**{**args, **kwargs}, runtime=emulated)

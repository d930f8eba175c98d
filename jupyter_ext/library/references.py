"""Independent CPU references: what each library function is checked and timed against.

Each is written from the textbook / the library a user would call anyway --
scipy.stats for Black-Scholes, OpenCV for vision (the Vitis testbenches' own
reference calls), the standard library for gzip/zlib, numpy for GEMM -- and
shares no code with the CPU models in the sibling modules.
"""

from __future__ import annotations

import gzip
import math
import zlib
from typing import Any

import numpy as np


def _norm_cdf_pdf() -> tuple[Any, Any, str]:
    try:
        from scipy.stats import norm
    except ImportError:  # the pod image may lack scipy: fall back to math.erf
        erf = np.vectorize(math.erf, otypes=[np.float64])

        def cdf(x: np.ndarray) -> np.ndarray:
            return 0.5 * (1.0 + erf(x / math.sqrt(2.0)))

        def pdf(x: np.ndarray) -> np.ndarray:
            return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)

        return cdf, pdf, "closed form with math.erf (scipy not installed)"
    return norm.cdf, norm.pdf, "closed form with scipy.stats.norm"


def black_scholes_reference(spot, strike, volatility, rate, time, option: str = "call") -> dict:
    """Textbook Black-Scholes price and greeks in double precision."""
    cdf, pdf, _ = _norm_cdf_pdf()
    S, K, V, R, T = (
        np.asarray(a, dtype=np.float64) for a in (spot, strike, volatility, rate, time)
    )
    d1 = (np.log(S / K) + (R + V**2 / 2) * T) / (V * np.sqrt(T))
    d2 = d1 - V * np.sqrt(T)
    disc = np.exp(-R * T)
    common_theta = -S * pdf(d1) * V / (2 * np.sqrt(T))
    if option == "call":
        price = S * cdf(d1) - K * disc * cdf(d2)
        delta = cdf(d1)
        theta = common_theta - R * K * disc * cdf(d2)
        rho = K * T * disc * cdf(d2)
    else:
        price = K * disc * cdf(-d2) - S * cdf(-d1)
        delta = cdf(d1) - 1
        theta = common_theta + R * K * disc * cdf(-d2)
        rho = -K * T * disc * cdf(-d2)
    gamma = pdf(d1) / (S * V * np.sqrt(T))
    vega = S * pdf(d1) * np.sqrt(T)
    return {
        "price": price,
        "delta": delta,
        "gamma": gamma,
        "vega": vega,
        "theta": theta,
        "rho": rho,
    }


def european_closed_form(option_type, underlying, strike, risk_free_rate, dividend_yield,
                         volatility, time_to_maturity) -> float:  # fmt: skip
    """Black-Scholes-Merton price with a continuous dividend yield (math module only)."""
    s, k, r, q, v, t = (
        underlying,
        strike,
        risk_free_rate,
        dividend_yield,
        volatility,
        time_to_maturity,
    )

    def n(x: float) -> float:
        return 0.5 * math.erfc(-x / math.sqrt(2.0))

    d1 = (math.log(s / k) + (r - q + v * v / 2) * t) / (v * math.sqrt(t))
    d2 = d1 - v * math.sqrt(t)
    if option_type == "call":
        return s * math.exp(-q * t) * n(d1) - k * math.exp(-r * t) * n(d2)
    return k * math.exp(-r * t) * n(-d2) - s * math.exp(-q * t) * n(-d1)


def mc_european_reference(option_type, underlying, strike, risk_free_rate, dividend_yield,
                          volatility, time_to_maturity, required_tolerance=0.02, *,
                          samples=0, time_steps=1, seed=42) -> dict:  # fmt: skip
    """A straightforward numpy Monte-Carlo (own generator) plus the closed form.

    ``samples=0`` is read as 2**20 paths (no tolerance loop: the plain version).
    """
    n = int(samples) or 1 << 20
    rng = np.random.default_rng(seed + 1)
    dt = time_to_maturity / time_steps
    z = rng.standard_normal((n, time_steps))
    log_st = np.log(underlying) + np.sum(
        (risk_free_rate - dividend_yield - volatility**2 / 2) * dt + volatility * math.sqrt(dt) * z,
        axis=1,
    )
    st = np.exp(log_st)
    payoff = np.maximum(st - strike, 0) if option_type == "call" else np.maximum(strike - st, 0)
    disc = math.exp(-risk_free_rate * time_to_maturity)
    return {
        "price": disc * float(payoff.mean()),
        "stderr": disc * float(payoff.std(ddof=1)) / math.sqrt(n),
        "closed_form": european_closed_form(
            option_type,
            underlying,
            strike,
            risk_free_rate,
            dividend_yield,
            volatility,
            time_to_maturity,
        ),  # fmt: skip
    }


def gaussian_reference(img, sigma=0.5, ksize=3):
    import cv2

    return cv2.GaussianBlur(img, (ksize, ksize), sigma, sigma, borderType=cv2.BORDER_CONSTANT)


def resize_reference(img, rows, cols):
    import cv2

    return cv2.resize(img, (cols, rows), interpolation=cv2.INTER_LINEAR)


def color_detect_reference(img, low=None, high=None, shape=None):
    """The Vitis colordetect testbench's OpenCV function, call for call."""
    import cv2

    from .vision import DEFAULT_HSV_HIGH, DEFAULT_HSV_LOW

    low = DEFAULT_HSV_LOW if low is None else low
    high = DEFAULT_HSV_HIGH if high is None else high
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    masks = [
        cv2.inRange(hsv, np.array(lo, np.uint8), np.array(hi, np.uint8))
        for lo, hi in zip(low, high, strict=True)
    ]
    rng = masks[0]
    for m in masks[1:]:
        rng = rng | m
    element = (
        cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
        if shape is None
        else np.asarray(shape, np.uint8).reshape(3, 3)
    )
    dst = cv2.erode(rng, element, iterations=1, borderType=cv2.BORDER_CONSTANT)
    dst = cv2.dilate(dst, element, iterations=1, borderType=cv2.BORDER_CONSTANT)
    dst = cv2.dilate(dst, element, iterations=1, borderType=cv2.BORDER_CONSTANT)
    return cv2.erode(dst, element, iterations=1, borderType=cv2.BORDER_CONSTANT)


def stereo_bm_reference(left, right, pre_filter_cap=31, uniqueness_ratio=15, texture_threshold=20,
                        min_disparity=0, num_disparities=32, block_size=11):  # fmt: skip
    """The Vitis stereolbm testbench's OpenCV reference, negatives (invalid) set to 0."""
    import cv2

    bm = cv2.StereoBM_create(num_disparities, block_size)
    bm.setPreFilterCap(pre_filter_cap)
    bm.setUniquenessRatio(uniqueness_ratio)
    bm.setTextureThreshold(texture_threshold)
    bm.setMinDisparity(min_disparity)
    disp = bm.compute(left, right)
    return np.where(disp < 0, 0, disp).astype(np.uint16)


def gzip_reference(data) -> bytes:
    return gzip.compress(memoryview(data), compresslevel=1)


def zlib_reference(data) -> bytes:
    return zlib.compress(memoryview(data), 1)


def gemm_reference(a, b, bias=None):
    c = np.matmul(np.asarray(a, np.float32), np.asarray(b, np.float32))
    return c if bias is None else c + np.asarray(bias, np.float32)

"""Independent CPU references: what each library function is checked and timed against.

Each is written from the textbook / the fastest library a user would call
anyway for the same math -- ``scipy.special.ndtr`` for Black-Scholes (a numpy
erfc without scipy), OpenCV for vision (the Vitis testbenches' own reference
calls), zlib for gzip/zlib, numpy's matmul for GEMM -- and shares no code with
the CPU models in the sibling modules. ``%fpga bench`` times against these, so
"fastest" matters: a slow reference would flatter whatever it is compared with.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable

import numpy as np

# Numerical Recipes' erfcc: fractional error below 1.2e-7 everywhere. Only for pods without
# scipy; a different approximation from the kernel's Abramowitz & Stegun 7.1.26.
_ERFC = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
         -1.13520398, 1.48851587, -0.82215223, 0.17087277)  # fmt: skip
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _ndtr_numpy(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF from a numpy erfc (scipy.special.ndtr's job, without scipy)."""
    z = np.abs(x) / _SQRT2
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.full_like(t, _ERFC[-1])
    for c in _ERFC[-2::-1]:  # Horner, 9 coefficients
        poly = poly * t + c
    erfc = t * np.exp(-z * z + poly)
    half = 0.5 * erfc  # N(-|x|)
    return np.where(x < 0, half, 1.0 - half)


def _pdf(x: np.ndarray) -> np.ndarray:
    return _INV_SQRT_2PI * np.exp(-0.5 * x * x)


Ufunc = Callable[[np.ndarray], np.ndarray]


def _norm_cdf_pdf() -> tuple[Ufunc, Ufunc, str]:
    """The fastest accurate normal CDF here: scipy.special.ndtr, else a numpy erfc."""
    try:
        from scipy.special import ndtr
    except ImportError:  # the pod image may lack scipy
        return _ndtr_numpy, _pdf, "Black-Scholes closed form (numpy erfc; scipy not installed)"
    return ndtr, _pdf, "Black-Scholes closed form (scipy.special.ndtr)"


def black_scholes_reference_name() -> str:
    """What :func:`black_scholes_reference` computes with here (scipy or the numpy fallback)."""
    return _norm_cdf_pdf()[2]


def black_scholes_reference(spot, strike, volatility, rate, time, option: str = "call") -> dict:
    """Textbook Black-Scholes price and greeks in double precision, each term computed once.

    The normal CDF is ``scipy.special.ndtr`` (2.4x faster than ``scipy.stats.norm.cdf``
    for the same values), and a put's tails use ``N(-d)`` directly, not ``1 - N(d)``.
    """
    cdf, pdf, _ = _norm_cdf_pdf()
    S, K, V, R, T = (
        np.asarray(a, dtype=np.float64) for a in (spot, strike, volatility, rate, time)
    )
    sqrt_t = np.sqrt(T)
    v_sqrt_t = V * sqrt_t
    d1 = (np.log(S / K) + (R + 0.5 * V * V) * T) / v_sqrt_t
    d2 = d1 - v_sqrt_t
    k_disc = K * np.exp(-R * T)
    pdf_d1 = pdf(d1)
    s_pdf = S * pdf_d1
    decay = -s_pdf * V / (2.0 * sqrt_t)
    if option == "call":
        n1, n2 = cdf(d1), cdf(d2)
        price = S * n1 - k_disc * n2
        delta = n1
        theta = decay - R * k_disc * n2
        rho = T * k_disc * n2
    else:
        m1, m2 = cdf(-d1), cdf(-d2)
        price = k_disc * m2 - S * m1
        delta = -m1
        theta = decay + R * k_disc * m2
        rho = -T * k_disc * m2
    return {
        "price": price,
        "delta": delta,
        "gamma": pdf_d1 / (S * v_sqrt_t),
        "vega": s_pdf * sqrt_t,
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
    """zlib's deflate at level 1 with the gzip wrapper (CRC-32 included), in one C call."""
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)  # wbits 31: the gzip wrapper (any Python)
    return comp.compress(memoryview(data)) + comp.flush()


def zlib_reference(data) -> bytes:
    return zlib.compress(memoryview(data), 1)


def gemm_reference(a, b, bias=None):
    c = np.matmul(np.asarray(a, np.float32), np.asarray(b, np.float32))
    return c if bias is None else c + np.asarray(bias, np.float32)

"""CPU model of ``bs_kernel`` (Vitis CFBlackScholes): ``cfBSMEngine<float>`` with ``q = 0``.

Read from Vitis_Libraries/quantitative_finance: the L2 kernel
``tests/CFBlackScholes/src/kernel/bs_kernel.cpp`` and the engine
``include/xf_fintech/cf_bsm.hpp``. What the kernel leaves in its buffers:

* Inputs and outputs are float32, read and written 16 to a 512-bit bus word;
  the kernel processes ``num / 16`` whole words (a ``num`` that is not a
  multiple of 16 leaves the dataflow waiting for data that never comes).
* Every operation is a float32 operation, in the order the engine writes it
  (float literals such as ``0.5f`` are float32; ``1.0 - phi`` is computed in
  double and stored, which rounds like a float32 subtraction).
* The normal CDF is Abramowitz & Stegun 7.1.26 (absolute error up to about
  1.5e-7 in erf), not an exact ``erf``.
* Units: vega and rho are multiplied by ``PERCENTAGE_SCALE`` (0.01f: per
  percentage point), theta by ``ANNUALIZED_SCALE`` (float32 of 1/365: per
  day); a put's rho is ``+0.01 * t * K * exp(-r t) * N(-d2)``, positive.
* ``bs_kernel`` passes ``q = 0`` to the engine; the L2 kernel has no
  dividend input.

This model evaluates the same float32 operations in the same order with
numpy. ``exp`` and ``log`` are computed in float64 and rounded once to
float32 (correctly rounded); ``sqrt`` and the arithmetic are IEEE float32.
The FPGA's ``hls::expf``/``hls::logf`` may differ from correctly rounded
results by an ulp, which then propagates. No fused multiply-adds are formed
(Vitis HLS keeps float multiplies and adds separate unless asked).
"""

from __future__ import annotations

import numpy as np

GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho")
WORD_FLOATS = 16  # float32 values per 512-bit bus word

_f = np.float32
SQRT2_RECIP = _f(0.70710678118654752440084436210485)
SQRT_2PI = _f(2.506628274631000502415765284811)
SQRT_2PI_RECIP = _f(0.39894228040143267793994605993438)
ANNUALIZED_SCALE = _f(0.00273972602739726027397260273973)
PERCENTAGE_SCALE = _f(0.01)
_AS = tuple(map(_f, (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)))
_AS_P = _f(0.3275911)
_ONE, _HALF, _ZERO = _f(1.0), _f(0.5), _f(0.0)

# The same padding option everywhere: a well-conditioned one, so pad lanes compute nothing odd.
PAD_OPTION = {"s": 1.0, "v": 0.25, "r": 0.0, "t": 1.0, "k": 1.0}


def padded_length(n: int) -> int:
    """``n`` rounded up to whole bus words."""
    return -(-n // WORD_FLOATS) * WORD_FLOATS


def pad_to_words(arr: np.ndarray, fill: float) -> np.ndarray:
    """A new float32 array: ``arr`` followed by ``fill`` up to whole bus words."""
    n = arr.shape[0]
    out = np.full(padded_length(n), fill, np.float32)
    out[:n] = arr
    return out


def _exp(x: np.ndarray) -> np.ndarray:
    return np.exp(x.astype(np.float64)).astype(np.float32)


def _log(x: np.ndarray) -> np.ndarray:
    return np.log(x.astype(np.float64)).astype(np.float32)


def phi(x: np.ndarray) -> np.ndarray:
    """``internal::phi``: the engine's normal CDF, float32, in its operation order."""
    sign = np.where(x < _ZERO, _f(-1.0), _ONE)
    ax = SQRT2_RECIP * np.abs(x)
    t = _ONE / (_ONE + _AS_P * ax)
    a1, a2, a3, a4, a5 = _AS
    poly = (((a5 * t + a4) * t + a3) * t + a2) * t + a1
    y = _ONE - poly * t * _exp(-ax * ax)
    return _HALF * (_ONE + sign * y)


def bs_kernel_model(
    s: np.ndarray, v: np.ndarray, r: np.ndarray, t: np.ndarray, k: np.ndarray, call: bool
) -> list[np.ndarray]:
    """The six float32 output buffers, in kernel units, for float32 input vectors."""
    with np.errstate(all="ignore"):  # out-of-range inputs are refused before; keep IEEE results
        q = _ZERO  # bs_kernel's engine call passes q = 0
        sqrt_t = np.sqrt(t)
        sqrt_t_recip = _ONE / sqrt_t
        v_sqrt_t = v * sqrt_t
        d1 = (_log(s / k) + ((r - q) + _HALF * v * v) * t) / v_sqrt_t
        d2 = d1 - v_sqrt_t
        exp_d1n_sq_div2 = _exp(-_HALF * d1 * d1)
        pdf_d1 = SQRT_2PI_RECIP * exp_d1n_sq_div2
        phi_d1 = phi(d1)
        phi_d2 = phi(d2)
        exp_qt = _exp(-q * t)
        exp_rt = _exp(-r * t)
        k_exp_rt = k * exp_rt
        theta_x = -_HALF * sqrt_t_recip * v * s * exp_qt * pdf_d1
        if call:
            delta = exp_qt * phi_d1
            s_delta = s * delta
            k_exp_rt_phi = k_exp_rt * phi_d2
            price = s_delta - k_exp_rt_phi
            theta = ANNUALIZED_SCALE * ((theta_x + q * s_delta) - r * k_exp_rt_phi)
        else:
            delta = -exp_qt * (_ONE - phi_d1)
            s_delta = s * delta
            k_exp_rt_phi = k_exp_rt * (_ONE - phi_d2)
            price = s_delta + k_exp_rt_phi
            theta = ANNUALIZED_SCALE * ((theta_x + q * s_delta) + r * k_exp_rt_phi)
        rho = PERCENTAGE_SCALE * t * k_exp_rt_phi
        gamma = exp_qt * exp_d1n_sq_div2 / (s * v * sqrt_t * SQRT_2PI)
        vega = PERCENTAGE_SCALE * s * exp_qt * sqrt_t * pdf_d1
        return [np.asarray(a, np.float32) for a in (price, delta, gamma, vega, theta, rho)]

"""CPU models of Vitis' Monte-Carlo American engine: ``MCAE_k0``, ``MCAE_k1``, ``MCAE_k2``.

Read from Vitis_Libraries/quantitative_finance: the L2 benchmark
``MCAmericanEngineMultiKernel`` (kernels ``MCAE_k0/k1/k2``, ``MCAE_kernel.hpp``),
``xf_fintech/mc_engine.hpp`` (``MCAmericanEnginePreSamples``, ``...Calibrate``,
``...Pricing``), ``early_exercise.hpp``, ``path_pricer.hpp``
(``LongstaffSchwartz``) and ``mc_simulation.hpp``. Everything is float64
(``TEST_DT`` is ``double``). Longstaff-Schwartz in three kernels:

1. **Pre-sample** (``MCAE_k0``): 2 modules (seeds 123456 and 567890, fixed in
   the kernel) simulate ``calibSamples`` paths in ``calibSamples / 2048``
   rounds of 1024 paths each; for every step they store the prices
   (word ``round*steps*1024 + step*1024 + path`` holds both modules' prices)
   and accumulate the regression's normal matrix on the paths where the
   *put* payoff ``K - S`` is positive (the kernel uses the put payoff here
   for calls too), over the basis ``(1, S/K, (S/K)**2, payoff)``.
2. **Calibrate** (``MCAE_k1``): walks back from maturity: each step's
   realised cash flows (exercise where the previous step's regression says
   so) are discounted one step and regressed, through a 4x4 SVD
   pseudo-inverse (singular values below 1e-10 dropped), giving 4
   coefficients per step, written from step ``steps-2`` down to 0.
   Quirk kept: the price read-back index ``steps*1024`` is an
   ``ap_uint<16>``, so for ``steps >= 64`` the second and later rounds are
   read from offsets modulo 65536.
3. **Price** (``MCAE_k2``): 4 modules seeded ``seed, 3*seed, 6*seed, 9*seed``
   price fresh paths in units of the underlying, exercising at the first
   step where the payoff is positive and beats the regression's
   continuation value; batches of 4096 paths under :mod:`.mc_simulation`.

Where we do not follow the source operation by operation: the 4x4 SVD is
LAPACK's (``numpy.linalg.svd``) rather than the kernel's Jacobi SVD; both
give the pseudo-inverse solution, which agrees to rounding except for
singular values at the 1e-10 cut-off. The second module's coefficients in the
first backward step are uninitialised in the kernel; we take them as 0 (the
first module's are), i.e. exercise at maturity when in the money.
"""

from __future__ import annotations

import numpy as np

from .mc_rng import KernelStream
from .mc_simulation import PATHS_PER_MODULE, MCOutcome, simulate

PRESAMPLE_SEEDS = (123456, 567890)  # fixed in MCAE_k0
PRESAMPLE_MODULES = 2  # UN_K1
PRICING_MODULES = 4  # UN_K3
PRICING_BATCH = PRICING_MODULES * PATHS_PER_MODULE
COEFS = 4
TERMS = 9  # 3 * (COEFS - 1) accumulated products per step
CALIBRATION_ROUND = PRESAMPLE_MODULES * PATHS_PER_MODULE
SVD_THRESHOLD = 1e-10
_PARTIALS = 16


def pricing_seeds(seed: int) -> tuple[int, ...]:
    """``MCAE_k2``'s module seeds: ``seed * (1, 3, 6, 9)`` in 32-bit unsigned arithmetic."""
    return tuple((int(seed) * m) & 0xFFFFFFFF for m in (1, 3, 6, 9))


def _bs_step(vol: float, r: float, q: float, dt: float) -> tuple[float, float]:
    """``BSModel``: (drift, stdDev) per step, in the kernel's operation order."""
    var = (vol * vol) * dt
    return (r - q) * dt - 0.5 * var, float(np.sqrt(var))


def _partial_sums(values: np.ndarray) -> np.ndarray:
    """16 interleaved running sums over the last axis (element ``j`` into partial ``j % 16``)."""
    shape = values.shape[:-1] + (values.shape[-1] // _PARTIALS, _PARTIALS)
    return np.cumsum(values.reshape(shape), axis=-2)[..., -1, :]


def _sum_in_order(values: np.ndarray) -> np.ndarray:
    """``0 + v[0] + v[1] + ...`` over the last axis, one addition at a time."""
    return np.cumsum(values, axis=-1)[..., -1]


# --- MCAE_k0 ------------------------------------------------------------------------------


def presample_model(underlying: float, volatility: float, rate: float, dividend: float,
                    time: float, strike: float, calib_samples: int, steps: int,
                    ) -> list[np.ndarray]:  # fmt: skip
    """``pOut`` (rounds*steps*1024, 2) and ``mOut`` (steps*9,) as MCAE_k0 leaves them."""
    rounds = calib_samples // CALIBRATION_ROUND
    drift, std_dev = _bs_step(volatility, rate, dividend, time / steps)
    inv_strike = 1.0 / strike
    prices = np.empty((rounds, steps, PATHS_PER_MODULE, PRESAMPLE_MODULES))
    matrix = np.zeros((steps, TERMS))
    streams = [KernelStream(s) for s in PRESAMPLE_SEEDS]
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(rounds):
            per_module = []
            for m, stream in enumerate(streams):
                dw = stream.normals_f64(steps * PATHS_PER_MODULE).reshape(steps, -1)
                ratio = np.exp(np.cumsum(drift + dw * std_dev, axis=0))  # running log, per step
                s = underlying * ratio
                prices[k, :, :, m] = s
                x = (ratio * underlying) * inv_strike
                gain = strike - s
                ex = np.where(gain > 0, gain, 0.0)
                x2 = x * x
                terms = np.stack([np.ones_like(x), x, x2, x * x2, x2 * x2, ex, x * ex, x2 * ex,
                                  ex * ex], axis=-1)  # fmt: skip
                terms = np.where((ex > 0)[..., None], terms, 0.0)  # (steps, 1024, 9)
                partial = _partial_sums(np.moveaxis(terms, -1, 1))  # (steps, 9, 16)
                per_module.append(_sum_in_order(partial))  # MergeBuff: (steps, 9)
            merged = per_module[0]
            for extra in per_module[1:]:
                merged = merged + extra  # MergeMatrixUN: (0 + m0) + m1
            matrix = matrix + merged  # MergeMatrixIter: across rounds
    return [prices.reshape(-1, PRESAMPLE_MODULES), matrix.reshape(-1)]


# --- MCAE_k1 ------------------------------------------------------------------------------


def _read_back(prices: np.ndarray, rounds: int, steps: int) -> np.ndarray:
    """``readin_ddr``: per step, both modules' ``rounds*1024`` prices, with the 16-bit offset."""
    stride = (steps * PATHS_PER_MODULE) & 0xFFFF  # ap_uint<16> batch = steps * 1024
    j = np.arange(rounds)[:, None] * stride + np.arange(PATHS_PER_MODULE)[None, :]
    idx = np.arange(steps)[:, None] * PATHS_PER_MODULE + j.reshape(1, -1)  # (steps, paths)
    return np.moveaxis(prices[idx], -1, 1)  # (steps, modules, paths)


def _normal_matrix(ata: np.ndarray) -> np.ndarray:
    """``SVDDec``'s A from the 9 accumulated terms."""
    a = np.empty((COEFS, COEFS))
    for m in range(COEFS - 1):
        for n in range(COEFS - 1):
            a[m, n] = ata[m + n]
    for m in range(COEFS):
        a[m, COEFS - 1] = a[COEFS - 1, m] = ata[2 * (COEFS - 1) - 1 + m]
    return a


def _solve(ata: np.ndarray, aty: np.ndarray) -> np.ndarray:
    """``CalcLinear``: ``V diag(1/s) U^T y`` with s <= 1e-10 dropped, summed in the kernel's order."""
    u, s, vt = np.linalg.svd(_normal_matrix(ata))
    with np.errstate(divide="ignore"):
        s_inv = np.where(s > SVD_THRESHOLD, 1.0 / s, 0.0)
    coef = np.zeros(COEFS)
    for i in range(COEFS):
        product = _sum_in_order(u[:, i] * aty)
        coef = coef + vt[i, :] * (product * s_inv[i])
    return coef


def _tree_sum16(partials: np.ndarray) -> np.ndarray:
    """``GenAty``'s merge of its 16 partials: 16 -> 8 -> 4, then (p0 + p1) + (p2 + p3)."""
    p = partials[..., :8] + partials[..., 8:]
    p = p[..., :4] + p[..., 4:]
    return (p[..., 0] + p[..., 1]) + (p[..., 2] + p[..., 3])


def calibrate_model(time: float, rate: float, strike: float, put: bool, prices: np.ndarray,
                    matrix: np.ndarray, calib_samples: int, steps: int) -> list[np.ndarray]:  # fmt: skip
    """``coefOut`` (max(steps-1, 1), 4) as MCAE_k1 leaves it: row n is step ``steps-2-n``."""
    rounds = calib_samples // CALIBRATION_ROUND
    dt = time / steps
    inv_strike = 1 / strike
    discount = float(np.exp(-1.0 * rate * dt))
    by_step = _read_back(np.asarray(prices, np.float64), rounds, steps)  # (steps, 2, paths)
    ata = np.asarray(matrix, np.float64).reshape(steps, TERMS)
    out = np.zeros((max(steps - 1, 1), COEFS))

    def payoff(s: np.ndarray) -> np.ndarray:
        gain = strike - s if put else s - strike
        return np.where(gain > 0, gain, 0.0)

    y = np.zeros(by_step.shape[1:])
    previous = by_step[steps - 1]
    coef = np.zeros(COEFS)  # module 1's are uninitialised in the kernel: taken as 0 too
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(steps - 2, -1, -1):
            s = by_step[i]
            x = s * inv_strike
            ex = payoff(s)
            ex_prev = payoff(previous)
            xp = previous * inv_strike
            cont = (coef[0] + coef[1] * xp) + (coef[2] * (xp * xp) + coef[3] * ex_prev)
            y = np.where((ex_prev > 0) & (cont < ex_prev), ex_prev, y) * discount
            terms = np.stack([y, y * x, y * (x * x), y * ex], axis=1)  # (2, 4, paths)
            terms = np.where((ex > 0)[:, None, :], terms, 0.0)
            per_module = _tree_sum16(_partial_sums(terms))  # (2, 4)
            aty = (0.0 + per_module[0]) + per_module[1]
            coef = _solve(ata[i], aty)
            out[steps - 2 - i] = coef
            previous = s
    return [out]


# --- MCAE_k2 ------------------------------------------------------------------------------


class _LongstaffSchwartzPricer:
    """Discounted prices (in units of the underlying) of consecutive pricing batches, in write order."""

    def __init__(self, seed: int, underlying: float, volatility: float, dividend: float,
                 rate: float, time: float, strike: float, put: bool, coefs: np.ndarray,
                 steps: int) -> None:  # fmt: skip
        dt = time / steps
        self.drift, self.std_dev = _bs_step(volatility, rate, dividend, dt)
        self.recip_underlying = 1.0 / underlying
        self.strike = strike / underlying
        self.recip_strike = 1.0 / self.strike
        self.risk_const = -(rate * dt)
        self.risk_rate = float(np.exp(self.risk_const * steps))
        self.put, self.steps = put, steps
        self.coefs = np.asarray(coefs, np.float64).reshape(-1, COEFS)
        self.streams = [KernelStream(s) for s in pricing_seeds(seed)]

    def __call__(self, first_batch: int, count: int) -> np.ndarray:
        steps = self.steps
        dw = np.stack([st.normals_f64(count * steps * PATHS_PER_MODULE).reshape(count, steps, -1)
                       for st in self.streams], axis=1)  # (count, modules, steps, paths)  # fmt: skip
        shape = (count, PRICING_MODULES, PATHS_PER_MODULE)
        price = np.zeros(shape)
        when = np.full(shape, steps - 1)
        stopped = np.zeros(shape, bool)
        log_s = np.zeros(shape)
        with np.errstate(over="ignore", invalid="ignore"):
            for i in range(steps):
                log_s = log_s + (self.drift + dw[:, :, i, :] * self.std_dev)
                path = np.exp(log_s)
                gain = self.strike - path if self.put else path - self.strike
                ex = np.where(gain > 0, gain, 0.0)
                if i == steps - 1:
                    price = np.where(stopped, price, ex * self.risk_rate)
                    break
                c0, c1, c2, c3 = self.coefs[steps - i - 2]
                reg = path * self.recip_strike
                cont = ((c0 + c1 * reg) + (c2 * reg) * reg) * self.recip_underlying + c3 * ex
                now = ~stopped & (ex > 0.0) & (cont < ex)
                price = np.where(now, ex * np.exp(self.risk_const * (i + 1.0)), price)
                when = np.where(now, i, when)
                stopped |= now
        # the pricer writes a path's price at its exercise step: order by (step, path)
        order = np.argsort(when * PATHS_PER_MODULE + np.arange(PATHS_PER_MODULE), axis=-1)
        return np.take_along_axis(price, order, axis=-1)


def pricing_model(seed: int, underlying: float, volatility: float, dividend: float, rate: float,
                  time: float, strike: float, put: bool, coefs: np.ndarray, tolerance: float,
                  samples: int, steps: int) -> tuple[np.ndarray, MCOutcome]:  # fmt: skip
    """``outputs[0]`` as MCAE_k2 leaves it (the price), and how its simulation ended."""
    pricer = _LongstaffSchwartzPricer(seed, underlying, volatility, dividend, rate, time, strike,
                                      put, coefs, steps)  # fmt: skip
    outcome = simulate(pricer, PRICING_MODULES, np.float64, required_samples=samples,
                       tolerance=tolerance, chunk_paths=max(PRICING_BATCH, (1 << 22) // steps))  # fmt: skip
    return np.array([outcome.mean * underlying]), outcome

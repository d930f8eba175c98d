"""Independent ports of the Vitis finance kernels, for checking the library's CPU models.

Written from Vitis_Libraries/quantitative_finance (``cf_bsm.hpp``, ``rng.hpp``,
``mc_engine.hpp``, ``mc_simulation.hpp``, ``bs_model.hpp``, ``path_pricer.hpp``,
``early_exercise.hpp``, the L2 kernels ``bs_kernel``, ``mc_euro_k``,
``MCAE_k0/k1/k2``) and deliberately shaped differently from
``jupyter_ext.library`` (which this module never imports): float32 is
emulated by rounding every double result to float32 with ``struct``
(exact for + - * / and sqrt; exp/log are rounded once from libm's double),
loops follow the kernels' loops, the Mersenne Twister is written out, and
the 4x4 pseudo-inverse uses an eigendecomposition instead of an SVD.
Slow by design: use small inputs.
"""

from __future__ import annotations

import math
import struct

import numpy as np

# --- float32 arithmetic, one rounding per operation -----------------------------------------

_PACK = struct.Struct("<f")


def f32(x: float) -> float:
    """Round a double to the nearest float32 (ties to even); overflow gives +-inf."""
    try:
        return _PACK.unpack(_PACK.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def expf(x: float) -> float:
    try:
        return f32(math.exp(x))
    except OverflowError:
        return math.inf


def logf(x: float) -> float:
    if x == 0:
        return -math.inf
    return f32(math.log(x)) if x > 0 else math.nan


# --- cfBSMEngine<float> and bs_kernel -----------------------------------------------------------

_A1, _A2, _A3, _A4, _A5 = (f32(c) for c in (0.254829592, -0.284496736, 1.421413741,
                                            -1.453152027, 1.061405429))  # fmt: skip
_P = f32(0.3275911)
_SQRT2_RECIP = f32(0.70710678118654752440084436210485)
_SQRT_2PI = f32(2.506628274631000502415765284811)
_SQRT_2PI_RECIP = f32(0.39894228040143267793994605993438)
_ANNUALIZED = f32(0.00273972602739726027397260273973)
_PERCENTAGE = f32(0.01)


def _phi(xin: float) -> float:
    sign = -1.0 if xin < 0.0 else 1.0
    x = f32(_SQRT2_RECIP * abs(xin))
    t = f32(1.0 / f32(1.0 + f32(_P * x)))
    acc = f32(f32(_A5 * t) + _A4)
    acc = f32(f32(acc * t) + _A3)
    acc = f32(f32(acc * t) + _A2)
    acc = f32(f32(acc * t) + _A1)
    y = f32(1.0 - f32(f32(acc * t) * expf(f32(-x * x))))
    return f32(0.5 * f32(1.0 + f32(sign * y)))


def cf_bsm_engine(s: float, v: float, r: float, t: float, k: float, q: float, call: bool) -> tuple:
    """One option: (price, delta, gamma, vega, theta, rho) as float32 values, in kernel units."""
    sqrt_t = f32(math.sqrt(t))
    sqrt_t_recip = f32(1.0 / sqrt_t)
    num = f32(logf(f32(s / k)) + f32(f32(f32(r - q) + f32(f32(0.5 * v) * v)) * t))
    den = f32(v * sqrt_t)
    d1 = f32(num / den)
    d2 = f32(d1 - den)
    e = expf(f32(f32(-0.5 * d1) * d1))
    pdf_d1 = f32(_SQRT_2PI_RECIP * e)
    phi_d1, phi_d2 = _phi(d1), _phi(d2)
    exp_qt = expf(f32(-q * t))
    k_exp_rt = f32(k * expf(f32(-r * t)))
    theta_x = f32(f32(f32(f32(f32(-0.5 * sqrt_t_recip) * v) * s) * exp_qt) * pdf_d1)
    if call:
        delta = f32(exp_qt * phi_d1)
        s_delta = f32(s * delta)
        kp = f32(k_exp_rt * phi_d2)
        price = f32(s_delta - kp)
        theta = f32(_ANNUALIZED * f32(f32(theta_x + f32(q * s_delta)) - f32(r * kp)))
    else:
        delta = f32(-exp_qt * f32(1.0 - phi_d1))
        s_delta = f32(s * delta)
        kp = f32(k_exp_rt * f32(1.0 - phi_d2))
        price = f32(s_delta + kp)
        theta = f32(_ANNUALIZED * f32(f32(theta_x + f32(q * s_delta)) + f32(r * kp)))
    rho = f32(f32(_PERCENTAGE * t) * kp)
    gamma = f32(f32(exp_qt * e) / f32(f32(f32(s * v) * sqrt_t) * _SQRT_2PI))
    vega = f32(f32(f32(f32(_PERCENTAGE * s) * exp_qt) * sqrt_t) * pdf_d1)
    return price, delta, gamma, vega, theta, rho


def bs_kernel(s, v, r, t, k, call: bool, num: int) -> list[np.ndarray]:
    """bs_kernel's six output buffers: ``num // 16`` words of 16 options, engine with q = 0."""
    n = num // 16 * 16
    rows = [cf_bsm_engine(float(s[i]), float(v[i]), float(r[i]), float(t[i]), float(k[i]), 0.0,
                          call) for i in range(n)]  # fmt: skip
    return [np.array([row[g] for row in rows], np.float32) for g in range(6)]


# --- MT19937 with the kernel's seeding ----------------------------------------------------------


class MersenneTwister:
    """MT19937 whose first state word is ``seed + 0x10DCD`` (unless that would pass 2**32)."""

    def __init__(self, seed: int) -> None:
        x = seed + 0x10DCD if seed <= 0xFFFFFFFF - 0x10DCD else seed
        state = [x]
        for i in range(1, 624):
            x = (1812433253 * (x ^ (x >> 30)) + i) & 0xFFFFFFFF
            state.append(x)
        self.mt = np.array(state, np.uint64)
        self.index = 624

    def _twist(self) -> None:
        mt = self.mt
        for lo, hi in ((0, 227), (227, 454), (454, 623), (623, 624)):  # inputs ready per slice
            idx = np.arange(lo, hi)
            y = (mt[idx] & 0x80000000) | (mt[(idx + 1) % 624] & 0x7FFFFFFF)
            mt[idx] = (
                mt[(idx + 397) % 624]
                ^ (y >> 1)
                ^ np.where(y & 1, np.uint64(0x9908B0DF), np.uint64(0))
            )
        self.index = 0

    def words(self, n: int) -> np.ndarray:
        out = np.empty(n, np.uint64)
        filled = 0
        while filled < n:
            if self.index == 624:
                self._twist()
            take = min(n - filled, 624 - self.index)
            y = self.mt[self.index : self.index + take].copy()
            y ^= y >> 11
            y ^= (y << 7) & 0x9D2C5680
            y ^= (y << 15) & 0xEFC60000
            y ^= y >> 18
            out[filled : filled + take] = y & 0xFFFFFFFF
            self.index += take
            filled += take
        return out


# --- inverse normals ----------------------------------------------------------------------------


def ppnd7(word: int) -> float:
    """MT19937IcnRng<float>::next for one 32-bit word: AS241 PPND7 in float32."""
    u = f32(word / 2.0**32)
    if f32(0.075) <= u <= f32(0.925):  # center: not (input < x_low || input > x_high)
        z = f32(u - 0.5)
        r = f32(f32(0.180625) - f32(z * z))
        p = (3.3871327179e00, 5.0434271938e01, 1.5929113202e02, 5.9109374720e01)
        qs = (1.7895169469e01, 7.8757757664e01, 6.7187563600e01)
        a = f32(f32(f32(f32(f32(f32(f32(p[3]) * r) + f32(p[2])) * r) + f32(p[1])) * r) + f32(p[0]))
        b = f32(f32(f32(f32(f32(qs[2]) * r) + f32(qs[1])) * r) + f32(qs[0]))
        return f32(f32(a * z) / f32(f32(b * r) + 1.0))
    lower = u < f32(0.075)
    zt = u if lower else f32(1.0 - u)
    tmp = f32(math.sqrt(-logf(zt))) if zt > 0 else math.inf
    if tmp < 5.0:
        r = f32(tmp - f32(1.6))
        p = (1.4234372777e00, 2.7568153900e00, 1.3067284816e00, 1.7023821103e-01)
        d = (7.3700164250e-01, 1.2021132975e-01)
    else:
        r = f32(tmp - 5.0)
        p = (6.6579051150e00, 3.0812263860e00, 4.2868294337e-01, 1.7337203997e-02)
        d = (2.4197894225e-01, 1.2258202635e-02)
    a = f32(f32(f32(f32(f32(f32(f32(p[3]) * r) + f32(p[2])) * r) + f32(p[1])) * r) + f32(p[0]))
    b = f32(f32(f32(f32(f32(d[1]) * r) + f32(d[0])) * r) + 1.0)
    value = f32(a / b)  # inf / inf is NaN, as on the board
    return -value if lower else value


_AK = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
       -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
_BK = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
       -1.328068155288572e01)  # fmt: skip
_CK = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
       -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
_DK = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)


def acklam(words: np.ndarray) -> np.ndarray:
    """MT19937IcnRng<double>::next for an array of words (Acklam, float64), branch by branch."""
    u = words.astype(np.float64) / 2.0**32
    out = np.empty_like(u)
    mid = (u >= 0.02425) & (u <= 1.0 - 0.02425)
    z = u[mid] - 0.5
    r = z * z
    a = _AK[0] * r + _AK[1]
    for c in _AK[2:]:
        a = a * r + c
    b = _BK[0] * r + _BK[1]
    for c in _BK[2:]:
        b = b * r + c
    out[mid] = a * z / (b * r + 1)
    lo, hi = u < 0.02425, u > 1.0 - 0.02425
    with np.errstate(divide="ignore", invalid="ignore"):
        for mask, tail, sign in ((lo, u, 1.0), (hi, 1.0 - u, -1.0)):
            zt = np.sqrt(-(np.log(tail[mask]) * 2))
            a = _CK[0] * zt + _CK[1]
            for c in _CK[2:]:
                a = a * zt + c
            b = ((_DK[0] * zt + _DK[1]) * zt + _DK[2]) * zt + _DK[3]
            out[mask] = sign * (a / (b * zt + 1))
    return out


# --- mcSimulation's loop ----------------------------------------------------------------------


def _simulate(run_batch, batch: int, samples: int, tolerance: float, rnd) -> tuple[float, int]:
    """(mean, paths): ``run_batch()`` returns each module's (sum, sum of squares) for one batch."""
    total = total_sq = 0.0

    def one() -> None:
        nonlocal total, total_sq
        for s, sq in run_batch():
            total, total_sq = rnd(total + s), rnd(total_sq + sq)

    def estimate(n: int) -> tuple[float, float]:
        mean = rnd(total / rnd(n))
        var = rnd(rnd(total_sq / rnd(n)) - rnd(mean * mean))
        return mean, (rnd(math.sqrt(rnd(var / rnd(n)))) if var >= 0 else math.nan)

    if samples > 0:
        loops = -(-samples // batch)
        for _ in range(loops):
            one()
        return estimate(loops * batch)[0], loops * batch
    n = batch
    one()
    mean, err = estimate(n)
    while tolerance < err:  # NaN ends the loop, as in the kernel
        n += batch
        one()
        mean, err = estimate(n)
    return mean, n


def _lanes(prices: list[float], rnd) -> tuple[float, float]:
    """The accumulator: 16 interleaved partial sums (and of squares), then added in lane order."""
    part, part_sq = [0.0] * 16, [0.0] * 16
    for i, p in enumerate(prices):
        part[i % 16] = rnd(part[i % 16] + p)
        part_sq[i % 16] = rnd(part_sq[i % 16] + rnd(p * p))
    s = sq = 0.0
    for lane in range(16):
        s, sq = rnd(s + part[lane]), rnd(sq + part_sq[lane])
    return s, sq


# --- mc_euro_k ---------------------------------------------------------------------------------


def mc_euro_k(underlying, volatility, dividend, rate, time, strike, put: bool, seeds,
              tolerance, samples: int, steps: int) -> tuple[float, int]:  # fmt: skip
    """mc_euro_k's output[0] (float32) and its path count, one path at a time."""
    s0, vol, q, r, t, k, tol = (f32(x) for x in (underlying, volatility, dividend, rate, time,
                                                strike, tolerance))  # fmt: skip
    dt = f32(t / f32(steps))
    var = f32(f32(vol * vol) * dt)
    sd = f32(math.sqrt(var))
    drift = f32(f32(f32(r - q) * dt) - f32(0.5 * var))
    discount = expf(-f32(r * t))
    gens = [MersenneTwister(s) for s in seeds]

    def run_batch():
        for g in gens:
            words = g.words(1024 * steps)
            prices = []
            for p in range(1024):
                s = s0
                for st in range(steps):
                    dw = ppnd7(int(words[p * steps + st]))
                    s = f32(s * expf(f32(drift + f32(dw * sd))))
                gain = f32(k - s) if put else f32(s - k)
                prices.append(f32(discount * (gain if gain > 0 else 0.0)))
            yield _lanes(prices, f32)

    return _simulate(run_batch, 2048, samples, tol, f32)


# --- MC American: MCAE_k0, MCAE_k1, MCAE_k2 (float64) -----------------------------------------


def _model_step(vol, rate, dividend, time, steps):
    dt = time / steps
    var = (vol * vol) * dt
    return (rate - dividend) * dt - 0.5 * var, math.sqrt(var)


def mcae_k0(underlying, vol, rate, dividend, time, strike, calib: int, steps: int):
    """(pOut as (rounds*steps*1024, 2), mOut as (steps*9,)) of the pre-sample kernel."""
    rounds = calib // 2048
    drift, sd = _model_step(vol, rate, dividend, time, steps)
    inv_k = 1.0 / strike
    p_out = np.zeros((rounds * steps * 1024, 2))
    buffer = np.zeros((steps, 9))
    gens = [MersenneTwister(123456), MersenneTwister(567890)]
    for rnd_i in range(rounds):
        module_sums = []
        for m, g in enumerate(gens):
            dw = acklam(g.words(steps * 1024)).reshape(steps, 1024)
            log_s = np.zeros(1024)
            sums = np.zeros((steps, 9))
            for i in range(steps):
                log_s = log_s + (drift + dw[i] * sd)
                ratio = np.exp(log_s)
                s = underlying * ratio
                base = rnd_i * steps * 1024 + i * 1024
                p_out[base : base + 1024, m] = s
                x = (ratio * underlying) * inv_k
                gain = strike - s
                ex = np.where(gain > 0, gain, 0.0)
                x2 = x * x
                vals = np.array(
                    [np.ones(1024), x, x2, x * x2, x2 * x2, ex, x * ex, x2 * ex, ex * ex]
                )
                vals[:, ~(ex > 0)] = 0.0
                lanes = np.zeros((9, 16))
                for row in range(64):  # path j goes to lane j % 16, in path order
                    lanes = lanes + vals[:, row * 16 : row * 16 + 16]
                for lane in range(16):
                    sums[i] = sums[i] + lanes[:, lane]
            module_sums.append(sums)
        buffer = buffer + ((0.0 + module_sums[0]) + module_sums[1])
    return p_out, buffer.reshape(-1)


def _pinv_solve(ata: np.ndarray, aty: np.ndarray) -> np.ndarray:
    """The pseudo-inverse solution of the 4x4 normal equations, by eigendecomposition."""
    a = np.array([[ata[0], ata[1], ata[2], ata[5]],
                  [ata[1], ata[2], ata[3], ata[6]],
                  [ata[2], ata[3], ata[4], ata[7]],
                  [ata[5], ata[6], ata[7], ata[8]]])  # fmt: skip
    lam, vec = np.linalg.eigh(a)
    coef = np.zeros(4)
    for i in range(4):
        if abs(lam[i]) > 1e-10:
            coef += vec[:, i] * (vec[:, i] @ aty) / lam[i]
    return coef


def mcae_k1(time, rate, strike, put: bool, p_in, m_in, calib: int, steps: int) -> np.ndarray:
    """coefOut as (steps-1, 4): row n holds the regression of step steps-2-n."""
    rounds = calib // 2048
    dt = time / steps
    inv_k = 1 / strike
    d_f = math.exp(-1.0 * rate * dt)
    offset = (steps * 1024) % 65536  # the kernel's ap_uint<16>

    def read(i):
        rows = [offset * j + i * 1024 + kk for j in range(rounds) for kk in range(1024)]
        return np.asarray(p_in)[rows].T  # (2 modules, paths)

    def payoff(s):
        gain = strike - s if put else s - strike
        return np.where(gain > 0, gain, 0.0)

    paths = rounds * 1024
    y = np.zeros((2, paths))
    prev = read(steps - 1)
    coef = np.zeros(4)
    out = []
    for i in range(steps - 2, -1, -1):
        cur = read(i)
        per_module = []
        for m in range(2):
            x = cur[m] * inv_k
            ex = payoff(cur[m])
            pex = payoff(prev[m])
            pp = prev[m] * inv_k
            con = (coef[0] + coef[1] * pp) + (coef[2] * (pp * pp) + coef[3] * pex)
            y[m] = np.where((pex > 0) & (con < pex), pex, y[m]) * d_f
            add = np.array([y[m], y[m] * x, y[m] * (x * x), y[m] * ex])
            add[:, ~(ex > 0)] = 0.0
            lanes = np.zeros((4, 16))
            for row in range(paths // 16):
                lanes = lanes + add[:, row * 16 : row * 16 + 16]
            for w in (8, 4):
                lanes[:, :w] = lanes[:, :w] + lanes[:, w : 2 * w]
            per_module.append((lanes[:, 0] + lanes[:, 1]) + (lanes[:, 2] + lanes[:, 3]))
        aty = (0.0 + per_module[0]) + per_module[1]
        coef = _pinv_solve(np.asarray(m_in)[i * 9 : i * 9 + 9], aty)
        out.append(coef)
        prev = cur
    return np.array(out)


def mcae_k2(seed: int, underlying, vol, dividend, rate, time, strike, put: bool, coefs,
            tolerance, samples: int, steps: int) -> tuple[float, int]:  # fmt: skip
    """outputs[0] of the pricing kernel and its path count, the pricer's loops written out."""
    drift, sd = _model_step(vol, rate, dividend, time, steps)
    recip_s = 1.0 / underlying
    k2 = strike / underlying
    recip_k = 1.0 / k2
    risk_const = -(rate * (time / steps))
    risk_rate = math.exp(risk_const * steps)
    gens = [MersenneTwister((seed * m) & 0xFFFFFFFF) for m in (1, 3, 6, 9)]
    coefs = np.asarray(coefs)

    def run_batch():
        for g in gens:
            dw = acklam(g.words(steps * 1024)).reshape(steps, 1024)
            acc, stop, writes = [0.0] * 1024, [False] * 1024, []
            for i in range(steps):
                for j in range(1024):
                    acc[j] = (0.0 if i == 0 else acc[j]) + (drift + float(dw[i, j]) * sd)
                    path = math.exp(acc[j])
                    gain = k2 - path if put else path - k2
                    pay = gain if gain > 0 else 0.0
                    if i > 0 and stop[j]:
                        continue
                    if i < steps - 1:
                        c0, c1, c2, c3 = coefs[steps - i - 2]
                        stop[j] = False
                        if pay > 0.0:
                            reg = path * recip_k
                            cont = ((c0 + c1 * reg) + (c2 * reg) * reg) * recip_s + c3 * pay
                            if cont < pay:
                                writes.append(pay * math.exp(risk_const * (i + 1.0)))
                                stop[j] = True
                    else:
                        writes.append(pay * risk_rate)
            yield _lanes(writes, float)

    mean, n = _simulate(run_batch, 4096, samples, tolerance, float)
    return mean * underlying, n

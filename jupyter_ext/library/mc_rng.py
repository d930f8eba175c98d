"""The random numbers of Vitis' Monte-Carlo kernels, draw for draw.

Read from ``xf_fintech/rng.hpp`` (L1) of Vitis_Libraries/quantitative_finance:
every Monte-Carlo module of ``mc_euro_k`` and of the MC American kernels owns
one ``MT19937IcnRng``: a Mersenne Twister (MT19937) turned into normal draws
by an inverse normal CDF, one uniform per normal.

What the source pins, and what we reproduce:

* **Seeding.** The kernel's ``seedInitialization(seed)`` is the reference
  ``init_genrand`` recurrence, except that the first state word is
  ``seed + 0x10DCD`` (69069) unless the seed is above ``0xFFFEF232``. After
  that the output is the standard MT19937 sequence (the kernel regenerates
  one state word per draw instead of 624 at a time; the numbers are the same),
  so numpy's ``MT19937`` bit generator, started from that state, yields the
  kernel's 32-bit words.
* **Uniforms.** Each word is an ``ap_ufixed<32, 0>``: ``word / 2**32``. The
  float kernels convert it to float32 with round-to-nearest-even
  (``ap_fixed::to_float``), so words of ``2**32 - 128`` and above become
  exactly 1.0; the double kernels convert exactly.
* **Normals.** float: Wichura's AS241 ``PPND7`` (``inverseCumulativeNormalPPND7``),
  evaluated in float32 in the kernel's operation order; double: Acklam's
  approximation (``inverseCumulativeNormalAcklam``) in float64. A uniform of 0
  or 1 makes both return NaN, as on the board (``log(0)`` then ``inf/inf``).

Elementary functions (log, sqrt) are rounded correctly to the kernel's type;
the FPGA's ``hls::log`` may differ from that by an ulp.
"""

from __future__ import annotations

import numpy as np

MT_N = 624
_SEED_OFFSET = 0x10DCD  # the kernel adds 69069 to the seed ...
_SEED_KEPT_ABOVE = 0xFFFFFFFF - _SEED_OFFSET  # ... unless the sum would wrap
_TWO_POW_M32 = 2.0**-32


def kernel_seed_state(seed: int) -> np.ndarray:
    """The 624-word MT19937 state ``seedInitialization(seed)`` leaves (624 steps, not per option)."""
    seed = int(seed) & 0xFFFFFFFF
    word = seed if seed > _SEED_KEPT_ABOVE else seed + _SEED_OFFSET
    key = np.empty(MT_N, np.uint32)
    key[0] = word
    for i in range(1, MT_N):
        word = (0x6C078965 * (word ^ (word >> 30)) + i) & 0xFFFFFFFF
        key[i] = word
    return key


class KernelStream:
    """The 32-bit words one kernel RNG module draws, in order, continuing across calls."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed) & 0xFFFFFFFF
        self._bits = np.random.MT19937()
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": kernel_seed_state(self.seed), "pos": MT_N},
        }
        self.drawn = 0

    def words(self, count: int) -> np.ndarray:
        """The next ``count`` outputs as uint32."""
        self.drawn += count
        return self._bits.random_raw(count).astype(np.uint32)

    def normals_f32(self, count: int) -> np.ndarray:
        """The next ``count`` normal draws of an ``MT19937IcnRng<float>``."""
        return ppnd7_f32(uniform_f32(self.words(count)))

    def normals_f64(self, count: int) -> np.ndarray:
        """The next ``count`` normal draws of an ``MT19937IcnRng<double>``."""
        return acklam_f64(uniform_f64(self.words(count)))


def uniform_f32(words: np.ndarray) -> np.ndarray:
    """``(float)ap_ufixed<32,0>``: word / 2**32 rounded to nearest-even float32 (may be 1.0)."""
    return (words.astype(np.float64) * _TWO_POW_M32).astype(np.float32)


def uniform_f64(words: np.ndarray) -> np.ndarray:
    """``(double)ap_ufixed<32,0>``: exact."""
    return words.astype(np.float64) * _TWO_POW_M32


def _f32(x: float) -> np.float32:
    return np.float32(x)


# AS241 PPND7 coefficients as the kernel declares them (double literals stored as float).
_A = tuple(map(_f32, (3.3871327179e00, 5.0434271938e01, 1.5929113202e02, 5.9109374720e01)))
_B = tuple(map(_f32, (1.7895169469e01, 7.8757757664e01, 6.7187563600e01)))
_C = tuple(map(_f32, (1.4234372777e00, 2.7568153900e00, 1.3067284816e00, 1.7023821103e-01)))
_D = tuple(map(_f32, (7.3700164250e-01, 1.2021132975e-01)))
_E = tuple(map(_f32, (6.6579051150e00, 3.0812263860e00, 4.2868294337e-01, 1.7337203997e-02)))
_F = tuple(map(_f32, (2.4197894225e-01, 1.2258202635e-02)))
_ONE = _f32(1.0)


def _log_f32(x: np.ndarray) -> np.ndarray:
    return np.log(x.astype(np.float64)).astype(np.float32)


def _sqrt_f32(x: np.ndarray) -> np.ndarray:
    return np.sqrt(x)  # IEEE sqrt is correctly rounded in float32 already


def ppnd7_f32(u: np.ndarray) -> np.ndarray:
    """``inverseCumulativeNormalPPND7<float>``: both branches in float32, in the kernel's order."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lower = u < _f32(0.075)
        center = ~(lower | (u > _f32(0.925)))
        z_tail = np.where(lower, u, _ONE - u)
        tmp = _sqrt_f32(-_log_f32(z_tail))
        near = tmp < _f32(5.0)
        z_center = u - _f32(0.5)
        r = np.where(
            center,
            _f32(0.180625) - z_center * z_center,
            np.where(near, tmp - _f32(1.6), tmp - _f32(5.0)),
        )

        def pick(a: np.float32, c: np.float32, e: np.float32) -> np.ndarray:
            return np.where(center, a, np.where(near, c, e)).astype(np.float32)

        p0, p1, p2, p3 = (pick(a, c, e) for a, c, e in zip(_A, _C, _E, strict=True))
        q1 = np.where(center, _B[0], _ONE).astype(np.float32)
        q2 = pick(_B[1], _D[0], _F[0])
        q3 = pick(_B[2], _D[1], _F[1])
        num = ((p3 * r + p2) * r + p1) * r + p0
        den = (q3 * r + q2) * r + q1
        num = np.where(center, num * z_center, num)
        den = np.where(center, den * r + _ONE, den)
        value = num / den
        return np.where(~center & lower, -value, value).astype(np.float32)


_AK = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
       1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
_BK = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
       6.680131188771972e01, -1.328068155288572e01)  # fmt: skip
_CK = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
       -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
_DK = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_ACKLAM_LOW = 0.02425


def acklam_f64(u: np.ndarray) -> np.ndarray:
    """``inverseCumulativeNormalAcklam<double>``, both branches in float64, in the kernel's order."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lower = u < _ACKLAM_LOW
        center = ~(lower | (u > (1.0 - _ACKLAM_LOW)))
        z_tail = np.sqrt(-(np.log(np.where(lower, u, 1.0 - u)) * 2))
        z_center = u - 0.5
        r = np.where(center, z_center * z_center, z_tail)
        p = [np.where(center, a, c) for a, c in zip(_AK, _CK, strict=True)]
        num = p[0] * r + p[1]
        for c in p[2:]:
            num = num * r + c
        num = np.where(center, num * z_center, num)
        q = [np.where(center, b, d) for b, d in zip(_BK[:4], _DK, strict=True)]
        den = ((q[0] * r + q[1]) * r + q[2]) * r + q[3]
        den = np.where(center, den * r + _BK[4], den)
        den = den * r + 1
        value = num / den
        upper = ~center & ~lower
        return np.where(upper, -value, value)

"""CPU model of ``mc_euro_k``: Vitis' ``MCEuropeanEngine<float, 2>``, path for path.

Read from Vitis_Libraries/quantitative_finance: the L2 kernel ``mc_euro_k``
and ``xf_fintech/mc_engine.hpp``, ``bs_model.hpp``, ``path_generator.hpp``,
``path_pricer.hpp`` and ``mc_simulation.hpp`` (L1/L2).

* Two Monte-Carlo modules; module ``m`` draws from its own MT19937 seeded
  with ``seed[m]`` (see :mod:`.mc_rng`) and prices 1024 paths per batch, so a
  batch is 2048 paths. Module ``m``'s path ``p`` uses the stream's draws
  ``p*steps .. p*steps + steps - 1``.
* float32 throughout: ``dt = T / steps``, ``var = (vol*vol)*dt``,
  ``stdDev = sqrt(var)``, ``drift = (r - q)*dt - 0.5f*var``; a step
  multiplies the price by ``exp(drift + dw*stdDev)``, starting from the
  underlying; the payoff ``max(S - K, 0)`` (call) or ``max(K - S, 0)`` (put)
  is multiplied by ``discount = exp(-(r*T))``. ``max`` is the kernel's
  ``a > b ? a : b``, so a NaN path (a uniform of exactly 0 or 1) pays 0.
* For ``timeSteps > 1`` we follow the later pricer that multiplies the
  ``steps`` factors of a path; the 2019 pricer read one increment per path,
  which is the same computation for one step.
* The batch loop, accumulation order and tolerance rule are
  :mod:`.mc_simulation`'s.
"""

from __future__ import annotations

import numpy as np

from .mc_rng import KernelStream
from .mc_simulation import PATHS_PER_MODULE, MCOutcome, simulate

MODULES = 2  # MCEuropeanEngine<TEST_DT, 2> in mc_euro_k
BATCH = MODULES * PATHS_PER_MODULE
_BLOCK_DRAWS = 1 << 20  # paths are priced in blocks of about this many draws


def _exp_f32(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.exp(x.astype(np.float64)).astype(np.float32)


class _EuropeanPricer:
    """Discounted path prices of consecutive batches, drawn from the two modules' streams."""

    def __init__(self, s0: np.float32, k: np.float32, vol: np.float32, q: np.float32,
                 r: np.float32, t: np.float32, put: bool, seeds: tuple[int, int], steps: int) -> None:  # fmt: skip
        f = np.float32
        self.s0, self.k, self.put, self.steps = s0, k, put, steps
        dt = t / f(steps)
        var = (vol * vol) * dt
        self.std_dev = np.sqrt(var)
        self.drift = (r - q) * dt - f(0.5) * var
        self.discount = _exp_f32(-(r * t))
        self.streams = [KernelStream(s) for s in seeds]

    def __call__(self, first_batch: int, count: int) -> np.ndarray:
        out = np.empty((count, MODULES, PATHS_PER_MODULE), np.float32)
        for m, stream in enumerate(self.streams):
            out[:, m, :] = self._paths(stream, count * PATHS_PER_MODULE).reshape(count, -1)
        return out

    def _paths(self, stream: KernelStream, n: int) -> np.ndarray:
        steps = self.steps
        block = max(1, _BLOCK_DRAWS // steps)
        prices = np.empty(n, np.float32)
        for start in range(0, n, block):
            m = min(block, n - start)
            dw = stream.normals_f32(m * steps).reshape(m, steps)
            factors = _exp_f32(self.drift + dw * self.std_dev)
            with np.errstate(over="ignore", invalid="ignore"):
                if steps == 1:
                    s = self.s0 * factors[:, 0]
                else:  # s = ((s0 * f0) * f1) * ...: a running product, left to right
                    factors[:, 0] = self.s0 * factors[:, 0]
                    s = np.multiply.accumulate(factors, axis=1, dtype=np.float32)[:, -1]
                gain = (self.k - s) if self.put else (s - self.k)
                payoff = np.where(gain > 0, gain, np.float32(0))
                prices[start : start + m] = self.discount * payoff
        return prices


def mc_euro_k_model(
    underlying: float, volatility: float, dividend_yield: float, rate: float, time: float,
    strike: float, put: bool, seeds: tuple[int, int], tolerance: float, samples: int, steps: int,
) -> tuple[np.ndarray, MCOutcome]:  # fmt: skip
    """``output[0]`` as mc_euro_k leaves it (float32), and how the run ended.

    Scalars arrive as the float32 values the kernel reads.
    """
    f = np.float32
    pricer = _EuropeanPricer(f(underlying), f(strike), f(volatility), f(dividend_yield),
                             f(rate), f(time), put, seeds, steps)  # fmt: skip
    outcome = simulate(pricer, MODULES, np.float32, required_samples=samples,
                       tolerance=float(f(tolerance)))  # fmt: skip
    return np.array([outcome.mean], np.float32), outcome

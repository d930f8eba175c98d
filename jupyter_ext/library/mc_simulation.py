"""The batch loop of Vitis' ``mcSimulation`` (``xf_fintech/mc_simulation.hpp``), vectorised.

Both ``mc_euro_k`` and the MC American pricing kernel run this framework:
``UN`` modules each price 1024 paths per batch. Per module and batch the
``accumulator`` adds the path prices into 16 interleaved partial sums (path
``i`` into partial ``i % 16``), then adds the 16 partials in order; the
batch's module sums are then added to the running totals, module 0 first.
Prices and their squares are summed in the kernel's type (float32 or
float64) in exactly that order, so the totals are the kernel's bit for bit.

``requiredSamples > 0`` runs ``ceil(requiredSamples / batch)`` batches.
``requiredSamples == 0`` runs one batch, then one more while
``requiredTolerance < error``, where ``error = sqrt((sumSq/n - mean**2)/n)``
(the biased variance, in the kernel's type): the loop stops at the first
batch whose estimate is within tolerance. Sample counts are
``ap_uint<27>``: a run never exceeds 2**27 - batch paths, and the kernel's
counter wraps if the tolerance is not met by then (its mean becomes
``sum / 0``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

PATHS_PER_MODULE = 1024  # SampNum: paths one module prices per batch
PARTIALS = 16  # the accumulator's interleaved partial sums
SAMPLE_BITS = 27  # ap_uint<27> sample counters
COUNTER_LIMIT = 2**SAMPLE_BITS


def max_samples(modules: int) -> int:
    """The most paths a run can take before the kernel's 27-bit counter wraps."""
    batch = modules * PATHS_PER_MODULE
    return (COUNTER_LIMIT - 1) // batch * batch


@dataclass(frozen=True)
class MCOutcome:
    """What the simulation loop ends with: the kernel's mean, plus what the model also knows."""

    mean: float
    samples: int
    error: float  # the kernel's own error estimate after its last batch (NaN if negative variance)
    tolerance_met: bool


def batch_sums(prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per batch and module, the accumulator's sum and sum of squares: ``prices`` is (B, UN, 1024)."""
    dt = prices.dtype
    b, un, n = prices.shape
    parts = prices.reshape(b, un, n // PARTIALS, PARTIALS)
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.cumsum(parts, axis=2, dtype=dt)[:, :, -1, :]
        squares = np.cumsum(parts * parts, axis=2, dtype=dt)[:, :, -1, :]
        return (np.cumsum(sums, axis=2, dtype=dt)[:, :, -1],
                np.cumsum(squares, axis=2, dtype=dt)[:, :, -1])  # fmt: skip


def running_totals(start: np.floating, per_module: np.ndarray) -> np.ndarray:
    """Totals after each batch: ``start`` plus each batch's module sums, added one at a time."""
    dt = per_module.dtype
    seq = np.concatenate([np.array([start], dt), per_module.reshape(-1)])
    with np.errstate(over="ignore", invalid="ignore"):
        return np.cumsum(seq, dtype=dt)[per_module.shape[1] :: per_module.shape[1]]


def estimates(
    total: np.ndarray, total_sq: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``SampleMean`` and ``SampleErrorEstimate`` in the kernel's type, for every batch count."""
    dt = total.dtype
    nf = n.astype(dt)  # the ap_uint count is converted to the floating type
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = total / nf
        variance = total_sq / nf - mean * mean
        return mean, np.sqrt(variance / nf)


BatchPricer = Callable[[int, int], np.ndarray]
"""``price(first_batch, count)`` -> the discounted path prices of those batches, (count, UN, 1024)."""


def simulate(
    price: BatchPricer,
    modules: int,
    dtype: type,
    *,
    required_samples: int,
    tolerance: float,
    chunk_paths: int = 1 << 20,
) -> MCOutcome:
    """Run ``mcSimulation``'s loop with ``price`` generating batches (several at a time)."""
    batch = modules * PATHS_PER_MODULE
    limit = max_samples(modules) // batch
    tol = dtype(tolerance)
    zero = dtype(0)
    if required_samples > 0:
        count = -(-required_samples // batch)
        sums, squares = _sums_in_chunks(price, 0, count, chunk_paths, batch)
        total = running_totals(zero, sums)[-1:]
        total_sq = running_totals(zero, squares)[-1:]
        mean, err = estimates(total, total_sq, np.array([count * batch]))
        return MCOutcome(float(mean[0]), count * batch, float(err[0]), True)
    done, total, total_sq = 0, zero, zero
    want = 1  # the kernel's first batch, then as many as the error estimate asks for
    while True:
        want = max(1, min(want, limit - done))
        sums, squares = _sums_in_chunks(price, done, want, chunk_paths, batch)
        totals = running_totals(total, sums)
        totals_sq = running_totals(total_sq, squares)
        n = (done + 1 + np.arange(want)) * batch
        mean, err = estimates(totals, totals_sq, n)
        stop = ~(tol < err)  # the kernel loops while requiredTolerance < error (NaN stops it)
        if stop.any():
            k = int(np.argmax(stop))
            return MCOutcome(float(mean[k]), int(n[k]), float(err[k]), True)
        done += want
        total, total_sq = totals[-1], totals_sq[-1]
        if done >= limit:  # the counter would wrap: the kernel divides by 0
            with np.errstate(divide="ignore", invalid="ignore"):
                return MCOutcome(float(total / dtype(0)), 0, float("nan"), False)
        # the error falls like 1/sqrt(n): ask for the batches that should reach the tolerance
        need = int(np.ceil(done * (float(err[-1]) / tolerance) ** 2)) if np.isfinite(err[-1]) else 0
        if need > limit:  # hopeless within the counter: what the kernel would end with
            with np.errstate(divide="ignore", invalid="ignore"):
                return MCOutcome(float(total / dtype(0)), 0, float(err[-1]), False)
        want = max(1, int((need - done) * 1.1) + 1)


def _sums_in_chunks(
    price: BatchPricer, first: int, count: int, chunk_paths: int, batch: int
) -> tuple[np.ndarray, np.ndarray]:
    per_chunk = max(1, chunk_paths // batch)
    parts = [batch_sums(price(b, min(per_chunk, first + count - b)))
             for b in range(first, first + count, per_chunk)]  # fmt: skip
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

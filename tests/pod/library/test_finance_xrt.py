"""Black-Scholes on the XRT path (the stand-in board): whole bus words, and the same units as emulated.

The stand-in's ``bs_kernel`` answers in the kernel's units (vega and rho per
1 %, theta per day, a put's rho positive) and refuses a ``num`` that is not a
whole number of 512-bit words, as the real kernel would hang on it.
"""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_ext.library.finance import GREEKS, black_scholes
from jupyter_ext.runtime import In, KernelCall, Out, Scalar
from jupyter_ext.runtime.contracts import ContractError
from tests.support.fake_pyxrt.kernels import LAST


def _options(n: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(n)
    spot = rng.uniform(50, 150, n).astype(np.float32)
    return (spot, (spot * rng.uniform(0.8, 1.2, n)).astype(np.float32),
            rng.uniform(0.1, 0.5, n).astype(np.float32), rng.uniform(0, 0.05, n).astype(np.float32),
            rng.uniform(0.25, 2, n).astype(np.float32))  # fmt: skip


@pytest.mark.parametrize("n", [1, 15, 16, 37, 1000])
@pytest.mark.parametrize("option", ["call", "put"])
def test_board_and_emulation_return_the_same_units(xrt, emulated, n, option):
    """Padded to whole words on the board, trimmed after; one convention on both backends."""
    x = _options(n)
    board = black_scholes(*x, option=option, runtime=xrt)
    cpu = black_scholes(*x, option=option, runtime=emulated)
    assert board.backend == "xrt" and cpu.emulated
    assert LAST["bs_kernel"]["num"] == -(-n // 16) * 16
    assert board.details["bus_words"] == -(-n // 16) and board.details["padding"] == -n % 16
    for g in GREEKS:
        assert board[g].shape == cpu[g].shape == (n,)
        # the stand-in computes in double with scipy; the emulation is the kernel's float32
        np.testing.assert_allclose(board[g], cpu[g], rtol=2e-5, atol=2e-5 * np.abs(cpu[g]).max(),
                                   err_msg=g)  # fmt: skip
    assert (board["rho"] < 0).all() == (option == "put")


def test_a_whole_number_of_words_is_passed_in_place(xrt):
    """64 options placed in device memory: the call stages no copy (no padding needed)."""
    spot, strike, vol, rate, time = _options(64)
    placed = [xrt.prepare("bs_kernel", i, a) for i, a in enumerate((spot, vol, rate, time, strike))]
    black_scholes(placed[0], placed[4], placed[1], placed[2], placed[3], runtime=xrt)
    before = xrt.stats.staged_copies
    black_scholes(placed[0], placed[4], placed[1], placed[2], placed[3], runtime=xrt)
    assert xrt.stats.staged_copies == before


def test_a_partial_bus_word_never_reaches_the_board(xrt, fake):
    """A num that is not whole 16-float words would hang a board: refused before anything runs."""
    arrays = [np.ones(20, np.float32) for _ in range(5)]
    call = KernelCall(
        function="test", kernel="bs_kernel",
        args=(*(In(a) for a in arrays), Scalar.u32(1), Scalar.u32(20),
              *(Out((20,), np.float32) for _ in range(6))),
        model=list,
    )  # fmt: skip
    with pytest.raises(ContractError, match="argument num: 20 is not a multiple of 16"):
        xrt.run(call)
    # the xclbin may be opened, but no buffer is allocated and no run started
    assert [name for name, _ in fake.CALLS] == ["xclbin", "register_xclbin", "hw_context", "kernel"]

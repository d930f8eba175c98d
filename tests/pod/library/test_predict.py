"""Predicted board times: the models' arithmetic, the board a prediction is for, published checks."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_ext.library import black_scholes, gaussian_filter, gemm, gzip_compress
from jupyter_ext.library import predict as m
from jupyter_ext.library.board_models import BOARDS, board_for, board_named
from jupyter_ext.library.predict_published import FIGURES, check_for, checks

U250 = BOARDS["u250"]


def test_gaussian_model_arithmetic() -> None:
    """One pixel per clock at 300 MHz, plus the line buffer's fill; bytes over 12 GB/s PCIe."""
    p = m.gaussian(1080, 1920, U250, ksize=3)
    assert p.kernel_s == pytest.approx((1080 + 1) * 1920 / 300e6)  # 6.918 ms
    assert p.h2d_s == pytest.approx(1080 * 1920 / 12e9)
    assert p.d2h_s == pytest.approx(1080 * 1920 / 12e9)
    assert p.total_s == pytest.approx(p.h2d_s + p.kernel_s + p.d2h_s)
    assert p.bound == "compute" and p.board == "AMD Alveo U250"
    inputs = dict(p.inputs)
    assert inputs["clock"] == "300 MHz" and inputs["II"].startswith("1 ")
    assert m.gaussian(1080, 1920, U250, ksize=7).kernel_s == pytest.approx(1083 * 1920 / 300e6)


def test_black_scholes_model_is_bound_by_its_ddr_bank() -> None:
    p = m.black_scholes(1_000_000, U250)
    words = -(-1_000_000 // 16) * 16
    compute = words / 2 / 300e6  # 2 engines, II 1
    memory = words * 44 / 8.9e9  # 5 in + 6 out floats per option
    assert memory > compute and p.bound == "DDR bandwidth"
    assert p.kernel_s == pytest.approx(memory + 334 / 300e6)
    assert p.h2d_s == pytest.approx(words * 5 * 4 / 12e9)
    assert p.d2h_s == pytest.approx(words * 6 * 4 / 12e9)


def test_gemm_model_counts_multiply_accumulates_and_shares_the_link() -> None:
    one = m.gemm(2048, 2048, 2048, U250)
    assert one.kernel_s == pytest.approx(2048**3 / 256 / 150e6)  # 16 x 16 MACs at 150 MHz
    four = m.gemm(2048, 2048, 2048, U250, pairs=4)
    assert four.kernel_s == one.kernel_s  # four compute units side by side
    assert four.h2d_s == pytest.approx(4 * one.h2d_s)  # one PCIe link for all of them
    assert m.gemm(100, 100, 100, U250).kernel_s == pytest.approx(128**3 / 256 / 150e6)  # padded


def test_stereo_sweeps_multiply_the_cycles() -> None:
    one = m.stereo(1080, 1920, U250, disparities=32, units=32)
    three = m.stereo(1080, 1920, U250, window=11, disparities=48, units=16)
    assert three.kernel_s == pytest.approx(3 * one.kernel_s)


def test_predictions_from_results_use_what_the_call_recorded(emulated) -> None:
    r = gaussian_filter(np.zeros((64, 96), np.uint8), runtime=emulated)
    assert m.predict(r, U250) == m.gaussian(64, 96, U250)
    r = black_scholes(np.full(1000, 100.0), 95.0, 0.2, 0.03, 1.0, runtime=emulated)
    assert m.predict(r, U250) == m.black_scholes(1000, U250)
    r = gemm(np.ones((64, 64)), np.ones((64, 64)), runtime=emulated)
    assert m.predict(r, U250) == m.gemm(64, 64, 64, U250)
    r = gzip_compress(b"abc" * 1000, runtime=emulated)
    p = m.predict(r, U250)
    assert p is not None and p.d2h_s == pytest.approx(len(r.value) / 12e9)
    total, missing = m.predict_all([r, r], U250)
    assert total is not None and total.total_s == pytest.approx(2 * p.total_s) and not missing


def test_the_board_comes_from_the_runtime_or_the_pod() -> None:
    assert board_named("xilinx_u250_gen3x16_xdma_shell_4_1") is BOARDS["u250"]
    assert board_named("AMD Alveo U200") is BOARDS["u200"]
    assert board_named("u50lv") is BOARDS["u50"] and board_named("vck190") is None
    choice = board_for(None, {"FPGA_PLATFORM": "xilinx_u200_gen3x16_xdma_base_2"})
    assert choice.board.slug == "u200" and not choice.assumed
    choice = board_for(None, {})
    assert choice.board.slug == "u250" and choice.assumed and "assumed" in choice.label()


def test_every_published_figure_is_checked_and_the_error_is_signed() -> None:
    results = {c.published.key: c for c in checks()}
    assert set(results) == {f.key for f in FIGURES}
    g = results["gaussian_1080p"]
    assert g.predicted_s == pytest.approx(1081 * 1920 / 300e6)
    assert g.error == pytest.approx(g.predicted_s / 7.01e-3 - 1)
    assert results["gemm_2048"].published.what == "end-to-end"  # compared with the total
    assert results["gemm_2048"].predicted_s == pytest.approx(
        results["gemm_2048"].prediction.total_s
    )
    # counted figures that are neither suspect nor calibrated: within 25% of AMD's
    for c in results.values():
        p = c.published
        if p.in_max and not p.suspect:
            assert abs(c.error) <= 0.25, (p.key, c.error)
    # the benchmark page's FPS figure is faster than one pixel per clock allows: flagged and
    # not counted; the L3 benchmark's board measurement is counted
    fps = results["color_detect_fps_1080p"].published
    assert fps.suspect and not fps.in_max
    assert results["color_detect_1080p"].published.in_max
    assert not results["color_detect_1080p"].published.suspect
    assert check_for("vision.stereo_bm").published.key == "stereo_1080p"

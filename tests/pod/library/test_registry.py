"""The registry ``%fpga list`` / ``%fpga bench`` use: complete, and every entry checks out."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_ext.library import FUNCTIONS, bench
from jupyter_ext.runtime import InvalidArgument

EXPECTED = {
    "finance.black_scholes": "bs_kernel",
    "finance.mc_european": "mc_euro_k",
    "vision.gaussian_filter": "gaussian_filter_accel",
    "vision.resize": "resize_accel",
    "vision.color_detect": "color_detect",
    "vision.stereo_bm": "stereolbm_accel",
    "compression.gzip": "xilGzipCompBlock",
    "compression.zlib": "xilGzipCompBlock",
    "blas.gemm": "blasKernel",
}

SMALL = {
    "finance.black_scholes": 4992,  # whole 16-float bus words: no padding copy
    "finance.mc_european": 1 << 14,
    "vision.gaussian_filter": 96,
    "vision.resize": 96,
    "vision.color_detect": 96,
    "vision.stereo_bm": 128,
    "compression.gzip": 50_000,
    "compression.zlib": 50_000,
    "blas.gemm": 64,
}


def test_registry_lists_every_function_with_its_kernel():
    assert {n: s.kernel for n, s in FUNCTIONS.items()} == EXPECTED
    for spec in FUNCTIONS.values():
        assert spec.description and spec.reference_name and spec.size_unit
        assert spec.default_size > 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bench_emulated_agrees_and_says_so(emulated, name):
    rep = bench(name, SMALL[name], repeat=2, runtime=emulated)
    assert rep.comparison.ok, rep.comparison
    assert rep.backend == "emulated" and rep.emulated and rep.reason == "no pyxrt"
    assert rep.seconds > 0 and rep.reference_seconds > 0
    assert (rep.h2d, rep.d2h) == (None, None)
    text = str(rep)
    assert "emulated on CPU (no pyxrt)" in text and "not an FPGA figure" in text
    assert rep.as_dict()["agrees"] is True


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bench_on_the_xrt_path_agrees_and_splits_the_time(xrt, name):
    rep = bench(name, SMALL[name], repeat=2, runtime=xrt)
    assert rep.comparison.ok, rep.comparison
    assert rep.backend == "xrt" and not rep.emulated
    assert None not in (rep.h2d, rep.kernel, rep.d2h)
    assert "host->device" in str(rep) and "FPGA vs CPU" in str(rep)
    # every array input can be placed in device memory once: then a call copies no data
    spec = FUNCTIONS[name]
    inputs = spec.make_inputs(SMALL[name])
    arrays = {k for k, v in inputs.items() if isinstance(v, np.ndarray | bytes)}
    assert arrays <= set(spec.placement)
    placed = spec.prepare(inputs, xrt)
    spec.run(placed, xrt)  # new parameter blocks (if any) are written once, here
    before = (xrt.stats.staged_copies, xrt.stats.param_writes)
    spec.run(placed, xrt)
    copies = xrt.stats.staged_copies - before[0]
    writes = xrt.stats.param_writes - before[1]
    assert copies == 0
    assert writes == (1 if spec.kernel == "xilGzipCompBlock" else 0)  # the 4-byte checksum seed


def test_the_comparisons_can_fail(emulated):
    """A wrong answer is reported as one (the checks are not vacuous)."""
    for name in EXPECTED:
        spec = FUNCTIONS[name]
        inputs = spec.make_inputs(SMALL[name])
        value = spec.run(inputs, emulated).value
        ref = spec.run_reference(inputs)
        if isinstance(value, dict):
            value = {k: v * 1.01 + 0.01 for k, v in value.items()}
        elif isinstance(value, float):
            value += 1.0
        elif isinstance(value, bytes):
            value = value[:-5] + bytes(5)
        else:
            value = value.copy()
            value.flat[len(value.flat) // 2] += 7
        assert not spec.compare(value, ref, inputs).ok, name


def test_bench_refuses_bad_arguments(emulated):
    with pytest.raises(InvalidArgument, match="function: 'vision.sobel'.*blas.gemm"):
        bench("vision.sobel", runtime=emulated)
    with pytest.raises(InvalidArgument, match="size: -3"):
        bench("blas.gemm", -3, runtime=emulated)
    with pytest.raises(InvalidArgument, match="repeat: 0"):
        bench("blas.gemm", 8, repeat=0, runtime=emulated)


def test_bench_refuses_a_size_it_could_not_honour():
    """A stereo pair narrower than the search range is refused, not silently widened."""
    with pytest.raises(InvalidArgument, match=r"an int >= 64 \(pixels per row\)"):
        bench("vision.stereo_bm", size=8, repeat=1)
    report = bench("vision.stereo_bm", size=64, repeat=1)
    assert report.size == 64 and report.comparison.ok


def test_the_references_are_the_fastest_cpu_libraries_for_the_same_math():
    """What %fpga bench times against: ndtr (not scipy.stats), zlib, cv2, numpy.matmul."""
    import gzip

    from scipy.special import ndtr

    from jupyter_ext.library import references

    names = {n: s.reference_name for n, s in FUNCTIONS.items()}
    assert names["finance.black_scholes"] == "Black-Scholes closed form (scipy.special.ndtr)"
    assert names["compression.gzip"] == "zlib level 1 (gzip wrapper)"
    assert names["vision.gaussian_filter"] == "cv2.GaussianBlur"
    assert names["blas.gemm"] == "numpy.matmul (float32)"
    # without scipy the reference falls back to a numpy erfc that agrees to ~1e-7
    x = np.linspace(-8.0, 8.0, 10001)
    assert np.abs(references._ndtr_numpy(x) - ndtr(x)).max() < 1e-7
    data = b"fpga " * 10_000
    assert gzip.decompress(references.gzip_reference(data)) == data

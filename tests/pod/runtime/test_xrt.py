"""The XRT backend against the pyxrt double: what a real board would be asked to do."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_ext.library import gaussian_filter, gemm, gzip_compress, mc_european, resize
from jupyter_ext.library.registry import natural_gray
from jupyter_ext.runtime import (
    DeviceArray,
    FPGARuntimeError,
    KernelError,
    KernelTimeout,
    f32_bits,
    select_runtime,
)
from tests.support.fake_pyxrt import PLATFORM, load
from tests.support.fake_pyxrt.kernels import LAST


def _calls(fake, *names):
    return [(n, d) for n, d in fake.CALLS if not names or n in names]


def test_call_sequence_of_one_kernel_run(fake, xclbin_dir):
    from jupyter_ext.runtime import repository_locator

    rt = select_runtime(
        {}, import_pyxrt=lambda: fake, locator=repository_locator([str(xclbin_dir)])
    )
    assert [n for n, _ in fake.CALLS] == ["enumerate_devices", "device"]
    assert fake.CALLS[1][1] == {"index": 0}
    fake.CALLS.clear()
    img = natural_gray(24, 32)
    r = gaussian_filter(img, sigma=1.25, runtime=rt)

    seq = [n for n, _ in fake.CALLS]
    assert seq == [
        "xclbin", "register_xclbin", "hw_context", "kernel",  # load: hw_context first
        "bo", "map",  # input buffer, mapped
        "bo", "map",  # output buffer, mapped
        "sync",  # input TO_DEVICE
        "run", "set_arg", "set_arg", "set_arg", "set_arg", "set_arg", "start", "wait",
        "sync",  # output FROM_DEVICE
    ]  # fmt: skip
    assert fake._double.hangs == [] and fake._double.errors == []
    calls = fake.CALLS
    assert calls[0][1]["path"] == str(xclbin_dir / "vision.xclbin")
    assert calls[3][1] == {"name": "gaussian_filter_accel", "via": "hw_context"}
    in_bo, out_bo = calls[4][1], calls[6][1]
    assert (in_bo["size"], in_bo["group"]) == (24 * 32, 10)  # group_id(0)
    assert (out_bo["size"], out_bo["group"]) == (24 * 32, 11)  # group_id(1)
    # the three-argument sync(direction, size, offset): in every XRT from 2022.1 on
    assert calls[8][1] == {"direction": "XCL_BO_SYNC_BO_TO_DEVICE", "address": in_bo["address"],
                           "size": 24 * 32, "offset": 0}  # fmt: skip
    args = [d for n, d in calls if n == "set_arg"]
    assert [a["value"] for a in args] == [
        in_bo["address"], out_bo["address"], 24, 32, f32_bits(1.25)
    ]  # fmt: skip
    assert [a["buffer"] for a in args] == [True, True, False, False, False]
    assert (
        calls[16][1]["timeout_ms"] == 60000 and calls[16][1]["state"] == "ERT_CMD_STATE_COMPLETED"
    )
    assert calls[17][1]["direction"] == "XCL_BO_SYNC_BO_FROM_DEVICE"
    assert calls[17][1]["address"] == out_bo["address"]

    # the device decoded the 32-bit pattern as the float we meant
    assert LAST["gaussian_filter_accel"] == {"rows": 24, "cols": 32, "sigma": 1.25}
    assert r.backend == "xrt" and not r.emulated
    assert "via XRT" in repr(r) and "emulated" not in repr(r)
    assert r.xclbin.endswith("vision.xclbin") and "0000:65:00.1" in r.device
    t = r.timings
    assert t.h2d is not None and t.kernel is not None and t.d2h is not None
    assert 0 <= t.h2d + t.kernel + t.d2h <= t.total


def test_second_call_reuses_kernel_and_input_buffer(xrt, fake):
    img = natural_gray(16, 16)
    first = gaussian_filter(img, runtime=xrt)
    kept = first.value.copy()
    fake.CALLS.clear()
    second = gaussian_filter(255 - img, runtime=xrt)
    names = [n for n, _ in fake.CALLS]
    assert "xclbin" not in names and "kernel" not in names  # loaded once
    assert [d["group"] for n, d in fake.CALLS if n == "bo"] == [11]  # only a new output buffer
    # results never alias: the first one is untouched by the second call
    assert np.array_equal(first.value, kept)
    assert not np.array_equal(first.value, second.value)


def test_fallback_to_load_xclbin_without_hw_context(xclbin_dir):
    from jupyter_ext.runtime import repository_locator

    fake = load(xrt="2022.1")  # XRT 2022.1 to 2023.1: no hw_context, no register_xclbin
    rt = select_runtime(
        {}, import_pyxrt=lambda: fake, locator=repository_locator([str(xclbin_dir)])
    )
    fake.CALLS.clear()
    r = resize(natural_gray(20, 30), 10, 15, runtime=rt)
    names = [n for n, _ in fake.CALLS]
    assert names[:3] == ["xclbin", "load_xclbin", "kernel"]
    assert "register_xclbin" not in names and "hw_context" not in names
    assert fake.CALLS[2][1] == {"name": "resize_accel", "via": "uuid"}
    assert r.backend == "xrt" and r.value.shape == (10, 15)
    assert LAST["resize_accel"] == {"in": (20, 30), "out": (10, 15)}


def test_the_double_refuses_and_drops_floats_like_pyxrt(xrt, fake):
    """What XRT 2.25's pybind11 casters do (read into surface.json by probing the real module)."""
    xrt.kernel_source("gaussian_filter_accel")  # load it
    k = xrt._load("gaussian_filter_accel").kernel
    run = fake.run(k)
    for bad in (1.5, np.float64(2.0), 2**31, -(2**31) - 1, "7", None):
        with pytest.raises(TypeError, match="incompatible function arguments"):
            run.set_arg(4, bad)
    run.set_arg(4, np.float32(1.5))  # accepted, and truncated to 1: the pitfall itself
    assert fake.CALLS[-1][1]["value"] == 1
    with pytest.raises(TypeError, match="incompatible function arguments"):
        run.wait(-1)  # wait(unsigned int)
    run.set_arg(4, f32_bits(1.5))  # the bit pattern is what goes through
    # kernel(*args) drops what is neither a bo nor a C int, without a word
    fake.CALLS.clear()
    k(1.5, 2**40)
    assert [n for n, _ in fake.CALLS] == ["run", "start"]


def test_scalars_reach_the_device_as_their_32_bits(xrt):
    r = mc_european("call", 100.0, 95.5, 0.035, 0.0125, 0.275, 1.75, 0.01,
                    samples=100_000, time_steps=7, seed=(5 << 32) | 9, runtime=xrt)  # fmt: skip
    got = LAST["mc_euro_k"]
    for key, want in (("underlying", 100.0), ("strike", 95.5), ("riskFreeRate", 0.035),
                      ("dividendYield", 0.0125), ("volatility", 0.275), ("timeLength", 1.75),
                      ("requiredTolerance", 0.01)):  # fmt: skip
        assert got[key] == pytest.approx(want, rel=1e-7), key
    assert got["optionType"] == 0
    assert got["requiredSamples"] == 100_000
    assert got["timeSteps"] == 7
    assert got["seed"] == [9, 5]
    # the fake device answers with the exact price: the library read output[0] back
    from jupyter_ext.library.references import european_closed_form

    want = european_closed_form("call", 100.0, 95.5, 0.035, 0.0125, 0.275, 1.75)
    assert r.value == pytest.approx(want, rel=1e-6)


def test_outputs_are_zero_copy_views_of_the_buffer(xrt, fake):
    r = gaussian_filter(natural_gray(32, 32), runtime=xrt)
    assert isinstance(r.value, DeviceArray)
    assert np.shares_memory(r.value, r.value.bo._s.host)  # the double's host mapping of that bo
    assert fake.COPIES == {"write": 0, "read": 0, "bytes": 0}


def test_prepared_inputs_are_used_in_place(xrt, fake):
    img = natural_gray(40, 40)
    placed = xrt.prepare("gaussian_filter_accel", 0, img)
    assert isinstance(placed, DeviceArray) and np.array_equal(placed, img)
    before = xrt.stats.staged_copies
    fake.CALLS.clear()
    r = gaussian_filter(placed, runtime=xrt)
    assert xrt.stats.staged_copies == before  # no host copy of the input
    first_arg = next(d for n, d in fake.CALLS if n == "set_arg")
    assert first_arg["value"] == placed.bo.address()
    assert [d["group"] for n, d in fake.CALLS if n == "bo"] == [11]  # only the output
    # still synced: a DeviceArray changed on the host reaches the device
    placed[:] = 0
    assert not gaussian_filter(placed, runtime=xrt).value.any()
    assert r.value.any()


def test_plain_inputs_cost_exactly_one_staging_copy(xrt):
    before = xrt.stats.staged_copies
    gaussian_filter(natural_gray(16, 16), runtime=xrt)
    assert xrt.stats.staged_copies == before + 1


def test_kernel_error_state_is_raised(xrt, fake):
    fake.BEHAVIOUR.end_states.append("ERT_CMD_STATE_ERROR")
    with pytest.raises(KernelError, match="gaussian_filter_accel.*ERT_CMD_STATE_ERROR"):
        gaussian_filter(natural_gray(8, 8), runtime=xrt)
    assert gaussian_filter(natural_gray(8, 8), runtime=xrt).backend == "xrt"  # usable again


@pytest.mark.parametrize("state", ["hang", "ERT_CMD_STATE_SUBMITTED", "ERT_CMD_STATE_TIMEOUT"])
def test_kernel_timeout_is_raised_and_says_how_to_recover(fake, xclbin_dir, state):
    from jupyter_ext.runtime import repository_locator

    rt = select_runtime({}, import_pyxrt=lambda: fake, timeout_s=0.25,
                        locator=repository_locator([str(xclbin_dir)]))  # fmt: skip
    fake.BEHAVIOUR.end_states.append(state)
    with pytest.raises(KernelTimeout, match=r"xilGzipCompBlock.*within 0\.25 s") as err:
        gzip_compress(b"hello", runtime=rt)
    text = str(err.value)
    assert "xrt-smi reset -d 0000:65:00.1" in text and "restart the pod" in text
    assert "still active" in text and "cannot abort" in text and "xbutil" not in text
    assert [d["timeout_ms"] for n, d in fake.CALLS if n == "wait"] == [250]
    assert len(rt.abandoned) == 1  # its buffers stay allocated while the kernel may run
    assert not hasattr(fake.run, "abort")  # no pyxrt has it; the backend never calls it


def test_kernel_without_xclbin_is_emulated_and_says_why(fake, xclbin_dir):
    from jupyter_ext.runtime import repository_locator

    repo = repository_locator([str(xclbin_dir)])
    rt = select_runtime(
        {}, import_pyxrt=lambda: fake,
        locator=lambda k, p: None if k == "resize_accel" else repo(k, p),
    )  # fmt: skip
    fake.CALLS.clear()
    missing = rt.where("resize_accel")
    assert (missing.backend, missing.reason) == (
        "emulated", f"no xclbin for kernel resize_accel on platform {PLATFORM}"
    )  # fmt: skip
    found = rt.where("gaussian_filter_accel")
    assert (found.backend, found.xclbin) == ("xrt", str(xclbin_dir / "vision.xclbin"))
    assert fake.CALLS == []  # planning loads nothing onto the device
    r = resize(natural_gray(8, 8), 4, 4, runtime=rt)
    assert r.backend == "emulated" and r.emulated
    assert r.reason == f"no xclbin for kernel resize_accel on platform {PLATFORM}"
    assert "emulated" in repr(r) and "resize_accel" in str(r)
    assert gaussian_filter(natural_gray(8, 8), runtime=rt).backend == "xrt"


def test_no_xclbin_for_this_platform(fake, xclbin_dir):
    from jupyter_ext.runtime import repository_locator

    rt = select_runtime({"FPGA_BOARD": "u280", "FPGA_PLATFORM": "xilinx_u280_gen3x16_xdma_1"},
                        import_pyxrt=lambda: fake, locator=repository_locator([str(xclbin_dir)]))  # fmt: skip
    r = gaussian_filter(natural_gray(8, 8), runtime=rt)
    assert r.emulated
    assert (
        r.reason
        == "no xclbin for kernel gaussian_filter_accel on platform xilinx_u280_gen3x16_xdma_1"
    )


def test_xclbin_without_the_kernel_is_a_clear_error(fake, xclbin_dir):
    rt = select_runtime({}, import_pyxrt=lambda: fake,
                        locator=lambda k, p: xclbin_dir / "gzip.xclbin")  # fmt: skip
    with pytest.raises(FPGARuntimeError, match="gzip.xclbin.*resize_accel.*xilGzipCompBlock"):
        resize(natural_gray(8, 8), 4, 4, runtime=rt)


def test_gemm_instruction_points_at_its_matrices(xrt, fake):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((70, 33)).astype(np.float32)
    b = rng.standard_normal((33, 5)).astype(np.float32)
    r = gemm(a, b, bias=0.5, runtime=xrt)
    words = LAST["blasKernel"]["words"]
    assert LAST["blasKernel"]["same_buffer"]  # blasKernel(instr, instr)
    assert words[0] == 2 and words[5:8] == [128, 64, 64]  # OpGemm, padded m, k, n
    assert r.value.shape == (70, 5)
    np.testing.assert_allclose(r.value, a.astype(np.float64) @ b + 0.5, rtol=1e-5, atol=1e-5)
    groups = {d["group"] for n, d in fake.CALLS if n == "bo"}
    assert groups == {1}  # every matrix in the instruction buffer's memory group

"""The pyxrt double itself: the real module's surface and refusals, and a device that can hang.

The surface (names, overloads, enum values, refusals) was read from XRT 2.25's
own pyxrt into ``surface.json``; ``tests/xrt/test_pyxrt_double_drift.py``
checks that file against the real module, these tests check the double
against that file, so together: the double is the real module's surface.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.pyxrt_double import HOOKS, BoardHang, generate, load, surface
from tests.support.pyxrt_double.drift import differences

RELEASES = ["2.25", "2022.1"]


@pytest.mark.parametrize("xrt", RELEASES)
def test_the_double_has_exactly_the_surface_it_was_built_from(xrt):
    """Walk and probe the double as the generator walks and probes the real module: 0 drift."""
    want = surface(xrt)
    px = load(xrt=xrt)
    for hook in HOOKS:
        delattr(px, hook)
    got = {"module": generate.walk(px, "pyxrt")}
    got["probes"] = generate.probe_all(px, got["module"], isolate=False)
    drift = differences({"module": want["module"], "probes": want["probes"]}, got)
    assert drift == [], f"{len(drift)} differences, first: {drift[:10]}"
    assert len(want["probes"]) > 1500  # every parameter of every overload was probed


def test_the_test_hooks_are_the_only_extra_names():
    px = load()
    real = set(surface()["module"]["members"])
    assert set(vars(px)) - real - {"__name__", "__doc__", "__package__", "__loader__",
                                   "__spec__"} == set(HOOKS)  # fmt: skip
    assert not set(HOOKS) & real


def test_facts_the_hand_written_stand_in_had_wrong():
    px = load()
    assert int(px.bo.flags.cacheable) == 0x1000000 and int(px.bo.normal) == 0  # bit flags
    assert int(px.bo.flags.host_only) == 0x20000000
    states = px.ert_cmd_state.__members__
    assert {"ERT_CMD_STATE_SKERROR", "ERT_CMD_STATE_SKCRASHED"} <= set(states)
    assert "ERT_CMD_STATE_RUNNING" not in states
    assert int(px.xrt_info_device.dynamic_regions) == 17 and int(px.xrt_info_device.vmr) == 18
    assert px.ert_cmd_state.ERT_CMD_STATE_COMPLETED == 4  # C enums compare with ints ...
    assert px.bo.flags.cacheable != 0x1000000  # ... C++ enum classes do not
    with pytest.raises(TypeError, match="incompatible function arguments"):
        px.run().wait(-1)  # wait(unsigned int)
    with pytest.raises(TypeError, match="incompatible constructor arguments"):
        px.bo(px.device(0), 64, 0)  # a group without flags needs a hw_context
    with pytest.raises(TypeError, match="incompatible constructor arguments"):
        px.device(-1)
    with pytest.raises(RuntimeError, match="No such device with index '1'"):
        px.device(1)
    assert not hasattr(px.run, "abort")
    for name in ("elf", "runlist", "program", "module", "log_message", "ext"):
        assert hasattr(px, name)


def test_older_releases_lack_what_2023_2_added():
    old = load(xrt="2022.1")
    for name in ("hw_context", "enumerate_devices", "ext", "runlist"):
        assert not hasattr(old, name)
    assert not hasattr(old.device, "register_xclbin")
    assert len(old.bo.sync.overloads) == 1 and "arg2: int" in old.bo.sync.__doc__
    b = old.bo(old.device(0), 64, old.bo.normal, 0)
    with pytest.raises(TypeError, match="incompatible function arguments"):
        b.sync(old.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE)  # no one-argument sync
    b.sync(old.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE, 64, 0)


def test_device_memory_is_garbage_until_synced():
    px = load()
    b = px.bo(px.device(0), 8, px.bo.normal, 0)
    np.frombuffer(b.map(), np.uint8)[:] = 7
    assert (px._double.device_memory(b) == 0xA5).all()
    b.sync(px.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE, 8, 0)
    assert (px._double.device_memory(b) == 7).all()
    assert b.read(4, 0).dtype == np.int8  # as the real binding returns it


# --- kernels that cannot complete -------------------------------------------------------------


def _kernel(px, xclbin_dir, file, name):
    dev = px.device(0)
    xb = px.xclbin(str(xclbin_dir / file))
    dev.register_xclbin(xb)
    return dev, px.kernel(px.hw_context(dev, xb.get_uuid()), name)


def _bos(px, dev, k, sizes):
    return [px.bo(dev, n, px.bo.normal, k.group_id(i)) for i, n in sizes]


def test_bs_kernel_hangs_on_a_partial_word(xclbin_dir):
    """num not a multiple of 16: the board never finishes; wait(ms) times out, wait() would block."""
    px = load()
    dev, k = _kernel(px, xclbin_dir, "finance.xclbin", "bs_kernel")
    bos = _bos(px, dev, k, [(i, 80) for i in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12)])
    run = px.run(k)
    for i, b in zip((0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12), bos, strict=True):
        run.set_arg(i, b)
    run.set_arg(5, 1)
    run.set_arg(6, 20)
    run.start()
    assert run.wait(1000) == px.ert_cmd_state.ERT_CMD_STATE_TIMEOUT
    assert run.state() == px.ert_cmd_state.ERT_CMD_STATE_SUBMITTED
    with pytest.raises(BoardHang, match="num=20 is not a whole number of 512-bit words"):
        run.wait()
    assert px._double.hangs and px._double.hangs[0][0] == "bs_kernel"


@pytest.mark.parametrize(("rows", "cols", "hangs"), [(2160, 3840, False), (2161, 10, True),
                                                     (10, 3841, True)])  # fmt: skip
def test_vision_kernels_refuse_sizes_over_their_build(xclbin_dir, rows, cols, hangs):
    px = load(compute=False)
    dev, k = _kernel(px, xclbin_dir, "vision.xclbin", "gaussian_filter_accel")
    a, b = _bos(px, dev, k, [(0, rows * cols), (1, rows * cols)])
    run = k(a, b, rows, cols, 0)
    want = "ERT_CMD_STATE_TIMEOUT" if hangs else "ERT_CMD_STATE_COMPLETED"
    assert run.wait(100) == getattr(px.ert_cmd_state, want)


def test_gzip_of_nothing_hangs_and_a_short_input_buffer_is_an_error(xclbin_dir):
    px = load()
    dev, k = _kernel(px, xclbin_dir, "gzip.xclbin", "xilGzipCompBlock")
    bufs = _bos(px, dev, k, [(0, 16), (1, 4096), (2, 8), (3, 4)])
    assert k(*bufs, 0, 1).wait(10) == px.ert_cmd_state.ERT_CMD_STATE_TIMEOUT
    assert k(*bufs, 16, 1).wait(10) == px.ert_cmd_state.ERT_CMD_STATE_ERROR  # reads 1 KiB
    assert "reads (whole bursts) 1024" in px._double.errors[-1][1]


def test_a_buffer_from_another_memory_group_is_refused(xclbin_dir):
    px = load()
    dev, k = _kernel(px, xclbin_dir, "vision.xclbin", "gaussian_filter_accel")
    wrong = px.bo(dev, 64, px.bo.normal, k.group_id(1))
    with pytest.raises(RuntimeError, match="not connected to it"):
        px.run(k).set_arg(0, wrong)


def test_trace_keeps_every_call_with_its_arguments(xclbin_dir):
    px = load(trace=True)
    dev, k = _kernel(px, xclbin_dir, "vision.xclbin", "gaussian_filter_accel")
    paths = [p for p, _, _ in px._double.trace]
    assert paths[:5] == ["device.__init__", "xclbin.__init__", "device.register_xclbin",
                         "xclbin.get_uuid", "hw_context.__init__"]  # fmt: skip
    assert px._double.trace[0][1][1:] == (0,)

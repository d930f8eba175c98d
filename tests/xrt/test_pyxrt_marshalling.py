"""Every library function's XRT marshalling, taken by XRT's own pyxrt.

Each library function runs through the XRT backend on the double (which
records every pyxrt call with its raw arguments); each recorded call is then
replayed against the real module, which must take its arguments: the
argument types of every ``run.set_arg``, ``bo(...)``, ``sync``, ``kernel(...)``
and ``hw_context``/``load_xclbin`` call, as pybind11 converts them. Floats
travel as ``np.float32(x).view(np.int32).item()``, ints as C ints.
"""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_ext.library import FUNCTIONS, gaussian_filter, mc_european
from jupyter_ext.library.registry import natural_gray
from jupyter_ext.runtime import repository_locator, select_runtime
from tests.support.pyxrt_double import generate, load, write_xclbins

from .pyxrt_replay import replay

SIZES = {"finance.black_scholes": 40, "finance.mc_european": 4096, "vision.stereo_bm": 64,
         "compression.gzip": 5000, "compression.zlib": 5000, "blas.gemm": 70}  # fmt: skip


@pytest.fixture(scope="module")
def xclbins(tmp_path_factory):
    d = tmp_path_factory.mktemp("xclbin")
    write_xclbins(d)
    return d


def _traced(xclbins, xrt="2.25"):
    px = load(xrt=xrt, compute=False, trace=True)
    rt = select_runtime({}, import_pyxrt=lambda: px, locator=repository_locator([str(xclbins)]))
    return px, rt


@pytest.mark.parametrize("xrt", ["2.25", "2022.1"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_call_a_library_function_makes_is_taken_by_real_pyxrt(pyxrt, xclbins, name, xrt):
    spec = FUNCTIONS[name]
    px, rt = _traced(xclbins, xrt)
    r = spec.run(spec.make_inputs(SIZES.get(name, 24)), runtime=rt)
    assert r.backend == "xrt", r.reason
    trace = px._double.trace
    assert any(p == "run.set_arg" for p, _, _ in trace) and any(p == "bo.sync" for p, _, _ in trace)
    assert replay(pyxrt, trace) == []
    assert px._double.hangs == [] and px._double.errors == []


def test_set_arg_values_fit_the_real_overloads(pyxrt, xclbins):
    """The overloads parsed from the real docstring: (int, xrt::bo) and (int, int), nothing else."""
    overloads = generate.parse_doc("set_arg", pyxrt.run.set_arg.__doc__)
    assert [[p["type"] for p in o["params"][1:]] for o in overloads] == [["int", "xrt::bo"],
                                                                         ["int", "int"]]  # fmt: skip
    px, rt = _traced(xclbins)
    for name in sorted(FUNCTIONS):
        FUNCTIONS[name].run(FUNCTIONS[name].make_inputs(SIZES.get(name, 24)), runtime=rt)
    for path, args, _ in px._double.trace:
        if path == "run.set_arg":
            _, index, value = args
            assert type(index) is int
            assert isinstance(value, px.bo) or (type(value) is int and -(2**31) <= value < 2**31)


def _scalars(px, kernel):
    runs = [a for p, a, _ in px._double.trace if p == "run.set_arg"]
    return {i: v for _, i, v in runs if type(v) is int}


def test_floats_travel_as_their_float32_bit_pattern(pyxrt, xclbins):
    px, rt = _traced(xclbins)
    gaussian_filter(natural_gray(16, 16), sigma=1.3, runtime=rt)
    assert _scalars(px, "gaussian_filter_accel")[4] == np.float32(1.3).view(np.int32).item()
    px, rt = _traced(xclbins)
    mc_european("put", 36.0, 40.0, 0.06, 0.0, 0.2, 1.0, 0.02, samples=4096, runtime=rt)
    got = _scalars(px, "mc_euro_k")
    for index, value in ((0, 36.0), (1, 0.2), (3, 0.06), (4, 1.0), (5, 40.0), (9, 0.02)):
        assert got[index] == np.float32(value).view(np.int32).item(), index

"""Kernel contracts: a call a kernel could not complete is padded or refused before any board sees it.

The runtime's rules (``jupyter_ext/runtime/contracts.py``) and the double's
(``tests/support/pyxrt_double/kernel_rules.py``) are written separately from
the kernel sources; the last tests here run the library through the runtime
on the double, which would hang or fail a run if the two disagreed.
"""

from __future__ import annotations

import gzip
import zlib

import numpy as np
import pytest

from jupyter_ext.library import black_scholes, gemm, gzip_compress, zlib_compress
from jupyter_ext.library.registry import text_bytes
from jupyter_ext.runtime import (
    In,
    InvalidArgument,
    KernelCall,
    KernelError,
    Out,
    Scalar,
    contracts,
    repository_locator,
    select_runtime,
)
from jupyter_ext.runtime.contracts import ContractError
from tests.support.fake_pyxrt import PLATFORM
from tests.support.xclbin_writer import write_xclbin


@pytest.mark.parametrize(("n", "read"), [(1, 1024), (1016, 1024), (1017, 2048), (1024, 2048),
                                         (8192, 9216), (100_000, 100_352)])  # fmt: skip
def test_gzip_reads_whole_bursts_one_more_than_whole(n, read):
    assert contracts.gzip_read_bytes(n) == read
    assert contracts.device_bytes("xilGzipCompBlock", 0, n) == read
    assert contracts.device_bytes("xilGzipCompBlock", 1, n) == n  # only the input is padded


def test_gzip_output_covers_the_worst_stream_in_whole_bursts():
    for n in (1, 1000, 32768, 32769, 1_000_000):
        out = contracts.gzip_out_bytes(n)
        assert out % 1024 == 0 and out >= n * 10 // 8 + 8
    incompressible = np.random.default_rng(0).integers(0, 256, 100_000, np.uint8).tobytes()
    stream = zlib.compressobj(1, zlib.DEFLATED, -15)
    body = stream.compress(incompressible) + stream.flush(zlib.Z_FULL_FLUSH)
    assert len(body) + 8 <= contracts.gzip_out_bytes(len(incompressible))


def test_gzip_size_rules_name_the_argument():
    with pytest.raises(ContractError, match=r"xilGzipCompBlock argument input_size: 0 bytes"):
        contracts.gzip_input_size(0)
    with pytest.raises(ContractError, match="input_size"):
        contracts.gzip_input_size(2**32)
    sizes = {0: 1024, 1: contracts.gzip_out_bytes(10), 2: 8, 3: 4}
    contracts.check("xilGzipCompBlock", {4: 10, 5: 1}, sizes)
    with pytest.raises(ContractError, match=r"argument in: 16 bytes \(allowed: at least 1024"):
        contracts.check("xilGzipCompBlock", {4: 10, 5: 1}, {**sizes, 0: 16})
    with pytest.raises(ContractError, match="argument out"):
        contracts.check("xilGzipCompBlock", {4: 10, 5: 1}, {**sizes, 1: 64})


def test_black_scholes_num_is_whole_words():
    sizes = dict.fromkeys(range(13), 80)
    with pytest.raises(ContractError, match="bs_kernel argument num: 20 is not a multiple of 16"):
        contracts.check("bs_kernel", {5: 1, 6: 20}, sizes)
    contracts.check("bs_kernel", {5: 1, 6: 16}, dict.fromkeys(range(13), 64))


def test_gemm_min_size_is_whole_ddr_words(emulated):
    a = np.ones((3, 3), np.float32)
    assert gemm(a, a, min_size=64, runtime=emulated).details["padded"] == (64, 64, 64)
    for bad in (0, 70, 8, True, 64.0, "64"):
        with pytest.raises(InvalidArgument, match="min_size: .*a positive multiple of 16"):
            gemm(a, a, min_size=bad, runtime=emulated)


def test_the_backend_refuses_before_allocating_anything(xrt, fake):
    arrays = [np.ones(20, np.float32) for _ in range(5)]
    call = KernelCall(
        function="test", kernel="bs_kernel",
        args=(*(In(a) for a in arrays), Scalar.u32(1), Scalar.u32(20, "num"),
              *(Out((20,), np.float32) for _ in range(6))),
        model=list,
    )  # fmt: skip
    with pytest.raises(ContractError, match="num: 20 is not a multiple of 16"):
        xrt.run(call)
    assert not [c for c in fake.CALLS if c[0] in ("bo", "run")]  # nothing reached the device


def test_a_float_scalar_never_reaches_set_arg(xrt, fake):
    call = KernelCall(function="test", kernel="gaussian_filter_accel",
                      args=(In(np.zeros((4, 4), np.uint8)), Out((4, 4), np.uint8),
                            Scalar.i32(4), Scalar.i32(4), Scalar(1.5, "sigma")),  # type: ignore[arg-type]
                      model=list)  # fmt: skip
    with pytest.raises(InvalidArgument, match=r"gaussian_filter_accel argument sigma: 1.5"):
        xrt.run(call)
    assert not [c for c in fake.CALLS if c[0] == "run"]


def test_gzip_input_is_padded_on_the_device_not_copied_longer(xrt, fake):
    data = text_bytes(3000)
    r = gzip_compress(data, runtime=xrt)
    assert r.backend == "xrt" and gzip.decompress(r.value) == data
    first_bo = next(d for n, d in fake.CALLS if n == "bo")
    assert first_bo["size"] == contracts.gzip_read_bytes(3000) == 3072
    syncs = [d for n, d in fake.CALLS if n == "sync" and d["address"] == first_bo["address"]]
    assert syncs[0]["size"] == 3072 and syncs[0]["offset"] == 0
    assert xrt.stats.staged_bytes == 3000  # one copy of the data itself
    assert fake._double.errors == [] and fake._double.hangs == []


def test_a_prepared_gzip_input_carries_its_padding_and_is_used_in_place(xrt):
    data = np.frombuffer(text_bytes(5000), np.uint8)
    placed = xrt.prepare("xilGzipCompBlock", 0, data)
    assert placed.capacity == contracts.gzip_read_bytes(5000)
    before = xrt.stats.staged_copies
    assert gzip.decompress(gzip_compress(placed, runtime=xrt).value) == data.tobytes()
    assert xrt.stats.staged_copies == before


def test_an_empty_input_is_compressed_on_the_cpu_and_says_why(xrt, fake):
    r = gzip_compress(b"", runtime=xrt)
    assert r.emulated and "input_size 0" in r.reason
    assert (
        gzip.decompress(r.value) == b""
        and zlib.decompress(zlib_compress(b"", runtime=xrt).value) == b""
    )
    assert not [c for c in fake.CALLS if c[0] == "run"]


@pytest.mark.parametrize("n", [1, 7, 1016, 1017, 32768, 32769, 250_000])
def test_every_gzip_size_completes_on_the_double(xrt, fake, n):
    data = np.random.default_rng(n).integers(0, 256, n, np.uint8).tobytes()
    r = gzip_compress(data, runtime=xrt)
    assert r.backend == "xrt" and gzip.decompress(r.value) == data
    assert fake._double.errors == [] and fake._double.hangs == []


def test_gemm_block_size_is_checked_and_the_board_holds_the_xclbin_to_its_build(
    xrt, fake, emulated, tmp_path
):
    a, b = np.ones((5, 3), np.float32), np.ones((3, 2), np.float32)
    for rt in (xrt, emulated):
        with pytest.raises(InvalidArgument, match="min_size: 70 .*multiple of 16"):
            gemm(a, b, min_size=70, runtime=rt)
    # The default xclbin is built with 4 blocks of 16: 32 would be a partial block on its
    # board, so it is refused before anything reaches the board, naming the build's blocks;
    # emulation holds a call to the default build the same way.
    for rt, source in ((xrt, "xclbin blas.xclbin metadata"), (emulated, "build's default")):
        with pytest.raises(InvalidArgument, match=f"min_size: 32 .*m 64, k 64, n 64 .*{source}"):
            gemm(a, b, min_size=32, runtime=rt)
    assert not [c for c in fake.CALLS if c[0] == "run"]
    assert gemm(a, b, min_size=128, runtime=xrt).details["padded"] == (128, 128, 128)
    # With the blocks check bypassed, the double still holds the board to the xclbin's build.
    from jupyter_ext.library import blas

    real_blocks = blas.blocks
    blas.blocks = lambda rt: ((16, 16, 16), "a wrong guess")
    try:
        with pytest.raises(KernelError, match="ERT_CMD_STATE_ERROR"):
            gemm(a, b, runtime=xrt)
    finally:
        blas.blocks = real_blocks
    assert "not a whole number of 64-blocks" in fake._double.errors[-1][1]


@pytest.mark.parametrize("m_blocks,k_blocks,n_blocks", [(2, 2, 2), (8, 4, 1), (1, 3, 5)])
def test_gemm_pads_to_the_blocks_its_xclbin_declares(fake, tmp_path, m_blocks, k_blocks, n_blocks):
    """Any build runs without the caller knowing its blocks: they are read from the xclbin."""
    keys = {"BLAS_gemmMBlocks": str(m_blocks), "blasKernel.BLAS_gemmKBlocks": str(k_blocks),
            "XF_BLAS_gemmNBlocks": str(n_blocks), "other.BLAS_gemmMBlocks": "7"}  # fmt: skip
    write_xclbin(tmp_path / "blas.xclbin", platform=PLATFORM, kernels=["blasKernel"],
                 keyvalues=keys)  # fmt: skip
    rt = select_runtime({}, import_pyxrt=lambda: fake, locator=repository_locator([str(tmp_path)]))
    a = np.arange(70 * 33, dtype=np.float32).reshape(70, 33) / 100
    b = np.ones((33, 5), np.float32)
    r = gemm(a, b, runtime=rt)
    assert r.backend == "xrt" and np.allclose(r.value, a @ b)
    assert fake._double.errors == [] and fake._double.hangs == []
    want = tuple(-(-v // (16 * n)) * 16 * n for v, n in ((70, m_blocks), (33, k_blocks),
                                                           (5, n_blocks)))  # fmt: skip
    assert r.details["padded"] == want and "blas.xclbin" in r.details["blocks"]


def test_gemm_refuses_an_xclbin_whose_blocks_it_cannot_use(fake, tmp_path):
    for keys, message in (({"BLAS_ddrWidth": "8"}, "BLAS_ddrWidth: 8 .*float32"),
                          ({"BLAS_gemmKBlocks": "four"}, "BLAS_gemmKBlocks: 'four' .*integer"),
                          ({"BLAS_gemmNBlocks": "0"}, "BLAS_gemmNBlocks: '0' .*positive")):  # fmt: skip
        write_xclbin(tmp_path / "blas.xclbin", platform=PLATFORM, kernels=["blasKernel"],
                     keyvalues=keys)  # fmt: skip
        rt = select_runtime({}, import_pyxrt=lambda: fake,
                            locator=repository_locator([str(tmp_path)]))  # fmt: skip
        with pytest.raises(InvalidArgument, match=message):
            gemm(np.ones((4, 4)), np.ones((4, 4)), runtime=rt)


def test_a_gemm_instruction_with_a_partial_block_is_refused(xrt, fake):
    from jupyter_ext.library import blas

    a = np.ones((64, 64), np.float32)
    original = blas.gemm_instruction

    def broken(base, addresses, m, k, n, post_scale=1):
        return original(base, addresses, m - 6, k, n, post_scale)  # m=58: not whole words

    blas.gemm_instruction = broken
    try:
        with pytest.raises(ContractError, match="instruction m: 58"):
            gemm(a, a, runtime=xrt)
    finally:
        blas.gemm_instruction = original
    assert not [c for c in fake.CALLS if c[0] == "run"]


def test_black_scholes_padding_meets_the_double(xrt, fake):
    spot = np.linspace(80, 120, 37).astype(np.float32)
    r = black_scholes(spot, 100.0, 0.2, 0.03, 1.0, runtime=xrt)
    assert r.backend == "xrt" and r["price"].shape == (37,)
    assert fake._double.hangs == []

"""gzip/zlib streams read back by the standard tools; GEMM against numpy in double."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import zlib

import numpy as np
import pytest

from jupyter_ext.library import gemm, gzip_compress, zlib_compress
from jupyter_ext.library.registry import text_bytes
from jupyter_ext.runtime import InvalidArgument

GZIP = shutil.which("gzip")

SAMPLES = {
    "text": text_bytes(300_000),
    "random": np.random.default_rng(5).integers(0, 256, 70_001, dtype=np.uint8).tobytes(),
    "zeros": bytes(100_000),
    "one byte": b"x",
    "empty": b"",
}


def _gzip_d(stream: bytes) -> bytes:
    p = subprocess.run([GZIP, "-d", "-c"], input=stream, capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


@pytest.mark.parametrize("name", list(SAMPLES))
def test_gzip_stream_is_read_back_by_gzip_d(emulated, xrt, name):
    data = SAMPLES[name]
    for rt in (emulated, xrt):
        r = gzip_compress(data, runtime=rt)
        assert isinstance(r.value, bytes) and r.value[:2] == b"\x1f\x8b"
        assert _gzip_d(r.value) == data, rt.name
        assert gzip.decompress(r.value) == data
    p = subprocess.run([GZIP, "-t"], input=gzip_compress(data, runtime=emulated).value, timeout=30)
    assert p.returncode == 0  # gzip's own integrity test: CRC and length in the trailer


@pytest.mark.parametrize("name", list(SAMPLES))
def test_zlib_stream_is_read_back_by_zlib(emulated, xrt, name):
    data = SAMPLES[name]
    for rt in (emulated, xrt):
        r = zlib_compress(data, runtime=rt)
        assert zlib.decompress(r.value) == data, rt.name
        assert int.from_bytes(r.value[-4:], "big") == zlib.adler32(data)


def test_compression_ratio_is_real(emulated):
    data = SAMPLES["text"]
    out = gzip_compress(data, runtime=emulated).value
    assert len(out) < 0.75 * len(data)
    assert len(gzip_compress(SAMPLES["zeros"], runtime=emulated).value) < 2000
    assert len(gzip_compress(SAMPLES["random"], runtime=emulated).value) < 70_001 + 200


def test_gzip_accepts_buffers_and_refuses_text(emulated):
    data = SAMPLES["text"][:5000]
    for form in (bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        assert gzip.decompress(gzip_compress(form, runtime=emulated).value) == data
    with pytest.raises(InvalidArgument, match="data: a str"):
        gzip_compress("text", runtime=emulated)
    with pytest.raises(InvalidArgument, match="data: int"):
        zlib_compress(5, runtime=emulated)


@pytest.mark.parametrize("shape", [(64, 64, 64), (70, 33, 5), (1, 200, 3), (128, 256, 96)])
def test_gemm_against_numpy_double(emulated, xrt, shape):
    m, k, n = shape
    rng = np.random.default_rng(m * k * n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    want = a.astype(np.float64) @ b.astype(np.float64) + bias
    tol = k * np.finfo(np.float32).eps * (np.abs(a) @ np.abs(b)).max()
    for rt in (emulated, xrt):
        r = gemm(a, b, bias, runtime=rt)
        assert r.value.shape == (m, n) and r.value.dtype == np.float32
        assert np.abs(r.value - want).max() <= tol, rt.name
    plain = gemm(a, b, runtime=emulated).value
    assert np.abs(plain - (want - bias)).max() <= tol


def test_gemm_bad_input(emulated):
    with pytest.raises(InvalidArgument, match=r"b: shape \(4, 2\) after a of shape \(3, 5\)"):
        gemm(np.ones((3, 5)), np.ones((4, 2)), runtime=emulated)
    with pytest.raises(InvalidArgument, match="a: 1-D"):
        gemm(np.ones(3), np.ones((3, 2)), runtime=emulated)
    with pytest.raises(InvalidArgument, match="a: dtype complex128"):
        gemm(np.ones((2, 2), complex), np.ones((2, 2)), runtime=emulated)

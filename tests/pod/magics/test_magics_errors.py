"""Bad arguments: the usage and what was wrong, as a UsageError, never a traceback."""

from __future__ import annotations

import pytest

from tests.support.ipython_shell import Shell

CASES = [
    # (cell, usage line expected, what was wrong)
    ("%fpga bench", "usage: %fpga bench [--size N] [--repeat R] [-o] FUNCTION",
     "the following arguments are required: FUNCTION"),
    ("%fpga bench finance.black_scholes --size x", "usage: %fpga bench",
     "argument --size: 'x' is not an integer"),
    ("%fpga bench finance.black_scholes --size 0", "usage: %fpga bench",
     "argument --size: 0 is not a positive integer"),
    ("%fpga bench finance.black_scholes --repeat 5000", "usage: %fpga bench",
     "argument --repeat: 5000 is more than 1000"),
    ("%fpga bench finance.black_scholes --sise 10", "usage: %fpga bench",
     "unrecognized arguments: --sise 10"),
    ("%fpga bench 'finance.black_scholes", "usage: %fpga bench", "No closing quotation"),
    ("%fpga info", "usage: %fpga info [--full] FILE.xclbin",
     "the following arguments are required: FILE.xclbin"),
    ("%fpga load", "usage: %fpga load FILE.xclbin|FUNCTION", "required: FILE.xclbin|FUNCTION"),
    ("%fpga status --verbose", "usage: %fpga status", "unrecognized arguments: --verbose"),
    ("%fpga list extra", "usage: %fpga list", "unrecognized arguments: extra"),
    ("%fpga bogus", "%fpga bench [--size N] [--repeat R] [-o] FUNCTION",
     "%fpga: unknown command 'bogus'; choose from status, list, info, load, bench"),
    ("%%fpga --bogus\nx = 1", "usage: %%fpga [--compare]", "unrecognized arguments: --bogus"),
]  # fmt: skip


@pytest.mark.parametrize(("cell", "usage", "problem"), CASES)
def test_bad_arguments_print_usage_and_problem(
    shell: Shell, cell: str, usage: str, problem: str
) -> None:
    out = shell.run(cell)
    assert out.failed  # the cell fails, so "Run all" stops here
    assert out.stderr.startswith("UsageError: ")
    assert usage in out.stderr
    assert problem in out.stderr
    assert "Traceback" not in out.text and 'File "' not in out.text
    assert not out.bundles  # nothing half-done was displayed


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("%fpga bench nope.func", "%fpga bench: unknown function 'nope.func'; choose from: blas.gemm"),
        ("%fpga load nope.func", "%fpga load: no xclbin file 'nope.func'"),
        ("%fpga info missing.xclbin", "%fpga info: no xclbin file 'missing.xclbin' (not a path, "
         "and not on the xclbin search path"),
    ],
)  # fmt: skip
def test_bad_values_name_what_is_allowed(shell: Shell, cell: str, problem: str) -> None:
    out = shell.run(cell)
    assert out.failed and problem in out.stderr
    assert "Traceback" not in out.text


def test_library_input_errors_become_usage_errors(
    shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An InvalidArgument from the library (e.g. a size a kernel cannot take) is one line."""
    from jupyter_ext.magics import benchview
    from jupyter_ext.runtime import InvalidArgument

    def refuse(*args, **kwargs):
        raise InvalidArgument("size", "7", "a multiple of 64")

    monkeypatch.setattr(benchview, "bench", refuse)
    out = shell.run("%fpga bench blas.gemm --size 7")
    assert out.failed
    assert "UsageError: %fpga bench: size: 7 (allowed: a multiple of 64)" in out.stderr
    assert "Traceback" not in out.text


def test_a_corrupt_xclbin_is_named_with_its_defect(shell: Shell, tmp_path) -> None:
    bad = tmp_path / "broken.xclbin"
    bad.write_bytes(b"xclbin2\0" + b"\0" * 100)
    for cmd in ("info", "load"):
        out = shell.run(f"%fpga {cmd} {bad}")
        assert out.failed
        assert out.stderr.startswith(f"UsageError: %fpga {cmd}: {bad}: ")
        assert "Traceback" not in out.text


def test_help_lists_every_command(shell: Shell) -> None:
    out = shell.run("%fpga help")
    assert not out.failed
    for cmd in ("status", "list", "info [--full] FILE.xclbin", "load FILE.xclbin|FUNCTION",
                "bench [--size N] [--repeat R] [-o] FUNCTION", "%%fpga [--compare]"):  # fmt: skip
        assert cmd in out.stdout
    assert "bench [--size N]" in (shell.magics.fpga.__doc__ or "")

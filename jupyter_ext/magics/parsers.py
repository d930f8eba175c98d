"""The ``%fpga`` sub-commands' arguments, declared with IPython's ``magic_arguments``.

Each sub-command has its own parser (a decorated stub), so ``%fpga bench
--size x`` answers with *bench's* usage line. Every parse error becomes one
:class:`UsageError` holding what was wrong and the usage: IPython prints
that without a traceback and marks the cell failed, so "Run all" stops.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

MAX_REPEAT = 1000


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return value


def repeat_count(text: str) -> int:
    value = positive_int(text)
    if value > MAX_REPEAT:
        raise argparse.ArgumentTypeError(f"{value} is more than {MAX_REPEAT}")
    return value


@magic_arguments(name="fpga status")
def status_args() -> None:
    """Show this pod's FPGAs: board, platform, PCI address, health, loaded xclbin, and
    whether library calls run on hardware or are emulated on the CPU."""


@magic_arguments(name="fpga list")
def list_args() -> None:
    """List the Vitis library functions and where each runs here: on the FPGA
    (with the xclbin it would load) or emulated on the CPU (and why)."""


@magic_arguments(name="fpga info")
@argument(
    "file",
    metavar="FILE.xclbin",
    help="an xclbin file (a path, or a name on the xclbin search path)",
)
@argument(
    "--full", action="store_true", help="also print the whole `xclbinutil --info`-style report"
)
def info_args() -> None:
    """Describe an xclbin: platform, kernels and their arguments, memory banks, clocks."""


@magic_arguments(name="fpga load")
@argument("target", metavar="FILE.xclbin|FUNCTION",
          help="an xclbin to program, or a library function whose xclbin to program")  # fmt: skip
def load_args() -> None:
    """Program the FPGA with an xclbin (through the runtime). In emulation nothing is
    programmed, and the output says so."""


@magic_arguments(name="fpga bench")
@argument(
    "function",
    metavar="FUNCTION",
    help="a library function, e.g. finance.black_scholes (see %%fpga list)",
)
@argument("--size", type=positive_int, metavar="N", help="input size (default: the function's own)")
@argument(
    "--repeat",
    type=repeat_count,
    default=5,
    metavar="R",
    help="timed runs of each side (median is shown; default 5)",
)
@argument(
    "-o",
    "--output",
    action="store_true",
    help="return the BenchReport (e.g. report = %%fpga bench ... -o)",
)
def bench_args() -> None:
    """Run FUNCTION on the accelerator (or its emulation) and on its CPU reference,
    check that the results agree, and chart both times (a speedup only on hardware)."""  # fmt: skip


@magic_arguments(name="%fpga")
@argument("--compare", action="store_true",
          help="run the cell a second time with every library call forced to the CPU model, and compare")  # fmt: skip
def cell_args() -> None:
    """Time the cell; for each library call show host-to-device, kernel and
    device-to-host time where the backend can tell them apart."""


SUBCOMMANDS: dict[str, Callable[..., Any]] = {
    "status": status_args,
    "list": list_args,
    "info": info_args,
    "load": load_args,
    "bench": bench_args,
}


def usage(stub: Callable[..., Any]) -> str:
    """``usage: %fpga bench [--size N] ...`` (magic_arguments formats it as reST)."""
    text = stub.parser.format_usage().replace("::", "", 1).strip()
    return "usage: " + " ".join(text.split())


def purpose(stub: Callable[..., Any]) -> str:
    """The stub's own docstring (magic_arguments keeps it as the parser description)."""
    return " ".join((stub.parser.description or "").split())


def overview() -> str:
    """The ``%fpga?`` / ``%fpga help`` text: every sub-command's usage and purpose."""
    lines = ["%fpga COMMAND ...   (FPGA devices and Vitis library accelerators)", ""]
    for stub in SUBCOMMANDS.values():
        lines.append("  " + usage(stub).removeprefix("usage: "))
        lines.append("      " + purpose(stub))
    lines.append("  " + usage(cell_args).removeprefix("usage: ") + "   (cell magic)")
    lines.append("      " + purpose(cell_args))
    lines += [
        "",
        "`%fpga` alone means `%fpga status`; a wrong argument prints the command's usage.",
    ]
    return "\n".join(lines)


def parse(stub: Callable[..., Any], argstring: str) -> argparse.Namespace:
    """Parse with the stub's parser; any problem is one UsageError with the usage line."""
    try:
        return stub.parser.parse_argstring(argstring)
    except UsageError as exc:
        raise UsageError(f"{exc}\n{usage(stub)}") from None
    except ValueError as exc:  # shlex: "No closing quotation"
        raise UsageError(f"{exc}\n{usage(stub)}") from None


def split_command(line: str) -> tuple[str, str]:
    """``'bench x --size 3'`` -> ``('bench', 'x --size 3')``; empty -> status."""
    parts = line.strip().split(None, 1)
    if not parts:
        return "status", ""
    return parts[0], parts[1] if len(parts) > 1 else ""

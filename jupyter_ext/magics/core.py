"""The ``%fpga`` / ``%%fpga`` magics: parse, call the pod-side core, show a view.

Thin on purpose: discovery, the runtime and the library do the work; each
sub-command here is "parse the arguments, call one function, display one
:class:`~jupyter_ext.widgets.View`". Mistakes a user can fix become a
``UsageError`` (one message plus the usage, no traceback).
"""

from __future__ import annotations

import os
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.utils.capture import capture_output
from traitlets import Unicode

from . import parsers


@magics_class
class FPGAMagics(Magics):
    """``%fpga status|list|info|load|bench`` and the ``%%fpga`` cell timer."""

    sysfs_root = Unicode(
        "/sys",
        help="Where %fpga status reads PCI devices (sysfs); change only to inspect another tree.",
    ).tag(config=True)
    dev_root = Unicode(
        "/dev",
        help="Where %fpga status looks for FPGA device nodes (/dev/dri/renderD*, /dev/xclmgmt*).",
    ).tag(config=True)

    @line_cell_magic
    def fpga(self, line: str = "", cell: str | None = None) -> Any:
        from ..activity import note_cell

        note_cell()  # an %fpga cell is FPGA activity, whatever it runs
        if cell is not None:
            return self._cell(line, cell)
        command, rest = parsers.split_command(line)
        if command in ("help", "-h", "--help"):
            print(parsers.overview())
            return None
        if command not in parsers.SUBCOMMANDS:
            raise UsageError(
                f"%fpga: unknown command {command!r}; choose from "
                f"{', '.join(parsers.SUBCOMMANDS)}\n\n{parsers.overview()}"
            )
        args = parsers.parse(parsers.SUBCOMMANDS[command], rest)
        return getattr(self, f"_{command}")(args)

    fpga.__doc__ = parsers.overview()

    # --- sub-commands --------------------------------------------------------------

    def status_view(self) -> Any:
        """A fresh StatusView (also what the widget's Refresh button calls)."""
        from ..discovery import discover
        from ..runtime import get_runtime
        from .idle import notices
        from .program import SESSION_LOADS
        from .status import StatusView

        report = discover(self.sysfs_root, self.dev_root)
        return StatusView(report, get_runtime().describe(), SESSION_LOADS, self.status_view,
                          notices=notices())  # fmt: skip

    def _status(self, args: Any) -> None:
        from ..widgets import show

        show(self.status_view())

    def _list(self, args: Any) -> None:
        from ..library import FUNCTIONS
        from ..runtime import get_runtime
        from ..widgets import show
        from .listing import ListView, function_rows

        rt = get_runtime()
        show(ListView(function_rows(FUNCTIONS, rt), rt.describe()))

    def _info(self, args: Any) -> None:
        from ..widgets import show
        from ..xclbin import XclbinError
        from ..xclbin.info import info_text
        from ..xclbin.repository import BitstreamRepository
        from .listing import InfoView

        try:
            x = BitstreamRepository().read(args.file)
        except (XclbinError, OSError) as exc:
            raise UsageError(f"%fpga info: {exc}") from None
        show(InfoView(x, info_text(x) if args.full else None))

    def _load(self, args: Any) -> None:
        from ..library import FUNCTIONS
        from ..runtime import FPGARuntimeError, get_runtime
        from ..runtime.load import load
        from ..widgets import Progress, show
        from .program import LoadView, record

        def progress(steps: int) -> Progress:
            return Progress(f"%fpga load {os.path.basename(args.target)}", steps)

        kernels = {name: spec.kernel for name, spec in FUNCTIONS.items()}
        try:
            result = load(args.target, get_runtime(), kernels, progress=progress)
        except FPGARuntimeError as exc:
            raise UsageError(f"%fpga load: {exc}") from None
        show(LoadView(record(result)))

    def _bench(self, args: Any) -> Any:
        from ..runtime import get_runtime
        from ..widgets import show
        from .benchview import BenchView, run_bench

        report = run_bench(args.function, args.size, args.repeat, get_runtime())
        show(BenchView(report))
        return report if args.output else None

    # --- %%fpga ---------------------------------------------------------------------

    def _cell(self, line: str, cell: str) -> None:
        from ..widgets import show
        from .celltime import CellTiming, CellView, compare_runs, time_cell

        args = parsers.parse(parsers.cell_args, line)

        def run() -> Any:
            return self.shell.run_cell(cell, store_history=False)

        result, wall, calls = time_cell(run)
        _raise_if_failed(result)
        first = CellTiming.from_results("this cell", wall, calls)
        first.label = "this cell (emulated)" if first.emulated else "this cell (FPGA)"
        compared = None
        if args.compare:  # alternating runs on the CPU model and as run; their output hidden
            with capture_output():
                compared = compare_runs(run, first, calls, _raise_if_failed)
        show(CellView(first, compared))


def _raise_if_failed(result: Any, what: str = "the cell") -> None:
    """The cell's own traceback is already shown; stop here without timings."""
    err = result.error_before_exec or result.error_in_exec
    if err is not None:
        raise UsageError(f"%%fpga: {what} raised {type(err).__name__}: {err}; no timings shown")

"""``%fpga load``: program the device with an xclbin through the runtime.

The runtime loads xclbins lazily, per kernel, through its bitstream locator.
Loading a *file* therefore means: check it fits this device, make the
locator answer that file for the file's kernels, and open each kernel now
(``XRTBackend.kernel_source``), so the board is programmed here, with
progress, instead of during the first timed call. In emulation nothing is
programmed and the outcome says so in those words.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError

from ..contract import xclbin_search_path
from ..runtime.base import BACKEND_XRT, Backend, FPGARuntimeError
from ..widgets import AMBER, GREEN, GREY, Progress, View, badge, esc
from ..xclbin import XclbinError, parse_xclbin
from ..xclbin.repository import MAX_DEPTH, SUFFIXES

SESSION_LOADS: list[dict[str, Any]] = []
"""What ``%fpga load`` did in this kernel, newest last (shown by ``%fpga status``)."""


@dataclass
class LoadOutcome:
    target: str
    programmed: bool
    backend: str  # "xrt" | "emulated"
    device: str
    reason: str  # why emulated ("" when programmed)
    xclbin: str | None
    platform: str
    kernels: list[str]
    functions: list[str]  # library functions whose kernel this serves
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_xclbin(name: str) -> Path | None:
    """A path as given, else a file of that name on the xclbin search path."""
    p = Path(name).expanduser()
    if p.is_file():
        return p
    if os.sep in name or not name.endswith(SUFFIXES):
        return None
    for d in xclbin_search_path():
        for root, dirs, files in os.walk(d):
            if name in files:
                return Path(root, name)
            if len(Path(root).relative_to(d).parts) >= MAX_DEPTH:
                dirs[:] = []  # as deep as the bitstream repository looks, no deeper
    return None


def read_xclbin(name: str, command: str) -> Any:
    path = find_xclbin(name)
    if path is None:
        raise UsageError(f"{command}: no xclbin file {name!r} (not a path, and not on the "
                         f"xclbin search path {os.pathsep.join(xclbin_search_path())})")  # fmt: skip
    try:
        return parse_xclbin(path)
    except (XclbinError, OSError) as exc:
        raise UsageError(f"{command}: {exc}") from None


def _functions_for(kernels: list[str], functions: dict[str, Any]) -> list[str]:
    return sorted(n for n, s in functions.items() if s.kernel in kernels)


def load(target: str, runtime: Backend, functions: dict[str, Any]) -> LoadOutcome:
    """Program ``target`` (a library function name or an xclbin file); never half-silent."""
    t0 = time.perf_counter()
    device = getattr(runtime, "device_label", "") or "CPU"
    platform = getattr(runtime, "platform", "")
    if target in functions:
        kernels, xclbin, xplatform, mode = [functions[target].kernel], None, platform, "hw"
    else:
        x = read_xclbin(target, "%fpga load")
        if not x.kernel_names:
            raise UsageError(f"%fpga load: {x.source} holds no kernels; there is nothing to run")
        kernels, xclbin, xplatform, mode = x.kernel_names, x.source, x.platform_vbnv, x.emulation
    served = _functions_for(kernels, functions) if xclbin else [target]
    progress = Progress(f"%fpga load {os.path.basename(target)}", len(kernels) + 1)
    progress.advance()
    out = LoadOutcome(target, False, runtime.name, device, "", xclbin, xplatform, kernels, served)
    if runtime.name != BACKEND_XRT:
        out.reason = runtime.reason
        progress.finish("emulated: nothing was programmed")
    else:
        try:
            _program(out, runtime, mode, progress)
        except FPGARuntimeError as exc:
            progress.finish("failed", ok=False)
            raise UsageError(f"%fpga load: {exc}") from None
    out.seconds = time.perf_counter() - t0
    SESSION_LOADS.append(out.as_dict())
    return out


def _program(out: LoadOutcome, runtime: Any, mode: str, progress: Progress) -> None:
    platform = runtime.platform
    if out.xclbin is not None:
        if mode != "hw":
            progress.finish("refused", ok=False)
            raise UsageError(f"%fpga load: {out.xclbin} is a {mode} xclbin (for XRT's emulator); "
                             "it cannot program a board")  # fmt: skip
        if platform and out.platform and out.platform != platform:
            progress.finish("refused", ok=False)
            raise UsageError(f"%fpga load: {out.xclbin} is built for platform {out.platform}, "
                             f"but {runtime.device_label} runs {platform}")  # fmt: skip
        runtime.pin_xclbin(Path(out.xclbin), out.kernels)
    opened = []
    for i, kernel in enumerate(out.kernels, 1):
        progress.phase(
            f"programming {runtime.device_label}: kernel {kernel} ({i}/{len(out.kernels)})"
        )
        src = runtime.kernel_source(kernel)
        progress.advance()
        if src is None:  # a function with no xclbin for this platform: stays emulated
            continue
        if out.xclbin and os.path.realpath(src) != os.path.realpath(out.xclbin):
            out.notes.append(f"kernel {kernel} stays open from {src}, loaded earlier in this "
                             "kernel session (restart the kernel to switch xclbins)")  # fmt: skip
        else:
            opened.append(kernel)
            out.xclbin = out.xclbin or str(src)
    if opened:
        out.programmed, out.backend, out.kernels = True, BACKEND_XRT, opened
        progress.finish(f"programmed {runtime.device_label}")
    else:
        out.backend = "emulated"
        out.reason = f"no xclbin for kernel {', '.join(out.kernels)} on platform {platform or '?'}"
        progress.finish("emulated: nothing was programmed")


class LoadView(View):
    def __init__(self, outcome: LoadOutcome) -> None:
        self.o = outcome

    @property
    def emulated(self) -> bool:
        return not self.o.programmed

    def lines(self) -> list[str]:
        o = self.o
        what = o.xclbin or o.target
        if o.programmed:
            head = f"Programmed {o.device} with {what} in {o.seconds:.2f} s."
            body = [f"Kernels: {', '.join(o.kernels)}."]
            if o.functions:
                body.append(
                    f"These library functions now run on the FPGA: {', '.join(o.functions)}."
                )
        else:
            head = f"EMULATED: nothing was programmed ({o.reason})."
            runs = ", ".join(o.functions) or ", ".join(o.kernels)
            body = [f"{runs} will run emulated on the CPU (our CPU model of the kernel), "
                    "and every result says so."]  # fmt: skip
            if o.xclbin:
                body.insert(
                    0, f"{o.xclbin}: platform {o.platform or '?'}, kernels {', '.join(o.kernels)}."
                )
        return [head, *body, *o.notes]

    def text(self) -> str:
        return "\n".join(self.lines())

    def html(self) -> str:
        tag = badge("programmed", GREEN) if self.o.programmed else badge("emulated", AMBER)
        head, *rest = self.lines()
        more = "".join(f'<div style="color:{GREY}">{esc(line)}</div>' for line in rest)
        return f'<div style="font-family:sans-serif">{tag} <b>{esc(head)}</b>{more}</div>'

"""``%fpga load``: record what the runtime's :func:`~jupyter_ext.runtime.load.load` did, and show it.

The search, the programming and the verdict (programmed, emulated and why)
are the runtime's; this module keeps the session's record for
``%fpga status`` and turns one :class:`~jupyter_ext.runtime.load.LoadResult`
into words.
"""

from __future__ import annotations

from ..runtime.load import LoadResult
from ..widgets import AMBER, GREEN, GREY, View, badge, esc

SESSION_LOADS: list[LoadResult] = []
"""What ``%fpga load`` did in this kernel, newest last (shown by ``%fpga status``)."""


def record(result: LoadResult) -> LoadResult:
    """Remember ``result`` for ``%fpga status``; returns it."""
    SESSION_LOADS.append(result)
    return result


class LoadView(View):
    def __init__(self, result: LoadResult) -> None:
        self.r = result

    @property
    def emulated(self) -> bool:
        return self.r.emulated

    def lines(self) -> list[str]:
        r = self.r
        what = r.xclbin or r.target
        if r.programmed:
            head = f"Programmed {r.device} with {what} in {r.seconds:.2f} s."
            body = [f"Kernels: {', '.join(r.opened)}."]
            if r.functions:
                body.append(
                    f"These library functions now run on the FPGA: {', '.join(r.functions)}."
                )
        elif r.emulated:
            head = f"EMULATED: nothing was programmed ({r.reason})."
            runs = ", ".join(r.functions) or ", ".join(r.kernels)
            body = [f"{runs} will run emulated on the CPU (our CPU model of the kernel), "
                    "and every result says so."]  # fmt: skip
        else:
            head = f"Nothing was programmed: {', '.join(r.kernels)} already run on {r.device}."
            body = []
        if r.xclbin and not r.programmed:
            body.insert(
                0, f"{r.xclbin}: platform {r.platform or '?'}, kernels {', '.join(r.kernels)}."
            )
        return [head, *body, *r.notes]

    def text(self) -> str:
        return "\n".join(self.lines())

    def html(self) -> str:
        if self.r.programmed:
            tag = badge("programmed", GREEN)
        else:
            tag = badge("emulated", AMBER) if self.r.emulated else badge("not programmed", GREY)
        head, *rest = self.lines()
        more = "".join(f'<div style="color:{GREY}">{esc(line)}</div>' for line in rest)
        return f'<div style="font-family:sans-serif">{tag} <b>{esc(head)}</b>{more}</div>'

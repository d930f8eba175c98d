"""``%fpga status``: the pod's FPGAs as a table, with the backend said plainly.

Two separate truths are shown side by side because they can differ: what
*discovery* found (real boards, emulated boards, or none) and what the
*runtime* will do with a library call (XRT on a board, or the CPU model --
e.g. a real board but no ``pyxrt`` in the image). A user must never read
"U250" and assume the numbers below came from one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..discovery import Device, DiscoveryReport
from ..runtime.load import LoadResult
from ..widgets import AMBER, GREEN, GREY, RED, View, badge, esc, table, text_table

HEADERS = ("device", "board", "platform", "BDF", "health", "loaded xclbin", "backend")

HEADLINES = {
    "hardware": ("HARDWARE", GREEN),
    "emulated": ("EMULATED", AMBER),
    "none": ("NO FPGA", RED),
}


def device_row(d: Device) -> list[str]:
    """One table row; every cell plain text (escaped by the HTML table)."""
    board = d.get("board_name") or d.get("board") or "unknown FPGA"
    health = d.health.get("status", "unknown")
    readings = []
    if d.health.get("temperature_c") is not None:
        readings.append(f"{d.health['temperature_c']:g} C")
    if d.health.get("power_w") is not None:
        readings.append(f"{d.health['power_w']:g} W")
    if readings:
        health += f" ({', '.join(readings)})"
    loaded = "none"
    if d.loaded_xclbin:
        lx = d.loaded_xclbin
        loaded = os.path.basename(lx["path"]) if lx.get("path") else f"uuid {lx.get('uuid')}"
        if lx.get("kernels"):
            loaded += f" [{', '.join(lx['kernels'])}]"
    bdf = d.get("bdf") or ("-" if d.emulated else "?")
    backend = "emulated (CPU model)" if d.emulated else "hardware"
    return [d.id, str(board), str(d.get("platform") or "?"), bdf, health, loaded, backend]


def runtime_line(runtime: Mapping[str, str]) -> str:
    """Where library calls go, in one sentence."""
    if runtime.get("backend") == "xrt":
        return (f"Library calls: on the FPGA through XRT ({runtime.get('reason', '')}); "
                "a function with no xclbin for this platform falls back to the CPU model "
                "(see %fpga list).")  # fmt: skip
    return f"Library calls: emulated on the CPU ({runtime.get('reason', 'no runtime')})."


def load_line(load: LoadResult) -> str:
    """One ``%fpga load`` of this session, as the runtime reported it."""
    what = load.xclbin or load.target
    if load.programmed:
        return f"{what} programmed on {load.device} ({', '.join(load.opened)})"
    if load.emulated:
        return f"{what}: emulated, nothing programmed ({load.reason})"
    return f"{what}: nothing programmed, already open on {load.device}"


class StatusView(View):
    """The status table; ``refresh`` (a callable returning a new view) backs a button."""

    def __init__(
        self,
        report: DiscoveryReport,
        runtime: Mapping[str, str],
        loads: Sequence[LoadResult] = (),
        refresh: Callable[[], StatusView] | None = None,
        *,
        notices: Sequence[str] = (),
    ) -> None:
        self.notices = list(notices)  # shared board, idle time and coming stop (magics/idle)
        self.report = report
        self.runtime = dict(runtime)
        self.loads = list(loads)
        self.refresh = refresh

    @property
    def emulated(self) -> bool:
        """True when anything shown here runs on the CPU model instead of a board."""
        return self.report.backend == "emulated" or self.runtime.get("backend") != "xrt"

    def _requested(self) -> str:
        req = self.report.requested
        if not req:
            return "Requested: no FPGA (no FPGA_BOARD in the pod's environment)."
        what = f"{req.get('count')} x {req.get('board_name') or req.get('board')}"
        extra = f", resource {req['resource']}" if req.get("resource") else ""
        acc = f", accelerator {req['accelerator']}" if req.get("accelerator") else ""
        return f"Requested: {what}{extra}{acc}."

    def _summary(self, word: str) -> str:
        """The report's summary without the headline word the badge already shows."""
        summary = self.report.summary
        return summary.removeprefix(f"{word}: ")

    def text(self) -> str:
        word, _ = HEADLINES.get(self.report.backend, (self.report.backend.upper(), GREY))
        lines = [f"FPGA status: {word}", self._summary(word), self._requested()]
        rows = [device_row(d) for d in self.report.devices]
        lines.append(text_table(HEADERS, rows) if rows else "No FPGA device in this pod.")
        lines.append(runtime_line(self.runtime))
        lines += [f"Loaded in this session: {load_line(e)}" for e in self.loads]
        lines += self.notices
        lines += [f"PROBLEM: {p}" for p in self.report.problems]
        lines += [f"note: {n}" for n in self.report.notes]
        return "\n".join(lines)

    def html(self) -> str:
        word, color = HEADLINES.get(self.report.backend, (self.report.backend.upper(), GREY))
        rt_word, rt_color = (("XRT", GREEN) if self.runtime.get("backend") == "xrt"
                             else ("emulated", AMBER))  # fmt: skip
        parts = [
            f'<div style="font-family:sans-serif"><div style="font-size:110%;margin-bottom:4px">'
            f"<b>FPGA status</b> {badge(word, color)} {esc(self._summary(word))}</div>",
            f'<div style="color:{GREY}">{esc(self._requested())}</div>',
        ]
        rows = [device_row(d) for d in self.report.devices]
        parts.append(table(HEADERS, rows) if rows else "<p><b>No FPGA device in this pod.</b></p>")
        parts.append(f"<div>{badge(rt_word, rt_color)} {esc(runtime_line(self.runtime))}</div>")
        parts += [f"<div>Loaded in this session: {esc(load_line(e))}</div>" for e in self.loads]
        parts += [f'<div style="color:{AMBER}">{esc(n)}</div>' for n in self.notices]
        if self.report.problems:
            items = "".join(f"<li>{esc(p)}</li>" for p in self.report.problems)
            parts.append(f'<div style="color:{RED}"><b>Problems</b><ul style="margin:2px 0">'
                         f"{items}</ul></div>")  # fmt: skip
        if self.report.notes:
            items = "".join(f"<li>{esc(n)}</li>" for n in self.report.notes)
            parts.append(f'<div style="color:{GREY}"><ul style="margin:2px 0">{items}</ul></div>')
        return "".join(parts) + "</div>"

    def widget(self) -> Any:
        """The HTML table plus a Refresh button that re-runs discovery in place."""
        import ipywidgets as w

        body = w.HTML(value=self.html())
        if self.refresh is None:
            return body
        button = w.Button(description="Refresh", icon="refresh", tooltip="discover again",
                          layout=w.Layout(width="110px"))  # fmt: skip

        def on_click(_: Any) -> None:
            fresh = self.refresh()
            self.report, self.runtime, self.loads = fresh.report, fresh.runtime, fresh.loads
            self.notices = fresh.notices
            body.value = self.html()

        button.on_click(on_click)
        return w.VBox([body, button])

"""``%fpga list`` and ``%fpga info``: the library's functions, and what an xclbin holds.

Where a function runs is the runtime's answer (:meth:`Backend.where
<jupyter_ext.runtime.base.Backend.where>` for its kernel), the same one it
acts on at call time; asking it opens no xclbin, so listing never programs a
board. This module only lays the answers out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..runtime.base import Backend, Where
from ..widgets import AMBER, GREEN, GREY, View, badge, esc, table, text_table
from ..xclbin.model import Xclbin

# --- %fpga list ---------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionRow:
    name: str
    kernel: str
    description: str
    reference: str
    default_size: str
    where: Where  # the runtime's answer for this function's kernel

    @property
    def runs_on(self) -> str:
        return "hardware" if self.where.hardware else "emulated"

    @property
    def detail(self) -> str:
        """The xclbin it would load, or why it is emulated."""
        return self.where.detail


def function_rows(functions: Mapping[str, Any], runtime: Backend) -> list[FunctionRow]:
    rows = []
    for name, spec in sorted(functions.items()):
        rows.append(FunctionRow(name, spec.kernel, spec.description, spec.reference_name,
                                f"{spec.default_size:,} {spec.size_unit}",
                                runtime.where(spec.kernel)))  # fmt: skip
    return rows


class ListView(View):
    HEADERS = ("function", "kernel", "what it computes", "CPU reference", "runs here")

    def __init__(self, rows: Sequence[FunctionRow], runtime: Mapping[str, str]) -> None:
        self.rows = list(rows)
        self.runtime = dict(runtime)

    @property
    def emulated(self) -> bool:
        return not all(r.where.hardware for r in self.rows)

    def _headline(self) -> str:
        hw = sum(r.where.hardware for r in self.rows)
        em = len(self.rows) - hw
        return (f"{len(self.rows)} library functions: {hw} run on the FPGA here, "
                f"{em} emulated on the CPU.")  # fmt: skip

    def text(self) -> str:
        rows = [(r.name, r.kernel, r.description, r.reference, f"{r.runs_on}: {r.detail}")
                for r in self.rows]  # fmt: skip
        return "\n".join([self._headline(), text_table(self.HEADERS, rows),
                          "Try one: %fpga bench FUNCTION [--size N] [--repeat R]"])  # fmt: skip

    def html(self) -> str:
        rows = []
        for r in self.rows:
            tag = badge("hardware", GREEN) if r.where.hardware else badge("emulated", AMBER)
            rows.append((f"<code>{esc(r.name)}</code>", f"<code>{esc(r.kernel)}</code>",
                         esc(r.description), esc(r.reference), f"{tag} {esc(r.detail)}"))  # fmt: skip
        return (f'<div style="font-family:sans-serif"><b>{esc(self._headline())}</b>'
                f"{table(self.HEADERS, rows, raw=True)}"
                f'<div style="color:{GREY}">Try one: <code>%fpga bench FUNCTION '
                "[--size N] [--repeat R]</code></div></div>")  # fmt: skip


# --- %fpga info ---------------------------------------------------------------------


def human_kb(kb: int) -> str:
    for unit, size in (("GB", 1 << 20), ("MB", 1 << 10)):
        if kb >= size:
            return f"{kb / size:g} {unit}"
    return f"{kb} KB"


def xclbin_tables(x: Xclbin) -> dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """Kernels, memory banks and clocks as (headers, rows): shared by text and HTML."""
    kernels = []
    for k in x.kernels:
        args = ", ".join(f"{a.name}: {a.type}".rstrip(": ") for a in k.args) or "-"
        insts = []
        for inst in k.instances:
            base = "not_used" if inst.base_address is None else f"0x{inst.base_address:x}"
            conn = "; ".join(
                f"{k.args[i].name if i < len(k.args) else i} -> {', '.join(tags)}"
                for i, tags in sorted(inst.memory.items())
            )
            insts.append(f"{inst.name} @ {base}" + (f" ({conn})" if conn else ""))
        kernels.append((k.name, args, "\n".join(insts) or "-"))
    banks = [(m.tag, m.type, human_kb(m.size_kb), f"0x{m.base_address:x}", "yes" if m.used else "no")
             for m in x.mem_topology]  # fmt: skip
    clocks = [(c.name, c.type, f"{c.freq_mhz} MHz") for c in x.clocks]
    return {
        "Kernels": (("kernel", "arguments", "instances (base, argument -> banks)"), kernels),
        "Memory banks": (("bank", "type", "size", "base", "used"), banks),
        "Clocks": (("clock", "type", "frequency"), clocks),
    }


class InfoView(View):
    def __init__(self, x: Xclbin, full_text: str | None = None) -> None:
        self.x = x
        self.full_text = full_text

    def _facts(self) -> list[tuple[str, str]]:
        x = self.x
        mode = {"hw": "hardware (hw)", "hw_emu": "hardware emulation (hw_emu)",
                "sw_emu": "software emulation (sw_emu)"}.get(x.emulation, x.emulation)  # fmt: skip
        return [
            ("file", x.source),
            ("platform", x.platform_vbnv or "<not defined>"),
            ("UUID", x.uuid),
            ("mode", mode),
            ("kernels", ", ".join(x.kernel_names) or "none"),
            ("size", f"{x.file_size:,} bytes"),
        ]

    def text(self) -> str:
        out = [f"{k}: {v}" for k, v in self._facts()]
        for title, (headers, rows) in xclbin_tables(self.x).items():
            out += ["", title]
            flat = [tuple(c.replace("\n", " | ") for c in r) for r in rows]
            out.append(text_table(headers, flat) if rows else "  (none)")
        if self.full_text:
            out += ["", self.full_text]
        return "\n".join(out)

    def html(self) -> str:
        facts = "".join(f"<tr><td><b>{esc(k)}</b></td><td><code>{esc(v)}</code></td></tr>"
                        for k, v in self._facts())  # fmt: skip
        out = [f'<div style="font-family:sans-serif"><table>{facts}</table>']
        for title, (headers, rows) in xclbin_tables(self.x).items():
            out.append(f"<div><b>{esc(title)}</b></div>")
            cells = [tuple(esc(c).replace("\n", "<br>") for c in r) for r in rows]
            out.append(table(headers, cells, raw=True) if rows else "<div>(none)</div>")
        if self.full_text:
            out.append(f"<details><summary>xclbinutil-style report</summary>"
                       f"<pre>{esc(self.full_text)}</pre></details>")  # fmt: skip
        return "".join(out) + "</div>"

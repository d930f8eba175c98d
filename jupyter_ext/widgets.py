"""What ``%fpga`` shows: one object, three renderings (widget, HTML, plain text).

A notebook user sees a widget; a saved notebook, nbviewer or a frontend
without the widget manager falls back to the HTML; a terminal IPython or a log
gets the text. All three come from the same :class:`View`, published in one
MIME bundle, so the frontend picks what it can render and the word
"emulated" (or the board name) is in every one of them. Widgets are only
created inside a Jupyter kernel: elsewhere there is no comm to talk to them.
"""

from __future__ import annotations

import html as _html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# Colours used for the same meaning everywhere (badges, bars).
GREEN = "#2e7d32"
AMBER = "#b26a00"
RED = "#c62828"
GREY = "#616161"
BLUE = "#1565c0"
PHASE_COLORS = {"host->device": "#8e24aa", "kernel": BLUE, "device->host": "#00897b",
                "host (outside calls)": "#9e9e9e"}  # fmt: skip


def widgets_available() -> bool:
    """True inside a Jupyter kernel with ipywidgets: a frontend can reach widgets over comms.

    A terminal IPython has no kernel (``shell.kernel``), so widgets there would
    render as ``HTML(value=...)``; we publish text instead.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a pod dependency
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def esc(value: Any) -> str:
    return _html.escape(str(value), quote=True)


def fmt_seconds(s: float | None) -> str:
    """Seconds for people: us / ms / s; None (a phase the backend cannot time) is n/a."""
    if s is None:
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.0f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def badge(text: str, color: str) -> str:
    return (
        f'<span style="background:{color};color:#fff;border-radius:3px;padding:1px 6px;'
        f'font-weight:bold;font-size:90%">{esc(text)}</span>'
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, raw: bool = False) -> str:
    """An HTML table; cells are escaped unless ``raw`` (cells already HTML)."""
    cell = "border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top"
    head = "".join(f'<th style="{cell};background:#f0f0f0">{esc(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{cell}">{c if raw else esc(c)}</td>' for c in r) + "</tr>"
        for r in rows
    )
    return f'<table style="border-collapse:collapse;margin:4px 0"><tr>{head}</tr>{body}</table>'


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The same table in fixed-width text."""
    cols = [list(map(str, c)) for c in zip(headers, *rows, strict=False)]
    widths = [max(len(v) for v in c) for c in cols]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=False)).rstrip()
             for r in [headers, *rows]]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- bar charts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: a label and seconds, or stacked ``segments`` of (name, seconds)."""

    label: str
    seconds: float
    color: str = BLUE
    segments: tuple[tuple[str, float], ...] = field(default=())


def bar_chart_svg(bars: Sequence[Bar], *, title: str = "", width: int = 560) -> str:
    """A horizontal bar chart as inline SVG (no plotting library needed)."""
    label_w, value_w, row_h = 230, 90, 26
    plot_w = width - label_w - value_w
    top = 22 if title else 4
    biggest = max((b.seconds for b in bars), default=0.0) or 1.0
    height = top + row_h * len(bars) + (18 if any(b.segments for b in bars) else 4)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'style="font-family:sans-serif;font-size:12px">']  # fmt: skip
    if title:
        out.append(f'<text x="0" y="14" font-weight="bold">{esc(title)}</text>')
    legend: dict[str, str] = {}
    for i, b in enumerate(bars):
        y = top + i * row_h
        out.append(f'<text x="0" y="{y + 16}">{esc(b.label)}</text>')
        x = float(label_w)
        parts = b.segments or ((b.label, b.seconds),)
        for name, secs in parts:
            w = max(plot_w * (secs or 0.0) / biggest, 0.0)
            color = PHASE_COLORS.get(name, b.color) if b.segments else b.color
            if b.segments:
                legend[name] = color
            out.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{max(w, 1):.1f}" height="16" '
                       f'fill="{color}"><title>{esc(name)}: {fmt_seconds(secs)}</title></rect>')  # fmt: skip
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + 16}">{fmt_seconds(b.seconds)}</text>')
    if legend:
        x, y = float(label_w), top + row_h * len(bars) + 12
        for name, color in legend.items():
            out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{color}"/>')
            out.append(f'<text x="{x + 13}" y="{y}">{esc(name)}</text>')
            x += 20 + 7 * len(name)
    out.append("</svg>")
    return "".join(out)


def bar_chart_text(bars: Sequence[Bar], *, width: int = 40) -> str:
    """The same chart in characters, for terminals and the text/plain fallback."""
    biggest = max((b.seconds for b in bars), default=0.0) or 1.0
    label_w = max((len(b.label) for b in bars), default=0)
    lines = []
    for b in bars:
        n = round(width * b.seconds / biggest)
        lines.append(f"{b.label.ljust(label_w)}  {'#' * max(n, 1)} {fmt_seconds(b.seconds)}")
        if b.segments:
            lines.append(" " * label_w + "    " + ", ".join(
                f"{name} {fmt_seconds(s)}" for name, s in b.segments))  # fmt: skip
    return "\n".join(lines)


# --- views ----------------------------------------------------------------------------


class View:
    """Something ``%fpga`` displays. Subclasses write ``text()`` and ``html()``.

    ``widget()`` defaults to an ``ipywidgets.HTML`` of ``html()``, so what the
    live widget shows and what the saved notebook keeps are the same words.
    """

    def text(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def html(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def widget(self) -> Any:
        import ipywidgets

        return ipywidgets.HTML(value=self.html())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        data: dict[str, Any] = {"text/plain": self.text(), "text/html": self.html()}
        if widgets_available():
            view = self.widget()._repr_mimebundle_().get(WIDGET_MIME)
            if view:
                data[WIDGET_MIME] = view
        return data

    def __repr__(self) -> str:
        return self.text()


def show(view: View) -> None:
    """Display a view (its whole MIME bundle) in the current output."""
    from IPython.display import display

    display(view)


class Progress:
    """A progress bar for long ``%fpga`` work; plain lines where widgets cannot render.

    ``phase()`` names what is going on (printed once per phase in text mode),
    ``advance()`` moves the bar, ``finish()`` leaves the final state visible
    and records it as the saved output's text.
    """

    def __init__(self, title: str, total: int) -> None:
        self.title = title
        self.total = max(int(total), 1)
        self.value = 0
        self.phase_text = ""
        self._bar: Any = None
        self._handle: Any = None
        if widgets_available():
            import ipywidgets as w
            from IPython.display import display

            self._bar = w.FloatProgress(value=0, min=0, max=self.total, bar_style="info",
                                        layout=w.Layout(width="320px"))  # fmt: skip
            self._label = w.Label(value=f"{title}: starting")
            self._box = w.HBox([self._bar, self._label])
            self._handle = display(self._bundle(f"{title}: starting"), raw=True, display_id=True)

    def _bundle(self, text: str) -> dict[str, Any]:
        view = self._box._repr_mimebundle_().get(WIDGET_MIME)
        return {"text/plain": text, **({WIDGET_MIME: view} if view else {})}

    def phase(self, text: str) -> None:
        if text == self.phase_text:
            return
        self.phase_text = text
        if self._bar is not None:
            self._label.value = f"{self.title}: {text}"
        else:
            print(f"{self.title}: {text}", flush=True)

    def advance(self, n: int = 1) -> None:
        self.value = min(self.value + n, self.total)
        if self._bar is not None:
            self._bar.value = self.value

    def finish(self, text: str, ok: bool = True) -> None:
        self.value = self.total if ok else self.value
        if self._bar is not None:
            self._bar.value = self.value
            self._bar.bar_style = "success" if ok else "danger"
            self._label.value = f"{self.title}: {text}"
            self._handle.update(self._bundle(f"{self.title}: {text}"), raw=True)

"""Widgets where a kernel can render them, text where it cannot; loading twice is harmless."""

from __future__ import annotations

import ipywidgets
import pytest
from ipywidgets.widgets.widget import _instances

from jupyter_ext import widgets
from jupyter_ext.magics import FPGAMagics, load_ipython_extension
from tests.support.ipython_shell import Shell


@pytest.fixture
def kernel_frontend(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend to run in a Jupyter kernel (widgets use ipywidgets' own comm fallback)."""
    monkeypatch.setattr(widgets, "widgets_available", lambda: True)


def _widget(bundle: dict) -> ipywidgets.Widget:
    return _instances[bundle[widgets.WIDGET_MIME]["model_id"]]


def test_outside_a_kernel_only_text_and_html_are_published(shell: Shell) -> None:
    assert widgets.widgets_available() is False  # a plain InteractiveShell has no kernel
    out = shell.run("%fpga status")
    assert out.bundles and all(set(b) == {"text/plain", "text/html"} for b in out.bundles)


def test_status_widget_shows_board_and_emulated_and_refreshes(
    shell: Shell, kernel_frontend: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = shell.run("%fpga status")
    (bundle,) = out.bundles
    assert "AMD Alveo U250" in bundle["text/plain"]  # fallbacks travel with the widget
    box = _widget(bundle)
    html, button = box.children
    assert isinstance(html, ipywidgets.HTML) and isinstance(button, ipywidgets.Button)
    assert "AMD Alveo U250" in html.value and "emulated" in html.value
    assert "<table" in html.value  # board name is visible text in a table cell
    monkeypatch.setenv("FPGA_BOARD_NAME", "AMD Alveo U250 (lab 3)")
    button.click()
    assert "AMD Alveo U250 (lab 3)" in html.value


def test_bench_shows_a_progress_bar_that_ends_full(shell: Shell, kernel_frontend: None) -> None:
    out = shell.run("%fpga bench finance.black_scholes --size 1000 --repeat 3")
    assert not out.failed, out.stderr
    progress, *rest = out.bundles
    bar, label = _widget(progress).children
    assert isinstance(bar, ipywidgets.FloatProgress)
    assert bar.value == bar.max == 8  # (warm-up + 3) accelerated + as many reference steps
    assert bar.bar_style == "success"
    assert label.value == "%fpga bench finance.black_scholes: results agree (emulated)"
    # the saved notebook keeps the final state as text too
    assert rest[0]["text/plain"] == label.value
    chart = _widget(rest[-1])
    assert "<svg" in chart.value and "emulated" in chart.value


def test_load_progress_in_a_kernel(shell: Shell, kernel_frontend: None) -> None:
    out = shell.run("%fpga load finance.mc_european")
    progress = _widget(out.bundles[0])
    assert progress.children[1].value.endswith("emulated: nothing was programmed")
    assert "emulated" in out.bundles[-1]["text/plain"]


def test_loading_twice_keeps_one_magic(shell: Shell) -> None:
    ip = shell.ip
    before = ip.magics_manager.registry["FPGAMagics"]
    load_ipython_extension(ip)
    load_ipython_extension(ip)
    assert ip.magics_manager.registry["FPGAMagics"] is before
    assert [k for k, v in ip.magics_manager.registry.items() if isinstance(v, FPGAMagics)] == [
        "FPGAMagics"
    ]
    out = shell.run("%load_ext jupyter_ext\n%fpga status")
    assert not out.failed and "AMD Alveo U250" in out.text


def test_bar_charts_scale_and_label() -> None:
    bars = [widgets.Bar("fast", 0.001), widgets.Bar("slow", 0.004)]
    text = widgets.bar_chart_text(bars, width=40).splitlines()
    assert text[0].count("#") == 10 and text[1].count("#") == 40
    assert text[0].endswith("1.00 ms") and text[1].endswith("4.00 ms")
    svg = widgets.bar_chart_svg(bars)
    assert svg.startswith("<svg") and ">fast</text>" in svg and "4.00 ms" in svg
    assert widgets.fmt_seconds(None) == "n/a" and widgets.fmt_seconds(2.5) == "2.500 s"

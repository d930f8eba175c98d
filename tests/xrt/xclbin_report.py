"""Comparing two ``--info`` reports: the part after the version banner, line by line.

Both reports open with a rule, a banner naming the program that wrote them
(XRT's build for xclbinutil, our reader for ``jupyter-fpga``) and another rule;
xclbinutil also prints progress lines before the report and "Leaving
xclbinutil." after it. Everything between is compared.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

RULE = "=" * 78


def report_body(text: str) -> list[str]:
    """The report's lines (newlines kept) after the banner's closing rule."""
    lines = text.splitlines(keepends=True)
    rules = [i for i, line in enumerate(lines) if line.rstrip("\n") == RULE]
    assert len(rules) >= 2, f"no banner in:\n{text[:400]}"
    body = lines[rules[1] + 1 :]
    while body and body[-1].startswith("Leaving xclbinutil"):
        body.pop()
    return body


def xclbinutil_info(xclbinutil: str, path: Path) -> str:
    r = subprocess.run(
        [xclbinutil, "--info", "--input", str(path)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, f"xclbinutil --info {path} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def cli(*args: str) -> subprocess.CompletedProcess:
    """``jupyter-fpga ARGS`` from the checkout (the tier has no console script installed)."""
    code = "import sys; from jupyter_ext.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


def diff(theirs: list[str], ours: list[str], name: str) -> str:
    lines = difflib.unified_diff(theirs, ours, f"{name} (xclbinutil)", f"{name} (ours)", n=2)
    return "".join(lines)

"""The JupyterLab extension in `labextension/`, built from this checkout for the tests.

The tests exercise the current TypeScript, not whatever copy an earlier
`pip install` left in the venv: `build()` runs the same npm script the wheel
build runs (installing `node_modules` first when a clone has none).
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from tests.support.paths import REPO

SOURCE = REPO / "labextension"
OUTPUT = REPO / "jupyter_ext" / "labextension"
NAME = "jupyterhub-fpga"


def npm(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    exe = shutil.which("npm")
    if exe is None:
        raise RuntimeError("npm is not installed; the JupyterLab extension's tests need Node")
    return subprocess.run(
        [exe, *args], cwd=SOURCE, capture_output=True, text=True, timeout=timeout, check=False
    )


def ensure_node_modules() -> None:
    if not (SOURCE / "node_modules" / "typescript").is_dir():
        done = npm("install", "--no-audit", "--no-fund")
        if done.returncode != 0:
            raise RuntimeError(f"npm install failed:\n{done.stdout}\n{done.stderr}")


@cache
def build() -> Path:
    """The extension built from the current sources (once per test session)."""
    ensure_node_modules()
    done = npm("run", "build:prod")
    if done.returncode != 0:
        raise RuntimeError(f"npm run build:prod failed:\n{done.stdout}\n{done.stderr}")
    return OUTPUT


def install_into(data_dir: Path) -> Path:
    """Make `data_dir` (a JUPYTER_DATA_DIR) hold the built extension, as pip's install does."""
    target = data_dir / "labextensions" / NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(build(), target_is_directory=True)
    return target

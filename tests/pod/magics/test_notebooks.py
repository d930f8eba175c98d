"""Execute every notebook in notebooks/ in a real kernel, in the demo pod's emulation mode.

The notebooks assert their own results (accelerated vs CPU versions); here we
check they ran to the end without an error and that what they show says
"emulated", as it must when no FPGA did the work.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from tests.support.ipython_shell import EMULATION_ENV
from tests.support.paths import NOTEBOOKS as NOTEBOOKS_DIR

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
PYTHON_NAMES = {
    "python",
    f"python{sys.version_info[0]}",
    "python{}.{}".format(*sys.version_info[:2]),
}


def test_the_example_notebooks_are_there() -> None:
    assert {p.stem for p in NOTEBOOKS} == {
        "getting-started",
        "finance",
        "vision",
        "black-scholes",
        "american-options",
        "color-detect",
        "stereo",
    }
    for p in NOTEBOOKS:
        nb = nbformat.read(p, 4)
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == "python3"
        # shipped clean: users' copies start without stale outputs
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert "%load_ext jupyter_ext" in nb.cells[1].source


def test_python3_kernel_is_this_python() -> None:
    """jupyter_client runs "python" kernelspecs with sys.executable: the venv's, with our package."""
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.argv[0] in PYTHON_NAMES | {sys.executable}, spec.argv


def _texts(nb: nbformat.NotebookNode) -> list[str]:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                out.append(o.text)
            elif "data" in o:
                out += [str(o.data.get(m, "")) for m in ("text/plain", "text/html")]
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_emulation(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in EMULATION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FPGA_XCLBIN_PATH", str(tmp_path))
    nb = nbformat.read(path, 4)
    # The demo pod auto-loads the extension; the notebook loads it again: must be harmless.
    extra = (
        ["--InteractiveShellApp.extensions=jupyter_ext"] if path.stem == "getting-started" else []
    )
    client = NotebookClient(nb, kernel_name="python3", timeout=120, extra_arguments=extra,
                            resources={"metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute()  # raises CellExecutionError on any failing cell (incl. its asserts)

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "a cell did not run"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    texts = _texts(nb)
    joined = "\n".join(texts)
    assert "AMD Alveo U250" in joined and "FPGA status: EMULATED" in joined
    assert "Results agree" in joined
    assert "Traceback" not in joined
    if extra:  # the kernel had loaded it already; the notebook's %load_ext only said so
        assert "The jupyter_ext extension is already loaded" in joined
    # every %fpga view (status, list, bench charts, %%fpga) says "emulated" in all its renderings
    fpga_views = [t for t in texts if t.startswith(("FPGA status", "9 library functions",
                                                    "%%fpga:", "%fpga bench"))]  # fmt: skip
    fpga_views += [t for t in texts if "Speedup" in t]
    assert fpga_views
    for t in fpga_views:
        assert "emulated" in t.lower(), t[:300]
    # and so does every speedup the notebook prints itself
    speedups = [ln for t in texts for ln in t.splitlines() if "speedup" in ln.lower()]
    assert speedups and all("emulated" in ln.lower() for ln in speedups), speedups

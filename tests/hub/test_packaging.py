"""What an admin's `pip install "jupyterhub-fpga[hub]"` puts into a hub image.

The wheels are built from this checkout (hatchling, no network) and read as
zip files: the hub distribution carries no emulator or demo module, the demo
distribution carries them and the example notebooks, and the `demo` extra is
what brings the second one in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.support.paths import REPO


def build_wheel(source: Path, out: Path) -> zipfile.ZipFile:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


@pytest.fixture(scope="module")
def hub_wheel(tmp_path_factory) -> zipfile.ZipFile:
    return build_wheel(REPO, tmp_path_factory.mktemp("hub-wheel"))


@pytest.fixture(scope="module")
def demo_wheel(tmp_path_factory) -> zipfile.ZipFile:
    return build_wheel(REPO / "demo", tmp_path_factory.mktemp("demo-wheel"))


def metadata(wheel: zipfile.ZipFile):
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return Parser().parsestr(wheel.read(name).decode())


def test_the_hub_wheel_holds_no_emulator_and_no_demo(hub_wheel):
    names = hub_wheel.namelist()
    packages = {n.split("/")[0] for n in names if "/" in n and ".dist-info" not in n}
    assert packages == {"fpga_spawner", "jupyter_ext", "jupyterhub_fpga-0.1.0.data"}
    leaked = [n for n in names if "emulator" in n or "fpga_demo" in n or "kubelet" in n]
    assert leaked == []
    assert "fpga_spawner/py.typed" in names and "jupyter_ext/py.typed" in names


def test_the_demo_extra_brings_the_demo_distribution(hub_wheel, demo_wheel):
    requires = metadata(hub_wheel).get_all("Requires-Dist")
    assert "jupyterhub-fpga-demo==0.1.0; extra == 'demo'" in requires
    demo = metadata(demo_wheel)
    assert demo["Name"] == "jupyterhub-fpga-demo"
    assert "jupyterhub-fpga[hub,pod]" in demo.get_all("Requires-Dist")
    names = demo_wheel.namelist()
    for role in ("apiserver/api.py", "scheduler/scheduler.py", "kubelet/kubelet.py"):
        assert f"fpga_demo/emulator/{role}" in names
    assert "fpga_demo/emulator/clusters/demo.yaml" in names
    assert "fpga_demo/notebooks/getting-started.ipynb" in names


# A hub image has neither the demo package nor psutil: None in sys.modules makes
# their import fail exactly as a missing package does.
WITHOUT_DEMO = "import sys; sys.modules['fpga_demo'] = sys.modules['psutil'] = None; "


def cli_without_demo(*args: str) -> subprocess.CompletedProcess:
    code = WITHOUT_DEMO + f"from fpga_spawner.cli import main; sys.exit(main({list(args)!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )


def test_render_works_without_the_demo():
    assert "--config" in cli_without_demo("render", "--help").stdout
    result = cli_without_demo(
        "render", "--config", "examples/jupyterhub_config.py", "--user", "alice", "--profile",
        "u250",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "kind: Pod" in result.stdout


def test_demo_without_the_demo_says_how_to_install_it():
    result = cli_without_demo("demo")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "jupyterhub-fpga demo: the demo is not installed (a hub install leaves it out); "
        'install it with: pip install "jupyterhub-fpga[demo]"'
    )


@pytest.mark.e2e
def test_a_hub_only_venv_renders_and_holds_no_emulator(hub_wheel, tmp_path):
    """What an admin's hub image gets: a fresh venv with the wheel and its `hub` extra only."""
    venv = tmp_path / "hub-venv"
    # the image sees only what the wheel installed, not a PYTHONPATH of this run's
    alone = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip, bin_dir = venv / "bin" / "pip", venv / "bin"
    wheel = Path(hub_wheel.filename)
    subprocess.run(
        [str(pip), "install", "-q", f"{wheel}[hub]"], check=True, capture_output=True, timeout=600
    )
    files = subprocess.run(
        [str(pip), "show", "-f", "jupyterhub-fpga"], capture_output=True, text=True, check=True
    ).stdout
    assert "fpga_spawner/spawner.py" in files
    assert not [line for line in files.splitlines() if "emulator" in line or "fpga_demo" in line]
    missing = subprocess.run(
        [str(bin_dir / "python"), "-c", "import fpga_demo"],
        capture_output=True,
        text=True,
        env=alone,
    )
    assert "No module named 'fpga_demo'" in missing.stderr
    result = subprocess.run(
        [str(bin_dir / "jupyterhub-fpga"), "render", "--config", "examples/jupyterhub_config.py"]
        + ["--user", "alice", "--profile", "u250", "--option", "count=2"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env=alone,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("apiVersion: v1\nkind: Pod")
    assert "Unclosed client session" not in result.stderr


def test_the_hub_wheel_carries_the_reclaim_home_page(hub_wheel):
    """configure_hub points JupyterHub at this template; an install without it has no notices."""
    page = hub_wheel.read("fpga_spawner/templates/home.html").decode()
    assert '{% extends "templates/home.html" %}' in page and "fpga_reclaim_notices" in page


LABEXTENSION = "jupyterhub_fpga-0.1.0.data/data/share/jupyter/labextensions/jupyterhub-fpga/"


def test_the_wheel_ships_the_built_jupyterlab_extension(hub_wheel):
    """Prebuilt: the wheel holds the webpack output where JupyterLab looks, once."""
    names = hub_wheel.namelist()
    meta = json.loads(hub_wheel.read(LABEXTENSION + "package.json"))
    assert meta["name"] == "jupyterhub-fpga"
    entry = meta["jupyterlab"]["_build"]["load"]  # written by @jupyterlab/builder
    assert LABEXTENSION + entry in names
    assert LABEXTENSION + "static/style.js" in names
    assert json.loads(hub_wheel.read(LABEXTENSION + "install.json"))["packageName"] == (
        "jupyterhub-fpga"
    )
    remote = hub_wheel.read(LABEXTENSION + entry).decode()
    assert "jupyterhub-fpga" in remote
    # neither the TypeScript sources, node_modules nor a second copy inside the package
    assert not [n for n in names if n.endswith(".ts") or "node_modules" in n]
    assert not [n for n in names if n.startswith("jupyter_ext/labextension")]


@pytest.mark.e2e
def test_the_wheel_installs_without_node_and_jupyterlab_lists_it(hub_wheel, tmp_path):
    """A user image's `pip install`: no Node on PATH, and JupyterLab then finds the extension.

    The wheel goes into a venv of its own: a pip install into the running
    environment, even with --prefix, would first uninstall this checkout's
    editable install.
    """
    venv = tmp_path / "user-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    no_node = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHON"))}
    no_node["PATH"] = "/nonexistent"  # neither node nor npm can be found
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
        + [hub_wheel.filename],
        check=True,
        capture_output=True,
        env=no_node,
        timeout=300,
    )
    share = venv / "share" / "jupyter"
    assert (share / "labextensions" / "jupyterhub-fpga" / "package.json").is_file()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")},
        "JUPYTER_PATH": str(share),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    listed = subprocess.run(
        [str(Path(sys.executable).with_name("jupyter")), "labextension", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out = listed.stdout + listed.stderr
    assert str(share / "labextensions") in out, out
    line = next(line for line in out.splitlines() if "jupyterhub-fpga v0.1.0" in line)
    assert "enabled" in line and "OK" in line and "(python, jupyterhub-fpga)" in line, out

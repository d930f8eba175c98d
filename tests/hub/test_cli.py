"""`jupyterhub-fpga render` and start-up checks, run as the admin runs them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import yaml


def run(*args, cwd=None, env=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def render_example(repo_root, option: str):
    """The README's dry run for alice's U250 profile, with one profile option."""
    return run(
        sys.executable, "-m", "fpga_spawner.cli", "render",
        "--config", "examples/jupyterhub_config.py",
        "--user", "alice", "--profile", "u250", "--option", option,
        cwd=repo_root,
    )  # fmt: skip


def test_render_the_readme_example(repo_root):
    result = render_example(repo_root, "count=2")
    assert result.returncode == 0, result.stderr
    pod = yaml.safe_load(result.stdout)
    assert pod["kind"] == "Pod" and pod["metadata"]["name"] == "jupyter-alice"
    limits = pod["spec"]["containers"][0]["resources"]["limits"]
    assert limits["amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"] == "2"


def test_render_refuses_bad_options_without_a_traceback(repo_root):
    result = render_example(repo_root, "count=5")
    assert result.returncode == 2
    assert "count='5'" in result.stderr and "Allowed: 1, 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_catalog_stops_jupyterhub_at_start_up(tmp_path, repo_root):
    (tmp_path / "catalog.yaml").write_text(
        textwrap.dedent(
            """
            boards:
              - slug: u250
                plugin: amd
                resource: amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0
                max_per_user: 100
            """
        )
    )
    (tmp_path / "jupyterhub_config.py").write_text(
        textwrap.dedent(
            f"""
            c.JupyterHub.spawner_class = "fpga"
            c.FPGASpawner.catalog_file = {str(tmp_path / "catalog.yaml")!r}
            from fpga_spawner import check_config
            check_config(c)
            """
        )
    )
    jupyterhub = Path(sys.executable).with_name("jupyterhub")
    result = run(str(jupyterhub), "-f", "jupyterhub_config.py", "--port", "0", cwd=tmp_path)
    assert result.returncode != 0
    assert "FPGASpawner.boards: entry #0 ('u250'): max_per_user=100" in result.stderr

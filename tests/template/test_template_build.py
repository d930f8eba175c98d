"""binder-repo-template/, built as repo2docker builds it, and its notebooks executed.

A wheel of this package stands in for the PyPI release (``jupyterhub-fpga[pod]``
in the requirements resolves to it through ``--find-links``); a fresh
virtualenv stands in for the image; ``binder/postBuild`` runs with a temporary
HOME; the notebooks run in that virtualenv's own kernel (nbclient is run by the
virtualenv's python, so ``python3`` is its interpreter). One virtualenv per
session: pip's cache makes the rebuild quick.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.paths import REPO

pytestmark = pytest.mark.e2e

TEMPLATE = REPO / "binder-repo-template"
NOTEBOOKS = sorted((TEMPLATE / "notebooks").glob("*.ipynb"))

# Run by the virtualenv's python: execute each notebook, report its text outputs.
RUNNER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    out = {}
    for path in sys.argv[1:]:
        nb = nbformat.read(path, 4)
        try:
            NotebookClient(nb, timeout=180, kernel_name="python3",
                           resources={"metadata": {"path": str(Path(path).parent)}}).execute()
        except CellExecutionError as e:
            print(f"{path}: {e}", file=sys.stderr)
            sys.exit(1)
        texts = []
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                if o.output_type == "stream":
                    texts.append(o.text)
                elif "data" in o:
                    texts += [str(o.data.get(m, "")) for m in ("text/plain", "text/html")]
        out[path] = "\\n".join(texts)
    print(json.dumps(out))
    """
)


def _clean_env(home: Path, venv: Path) -> dict[str, str]:
    """The image's environment: the venv first on PATH, no FPGA, nothing of ours leaking in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FPGA_", "JUPYTER", "IPYTHON", "VIRTUAL_ENV", "PYTHON", "BINDER_"))
    }
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return env


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)


class Image:
    def __init__(self, root: Path, venv: Path, home: Path, repo: Path, post_build_output: str):
        self.root, self.venv, self.home, self.repo = root, venv, home, repo
        self.post_build_output = post_build_output

    def env(self, home: Path | None = None) -> dict[str, str]:
        return _clean_env(home or self.home, self.venv)

    def post_build(self, repo: Path, home: Path) -> subprocess.CompletedProcess:
        home.mkdir(parents=True, exist_ok=True)
        return _run(["bash", str(repo / "binder" / "postBuild")], cwd=repo, env=self.env(home))


@pytest.fixture(scope="session")
def image(tmp_path_factory) -> Image:
    root = tmp_path_factory.mktemp("binder-image")
    wheels, venv, home, repo = root / "wheels", root / "venv", root / "home", root / "repo"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)]
    )
    assert built.returncode == 0, built.stderr[-3000:]
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    shutil.copytree(TEMPLATE, repo)  # repo2docker's checkout of the user's copy
    home.mkdir()
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--find-links", str(wheels)]
    env = _clean_env(home, venv)
    step = _run([*pip, "-r", str(repo / "binder" / "requirements.txt")], env=env)
    assert step.returncode == 0, step.stderr[-3000:]
    # the test's own tool, not the template's: nbclient runs the notebooks
    step = _run([*pip, "nbclient"], env=env)
    assert step.returncode == 0, step.stderr[-3000:]
    # A profile config that was there before postBuild: it must be appended to, not replaced.
    profile = home / ".ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text(
        'c = get_config()\nc.InteractiveShellApp.exec_lines = ["KEPT_FROM_BEFORE = 42"]\n'
    )
    post = _run(["bash", "binder/postBuild"], cwd=repo, env=env)
    assert post.returncode == 0, post.stdout + post.stderr
    return Image(root, venv, home, repo, post.stdout + post.stderr)


def test_template_files(image: Image):
    assert os.access(TEMPLATE / "binder" / "postBuild", os.X_OK), "postBuild must be executable"
    reqs = (TEMPLATE / "binder" / "requirements.txt").read_text()
    assert "jupyterhub-fpga[pod]" in reqs and "nbclient" not in reqs
    # the Dockerfile route is opt-in: a binder/Dockerfile would make repo2docker skip the rest
    assert not (TEMPLATE / "binder" / "Dockerfile").exists()
    dockerfile = (TEMPLATE / "binder" / "Dockerfile.xrt").read_text()
    for needed in (
        "ARG XRT_DEB_URL",
        "apt-get install",
        "binder/requirements.txt",
        "binder/postBuild",
    ):
        assert needed in dockerfile
    assert len(NOTEBOOKS) >= 2


def test_post_build_enabled_the_extension_and_the_magics(image: Image):
    assert "jupyter_ext server extension enabled" in image.post_build_output
    assert "binder/fpga.yaml: functions vision.stereo_bm, finance.black_scholes" in (
        image.post_build_output
    )
    # the emulation's kernels were compiled into the image, next to the installed package
    out = image.post_build_output
    assert "stereolbm_accel" in out and "kernel variants ready in" in out
    cache = out.split("cache: ", 1)[1].splitlines()[0]
    assert cache.startswith(str(image.venv)) and list(Path(cache).glob("*.nbi")), cache
    config = (image.home / ".ipython/profile_default/ipython_kernel_config.py").read_text()
    assert "KEPT_FROM_BEFORE" in config and 'extensions.append("jupyter_ext")' in config
    # running it again (a rebuild on top) does not add the line twice
    again = image.post_build(image.repo, image.home)
    assert again.returncode == 0, again.stderr
    config = (image.home / ".ipython/profile_default/ipython_kernel_config.py").read_text()
    assert config.count('extensions.append("jupyter_ext")') == 1


def test_notebooks_run_emulated_in_the_built_environment(image: Image):
    runner = image.root / "run_notebooks.py"
    runner.write_text(RUNNER)
    # the config that was there before postBuild still applies, and %fpga is preloaded
    probe = image.root / "probe.ipynb"
    probe.write_text(
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "metadata": {},
                        "execution_count": None,
                        "outputs": [],
                        "source": "import sys\nprint('probe', KEPT_FROM_BEFORE, 'fpga' in "
                        "get_ipython().magics_manager.magics['line'], sys.prefix)",
                    }
                ],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
                "nbformat": 4,
                "nbformat_minor": 4,
            }
        )
    )
    notebooks = [str(image.repo / "notebooks" / p.name) for p in NOTEBOOKS]
    run = _run(
        [str(image.venv / "bin" / "python"), str(runner), str(probe), *notebooks],
        env=image.env(),
        cwd=image.repo,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    out = json.loads(run.stdout)
    # the kernel is the image's python, with the old config and the magics preloaded
    assert f"probe 42 True {image.venv}" in out[str(probe)]
    check = out[notebooks[0]]
    assert "%fpga magics preloaded by postBuild: True" in check
    assert "NO FPGA" in check and "emulated on the CPU" in check
    assert (
        "This repository's notebooks need one of u250, u280; this server has no FPGA "
        "(they will run emulated)." in check
    )
    for path in notebooks[1:]:
        assert "emulated on CPU" in out[path], out[path]
        assert "ran on" not in out[path]  # never claims an FPGA
    assert "prices agree with the formula" in out[notebooks[1]]
    assert "disparity 9.0 px everywhere inside" in out[notebooks[2]]


def test_post_build_fails_loudly_without_the_server_extension(image: Image, tmp_path: Path):
    # an admin's (or a base image's) user config that turns it off overrides the package's
    home = tmp_path / "home"
    (home / ".jupyter").mkdir(parents=True)
    (home / ".jupyter" / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_ext": False}}})
    )
    post = image.post_build(image.repo, home)
    assert post.returncode == 1
    assert "the jupyter_ext server extension is not enabled" in post.stderr
    assert not (home / ".ipython").exists()  # stopped before touching anything else


def test_post_build_fails_on_a_bad_fpga_yaml(image: Image, tmp_path: Path):
    repo = tmp_path / "repo"
    shutil.copytree(image.repo, repo)
    (repo / "binder" / "fpga.yaml").write_text("functions: [vision.stereo_bm]\nboard: [u250]\n")
    post = image.post_build(repo, tmp_path / "home")
    assert post.returncode == 2
    assert (
        f"{Path('.') / 'binder' / 'fpga.yaml'}: unknown field 'board'; allowed fields: "
        "functions, boards, count" in post.stderr
    )
    (repo / "binder" / "fpga.yaml").write_text("functions: [vision.no_such_kernel]\n")
    post = image.post_build(repo, tmp_path / "home2")
    assert post.returncode == 1
    assert "vision.no_such_kernel, which this version of jupyterhub-fpga does not provide" in (
        post.stdout
    )

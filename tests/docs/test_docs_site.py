"""The documentation site builds with warnings as errors, and its generated
reference pages say what the code says."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import DOCS

PAGES = [
    "index",
    "quickstart",
    "admin-guide",
    "dra",
    "shared-boards",
    "quotas",
    "metrics",
    "idle-reclaim",
    "config-reference",
    "magics",
    "pod-activity",
    "jupyterlab",
    "architecture",
    "upstream-facts",
    "functions",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs-html")
    cache = tmp_path_factory.mktemp("docs-doctrees")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            "-q",
            "-d",
            str(cache),
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def text(site: Path, page: str) -> str:
    """A page's visible text, whitespace collapsed."""
    raw = (site / f"{page}.html").read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def squeeze(s: str) -> str:
    """Without whitespace: tags around inline code leave spaces the source has not."""
    return re.sub(r"\s+", "", s)


def test_every_page_is_built(site: Path) -> None:
    for page in PAGES:
        assert (site / f"{page}.html").is_file(), page
    # The YAML and Dockerfile examples next to the pages are not pages.
    assert not list(site.rglob("*values.html"))
    assert not list(site.rglob("*Dockerfile*.html"))


def test_trait_reference_lists_the_traits_fpgaspawner_adds(site: Path) -> None:
    from kubespawner import KubeSpawner

    from fpga_spawner import FPGASpawner

    page = text(site, "config-reference")
    added = set(FPGASpawner.class_traits(config=True)) - set(KubeSpawner.class_traits(config=True))
    assert "catalog_file" in added
    for name in added:
        assert f"c.FPGASpawner.{name} =" in page, name
    # With its help text, as written in fpga_spawner/settings.py.
    help_first_line = FPGASpawner.class_traits()["catalog_file"].help.splitlines()[0]
    assert squeeze(help_first_line.replace("`", "")) in squeeze(page)
    # Only the added ones: KubeSpawner's own options are not repeated.
    assert "c.FPGASpawner.profile_list" not in page
    assert "c.FPGASpawner.image =" not in page


def test_trait_reference_lists_the_pod_side_options(site: Path) -> None:
    from jupyter_ext.server import FPGADevices

    page = text(site, "config-reference")
    for name, trait in FPGADevices.class_traits(config=True).items():
        assert f"c.FPGADevices.{name} =" in page, name
        assert squeeze(trait.help) in squeeze(page), name


def test_magics_page_is_generated_from_the_parsers(site: Path) -> None:
    from jupyter_ext.magics import parsers

    page = text(site, "magics")
    assert "%fpga bench [--size N] [--repeat R] [-o] FUNCTION" in page
    for stub in parsers.SUBCOMMANDS.values():
        assert parsers.usage(stub).removeprefix("usage: ") in page
        assert parsers.purpose(stub) in page
    assert "%%fpga [--compare]" in page


def test_admin_guide_covers_the_deployments(site: Path) -> None:
    page = text(site, "admin-guide")
    for needle in [
        'c.JupyterHub.spawner_class = "fpga"',
        "jupyterhub-fpga discover",
        "docs/hub-node-reader-rbac.yaml",
        "BinderSpawnerMixin",
        "fancy-profiles",
        "Troubleshooting a pending FPGA pod",
    ]:
        assert needle in page, needle

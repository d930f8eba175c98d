"""The real-XRT tier: collected only inside the Debian root that `scripts/xrt-tier` makes.

Everywhere else (the main test run) this folder is skipped at collection, because its
tests need XRT 2.25's own ``pyxrt`` and ``xclbinutil``; inside the root they must all run.
"""

from __future__ import annotations

import os
import shutil

import pytest

if os.environ.get("FPGA_REAL_XRT") != "1":
    collect_ignore_glob = ["*"]


@pytest.fixture(scope="session")
def pyxrt():
    """XRT's own Python binding (Debian's python3-xrt)."""
    import pyxrt as real

    return real


@pytest.fixture(scope="session")
def xclbinutil() -> str:
    path = shutil.which("xclbinutil")
    assert path, "xclbinutil is not in the XRT root"
    return path


@pytest.fixture(scope="session")
def xclbin_corpus(xclbinutil, tmp_path_factory):
    """{case name: path} of the xclbins xclbinutil writes from tests/xrt/xclbin_corpus.py."""
    from .xclbin_corpus import all_cases, build

    root = tmp_path_factory.mktemp("xclbin-corpus")
    return {case.name: build(case, xclbinutil, root) for case in all_cases()}

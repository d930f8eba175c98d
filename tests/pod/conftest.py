"""Shared fixtures for the pod-side tests (discovery, xclbin, server extension)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "xclbin"
VCK190 = FIXTURES / "xrt_vck190_debug_ip_layout.xclbin"

# helper modules beside the tests (pod_*.py) import by name
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def vck190_path() -> Path:
    assert VCK190.is_file(), f"real xclbin fixture missing: {VCK190}"
    return VCK190


@pytest.fixture(scope="session")
def vck190_bytes(vck190_path: Path) -> bytes:
    return vck190_path.read_bytes()

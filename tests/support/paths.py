"""Where the repository's own files are, for tests that read them."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
VCK190_XCLBIN = FIXTURES / "xclbin" / "xrt_vck190_debug_ip_layout.xclbin"
NOTEBOOKS = REPO / "notebooks"
DOCS = REPO / "docs"
TEMPLATE = REPO / "binder-repo-template"
ARTIFACTS = REPO / "test-artifacts"

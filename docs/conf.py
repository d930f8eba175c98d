"""Sphinx configuration for the jupyterhub-fpga documentation (MyST Markdown).

Build: python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "_ext"))

project = "jupyterhub-fpga"
copyright = "jupyterhub-fpga contributors"
author = "jupyterhub-fpga contributors"

extensions = [
    "myst_parser",
    "autodoc_traits",
    "fpga_docs",  # docs/_ext/fpga_docs.py
]

source_suffix = {".md": "markdown"}
root_doc = "index"
# Only the Markdown pages are documents; the YAML and Dockerfile files next to
# them are examples the pages point to.
exclude_patterns = [
    "_build",
    "**/*.yaml",
    "**/*.Dockerfile",
    "_ext",
]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "none"

html_theme = "alabaster"
html_title = "jupyterhub-fpga"
html_static_path: list[str] = []

# Help texts quote literal values ("image--unlisted-choice", "*"): keep them as written.
smartquotes = False

"""Sphinx configuration for taperplan's documentation (MyST Markdown, furo).

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html``. The
build needs no network: there are no intersphinx inventories to fetch.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# The local extension that generates the data pages.
sys.path.insert(0, str(_HERE / "_ext"))
# Build from a source checkout even when taperplan is not installed.
sys.path.insert(1, str(_HERE.parent / "src"))

import taperplan  # noqa: E402 - after the path set-up above

project = "taperplan"
author = "The taperplan developers"
copyright = "The taperplan developers"
release = taperplan.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "datapages",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
# _generated/ holds fragments that the pages include; they are not pages themselves.
exclude_patterns = ["_build", "_generated", "_ext", "research", "figures", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Google-style docstrings (Args / Returns / Raises) only.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
autodoc_member_order = "bysource"
# Types go into the descriptions: signatures stay short, and the private module
# paths behind the public names (taperplan.units.Quantity) stay out of them.
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"

html_theme = "furo"
html_title = f"taperplan {release}"
html_static_path: list[str] = ["_static"]

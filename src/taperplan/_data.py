"""Access to the packaged data files under ``taperplan/data``.

Every clinical number taperplan uses lives in these TOML files, each entry
with a ``source`` key naming a reference in ``sources.toml``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_data(name: str) -> dict[str, Any]:
    """Parse one packaged TOML data file (cached: read once per process)."""
    text = resources.files("taperplan").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def data_text(name: str) -> str:
    """The raw text of a packaged data file (for docs and the demo)."""
    return resources.files("taperplan").joinpath("data", name).read_text(encoding="utf-8")

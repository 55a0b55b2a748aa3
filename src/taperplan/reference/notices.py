"""Notices: warnings and cautions that travel with results as data.

A plan or MME report carries its warnings as :class:`Notice` values (code,
message, source) so that apps, the CLI and exports can show them; taperplan
does not push them through :mod:`warnings`, which callers would have to catch.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import attrs

from taperplan._data import load_data


@attrs.frozen
class Notice:
    """One warning: a stable ``code``, a message for people, and its source key."""

    code: str
    message: str
    source: str | None = None


@cache
def _warning_table() -> dict[str, dict[str, Any]]:
    return {entry["code"]: entry for entry in load_data("warnings.toml")["warning"]}


def notice(code: str, **details: object) -> Notice:
    """The packaged warning ``code`` with ``{placeholders}`` filled from ``details``.

    Raises:
        KeyError: for a code that ``data/warnings.toml`` does not define (a bug).
    """
    entry = _warning_table()[code]
    return Notice(code=code, message=entry["message"].format(**details), source=entry.get("source"))


def warning_codes() -> tuple[str, ...]:
    """Every warning code taperplan can emit."""
    return tuple(_warning_table())

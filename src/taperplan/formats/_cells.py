"""Text from inputs as data, never as commands: CSV cells a spreadsheet will not run.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or NUL can be
read by a spreadsheet as a formula (CSV injection). :func:`csv_cell` writes such a cell
with a leading apostrophe, as OWASP recommends; numbers (``-5``, ``+1.5``) stay numbers.
Every CSV taperplan writes passes each row through :func:`csv_row`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: The first characters a spreadsheet may read as the start of a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def csv_cell(value: object) -> object:
    """``value``, with a leading apostrophe if it is text a spreadsheet could run."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        Decimal(value)
    except InvalidOperation:
        return f"'{value}"
    return value


def csv_row(*values: object) -> list[object]:
    """The cells of a row, each through :func:`csv_cell`."""
    return [csv_cell(value) for value in values]

"""Prescriptions as CSV (interfaces.md §6): one row per fill and product strength.

The columns of §6 come first (``fill`` from 1, ``start`` and ``end`` inclusive,
``drug``, ``form``, ``strength`` as labelled, ``quantity`` and
``quantity_unit``, ``sig``), then what a pharmacist checks against them: the
product in words, the exact units the days take, the cartons, and the
instalments of daily or weekly dispensing. A fill whose directions change on
the day its step does gives each step's directions with its dates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from taperplan.formats._cells import csv_row
from taperplan.model.prescription import Directions, Fill, FillItem
from taperplan.reference.wording import product_words
from taperplan.units import format_decimal

COLUMNS = (
    "fill",
    "start",
    "end",
    "drug",
    "form",
    "strength",
    "quantity",
    "quantity_unit",
    "sig",
    "product",
    "taken",
    "packs",
    "pack_size",
    "instalments",
)


def sig_text(directions: Sequence[Directions]) -> str:
    """The directions of one fill item: the text alone for one step, else each step's
    directions after its dates (``2027-01-04 to 2027-01-10: Take …``)."""
    if len(directions) == 1:
        return directions[0].text
    return " | ".join(f"{d.start.isoformat()} to {d.end.isoformat()}: {d.text}" for d in directions)


def item_words(item: FillItem) -> str:
    """``oxycodone ER tablet``, ``oxycodone IR tablet``: the product in words."""
    return product_words(item.product, "table")


def _instalments(item: FillItem) -> str:
    return "; ".join(
        f"{i.start.isoformat()} to {i.end.isoformat()}: {format_decimal(i.quantity)}"
        for i in item.instalments
    )


def prescriptions_to_csv(fills: Sequence[Fill]) -> str:
    """The fills as CSV text (header first; fills in order, strengths ascending)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for fill in fills:
        for item in fill.items:
            packs = item.packs
            writer.writerow(
                csv_row(
                    fill.number,
                    fill.start.isoformat(),
                    fill.end.isoformat(),
                    item.drug,
                    item.product.form.value,
                    item.strength_text,
                    format_decimal(item.quantity),
                    item.quantity_unit,
                    sig_text(item.directions),
                    item_words(item),
                    format_decimal(item.taken),
                    "" if packs is None else packs,
                    item.product.pack_size or "",
                    _instalments(item),
                )
            )
    return buffer.getvalue()

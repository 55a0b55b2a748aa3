"""The handout's "What to collect at the pharmacy": each prescription's days and what to
collect, in the words of ``[page]`` of ``data/handout.toml``."""

from __future__ import annotations

import datetime as dt

import attrs

from taperplan.formats._handout_text import count_words, page_words
from taperplan.formats.chart import plain_words
from taperplan.model.prescription import Fill, FillItem
from taperplan.reference.dispense import UnitCount


@attrs.frozen
class PharmacyFill:
    """One prescription: its number, its days and what to collect for them."""

    number: int
    start: dt.date
    end: dt.date
    items: tuple[str, ...]


def pharmacy(fills: tuple[Fill, ...]) -> tuple[PharmacyFill, ...]:
    """Each prescription with what to collect for it."""
    return tuple(
        PharmacyFill(fill.number, fill.start, fill.end, tuple(_collect(i) for i in fill.items))
        for fill in fills
    )


def _collect(item: FillItem) -> str:
    """``28 tablets of 15 mg (oxycodone extended-release tablets)``; patches with their
    boxes."""
    words = page_words()
    form = item.product.form
    amount = count_words(UnitCount(item.strength, item.quantity, label=item.strength_text), form)
    if item.packs is not None:
        amount = words.boxes.format(amount=amount, packs=item.packs, size=item.product.pack_size)
    return words.collect.format(amount=amount, medicine=plain_words(item.product))

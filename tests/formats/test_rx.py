"""Prescriptions as CSV (interfaces.md §6) against golden files, byte for byte.

The same fixed plans as the CSV and FHIR golden files (the sample regimen, two
opioids with uneven split doses, a fentanyl patch every 3 days, an oral solution,
doses every 2 days from staggered offsets). Regenerate with
``TAPERPLAN_UPDATE_GOLDEN=1`` (never in CI) and review the diff.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from test_fhir import GOLDEN_CASES, plan_of

from support import GOLDEN, golden_bytes
from taperplan import prescriptions
from taperplan.formats.rx import COLUMNS, prescriptions_to_csv

#: The columns interfaces.md §6 names, in its order.
CONTRACT = ("fill", "start", "end", "drug", "form", "strength", "quantity", "quantity_unit", "sig")


@pytest.mark.parametrize(("stem", "text", "patient"), GOLDEN_CASES)
def test_matches_golden_file(stem: str, text: Callable[[], str], patient: str | None) -> None:
    produced = prescriptions_to_csv(prescriptions(plan_of(text()))).encode("utf-8")
    assert golden_bytes(GOLDEN / f"{stem}.rx.csv", produced) == produced


@pytest.mark.parametrize(("stem", "text", "patient"), GOLDEN_CASES)
def test_one_row_per_fill_and_strength(
    stem: str, text: Callable[[], str], patient: str | None
) -> None:
    """The §6 columns first; a row per fill and strength with the fill's quantity, unit and
    directions; fills from 1 in order."""
    fills = prescriptions(plan_of(text()), 14, per_step=False, dispense_every=7)
    rows = list(csv.DictReader(io.StringIO(prescriptions_to_csv(fills))))
    assert tuple(COLUMNS[: len(CONTRACT)]) == CONTRACT
    assert list(rows[0]) == list(COLUMNS)
    expected = [
        (str(f.number), f.start.isoformat(), f.end.isoformat(), i.strength_text, i.quantity)
        for f in fills
        for i in f.items
    ]
    assert [
        (r["fill"], r["start"], r["end"], r["strength"], Decimal(r["quantity"])) for r in rows
    ] == expected
    for row in rows:
        assert row["quantity_unit"] in {"tablet", "capsule", "patch", "mL"}
        assert row["sig"].startswith(("Take by mouth", "Apply to the skin", "20"))
        assert Decimal(row["quantity"]) >= Decimal(row["taken"])
        assert row["instalments"]

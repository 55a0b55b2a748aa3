"""The CSV export (one row per dose) against golden files, byte for byte.

The same fixed plans as the FHIR golden files: the sample regimen, two
opioids with uneven split doses, a fentanyl patch changed every 3 days, an
oral solution and doses every 2 days from staggered offsets. Regenerate with ``TAPERPLAN_UPDATE_GOLDEN=1`` (never in
CI) and review the diff.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from test_fhir import GOLDEN_CASES, plan_of

from support import GOLDEN, golden_bytes
from taperplan.formats.csv import COLUMNS, plan_to_csv


@pytest.mark.parametrize(("stem", "text", "patient"), GOLDEN_CASES)
def test_matches_golden_file(stem: str, text: Callable[[], str], patient: str | None) -> None:
    produced = plan_to_csv(plan_of(text())).encode("utf-8")
    assert golden_bytes(GOLDEN / f"{stem}.csv", produced) == produced


@pytest.mark.parametrize(("stem", "text", "patient"), GOLDEN_CASES)
def test_one_row_per_dose_inside_its_step(
    stem: str, text: Callable[[], str], patient: str | None
) -> None:
    """Every dose of the plan is one row, on a day of its step, and nothing else is: a
    dose every N days on its step's days ``offset``, ``offset`` + N, …, and the finer
    products the plan adds under their own product."""
    plan = plan_of(text())
    rows = list(csv.DictReader(io.StringIO(plan_to_csv(plan))))
    assert rows, stem
    assert list(rows[0]) == list(COLUMNS)
    expected = sorted(
        (
            (step.start + dt.timedelta(days=day)).isoformat(),
            dose.time.strftime("%H:%M"),
            part.drug,
            part.product.name,
            str(dose.amount.amount.normalize()),
        )
        for step in plan.steps
        for part in step.medications
        for dose in part.doses
        for day in range(dose.offset, step.days, dose.every_days)
    )
    assert (
        sorted(
            (r["date"], r["time"], r["drug"], r["product"], str(Decimal(r["amount"]).normalize()))
            for r in rows
        )
        == expected
    )
    for row in rows:
        step = plan.steps[int(row["step"])]
        assert step.start <= dt.date.fromisoformat(row["date"]) <= step.end

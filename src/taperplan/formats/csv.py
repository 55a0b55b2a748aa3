"""CSV export: one row per dose, for spreadsheets and pharmacy systems."""

from __future__ import annotations

import csv
import io

from taperplan.formats._cells import csv_row
from taperplan.model.plan import TaperPlan
from taperplan.reference.products import Form
from taperplan.units import format_decimal

COLUMNS = (
    "date",
    "time",
    "zone",
    "step",
    "drug",
    "product",
    "amount",
    "unit",
    "units_to_take",
    "daily_total",
    "daily_unit",
    "mme_per_day",
)


def plan_to_csv(plan: TaperPlan) -> str:
    """Every dose of the plan as CSV text (header first; dates in order).

    A dose taken every N days appears on its own days only; a patch appears
    on the days it is changed.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    zone = "" if plan.regimen.timezone is None else plan.regimen.timezone.key
    for step in plan.steps:
        for offset, day in enumerate(step.dates()):
            for part in step.medications:
                for dose in part.doses:
                    if not dose.taken_on(offset):
                        continue
                    writer.writerow(
                        csv_row(
                            day.isoformat(),
                            dose.time.strftime("%H:%M"),
                            zone,
                            step.index,
                            part.drug,
                            part.product.name,
                            format_decimal(dose.amount.amount),
                            dose.amount.unit.value,
                            " + ".join(u.describe(part.form) for u in dose.units),
                            format_decimal(part.daily_amount.amount),
                            part.daily_amount.unit.value
                            + ("" if part.form is Form.PATCH else "/day"),
                            "" if part.mme_per_day is None else format_decimal(part.mme_per_day),
                        )
                    )
    return buffer.getvalue()

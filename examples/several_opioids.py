"""Several opioids: plan one regimen in each taper order and compare the plans.

Run:  python examples/several_opioids.py

The patient takes morphine ER 30 mg twice a day and hydrocodone with
acetaminophen 10/325 mg twice a day (80 MME/day). Each order tapers one
medication at a time with the pace's ceiling on the total; where the ER tablets
cannot cut within it, the plan adds morphine immediate-release tablets and oral
solution. The last run forbids that (substitute=False), and ends in a
PlanningError that says where planning stopped and a fix it has checked.
See docs/howto-several-opioids.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from taperplan import (
    PlanningError,
    TaperOrder,
    TaperPlan,
    plan_taper,
    regimen_from_mapping,
    regimen_mme,
)

REGIMEN = {
    "timezone": "America/Chicago",
    "context": {"on_opioids_since": "2019-05-01"},
    "medication": [
        {
            "drug": "morphine",
            "form": "er_tablet",
            "strength": "30 mg",
            "dose": "30 mg",
            "times": ["08:00", "20:00"],
        },
        {
            "drug": "hydrocodone",
            "form": "ir_tablet",
            "strength": "10 mg",
            "combination": "acetaminophen 325 mg",
            "dose": "10 mg",
            "times": ["12:00", "18:00"],
        },
    ],
    "pace": {"preset": "va-slower"},
}
#: taperplan never reads the clock: the day the regimen is checked against, and the start.
TODAY = dt.date(2026, 11, 24)
START = dt.date(2027, 1, 4)
ORDERS: Sequence[TaperOrder | Sequence[str]] = (
    "long-acting-first",
    "short-acting-first",
    "proportional",
    ("hydrocodone", "morphine"),
)


def doses(plan: TaperPlan, index: int) -> str:
    """A step's doses in one line, such as ``morphine er_tablet 08:00 15 mg, 20:00 30 mg``."""
    parts = []
    for part in plan.steps[index].medications:
        if part.stopped:
            continue
        times = ", ".join(
            f"{dose.time:%H:%M} {dose.amount}"
            + (f" every {dose.every_days} days" if dose.every_days > 1 else "")
            for dose in part.doses
        )
        parts.append(f"{part.drug} {part.form.value} {times}")
    return "; ".join(parts) or "stopped"


def mme(total: Decimal | None) -> str:
    """An MME/day figure without trailing zeros."""
    return "-" if total is None else f"{total.normalize():f}"


def show(plan: TaperPlan) -> None:
    """One line per step: dates, the medication cut, the cut and the new total."""
    for step in plan.steps:
        print(
            f"  {step.index:>2}  {step.start} to {step.end}  cut {step.cut_drug:<11} "
            f"{step.cut_fraction:6.1%}  -> {mme(step.total_mme_per_day)} MME/day  "
            f"{doses(plan, step.index)}"
        )


def main() -> None:
    """Plan the regimen in every order and print each plan."""
    regimen = regimen_from_mapping(REGIMEN, today=TODAY)
    report = regimen_mme(regimen)
    for line in report.medications:
        print(f"{line.medication.drug}: {line.daily_amount}/day, {line.mme_per_day} MME/day")
    print(f"total: {report.total_mme_per_day} MME/day")
    for notice in regimen.notices:
        print(f"note: {notice.message} [{notice.code}]")

    for order in ORDERS:
        name = order if isinstance(order, str) else "explicit: " + ", ".join(order)
        print(f"\norder {name}:")
        plan = plan_taper(regimen, start=START, order=order)
        print(f"  {len(plan.steps)} steps, stop on {plan.stop_date} ({plan.pace.name})")
        for substitute in plan.substitutes:
            print(f"  adds {substitute.product.name} from step {substitute.first_step}")
        show(plan)

    print("\nwithout immediate-release tablets or oral solution (substitute=False):")
    try:
        plan_taper(regimen, start=START, substitute=False)
    except PlanningError as error:
        stopped = error.stopped_at
        if stopped is not None:
            print(f"  cannot be planned after {stopped.steps} steps, at {stopped.doses}")
        print(f"  fix: {error.fix}")

    print("\nDecision support for clinicians; not medical advice. A prescriber reviews every plan.")


if __name__ == "__main__":
    main()

"""Quickstart: load a regimen, check its MME, plan a taper and print it.

Run from the repository root:  python examples/quickstart.py
"""

from __future__ import annotations

import datetime as dt

from taperplan import PlanningError, plan_taper, regimen_from_mapping, regimen_mme

# The same shape as a regimen file (interfaces.md §1), as an app would pass it.
REGIMEN = {
    "timezone": "America/New_York",
    "context": {"on_opioids_since": "2021-03-01"},
    "medication": [
        {
            "drug": "oxycodone",
            "form": "ir_tablet",
            "strength": "10 mg",
            "dose": "10 mg",
            "times": ["08:00", "14:00", "20:00"],
        }
    ],
}


def describe(step_doses: list[str]) -> str:
    """The doses of a step in one line."""
    return ", ".join(step_doses) or "stopped"


def main() -> None:
    """Plan the sample and print one line per step."""
    regimen = regimen_from_mapping(REGIMEN, today=dt.date(2026, 11, 24))
    report = regimen_mme(regimen)
    print(f"MME/day now: {report.total_mme_per_day}")
    try:
        plan = plan_taper(regimen, start=dt.date(2027, 1, 4), pace="va-slower")
    except PlanningError as error:  # no dispensable cut fits the pace's cap
        print(f"cannot plan: {error}")
        return
    print(f"pace: {plan.pace.name} ({plan.pace_reason})")
    for step in plan.steps:
        doses = [
            f"{dose.time:%H:%M} {dose.amount}"
            + (f" every {dose.every_days} days" if dose.every_days > 1 else "")
            for part in step.medications
            for dose in part.doses
        ]
        window = step.withdrawal_window
        expected = f"; withdrawal possible {window.start} to {window.end}" if window else ""
        print(
            f"{step.start} to {step.end}: {describe(doses)}; "
            f"{step.total_mme_per_day} MME/day; check-in {step.check_in}{expected}"
        )
    print("Decision support for clinicians; not medical advice.")


if __name__ == "__main__":
    main()

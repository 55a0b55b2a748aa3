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
    except PlanningError as error:  # no dispensable cut keeps the pace's rules
        print(f"cannot plan: {error}")
        print(f"stopped at: {error.stopped_at}; fix: {error.fix}")
        return
    print(f"pace: {plan.pace.name} ({plan.pace_reason})")
    for substitute in plan.substitutes:  # a finer form of the drug that the plan adds
        strengths = ", ".join(map(str, substitute.strengths))
        print(f"adds {substitute.product.name} ({strengths}) from step {substitute.first_step}")
    for step in plan.steps:
        doses = [
            f"{dose.time:%H:%M} {dose.amount}"
            + (f" every {dose.every_days} days" if dose.every_days > 1 else "")
            + ("" if part.index == 0 else f" ({part.form.value})")
            for part in step.medications
            for dose in part.doses
        ]
        window = step.withdrawal_window
        expected = f"; withdrawal possible {window.start} to {window.end}" if window else ""
        total = step.total_mme_per_day
        mme = "-" if total is None else f"{total.normalize():f}"
        print(
            f"{step.index}: {step.start} to {step.end}: {describe(doses)}; "
            f"{mme} MME/day; check-in {step.check_in}{expected}"
        )
    print("Decision support for clinicians; not medical advice.")


if __name__ == "__main__":
    main()

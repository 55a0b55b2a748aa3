"""Pause and re-plan a taper, and update its calendar.

Run:  python examples/pause_and_replan.py

Plans the sample regimen (oxycodone ER 20 mg twice a day, va-slower), saves the
plan as JSON and writes its calendar; then, as a clinic would weeks later,
loads the saved plan, pauses it for two weeks, re-plans it at a slower pace
from the day of the next cut, and writes the calendar again after each change. The
calendars are compared: every event keeps its UID and its SEQUENCE rises with
the plan's revision, so calendar apps can update the events instead of adding
copies. Everything is written to a new temporary folder, removed at the end.
See docs/howto-pause-and-replan.md.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from icalendar import Calendar

from taperplan import (
    TaperPlan,
    load_plan,
    pause,
    plan_taper,
    plan_to_json,
    regimen_from_mapping,
    replan,
)
from taperplan.formats.ics import plan_to_ics
from taperplan.reference.paces import pace_from_mapping

REGIMEN = {
    "timezone": "America/New_York",
    "context": {"on_opioids_since": "2021-03-01"},
    "medication": [
        {
            "drug": "oxycodone",
            "form": "er_tablet",
            "strength": "20 mg",
            "dose": "20 mg",
            "times": ["08:00", "20:00"],
        }
    ],
    "pace": {"preset": "va-slower"},
}
#: From the re-plan on: VA's "slower" rate and cap, with six-week steps.
SLOWER = {"preset": "va-slower", "every_days": 42}
#: taperplan never reads the clock: every date and time stamp is given.
TODAY = dt.date(2026, 12, 20)
START = dt.date(2027, 1, 4)
PAUSE_ON = dt.date(2027, 2, 1)
#: The day of the next cut once the plan is paused.
REPLAN_ON = dt.date(2027, 3, 15)


def events(ics: bytes) -> dict[str, int]:
    """Each event's UID and SEQUENCE."""
    return {event.uid: event.sequence for event in Calendar.from_ical(ics).events}


def write_calendar(plan: TaperPlan, folder: Path, made: dt.datetime) -> dict[str, int]:
    """Write the plan's calendar as ``plan-r<revision>.ics``; return its events."""
    ics = plan_to_ics(plan, dtstamp=made)
    path = folder / f"plan-r{plan.revision}.ics"
    path.write_bytes(ics)
    print(f"  wrote {path.name}: {ics.count(b'BEGIN:VEVENT')} events")
    return events(ics)


def compare(before: dict[str, int], after: dict[str, int]) -> None:
    """How the second calendar relates to the first."""
    kept = before.keys() & after.keys()
    sequences = sorted({after[uid] for uid in kept})
    print(f"  {len(kept)} of {len(before)} events keep their UID, now with SEQUENCE {sequences}")
    print(f"  {len(after.keys() - before.keys())} new events")
    print(f"  {len(before.keys() - after.keys())} events the new plan no longer has")


def outline(plan: TaperPlan) -> None:
    """One line per step: each product's doses (the plan may add the drug's immediate-release
    tablets or oral solution), and the total."""
    for step in plan.steps:
        doses = "; ".join(
            f"{part.form.value} "
            + ", ".join(
                f"{dose.time:%H:%M} {dose.amount}"
                + (f" every {dose.every_days} days" if dose.every_days > 1 else "")
                for dose in part.doses
            )
            for part in step.medications
            if not part.stopped
        )
        total = step.total_mme_per_day
        mme = "-" if total is None else f"{total.normalize():f}"
        print(
            f"  {step.id:<38} {step.kind.value:<5} {step.start} to {step.end}  "
            f"{mme:>6} MME/day  {doses or 'stopped'}"
        )


def main() -> None:
    """Plan, pause, re-plan, and compare the calendars."""
    with tempfile.TemporaryDirectory(prefix="taperplan-") as name:
        folder = Path(name)

        plan = plan_taper(regimen_from_mapping(REGIMEN, today=TODAY), start=START)
        (folder / "plan.json").write_text(plan_to_json(plan), encoding="utf-8")
        print(f"plan {plan.id}, revision {plan.revision}: stop on {plan.stop_date}")
        outline(plan)
        first = write_calendar(plan, folder, dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.UTC))

        # Weeks later: the saved plan reads back exactly as it was.
        saved = load_plan(folder / "plan.json")
        print(f"\nloaded plan.json: equal to the plan that was saved: {saved == plan}")

        paused = pause(saved, on=PAUSE_ON, days=14)
        print(f"\npaused on {PAUSE_ON} for 14 days: revision {paused.revision}, ", end="")
        print(f"stop on {paused.stop_date}")
        outline(paused)
        second = write_calendar(paused, folder, dt.datetime(2027, 1, 29, 9, 0, tzinfo=dt.UTC))
        compare(first, second)

        slower = pace_from_mapping(SLOWER)
        again = replan(paused, on=REPLAN_ON, pace=slower)
        print(f"\nre-planned on {REPLAN_ON} at {slower.describe_rate()}: ", end="")
        print(f"revision {again.revision}, stop on {again.stop_date}")
        outline(again)
        third = write_calendar(again, folder, dt.datetime(2027, 3, 12, 9, 0, tzinfo=dt.UTC))
        compare(second, third)
        (folder / "plan.json").write_text(plan_to_json(again), encoding="utf-8")

    print(
        "\nImport each new file into the plan's own calendar; if your app adds copies, delete "
        "that calendar and import the newest file into a fresh one."
    )
    print("Decision support for clinicians; not medical advice. A prescriber reviews every change.")


if __name__ == "__main__":
    main()

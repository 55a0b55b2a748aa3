"""Re-dating an initiation: hold a day, or repeat a day after a missed dose.

Low-dose initiation schedules are followed day by day, and real patients hold a
day when withdrawal appears (the pause rule of the sources: hold the
buprenorphine dose, COHEN-2022) or miss a dose. Either way the schedule repeats
the day and never jumps ahead: :func:`hold_day` lengthens the step that holds the
day and moves every later step (the full agonist's stop or taper with them).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

from taperplan._reading import require_date
from taperplan.clinical.withdrawal import window_after
from taperplan.errors import InitiationOptionError, Problem
from taperplan.model.plan import NoteKind, PlanKind, Step, TaperPlan
from taperplan.switching._days import on_plan_days

#: The most days one hold may add: a longer hold is a new plan, not a repeated day.
MAX_HOLD_DAYS = 14

Why = Literal["withdrawal", "missed"]

_WHY_TEXT = {
    "withdrawal": "withdrawal appeared, so the day's doses are repeated before the next increase",
    "missed": "a dose was missed, so the day is taken again",
}


def _problems(plan: TaperPlan, on: dt.date, days: int, why: str) -> list[Problem]:
    problems = []
    if plan.kind is not PlanKind.INITIATION:
        problems.append(
            Problem(
                "plan",
                f"is a {plan.kind.value} plan: only an initiation repeats a day",
                "for a taper, use pause (taperplan pause) to hold a dose longer",
            )
        )
    if not plan.start <= on <= plan.end:
        problems.append(
            Problem(
                "on",
                f"{on.isoformat()} is outside the plan ({plan.start} to {plan.end})",
                "a day of the plan",
            )
        )
    if not 1 <= days <= MAX_HOLD_DAYS:
        problems.append(
            Problem("days", f"{days} is not from 1 to {MAX_HOLD_DAYS}", "hold 1 to 14 days")
        )
    if why not in _WHY_TEXT:
        problems.append(Problem("why", f"{why!r} is not a reason", "withdrawal or missed"))
    return problems


def hold_day(plan: TaperPlan, on: dt.date, *, days: int = 1, why: Why = "withdrawal") -> TaperPlan:
    """``plan`` with the doses of ``on`` repeated for ``days`` more days, and every
    later step moved by as many days.

    Raises:
        InitiationOptionError: a plan that is not an initiation, a day outside the
            plan, a hold of other than 1 to 14 days, or an unknown reason; every
            problem at once.
    """
    on = require_date(on, "on")
    problems = _problems(plan, on, days, why)
    if problems:
        raise InitiationOptionError("hold", problems)
    shift = dt.timedelta(days=days)
    steps: list[Step] = []
    moved = False
    for step in plan.steps:
        if moved:
            start, end = step.start + shift, step.end + shift
        elif step.start <= on <= step.end:
            start, end, moved = step.start, step.end + shift, True
        else:
            start, end = step.start, step.end
        first = (start - plan.start).days
        lag = start - step.start
        note = NoteKind.PAUSE.note(
            f"held {days} day{'s' if days > 1 else ''} from {on.isoformat()}: {_WHY_TEXT[why]}"
        )
        held = start == step.start and end != step.end
        steps.append(
            attrs.evolve(
                step,
                start=start,
                end=end,
                medications=tuple(on_plan_days(p, first) for p in step.medications),
                withdrawal_window=None
                if step.withdrawal_profile is None
                else window_after(start, step.withdrawal_profile),
                check_in=step.check_in + lag,
                check_ins=tuple(day + lag for day in step.check_ins),
                notes=(*step.notes, note) if held else step.notes,
            )
        )
    return attrs.evolve(plan, revision=plan.revision + 1, steps=tuple(steps))

"""Pausing a plan: hold the dose in effect on a day for some days more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import attrs

from taperplan._reading import require_date
from taperplan.errors import PlanningError
from taperplan.model.plan import NoteKind, Step, StepKind, TaperPlan
from taperplan.planning._dating import UndatedStep, date_steps, dosing_period, undated, whole
from taperplan.planning._kinds import not_a_taper


def pause(plan: TaperPlan, *, on: dt.date, days: int) -> TaperPlan:
    """``plan`` with the dose in effect on ``on`` held for ``days`` more days.

    Everything after it (cuts, windows, check-ins) moves ``days`` later;
    steps keep their identifiers. A pause on a step's first day postpones
    that step's cut (the previous dose is held). Steps cover whole dosing
    intervals, so with doses on alternate days (or patches) the hold starts
    at the next whole interval and ``days`` is rounded up to whole intervals.

    Raises:
        PlanningError: ``on`` is outside the plan or on the stop step,
            ``days`` is not a whole number from 1 to 365, or the plan is not a
            taper (an initiation repeats a day with
            :func:`taperplan.switching.hold_day`).
    """
    on = require_date(on, "on")
    not_a_taper(plan, "pause")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise PlanningError(f"pause days must be a whole number from 1 to 365, not {days!r}")
    step = plan.step_on(on)
    if step.kind is StepKind.STOP and on > step.start:
        raise PlanningError(
            f"{on.isoformat()} is after the stop ({step.start.isoformat()}); nothing to hold"
        )
    raws = [undated(s) for s in plan.steps]
    key = f"{step.id}-hold-{on.isoformat()}"
    # A step covers whole dosing intervals (alternate days, patch changes):
    # the hold starts at the next whole interval and lasts whole intervals.
    before = whole((on - step.start).days, dosing_period(step.medications))
    if before >= step.days:
        # The hold would start after this step: postpone the next cut instead.
        step = plan.steps[step.index + 1]
        before = 0
    position = step.index
    if before == 0:
        # Postpone this step's cut: hold the previous dose (or, after a re-plan
        # from other doses, the doses the patient actually took).
        held = plan.baseline if position == 0 else plan.steps[position - 1].medications
        if step.replanned_from is not None:
            held = step.replanned_from
        days = whole(days, dosing_period(held))
        hold = UndatedStep(
            kind=StepKind.PAUSE,
            days=days,
            parts=held,
            cut_fraction=Decimal(0),
            cut_drug=None,
            profile=None,
            key=key,
            notes=(NoteKind.PAUSE.note(f"the dose before this cut is held for {days} days"),),
            replanned_from=step.replanned_from,
        )
        postponed = raws[position]._replace(replanned_from=None)
        new_raws = [*raws[:position], hold, postponed, *raws[position + 1 :]]
    else:
        days = whole(days, dosing_period(step.medications))
        held_raw = undated(step, days=step.days - before + days)._replace(
            kind=StepKind.PAUSE,
            cut_fraction=Decimal(0),
            cut_drug=None,
            profile=None,
            key=key,
            notes=(NoteKind.PAUSE.note(f"this dose is held {days} days longer"),),
            replanned_from=None,
        )
        new_raws = [*raws[:position], undated(step, days=before), held_raw, *raws[position + 1 :]]
    steps = date_steps(new_raws, plan.start)
    return attrs.evolve(
        plan,
        steps=steps,
        revision=plan.revision + 1,
        substitutes=tuple(
            attrs.evolve(s, first_step=first_taken(steps, s.index)) for s in plan.substitutes
        ),
    )


def first_taken(steps: Sequence[Step], index: int) -> int:
    """The index of the first step that takes medication ``index``."""
    return next(
        step.index for step in steps if any(m.index == index and m.doses for m in step.medications)
    )

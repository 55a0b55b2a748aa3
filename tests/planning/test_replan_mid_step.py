"""A re-plan in the middle of a cut step (found by mutation testing): at the plan's own
pace, the step in effect keeps its dose exactly as long as the plan gave it, so the new
schedule starts the day after that step ends, whichever the step, the regimen and the
pace."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clinic_panel import panel
from taperplan import plan_taper, preset, replan
from taperplan.model.plan import StepKind

START = dt.date(2027, 1, 4)
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize("pace", [None, "va-slowest", "etg-short", "va-slower"])
def test_a_replan_a_day_into_a_cut_step_keeps_that_step_as_planned(pace: str | None) -> None:
    for _, regimen in panel()[::3]:
        plan = plan_taper(regimen, start=START, pace=pace)
        cuts = [s for s in plan.steps if s.kind is StepKind.CUT and s.days > 1]
        for step in cuts[:3]:
            again = replan(plan, on=step.start + DAY)
            held = again.step_on(step.start)
            assert (held.id, held.start, held.end) == (step.id, step.start, step.end)
            assert again.step_on(step.end + DAY).start == step.end + DAY


def test_a_replan_a_day_into_the_first_cut_at_va_rapid_keeps_it_as_planned() -> None:
    """va-rapid's larger first cut (20%) is held as the plan held it, not as a later cut."""
    for _, regimen in panel()[::5]:
        plan = plan_taper(regimen, start=START, pace="va-rapid", supervised=True)
        step = plan.steps[0]
        if step.kind is not StepKind.CUT or step.days < 2:
            continue
        again = replan(plan, on=step.start + DAY, supervised=True)
        assert (again.steps[0].start, again.steps[0].end) == (step.start, step.end)


def test_a_replan_at_a_slower_pace_holds_the_step_in_effect_longer() -> None:
    """replan's promise: "the step in effect keeps its dose for at least as long as its cut
    needs at the (new) pace". A 25% first cut held 7 days at etg-short, re-planned a day in
    at va-slowest, needs 140 days; the new schedule cuts again after the planned 7."""
    slowest = preset("va-slowest")
    _, regimen = panel()[0]
    plan = plan_taper(regimen, start=START, pace="etg-short")
    step = plan.steps[0]
    assert (step.kind, step.days, step.cut_fraction) == (StepKind.CUT, 7, Decimal("0.25"))
    again = replan(plan, on=step.start + DAY, pace=slowest)
    lower = next(s for s in again.steps if s.total_mme_per_day != step.total_mme_per_day)
    assert lower.start - step.start >= dt.timedelta(days=slowest.every_days)

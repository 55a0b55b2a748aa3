"""Hypothesis properties of the taper planner over random regimens, paces and start dates.

Every plan is checked through its JSON by :mod:`plan_invariants`, which re-derives
amounts, cuts, caps, the stop rule, units, windows and check-ins on its own.
A case may also end in :class:`~taperplan.PlanningError` (no dispensable cut fits a
small cap); then the message must name the fix.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from plan_invariants import PlanInvariantError, check_plan, check_plan_invariants, plan_json
from strategies import PlanningCase, planning_cases
from taperplan import (
    Pace,
    PlanningError,
    Regimen,
    TaperPlan,
    plan_taper,
    preset,
    regimen_from_mapping,
    replan,
)
from taperplan.export._json import plan_to_dict, to_json

START = dt.date(2027, 1, 4)


def plan_or_none(case: PlanningCase) -> TaperPlan | None:
    """Plan a case; None when the planner explains that no step fits the pace."""
    try:
        return plan_taper(
            case.regimen, start=case.start, pace=case.pace, supervised=case.supervised
        )
    except PlanningError as error:
        message = str(error)
        assert "Fixes" in message or "larger cap" in message, message
        return None


def day_in(plan: TaperPlan, fraction: float, *, last: dt.date) -> dt.date:
    """A date ``fraction`` of the way from the plan's start to ``last``."""
    span = (last - plan.start).days
    return plan.start + dt.timedelta(days=round(span * fraction))


@given(planning_cases())
def test_plans_keep_every_invariant(case: PlanningCase) -> None:
    """Every plan of a random regimen, pace and start date satisfies every rule of §4."""
    plan = plan_or_none(case)
    if plan is None:
        return
    check_plan(plan, case.regimen, case.pace, start=case.start)


@given(planning_cases())
def test_identical_input_gives_an_identical_plan(case: PlanningCase) -> None:
    """Planning the same input twice (even from a fresh load) gives equal plans and byte-equal JSON."""
    first = plan_or_none(case)
    again = regimen_from_mapping(case.mapping)
    try:
        second = plan_taper(again, start=case.start, pace=case.pace, supervised=case.supervised)
    except PlanningError:
        second = None
    if first is None or second is None:
        assert first is None
        assert second is None
        return
    assert first == second
    assert to_json(plan_to_dict(first)) == to_json(plan_to_dict(second))


def interval_period(plan: TaperPlan, on: dt.date) -> int:
    """The least common multiple of the dose intervals in effect on ``on`` and the day before
    (a pause holds one of them, and a step lasts whole intervals of its doses)."""
    held = plan.step_on(on - dt.timedelta(days=1)).medications if on > plan.start else plan.baseline
    period = 1
    for part in (*plan.step_on(on).medications, *held):
        for dose in part.doses:
            period = math.lcm(period, dose.every_days)
    return period


@given(
    planning_cases(),
    st.floats(min_value=0, max_value=1, allow_nan=False),
    st.integers(min_value=1, max_value=120),
)
def test_pause_keeps_every_invariant(case: PlanningCase, where: float, days: int) -> None:
    """A pause on any day before the stop keeps every invariant and every step's identifier,
    and moves the stop by ``days`` (rounded up to whole dose intervals: exactly ``days`` when
    it is a whole number of them)."""
    plan = plan_or_none(case)
    if plan is None or plan.stop_date == plan.start:
        return
    on = day_in(plan, where, last=plan.stop_date - dt.timedelta(days=1))
    period = interval_period(plan, on)
    paused = plan.pause(on=on, days=days)
    check_plan(paused, case.regimen, case.pace, start=case.start)
    moved = (paused.stop_date - plan.stop_date).days
    assert days <= moved < days + period
    if days % period == 0:
        assert moved == days
    assert paused.end == plan.end + dt.timedelta(days=moved)
    assert paused.revision == plan.revision + 1
    before = [step.id for step in plan.steps]
    after = [step.id for step in paused.steps]
    assert [step_id for step_id in after if step_id in before] == before
    assert len(after) - len(before) <= 2
    assert len(set(after)) == len(after)
    # Steps wholly before the pause are untouched; the held dose is the one in effect on ``on``.
    old_json, new_json = plan_json(plan), plan_json(paused)
    for old, fresh in zip(old_json["steps"], new_json["steps"], strict=False):
        if dt.date.fromisoformat(old["end"]) >= on:
            break
        assert fresh == old
    # The dose held on ``on`` is the one in effect that day (the day before, when ``on``
    # starts a step: its cut is postponed).
    step = plan.step_on(on)
    held = step.medications
    if on == step.start:
        held = plan.steps[step.index - 1].medications if step.index else plan.baseline
    assert [m.doses for m in paused.step_on(on).medications] == [m.doses for m in held]


@given(planning_cases(), st.floats(min_value=0, max_value=1, allow_nan=False))
def test_replan_keeps_every_invariant(case: PlanningCase, where: float) -> None:
    """Re-planning from the doses in effect on any day up to the stop keeps every invariant
    and leaves the steps before that day unchanged."""
    plan = plan_or_none(case)
    if plan is None:
        return
    on = day_in(plan, where, last=plan.stop_date)
    try:
        again = replan(plan, on=on, supervised=case.supervised)
    except PlanningError as error:
        refusal = str(error)
    else:
        refusal = ""
    if refusal:
        # The one documented refusal: no dispensable step fits the cap from here.
        assert "Fixes" in refusal, refusal
        return
    check_plan(again, case.regimen, case.pace, start=case.start)
    assert again.revision == plan.revision + 1
    old_json, new_json = plan_json(plan), plan_json(again)
    kept = [s for s in old_json["steps"] if dt.date.fromisoformat(s["end"]) < on]
    assert new_json["steps"][: len(kept)] == kept
    covering = old_json["steps"][len(kept)]
    following = new_json["steps"][len(kept)]
    if covering["start"] < on.isoformat():
        # The step in effect on ``on`` keeps its identity and doses; it is cut short, but a
        # step with a cut still lasts the pace's minimum (so the new schedule may start later).
        assert following["id"] == covering["id"]
        assert following["start"] == covering["start"]
        assert following["medications"] == covering["medications"]
        assert (on - dt.timedelta(days=1)).isoformat() <= following["end"] <= covering["end"]
    else:
        assert following["start"] == on.isoformat()


def schedule(data: dict[str, Any]) -> list[tuple[str, str, list[list[tuple[str, float, int]]]]]:
    """Each step's dates and doses (time, amount, every_days), without the units that make them."""
    return [
        (
            step["start"],
            step["end"],
            [
                [(a["time"], a["amount"], a["every_days"]) for a in m["administrations"]]
                for m in step["medications"]
            ],
        )
        for step in data["steps"]
    ]


@given(planning_cases(), st.floats(min_value=0, max_value=1, allow_nan=False))
def test_replan_at_a_step_start_reproduces_the_rest_of_the_plan(
    case: PlanningCase, where: float
) -> None:
    """Re-planning on a step's first day from the doses the plan itself gave, at the plan's pace,
    gives back the same dates and doses (the plan is a function of where the patient is)."""
    plan = plan_or_none(case)
    if plan is None:
        return
    step = plan.steps[round(where * (len(plan.steps) - 1))]
    again = replan(plan, on=step.start, supervised=case.supervised)
    assert schedule(plan_json(again)) == schedule(plan_json(plan))
    assert [s.id for s in again.steps] == [s.id for s in plan.steps]


@pytest.mark.parametrize("sample_size", [200])
def test_most_generated_regimens_plan_successfully(sample_size: int) -> None:
    """At least half of a fixed, deterministic sample of generated cases plans successfully,
    so the properties above are not vacuous."""
    outcomes: list[bool] = []

    @settings(max_examples=sample_size, derandomize=True, database=None, phases=[Phase.generate])
    @given(planning_cases())
    def sample(case: PlanningCase) -> None:
        outcomes.append(plan_or_none(case) is not None)

    sample()
    assert len(outcomes) >= sample_size * 9 // 10
    assert sum(outcomes) / len(outcomes) >= 0.5


# -- the checker itself can fail ----------------------------------------------------------


def va_slower_plan() -> tuple[dict[str, Any], Regimen, Pace]:
    """A known-good plan (VA-TDT's morphine SR 90 mg q8h at va-slower) as JSON."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "er_tablet",
                    "strength": "15 mg",
                    "dose": "90 mg",
                    "times": ["06:00", "14:00", "22:00"],
                    "available": ["15 mg"],
                }
            ]
        }
    )
    pace = preset("va-slower")
    return plan_json(plan_taper(regimen, start=START, pace=pace)), regimen, pace


def merge_into_previous(data: dict[str, Any], index: int) -> None:
    """Drop step ``index``, letting the step before it run on to its end."""
    steps = data["steps"]
    steps[index - 1]["end"] = steps[index]["end"]
    steps[index - 1]["days"] += steps[index]["days"]
    del steps[index]
    for position, step in enumerate(steps):
        step["index"] = position


def first_admin(data: dict[str, Any], step: int) -> dict[str, Any]:
    """The first administration of the first medication of a step."""
    admin: dict[str, Any] = data["steps"][step]["medications"][0]["administrations"][0]
    return admin


def break_contiguity(data: dict[str, Any]) -> None:
    """Leave a day between two steps."""
    data["steps"][1]["start"] = "2027-02-02"


def raise_a_dose(data: dict[str, Any]) -> None:
    """Give step 2 the doses of step 0 again (a rise)."""
    data["steps"][2]["medications"] = data["steps"][0]["medications"]
    data["steps"][2]["total_mme_per_day"] = data["steps"][0]["total_mme_per_day"]


def cut_beyond_the_cap(data: dict[str, Any]) -> None:
    """Skip the 180 mg step: 225 → 150 mg/day is a 33% cut under a 20% cap."""
    merge_into_previous(data, 1)


def drop_a_window(data: dict[str, Any]) -> None:
    """A cut without a withdrawal window."""
    data["steps"][3]["withdrawal_window"] = None


def move_a_check_in_out(data: dict[str, Any]) -> None:
    """A check-in after its step's end."""
    data["steps"][0]["check_in"] = "2027-02-03"
    data["steps"][0]["check_ins"] = ["2027-02-03"]


def leave_a_long_gap(data: dict[str, Any]) -> None:
    """Five weeks without a check-in."""
    data["steps"][1]["check_in"] = data["steps"][1]["end"]
    data["steps"][1]["check_ins"] = [data["steps"][1]["end"]]
    data["steps"][0]["check_in"] = data["steps"][0]["start"]
    data["steps"][0]["check_ins"] = [data["steps"][0]["start"]]


def miscount_units(data: dict[str, Any]) -> None:
    """Units that do not add up to the dose."""
    first_admin(data, 0)["units"][0]["count"] = 4.0


def halve_an_er_tablet(data: dict[str, Any]) -> None:
    """Half an extended-release tablet."""
    admin = first_admin(data, 12)
    admin["units"][0]["count"] = 0.5
    admin["amount"] = 7.5


def use_an_unavailable_strength(data: dict[str, Any]) -> None:
    """A 30 mg tablet when only 15 mg tablets are available."""
    admin = first_admin(data, 5)
    assert admin["amount"] == 30.0
    admin["units"] = [{"strength": "30 mg", "count": 1.0}]


def stop_from_a_daily_dose(data: dict[str, Any]) -> None:
    """Stop from 15 mg once daily (not less than once a day, above 5 MME)."""
    merge_into_previous(data, len(data["steps"]) - 2)


def never_stop(data: dict[str, Any]) -> None:
    """A plan that does not end at zero."""
    del data["steps"][-1]


def break_an_interval(data: dict[str, Any]) -> None:
    """An every-other-day dose in a step of an odd number of days."""
    steps = data["steps"]
    position = next(i for i, s in enumerate(steps) if any(
        a["every_days"] == 2 for m in s["medications"] for a in m["administrations"]
    ))  # fmt: skip
    end = dt.date.fromisoformat(steps[position]["end"]) - dt.timedelta(days=1)
    steps[position]["end"] = end.isoformat()
    steps[position + 1]["start"] = (end + dt.timedelta(days=1)).isoformat()
    steps[position]["days"] -= 1
    steps[position + 1]["days"] += 1


def misstate_mme(data: dict[str, Any]) -> None:
    """An MME/day that is not the daily amount times morphine's factor of 1."""
    data["steps"][0]["medications"][0]["mme_per_day"] = 200.0


def shorten_a_cut_step(data: dict[str, Any]) -> None:
    """Two cuts four days apart (the first step otherwise consistent, its overlap noted)."""
    steps = data["steps"]
    first = dt.date.fromisoformat(steps[0]["start"])
    end = (first + dt.timedelta(days=3)).isoformat()
    steps[0].update(end=end, days=4, check_in=end, check_ins=[end])
    steps[0]["notes"] = [f"shorter than the window (to {steps[0]['withdrawal_window']['end']})"]
    steps[1]["start"] = (first + dt.timedelta(days=4)).isoformat()
    steps[1]["days"] += 24
    window = steps[1]["withdrawal_window"]
    for key in ("start", "end"):
        window[key] = (dt.date.fromisoformat(window[key]) - dt.timedelta(days=24)).isoformat()


BREAKAGES = [
    break_contiguity,
    raise_a_dose,
    cut_beyond_the_cap,
    drop_a_window,
    move_a_check_in_out,
    leave_a_long_gap,
    miscount_units,
    halve_an_er_tablet,
    use_an_unavailable_strength,
    stop_from_a_daily_dose,
    never_stop,
    break_an_interval,
    misstate_mme,
    shorten_a_cut_step,
]


def test_checker_accepts_the_known_good_plan() -> None:
    """The VA slower plan passes the checker untouched (so the breakages below are the cause)."""
    data, regimen, pace = va_slower_plan()
    check_plan_invariants(data, regimen, pace, start=START)


@pytest.mark.parametrize("breakage", BREAKAGES, ids=[b.__name__ for b in BREAKAGES])
def test_checker_rejects_broken_plans(breakage: Callable[[dict[str, Any]], None]) -> None:
    """Each way of breaking a rule of §4 in a good plan's JSON is caught by the checker."""
    data, regimen, pace = va_slower_plan()
    broken = copy.deepcopy(data)
    breakage(broken)
    assert broken != data
    with pytest.raises(PlanInvariantError):
        check_plan_invariants(broken, regimen, pace, start=START)

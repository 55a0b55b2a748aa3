"""The planner against published worked examples (clinical reference §2) and its refusals.

Expected schedules are written out literally from the sources: VA-TDT's morphine SR
90 mg every 8 h examples, eTG's tramadol MR 200 mg/day example and CDC 2022's
shorter-term arithmetic. Every plan is also run through the independent JSON checker.
"""

from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction
from typing import Any

import pytest

from plan_invariants import check_plan
from taperplan import (
    Pace,
    PlanningError,
    RefusedError,
    Regimen,
    TaperPlan,
    pace_from_mapping,
    plan_taper,
    preset,
    presets,
    regimen_from_mapping,
    replan,
)

START = dt.date(2027, 1, 4)
#: Every 8 hours.
Q8H = ["06:00", "14:00", "22:00"]


def regimen(*medications: dict[str, Any], **top: Any) -> Regimen:
    """A regimen from medication tables (and top-level tables such as ``context``)."""
    return regimen_from_mapping({"medication": list(medications), **top})


def custom(table: dict[str, Any]) -> Pace:
    """A custom pace from a ``[pace]`` table."""
    pace, problems = pace_from_mapping(table)
    assert pace is not None, problems
    return pace


def morphine_sr_90_q8h() -> Regimen:
    """VA-TDT's patient: morphine SR 90 mg every 8 hours, with 15 mg tablets."""
    return regimen(
        {
            "drug": "morphine",
            "form": "er_tablet",
            "strength": "15 mg",
            "dose": "90 mg",
            "times": Q8H,
            "available": ["15 mg"],
        }
    )


def tramadol_mr_200() -> Regimen:
    """eTG's patient: tramadol MR 200 mg/day (100 mg twice daily), 50 and 100 mg tablets."""
    return regimen(
        {
            "drug": "tramadol",
            "form": "er_tablet",
            "strength": "100 mg",
            "dose": "100 mg",
            "times": ["08:00", "20:00"],
            "available": ["50 mg", "100 mg"],
        }
    )


def doses(plan: TaperPlan) -> list[list[tuple[float, int]]]:
    """Each step's doses as sorted (amount, every_days) pairs, ignoring clock times."""
    return [
        sorted((float(d.amount.amount), d.every_days) for m in step.medications for d in m.doses)
        for step in plan.steps
    ]


def by_time(plan: TaperPlan) -> list[list[float]]:
    """Each step's amounts in clock-time order (for uneven split doses)."""
    return [
        [
            float(d.amount.amount)
            for m in step.medications
            for d in sorted(m.doses, key=lambda d: d.time)
        ]
        for step in plan.steps
    ]


def daily_totals(plan: TaperPlan) -> list[float]:
    """Each step's total daily amount in mg."""
    return [float(sum(m.daily_amount.amount for m in step.medications)) for step in plan.steps]


def codes(plan: TaperPlan) -> set[str]:
    """The plan's warning codes."""
    return {w.code for w in plan.warnings}


# -- VA-TDT "slower": morphine SR 90 mg q8h, 15 mg tablets, every 4 weeks ---------------


def test_va_slower_preset_starts_as_va_publishes() -> None:
    """va-slower from morphine SR 90 mg q8h cuts to 75 q8h, then 60 q8h, four weeks apart."""
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace="va-slower")
    check_plan(plan, morphine_sr_90_q8h(), preset("va-slower"), start=START)
    assert doses(plan)[:2] == [[(75.0, 1)] * 3, [(60.0, 1)] * 3]
    assert [(s.start, s.end) for s in plan.steps[:2]] == [
        (dt.date(2027, 1, 4), dt.date(2027, 1, 31)),
        (dt.date(2027, 2, 1), dt.date(2027, 2, 28)),
    ]


def test_va_slower_preset_steps_every_four_weeks_within_twenty_percent() -> None:
    """Every va-slower step but the stop lasts 28 days, every cut above two tablets a day is
    at most 20%, only 15 mg tablets are used, and the plan ends in the stop."""
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace="va-slower")
    *cuts, stop = plan.steps
    assert all(step.days == 28 for step in cuts)
    previous = Fraction(270)
    for step in cuts:
        total = Fraction(step.medications[0].daily_amount.amount)
        if previous > 30:  # above two 15 mg tablets a day the cap applies
            assert previous - total <= previous / 5
        else:  # the tail: at most one tablet a day
            assert previous - total <= 15
        previous = total
    strengths = {
        str(u.strength) for s in plan.steps for m in s.medications for d in m.doses for u in d.units
    }
    assert strengths == {"15 mg"}
    assert all(
        u.count == int(u.count)
        for s in plan.steps
        for m in s.medications
        for d in m.doses
        for u in d.units
    )
    assert stop.kind.value == "stop"
    assert stop.medications[0].daily_amount.amount == 0


VA_SLOWER_LINEAR = {
    "reduction": "45 mg",
    "basis": "original",
    "every_days": 28,
    "max_step_fraction": 1.0,
}


def test_linear_45_mg_pace_reproduces_va_slower_down_to_15_q8h() -> None:
    """A custom 45 mg/step pace with the cap lifted gives VA's 75 → 60 → 45 → 30 → 15 mg q8h,
    every 4 weeks, and warns that the cap is above the preset's."""
    pace = custom(VA_SLOWER_LINEAR)
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace=pace)
    check_plan(plan, morphine_sr_90_q8h(), pace, start=START)
    assert doses(plan)[:5] == [[(amount, 1)] * 3 for amount in (75.0, 60.0, 45.0, 30.0, 15.0)]
    assert all(step.days == 28 for step in plan.steps[:-1])
    assert "cap-above-preset" in codes(plan)
    assert plan.steps[-1].kind.value == "stop"
    assert doses(plan)[-2] == [(15.0, 2)]  # the stop comes from 15 mg every other day


def test_linear_45_mg_pace_reproduces_va_slower_tail() -> None:
    """After 15 mg q8h the linear pace follows VA: 15 q12h, 15 once daily, then (taperplan's
    stop rule) 15 every other day, then the stop."""
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace=custom(VA_SLOWER_LINEAR))
    assert doses(plan) == [
        [(75.0, 1)] * 3,
        [(60.0, 1)] * 3,
        [(45.0, 1)] * 3,
        [(30.0, 1)] * 3,
        [(15.0, 1)] * 3,
        [(15.0, 1)] * 2,
        [(15.0, 1)],
        [(15.0, 2)],
        [],
    ]


# -- VA-TDT "slowest": uneven split doses -----------------------------------------------


def test_linear_15_mg_pace_reproduces_va_slowest_uneven_split_doses() -> None:
    """A 15 mg/step pace from 90 mg q8h gives VA's 90/75/90 → 75/75/90 → 75/75/75 → 75/60/75
    → 60/60/75 → 60/60/60 (middle dose first, bedtime dose last)."""
    pace = custom(
        {"reduction": "15 mg", "basis": "original", "every_days": 28, "max_step_fraction": 1.0}
    )
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace=pace)
    check_plan(plan, morphine_sr_90_q8h(), pace, start=START)
    assert by_time(plan)[:6] == [
        [90.0, 75.0, 90.0],
        [75.0, 75.0, 90.0],
        [75.0, 75.0, 75.0],
        [75.0, 60.0, 75.0],
        [60.0, 60.0, 75.0],
        [60.0, 60.0, 60.0],
    ]
    assert "cap-above-preset" in codes(plan)


# -- eTG: tramadol MR 200 mg/day ------------------------------------------------------------

ETG_LINEAR = {"reduction": "50 mg", "basis": "original", "every_days": 7, "max_step_fraction": 1.0}


def test_linear_50_mg_pace_starts_as_etg_publishes() -> None:
    """A 50 mg/week pace from tramadol MR 200 mg/day goes 150 → 100 mg/day a week apart."""
    pace = custom(ETG_LINEAR)
    plan = plan_taper(tramadol_mr_200(), start=START, pace=pace)
    check_plan(plan, tramadol_mr_200(), pace, start=START)
    assert daily_totals(plan)[:2] == [150.0, 100.0]
    assert [step.days for step in plan.steps[:2]] == [7, 7]
    assert daily_totals(plan)[-1] == 0.0


def test_linear_50_mg_pace_reproduces_etg_schedule() -> None:
    """The 50 mg/week pace follows eTG: 150 → 100 → 50 mg/day, then 50 mg every other day
    (taperplan's stop rule), then the stop."""
    plan = plan_taper(tramadol_mr_200(), start=START, pace=custom(ETG_LINEAR))
    assert daily_totals(plan) == [150.0, 100.0, 50.0, 25.0, 0.0]


def test_etg_short_cuts_at_most_a_quarter_and_completes() -> None:
    """etg-short cuts tramadol MR 200 mg/day by at most 25% a week (or one 50 mg tablet a day
    at two tablets a day or less) and ends in the stop."""
    plan = plan_taper(tramadol_mr_200(), start=START, pace="etg-short")
    check_plan(plan, tramadol_mr_200(), preset("etg-short"), start=START)
    previous = Fraction(200)
    for step in plan.steps:
        total = Fraction(step.medications[0].daily_amount.amount)
        assert previous - total <= previous / 4 or (previous <= 100 and previous - total <= 50)
        previous = total
    assert plan.steps[-1].kind.value == "stop"
    assert all(step.days in {7, 8} for step in plan.steps[:-1])


# -- CDC 2022: shorter-term arithmetic ------------------------------------------------------


def test_cdc_short_term_arithmetic_is_exact() -> None:
    """cdc-short-term from 100 gives 90, 80, … 30, then 27, 24.3, 21.87 exactly (no rounding)."""
    pace = preset("cdc-short-term")
    current = Fraction(100)
    seen = []
    for index in range(10):
        current -= pace.target_cut(
            original=Fraction(100), current=current, index=index, amount_factor=Fraction(1)
        )
        seen.append(current)
    assert seen == [
        Fraction(90), Fraction(80), Fraction(70), Fraction(60), Fraction(50), Fraction(40),
        Fraction(30), Fraction(27), Fraction("24.3"), Fraction("21.87"),
    ]  # fmt: skip


# -- the default pace -------------------------------------------------------------------------

OXYCODONE_SOLUTION = {
    "drug": "oxycodone",
    "form": "oral_solution",
    "strength": "1 mg/mL",
    "dose": "10 mg",
    "times": ["08:00", "20:00"],
    "resolution": "0.1 mL",
}


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (None, "cdc-long-term"),
        (dt.date(2020, 6, 1), "cdc-long-term"),
        (dt.date(2026, 1, 4), "cdc-long-term"),  # exactly 365 days before the start
        (dt.date(2026, 1, 5), "cdc-short-term"),
        (dt.date(2026, 11, 1), "cdc-short-term"),
    ],
)
def test_default_pace_follows_time_on_opioids(since: dt.date | None, expected: str) -> None:
    """Without a pace, a year or more on opioids (or unknown) gets cdc-long-term, less gets
    cdc-short-term, and the plan says why."""
    context = {} if since is None else {"context": {"on_opioids_since": since}}
    chosen = regimen(OXYCODONE_SOLUTION, **context)
    plan = plan_taper(chosen, start=START)
    assert plan.pace.name == expected
    assert "default pace" in plan.pace_reason
    assert ("long-term" if expected == "cdc-long-term" else "shorter-term") in plan.pace_reason
    check_plan(plan, chosen, preset(expected), start=START)


# -- refusals and the supervised pace ---------------------------------------------------------


def test_va_rapid_is_refused_without_supervision() -> None:
    """va-rapid is for supervised settings only: refused unless the caller says so."""
    with pytest.raises(RefusedError, match="supervis"):
        plan_taper(regimen(OXYCODONE_SOLUTION), start=START, pace="va-rapid")


def test_va_rapid_with_supervision_allows_one_day_steps() -> None:
    """With supervised=True va-rapid plans daily cuts and says it is a supervised pace."""
    chosen = regimen(OXYCODONE_SOLUTION)
    plan = plan_taper(chosen, start=START, pace="va-rapid", supervised=True)
    check_plan(plan, chosen, preset("va-rapid"), start=START)
    assert plan.steps[0].days == 1
    assert plan.steps[0].medications[0].daily_amount.amount == 16  # a 20% first cut
    assert "supervised-pace" in codes(plan)


def test_va_rapid_with_supervised_context_is_allowed() -> None:
    """``context.supervised = true`` in the regimen is as good as supervised=True."""
    chosen = regimen(OXYCODONE_SOLUTION, context={"supervised": True})
    assert plan_taper(chosen, start=START, pace="va-rapid").steps[0].days == 1


def test_every_preset_but_va_rapid_keeps_cut_steps_five_days_or_longer() -> None:
    """Only va-rapid may have a cut step shorter than 5 days."""
    assert {p.name: p.min_step_days for p in presets() if p.min_step_days < 5} == {"va-rapid": 1}


def test_custom_three_day_pace_still_waits_five_days_between_cuts() -> None:
    """A custom pace asking for a cut every 3 days still leaves 5 days between cuts."""
    pace = custom({"percent": 10, "every_days": 3, "max_step_fraction": 0.25})
    chosen = regimen(OXYCODONE_SOLUTION)
    plan = plan_taper(chosen, start=START, pace=pace)
    check_plan(plan, chosen, pace, start=START)
    assert min(step.days for step in plan.steps) >= 5


@pytest.mark.parametrize(
    "medication",
    [
        {"drug": "buprenorphine", "form": "patch", "strength": "10 mcg/h", "dose": "10 mcg/h",
         "times": ["09:00"], "indication": "oud"},
        {"drug": "methadone", "form": "oral_solution", "strength": "10 mg/mL", "dose": "80 mg",
         "times": ["09:00"], "indication": "oud"},
        {"drug": "methadone", "form": "ir_tablet", "strength": "10 mg", "dose": "60 mg",
         "times": ["09:00"], "indication": "oud"},
    ],
)  # fmt: skip
def test_opioid_use_disorder_treatment_is_refused(medication: dict[str, Any]) -> None:
    """Buprenorphine or methadone for opioid use disorder is never tapered with a pain preset."""
    with pytest.raises(RefusedError, match="use disorder"):
        plan_taper(regimen(medication), start=START, pace="va-slower")


def test_buprenorphine_for_pain_is_planned_without_mme() -> None:
    """A buprenorphine patch for pain is planned; its cuts are measured in mcg/h, not MME."""
    chosen = regimen({"drug": "buprenorphine", "form": "patch", "strength": "5 mcg/h",
                      "dose": "20 mcg/h", "times": ["09:00"]})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="va-slower")
    check_plan(plan, chosen, preset("va-slower"), start=START)
    assert plan.baseline_total_mme_per_day is None
    assert all(step.total_mme_per_day is None for step in plan.steps)


# -- stuck plans ------------------------------------------------------------------------------


def test_er_tablets_under_a_ten_percent_cap_name_the_fix() -> None:
    """Oxycodone ER 20 mg twice daily has no cut within cdc-long-term's 10%: PlanningError
    naming the fixes (a lower strength, a solution, a larger cap)."""
    chosen = regimen({"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg",
                      "dose": "20 mg", "times": ["08:00", "20:00"]})  # fmt: skip
    with pytest.raises(PlanningError) as caught:
        plan_taper(chosen, start=START, pace="cdc-long-term")
    message = str(caught.value)
    assert "Fixes" in message
    assert "cdc-long-term" in message
    assert "available" in message
    assert "larger cap" in message


def test_a_dose_less_than_daily_is_no_licence_to_stop_abruptly() -> None:
    """Oxycodone ER 150 mg every other day (112.5 MME/day) with only 30 mg tablets cannot be
    cut within 10%; the planner must refuse, not stop it in one step."""
    chosen = regimen({"drug": "oxycodone", "form": "er_tablet", "strength": "30 mg", "dose": "150 mg",
                      "times": ["08:00"], "every_days": 2, "available": ["30 mg"]})  # fmt: skip
    with pytest.raises(PlanningError, match="Fixes"):
        plan_taper(chosen, start=START, pace="cdc-long-term")


def test_one_of_two_medications_never_stops_beyond_the_cap() -> None:
    """A small second medication (hydrocodone 5 mg/day, 5 MME) is stopped only within the cap
    or the one-smallest-unit allowance, never from a total it is most of."""
    chosen = regimen(
        {
            "drug": "oxycodone",
            "form": "oral_solution",
            "strength": "1 mg/mL",
            "dose": "2 mg",
            "times": ["08:00"],
        },
        {
            "drug": "hydrocodone",
            "form": "ir_tablet",
            "strength": "2.5 mg",
            "dose": "5 mg",
            "times": ["20:00"],
        },
    )
    plan = plan_taper(chosen, start=START, pace="va-slower")
    check_plan(plan, chosen, preset("va-slower"), start=START)


# -- windows, overlap notes and check-ins -----------------------------------------------------


def test_weekly_steps_of_an_er_product_note_the_window_overlap() -> None:
    """Weekly cuts of an ER product end before the ~12-day window: each says so, and the plan warns."""
    plan = plan_taper(tramadol_mr_200(), start=START, pace="etg-short")
    first = plan.steps[0]
    assert first.withdrawal_window is not None
    assert (first.withdrawal_window.start, first.withdrawal_window.end) == (
        dt.date(2027, 1, 5),
        dt.date(2027, 1, 16),
    )
    assert first.end == dt.date(2027, 1, 10)
    assert any("2027-01-16" in note for note in first.notes)
    assert "steps-shorter-than-window" in codes(plan)


def test_monthly_steps_have_no_overlap_note() -> None:
    """Four-week steps outlast the window: no overlap note."""
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace="va-slower")
    assert not any("window" in note for step in plan.steps for note in step.notes)
    assert "steps-shorter-than-window" not in codes(plan)


def test_check_ins_at_least_every_four_weeks_on_eight_week_steps() -> None:
    """Eight-week steps still get a check-in within four weeks of the start and of each other,
    and one before each cut."""
    pace = custom({"percent": 10, "every_days": 56, "max_step_fraction": 0.25})
    chosen = regimen(OXYCODONE_SOLUTION)
    plan = plan_taper(chosen, start=START, pace=pace)
    check_plan(plan, chosen, pace, start=START)
    first = plan.steps[0]
    assert first.days == 56
    assert first.check_ins[0] - START <= dt.timedelta(days=28)
    assert first.check_ins[0] - START >= dt.timedelta(days=7)
    assert len(first.check_ins) >= 2
    assert first.check_in <= first.end
    days = [d for step in plan.steps for d in step.check_ins]
    assert all(b - a <= dt.timedelta(days=28) for a, b in itertools.pairwise(days))


def test_first_check_in_of_a_monthly_plan_is_before_the_second_cut() -> None:
    """The va-slower example's first check-in falls in week 1–4, before the second cut."""
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace="va-slower")
    first = plan.steps[0].check_ins[0]
    assert dt.date(2027, 1, 11) <= first <= dt.date(2027, 1, 31)
    assert plan.steps[0].check_in < plan.steps[1].start


# -- re-planning ------------------------------------------------------------------------------


def test_replan_keeps_the_original_reference_of_stopped_medications() -> None:
    """Re-planning at a step's start from the plan's own doses gives back the same schedule,
    even for an original-based pace after one medication has stopped."""
    chosen = regimen(
        {"drug": "methadone", "form": "oral_solution", "strength": "1 mg/mL", "dose": "0.5 mg",
         "times": ["08:00"]},
        {"drug": "oxycodone", "form": "oral_solution", "strength": "20 mg/mL", "dose": "10 mg",
         "times": ["08:00"]},
    )  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="cdc-short-term")
    assert plan.steps[1].medications[0].stopped  # methadone goes first
    again = replan(plan, on=plan.steps[2].start)
    assert doses(again) == doses(plan)


def test_replan_keeps_the_strengths_the_patient_was_given() -> None:
    """Re-planning from a step made only of 10 mg tablets still uses the 7.5 mg tablets stated
    at the start (and so finishes the taper as the plan did)."""
    chosen = regimen(
        {"drug": "oxycodone", "form": "ir_tablet", "combination": "acetaminophen 325 mg",
         "strength": ["7.5 mg"], "doses": ["11.25 mg", "22.5 mg"], "times": ["08:00", "20:00"],
         "available": ["10 mg"]},
    )  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="va-slower")
    step = next(s for s in plan.steps if {str(u.strength) for d in s.medications[0].doses
                                            for u in d.units} == {"10 mg"})  # fmt: skip
    after = plan.steps[step.index + 1]
    again = replan(plan, on=after.start)
    check_plan(again, chosen, preset("va-slower"), start=START)
    assert doses(again) == doses(plan)


def test_the_cut_closest_to_the_target_wins() -> None:
    """At va-faster, 10% of 37 mg/day is 3.7 mg: the 4 mg cut is closer than 3 mg, and so on
    down (37 → 33 → 30 → 27 → 24 → 22 mg/day; the target is never rounded first)."""
    chosen = regimen({"drug": "morphine", "form": "oral_solution", "strength": "2 mg/mL",
                      "dose": "37 mg", "times": ["08:00"]})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="va-faster")
    check_plan(plan, chosen, preset("va-faster"), start=START)
    assert daily_totals(plan)[:6] == [33.0, 30.0, 27.0, 24.0, 22.0, 20.0]

"""The planner against published worked examples (clinical reference §2) and its rules.

Expected schedules are written out literally from the sources: VA-TDT's morphine SR
90 mg every 8 h examples, eTG's tramadol MR 200 mg/day and oxycodone MR 40 mg twice
daily examples, and CDC 2022's shorter-term arithmetic. The published schedules are
linear in the original dose; each comes out step for step with a custom pace of its
own (a fixed reduction, the ceiling lifted), and the matching preset is never faster
than it on any date. Every plan is also run through the independent JSON checker.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import pytest

from plan_invariants import check_plan
from taperplan import (
    Pace,
    PlanningError,
    RefusedError,
    Regimen,
    TaperOrder,
    TaperPlan,
    load_regimen,
    plan_taper,
    preset,
    regimen_from_mapping,
    replan,
)
from taperplan.reference.paces import pace_from_mapping, presets

START = dt.date(2027, 1, 4)
#: Every 8 hours.
Q8H = ["06:00", "14:00", "22:00"]


def regimen(*medications: dict[str, Any], **top: Any) -> Regimen:
    """A regimen from medication tables (and top-level tables such as ``context``)."""
    return regimen_from_mapping({"medication": list(medications), **top})


def custom(table: dict[str, Any]) -> Pace:
    """A custom pace from a ``[pace]`` table."""
    return pace_from_mapping(table)


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


def oxycodone_mr_40_bid() -> Regimen:
    """eTG's second patient: oxycodone MR 40 mg twice daily for 12 months."""
    return regimen(
        {
            "drug": "oxycodone",
            "form": "er_tablet",
            "strength": "40 mg",
            "dose": "40 mg",
            "times": ["08:00", "20:00"],
            "available": ["10 mg", "20 mg", "40 mg"],
        }
    )


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
    """Each step's total daily amount of its drug."""
    return [float(sum(m.daily_amount.amount for m in step.medications)) for step in plan.steps]


def codes(plan: TaperPlan) -> set[str]:
    """The plan's warning codes."""
    return {w.code for w in plan.warnings}


def daily_on(plan: TaperPlan) -> Iterator[tuple[dt.date, Fraction]]:
    """The daily amount (all medications) in effect on every date of the plan."""
    for step in plan.steps:
        total = sum((Fraction(m.daily_amount.amount) for m in step.medications), Fraction(0))
        for day in step.dates():
            yield day, total


def assert_never_faster(slower: TaperPlan, published: TaperPlan) -> None:
    """On every date of the published schedule, ``slower`` takes at least as much."""
    ours = dict(daily_on(slower))
    for day, theirs in daily_on(published):
        assert ours.get(day, Fraction(0)) >= theirs, f"{day}: {ours.get(day)} < {theirs}"
    assert slower.stop_date >= published.stop_date


# -- VA-TDT "slower": morphine SR 90 mg q8h, 15 mg tablets, every 4 weeks ---------------

VA_SLOWER_LINEAR = {
    "reduction": "45 mg",
    "basis": "original",
    "every_days": 28,
    "max_step_fraction": 1.0,
}


def test_linear_45_mg_pace_reproduces_va_slower_step_for_step() -> None:
    """A custom 45 mg/step pace with the ceiling lifted gives VA's slower schedule, every
    4 weeks: 75 → 60 → 45 → 30 → 15 mg q8h → 15 q12h → 15 at bedtime → stop, and warns
    that the ceiling is above the preset's."""
    pace = custom(VA_SLOWER_LINEAR)
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace=pace)
    check_plan(plan, morphine_sr_90_q8h(), pace, start=START)
    assert by_time(plan) == [
        [75.0, 75.0, 75.0],
        [60.0, 60.0, 60.0],
        [45.0, 45.0, 45.0],
        [30.0, 30.0, 30.0],
        [15.0, 15.0, 15.0],
        [15.0, 15.0],
        [15.0],
        [],
    ]
    assert all(step.days == 28 for step in plan.steps[:-1])
    assert [d.time for d in plan.steps[6].medications[0].doses] == [dt.time(22)]  # at bedtime
    assert "cap-above-preset" in codes(plan)


def test_va_slower_preset_starts_as_va_publishes_and_is_never_faster() -> None:
    """va-slower (5–20% every 4 weeks) starts 75 q8h, then 60 q8h, four weeks apart, and on
    no date takes less than VA's own slower schedule."""
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace="va-slower")
    check_plan(plan, morphine_sr_90_q8h(), preset("va-slower"), start=START)
    assert by_time(plan)[:2] == [[75.0] * 3, [60.0] * 3]
    assert [(s.start, s.end) for s in plan.steps[:2]] == [
        (dt.date(2027, 1, 4), dt.date(2027, 1, 31)),
        (dt.date(2027, 2, 1), dt.date(2027, 2, 28)),
    ]
    published = plan_taper(morphine_sr_90_q8h(), start=START, pace=custom(VA_SLOWER_LINEAR))
    assert_never_faster(plan, published)


def test_va_slower_preset_keeps_its_ceiling_and_rate() -> None:
    """Every va-slower cut is at most 20% of the total before it (the top of VA's 5–20%),
    and a step lasts at least 28 days × its cut ÷ 20%."""
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace="va-slower")
    previous = Fraction(270)
    for step in plan.steps[:-1]:
        total = Fraction(step.total_mme_per_day or 0)
        cut = (previous - total) / previous
        assert cut <= Fraction(1, 5)
        assert step.days >= 28 * cut / Fraction(1, 5)
        previous = total


# -- VA-TDT "slowest": uneven split doses -----------------------------------------------

VA_SLOWEST_LINEAR = {
    "reduction": "15 mg",
    "basis": "original",
    "every_days": 28,
    "max_step_fraction": 1.0,
}
VA_SLOWEST_STEPS = [
    [90.0, 75.0, 90.0],
    [75.0, 75.0, 90.0],
    [75.0, 75.0, 75.0],
    [75.0, 60.0, 75.0],
    [60.0, 60.0, 75.0],
    [60.0, 60.0, 60.0],
]


def test_linear_15_mg_pace_reproduces_va_slowest_uneven_split_doses() -> None:
    """A 15 mg/step pace from 90 mg q8h gives VA's 90/75/90 → 75/75/90 → 75/75/75 → 75/60/75
    → 60/60/75 → 60/60/60 (middle dose first, bedtime dose last)."""
    pace = custom(VA_SLOWEST_LINEAR)
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace=pace)
    check_plan(plan, morphine_sr_90_q8h(), pace, start=START)
    assert by_time(plan)[:6] == VA_SLOWEST_STEPS


def test_va_slowest_preset_plans_the_va_slowest_example() -> None:
    """``--pace va-slowest`` plans VA's own slowest example to the end: the same uneven
    split doses, never faster than VA's schedule, at most 10% a cut (the top of 2–10%)."""
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace="va-slowest")
    check_plan(plan, morphine_sr_90_q8h(), preset("va-slowest"), start=START)
    assert by_time(plan)[:6] == VA_SLOWEST_STEPS
    assert plan.steps[-1].kind.value == "stop"
    published = plan_taper(morphine_sr_90_q8h(), start=START, pace=custom(VA_SLOWEST_LINEAR))
    assert_never_faster(plan, published)


# -- eTG: tramadol MR 200 mg/day, oxycodone MR 40 mg twice daily --------------------------

ETG_TRAMADOL = {
    "reduction": "50 mg",
    "basis": "original",
    "every_days": 7,
    "max_step_fraction": 1.0,
}
ETG_OXYCODONE = {
    "reduction": "20 mg",
    "basis": "original",
    "every_days": 28,
    "max_step_fraction": 1.0,
}


def test_linear_50_mg_pace_reproduces_etg_tramadol_schedule() -> None:
    """eTG's tramadol example: 150 → 100 → 50 mg/day, a week apart, then stop."""
    pace = custom(ETG_TRAMADOL)
    plan = plan_taper(tramadol_mr_200(), start=START, pace=pace)
    check_plan(plan, tramadol_mr_200(), pace, start=START)
    assert daily_totals(plan) == [150.0, 100.0, 50.0, 0.0]
    assert [step.days for step in plan.steps[:-1]] == [7, 7, 7]


def test_etg_short_is_never_faster_than_etg_tramadol() -> None:
    """etg-short cuts tramadol MR 200 mg/day by at most 25% a cut and is never faster than
    eTG's own schedule."""
    plan = plan_taper(tramadol_mr_200(), start=START, pace="etg-short")
    check_plan(plan, tramadol_mr_200(), preset("etg-short"), start=START)
    published = plan_taper(tramadol_mr_200(), start=START, pace=custom(ETG_TRAMADOL))
    assert_never_faster(plan, published)


def test_linear_20_mg_pace_reproduces_etg_oxycodone_schedule() -> None:
    """eTG's oxycodone example: 80 → 60 → 40 → 20 mg/day (at most 20 mg/day a month)."""
    pace = custom(ETG_OXYCODONE)
    plan = plan_taper(oxycodone_mr_40_bid(), start=START, pace=pace)
    check_plan(plan, oxycodone_mr_40_bid(), pace, start=START)
    assert daily_totals(plan)[:3] == [60.0, 40.0, 20.0]
    assert daily_totals(plan)[-1] == 0.0


def test_etg_long_is_never_faster_than_etg_oxycodone() -> None:
    """etg-long (10–25% every 4 weeks) is never faster than eTG's oxycodone schedule."""
    plan = plan_taper(oxycodone_mr_40_bid(), start=START, pace="etg-long")
    check_plan(plan, oxycodone_mr_40_bid(), preset("etg-long"), start=START)
    published = plan_taper(oxycodone_mr_40_bid(), start=START, pace=custom(ETG_OXYCODONE))
    assert_never_faster(plan, published)


# -- CDC 2022: shorter-term arithmetic ------------------------------------------------------


def test_cdc_short_term_arithmetic_is_exact() -> None:
    """cdc-short-term from 100 asks for 90, 80, … 30, then 27, 24.3, 21.87 exactly."""
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


def test_cdc_short_term_is_never_faster_than_cdc_rule() -> None:
    """From morphine solution 100 mg/day the preset follows CDC's weekly 10% of the original
    down to 30 mg/day, and is never faster than CDC's rule after (10% of the current dose a
    week, on average)."""
    chosen = regimen(
        {"drug": "morphine", "form": "oral_solution", "strength": "2 mg/mL", "dose": "50 mg",
         "times": ["08:00", "20:00"], "resolution": "0.1 mL"}
    )  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="cdc-short-term")
    check_plan(plan, chosen, preset("cdc-short-term"), start=START)
    assert daily_totals(plan)[:7] == [90.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0]
    assert all(step.days >= 7 for step in plan.steps[:-1])
    # CDC's rule, day by day: the target never rounded, at most 10% of the original a week
    # to 30, then 10% of the remaining dose a week.
    rule: dict[dt.date, Fraction] = {}
    dose, day = Fraction(100), START
    while dose > 5:
        dose -= min(Fraction(10), dose - 30) if dose > 30 else dose / 10
        for offset in range(7):
            rule[day + dt.timedelta(days=offset)] = dose
        day += dt.timedelta(days=7)
    for when, ours in daily_on(plan):
        if when in rule:
            assert ours >= rule[when] - Fraction(1, 5), when  # within the syringe's 0.2 mg


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


def test_the_readme_regimen_plans_at_every_unsupervised_preset() -> None:
    """The README's oxycodone ER 20 mg twice daily plans at the default pace and every
    unsupervised preset (it was refused before planner v2)."""
    readme = regimen(
        {"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg", "dose": "20 mg",
         "times": ["08:00", "20:00"]},
        context={"on_opioids_since": dt.date(2021, 3, 1)},
    )  # fmt: skip
    for pace in [None, *(p.name for p in presets() if not p.supervised_only)]:
        plan = plan_taper(readme, start=START, pace=pace)
        check_plan(plan, readme, plan.pace, start=START)


# -- the supervised pace ------------------------------------------------------------------


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
    """A buprenorphine patch for pain is planned; its cuts are measured in mcg/h, not MME,
    and its last 5 mcg/h patch is worn alone before the stop."""
    chosen = regimen({"drug": "buprenorphine", "form": "patch", "strength": "5 mcg/h",
                      "dose": "20 mcg/h", "times": ["09:00"], "every_days": 7})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="va-slower")
    check_plan(plan, chosen, preset("va-slower"), start=START)
    assert plan.baseline_total_mme_per_day is None
    assert all(step.total_mme_per_day is None for step in plan.steps)
    assert plan.steps[-2].medications[0].daily_amount.amount == 5
    assert "smallest-patch-stop" in codes(plan)


# -- the end --------------------------------------------------------------------------------


def test_at_or_below_five_mme_the_next_step_is_the_stop() -> None:
    """Oxycodone IR 2.5 mg once daily (3.75 MME/day) stops at once: no month of tapering
    below 5 MME/day."""
    chosen = regimen({"drug": "oxycodone", "form": "ir_tablet", "strength": "5 mg",
                      "dose": "2.5 mg", "times": ["08:00"]})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="va-slowest")
    check_plan(plan, chosen, preset("va-slowest"), start=START)
    assert [step.kind.value for step in plan.steps] == ["stop"]


def test_a_single_smallest_dose_is_spaced_out_then_stopped() -> None:
    """Tapentadol IR 50 mg once daily (20 MME, its smallest tablet) goes to every other day,
    held as the rate says, then stops; extended-release tapentadol is handed to the
    immediate-release tablet first (ER is never given every other day)."""
    for form in ("ir_tablet", "er_tablet"):
        chosen = regimen({"drug": "tapentadol", "form": form, "strength": "50 mg", "dose": "50 mg",
                          "times": ["08:00"]})  # fmt: skip
        plan = plan_taper(chosen, start=START, pace="cdc-long-term")
        check_plan(plan, chosen, preset("cdc-long-term"), start=START)
        [spaced, stop] = plan.steps
        [dose] = [d for m in spaced.medications for d in m.doses]
        assert (dose.amount.amount, dose.every_days) == (50, 2)
        assert {m.form.value for m in spaced.medications if m.doses} == {"ir_tablet"}
        assert spaced.days >= 28 * 5  # a 50% cut at 10% a month
        assert stop.kind.value == "stop"


def test_extended_release_tablets_are_never_given_every_other_day() -> None:
    """No plan of the clinic's ER regimens gives an ER product less often than daily."""
    chosen = regimen({"drug": "morphine", "form": "er_tablet", "strength": "15 mg", "dose": "15 mg",
                      "times": ["08:00", "20:00"]})  # fmt: skip
    for pace in ("cdc-long-term", "va-slowest", "etg-short"):
        plan = plan_taper(chosen, start=START, pace=pace)
        check_plan(plan, chosen, preset(pace), start=START)
        for step in plan.steps:
            for part in step.medications:
                if part.form.extended_release:
                    assert all(d.every_days == 1 for d in part.doses)


def test_doses_spaced_at_several_times_are_staggered() -> None:
    """When several doses are taken every other day, their offsets differ so that no day
    goes without a dose."""
    chosen = regimen({"drug": "hydromorphone", "form": "ir_tablet", "strength": "2 mg",
                      "dose": "1 mg", "times": ["08:00", "14:00", "20:00"]})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="etg-short")
    check_plan(plan, chosen, preset("etg-short"), start=START)
    spaced = [
        s for s in plan.steps if sum(d.every_days == 2 for m in s.medications for d in m.doses) >= 2
    ]
    assert spaced
    for step in spaced:
        doses = [d for m in step.medications for d in m.doses]
        assert all(any(d.taken_on(day) for d in doses) for day in range(step.days))


# -- fentanyl --------------------------------------------------------------------------------


def test_the_12_mcg_patch_counts_as_12_5() -> None:
    """The patch labelled 12 mcg/h delivers 12.5: 30 MME/day, a label of "12 mcg/h", and the
    last patch worn alone for the pace's interval before it is stopped (not on day 1)."""
    chosen = regimen({"drug": "fentanyl", "form": "patch", "strength": "12 mcg/h", "dose": "12 mcg/h",
                      "times": ["09:00"], "every_days": 3})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="cdc-long-term")
    check_plan(plan, chosen, preset("cdc-long-term"), start=START)
    assert plan.baseline_total_mme_per_day == 30
    [hold, stop] = plan.steps
    assert hold.kind.value == "pause"
    assert hold.days >= 28
    assert hold.days % 3 == 0
    [dose] = hold.medications[0].doses
    assert [u.strength_text for u in dose.units] == ["12 mcg/h"]
    assert stop.kind.value == "stop"
    assert "smallest-patch-stop" in codes(plan)


def test_a_fentanyl_taper_wears_at_most_one_patch_more_than_now() -> None:
    """From 100 mcg/h (one patch) no step wears more than two patches, and the 12 mcg/h
    patches never stand in for larger ones."""
    chosen = regimen({"drug": "fentanyl", "form": "patch", "strength": "100 mcg/h",
                      "dose": "100 mcg/h", "times": ["09:00"], "every_days": 3})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="va-slowest")
    check_plan(plan, chosen, preset("va-slowest"), start=START)
    for step in plan.steps:
        for dose in step.medications[0].doses:
            assert sum(u.count for u in dose.units) <= 2


# -- methadone -------------------------------------------------------------------------------


def test_methadone_is_cut_no_faster_than_the_pace_percent() -> None:
    """Methadone 10 mg twice daily: above 15 MME/day no cut of methadone exceeds the pace's
    10% of its dose (unless one syringe step is all that can be dispensed), and every step
    lasts at least the pace's 28 days; the plan says so."""
    chosen = regimen({"drug": "methadone", "form": "ir_tablet", "strength": "10 mg", "dose": "10 mg",
                      "times": ["08:00", "20:00"]})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="cdc-long-term")
    check_plan(plan, chosen, preset("cdc-long-term"), start=START)
    previous = Fraction(20)
    for step in plan.steps[:-1]:
        daily = sum((Fraction(m.daily_amount.amount) for m in step.medications), Fraction(0))
        if previous * Fraction("4.7") > 15:
            assert previous - daily <= max(previous / 10, Fraction(1, 2))
        assert step.days >= 28
        previous = daily
    assert "methadone-slower" in codes(plan)


# -- finer products ------------------------------------------------------------------------------


def test_oxycodone_er_tail_goes_through_immediate_release_then_solution() -> None:
    """Oxycodone ER 10 mg twice daily: the same drug's IR tablet takes over part of a dose,
    then the oral solution; each is its own medication from its first step, with a
    substitution warning saying what to prescribe."""
    chosen = regimen({"drug": "oxycodone", "form": "er_tablet", "strength": "10 mg", "dose": "10 mg",
                      "times": ["08:00", "20:00"]})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="cdc-long-term")
    check_plan(plan, chosen, preset("cdc-long-term"), start=START)
    assert [s.product.form.value for s in plan.substitutes] == ["ir_tablet", "oral_solution"]
    for substitute in plan.substitutes:
        first = plan.steps[substitute.first_step]
        assert any(m.index == substitute.index and m.doses for m in first.medications)
        assert any(note.startswith("new:") for note in first.notes)
        assert all(
            m.index != substitute.index
            for s in plan.steps[: substitute.first_step]
            for m in s.medications
        )
    messages = [w.message for w in plan.warnings if w.code == "substitution"]
    assert len(messages) == 2
    assert "Prescribe 1 mg/mL" in messages[1]


def test_substitute_false_forbids_a_finer_product_and_refuses_with_a_checked_fix() -> None:
    """With substitute = false, oxycodone ER 20 mg twice daily cannot be cut within 10%:
    the refusal says where planning stopped, gives a fix the planner checked (allowing the
    finer products), and carries the safety warnings (benzodiazepines, naloxone)."""
    table = {"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg", "dose": "20 mg",
             "times": ["08:00", "20:00"]}  # fmt: skip
    chosen = regimen(table, context={"benzodiazepines": True},
                     pace={"preset": "uk-opioids-aware", "substitute": False})  # fmt: skip
    with pytest.raises(PlanningError) as caught:
        plan_taper(chosen, start=START)
    error = caught.value
    assert error.stopped_at is not None
    assert error.stopped_at.steps == 0
    assert "20 mg at 08:00" in error.stopped_at.doses
    assert error.fix is not None
    assert "substitute" in error.fix
    assert {"benzodiazepines", "naloxone"} <= {w.code for w in error.warnings}
    assert "Fix:" in str(error)
    # The fix works, as it says.
    plan = plan_taper(chosen, start=START, substitute=True)
    check_plan(plan, chosen, plan.pace, start=START)
    assert plan.substitutes


def test_a_dose_less_than_daily_is_no_licence_to_stop_abruptly() -> None:
    """Oxycodone ER 150 mg every other day (112.5 MME/day) is never stopped in one step."""
    chosen = regimen({"drug": "oxycodone", "form": "er_tablet", "strength": "30 mg", "dose": "150 mg",
                      "times": ["08:00"], "every_days": 2, "available": ["30 mg"]})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="cdc-long-term")
    check_plan(plan, chosen, preset("cdc-long-term"), start=START)
    assert len(plan.steps) > 5


# -- several opioids --------------------------------------------------------------------------


def test_the_ceiling_applies_to_the_total_of_several_opioids() -> None:
    """A small second medication (hydrocodone 5 mg/day) beside oxycodone solution is
    stopped only within the ceiling of the total or as one of its smallest units."""
    chosen = regimen(
        {"drug": "oxycodone", "form": "oral_solution", "strength": "1 mg/mL", "dose": "2 mg",
         "times": ["08:00"]},
        {"drug": "hydrocodone", "form": "ir_tablet", "strength": "2.5 mg", "dose": "5 mg",
         "times": ["20:00"]},
    )  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="va-slower")
    check_plan(plan, chosen, preset("va-slower"), start=START)


# -- catalogue gaps met by real patients -----------------------------------------------------


@pytest.mark.parametrize(
    "medication",
    [
        {"drug": "codeine", "form": "ir_tablet", "strength": "30 mg", "dose": "60 mg",
         "combination": "acetaminophen 300 mg", "times": ["08:00", "14:00", "20:00"]},
        {"drug": "codeine", "form": "ir_tablet", "strength": "30 mg", "dose": "60 mg",
         "combination": "paracetamol 500 mg", "times": ["08:00", "12:00", "18:00", "22:00"]},
        {"drug": "morphine", "form": "er_capsule", "strength": "30 mg", "dose": "30 mg",
         "times": ["08:00", "20:00"]},
        {"drug": "tramadol", "form": "ir_tablet", "strength": "37.5 mg", "dose": "75 mg",
         "combination": "acetaminophen 325 mg", "times": ["08:00", "14:00", "20:00"]},
    ],
)  # fmt: skip
def test_codeine_combinations_and_morphine_er_capsules_plan(medication: dict[str, Any]) -> None:
    """US codeine/acetaminophen, UK co-codamol, morphine ER capsules (Kadian) and
    tramadol/acetaminophen 37.5/325 mg (Ultracet) plan."""
    chosen = regimen(medication)
    plan = plan_taper(chosen, start=START, pace="cdc-long-term")
    check_plan(plan, chosen, preset("cdc-long-term"), start=START)


def test_co_codamol_is_its_own_product() -> None:
    """Co-codamol (500 mg paracetamol) and US codeine/acetaminophen (300 mg) are two products."""
    uk = regimen({"drug": "codeine", "form": "ir_tablet", "strength": "8 mg", "dose": "16 mg",
                  "combination": "paracetamol 500 mg", "times": ["08:00"]})  # fmt: skip
    us = regimen({"drug": "codeine", "form": "ir_tablet", "strength": "15 mg", "dose": "15 mg",
                  "combination": "acetaminophen 300 mg", "times": ["08:00"]})  # fmt: skip
    ultracet = regimen({"drug": "tramadol", "form": "ir_tablet", "strength": "37.5 mg",
                        "dose": "37.5 mg", "combination": "acetaminophen 325 mg",
                        "times": ["08:00"]})  # fmt: skip
    assert ultracet.medications[0].product.name == "tramadol/acetaminophen ir_tablet"
    assert not ultracet.medications[0].product.splittable
    assert uk.medications[0].product.name == "codeine/acetaminophen ir_tablet (co-codamol)"
    assert us.medications[0].product.name == "codeine/acetaminophen ir_tablet"
    assert not uk.notices


# -- windows and check-ins ------------------------------------------------------------------


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


def test_check_ins_at_least_every_four_weeks_on_long_steps() -> None:
    """A cut held for months still gets a check-in every four weeks, and one before each cut."""
    chosen = regimen({"drug": "fentanyl", "form": "patch", "strength": "25 mcg/h",
                      "dose": "25 mcg/h", "times": ["09:00"], "every_days": 3})  # fmt: skip
    plan = plan_taper(chosen, start=START, pace="cdc-long-term")
    check_plan(plan, chosen, preset("cdc-long-term"), start=START)
    first = plan.steps[0]
    assert first.days > 100  # 25 → 12.5 mcg/h is a 50% cut at 10% a month
    assert first.check_ins[0] - START >= dt.timedelta(days=7)
    assert len(first.check_ins) >= first.days // 28
    days = [d for step in plan.steps for d in step.check_ins]
    assert all(b - a <= dt.timedelta(days=28) for a, b in itertools.pairwise(days))


def test_first_check_in_of_a_monthly_plan_is_before_the_second_cut() -> None:
    """The va-slower example's first check-in falls in week 1–4, before the second cut."""
    plan = plan_taper(morphine_sr_90_q8h(), start=START, pace="va-slower")
    first = plan.steps[0].check_ins[0]
    assert dt.date(2027, 1, 11) <= first <= dt.date(2027, 1, 31)
    assert plan.steps[0].check_in < plan.steps[1].start


def test_sample_regimen_plans() -> None:
    """The embedded sample plans at its own pace."""
    from taperplan._data import data_text  # noqa: PLC0415

    chosen = regimen_from_mapping(__import__("tomllib").loads(data_text("sample-regimen.toml")))
    plan = plan_taper(chosen, start=START)
    check_plan(plan, chosen, plan.pace, start=START)
    assert load_regimen  # the loader is the same for files (test_regimen_reader covers it)


class TestTaperOrder:
    """The taper order is typed: a :class:`TaperOrder`, its name, or drug names."""

    def test_a_member_and_its_name_give_the_same_plan(self) -> None:
        regimen = morphine_sr_90_q8h()
        by_name = plan_taper(regimen, start=START, order="proportional")
        by_member = plan_taper(regimen, start=START, order=TaperOrder.PROPORTIONAL)
        assert by_name == by_member
        assert by_member.order == "proportional"

    def test_an_unknown_name_is_refused_naming_the_orders(self) -> None:
        with pytest.raises(
            PlanningError, match="long-acting-first, short-acting-first, proportional"
        ):
            plan_taper(morphine_sr_90_q8h(), start=START, order="fastest-first")


def test_a_replan_on_the_stop_day_does_not_hold_the_smallest_patch_again() -> None:
    """Re-planned on the stop day from the doses the plan gave, a patient who has worn the
    smallest patch alone for months stops as planned (found by Hypothesis: the re-plan wore it
    30 days more)."""
    patch = regimen(
        {
            "drug": "fentanyl",
            "form": "patch",
            "strength": "25 mcg/h",
            "dose": "25 mcg/h",
            "times": ["08:00"],
        }
    )
    plan = plan_taper(patch, start=dt.date(2024, 1, 1), pace="cdc-long-term")
    again = replan(plan, on=plan.steps[-1].start)
    assert [(s.id, s.kind, s.start) for s in again.steps] == [
        (s.id, s.kind, s.start) for s in plan.steps
    ]

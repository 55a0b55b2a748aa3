"""The planner's limits at their exact edges (found by mutation testing,
benchmarks/mutation.sh): each limit is accepted at its value and refused one beyond.

- a pause lasts 1 to 365 days, and may start on the stop's first day but not after;
- two check-ins are never more than 28 days apart (``withdrawal.toml``), and a gap of
  exactly 28 days needs no check-in between;
- a plan has at most ``MAX_STEPS`` (400) steps, and the search opens at most
  ``MAX_VISITS`` states before it gives up (a dead end, never a part of a plan);
- at 5 MME/day the stop is due and is the only move; half a milligram above, a cut to
  5 mg comes first;
- the proportional order cuts the drug with the most of its own dose left, the
  regimen's first drug on a tie;
- a pace's ``every_days`` is 1 to 365, and a fill (``prescriptions(every_days=…)``)
  lasts at least a day, with instalments no longer than a fill.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from taperplan import (
    InvalidRegimenError,
    Pace,
    PlanningError,
    PrescriptionOptionError,
    Regimen,
    TaperPlan,
    pause,
    plan_taper,
    prescriptions,
    regimen_from_mapping,
)
from taperplan.clinical.mme import resolve_factor_set
from taperplan.model.plan import StepKind
from taperplan.planning import _search
from taperplan.planning._lanes import State, build_layout
from taperplan.planning._measure import MoveKind
from taperplan.planning._moves import MoveMaker
from taperplan.planning._order import TaperOrder
from taperplan.planning._planner import move_maker, resolve_pace
from taperplan.planning._search import MAX_STEPS, DeadEndError, search
from taperplan.reference.paces import pace_from_mapping

START = dt.date(2027, 1, 4)
DAY = dt.timedelta(days=1)


def morphine_er(per_dose: str = "30 mg") -> Regimen:
    """Morphine ER twice a day, 15 mg tablets."""
    return regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "er_tablet",
                    "strength": "15 mg",
                    "dose": per_dose,
                    "times": ["08:00", "20:00"],
                    "available": ["15 mg"],
                }
            ]
        }
    )


def plan() -> TaperPlan:
    return plan_taper(morphine_er(), start=START, pace="cdc-long-term")


# -- pause: 1 to 365 days ------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 365])
def test_a_pause_of_the_least_and_the_most_days_is_held_exactly(days: int) -> None:
    """On the first day of the plan, the baseline dose is held exactly ``days`` days and
    every step after moves ``days`` later."""
    before = plan()
    paused = pause(before, on=START, days=days)
    hold = paused.steps[0]
    assert hold.kind is StepKind.PAUSE
    assert (hold.start, hold.days) == (START, days)
    assert hold.medications == before.baseline
    assert [(s.id, s.start - before.steps[0].start) for s in paused.steps[1:]] == [
        (s.id, s.start - before.steps[0].start + days * DAY) for s in before.steps
    ]


@pytest.mark.parametrize("days", [0, 366, -1])
def test_a_pause_of_no_days_or_more_than_a_year_is_refused(days: int) -> None:
    with pytest.raises(PlanningError, match="from 1 to 365, not"):
        pause(plan(), on=START, days=days)


def test_a_pause_mid_step_holds_that_dose_longer() -> None:
    """A pause a day into a step splits it: the day before, then the dose held ``days``
    longer than the step had left."""
    before = plan()
    step = before.steps[1]
    paused = pause(before, on=step.start + DAY, days=10)
    first, held = paused.steps[1], paused.steps[2]
    assert (first.id, first.start, first.days, first.kind) == (step.id, step.start, 1, step.kind)
    assert held.kind is StepKind.PAUSE
    assert (held.start, held.days) == (step.start + DAY, step.days - 1 + 10)
    assert held.medications == step.medications
    assert paused.steps[3].start == before.steps[2].start + 10 * DAY


def test_a_pause_on_the_last_day_of_a_step_holds_from_that_day() -> None:
    """Held on a step's last day (daily doses), the step keeps the days before it and its
    dose is held from that day, ``days`` days longer; the next cut moves as much later."""
    before = plan()
    step = before.steps[1]
    paused = pause(before, on=step.end, days=7)
    assert (paused.steps[1].start, paused.steps[1].end) == (step.start, step.end - DAY)
    hold = paused.steps[2]
    assert (hold.kind, hold.start, hold.days) == (StepKind.PAUSE, step.end, 8)
    assert hold.medications == step.medications
    assert paused.steps[3].start == before.steps[2].start + 7 * DAY


def _every_other_day() -> TaperPlan:
    """Oxycodone ER 150 mg every other day: steps of whole two-day intervals."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "oxycodone",
                    "form": "er_tablet",
                    "strength": "30 mg",
                    "dose": "150 mg",
                    "times": ["08:00"],
                    "every_days": 2,
                    "available": ["30 mg"],
                }
            ]
        }
    )
    return plan_taper(regimen, start=START, pace="cdc-long-term")


def test_a_pause_in_a_steps_last_interval_postpones_the_next_cut() -> None:
    """With doses every other day, a pause on the last day of a step (an even number of
    days) falls in no whole interval of it: the step is kept whole and the next cut is
    postponed, its dose held 7 days rounded up to whole intervals (8)."""
    before = _every_other_day()
    step = before.steps[1]
    assert step.days % 2 == 0
    paused = pause(before, on=step.end, days=7)
    assert (paused.steps[1].id, paused.steps[1].end) == (step.id, step.end)
    hold = paused.steps[2]
    assert (hold.kind, hold.start, hold.days) == (StepKind.PAUSE, step.end + DAY, 8)
    assert hold.notes == ("pause: the dose before this cut is held for 8 days",)
    assert (hold.cut_fraction, hold.cut_drug) == (0, None)
    assert hold.medications == step.medications
    assert paused.steps[3].id == before.steps[2].id
    assert paused.steps[3].start == before.steps[2].start + 8 * DAY


def test_a_pause_mid_interval_starts_at_the_next_interval() -> None:
    """A day into a step of every-other-day doses, the hold starts at the next interval
    and holds the step's dose, cutting nothing, 8 days longer."""
    before = _every_other_day()
    step = before.steps[1]
    paused = pause(before, on=step.start + DAY, days=7)
    first, held = paused.steps[1], paused.steps[2]
    assert (first.id, first.days, first.cut_fraction) == (step.id, 2, step.cut_fraction)
    assert (held.kind, held.start, held.days) == (StepKind.PAUSE, step.start + 2 * DAY, 36)
    assert (held.cut_fraction, held.cut_drug, held.withdrawal_profile) == (0, None, None)
    assert held.notes == ("pause: this dose is held 8 days longer",)


def test_a_pause_may_start_on_the_stop_day_but_not_after() -> None:
    before = plan()
    stop = before.steps[-1]
    assert stop.kind is StepKind.STOP
    paused = pause(before, on=stop.start, days=7)
    assert paused.steps[-1].start == stop.start + 7 * DAY
    assert paused.steps[-2].medications == before.steps[-2].medications
    with pytest.raises(PlanningError, match="is after the stop"):
        pause(before, on=stop.start + DAY, days=7)


# -- check-ins: never more than 28 days apart ----------------------------------------


def _offsets(paused: TaperPlan) -> list[int]:
    return [(c - START).days for c in paused.steps[0].check_ins]


def test_a_check_in_gap_of_exactly_28_days_needs_none_between() -> None:
    """A 35-day hold from the start: its check-in before the next cut, 6 days before the
    cut, is 28 days after the start: the limit, so no other check-in."""
    assert _offsets(pause(plan(), on=START, days=35)) == [28]


def test_a_check_in_gap_of_29_days_gets_one_between() -> None:
    """A day longer, the gap would be 29: one more check-in, 7 days before the last."""
    assert _offsets(pause(plan(), on=START, days=36)) == [22, 29]


def test_long_holds_keep_every_gap_within_28_days() -> None:
    """A year's hold: check-ins every 28 days, the last two at least 7 days apart."""
    offsets = _offsets(pause(plan(), on=START, days=365))
    gaps = [b - a for a, b in zip([0, *offsets], offsets, strict=False)]
    assert offsets[-1] == 365 - 7
    assert max(gaps) == 28
    assert min(gaps) >= 7
    assert gaps[:-2] == [28] * (len(gaps) - 2)


def test_a_short_step_has_its_check_in_a_week_in_or_on_its_last_day() -> None:
    """The check-in before a cut is a week into the step (``before_cut`` days, 6, after its
    start) or 6 days before its end, whichever is later; a step under a week has it on its
    last day."""
    assert _offsets(pause(plan(), on=START, days=3)) == [2]
    assert _offsets(pause(plan(), on=START, days=12)) == [6]
    assert _offsets(pause(plan(), on=START, days=14)) == [7]


# -- MAX_STEPS ----------------------------------------------------------------------


def _solution(mg_a_day: int) -> Regimen:
    return regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "1 mg/mL",
                    "dose": f"{mg_a_day} mg",
                    "times": ["08:00"],
                }
            ]
        }
    )


def _one_mg_a_day() -> Pace:
    return pace_from_mapping(
        {"reduction": "1 mg", "every_days": 1, "min_step_days": 1, "max_step_fraction": 1}
    )


def test_a_plan_of_exactly_max_steps_is_planned() -> None:
    """1 mg a day off 404 mg of solution, stopping from 5 mg: exactly 400 steps."""
    assert MAX_STEPS == 400
    planned = plan_taper(_solution(404), start=START, pace=_one_mg_a_day())
    assert len(planned.steps) == MAX_STEPS
    assert planned.steps[-1].kind is StepKind.STOP


def test_a_plan_of_one_step_more_than_max_steps_is_refused() -> None:
    with pytest.raises(PlanningError, match=f"would need more than {MAX_STEPS} steps"):
        plan_taper(_solution(405), start=START, pace=_one_mg_a_day())


# -- MAX_VISITS: how many states the search opens before it gives up ------------------


def _maker(regimen: Regimen) -> tuple[MoveMaker, State]:
    """The move maker and baseline of a plan at cdc-long-term, long-acting first."""
    chosen, _ = resolve_pace(regimen, "cdc-long-term", START)
    layout = build_layout(regimen, resolve_factor_set("cdc2022"), substitute=chosen.substitute)
    totals = layout.totals(layout.baseline)[1]
    return move_maker(layout, chosen, TaperOrder.LONG_ACTING_FIRST, totals), layout.baseline


def test_a_search_opening_exactly_max_visits_states_finds_its_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Morphine ER 30 mg twice a day goes straight to the stop, opening one state per
    step before the last: with ``MAX_VISITS`` just that many, the path is the same."""
    maker, baseline = _maker(morphine_er())
    path = search(maker, baseline)
    assert path[-1].kind is MoveKind.STOP
    monkeypatch.setattr(_search, "MAX_VISITS", len(path) - 1)
    assert search(maker, baseline) == path


def test_a_search_needing_one_state_more_than_max_visits_gives_up_as_a_dead_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One state fewer allowed: the search gives up (a dead end, so the planner refuses
    the regimen) with the longest path it tried, never with a part of a plan."""
    maker, baseline = _maker(morphine_er())
    path = search(maker, baseline)
    monkeypatch.setattr(_search, "MAX_VISITS", len(path) - 2)
    with pytest.raises(DeadEndError) as raised:
        search(maker, baseline)
    assert raised.value.deepest == path[:-1]
    assert not raised.value.too_long
    assert raised.value.gave_up == len(path) - 2


def test_a_search_that_gives_up_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal because the search reached its limit says that it gave up and how far it
    got; it does not claim that no dispensable cut keeps the pace's rules (one may)."""
    monkeypatch.setattr(_search, "MAX_VISITS", 3)
    with pytest.raises(PlanningError) as raised:
        plan_taper(morphine_er(), start=START, pace="cdc-long-term")
    message = str(raised.value)
    assert "gave up after 3 states without reaching the stop" in message
    assert "no dispensable cut" not in message


# -- the stop: due at 5 MME/day -------------------------------------------------------


def _solution_of(dose: str) -> Regimen:
    return regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "1 mg/mL",
                    "dose": dose,
                    "times": ["08:00"],
                }
            ]
        }
    )


def test_at_5_mme_a_day_the_stop_is_the_only_move() -> None:
    """Morphine solution 5 mg a day (5 MME/day, the stop's threshold, §4a rule 5): the
    only move is the stop, of the whole total, to no dose at all; it is also the
    preferred one, and the plan is that one stop."""
    maker, baseline = _maker(_solution_of("5 mg"))
    (stop,) = maker.moves(baseline, first=True, held=False)
    assert stop.kind is MoveKind.STOP
    assert all(lane.amount == 0 for drug in stop.state for lane in drug)
    assert stop.cut == stop.previous == maker.layout.totals(baseline)[1][0]
    assert maker.preferred(baseline, first=True, held=False) == stop
    planned = plan_taper(_solution_of("5 mg"), start=START, pace="cdc-long-term")
    assert [s.kind for s in planned.steps] == [StepKind.STOP]


def test_half_a_milligram_above_5_mme_a_day_is_cut_to_5_first() -> None:
    """5.5 mg a day, one measurable step above the threshold: no stop yet; the first move
    is a cut to 5 mg, and the plan stops from there."""
    maker, baseline = _maker(_solution_of("5.5 mg"))
    moves = list(maker.moves(baseline, first=True, held=False))
    assert MoveKind.STOP not in {m.kind for m in moves}
    assert moves[0].kind is MoveKind.CUT
    planned = plan_taper(_solution_of("5.5 mg"), start=START, pace="cdc-long-term")
    assert [(s.kind, s.medications[0].daily_amount.amount) for s in planned.steps] == [
        (StepKind.CUT, Decimal(5)),
        (StepKind.STOP, Decimal(0)),
    ]


# -- the landing: the last dose before the stop ----------------------------------------


@pytest.mark.parametrize(
    ("mg_a_day", "totals"),
    [(12, [5, 0]), (24, [14, 5, 0]), (28, [18, 8, 5, 0])],
)
def test_a_cut_aims_no_lower_than_the_stop_threshold(mg_a_day: int, totals: list[int]) -> None:
    """10 mg a day less each week, morphine solution: the cut that reaches the stop's
    threshold (5 MME/day) lands on it, not below (12 mg goes to 5, not 2), so the last
    dose before the stop is a real one, not a sliver."""
    pace = pace_from_mapping(
        {"reduction": "10 mg", "every_days": 7, "min_step_days": 7, "max_step_fraction": 1}
    )
    planned = plan_taper(_solution(mg_a_day), start=START, pace=pace)
    assert [s.total_mme_per_day for s in planned.steps] == totals
    assert planned.steps[-1].kind is StepKind.STOP


# -- the proportional order -----------------------------------------------------------

MORPHINE: dict[str, Any] = {
    "drug": "morphine",
    "form": "er_tablet",
    "strength": "15 mg",
    "dose": "60 mg",
    "times": ["08:00", "20:00"],
    "available": ["15 mg"],
}
OXYCODONE: dict[str, Any] = {
    "drug": "oxycodone",
    "form": "er_tablet",
    "strength": "10 mg",
    "dose": "20 mg",
    "times": ["08:00", "20:00"],
    "available": ["10 mg", "5 mg"],
}


def _cuts(medications: list[dict[str, Any]], order: str) -> list[tuple[str | None, Fraction]]:
    """Each cut step's drug and the share of its own dose the other drug had left."""
    regimen = regimen_from_mapping({"medication": medications})
    planned = plan_taper(regimen, start=START, order=order)
    daily = {m.drug: Fraction(m.daily_amount.amount) for m in planned.baseline}
    shares = []
    before = planned.baseline
    for step in planned.steps:
        if step.kind is not StepKind.CUT:
            before = step.medications
            continue
        left = {m.drug: Fraction(m.daily_amount.amount) / daily[m.drug] for m in before}
        shares.append((step.cut_drug, left))
        before = step.medications
    return [(drug, left[drug] - max(left.values())) for drug, left in shares]  # type: ignore[index]


def test_the_proportional_order_cuts_the_drug_with_most_of_its_dose_left() -> None:
    """Each of the first cuts comes from the drug with the largest share of its own dose
    left: morphine (a tie at the start: the first listed), then oxycodone, and so on."""
    cuts = _cuts([MORPHINE, OXYCODONE], "proportional")
    assert [drug for drug, _ in cuts[:8]] == [
        "morphine",
        "oxycodone",
        "morphine",
        "morphine",
        "oxycodone",
        "morphine",
        "morphine",
        "oxycodone",
    ]
    assert all(behind == 0 for _, behind in cuts[:8])


def test_the_proportional_order_breaks_a_tie_by_the_regimens_order() -> None:
    cuts = _cuts([OXYCODONE, MORPHINE], "proportional")
    assert [drug for drug, _ in cuts[:3]] == ["oxycodone", "morphine", "morphine"]


def test_long_acting_first_cuts_the_larger_dose_first_instead() -> None:
    """The default order, for comparison: the larger long-acting dose until it is no
    larger, whatever share the other has left."""
    cuts = _cuts([MORPHINE, OXYCODONE], "long-acting-first")
    assert [drug for drug, _ in cuts[:6]] == ["morphine"] * 5 + ["oxycodone"]


def test_long_acting_first_cuts_tramadol_after_the_other_long_acting_drugs() -> None:
    """Tramadol ER 200 mg (40 MME) beside morphine ER 15 mg twice a day (30 MME): the
    default order ranks tramadol after the other long-acting drugs, so though it is the
    larger dose, the morphine is cut first (five times), then the tramadol."""
    tramadol = {
        "drug": "tramadol",
        "form": "er_tablet",
        "strength": "100 mg",
        "dose": "200 mg",
        "times": ["08:00"],
    }
    regimen = regimen_from_mapping({"medication": [tramadol, {**MORPHINE, "dose": "15 mg"}]})
    planned = plan_taper(regimen, start=START, order="long-acting-first")
    assert [s.cut_drug for s in planned.steps[:6]] == ["morphine"] * 5 + ["tramadol"]


# -- every_days: a pace's interval and a fill's length --------------------------------


@pytest.mark.parametrize("every_days", [1, 365])
def test_a_pace_of_every_1_or_365_days_plans(every_days: int) -> None:
    pace = pace_from_mapping({"percent": 10, "every_days": every_days, "min_step_days": 1})
    assert pace.every_days == every_days
    planned = plan_taper(morphine_er(), start=START, pace=pace)
    cuts = [s for s in planned.steps if s.kind is StepKind.CUT]
    assert min(s.days for s in cuts) >= every_days


@pytest.mark.parametrize("every_days", [0, 366])
def test_a_pace_of_every_0_or_366_days_is_refused(every_days: int) -> None:
    with pytest.raises(InvalidRegimenError, match=r"pace\.every_days"):
        pace_from_mapping({"percent": 10, "every_days": every_days})


def test_a_plans_id_changes_with_the_paces_interval() -> None:
    """Calendar UIDs derive from the plan's id: plans at 10% every 28 and every 27 days
    are different plans."""
    ids = {
        plan_taper(
            morphine_er(), start=START, pace=pace_from_mapping({"percent": 10, "every_days": n})
        ).id
        for n in (27, 28)
    }
    assert len(ids) == 2
    assert all(re.fullmatch(r"tp-[0-9a-f]{12}", i) for i in ids)


def test_fills_of_one_day_and_instalments_as_long_as_a_fill() -> None:
    planned = plan()
    daily = prescriptions(planned, every_days=1)
    assert all(f.end == f.start for f in daily)
    assert len(daily) == (planned.steps[-1].start - START).days
    assert prescriptions(planned, every_days=7, dispense_every=7)


@pytest.mark.parametrize(
    ("every_days", "dispense_every", "words"),
    [
        (0, None, "every_days must be a whole number of days from 1"),
        (7, 8, r"dispense_every \(8\) must not be longer than a fill \(every_days 7\)"),
        (7, 0, "dispense_every must be a whole number of days from 1"),
    ],
)
def test_fills_of_no_days_or_instalments_longer_than_a_fill_are_refused(
    every_days: int, dispense_every: int | None, words: str
) -> None:
    with pytest.raises(PrescriptionOptionError, match=words):
        prescriptions(plan(), every_days=every_days, dispense_every=dispense_every)


def test_short_acting_first_cuts_the_short_acting_drug_though_it_is_smaller() -> None:
    """Morphine ER 60 mg and oxycodone IR 15 mg a day: short-acting-first cuts the
    oxycodone (the smaller dose); long-acting-first the morphine."""
    oxycodone_ir = {
        "drug": "oxycodone",
        "form": "ir_tablet",
        "strength": "5 mg",
        "dose": "5 mg",
        "times": ["08:00", "14:00", "20:00"],
    }
    regimen = regimen_from_mapping({"medication": [{**MORPHINE, "dose": "30 mg"}, oxycodone_ir]})
    short = plan_taper(regimen, start=START, order="short-acting-first")
    assert [s.cut_drug for s in short.steps[:3]] == ["oxycodone"] * 3
    assert short.steps[0].medications[0].daily_amount == regimen.medications[0].daily_amount
    assert plan_taper(regimen, start=START, order="long-acting-first").steps[0].cut_drug == (
        "morphine"
    )


def test_a_taper_order_of_blank_names_is_refused() -> None:
    with pytest.raises(PlanningError) as raised:
        plan_taper(morphine_er(), start=START, order=["  ", ""])
    assert str(raised.value) == (
        "the taper order names no drug: name the regimen's drugs, or a taper order"
    )


# -- the words of a held cut and of a lifted ceiling ---------------------------------


def test_a_cut_above_the_pace_says_how_long_it_is_held() -> None:
    step = _every_other_day().steps[0]
    assert step.days == 56
    assert step.notes[0] == (
        "held: this cut is 20%, more than the pace's 10% every 28 days, so it is held 56 days "
        "(the average pace is never faster than the guideline)"
    )


def test_a_ceiling_above_the_presets_is_warned_with_both_ceilings() -> None:
    pace = pace_from_mapping({"preset": "cdc-long-term", "max_step_fraction": 0.5})
    warned = plan_taper(morphine_er(), start=START, pace=pace).warnings
    assert [w.message for w in warned if w.code == "cap-above-preset"] == [
        "The pace cdc-long-term (custom) allows cuts of up to 50% of the current dose, above "
        "the preset's own cap of 20%: cuts late in the taper may be large against the dose "
        "then taken. Check that this is intended."
    ]


def test_a_taper_order_naming_a_drug_twice_is_refused() -> None:
    regimen = regimen_from_mapping({"medication": [MORPHINE, OXYCODONE]})
    with pytest.raises(PlanningError) as raised:
        plan_taper(regimen, start=START, order=["Morphine", "oxycodone", "morphine "])
    assert str(raised.value) == "the taper order names 'morphine' more than once"


def test_a_solution_moving_to_another_concentration_says_so() -> None:
    """Morphine solution 20 mg/mL with 1 mg/mL available: the first cut needs the finer
    bottle, and the step says to measure from it only; no later step repeats it."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "20 mg/mL",
                    "available": ["20 mg/mL", "1 mg/mL"],
                    "dose": "30 mg",
                    "times": ["08:00", "20:00"],
                }
            ]
        }
    )
    planned = plan_taper(regimen, start=START, pace="cdc-long-term")
    notes = [(s.index, n) for s in planned.steps for n in s.notes if "oral solution" in n]
    assert notes == [
        (
            0,
            "new: morphine oral solution changes to 1 mg/mL from this step (it was 20 mg/mL): "
            "prescribe the new concentration and measure every dose from the new bottle only",
        )
    ]


def test_a_dose_left_at_baseline_is_measured_from_the_same_bottle_as_the_cut_one() -> None:
    """Morphine solution 20 mg/mL, 40 mg in the morning and 10 mg in the evening, 1 mg/mL
    available: the first cut lowers the morning dose to 35 mg, which only 1 mg/mL measures;
    the evening's 10 mg, though 0.5 mL of the patient's 20 mg/mL, is then measured from
    1 mg/mL too: never two bottles of one solution in a step (the mg/mL mix-up)."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "20 mg/mL",
                    "available": ["20 mg/mL", "1 mg/mL"],
                    "doses": ["40 mg", "10 mg"],
                    "times": ["08:00", "20:00"],
                }
            ]
        }
    )
    planned = plan_taper(regimen, start=START, pace="uk-opioids-aware")
    first = [
        (str(d.amount), [(u.count, str(u.strength)) for u in d.units])
        for d in planned.steps[0].medications[0].doses
    ]
    assert first == [("35 mg", [(35, "1 mg/mL")]), ("10 mg", [(10, "1 mg/mL")])]
    bottles = [
        {u.strength for m in s.medications for d in m.doses for u in d.units}
        for s in planned.steps[:-1]
    ]
    assert all(len(b) == 1 for b in bottles)


def test_a_solution_moved_to_a_finer_bottle_stays_in_it() -> None:
    """Morphine solution 10 mg/mL, 30 mg twice a day, 2 mg/mL available: once the cuts
    need the finer bottle, every step after is measured from it, even where the
    patient's own 10 mg/mL could measure the doses again (no bottle back and forth); one
    note says so."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "10 mg/mL",
                    "available": ["10 mg/mL", "2 mg/mL"],
                    "dose": "30 mg",
                    "times": ["08:00", "20:00"],
                }
            ]
        }
    )
    planned = plan_taper(regimen, start=START, pace="cdc-long-term")
    bottles = [
        {str(u.strength) for m in s.medications for d in m.doses for u in d.units}
        for s in planned.steps[:-1]
    ]
    assert bottles == [{"2 mg/mL"}] * len(bottles)
    notes = [n for s in planned.steps for n in s.notes if "oral solution changes" in n]
    assert len(notes) == 1


# -- the first and last start dates ----------------------------------------------------


@pytest.mark.parametrize("start", [dt.date(1900, 1, 1), dt.date(2500, 12, 31)])
def test_a_plan_may_start_on_the_first_or_the_last_date_planned_for(start: dt.date) -> None:
    assert plan_taper(morphine_er(), start=start).start == start


@pytest.mark.parametrize("start", [dt.date(1899, 12, 31), dt.date(2501, 1, 1)])
def test_a_plan_starting_a_day_outside_them_is_refused(start: dt.date) -> None:
    with pytest.raises(PlanningError) as raised:
        plan_taper(morphine_er(), start=start)
    assert str(raised.value) == (
        f"start {start.isoformat()} is outside the dates taperplan plans for "
        "(1900-01-01 to 2500-12-31)"
    )


def test_a_taper_order_naming_a_drug_the_regimen_does_not_take_is_refused() -> None:
    with pytest.raises(PlanningError) as raised:
        plan_taper(
            regimen_from_mapping({"medication": [OXYCODONE]}), start=START, order=["morphine"]
        )
    assert str(raised.value) == (
        "the taper order names 'morphine', which the regimen does not take: name its drugs "
        "(oxycodone)"
    )


def test_a_substitute_taking_over_part_of_a_dose_says_which_dose_and_what_to_prescribe() -> None:
    step = _every_other_day().steps[1]
    assert step.notes[0] == (
        "new: oxycodone immediate-release tablets take over part of the 08:00 dose (the "
        "products in use cannot cut within the pace's ceiling): prescribe 10 mg, 30 mg, 7.5 mg"
    )


def test_a_cut_of_one_smallest_unit_above_the_ceiling_says_why() -> None:
    """Tramadol ER 200 mg daily: the last cuts are of one 50 mg tablet, above the ceiling."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "tramadol",
                    "form": "er_tablet",
                    "strength": "200 mg",
                    "dose": "200 mg",
                    "times": ["08:00"],
                }
            ]
        }
    )
    notes = [n for s in plan_taper(regimen, start=START).steps for n in s.notes]
    assert any(
        note.startswith(
            "held: a cut of one smallest unit (25%), above the pace's 20% ceiling because no "
            "smaller unit of this drug can be dispensed (interfaces.md §4a rule 2); held "
        )
        for note in notes
    )


# -- the even-cut chain ----------------------------------------------------------------


def test_the_even_cut_chain_goes_on_past_a_dose_time_it_has_emptied() -> None:
    """MST 30 mg twice a day with Oramorph 5 mg at 13:00 and 17:00, at a 10% ceiling: the
    first cut leaves 1 mg and 2 mg of solution; the second, 3 mg being nearest the target,
    takes both (the chain empties 13:00 first, then goes on to 17:00)."""
    regimen = regimen_from_mapping(
        {
            "timezone": "Europe/London",
            "medication": [
                {**MORPHINE, "strength": "30 mg", "dose": "30 mg", "available": ["30 mg"]},
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "2 mg/mL",
                    "dose": "5 mg",
                    "times": ["13:00", "17:00"],
                },
            ],
        }
    )
    planned = plan_taper(regimen, start=START, pace="uk-opioids-aware")

    def doses(step: int) -> list[tuple[str, str]]:
        return [
            (f"{d.time:%H:%M}", str(d.amount))
            for m in planned.steps[step].medications
            for d in m.doses
        ]

    assert doses(0) == [
        ("08:00", "30 mg"),
        ("20:00", "30 mg"),
        ("13:00", "1 mg"),
        ("17:00", "2 mg"),
    ]
    assert doses(1) == [("08:00", "30 mg"), ("20:00", "30 mg")]
    # Then the patient's own solution takes over part of a tablet dose: no new product.
    assert planned.steps[2].notes == (
        "new: the patient's own morphine oral solution (measured in mL with an oral syringe) "
        "(2 mg/mL) take over part of the 08:00 dose (the other products cannot cut within the "
        "pace's ceiling)",
    )


def test_a_taper_order_naming_two_drugs_twice_names_both() -> None:
    regimen = regimen_from_mapping({"medication": [MORPHINE, OXYCODONE]})
    with pytest.raises(PlanningError) as raised:
        plan_taper(regimen, start=START, order=["oxycodone", "morphine", "Oxycodone", "morphine"])
    assert str(raised.value) == "the taper order names 'morphine', 'oxycodone' more than once"


# -- doses spaced to every other day ---------------------------------------------------


def test_a_dose_spaced_with_no_other_spaced_dose_starts_on_the_steps_first_day() -> None:
    """Hydromorphone 2 mg twice a day: late in the taper a 0.5 mg dose at 20:00 goes to
    every other day beside a daily 1 mg; with no other spaced dose to keep apart from,
    it is taken from the step's first day (offset 0), not its second."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "hydromorphone",
                    "form": "ir_tablet",
                    "strength": "2 mg",
                    "dose": "2 mg",
                    "times": ["08:00", "20:00"],
                }
            ]
        }
    )
    planned = plan_taper(regimen, start=START, pace="cdc-long-term")
    spaced = [
        (str(d.amount), d.offset)
        for s in planned.steps
        for m in s.medications
        for d in m.doses
        if d.every_days == 2
    ]
    assert spaced == [("0.5 mg", 0)]


def test_doses_spaced_to_every_other_day_are_split_evenly_over_the_days() -> None:
    """Oxycodone IR 5 mg four times a day: late in the taper its four 2.5 mg doses go to
    every other day one by one, each on the days the others leave freer, so all four
    end up two on one day and two on the other."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "oxycodone",
                    "form": "ir_tablet",
                    "strength": "5 mg",
                    "dose": "5 mg",
                    "times": ["06:00", "12:00", "18:00", "23:00"],
                }
            ]
        }
    )
    planned = plan_taper(regimen, start=START, pace="cdc-long-term")
    offsets = next(
        sorted(d.offset for d in doses)
        for s in planned.steps
        if len(doses := [d for m in s.medications for d in m.doses if d.every_days == 2]) == 4
    )
    assert offsets == [0, 0, 1, 1]


def test_a_dose_newly_spaced_takes_the_other_days_and_leaves_the_first_as_it_was() -> None:
    """Tapentadol IR 75 mg three times a day: the 14:00 dose goes to every other day
    first; when the 07:00 dose follows, it takes the days the 14:00 dose leaves free
    (offset 1), and the 14:00 dose keeps its days (offset 0)."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "tapentadol",
                    "form": "ir_tablet",
                    "strength": "75 mg",
                    "dose": "75 mg",
                    "times": ["07:00", "14:00", "21:00"],
                }
            ]
        }
    )
    planned = plan_taper(regimen, start=START, pace="cdc-long-term")
    spaced = [
        [(f"{d.time:%H:%M}", d.offset) for m in s.medications for d in m.doses if d.every_days == 2]
        for s in planned.steps
    ]
    first, second = [doses for doses in spaced if doses][:2]
    assert first == [("14:00", 0)]
    assert sorted(second) == [("07:00", 1), ("14:00", 0)]

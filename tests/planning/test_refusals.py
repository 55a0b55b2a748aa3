"""A refusal's exact words (found by mutation testing): where planning stopped (after how
many steps, at which doses, each dose's time and interval, the total), why, and the fix
the planner checked, or that there is none."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from taperplan import PlanningError, plan_taper, regimen_from_mapping
from taperplan.reference.paces import pace_from_mapping

START = dt.date(2027, 1, 4)
SUBSTITUTION = (
    "allow the same drug's immediate-release tablet or oral solution to take over part of "
    "the dose (allow substitution: substitute = true in the regimen's [pace] table, "
    "--substitute on the command line, or substitute=True)"
)


def test_a_refusal_at_the_first_cut_names_every_dose_and_the_checked_fix() -> None:
    """Two ER products, one every other day, at a 10% ceiling with substitution off."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "oxycodone",
                    "form": "er_tablet",
                    "strength": "20 mg",
                    "dose": "20 mg",
                    "times": ["08:00", "20:00"],
                },
                {
                    "drug": "morphine",
                    "form": "er_tablet",
                    "strength": "15 mg",
                    "dose": "15 mg",
                    "times": ["08:00"],
                    "every_days": 2,
                },
            ]
        }
    )
    with pytest.raises(PlanningError) as raised:
        plan_taper(regimen, start=START, pace="uk-opioids-aware", substitute=False)
    error = raised.value
    doses = (
        "oxycodone er_tablet 20 mg at 08:00, 20 mg at 20:00; "
        "morphine er_tablet 15 mg at 08:00 every 2 days"
    )
    assert str(error) == (
        f"no plan: after 0 steps, at {doses} (67.5 MME/day), no dispensable cut keeps the "
        "uk-opioids-aware pace's rules (a ceiling of 10% a cut; substitution of a finer "
        f"product is off). Fix: {SUBSTITUTION}."
    )
    assert error.stopped_at is not None
    assert (error.stopped_at.steps, error.stopped_at.doses) == (0, doses)
    assert error.stopped_at.total_mme_per_day == Decimal("67.5")
    assert error.fix == SUBSTITUTION
    # The fix works, as it says.
    assert plan_taper(regimen, start=START, pace="uk-opioids-aware", substitute=True).steps


def test_a_plan_too_long_is_refused_where_the_longest_path_stopped_without_a_fix() -> None:
    """1 mg a day off 405 mg: after 400 steps the path is at 5 mg, a step short of the stop;
    no change taperplan can check helps (a faster preset would not keep the custom pace)."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "1 mg/mL",
                    "dose": "405 mg",
                    "times": ["08:00"],
                }
            ]
        }
    )
    pace = pace_from_mapping(
        {"reduction": "1 mg", "every_days": 1, "min_step_days": 1, "max_step_fraction": 1}
    )
    with pytest.raises(PlanningError) as raised:
        plan_taper(regimen, start=START, pace=pace)
    error = raised.value
    assert str(error) == (
        "no plan: the custom pace would need more than 400 steps. No change taperplan can "
        "check gives a plan: plan this taper by hand."
    )
    assert error.fix is None
    assert error.stopped_at is not None
    assert (error.stopped_at.steps, error.stopped_at.doses) == (
        400,
        "morphine oral_solution 5 mg at 08:00",
    )
    assert error.stopped_at.total_mme_per_day == Decimal(5)
    assert {"naloxone", "mme-over-90"} <= {w.code for w in error.warnings}


def _patch(strength: str, available: list[str] | None) -> dict[str, object]:
    medication: dict[str, object] = {
        "drug": "fentanyl",
        "form": "patch",
        "strength": strength,
        "dose": strength,
        "times": ["09:00"],
        "every_days": 3,
    }
    if available is not None:
        medication["available"] = available
    return {"medication": [medication]}


def test_only_the_smallest_patch_is_stopped_from() -> None:
    """§4a rule 5 stops from the smallest patch (12 mcg/h), not from the smallest the
    regimen has on hand: a 50 mcg/h patch with only 50 available was worn 30 days and then
    stopped (120 MME/day to none). It is refused, with the fix the planner checked."""
    with pytest.raises(PlanningError) as refused:
        plan_taper(regimen_from_mapping(_patch("50 mcg/h", ["50 mcg/h"])), start=START)
    assert (
        refused.value.fix == "allow every strength the catalogue lists (remove available = [...])"
    )
    assert refused.value.stopped_at is not None
    assert refused.value.stopped_at.steps == 0
    allowed = plan_taper(regimen_from_mapping(_patch("50 mcg/h", None)), start=START)
    totals = [allowed.baseline_total_mme_per_day] + [s.total_mme_per_day for s in allowed.steps]
    # Never more than one 12.5 mcg/h patch (30 MME/day) a step, until the stop.
    assert all(a - b <= 30 for a, b in itertools.pairwise(totals[:-1]))
    last = allowed.steps[-2].medications[0].doses[0].units[0].strength
    assert last.amount == Decimal("12.5")  # the 12 mcg/h patch, which delivers 12.5


def test_the_smallest_patch_alone_is_worn_then_stopped() -> None:
    plan = plan_taper(regimen_from_mapping(_patch("12 mcg/h", ["12 mcg/h"])), start=START)
    assert [step.kind.value for step in plan.steps] == ["pause", "stop"]
    assert (plan.steps[0].end - plan.steps[0].start).days + 1 >= 28
    days = plan.steps[0].days
    assert (
        f"end: the smallest patch is worn alone for {days} days before it is stopped "
        "(interfaces.md §4a rule 5)"
    ) in plan.steps[0].notes


def test_a_pace_too_slow_to_finish_is_refused_with_the_first_faster_preset_that_plans() -> None:
    """1 mg a day off 405 mg of solution (available listed) at a 10% ceiling would need
    more than 400 steps. Every strength would not help (checked at this pace, not the
    default one, which would plan); the first preset with a larger ceiling, by ceiling
    then name, does: canada (20%), ahead of cdc-long-term."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "1 mg/mL",
                    "dose": "405 mg",
                    "times": ["08:00"],
                    "available": ["1 mg/mL"],
                }
            ]
        }
    )
    pace = pace_from_mapping(
        {"reduction": "1 mg", "every_days": 1, "min_step_days": 1, "max_step_fraction": 0.1}
    )
    with pytest.raises(PlanningError) as raised:
        plan_taper(regimen, start=START, pace=pace)
    assert raised.value.fix == (
        "choose the canada pace (ceiling 20% a cut), if the prescriber agrees"
    )
    assert str(raised.value) == (
        "no plan: the custom pace would need more than 400 steps. Fix: choose the canada "
        "pace (ceiling 20% a cut), if the prescriber agrees."
    )
    # The fix works, as it says.
    assert plan_taper(regimen, start=START, pace="canada").steps


def test_substitution_is_checked_at_the_pace_asked_for() -> None:
    """With substitution off, a plan too long for its custom pace is not fixed by allowing
    substitution (checked at that pace, not the default one, where it would plan)."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "1 mg/mL",
                    "dose": "405 mg",
                    "times": ["08:00"],
                }
            ]
        }
    )
    pace = pace_from_mapping(
        {"reduction": "1 mg", "every_days": 1, "min_step_days": 1, "max_step_fraction": 1}
    )
    with pytest.raises(PlanningError) as raised:
        plan_taper(regimen, start=START, pace=pace, substitute=False)
    assert raised.value.fix is None
    assert plan_taper(regimen, start=START, substitute=True).steps


def test_a_refusal_after_one_drug_is_stopped_names_only_what_is_still_taken() -> None:
    """Morphine ER 15 mg every other day, then oxycodone ER 10 mg twice a day, morphine cut
    first, substitution off: the morphine is stopped, and the oxycodone cannot be cut
    within the 20% ceiling. Where planning stopped names the oxycodone (after the stopped
    morphine, which it leaves out)."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "er_tablet",
                    "strength": "15 mg",
                    "dose": "15 mg",
                    "times": ["08:00"],
                    "every_days": 2,
                },
                {
                    "drug": "oxycodone",
                    "form": "er_tablet",
                    "strength": "10 mg",
                    "dose": "10 mg",
                    "times": ["08:00", "20:00"],
                },
            ]
        }
    )
    with pytest.raises(PlanningError) as raised:
        plan_taper(
            regimen,
            start=START,
            pace="cdc-long-term",
            substitute=False,
            order=["morphine", "oxycodone"],
        )
    assert raised.value.stopped_at is not None
    assert (raised.value.stopped_at.steps, raised.value.stopped_at.doses) == (
        1,
        "oxycodone er_tablet 10 mg at 08:00, 10 mg at 20:00",
    )
    assert raised.value.fix == SUBSTITUTION

"""A plan's warnings about what its steps do (found by mutation testing): the exact words
of a substitution (its step, date and every strength to prescribe) and of an as-needed
medication (which one), that MME applies to what has a factor, and acetaminophen counted
per day of doses taken every other day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from taperplan import TaperPlan, plan_taper, regimen_from_mapping

START = dt.date(2027, 1, 4)


def _plan(*medications: dict[str, Any], pace: str | None = None) -> TaperPlan:
    regimen = regimen_from_mapping(
        {"timezone": "America/New_York", "medication": list(medications)}
    )
    return plan_taper(regimen, start=START, pace=pace)


def _messages(plan: TaperPlan, code: str) -> list[str]:
    return [w.message for w in plan.warnings if w.code == code]


def test_a_substitution_names_its_first_step_its_date_and_every_strength() -> None:
    """Oxycodone ER 150 mg every other day, 30 mg tablets only: the IR tablets join at
    step 2, and over the plan use six strengths."""
    plan = _plan(
        {
            "drug": "oxycodone",
            "form": "er_tablet",
            "strength": "30 mg",
            "dose": "150 mg",
            "times": ["08:00"],
            "every_days": 2,
            "available": ["30 mg"],
        },
        pace="cdc-long-term",
    )
    first = plan.steps[plan.substitutes[0].first_step]
    assert (first.index, first.start) == (1, dt.date(2027, 3, 1))
    assert _messages(plan, "substitution")[0] == (
        "From step 2 (2027-03-01) the plan adds oxycodone immediate-release tablets: the "
        "regimen's own products cannot cut the dose within the pace's ceiling, so this finer "
        "form of the same drug takes over part of it. Prescribe 5 mg, 7.5 mg, 10 mg, 15 mg, "
        "20 mg, 30 mg. (substitute = false in [pace] forbids this.)"
    )


def test_an_as_needed_medication_is_named_by_its_place_in_the_regimen() -> None:
    morphine = {
        "drug": "morphine",
        "form": "er_tablet",
        "strength": "30 mg",
        "dose": "30 mg",
        "times": ["08:00", "20:00"],
    }
    as_needed = {
        "drug": "oxycodone",
        "form": "ir_tablet",
        "strength": "5 mg",
        "dose": "5 mg",
        "times": ["08:00", "14:00", "20:00"],
        "as_needed": True,
        "max_doses_per_day": 4,
    }
    (message,) = _messages(_plan(morphine, as_needed), "as-needed-scheduled")
    assert message.startswith("medication[1] (oxycodone ")


def test_mme_is_not_applicable_only_to_a_drug_without_a_factor() -> None:
    """Morphine has a factor: no notice. Buprenorphine (excluded by cdc2022) has one."""
    morphine = _plan(
        {
            "drug": "morphine",
            "form": "er_tablet",
            "strength": "15 mg",
            "dose": "30 mg",
            "times": ["08:00", "20:00"],
        }
    )
    assert _messages(morphine, "mme-not-applicable") == []
    buprenorphine = _plan(
        {
            "drug": "buprenorphine",
            "form": "patch",
            "strength": "10 mcg/h",
            "dose": "10 mcg/h",
            "times": ["08:00"],
            "every_days": 7,
        }
    )
    assert _messages(buprenorphine, "mme-not-applicable") == [
        "buprenorphine: buprenorphine is a partial agonist; CDC excludes it from MME: MME does "
        "not apply. The MME total is not stated because part of the regimen has no factor."
    ]


def test_acetaminophen_of_doses_every_other_day_counts_half_a_day() -> None:
    """Percocet 30 mg four times a day is 3.9 g of acetaminophen, and a step of more
    lower-strength tablets goes above 4 g; the same doses every other day average half as
    much a day, and no step goes above."""
    percocet = {
        "drug": "Percocet",
        "form": "ir_tablet",
        "strength": "10 mg",
        "dose": "30 mg",
        "times": ["06:00", "12:00", "18:00", "23:00"],
    }
    assert _messages(_plan(percocet), "acetaminophen-over-4g-in-steps")
    assert _messages(_plan({**percocet, "every_days": 2}), "acetaminophen-over-4g-in-steps") == []

"""A plan's warnings about what its steps do (found by mutation testing): the exact words
of a substitution (its step, date and every strength to prescribe) and of an as-needed
medication (which one), that MME applies to what has a factor, and acetaminophen counted
per day of doses taken every other day and for combination tablets listed after a plain
opioid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from taperplan import TaperPlan, plan_taper, regimen_from_mapping

START = dt.date(2027, 1, 4)
#: Percocet (oxycodone/acetaminophen 10/325 mg) 30 mg four times a day: 3.9 g of acetaminophen.
PERCOCET_30_QID: dict[str, Any] = {
    "drug": "Percocet",
    "form": "ir_tablet",
    "strength": "10 mg",
    "dose": "30 mg",
    "times": ["06:00", "12:00", "18:00", "23:00"],
}


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
    # Each substitute's step note is on its first step only.
    news = [
        (s.index, n.split(" take")[0]) for s in plan.steps for n in s.notes if n.startswith("new:")
    ]
    assert news == [
        (1, "new: oxycodone immediate-release tablets"),
        (27, "new: oxycodone oral solution (measured in mL with an oral syringe)"),
    ]
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
    percocet = PERCOCET_30_QID
    assert _messages(_plan(percocet), "acetaminophen-over-4g-in-steps")
    assert _messages(_plan({**percocet, "every_days": 2}), "acetaminophen-over-4g-in-steps") == []


def test_acetaminophen_counts_a_combination_listed_after_a_plain_opioid() -> None:
    """Morphine ER 15 mg once a day, then Percocet 30 mg four times a day (3.9 g of
    acetaminophen): long-acting first, the morphine stops in step 1; step 2 cuts the
    Percocet to 13 lower-strength tablets, 4,225 mg of acetaminophen a day. The plain
    morphine listed first does not hide the combination tablets after it."""
    morphine = {
        "drug": "morphine",
        "form": "er_tablet",
        "strength": "15 mg",
        "dose": "15 mg",
        "times": ["08:00"],
    }
    percocet = PERCOCET_30_QID
    plan = _plan(morphine, percocet)
    assert [s.cut_drug for s in plan.steps[:2]] == ["morphine", "oxycodone"]
    tablets = sum(u.count for d in plan.steps[1].medications[1].doses for u in d.units)
    assert tablets == 13
    (message,) = _messages(plan, "acetaminophen-over-4g-in-steps")
    assert message.startswith(
        "Acetaminophen from combination tablets reaches 4225 mg/day in step 2, above the 4,000"
    )


def _fentanyl(*strengths: str) -> TaperPlan:
    return _plan(
        *(
            {
                "drug": "fentanyl",
                "form": "patch",
                "strength": strength,
                "dose": strength,
                "times": ["09:00"],
                "every_days": 3,
            }
            for strength in strengths
        ),
        pace="cdc-long-term",
    )


def test_the_last_smallest_patch_stopped_is_warned_about_once() -> None:
    """Fentanyl 25 mcg/h: one 12 mcg/h patch is worn alone 141 days, then stopped."""
    assert _messages(_fentanyl("25 mcg/h"), "smallest-patch-stop") == [
        "The last 12 mcg/h fentanyl patch is stopped after being worn alone for 141 days: no "
        "smaller patch exists, so this last step is larger than the pace's usual cut. The skin "
        "depot delays withdrawal (from about a day after removal); check in after the stop."
    ]


def test_a_smallest_patch_removed_beside_another_is_not_the_last() -> None:
    """Fentanyl 25 mcg/h and 12 mcg/h as two entries: the first cut leaves a 12 mcg/h patch
    of each, the second removes one of them (the other is worn on, alone, 141 days) and
    only then is the last patch stopped: one warning, not two."""
    plan = _fentanyl("25 mcg/h", "12 mcg/h")
    assert [len([m for m in s.medications if m.doses]) for s in plan.steps] == [2, 1, 0]
    assert len(_messages(plan, "smallest-patch-stop")) == 1


def test_as_needed_doses_count_in_the_plans_own_factor_set() -> None:
    """Tramadol as needed, 100 mg up to four times a day: 80 MME/day at the maximum with
    cdc2022 (naloxone advised), but cdc2016 lists no tramadol factor: no MME total, no
    MME warning."""
    as_needed = {
        "drug": "tramadol",
        "form": "ir_tablet",
        "strength": "50 mg",
        "dose": "100 mg",
        "times": ["08:00", "14:00", "20:00"],
        "as_needed": True,
        "max_doses_per_day": 4,
    }
    regimen = regimen_from_mapping({"medication": [as_needed]})
    cdc2022 = plan_taper(regimen, start=START, factors="cdc2022")
    assert _messages(cdc2022, "mme-over-50")
    cdc2016 = plan_taper(regimen, start=START, factors="cdc2016")
    assert _messages(cdc2016, "mme-not-applicable")
    assert not _messages(cdc2016, "mme-over-50")
    assert not _messages(cdc2016, "naloxone")


def test_a_dose_time_a_clock_change_skips_is_warned_about_only_within_the_plan() -> None:
    """Oxycodone IR at 02:30 and 14:00 in New York: a plan from 4 January to 14 March 2027
    meets the spring change (14 March, 02:00 to 03:00) and warns; one from 20 March to 28
    May meets none (the next is in November) and does not."""
    oxycodone = {
        "drug": "oxycodone",
        "form": "ir_tablet",
        "strength": "5 mg",
        "dose": "5 mg",
        "times": ["02:30", "14:00"],
    }
    regimen = regimen_from_mapping({"timezone": "America/New_York", "medication": [oxycodone]})
    winter = plan_taper(regimen, start=dt.date(2027, 1, 4), pace="cdc-short-term")
    assert winter.steps[-1].end == dt.date(2027, 3, 14)
    assert _messages(winter, "dst-dose-time")
    spring = plan_taper(regimen, start=dt.date(2027, 3, 20), pace="cdc-short-term")
    assert spring.steps[-1].end == dt.date(2027, 5, 28)
    assert _messages(spring, "dst-dose-time") == []


def test_a_single_smallest_dose_spaced_then_stopped_is_noted_and_warned_about() -> None:
    """Nucynta ER 50 mg twice a day: the first cut (one 50 mg tablet, above the 20%
    ceiling) is warned about by drug; then the last 50 mg goes to every other day (an
    immediate-release tablet taking it over), and the step says the stop comes next."""
    plan = _plan(
        {
            "drug": "Nucynta",
            "form": "er_tablet",
            "strength": "50 mg",
            "dose": "50 mg",
            "times": ["08:00", "20:00"],
        },
        pace="cdc-long-term",
    )
    assert [s.kind.value for s in plan.steps] == ["cut", "cut", "stop"]
    assert (
        "end: the single smallest dose is now taken every other day; the next step is the stop "
        "(interfaces.md §4a rule 5)"
    ) in plan.steps[1].notes
    (above,) = _messages(plan, "above-ceiling-unit")
    assert above.startswith("Some cuts of tapentadol are larger than the pace's 20% ceiling")


def test_no_cut_above_the_ceiling_no_warning_of_one() -> None:
    plan = _plan(
        {
            "drug": "morphine",
            "form": "oral_solution",
            "strength": "1 mg/mL",
            "dose": "30 mg",
            "times": ["08:00", "20:00"],
        },
        pace="cdc-long-term",
    )
    assert _messages(plan, "above-ceiling-unit") == []


def test_a_start_before_the_opioids_began_names_both_dates() -> None:
    regimen = regimen_from_mapping(
        {
            "context": {"on_opioids_since": "2027-02-01"},
            "medication": [
                {
                    "drug": "oxycodone",
                    "form": "er_tablet",
                    "strength": "20 mg",
                    "dose": "20 mg",
                    "times": ["08:00", "20:00"],
                }
            ],
        }
    )
    assert _messages(plan_taper(regimen, start=START), "start-before-opioids") == [
        "The plan starts on 2027-01-04, before the regimen's on_opioids_since (2027-02-01): "
        "check both dates. The default pace treats this as long-term use (the slower pace)."
    ]


def test_acetaminophen_of_exactly_the_maximum_is_not_above_it() -> None:
    """Co-codamol 15/500 mg, two tablets four times a day, at uk-opioids-aware: step 1 takes
    ten tablets (5,000 mg), step 2 eight (4,000 mg, the maximum itself): only step 1 is
    named."""
    plan = _plan(
        {
            "drug": "codeine",
            "form": "ir_tablet",
            "strength": "15 mg",
            "combination": "acetaminophen 500 mg",
            "dose": "30 mg",
            "times": ["08:00", "12:00", "17:00", "22:00"],
        },
        pace="uk-opioids-aware",
    )
    tablets = [
        sum(u.count for m in s.medications for d in m.doses for u in d.units)
        for s in plan.steps[:2]
    ]
    assert tablets == [10, 8]
    (message,) = _messages(plan, "acetaminophen-over-4g-in-steps")
    assert message.startswith(
        "Acetaminophen from combination tablets reaches 5000 mg/day in step 1, above the 4,000"
    )

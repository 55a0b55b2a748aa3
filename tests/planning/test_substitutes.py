"""What a plan says of its substitutes (found by mutation testing): a finer product
replaces only the regimen's own products of its drug, never another substitute."""

from __future__ import annotations

import datetime as dt

from taperplan import TaperPlan, plan_taper, regimen_from_mapping

START = dt.date(2027, 1, 4)


def test_a_substitute_replaces_only_its_own_drugs_regimen_products() -> None:
    """Morphine ER 30 mg twice a day with oxycodone IR 5 mg twice a day: morphine IR
    tablets and then morphine solution take over part of the morphine; each replaces the
    morphine ER only (the solution, though finer than the morphine IR tablets, does not
    replace that substitute; nor the oxycodone)."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "er_tablet",
                    "strength": "30 mg",
                    "dose": "30 mg",
                    "times": ["08:00", "20:00"],
                },
                {
                    "drug": "oxycodone",
                    "form": "ir_tablet",
                    "strength": "5 mg",
                    "dose": "5 mg",
                    "times": ["12:00", "17:00"],
                },
            ]
        }
    )
    plan = plan_taper(regimen, start=START, pace="cdc-long-term")
    assert [(s.index, s.product.name, s.replaces) for s in plan.substitutes] == [
        (2, "morphine ir_tablet", (0,)),
        (3, "morphine oral_solution", (0,)),
    ]


def _doses(plan: TaperPlan, steps: int) -> list[list[tuple[str, str, list[str]]]]:
    return [
        [
            (f"{d.time:%H:%M}", str(d.amount), [str(u.strength) for u in d.units])
            for m in step.medications
            for d in m.doses
        ]
        for step in plan.steps[:steps]
    ]


def test_a_solution_takes_over_a_tablet_dose_whole_with_banded_factors_too() -> None:
    """Methadone 5 mg tablets twice a day: the solution takes over the morning dose whole
    (4 mg of 1 mg/mL, not half a tablet and 1.5 mg of solution: one product a dose).
    With cdc2016's methadone bands every move comes from the full lists, not the
    arithmetic of the nearest one; the doses are the same as with cdc2022."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "methadone",
                    "form": "ir_tablet",
                    "strength": "5 mg",
                    "dose": "5 mg",
                    "times": ["08:00", "20:00"],
                }
            ]
        }
    )
    banded = plan_taper(regimen, start=START, pace="cdc-long-term", factors="cdc2016")
    assert _doses(banded, 2) == [
        [("20:00", "5 mg", ["5 mg"]), ("08:00", "4 mg", ["1 mg/mL"])],
        [("20:00", "5 mg", ["5 mg"]), ("08:00", "3.5 mg", ["1 mg/mL"])],
    ]
    linear = plan_taper(regimen, start=START, pace="cdc-long-term", factors="cdc2022")
    assert _doses(linear, 6) == _doses(banded, 6)


def test_a_plans_only_substitute_is_numbered_right_after_the_regimens_products() -> None:
    """Morphine ER 15 mg twice a day: only the oral solution takes over (not the IR
    tablets, which come first among the finer products): it is medication 1, right after
    the ER, in the substitutes and in every step."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "er_tablet",
                    "strength": "15 mg",
                    "dose": "15 mg",
                    "times": ["08:00", "20:00"],
                }
            ]
        }
    )
    plan = plan_taper(regimen, start=START, pace="cdc-long-term")
    assert [(s.index, s.product.name) for s in plan.substitutes] == [(1, "morphine oral_solution")]
    assert {m.index for s in plan.steps for m in s.medications} == {0, 1}

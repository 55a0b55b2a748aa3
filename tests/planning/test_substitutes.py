"""What a plan says of its substitutes (found by mutation testing): a finer product
replaces only the regimen's own products of its drug, never another substitute."""

from __future__ import annotations

import datetime as dt

from taperplan import plan_taper, regimen_from_mapping

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

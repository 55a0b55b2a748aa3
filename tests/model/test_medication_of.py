"""``Medication.of`` builds the same medication as a regimen file, without the reader."""

from __future__ import annotations

from typing import Any

import pytest

from taperplan import (
    CatalogueError,
    Medication,
    QuantityError,
    regimen_from_mapping,
)

ENTRIES: list[dict[str, Any]] = [
    {
        "drug": "morphine",
        "form": "ir_tablet",
        "strength": "15 mg",
        "times": ["08:00"],
        "dose": "7.5 mg",
    },
    {
        "drug": "fentanyl",
        "form": "patch",
        "strength": ["12 mcg/h", "25 mcg/h"],
        "times": ["08:00"],
        "dose": "37 mcg/h",
    },
    {
        "drug": "hydrocodone",
        "form": "ir_tablet",
        "strength": "10 mg",
        "times": ["08:00", "20:00"],
        "doses": ["10 mg", "5 mg"],
    },
    {
        "drug": "oxycodone",
        "form": "er_tablet",
        "strength": "20 mg",
        "times": ["08:00", "20:00"],
        "dose": "20 mg",
        "split": False,
        "available": ["10 mg", "20 mg"],
    },
    {
        "drug": "morphine",
        "form": "oral_solution",
        "strength": "2 mg/ml",
        "times": ["08:00", "14:00", "20:00"],
        "dose": "5 mg",
        "every_days": 2,
    },
]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e['drug']}-{e['form']}")
def test_of_equals_the_regimen_reader(entry: dict[str, Any]) -> None:
    values = dict(entry)
    built = Medication.of(values.pop("drug"), values.pop("form"), values.pop("strength"), **values)
    assert built == regimen_from_mapping({"medication": [entry]}).medications[0]


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"drug": "oxycodon"}, CatalogueError, "oxycodone"),
        ({"form": "pill"}, ValueError, "pill"),
        ({"dose": "20 kg"}, QuantityError, "kg"),
        ({"times": ["8am"]}, ValueError, "HH:MM"),
        ({"doses": ["20 mg"]}, ValueError, "not both"),
    ],
)
def test_of_names_the_bad_value(change: dict[str, Any], error: type[Exception], words: str) -> None:
    values: dict[str, Any] = {
        "drug": "oxycodone",
        "form": "er_tablet",
        "strength": "20 mg",
        "times": ["08:00", "20:00"],
        "dose": "20 mg",
    } | change
    with pytest.raises(error, match=words):
        Medication.of(values.pop("drug"), values.pop("form"), values.pop("strength"), **values)

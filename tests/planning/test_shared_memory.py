"""The planner's shared memory stays bounded (found by mutation testing): past the bound
on states remembered, the least recently used half of the families forget theirs, and
plans made afterwards are the same."""

from __future__ import annotations

import datetime as dt

import pytest

from support import forget_shared_memory
from taperplan import plan_taper, regimen_from_mapping
from taperplan.formats.json import plan_to_dict, to_json
from taperplan.planning import _families  # a private knob

START = dt.date(2027, 1, 4)
DRUGS = [
    ("morphine", "er_tablet", "15 mg"),
    ("oxycodone", "er_tablet", "10 mg"),
    ("hydromorphone", "ir_tablet", "2 mg"),
    ("tapentadol", "ir_tablet", "50 mg"),
]


def _plan(drug: str, form: str, strength: str) -> str:
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": drug,
                    "form": form,
                    "strength": strength,
                    "dose": strength,
                    "times": ["08:00", "20:00"],
                }
            ]
        }
    )
    return to_json(plan_to_dict(plan_taper(regimen, start=START)))


def test_past_the_bound_the_least_recently_used_half_forget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forget_shared_memory()
    before = [_plan(*drug) for drug in DRUGS]
    families = list(_families._FAMILIES.values())
    assert len(families) == len(DRUGS)
    assert all(f.size() for f in families)
    monkeypatch.setattr(_families, "MAX_STATES", 0)
    monkeypatch.setattr(_families, "_CALLS", [63])  # the next use checks the bound
    with _families._LOCK:
        _families._keep_bounded()
    assert [f.size() == 0 for f in families] == [True, True, False, False]
    assert [_plan(*drug) for drug in DRUGS] == before

"""The plan JSON against its published contract: ``data/plan.schema.json`` (JSON Schema
2020-12) and the shape of interfaces.md §4."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from hypothesis import event, given
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from plan_invariants import plan_json
from strategies import PlanningCase, planning_cases
from taperplan import InvalidPlanDataError, PlanningError, load_regimen, plan_taper
from taperplan.formats.json import plan_from_dict, plan_to_json

SAMPLE = resources.files("taperplan") / "data" / "sample-regimen.toml"


def schema() -> dict[str, Any]:
    """The packaged plan schema."""
    text = (resources.files("taperplan") / "data" / "plan.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


VALIDATOR = Draft202012Validator(schema())


def sample_plan() -> dict[str, Any]:
    """The §1 sample regimen planned from 2027-01-04, as JSON."""
    return plan_json(plan_taper(load_regimen(str(SAMPLE)), start=dt.date(2027, 1, 4)))


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    """The packaged schema is itself valid JSON Schema 2020-12 and names the plan schema."""
    data = schema()
    Draft202012Validator.check_schema(data)
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert data["properties"]["schema"] == {"const": "taperplan.plan/1"}


@given(planning_cases())
def test_plans_of_random_regimens_validate_against_the_schema(case: PlanningCase) -> None:
    """Every plan of a random regimen, pace and start date validates against the schema,
    read as a client reads it (floats) and as load_plan reads it (exact Decimals)."""
    try:
        plan = plan_taper(
            case.regimen, start=case.start, pace=case.pace, supervised=case.supervised
        )
    except PlanningError:
        event("no plan")
        return
    event("validated")
    VALIDATOR.validate(plan_json(plan))
    VALIDATOR.validate(json.loads(plan_to_json(plan), parse_float=Decimal))


def test_sample_plan_has_the_section_4_shape() -> None:
    """The sample plan carries the §4 keys: schema, pace, timezone, baseline, steps, warnings,
    adjuncts, with the documented fields and types."""
    data = sample_plan()
    VALIDATOR.validate(data)
    assert data["schema"] == "taperplan.plan/1"
    assert {"name", "max_step_fraction", "source"} <= set(data["pace"])
    pace = data["pace"]
    assert (pace["name"], pace["max_step_fraction"], pace["source"]) == ("va-slower", 0.2, "VA-TDT")
    assert data["timezone"] == "America/New_York"
    baseline = data["baseline"]
    assert baseline["total_mme_per_day"] == 60.0
    (medication,) = baseline["medications"]
    assert {k: medication[k] for k in ("drug", "form", "daily_amount", "unit", "mme_per_day")} == {
        "drug": "oxycodone",
        "form": "er_tablet",
        "daily_amount": 40.0,
        "unit": "mg",
        "mme_per_day": 60.0,
    }
    assert medication["smallest_unit"] == {"amount": 10.0, "unit": "mg"}
    assert [
        {k: a[k] for k in ("time", "amount", "unit", "every_days")}
        for a in medication["administrations"]
    ] == [
        {"time": "08:00", "amount": 20.0, "unit": "mg", "every_days": 1},
        {"time": "20:00", "amount": 20.0, "unit": "mg", "every_days": 1},
    ]
    assert [
        {k: u[k] for k in ("strength", "count")} for u in medication["administrations"][0]["units"]
    ] == [{"strength": "20 mg", "count": 1.0}]
    first = data["steps"][0]
    step_keys = {
        "index",
        "start",
        "end",
        "total_mme_per_day",
        "medications",
        "withdrawal_window",
        "check_in",
    }
    assert step_keys <= set(first)
    assert (first["index"], first["start"], first["end"]) == (0, "2027-01-04", "2027-01-31")
    assert {"start", "end"} <= set(first["withdrawal_window"])
    assert all({"code", "message"} <= set(w) for w in data["warnings"])
    assert isinstance(data["adjuncts"], list)
    assert all({"category", "name", "reason", "source"} <= set(a) for a in data["adjuncts"])


def test_sample_plan_steps_have_the_documented_types() -> None:
    """Dates are ISO text, numbers are numbers, a cut step's window is an object."""
    for step in sample_plan()["steps"]:
        dt.date.fromisoformat(step["start"])
        dt.date.fromisoformat(step["end"])
        dt.date.fromisoformat(step["check_in"])
        assert isinstance(step["total_mme_per_day"], float)
        assert isinstance(step["withdrawal_window"], dict)


def breakages() -> list[tuple[str, Any]]:
    """Ways to break a valid plan JSON: (description, function that breaks it)."""

    def set_at(path: tuple[Any, ...], value: Any) -> Any:
        def apply(data: dict[str, Any]) -> None:
            target: Any = data
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return apply

    def delete(path: tuple[Any, ...]) -> Any:
        def apply(data: dict[str, Any]) -> None:
            target: Any = data
            for key in path[:-1]:
                target = target[key]
            del target[path[-1]]

        return apply

    return [
        ("wrong schema name", set_at(("schema",), "taperplan.plan/2")),
        ("no steps", set_at(("steps",), [])),
        ("a step without a start", delete(("steps", 0, "start"))),
        ("a date that is not ISO", set_at(("steps", 0, "end"), "31/01/2027")),
        ("a negative total", set_at(("steps", 0, "total_mme_per_day"), -1.0)),
        ("a cap above 1", set_at(("pace", "max_step_fraction"), 1.5)),
        ("an unknown form", set_at(("baseline", "medications", 0, "form"), "lozenge")),
        (
            "a dose at 25:00",
            set_at(("baseline", "medications", 0, "administrations", 0, "time"), "25:00"),
        ),
        (
            "every_days 0",
            set_at(("baseline", "medications", 0, "administrations", 0, "every_days"), 0),
        ),
        ("a warning without a code", delete(("warnings", 0, "code"))),
        ("a window that is text", set_at(("steps", 0, "withdrawal_window"), "soon")),
        ("no adjuncts", delete(("adjuncts",))),
        ("no regimen", delete(("regimen",))),
        ("a regimen without medication", set_at(("regimen", "medication"), [])),
        ("a regimen dose without a unit", set_at(("regimen", "medication", 0, "dose"), "20")),
        ("a step without its id", delete(("steps", 0, "id"))),
        ("a step of an unknown kind", set_at(("steps", 0, "kind"), "hold")),
        ("a medication without its product", delete(("baseline", "medications", 0, "product"))),
        (
            "splittable as text",
            set_at(("baseline", "medications", 0, "splittable"), "no"),
        ),
        (
            "a strength without a unit",
            set_at(
                ("baseline", "medications", 0, "administrations", 0, "units", 0, "strength"), "20"
            ),
        ),
        ("a pace without min_step_days", delete(("pace", "min_step_days"))),
        ("a negative revision", set_at(("revision",), -1)),
        ("an unknown factor set", set_at(("factor_set",), "cdc1999")),
    ]


@pytest.mark.parametrize(("what", "breaker"), breakages(), ids=[b[0] for b in breakages()])
def test_schema_rejects_broken_plans(what: str, breaker: Any) -> None:
    """The schema is strict enough to catch a broken plan (so validating means something)."""
    data = copy.deepcopy(sample_plan())
    breaker(data)
    with pytest.raises(ValidationError):
        VALIDATOR.validate(data)


#: Top-level keys the schema requires and load_plan needs (the disclaimer is only read by people).
LOADED_KEYS = sorted(set(schema()["required"]) - {"disclaimer"})


@pytest.mark.parametrize("key", LOADED_KEYS)
def test_schema_and_load_plan_agree_on_required_keys(key: str) -> None:
    """Without any key the schema requires, the schema rejects the document and load_plan
    names that key (the two contracts describe the same document)."""
    data = json.loads(
        plan_to_json(plan_taper(load_regimen(str(SAMPLE)), start=dt.date(2027, 1, 4)))
    )
    del data[key]
    with pytest.raises(ValidationError):
        VALIDATOR.validate(data)
    with pytest.raises(InvalidPlanDataError) as caught:
        plan_from_dict(data)
    assert key in {p.path for p in caught.value.problems}


def test_sample_plan_carries_what_rebuilds_it() -> None:
    """The extended keys: id, revision, start, the full pace, order, factor set, the regimen
    in the regimen file's shape, and per step its id, kind, cut and profile."""
    data = sample_plan()
    assert data["id"].startswith("tp-")
    assert (data["revision"], data["start"], data["order"], data["factor_set"]) == (
        0,
        "2027-01-04",
        "long-acting-first",
        "cdc2022",
    )
    assert data["regimen"] == {
        "timezone": "America/New_York",
        "context": {"on_opioids_since": "2021-03-01", "benzodiazepines": False},
        "medication": [
            {
                "drug": "oxycodone",
                "form": "er_tablet",
                "strength": "20 mg",
                "times": ["08:00", "20:00"],
                "dose": "20 mg",
            }
        ],
        "pace": {"preset": "va-slower"},
    }
    assert data["pace"]["basis"] == "current"
    assert data["pace"]["min_step_days"] == 5
    first = data["steps"][0]
    assert (first["kind"], first["cut_drug"], first["withdrawal_profile"]) == (
        "cut",
        "oxycodone",
        "long-acting",
    )
    assert first["cut_fraction"] == 0.125
    medication = data["baseline"]["medications"][0]
    assert (medication["index"], medication["product"], medication["splittable"]) == (
        0,
        "oxycodone er_tablet",
        False,
    )


def test_steps_carry_their_number_for_people() -> None:
    """Each step's ``number`` is its index + 1 (issue 12 item 3: the table, calendar, handout
    and FHIR count from 1); a plan written before ``number`` existed still loads, and a wrong
    number is refused with its path."""
    plan = plan_taper(load_regimen(str(SAMPLE)), start=dt.date(2027, 1, 4))
    text = plan_to_json(plan)
    data = json.loads(text, parse_float=Decimal)
    assert [s["number"] for s in data["steps"]] == [s["index"] + 1 for s in data["steps"]]
    for step in data["steps"]:
        del step["number"]
    assert plan_from_dict(data) == plan
    data["steps"][2]["number"] = 9
    with pytest.raises(InvalidPlanDataError) as caught:
        plan_from_dict(data)
    assert [p.path for p in caught.value.problems] == ["steps[2].number"]

"""Rotation plans (issue 14 item 1): named tables, the cross-tolerance cut, a staged
or direct switch with both drugs in every step, and the sources' refusals."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import rotation_cases
from taperplan import regimen_from_mapping
from taperplan.cli.main import main
from taperplan.errors import InitiationOptionError, TaperplanError
from taperplan.formats.fhir import plan_to_fhir
from taperplan.formats.handout import plan_to_handout
from taperplan.formats.ics import plan_to_ics
from taperplan.formats.json import plan_from_json, plan_to_json
from taperplan.model.plan import PlanKind, TaperPlan
from taperplan.prescribing import prescriptions
from taperplan.switching import plan_rotation

START = dt.date(2027, 1, 4)
SCHEMA = json.loads(
    resources.files("taperplan").joinpath("data", "plan.schema.json").read_text(encoding="utf-8")
)


def _morphine_er(mg_per_dose: str) -> dict[str, Any]:
    return {
        "timezone": "America/New_York",
        "medication": [
            {
                "drug": "morphine",
                "form": "er_tablet",
                "strength": "60 mg" if mg_per_dose == "60 mg" else "15 mg",
                "dose": mg_per_dose,
                "times": ["08:00", "20:00"],
            }
        ],
    }


MORPHINE_120 = _morphine_er("60 mg")


def _rotate(to: str, mapping: dict[str, Any] | None = None, **options: Any) -> TaperPlan:
    return plan_rotation(regimen_from_mapping(mapping or MORPHINE_120), to, start=START, **options)


def _daily(plan: TaperPlan, index: int) -> list[Decimal]:
    found = []
    for step in plan.steps:
        part = next(p for p in step.medications if p.index == index)
        found += [part.daily_amount.amount] * step.days
    return found


@pytest.mark.parametrize(
    ("table", "patch"),
    [("label-rotation", "25"), ("label-stable", "50"), ("two-to-one", "60")],
)
def test_the_patch_tables_disagree_as_the_reference_says(table: str, patch: str) -> None:
    """120 mg/day of oral morphine: 25, 50 or 60 mcg/h by the table chosen (R3), with no
    further cut; the plan records the table."""
    plan = _rotate("fentanyl", patch_table=table)
    assert plan.kind is PlanKind.ROTATION
    assert plan.conversion is not None
    assert plan.conversion.table == table
    assert plan.conversion.calculated_daily_amount == Decimal(patch)
    assert plan.conversion.cross_tolerance_reduction == 0
    assert plan.conversion.unit == "mcg/h"
    assert plan.conversion.target_daily_amount <= Decimal(patch)


def test_to_oxycodone_by_msd_with_the_high_dose_cut() -> None:
    """MSD: morphine 30 = oxycodone 20, so 120 mg/day is 80 mg/day of oxycodone; at 90
    MME/day or more the cut is 50% (Fine & Portenoy): 40 mg/day of immediate-release
    oxycodone, reached in four weekly quarters while morphine comes down."""
    plan = _rotate("oxycodone")
    assert plan.conversion is not None
    assert plan.conversion.calculated_daily_amount == 80
    assert plan.conversion.cross_tolerance_reduction == Decimal("0.5")
    assert plan.conversion.target_daily_amount == 40
    morphine, oxycodone = _daily(plan, 0), _daily(plan, 1)
    assert [morphine[d] for d in (0, 7, 14, 21)] == [90, 60, 30, 0]
    assert [oxycodone[d] for d in (0, 7, 14, 21)] == [10, 20, 30, 40]
    codes = {w.code for w in plan.warnings}
    assert {"rotation-conversion", "rotation-rescue", "rotation-tolerance-check"} <= codes
    assert plan.steps[0].check_ins == (START, START + dt.timedelta(days=2))


def test_to_methadone_by_the_table_chosen() -> None:
    """msd-modified: 8:1 at 120 mg/day (15 mg), then 75–90% less; ccdhb: 8:1 then its own
    25–50%. Methadone warnings come with both."""
    msd = _rotate("methadone")
    ccdhb = _rotate("methadone", methadone_table="ccdhb")
    assert msd.conversion is not None
    assert ccdhb.conversion is not None
    assert msd.conversion.calculated_daily_amount == 15
    assert msd.conversion.cross_tolerance_reduction == Decimal("0.9")
    assert ccdhb.conversion.cross_tolerance_reduction == Decimal("0.5")
    assert ccdhb.conversion.target_daily_amount == Decimal("7.5")
    assert "rotation-methadone" in {w.code for w in msd.warnings}


def test_a_cut_the_clinician_chooses_within_the_range() -> None:
    plan = _rotate("oxycodone", cut=25)
    assert plan.conversion is not None
    assert plan.conversion.target_daily_amount == 60
    assert "chosen by the clinician" in plan.conversion.reason


def test_refusals_name_every_problem_at_once() -> None:
    """Codeine to a patch (BC Cancer), a cut outside the range and a staged switch of
    three weeks (33% a week) are refused together; methadone and patches are never
    converted from."""
    codeine = {
        "medication": [
            {
                "drug": "codeine",
                "form": "ir_tablet",
                "strength": "30 mg",
                "dose": "60 mg",
                "times": ["08:00", "14:00", "20:00"],
            }
        ]
    }
    with pytest.raises(InitiationOptionError) as caught:
        _rotate("fentanyl", codeine, weeks=3, cut=40)
    assert [p.path for p in caught.value.problems] == ["to", "weeks", "cut"]
    methadone = {
        "medication": [
            {
                "drug": "methadone",
                "form": "ir_tablet",
                "strength": "10 mg",
                "dose": "10 mg",
                "times": ["08:00", "20:00"],
            }
        ]
    }
    with pytest.raises(InitiationOptionError, match="not converted back"):
        _rotate("oxycodone", methadone)
    with pytest.raises(InitiationOptionError, match="initiation"):
        _rotate("buprenorphine")


def test_json_round_trip_schema_and_exports() -> None:
    """The plan JSON carries "kind": "rotation" and the conversion (interfaces.md §8),
    holds the schema and reads back equal; every export shows both drugs."""
    plan = _rotate("oxycodone")
    text = plan_to_json(plan)
    document = json.loads(text)
    jsonschema.validate(document, SCHEMA)
    assert document["kind"] == "rotation"
    assert document["conversion"]["table"] == "msd"
    assert document["conversion"]["cross_tolerance_reduction"] == 0.5
    assert plan_from_json(text) == plan
    ics = plan_to_ics(plan, dtstamp=dt.datetime(2027, 1, 1, tzinfo=dt.UTC)).decode()
    assert "Rotation plan" in ics
    assert "Oxycodone IR" in ics
    bundle = plan_to_fhir(plan)
    names = {
        e["resource"]["text"]["div"].split("</")[0]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest"
    }
    assert len(names) == 2
    assert "oxycodone" in plan_to_handout(plan, generated_on=dt.date(2027, 1, 1))
    assert len({item.product.name for fill in prescriptions(plan) for item in fill.items}) == 2


@given(rotation_cases())
def test_every_rotation_keeps_its_rules(case: tuple[dict[str, Any], str, dict[str, Any]]) -> None:
    """Any convertible regimen to any target: a plan or a clean refusal. A plan moves
    the old drugs only down and the new one only up, ends on the new drug alone at its
    target, never above the table's dose less the cut, with every dose made exactly of
    its units and steps that follow each other."""
    mapping, to, options = case
    regimen = regimen_from_mapping(mapping)
    try:
        plan = plan_rotation(regimen, to, start=START, **options)
    except TaperplanError:
        return
    conversion = plan.conversion
    assert conversion is not None
    ceiling = conversion.calculated_daily_amount * (1 - conversion.cross_tolerance_reduction)
    assert conversion.target_daily_amount <= ceiling + Decimal("0.01")
    new = len(regimen.medications)
    for index in range(new):
        daily = _daily(plan, index)
        assert all(b <= a for a, b in itertools.pairwise(daily))
        assert daily[-1] == 0
    rising = _daily(plan, new)
    assert all(b >= a for a, b in itertools.pairwise(rising))
    assert rising[-1] == conversion.target_daily_amount
    day = START
    for step in plan.steps:
        assert step.start == day
        day = step.end + dt.timedelta(days=1)
        for part in step.medications:
            for dose in part.doses:
                assert sum(u.amount.amount for u in dose.units) == dose.amount.amount


@pytest.mark.parametrize("to", ["oxycodone", "hydromorphone", "methadone", "fentanyl"])
def test_the_new_dose_rises_with_the_current_one_or_a_cliff_is_named(to: str) -> None:
    """Within one table, a higher current dose never gets less of the new opioid, unless
    the plan names the cliff (a band edge, or the cut's high-dose threshold)."""
    cliffs = {"rotation-band-edge", "rotation-cut-edge"}
    previous: TaperPlan | None = None
    for mg in range(15, 400, 15):
        mapping = {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "ir_tablet",
                    "strength": "15 mg",
                    "dose": f"{mg} mg",
                    "times": ["08:00"],
                }
            ]
        }
        try:
            plan = _rotate(to, mapping, method="direct")
        except TaperplanError:
            continue
        assert plan.conversion is not None
        before = None if previous is None else previous.conversion
        if before is not None and plan.conversion.target_daily_amount < before.target_daily_amount:
            assert previous is not None
            named = {w.code for w in (*plan.warnings, *previous.warnings)}
            assert named & cliffs, (mg, to)
        previous = plan


def test_the_command_line_rotates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`taperplan rotate` prints the conversion and writes the JSON; a refusal exits 2
    with every problem and no traceback."""
    regimen = tmp_path / "regimen.toml"
    regimen.write_text(
        'timezone = "America/New_York"\n[[medication]]\ndrug = "morphine"\nform = "er_tablet"\n'
        'strength = "60 mg"\ndose = "60 mg"\ntimes = ["08:00", "20:00"]\n',
        encoding="utf-8",
    )
    saved = tmp_path / "plan.json"
    argv = ["rotate", str(regimen), "--to", "oxycodone", "--start", "2027-01-04"]
    assert main([*argv, "--json", str(saved)]) == 0
    out, _ = capsys.readouterr()
    assert "Conversion: 120 mg/day of oral morphine (msd) gives 80 mg/day" in out
    assert json.loads(saved.read_text(encoding="utf-8"))["conversion"]["target_daily_amount"] == 40
    assert main([*argv, "--weeks", "2", "--cut", "70"]) == 2
    _, err = capsys.readouterr()
    assert "weeks" in err
    assert "cut" in err
    assert "Traceback" not in err


def _morphine_solution(mg: int) -> dict[str, Any]:
    """Oral morphine solution, ``mg`` once a day: any whole mg/day can be given."""
    return {
        "medication": [
            {
                "drug": "morphine",
                "form": "oral_solution",
                "strength": "2 mg/mL",
                "dose": f"{mg} mg",
                "times": ["08:00"],
            }
        ]
    }


TARGETS = [
    ("oxycodone", {}),
    ("hydromorphone", {"table": "alberta-2020"}),
    *[
        ("methadone", {"methadone_table": name})
        for name in ("msd-modified", "ccdhb", "aps-2014", "fudin")
    ],
    *[
        ("fentanyl", {"patch_table": name})
        for name in ("label-rotation", "label-stable", "canada-2010", "two-to-one")
    ],
]
CLIFFS = {"rotation-band-edge", "rotation-cut-edge"}


@given(
    st.integers(min_value=20, max_value=600),
    st.integers(min_value=1, max_value=120),
    st.sampled_from(TARGETS),
)
def test_more_morphine_never_gets_less_unless_a_cliff_is_named(
    low: int, more: int, target: tuple[str, dict[str, Any]]
) -> None:
    """Within one table a higher current dose gets at least as much of the new opioid,
    or one of the two plans names the cliff; aps-2014 never gives above its 40 mg cap."""
    to, options = target
    plans = []
    for mg in (low, low + more):
        try:
            plans.append(_rotate(to, _morphine_solution(mg), method="direct", **options))
        except TaperplanError:
            return
    first, second = plans
    assert first.conversion is not None
    assert second.conversion is not None
    if second.conversion.target_daily_amount < first.conversion.target_daily_amount:
        named = {w.code for w in (*first.warnings, *second.warnings)}
        assert named & CLIFFS, (low, low + more, to, options)
    if options.get("methadone_table") == "aps-2014":
        assert second.conversion.target_daily_amount <= 40


def test_the_methadone_three_day_switch_in_thirds() -> None:
    """Days 1–3 a third of the methadone with two thirds of the morphine, days 4–6 the
    reverse, from day 7 methadone alone (ccdhb: 7.5 mg/day); low confidence, named."""
    plan = _rotate("methadone", method="three-day", methadone_table="ccdhb")
    morphine, methadone = _daily(plan, 0), _daily(plan, 1)
    assert methadone[6] == Decimal("7.5")
    assert morphine[6] == 0
    assert 0 < methadone[0] < methadone[3] < methadone[6]
    assert morphine[0] > morphine[3] > 0
    assert "rotation-three-day" in {w.code for w in plan.warnings}
    with pytest.raises(InitiationOptionError, match="for methadone"):
        _rotate("oxycodone", method="three-day")


def test_review_findings_in_rotations_stay_fixed() -> None:
    """An as-needed drug converts at the doses taken, not its maximum; a drug is not
    rotated to itself; a staged switch to a patch moves in whole patch changes."""
    as_needed = {
        "medication": [
            {
                "drug": "oxycodone",
                "form": "ir_tablet",
                "strength": "5 mg",
                "dose": "5 mg",
                "times": ["08:00"],
                "as_needed": True,
                "max_doses_per_day": 6,
            }
        ]
    }
    plan = _rotate("morphine", as_needed)
    assert plan.conversion is not None
    assert plan.conversion.morphine_mg_per_day == Decimal("7.5")
    with pytest.raises(InitiationOptionError, match="already takes oxycodone"):
        _rotate(
            "oxycodone:oral_solution",
            {
                "medication": [
                    {
                        "drug": "oxycodone",
                        "form": "ir_tablet",
                        "strength": "5 mg",
                        "dose": "5 mg",
                        "times": ["08:00"],
                    }
                ]
            },
        )
    patch = _rotate("fentanyl")
    assert all(step.days % 3 == 0 for step in patch.steps)

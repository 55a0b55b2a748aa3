"""Low-dose buprenorphine initiation (issue 14 item 2): the published protocols come
out day by day as published, with the full agonist alongside, through every export."""

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

from strategies import initiation_cases
from taperplan import RefusedError, regimen_from_mapping
from taperplan.cli.main import main
from taperplan.errors import CatalogueError, InitiationOptionError
from taperplan.formats.csv import plan_to_csv
from taperplan.formats.fhir import plan_to_fhir
from taperplan.formats.handout import plan_to_handout
from taperplan.formats.ics import plan_to_ics
from taperplan.formats.json import plan_from_json, plan_to_json
from taperplan.model.plan import PlanKind, StepKind, TaperPlan
from taperplan.planning import plan_taper
from taperplan.prescribing import prescriptions
from taperplan.reference.initiation import protocol
from taperplan.switching import hold_day, plan_buprenorphine_initiation

START = dt.date(2027, 1, 4)
#: The issue's example: oxycodone ER 40 mg twice daily.
OXYCODONE_ER_40_BID: dict[str, Any] = {
    "timezone": "America/New_York",
    "medication": [
        {
            "drug": "oxycodone",
            "form": "er_tablet",
            "strength": "40 mg",
            "dose": "40 mg",
            "times": ["08:00", "20:00"],
        }
    ],
}
SCHEMA = json.loads(
    resources.files("taperplan").joinpath("data", "plan.schema.json").read_text(encoding="utf-8")
)


def _plan(protocol: str = "vancouver-7d", **options: Any) -> TaperPlan:
    regimen = regimen_from_mapping(OXYCODONE_ER_40_BID)
    return plan_buprenorphine_initiation(regimen, protocol, start=START, **options)


def _daily(plan: TaperPlan, drug: str) -> list[Decimal]:
    """The drug's daily amount on each day of the plan, in order."""
    found = []
    for step in plan.steps:
        part = next(p for p in step.medications if p.product.drug.name == drug)
        found += [part.daily_amount.amount] * step.days
    return found


def _bup_doses(plan: TaperPlan) -> list[tuple[Decimal, int]]:
    """(buprenorphine mg per dose, doses a day) on each day."""
    found = []
    for step in plan.steps:
        part = next(p for p in step.medications if p.product.form.value == "sl_tablet")
        if part.doses:
            found += [(part.doses[0].amount.amount, len(part.doses))] * step.days
        else:
            found += [(Decimal(0), 0)] * step.days
    return found


def test_vancouver_comes_out_as_published() -> None:
    """Days 1–8 as Randhawa 2020 gives them; the full agonist unchanged through day 6 and
    stopped on day 7; then 16 mg once daily to the first review."""
    plan = _plan()
    assert plan.kind is PlanKind.INITIATION
    assert plan.protocol is not None
    assert plan.protocol.low_confidence
    doses = _bup_doses(plan)
    published = [
        ("0.5", 1),
        ("0.5", 2),
        ("1", 2),
        ("2", 2),
        ("3", 2),
        ("4", 2),
        ("12", 1),
        ("16", 1),
    ]
    assert doses[:8] == [(Decimal(a), n) for a, n in published]
    assert set(doses[8:]) == {(Decimal(16), 1)}
    oxycodone = _daily(plan, "oxycodone")
    assert oxycodone[:6] == [Decimal(80)] * 6
    assert set(oxycodone[6:]) == {Decimal(0)}
    assert all(step.kind is StepKind.CHANGE for step in plan.steps)
    codes = {w.code for w in plan.warnings}
    assert {"initiation-protocol", "initiation-hold", "precipitated-withdrawal"} <= codes
    assert {"initiation-low-confidence", "naloxone", "tolerance-loss"} <= codes


def test_quarter_tablets_make_the_first_doses() -> None:
    """0.5 mg is a quarter of a 2 mg tablet, 3 mg one and a half (JABFM: 1/4 tablet)."""
    first, fifth = _plan().steps[0], _plan().steps[4]
    (unit,) = first.medications[-1].doses[0].units
    assert (unit.strength.amount, unit.count) == (Decimal(2), Decimal("0.25"))
    (unit,) = fifth.medications[-1].doses[0].units
    assert unit.count == Decimal("1.5")


def test_jabfm_tapers_the_full_agonist_a_quarter_a_week() -> None:
    """No change through day 6; from day 7, 25% of the starting dose less each week
    (60, 40, 20 mg/day), stopped after four weeks; buprenorphine at the prescriber's dose."""
    plan = _plan("jabfm-outpatient", maintenance="12 mg")
    oxycodone = _daily(plan, "oxycodone")
    assert oxycodone[:6] == [Decimal(80)] * 6
    assert oxycodone[6:13] == [Decimal(60)] * 7
    assert oxycodone[13:20] == [Decimal(40)] * 7
    assert oxycodone[20:27] == [Decimal(20)] * 7
    assert set(oxycodone[27:]) == {Decimal(0)}
    doses = _bup_doses(plan)
    published = [("0.5", 1), ("0.5", 2), ("1", 2), ("2", 2), ("2", 3), ("4", 3)]
    assert doses[:6] == [(Decimal(a), n) for a, n in published]
    assert set(doses[6:]) == {(Decimal(12), 1)}


def test_refusals_name_every_problem_at_once() -> None:
    """A missing maintenance dose and a regimen that has buprenorphine already: both."""
    mapping = {
        "medication": [
            *OXYCODONE_ER_40_BID["medication"],
            {
                "drug": "buprenorphine",
                "form": "patch",
                "strength": "10 mcg/h",
                "dose": "10 mcg/h",
                "times": ["08:00"],
                "every_days": 7,
            },
        ]
    }
    with pytest.raises(InitiationOptionError) as caught:
        plan_buprenorphine_initiation(
            regimen_from_mapping(mapping), "jabfm-outpatient", start=START
        )
    assert [p.path for p in caught.value.problems] == ["medication[1]", "maintenance"]
    with pytest.raises(RefusedError, match="supervision"):
        _plan("rapid-inpatient")
    with pytest.raises(CatalogueError, match="vancouver-7d"):
        _plan("vancouver")


def test_rapid_inpatient_under_supervision() -> None:
    """Every 3 hours on days 1–2 (4 and 8 mg), the full agonist stopped on day 3."""
    plan = _plan("rapid-inpatient", supervised=True)
    assert [sum(a * n for a, n in [d]) for d in _bup_doses(plan)[:3]] == [4, 8, 8]
    assert _daily(plan, "oxycodone")[:3] == [Decimal(80), Decimal(80), Decimal(0)]
    assert "initiation-supervised" in {w.code for w in plan.warnings}


def test_json_round_trip_and_schema() -> None:
    """The plan JSON says its kind and protocol, holds the schema, and reads back equal;
    a taper's JSON says "kind": "taper"."""
    plan = _plan("jabfm-outpatient", maintenance="12 mg")
    text = plan_to_json(plan)
    document = json.loads(text)
    jsonschema.validate(document, SCHEMA)
    assert document["kind"] == "initiation"
    assert document["protocol"]["name"] == "jabfm-outpatient"
    assert plan_from_json(text) == plan
    taper = plan_taper(regimen_from_mapping(OXYCODONE_ER_40_BID), start=START)
    assert json.loads(plan_to_json(taper))["kind"] == "taper"


def test_every_export_shows_both_medications() -> None:
    """Calendar, CSV, FHIR, handout and prescriptions carry the full agonist and
    buprenorphine, with sublingual directions."""
    plan = _plan()
    ics = plan_to_ics(plan, dtstamp=dt.datetime(2027, 1, 1, tzinfo=dt.UTC)).decode()
    assert "Buprenorphine initiation plan" in ics
    assert "Buprenorphine/naloxone SL 0.5 mg — ¼ × 2 mg tablet" in ics
    assert "Oxycodone ER 40 mg" in ics
    rows = plan_to_csv(plan)
    assert "buprenorphine" in rows
    assert "oxycodone" in rows
    bundle = plan_to_fhir(plan)
    requests = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationRequest"
    ]
    routes = {d["route"]["text"] for r in requests for d in r["dosageInstruction"]}
    assert {"oral", "sublingual"} <= routes
    html = plan_to_handout(plan, generated_on=dt.date(2027, 1, 1))
    assert "buprenorphine" in html.lower()
    assert "oxycodone" in html.lower()
    texts = [d.text for fill in prescriptions(plan) for item in fill.items for d in item.directions]
    assert any(t.startswith("Let dissolve under the tongue") for t in texts)
    assert any(t.startswith("Take by mouth") for t in texts)


def test_hold_day_repeats_the_day_and_never_jumps_ahead() -> None:
    """Holding day 4 for withdrawal repeats its doses once and moves the stop a day."""
    plan = _plan()
    held = hold_day(plan, START + dt.timedelta(days=3))
    before, after = _bup_doses(plan), _bup_doses(held)
    assert after == [*before[:4], before[3], *before[4:]]
    assert _daily(held, "oxycodone") == [
        *_daily(plan, "oxycodone")[:4],
        Decimal(80),
        *_daily(plan, "oxycodone")[4:],
    ]
    assert held.revision == plan.revision + 1
    assert held.steps[3].notes[-1].startswith("pause: held 1 day")
    stop = next(s for s in held.steps if s.cut_drug == "oxycodone")
    assert stop.start == START + dt.timedelta(days=7)
    was = next(s for s in plan.steps if s.cut_drug == "oxycodone").withdrawal_window
    assert stop.withdrawal_window is not None
    assert was is not None
    assert stop.withdrawal_window.start == was.start + dt.timedelta(days=1)


def test_hold_day_refusals() -> None:
    """Outside the plan, too long, and a taper: every problem at once."""
    taper = plan_taper(regimen_from_mapping(OXYCODONE_ER_40_BID), start=START)
    with pytest.raises(InitiationOptionError) as caught:
        hold_day(taper, dt.date(2020, 1, 1), days=30)
    assert [p.path for p in caught.value.problems] == ["plan", "on", "days"]


@given(initiation_cases())
def test_every_initiation_is_dispensable_and_holds_its_rules(
    case: tuple[dict[str, Any], str, dt.date, str | None],
) -> None:
    """For any regimen of full agonists and any protocol: every dose is made exactly by
    its units (buprenorphine in quarters of a tablet), the full agonist never rises,
    steps follow each other, and a hold repeats a day without skipping one."""
    mapping, name, start, maintenance = case
    regimen = regimen_from_mapping(mapping)
    plan = plan_buprenorphine_initiation(
        regimen, name, start=start, maintenance=maintenance, supervised=True
    )
    day = start
    for step in plan.steps:
        assert step.start == day
        day = step.end + dt.timedelta(days=1)
        for part in step.medications:
            for dose in part.doses:
                assert sum(u.amount.amount for u in dose.units) == dose.amount.amount
                assert all((u.count * 4) % 1 == 0 for u in dose.units)
    continues = protocol(name).agonist.action == "continue"
    for drug in {m.drug for m in regimen.medications}:
        daily = _daily(plan, drug)
        assert all(b <= a for a, b in itertools.pairwise(daily))
        assert daily[-1] == (daily[0] if continues else 0)
    middle = plan.start + dt.timedelta(days=2)
    held = hold_day(plan, middle, why="missed")
    assert held.end == plan.end + dt.timedelta(days=1)
    assert all(a.end + dt.timedelta(days=1) == b.start for a, b in itertools.pairwise(held.steps))
    assert _bup_doses(held) == [*_bup_doses(plan)[:3], _bup_doses(plan)[2], *_bup_doses(plan)[3:]]


def test_the_command_line_plans_and_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`taperplan initiate` prints the plan JSON with its kind; `taperplan pause` on it
    repeats the day; `replan` refuses it; a missing maintenance dose exits 2 naming it."""
    regimen = tmp_path / "regimen.toml"
    regimen.write_text(
        'timezone = "America/New_York"\n[[medication]]\ndrug = "oxycodone"\nform = "er_tablet"\n'
        'strength = "40 mg"\ndose = "40 mg"\ntimes = ["08:00", "20:00"]\n',
        encoding="utf-8",
    )
    saved = tmp_path / "plan.json"
    code = main(["initiate", str(regimen), "--start", "2027-01-04", "--json", str(saved)])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "Buprenorphine initiation plan" in out
    assert json.loads(saved.read_text(encoding="utf-8"))["kind"] == "initiation"
    code = main(["pause", str(saved), "--on", "2027-01-07", "--days", "1", "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert json.loads(out)["revision"] == 1
    assert main(["replan", str(saved), "--on", "2027-01-07"]) == 2
    _, err = capsys.readouterr()
    assert "initiation plan" in err
    code = main(
        ["initiate", str(regimen), "--protocol", "jabfm-outpatient", "--start", "2027-01-04"]
    )
    _, err = capsys.readouterr()
    assert code == 2
    assert "maintenance" in err
    assert "Traceback" not in err


def test_the_uk_transdermal_bridge() -> None:
    """A 20 mcg/h patch for the first 48 hours, then sublingual 0.4 to 6 mg a day in
    whole UK tablets (0.4, 2 and 8 mg), the full agonist unchanged throughout; low
    confidence, and the patch and tablets both to prescribe."""
    plan = _plan("uk-transdermal-bridge")
    assert plan.protocol is not None
    assert plan.protocol.low_confidence
    first = plan.steps[0]
    assert first.days == 2
    patch = next(p for p in first.medications if p.product.form.value == "patch")
    assert str(patch.doses[0].amount) == "20 mcg/h"
    doses = _bup_doses(plan)
    assert doses[:2] == [(Decimal(0), 0)] * 2
    assert [d[0] for d in doses[2:9]] == [
        Decimal(v) for v in ("0.4", "0.8", "1.2", "1.6", "2", "4", "6")
    ]
    assert set(_daily(plan, "oxycodone")) == {Decimal(80)}
    assert {s.product.form.value for s in plan.substitutes} == {"sl_tablet", "patch"}
    tablets = plan.steps[2].medications[-2].doses[0].units
    assert [(u.strength.amount, u.count) for u in tablets] == [(Decimal("0.4"), Decimal(2))]
    ics = plan_to_ics(plan, dtstamp=dt.datetime(2027, 1, 1, tzinfo=dt.UTC)).decode()
    assert "Buprenorphine patch 20 mcg/h" in ics
    assert plan_from_json(plan_to_json(plan)) == plan


def test_review_findings_in_initiations_stay_fixed() -> None:
    """A maintenance dose above 32 mg is refused; a 12-hourly ER product keeps both dose
    times through the JABFM taper, and no week cuts more than half."""
    with pytest.raises(InitiationOptionError, match="32 mg"):
        _plan("jabfm-outpatient", maintenance="2000 mg")
    uneven = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "oxycodone",
                    "form": "er_tablet",
                    "strength": ["10 mg", "30 mg"],
                    "doses": ["30 mg", "10 mg"],
                    "times": ["08:00", "20:00"],
                }
            ]
        }
    )
    plan = plan_buprenorphine_initiation(
        uneven, "jabfm-outpatient", start=START, maintenance="16 mg"
    )
    for step in plan.steps:
        oxycodone = step.medications[0]
        assert len(oxycodone.doses) in {0, 2}

"""As-needed (PRN) doses (issue 12 item 6): counted in MME at their maximum, shown apart,
and planned as the clinician chooses: as scheduled doses (the default, as tapering guidance
advises, NOUGG 2010 Appendix B-12) or with their drug tapered first."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from taperplan import InvalidRegimenError, plan_taper, regimen_from_mapping, regimen_mme
from taperplan.cli.render import render_plan
from taperplan.formats.handout import plan_to_handout
from taperplan.formats.json import plan_from_json, plan_to_json

START = dt.date(2027, 1, 4)


def prn(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "drug": "oxycodone", "form": "ir_tablet", "strength": "5 mg", "dose": "5 mg",
        "times": ["08:00", "14:00", "20:00"], "as_needed": True, "max_doses_per_day": 4,
    }  # fmt: skip
    entry.update(fields)
    return entry


MORPHINE_ER = {
    "drug": "morphine", "form": "er_tablet", "strength": "30 mg", "dose": "30 mg",
    "times": ["08:00", "20:00"],
}  # fmt: skip


def regimen(*medications: dict[str, Any]) -> Any:
    return regimen_from_mapping({"timezone": "America/New_York", "medication": list(medications)})


def test_mme_counts_the_maximum() -> None:
    """Four 5 mg doses a day at most: 20 mg, 30 MME, though three are taken on schedule."""
    one = regimen(prn())
    report = regimen_mme(one)
    assert report.medications[0].daily_amount.amount == 20
    assert report.total_mme_per_day == Decimal(30)
    assert one.medications[0].daily_amount.amount == 15


def test_planned_as_scheduled_by_default() -> None:
    plan = plan_taper(regimen(prn()), start=START)
    (notice,) = [w for w in plan.warnings if w.code == "as-needed-scheduled"]
    assert "up to 4 a day" in notice.message
    assert "scheduled doses at 08:00, 14:00, 20:00" in notice.message
    assert [f"{d.time:%H:%M}" for d in plan.baseline[0].doses] == ["08:00", "14:00", "20:00"]
    assert plan.order == "long-acting-first"
    table = render_plan(plan)
    assert "as needed up to 4 a day" in table
    assert "(30 with the as-needed doses at their maximum)" in table
    handout = plan_to_handout(plan, generated_on=START, chart=False)
    assert "now as needed, up to 4 a day" in handout


def test_stop_first_tapers_its_drug_first() -> None:
    """Oxycodone as needed beside morphine ER: by default the morphine is cut first
    (long-acting first); with stop-first the oxycodone is."""
    scheduled = plan_taper(regimen(MORPHINE_ER, prn()), start=START)
    first = plan_taper(regimen(MORPHINE_ER, prn(as_needed_plan="stop-first")), start=START)
    assert scheduled.steps[0].cut_drug == "morphine"
    assert first.steps[0].cut_drug == "oxycodone"
    assert first.order == "explicit: oxycodone, morphine"
    (notice,) = [w for w in first.warnings if w.code == "as-needed-first"]
    assert "tapers oxycodone first" in notice.message
    assert "Low confidence" in notice.message
    assert plan_from_json(plan_to_json(first)) == first


def test_naloxone_and_mme_warnings_use_the_maximum() -> None:
    """30 MME on schedule, 40 at the maximum: the warnings count the maximum."""
    entry = prn(dose="10 mg", strength="10 mg", times=["08:00", "20:00"], max_doses_per_day=4)
    plan = plan_taper(regimen(entry), start=START)
    assert plan.baseline_total_mme_per_day == Decimal(30)
    assert regimen_mme(plan.regimen).total_mme_per_day == Decimal(60)
    assert "mme-over-50" in {w.code for w in plan.warnings}


@pytest.mark.parametrize(
    ("entry", "path", "words"),
    [
        (prn(max_doses_per_day=None), "medication[0].max_doses_per_day", "missing"),
        (prn(max_doses_per_day=2), "medication[0].times", "more than max_doses_per_day"),
        (prn(max_doses_per_day=0), "medication[0].max_doses_per_day", "from 1"),
        (prn(as_needed="yes"), "medication[0].as_needed", "true or false"),
        (prn(as_needed_plan="later"), "medication[0].as_needed_plan", "not a way"),
        (prn(doses=["5 mg", "5 mg", "5 mg"], dose=None), "medication[0].doses", "one dose"),
        (prn(as_needed=False), "medication[0].max_doses_per_day", "only with as_needed"),
    ],
)
def test_bad_as_needed_entries_name_the_field(entry: dict[str, Any], path: str, words: str) -> None:
    entry = {k: v for k, v in entry.items() if v is not None}
    with pytest.raises(InvalidRegimenError) as raised:
        regimen(entry)
    found = {p.path: p.message for p in raised.value.problems}
    assert path in found
    assert words in found[path]

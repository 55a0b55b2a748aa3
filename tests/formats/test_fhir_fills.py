"""The FHIR export's prescriptions (issue 12 item 1): a MedicationRequest per fill and
product strength, with a ``dispenseRequest``, validated with both FHIR libraries.

Golden files for two fixed plans (the sample regimen; a fentanyl patch in cartons);
over random plans and fill options: both libraries accept the Bundle unchanged, the
plan's own requests are exactly those of the Bundle without fills, and every fill
request states the fill's quantity, coded unit, supply days, instalments, directions
and the course (``basedOn``) it belongs to.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from test_fhir import (
    FENTANYL_PATCH,
    check_fhir_invariants,
    plan_of,
    sample_text,
    validate_r4,
    validate_r4b,
)

from strategies import plan_or_none, planning_cases, prescription_options
from support import GOLDEN, golden_bytes
from taperplan import Fill, TaperPlan, prescriptions
from taperplan.formats.fhir import fhir_to_json, plan_to_fhir

CASES = [
    pytest.param("sample-regimen", sample_text, None, id="sample-regimen"),
    pytest.param("fentanyl-patch", lambda: FENTANYL_PATCH, "Patient/example", id="fentanyl-patch"),
]
UNITS = {"tablet": "TAB", "capsule": "CAP", "patch": "TPATCH", "mL": "mL"}


def check_fill_bundle(
    bundle: dict[str, Any], plan: TaperPlan, fills: Sequence[Fill], patient: str | None = None
) -> None:
    validate_r4(bundle)
    validate_r4b(bundle)
    plain = plan_to_fhir(plan, patient_reference=patient)
    courses = len(plain["entry"])
    # The plan's own requests are unchanged; the fills follow them.
    assert bundle["entry"][:courses] == plain["entry"]
    check_fhir_invariants({**bundle, "entry": bundle["entry"][:courses]})
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    items = [(fill, item) for fill in fills for item in fill.items]
    requests = [e["resource"] for e in bundle["entry"][courses:]]
    assert len(requests) == len(items)
    for (fill, item), request in zip(items, requests, strict=True):
        dispense = request["dispenseRequest"]
        quantity = dispense["quantity"]
        assert quantity["value"] == item.quantity
        assert quantity["code"] == UNITS[item.quantity_unit]
        assert dispense["expectedSupplyDuration"]["value"] == fill.days
        assert dispense["expectedSupplyDuration"]["code"] == "d"
        assert dispense["numberOfRepeatsAllowed"] == 0
        assert "dispenseInterval" not in dispense  # R4's quantity is one dispense
        if item.instalments:
            assert f"in {len(item.instalments)} instalments" in request["note"][1]["text"]
        course = by_url[request["basedOn"][0]["reference"]]
        assert (
            course["medicationCodeableConcept"]["coding"]
            == (request["medicationCodeableConcept"]["coding"])
        )
        assert request["groupIdentifier"] == course["groupIdentifier"]
        assert [d["text"] for d in request["dosageInstruction"]] == [
            d.text for d in item.directions
        ]
        for dosage, directions in zip(request["dosageInstruction"], item.directions, strict=True):
            assert dosage["sequence"] == directions.step + 1
            bounds = dosage["timing"]["repeat"]["boundsPeriod"]
            assert fill.start.isoformat() <= bounds["start"] <= bounds["end"]
            assert bounds["end"] <= fill.end.isoformat()


@pytest.mark.parametrize(("stem", "text", "patient"), CASES)
def test_matches_golden_file(stem: str, text: Callable[[], str], patient: str | None) -> None:
    plan = plan_of(text())
    fills = prescriptions(plan)
    produced = fhir_to_json(plan_to_fhir(plan, patient_reference=patient, fills=fills))
    path = GOLDEN / f"{stem}.rx.fhir.json"
    assert golden_bytes(path, produced.encode("utf-8")) == produced.encode("utf-8")
    check_fill_bundle(json.loads(path.read_text(encoding="utf-8")), plan, fills, patient)


def test_a_patch_fill_is_dispensed_in_whole_cartons() -> None:
    plan = plan_of(FENTANYL_PATCH)
    fills = prescriptions(plan)
    bundle = plan_to_fhir(plan, fills=fills)
    first = bundle["entry"][len(plan.baseline) + len(plan.substitutes)]["resource"]
    assert first["dispenseRequest"]["quantity"] == {
        "value": 5,
        "unit": "patch",
        "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm",
        "code": "TPATCH",
    }
    assert "1 carton(s) of 5" in first["note"][1]["text"]


# Each example runs both FHIR validators over every fill: 150 examples in CI (not 500)
# keep this one test near 40 s there.
@settings(max_examples=min(settings.default.max_examples, 150))
@given(planning_cases(), prescription_options())
def test_random_plans_with_fills_validate(case: object, options: dict[str, object]) -> None:
    plan = plan_or_none(case)  # type: ignore[arg-type]
    if plan is None:
        return
    fills = prescriptions(plan, **options)  # type: ignore[arg-type]
    check_fill_bundle(plan_to_fhir(plan, fills=fills), plan, fills)

"""FHIR for an EHR: export a plan as FHIR R4 MedicationRequests, ready to send.

Run:  python examples/fhir_for_ehr.py

Plans a regimen of two opioids, exports the plan as a FHIR R4 collection
Bundle for the patient ``Patient/example``, prints what each MedicationRequest
says, and wraps the requests in a transaction Bundle (as drafts, for a
prescriber to sign) that a FHIR server accepts with one POST. Both files are
written to a new temporary folder, removed at the end; nothing is sent.
See docs/howto-fhir.md.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

from taperplan import plan_taper, regimen_from_mapping
from taperplan.formats.fhir import fhir_to_json, plan_to_fhir

REGIMEN = {
    "timezone": "America/Chicago",
    "context": {"on_opioids_since": "2019-05-01"},
    "medication": [
        {
            "drug": "morphine",
            "form": "er_tablet",
            "strength": "30 mg",
            "dose": "30 mg",
            "times": ["08:00", "20:00"],
        },
        {
            "drug": "hydrocodone",
            "form": "ir_tablet",
            "strength": "10 mg",
            "combination": "acetaminophen 325 mg",
            "dose": "10 mg",
            "times": ["12:00", "18:00"],
        },
    ],
    "pace": {"preset": "va-slower"},
}
#: taperplan never reads the clock: the day the regimen is checked against, and the start.
TODAY = dt.date(2026, 11, 24)
START = dt.date(2027, 1, 4)
#: The patient as the EHR knows them (a FHIR reference).
PATIENT = "Patient/example"


def describe(request: dict[str, Any]) -> None:
    """Print what one MedicationRequest asks for, dosage by dosage."""
    medication = request["medicationCodeableConcept"]
    coding = medication["coding"][0]
    print(
        f"MedicationRequest {request['id']}: {medication['text']} "
        f"(RxNorm {coding['code']}), {request['status']}, intent {request['intent']}, "
        f"for {request['subject']['reference']}"
    )
    for dosage in request.get("dosageInstruction", []):
        repeat = dosage["timing"]["repeat"]
        period = repeat["boundsPeriod"]
        quantity = dosage["doseAndRate"][0]["doseQuantity"]
        every = f"every {repeat['period']} days" if repeat["period"] > 1 else "daily"
        print(
            f"  {dosage['sequence']:>2}  {period['start']} to {period['end']}  "
            f"{', '.join(repeat['timeOfDay'])}  {quantity['value']} {quantity['unit']} {every}"
        )
    for note in request.get("note", []):
        print(f"  note: {note['text']}")


def transaction(collection: dict[str, Any], *, status: str) -> dict[str, Any]:
    """The Bundle's requests in a transaction Bundle, each to be created by the server."""
    entries = []
    for entry in collection["entry"]:
        resource = copy.deepcopy(entry["resource"])
        resource["status"] = status
        entries.append(
            {
                "fullUrl": entry["fullUrl"],
                "resource": resource,
                "request": {"method": "POST", "url": "MedicationRequest"},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def main() -> None:
    """Plan, export, describe and write the Bundles."""
    plan = plan_taper(regimen_from_mapping(REGIMEN, today=TODAY), start=START)
    collection = plan_to_fhir(plan, patient_reference=PATIENT)
    print(f"plan {plan.id} (revision {plan.revision}), stop on {plan.stop_date}")
    print(f"Bundle {collection['id']}: {collection['type']}, {len(collection['entry'])} entries\n")
    for entry in collection["entry"]:
        describe(entry["resource"])
        print()

    # The same plan always gives the same bytes, so a re-export can be compared with the last.
    again = fhir_to_json(plan_to_fhir(plan, patient_reference=PATIENT))
    print(f"exported again: byte for byte the same: {again == fhir_to_json(collection)}\n")

    with tempfile.TemporaryDirectory(prefix="taperplan-fhir-") as name:
        folder = Path(name)
        (folder / "plan.fhir.json").write_text(fhir_to_json(collection), encoding="utf-8")
        drafts = transaction(collection, status="draft")
        (folder / "transaction.fhir.json").write_text(fhir_to_json(drafts), encoding="utf-8")
        for path in sorted(folder.iterdir()):
            data = json.loads(path.read_text(encoding="utf-8"))
            print(f"wrote {path.name}: a {data['type']} Bundle, {path.stat().st_size} bytes")
    print(
        "POST transaction.fhir.json to the server's base URL with Content-Type "
        "application/fhir+json; a prescriber reviews and signs the drafts in the EHR."
    )
    print("Decision support for clinicians; not medical advice.")


if __name__ == "__main__":
    main()

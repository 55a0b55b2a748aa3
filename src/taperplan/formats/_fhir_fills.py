"""The FHIR export's prescriptions: one MedicationRequest per fill and product strength.

Each carries a ``dispenseRequest`` (the ``quantity`` to dispense, coded as an
orderable drug form (tablet, capsule, transdermal patch) or in UCUM mL, the
``expectedSupplyDuration`` in days and no repeats; daily or weekly instalments
are listed in the note, since R4's ``quantity`` is one dispense), one Dosage per step inside the fill (``sequence``
the step number, the directions as ``text`` and the days as ``boundsPeriod``),
and ``basedOn`` the plan's MedicationRequest of the same medication, so an EHR
sees which course a fill belongs to. The per-medication requests of
:func:`~taperplan.formats.fhir.plan_to_fhir` are unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from taperplan._statement import DISCLAIMER
from taperplan.formats._fhir_common import RXNORM, UCUM, URI_SYSTEM, json_number, narrative, urn
from taperplan.model.plan import TaperPlan
from taperplan.model.prescription import Fill, FillItem
from taperplan.reference.dispense import counted_noun
from taperplan.reference.products import Form
from taperplan.reference.wording import product_words
from taperplan.units import format_decimal

#: HL7 v3 orderable drug forms, for a dispensed count of units.
DRUG_FORM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"

#: How each form's dispensed quantity is coded: (system, code, unit).
_QUANTITY_CODES: Mapping[Form, tuple[str, str, str]] = {
    Form.IR_TABLET: (DRUG_FORM, "TAB", "tablet"),
    Form.ER_TABLET: (DRUG_FORM, "TAB", "tablet"),
    Form.IR_CAPSULE: (DRUG_FORM, "CAP", "capsule"),
    Form.ER_CAPSULE: (DRUG_FORM, "CAP", "capsule"),
    Form.PATCH: (DRUG_FORM, "TPATCH", "patch"),
    Form.ORAL_SOLUTION: (UCUM, "mL", "mL"),
    Form.SL_TABLET: (DRUG_FORM, "SLTAB", "tablet"),
}


def _days(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "days", "system": UCUM, "code": "d"}


def _dispense(fill: Fill, item: FillItem) -> dict[str, Any]:
    system, code, unit = _QUANTITY_CODES[item.product.form]
    request: dict[str, Any] = {
        "numberOfRepeatsAllowed": 0,
        "quantity": {
            "value": json_number(item.quantity),
            "unit": unit,
            "system": system,
            "code": code,
        },
        "expectedSupplyDuration": _days(fill.days),
    }
    return request


def _how_much(fill: Fill, item: FillItem) -> str:
    """``Dispense 28 tablets for 28 days (2027-01-04 to 2027-01-31).``"""
    unit = (
        item.quantity_unit
        if item.product.form is Form.ORAL_SOLUTION
        else counted_noun(item.product.form, item.quantity)
    )
    text = (
        f"Fill {fill.number}: dispense {format_decimal(item.quantity)} {unit}"
        f" for {fill.days} days"
        f" ({fill.start.isoformat()} to {fill.end.isoformat()})"
    )
    if item.packs is not None:
        text += f", {item.packs} carton(s) of {item.product.pack_size}"
    if item.instalments:
        parts = "; ".join(
            f"{i.start.isoformat()} to {i.end.isoformat()}: {format_decimal(i.quantity)}"
            for i in item.instalments
        )
        text += f", handed out in {len(item.instalments)} instalments ({parts})"
    return text + "."


def _request(
    plan: TaperPlan,
    fill: Fill,
    item: FillItem,
    *,
    subject: Mapping[str, str],
    group: str,
    based_on: str | None,
) -> tuple[str, dict[str, Any]]:
    # The revision is part of the name: a paused or re-planned plan's fills are new
    # requests, never a changed copy of a fill that may have been dispensed.
    ident, url = urn(
        f"{plan.id}/r{plan.revision}/fill/{fill.number}/medication/{item.index}/{item.strength}"
    )
    name = f"{product_words(item.product, 'table')} {item.strength_text}"
    how_much = _how_much(fill, item)
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": ident,
        "text": narrative(
            f"Prescription: {name}",
            [d.text for d in item.directions],
            [how_much, DISCLAIMER],
        ),
        "status": "active",
        "intent": "plan",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": item.product.drug.rxnorm, "display": item.drug}],
            "text": name,
        },
        "subject": dict(subject),
    }
    if based_on is not None:
        resource["basedOn"] = [{"reference": based_on}]
    resource |= {
        "groupIdentifier": {"system": URI_SYSTEM, "value": group},
        "note": [{"text": DISCLAIMER}, {"text": f"taperplan plan {plan.id}. {how_much}"}],
        "dosageInstruction": [
            {
                "sequence": d.step + 1,
                "text": d.text,
                "timing": {
                    "repeat": {
                        "boundsPeriod": {"start": d.start.isoformat(), "end": d.end.isoformat()}
                    }
                },
            }
            for d in item.directions
        ],
        "dispenseRequest": _dispense(fill, item),
    }
    return url, resource


def fill_entries(
    plan: TaperPlan,
    fills: Sequence[Fill],
    subject: Mapping[str, str],
    group: str,
    courses: Mapping[int, str],
) -> list[dict[str, Any]]:
    """The Bundle entries of the fills' requests (``courses``: each medication's
    request URL, by the medication's index)."""
    entries = []
    for fill in fills:
        for item in fill.items:
            url, resource = _request(
                plan, fill, item, subject=subject, group=group, based_on=courses.get(item.index)
            )
            entries.append({"fullUrl": url, "resource": resource})
    return entries

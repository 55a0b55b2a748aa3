"""FHIR R4 export: a taper plan as a Bundle of MedicationRequest resources.

The Bundle (``type`` ``collection``) holds one MedicationRequest per
medication of the regimen, as plain JSON-ready dicts: taperplan needs no FHIR
library at run time. Each request is a proposal for the clinician to review
(``intent`` ``plan``); its medication is coded with the ingredient's RxNorm
RxCUI from the catalogue (``data/opioids.toml``, source ``RXNORM``).

Every step of the plan becomes one Dosage per administration time, with
``sequence`` the step number (``step.index + 1``, so the first step is 1 as
FHIR sequences usually are; the dosages of one step share the number because
they apply at the same time). ``timing.repeat.boundsPeriod`` runs from the
dose's first day in the step (its ``offset``: a dose taken every other day may
start on the step's second day) to the step's last date; FHIR reads a date as
``end`` inclusively, so a daily dose's periods over consecutive steps are
contiguous, and a spaced dose's leave less than one ``period`` between them. A medication stopped before the stop step
has no Dosage from the step it stops in, so its last period ends the day
before it stops; one stopped at the very first step (a dose at or below the
stop threshold) has no Dosage at all and ``doNotPerform`` true. Amounts go out in UCUM units and are exact: a ``Decimal``
becomes a JSON integer when it is whole, else a float that reads back as the
same decimal.

Identifiers are name-based UUIDs (:func:`uuid.uuid5`) of the plan's ``id``, so
the same plan always gives the same bytes, and a paused or re-planned plan
(same ``id``, higher ``revision``) updates the same resources.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from taperplan._statement import DISCLAIMER
from taperplan.errors import FHIRExportError
from taperplan.formats._fhir_common import (
    NAMESPACE,
    RXNORM,
    UCUM,
    UCUM_CODES,
    URI_SYSTEM,
    json_number,
    narrative,
    urn,
)
from taperplan.formats._fhir_fills import fill_entries
from taperplan.model.plan import Dose, MedicationDose, Step, TaperPlan
from taperplan.model.prescription import Fill
from taperplan.reference.products import Form
from taperplan.units import Quantity, format_decimal

__all__ = [
    "NAMESPACE",
    "RXNORM",
    "UCUM",
    "UCUM_CODES",
    "URI_SYSTEM",
    "fhir_to_json",
    "json_number",
    "plan_to_fhir",
]


def _quantity(amount: Quantity) -> dict[str, Any]:
    return {
        "value": json_number(amount.amount),
        "unit": amount.unit.value,
        "system": UCUM,
        "code": UCUM_CODES[amount.unit],
    }


def _dose_text(step: Step, part: MedicationDose, dose: Dose) -> str:
    """``Step 2 (2027-01-04 to 2027-01-31): 20 mg at 08:00 (1 × 20 mg tablet)``."""
    amount = f"{format_decimal(dose.amount.amount)} {dose.amount.unit.value}"
    every = ""
    if dose.every_days > 1:
        every = f" every {dose.every_days} days from {_first_day(step, dose).isoformat()}"
    units = " + ".join(unit.describe(part.form) for unit in dose.units)
    return (
        f"Step {step.index + 1} ({step.start.isoformat()} to {step.end.isoformat()}): "
        f"{amount} at {dose.time.strftime('%H:%M')}{every} ({units})"
    )


def _first_day(step: Step, dose: Dose) -> dt.date:
    """The first day of ``step`` that ``dose`` is taken on (its ``offset``)."""
    return step.start + dt.timedelta(days=dose.offset)


def _route(form: Form) -> str:
    if form is Form.PATCH:
        return "transdermal"
    return "sublingual" if form is Form.SL_TABLET else "oral"


def _dosage(step: Step, part: MedicationDose, dose: Dose) -> dict[str, Any]:
    return {
        "sequence": step.index + 1,
        "text": _dose_text(step, part, dose),
        "timing": {
            "repeat": {
                # A dose every N days starts its count on its first day in the step.
                "boundsPeriod": {
                    "start": _first_day(step, dose).isoformat(),
                    "end": step.end.isoformat(),
                },
                "frequency": 1,
                "period": dose.every_days,
                "periodUnit": "d",
                "timeOfDay": [dose.time.strftime("%H:%M:%S")],
            }
        },
        "asNeededBoolean": False,
        "route": {"text": _route(part.form)},
        "doseAndRate": [{"doseQuantity": _quantity(dose.amount)}],
    }


def _course(plan: TaperPlan, index: int) -> tuple[list[dict[str, Any]], list[str], str]:
    """The dosages of medication ``index``, their texts and when it stops."""
    dosages: list[dict[str, Any]] = []
    last = -1
    for position, step in enumerate(plan.steps):
        # Every step is read (not just up to the first without doses), so a
        # medication that restarted would show as a gap rather than vanish.
        part = next((m for m in step.medications if m.index == index), None)
        if part is None:
            continue  # a substitute before it starts
        for dose in part.doses:
            dosages.append(_dosage(step, part, dose))
            last = position
    texts = [dosage["text"] for dosage in dosages]
    if last < 0:
        first = plan.steps[0]
        course = (
            f"Not to be taken: stopped from {first.start.isoformat()} "
            f"(step {first.index + 1}, the first step)."
        )
    else:
        course = f"Planned until {plan.steps[last].end.isoformat()}"
        if last + 1 < len(plan.steps):
            stop = plan.steps[last + 1]
            course += f"; none from {stop.start.isoformat()} (step {stop.index + 1})"
        course += "."
    return dosages, texts, course


def _medication_request(
    plan: TaperPlan, part: MedicationDose, subject: dict[str, str], group: str
) -> tuple[str, dict[str, Any]]:
    ident, url = urn(f"{plan.id}/medication/{part.index}")
    dosages, texts, course = _course(plan, part.index)
    zone = plan.regimen.timezone
    times = "Times are local wall-clock times" + (f" ({zone.key})." if zone is not None else ".")
    about = (
        f"taperplan plan {plan.id}, revision {plan.revision}, pace {plan.pace.name}. "
        f"{course} {times}"
    )
    title = f"{plan.kind.title}: {part.product.name}"
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": ident,
        "text": narrative(title, texts, [about, DISCLAIMER]),
        "status": "active",
        "intent": "plan",
    }
    if not dosages:
        # Stopped at the first step: say so as a request, not as an order without doses.
        resource["doNotPerform"] = True
    resource |= {
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": RXNORM,
                    "code": part.product.drug.rxnorm,
                    "display": part.drug,
                }
            ],
            "text": part.product.name,
        },
        "subject": subject,
        "groupIdentifier": {"system": URI_SYSTEM, "value": group},
        "note": [{"text": DISCLAIMER}, {"text": about}],
    }
    if dosages:
        resource["dosageInstruction"] = dosages
    return url, resource


def _subject(patient_reference: str | None) -> dict[str, str]:
    if patient_reference is None:
        return {"display": "Patient"}
    if not patient_reference or any(ch.isspace() for ch in patient_reference):
        raise FHIRExportError(
            f"patient_reference {patient_reference!r}: must be a non-empty reference without "
            'whitespace, such as "Patient/123" or "urn:uuid:..."; or leave it out'
        )
    return {"reference": patient_reference}


def plan_to_fhir(
    plan: TaperPlan,
    *,
    patient_reference: str | None = None,
    fills: Sequence[Fill] | None = None,
) -> dict[str, Any]:
    """A FHIR R4 Bundle (``collection``) of the plan's MedicationRequests.

    One MedicationRequest per medication (``status`` ``active``, ``intent``
    ``plan``), the finer products the plan adds included (§4a rule 4), each with
    one Dosage per step and administration time:
    ``sequence`` is the step number (``step.index + 1``, from 1),
    ``timing.repeat`` has an inclusive ``boundsPeriod`` from the dose's first day
    in the step to the step's last, the
    ``timeOfDay``, ``frequency`` 1 per ``period`` of ``every_days`` days, and
    ``doseAndRate[0].doseQuantity`` the amount in UCUM units (mg, or ug/h for a
    patch). The stop step and steps after a medication stops have no Dosage;
    a medication stopped at the first step has none and ``doNotPerform`` true.
    Each request carries a generated narrative, the disclaimer and a note
    with the plan's id, revision, pace and the medication's stop date.

    With ``fills`` (from :func:`taperplan.prescriptions`), one more request per
    fill and product strength follows them, with a ``dispenseRequest`` (quantity,
    expected supply duration, instalments) and ``basedOn`` its medication's
    request (see :mod:`taperplan.formats._fhir_fills`).

    Args:
        plan: the plan to export.
        patient_reference: a FHIR reference to the patient (``"Patient/123"``,
            ``"urn:uuid:..."``); without it the subject is ``{"display": "Patient"}``.
        fills: the plan's prescriptions, to add as requests to dispense.

    Returns:
        The Bundle as plain dicts, lists, strings and numbers; write it with
        :func:`fhir_to_json`. The same plan always gives an equal Bundle.

    Raises:
        FHIRExportError: ``patient_reference`` is empty or contains whitespace.
    """
    subject = _subject(patient_reference)
    bundle_id, bundle_url = urn(f"{plan.id}/bundle")
    entries = []
    # The finer products the plan adds: their requests, from the step where each starts.
    parts = [
        *plan.baseline,
        *(
            next(
                m
                for step in plan.steps[s.first_step :]
                for m in step.medications
                if m.index == s.index and m.doses
            )
            for s in plan.substitutes
        ),
    ]
    courses = {}
    for part in parts:
        url, resource = _medication_request(plan, part, dict(subject), bundle_url)
        entries.append({"fullUrl": url, "resource": resource})
        courses[part.index] = url
    if fills is not None:
        entries += fill_entries(plan, fills, subject, bundle_url, courses)
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "identifier": {"system": URI_SYSTEM, "value": bundle_url},
        "type": "collection",
        "entry": entries,
    }


def _plain(value: object) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON-ready; plan_to_fhir gives plain dicts")


def fhir_to_json(bundle: Mapping[str, Any]) -> str:
    """Deterministic FHIR JSON text: keys in insertion order, two-space indent,
    UTF-8 characters as they are, and a newline at the end.

    Raises:
        TypeError: for a value that is not JSON (a ``Decimal``, a ``date``).
        ValueError: for a NaN or infinite float.
    """
    return json.dumps(bundle, indent=2, ensure_ascii=False, allow_nan=False, default=_plain) + "\n"

"""JSON views of taperplan results, in the shapes of interfaces.md §3 and §4.

Amounts are exact ``Decimal`` values inside taperplan; JSON carries them as
numbers at the edge.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from taperplan._adjuncts import adjunct_to_dict
from taperplan._catalogue import Form
from taperplan._mme import MMEReport
from taperplan._notices import Notice
from taperplan._plan import Dose, MedicationDose, Step, TaperPlan
from taperplan._units import format_decimal
from taperplan._withdrawal import WithdrawalWindow


def number(value: Decimal | None) -> float | None:
    """A JSON number for an exact amount (None stays null)."""
    return None if value is None else float(value)


def notice_to_dict(item: Notice) -> dict[str, Any]:
    """``{"code", "message", "source"}``."""
    return {"code": item.code, "message": item.message, "source": item.source}


def mme_to_dict(report: MMEReport) -> dict[str, Any]:
    """The ``taperplan mme --format json`` object (interfaces.md §3)."""
    return {
        "factor_set": report.factor_set,
        "total_mme_per_day": number(report.total_mme_per_day),
        "medications": [
            {
                "drug": part.medication.drug,
                "form": part.medication.form.value,
                "daily_amount": number(part.daily_amount.amount),
                "unit": part.daily_amount.unit.value,
                "mme_per_day": number(part.mme_per_day),
                "factor": number(part.factor),
            }
            for part in report.medications
        ],
        "warnings": [notice_to_dict(w) for w in report.warnings],
    }


def to_json(data: Any) -> str:
    """Deterministic, readable JSON text ending in a newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- plans (interfaces.md §4) ------------------------------------------------------

SCHEMA = "taperplan.plan/1"


def _units_to_list(dose: Dose, form: Form) -> list[dict[str, Any]]:
    result = []
    for unit in dose.units:
        entry: dict[str, Any] = {"strength": str(unit.strength), "count": number(unit.count)}
        if form is Form.ORAL_SOLUTION:
            entry["volume"] = f"{format_decimal(unit.count)} mL"
        entry["text"] = unit.describe(form)
        result.append(entry)
    return result


def medication_dose_to_dict(part: MedicationDose) -> dict[str, Any]:
    """One medication in a step or the baseline."""
    return {
        "drug": part.drug,
        "form": part.form.value,
        "product": part.product.name,
        "daily_amount": number(part.daily_amount.amount),
        "unit": part.daily_amount.unit.value,
        "mme_per_day": number(part.mme_per_day),
        "smallest_unit": {
            "amount": number(part.smallest_unit.amount),
            "unit": part.smallest_unit.unit.value,
        },
        "administrations": [
            {
                "time": dose.time.strftime("%H:%M"),
                "amount": number(dose.amount.amount),
                "unit": dose.amount.unit.value,
                "every_days": dose.every_days,
                "units": _units_to_list(dose, part.form),
            }
            for dose in part.doses
        ],
    }


def window_to_dict(window: WithdrawalWindow | None) -> dict[str, Any] | None:
    """A withdrawal window, or None for a step without a cut."""
    if window is None:
        return None
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "profile": window.profile.value,
        "low_confidence": window.low_confidence,
        "note": window.note,
        "source": window.source,
    }


def step_to_dict(step: Step) -> dict[str, Any]:
    """One step of a plan."""
    return {
        "index": step.index,
        "id": step.id,
        "kind": step.kind.value,
        "start": step.start.isoformat(),
        "end": step.end.isoformat(),
        "days": step.days,
        "total_mme_per_day": number(step.total_mme_per_day),
        "cut_fraction": number(step.cut_fraction),
        "cut_drug": step.cut_drug,
        "medications": [medication_dose_to_dict(m) for m in step.medications],
        "withdrawal_window": window_to_dict(step.withdrawal_window),
        "check_in": step.check_in.isoformat(),
        "check_ins": [d.isoformat() for d in step.check_ins],
        "notes": list(step.notes),
    }


def plan_to_dict(plan: TaperPlan) -> dict[str, Any]:
    """The ``taperplan plan --format json`` object (schema ``taperplan.plan/1``)."""
    pace = plan.pace
    zone = plan.regimen.timezone
    return {
        "schema": SCHEMA,
        "id": plan.id,
        "revision": plan.revision,
        "start": plan.start.isoformat(),
        "pace": {
            "name": pace.name,
            "max_step_fraction": number(pace.max_step_fraction),
            "source": pace.source,
            "description": pace.description,
            "basis": pace.basis.value,
            "every_days": pace.every_days,
            "percent": number(pace.percent),
            "reduction": None if pace.reduction is None else str(pace.reduction),
            "reason": plan.pace_reason,
        },
        "order": plan.order,
        "factor_set": plan.factor_set,
        "timezone": None if zone is None else zone.key,
        "baseline": {
            "total_mme_per_day": number(plan.baseline_total_mme_per_day),
            "medications": [medication_dose_to_dict(m) for m in plan.baseline],
        },
        "steps": [step_to_dict(s) for s in plan.steps],
        "warnings": [notice_to_dict(w) for w in plan.warnings],
        "adjuncts": [adjunct_to_dict(a) for a in plan.adjuncts],
        "disclaimer": DISCLAIMER,
    }


DISCLAIMER = (
    "Decision support for clinicians; not medical advice and not a diagnosis. "
    "Doses must be reviewed and supervised by the prescribing clinician."
)

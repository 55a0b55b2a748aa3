"""JSON views of taperplan results, in the shapes of interfaces.md §3 and §4.

Amounts are exact ``Decimal`` values inside taperplan; JSON carries them as
numbers at the edge.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from taperplan._mme import MMEReport
from taperplan._notices import Notice


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

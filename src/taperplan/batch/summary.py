"""One row per patient for a batch's ``summary.csv``."""

from __future__ import annotations

from decimal import Decimal

from taperplan.batch.items import BatchResult
from taperplan.units import format_decimal

#: The columns of a batch summary (``summary.csv`` of ``taperplan batch``).
SUMMARY_COLUMNS = (
    "id",
    "status",
    "pace",
    "start",
    "stop",
    "weeks",
    "steps",
    "baseline_mme_per_day",
    "error_type",
    "error",
)


def _weeks(days: int) -> str:
    return str((Decimal(days) / 7).quantize(Decimal("0.1")))


def summary_row(result: BatchResult) -> dict[str, str]:
    """One row of a batch summary, keyed by :data:`SUMMARY_COLUMNS`.

    ``stop`` is the first day without opioid, ``weeks`` the time from the
    start to it; ``baseline_mme_per_day`` is empty where no MME factor
    applies.
    """

    row = dict.fromkeys(SUMMARY_COLUMNS, "")
    row["id"] = result.key
    row["start"] = result.start.isoformat()
    plan = result.plan
    if plan is None:
        row["status"] = "error"
        row["error_type"] = result.error_type or ""
        row["error"] = result.error or ""
        return row
    mme = plan.baseline_total_mme_per_day
    row |= {
        "status": "ok",
        "pace": plan.pace.name,
        "stop": plan.stop_date.isoformat(),
        "weeks": _weeks((plan.stop_date - plan.start).days),
        "steps": str(len(plan.steps)),
        "baseline_mme_per_day": "" if mme is None else format_decimal(mme),
    }
    return row

"""The review as JSON (``taperplan review --format json``, schema ``taperplan.review/1``),
and the plan's timeline read from plan JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from taperplan.errors import InvalidPlanDataError, Problem
from taperplan.formats.json import load_plan, plan_from_dict
from taperplan.reviewing.log import (
    LogEntry,
    ScaleReading,
)
from taperplan.reviewing.results import Review
from taperplan.reviewing.scales import ScaleResult, scale_result_to_dict
from taperplan.reviewing.timeline import PlanTimeline, timeline_of

#: The schema name of :func:`review_to_dict`'s output.
REVIEW_SCHEMA = "taperplan.review/1"


def timeline_from_json(data: Mapping[str, Any], *, source: str = "plan") -> PlanTimeline:
    """The timeline of a plan read back from its JSON (``taperplan plan --format json``).

    The plan is read by :func:`taperplan.export.plan_from_dict`, the one reader of
    plan JSON, so a review accepts exactly the plans taperplan wrote.

    Args:
        data: the parsed JSON object (:func:`taperplan.export.plan_to_dict`'s shape).
        source: the file name, for messages.

    Raises:
        InvalidPlanDataError: listing every missing or malformed field by path.
    """
    if not isinstance(data, Mapping):
        raise InvalidPlanDataError(
            source, [Problem("", "is not a JSON object", "use taperplan plan --format json")]
        )
    return timeline_of(plan_from_dict(data, source=source))


def load_timeline(path: str | Path) -> PlanTimeline:
    """Read the plan JSON that ``taperplan plan --format json`` wrote.

    Raises:
        InvalidPlanDataError: the file cannot be read or is not that JSON,
            naming the file and each bad field.
    """
    return timeline_of(load_plan(path))


def scale_reading_to_dict(reading: ScaleReading) -> dict[str, Any]:
    """``{"scale", "items", "total", "maximum", "band", "source"}``; ``items`` is None for a total."""
    if isinstance(reading, ScaleResult):
        return scale_result_to_dict(reading)
    return {
        "scale": reading.scale,
        "items": None,
        "total": reading.total,
        "maximum": reading.maximum,
        "band": reading.band.label if reading.band is not None else None,
        "source": reading.source,
    }


def log_entry_to_dict(entry: LogEntry) -> dict[str, Any]:
    """A JSON-ready view of one log entry."""
    return {
        "date": entry.day.isoformat(),
        "scale": None if entry.scale is None else scale_reading_to_dict(entry.scale),
        "pain": entry.pain,
        "pain_site": entry.pain_site,
        "pain_spread": entry.pain_spread,
        "allodynia": entry.allodynia,
        "craving": entry.craving,
        "loss_of_control": entry.loss_of_control,
        "notes": entry.notes,
    }


def _date(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def review_to_dict(result: Review) -> dict[str, Any]:
    """The ``taperplan review --format json`` object (schema ``taperplan.review/1``)."""
    return {
        "schema": REVIEW_SCHEMA,
        "on": result.on.isoformat(),
        "plan": {"id": result.plan_id, "revision": result.revision},
        "pause_days": result.pause_days,
        "entries": result.entries,
        "ignored_after_on": result.ignored,
        "flags": [
            {
                "rule": flag.rule,
                "kind": flag.kind,
                "step": flag.step_id,
                "message": flag.message,
                "source": flag.source,
                "also": list(flag.also),
                "evidence": [
                    {
                        "date": e.day.isoformat(),
                        "finding": e.finding,
                        "entry": log_entry_to_dict(e.entry),
                    }
                    for e in flag.evidence
                ],
                "pause_preview": None
                if flag.pause_preview is None
                else {
                    "on": flag.pause_preview.on.isoformat(),
                    "days": flag.pause_preview.days,
                    "hold_from": flag.pause_preview.hold_from.isoformat(),
                    "held_days": flag.pause_preview.held_days,
                    "next_cut_step": flag.pause_preview.next_cut_step,
                    "next_cut_now": _date(flag.pause_preview.next_cut_now),
                    "next_cut_paused": _date(flag.pause_preview.next_cut_paused),
                    "stop_now": flag.pause_preview.stop_now.isoformat(),
                    "stop_paused": flag.pause_preview.stop_paused.isoformat(),
                    "source": flag.pause_preview.source,
                },
            }
            for flag in result.flags
        ],
        "notes": [{"code": n.code, "message": n.message, "source": n.source} for n in result.notes],
    }

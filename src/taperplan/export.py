"""Deprecated: the exports live in :mod:`taperplan.formats` (one module per format).

``from taperplan.export import plan_to_ics`` still works for one release,
with a :class:`DeprecationWarning` naming the new home
(``taperplan.formats.ics.plan_to_ics``); the errors are in
:mod:`taperplan.errors`.
"""

from __future__ import annotations

from taperplan._lazy import lazy_names

_MOVED: dict[str, str] = {
    "CalendarOptionError": "taperplan.errors",
    "FHIRExportError": "taperplan.errors",
    "PlanExportError": "taperplan.errors",
    "plan_chart": "taperplan.formats.chart",
    "plan_to_csv": "taperplan.formats.csv",
    "fhir_to_json": "taperplan.formats.fhir",
    "plan_to_fhir": "taperplan.formats.fhir",
    "plan_to_handout": "taperplan.formats.handout",
    "calendar_warnings": "taperplan.formats.ics",
    "plan_to_ics": "taperplan.formats.ics",
    "load_plan": "taperplan.formats.json",
    "mme_to_dict": "taperplan.formats.json",
    "notice_to_dict": "taperplan.formats.json",
    "plan_from_dict": "taperplan.formats.json",
    "plan_from_json": "taperplan.formats.json",
    "plan_to_dict": "taperplan.formats.json",
    "plan_to_json": "taperplan.formats.json",
    "to_json": "taperplan.formats.json",
    "unstructure_plan": "taperplan.formats.json",
}

__getattr__, __dir__ = lazy_names("taperplan.export", globals(), {}, moved=_MOVED)

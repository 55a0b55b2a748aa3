"""The exports under their old names (``taperplan.export``); they live in :mod:`taperplan.formats`.

The model knows nothing of these formats; each adapter only reads it. Each
adapter is imported on first use (icalendar, cattrs and matplotlib stay
unloaded until a format needs them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from taperplan._lazy import lazy_names

# The errors are what callers catch: they live with every other error.
from taperplan.errors import CalendarOptionError, FHIRExportError, PlanExportError

if TYPE_CHECKING:
    from taperplan.formats.chart import plan_chart
    from taperplan.formats.csv import plan_to_csv
    from taperplan.formats.fhir import fhir_to_json, plan_to_fhir
    from taperplan.formats.handout import plan_to_handout
    from taperplan.formats.ics import calendar_warnings, plan_to_ics
    from taperplan.formats.json import (
        load_plan,
        mme_to_dict,
        notice_to_dict,
        plan_from_dict,
        plan_from_json,
        plan_to_dict,
        plan_to_json,
        to_json,
        unstructure_plan,
    )

# Where each name lives: every exporter loads on first use, so a program pays
# only for the formats it writes.
_MODULES: dict[str, tuple[str, ...]] = {
    "taperplan.formats.chart": ("plan_chart",),
    "taperplan.formats.csv": ("plan_to_csv",),
    "taperplan.formats.fhir": ("fhir_to_json", "plan_to_fhir"),
    "taperplan.formats.handout": ("plan_to_handout",),
    "taperplan.formats.ics": ("calendar_warnings", "plan_to_ics"),
    "taperplan.formats.json": (
        "load_plan",
        "mme_to_dict",
        "notice_to_dict",
        "plan_from_dict",
        "plan_from_json",
        "plan_to_dict",
        "plan_to_json",
        "to_json",
        "unstructure_plan",
    ),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


__getattr__, __dir__ = lazy_names("taperplan.export", globals(), _LAZY)

__all__ = [
    "CalendarOptionError",
    "FHIRExportError",
    "PlanExportError",
    "calendar_warnings",
    "fhir_to_json",
    "load_plan",
    "mme_to_dict",
    "notice_to_dict",
    "plan_chart",
    "plan_from_dict",
    "plan_from_json",
    "plan_to_csv",
    "plan_to_dict",
    "plan_to_fhir",
    "plan_to_handout",
    "plan_to_ics",
    "plan_to_json",
    "to_json",
    "unstructure_plan",
]

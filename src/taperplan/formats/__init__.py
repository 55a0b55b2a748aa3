"""Formats: the only code that knows file formats, in both directions.

Readers turn regimen TOML, plan JSON and symptom logs into the model
(:mod:`~taperplan.formats.regimen`, :mod:`~taperplan.formats.json`,
:mod:`~taperplan.formats.logs`); writers turn a plan into iCalendar, FHIR R4,
CSV, JSON, a handout and a chart. Each module is imported on first use, so a
program pays only for the formats it touches (icalendar, cattrs and
matplotlib stay unloaded until then).
"""

from typing import TYPE_CHECKING

from taperplan._lazy import lazy_names

if TYPE_CHECKING:
    from taperplan.formats.chart import plan_chart
    from taperplan.formats.csv import plan_to_csv
    from taperplan.formats.fhir import fhir_to_json, plan_to_fhir
    from taperplan.formats.files import write_output, write_outputs
    from taperplan.formats.handout import plan_to_handout
    from taperplan.formats.ics import calendar_warnings, plan_to_ics
    from taperplan.formats.json import (
        load_plan,
        mme_to_dict,
        plan_from_json,
        plan_to_dict,
        plan_to_json,
        to_json,
    )
    from taperplan.formats.logs import load_log
    from taperplan.formats.pdf import html_to_pdf
    from taperplan.formats.regimen import load_regimen
    from taperplan.formats.review_json import load_timeline, review_to_dict
    from taperplan.formats.rx import prescriptions_to_csv
    from taperplan.formats.summary import plan_to_summary

# The writers and readers by name, each module loaded when its name is first read
# (``formats.plan_to_ics`` loads icalendar; ``formats.plan_to_csv`` does not).
_MODULES: dict[str, tuple[str, ...]] = {
    "taperplan.formats.chart": ("plan_chart",),
    "taperplan.formats.csv": ("plan_to_csv",),
    "taperplan.formats.rx": ("prescriptions_to_csv",),
    "taperplan.formats.pdf": ("html_to_pdf",),
    "taperplan.formats.summary": ("plan_to_summary",),
    "taperplan.formats.fhir": ("fhir_to_json", "plan_to_fhir"),
    "taperplan.formats.files": ("write_output", "write_outputs"),
    "taperplan.formats.handout": ("plan_to_handout",),
    "taperplan.formats.ics": ("calendar_warnings", "plan_to_ics"),
    "taperplan.formats.json": (
        "load_plan",
        "mme_to_dict",
        "plan_from_json",
        "plan_to_dict",
        "plan_to_json",
        "to_json",
    ),
    "taperplan.formats.logs": ("load_log",),
    "taperplan.formats.regimen": ("load_regimen",),
    "taperplan.formats.review_json": ("load_timeline", "review_to_dict"),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}

__getattr__, __dir__ = lazy_names("taperplan.formats", globals(), _LAZY)

__all__ = [
    "calendar_warnings",
    "fhir_to_json",
    "html_to_pdf",
    "load_log",
    "load_plan",
    "load_regimen",
    "load_timeline",
    "mme_to_dict",
    "plan_chart",
    "plan_from_json",
    "plan_to_csv",
    "plan_to_dict",
    "plan_to_fhir",
    "plan_to_handout",
    "plan_to_ics",
    "plan_to_json",
    "plan_to_summary",
    "prescriptions_to_csv",
    "review_to_dict",
    "to_json",
    "write_output",
    "write_outputs",
]

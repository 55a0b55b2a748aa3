"""Exports: adapters that read taperplan's model and write other formats.

The model knows nothing of these formats; each adapter only reads it.
"""

from __future__ import annotations

from taperplan.export._chart import plan_chart
from taperplan.export._csv import plan_to_csv
from taperplan.export._fhir import FHIRExportError, fhir_to_json, plan_to_fhir
from taperplan.export._handout import plan_to_handout
from taperplan.export._json import mme_to_dict, notice_to_dict, plan_to_dict, to_json

__all__ = [
    "FHIRExportError",
    "fhir_to_json",
    "mme_to_dict",
    "notice_to_dict",
    "plan_chart",
    "plan_to_csv",
    "plan_to_dict",
    "plan_to_fhir",
    "plan_to_handout",
    "to_json",
]

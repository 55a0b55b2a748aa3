"""taperplan: typed, cited decision support for planning gradual opioid tapers.

Decision support for clinicians; not medical advice and not a diagnosis.
The root holds the pipeline's verbs, the values a caller holds and the
errors a caller catches::

    from taperplan import load_regimen, plan_taper, pause, replan, review

Everything else lives in the subpackage that owns it, in pipeline order:
:mod:`taperplan.reference` (catalogue, dispensable units, paces),
:mod:`taperplan.model`, :mod:`taperplan.clinical` (MME, withdrawal windows,
safety, adjuncts), :mod:`taperplan.planning`, :mod:`taperplan.prescribing`
(fills and quantities), :mod:`taperplan.reviewing`
(scales, review rules, pain pattern), :mod:`taperplan.formats` (every file
format: ``taperplan.formats.ics.plan_to_ics``), :mod:`taperplan.batch` and
:mod:`taperplan.cli`; every exception is in :mod:`taperplan.errors`.

Names load on first use (PEP 562), so ``import taperplan`` and the command
line start fast; type checkers see them through the ``TYPE_CHECKING``
imports below. Names the root held before 0.2 still work for one release,
with a ``DeprecationWarning`` naming their new home.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from taperplan._lazy import lazy_names

# hatchling reads the version from _version.py, so it is the installed one too
# (and cheaper than importlib.metadata at start-up).
from taperplan._version import __version__

# The errors are cheap and are what callers catch: load them at once.
from taperplan.errors import (
    CatalogueError,
    InvalidArgumentError,
    InvalidLogError,
    InvalidPlanDataError,
    InvalidRegimenError,
    OutputError,
    PlanningError,
    PrescriptionOptionError,
    Problem,
    QuantityError,
    RefusedError,
    TaperplanError,
    TaperplanWarning,
)

if TYPE_CHECKING:
    from taperplan.batch import plan_many
    from taperplan.clinical.mme import MMEReport, regimen_mme
    from taperplan.formats.json import load_plan, plan_to_json
    from taperplan.formats.logs import load_log
    from taperplan.formats.regimen import load_regimen, parse_regimen, regimen_from_mapping
    from taperplan.model.plan import Dose, MedicationDose, Step, StepKind, Substitute, TaperPlan
    from taperplan.model.prescription import Fill, FillItem
    from taperplan.model.regimen import Administration, Context, Medication, Regimen
    from taperplan.planning import TaperOrder, pause, plan_taper, replan
    from taperplan.prescribing import prescriptions
    from taperplan.reference.notices import Notice
    from taperplan.reference.paces import Pace, preset
    from taperplan.reference.products import catalogue
    from taperplan.reviewing.log import LogEntry
    from taperplan.reviewing.results import Flag, Review
    from taperplan.reviewing.review import review
    from taperplan.units import Quantity, Unit

# Where each name lives; the module loads when the name is first read.
_MODULES: dict[str, tuple[str, ...]] = {
    # Read a regimen
    "taperplan.formats.regimen": (
        "load_regimen",
        "parse_regimen",
        "regimen_from_mapping",
    ),
    # Plan, pause and re-plan
    "taperplan.planning": (
        "TaperOrder",
        "pause",
        "plan_taper",
        "replan",
    ),
    "taperplan.batch": ("plan_many",),
    # Prescribe each fill
    "taperplan.prescribing": ("prescriptions",),
    "taperplan.model.prescription": (
        "Fill",
        "FillItem",
    ),
    # Save and resume a plan
    "taperplan.formats.json": (
        "load_plan",
        "plan_to_json",
    ),
    # Review a symptom log at a visit
    "taperplan.reviewing.review": ("review",),
    "taperplan.reviewing.results": ("Flag", "Review"),
    "taperplan.reviewing.log": ("LogEntry",),
    "taperplan.formats.logs": ("load_log",),
    # MME
    "taperplan.clinical.mme": (
        "MMEReport",
        "regimen_mme",
    ),
    # The catalogue and the paces
    "taperplan.reference.products": ("catalogue",),
    "taperplan.reference.paces": (
        "Pace",
        "preset",
    ),
    "taperplan.reference.notices": ("Notice",),
    # The values a caller holds
    "taperplan.model.regimen": (
        "Administration",
        "Context",
        "Medication",
        "Regimen",
    ),
    "taperplan.model.plan": (
        "Dose",
        "MedicationDose",
        "Step",
        "StepKind",
        "Substitute",
        "TaperPlan",
    ),
    "taperplan.units": (
        "Quantity",
        "Unit",
    ),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}

# Names the root held before, and their homes now: they work for one more
# release with a DeprecationWarning.
_MOVED: dict[str, str] = {
    "BatchItem": "taperplan.batch",
    "BatchResult": "taperplan.batch",
    "SUMMARY_COLUMNS": "taperplan.batch",
    "load_batch": "taperplan.batch",
    "plan_one": "taperplan.batch",
    "summary_row": "taperplan.batch",
    "AdjunctEntry": "taperplan.clinical.adjuncts",
    "CautionRule": "taperplan.clinical.adjuncts",
    "Condition": "taperplan.clinical.adjuncts",
    "adjunct_entry": "taperplan.clinical.adjuncts",
    "adjunct_rules": "taperplan.clinical.adjuncts",
    "adjunct_table": "taperplan.clinical.adjuncts",
    "adjunct_to_dict": "taperplan.clinical.adjuncts",
    "caution_to_dict": "taperplan.clinical.adjuncts",
    "suggest_adjuncts": "taperplan.clinical.adjuncts",
    "MedicationMME": "taperplan.clinical.mme",
    "medication_mme": "taperplan.clinical.mme",
    "ClockChange": "taperplan.clinical.safety",
    "clock_changes": "taperplan.clinical.safety",
    "dst_time_warnings": "taperplan.clinical.safety",
    "oud_refusal_reason": "taperplan.clinical.safety",
    "regimen_safety_warnings": "taperplan.clinical.safety",
    "safety_codes": "taperplan.clinical.safety",
    "window_after": "taperplan.clinical.withdrawal",
    "BatchInputError": "taperplan.errors",
    "DimensionError": "taperplan.errors",
    "InvalidScoreError": "taperplan.errors",
    "MissingDependencyError": "taperplan.errors",
    "NotApplicableError": "taperplan.errors",
    "OutputExistsError": "taperplan.errors",
    "PlanExportError": "taperplan.errors",
    "RegimenFileError": "taperplan.errors",
    "StoppedAt": "taperplan.errors",
    "write_output": "taperplan.formats.files",
    "plan_from_json": "taperplan.formats.json",
    "LOG_COLUMNS": "taperplan.formats.logs",
    "load_timeline": "taperplan.formats.review_json",
    "log_entry_to_dict": "taperplan.formats.review_json",
    "parse_log_csv": "taperplan.formats.logs",
    "parse_log_toml": "taperplan.formats.logs",
    "review_to_dict": "taperplan.formats.review_json",
    "scale_reading_to_dict": "taperplan.formats.review_json",
    "timeline_from_json": "taperplan.formats.review_json",
    "Adjunct": "taperplan.model.advice",
    "CATEGORIES": "taperplan.model.advice",
    "Caution": "taperplan.model.advice",
    "WithdrawalWindow": "taperplan.model.advice",
    "UnitCount": "taperplan.reference.dispense",
    "UnitSet": "taperplan.reference.dispense",
    "Basis": "taperplan.reference.paces",
    "default_pace": "taperplan.reference.paces",
    "pace_from_mapping": "taperplan.reference.paces",
    "presets": "taperplan.reference.paces",
    "Agonist": "taperplan.reference.products",
    "Catalogue": "taperplan.reference.products",
    "Combination": "taperplan.reference.products",
    "FactorSet": "taperplan.reference.products",
    "Form": "taperplan.reference.products",
    "Opioid": "taperplan.reference.products",
    "Product": "taperplan.reference.products",
    "Source": "taperplan.reference.products",
    "WithdrawalProfile": "taperplan.reference.products",
    "PainObservations": "taperplan.reviewing.pain_pattern",
    "PainPatternAssessment": "taperplan.reviewing.pain_pattern",
    "PatternFindings": "taperplan.reviewing.pain_pattern",
    "RiskFactor": "taperplan.reviewing.pain_pattern",
    "Sign": "taperplan.reviewing.pain_pattern",
    "assess_pain_pattern": "taperplan.reviewing.pain_pattern",
    "assessment_to_dict": "taperplan.reviewing.pain_pattern",
    "oih_risk_factors": "taperplan.reviewing.pain_pattern",
    "oih_signs": "taperplan.reviewing.pain_pattern",
    "Evidence": "taperplan.reviewing.results",
    "FLAG_KINDS": "taperplan.reviewing.rules",
    "PausePreview": "taperplan.reviewing.results",
    "PlanTimeline": "taperplan.reviewing.timeline",
    "ReviewRule": "taperplan.reviewing.rules",
    "ScaleTotal": "taperplan.reviewing.log",
    "TimelineStep": "taperplan.reviewing.timeline",
    "default_pause_days": "taperplan.reviewing.rules",
    "dosing_period": "taperplan.reviewing.timeline",
    "review_rules": "taperplan.reviewing.rules",
    "symptom_log": "taperplan.reviewing.log",
    "timeline_of": "taperplan.reviewing.timeline",
    "Band": "taperplan.reviewing.scales",
    "Scale": "taperplan.reviewing.scales",
    "ScaleItem": "taperplan.reviewing.scales",
    "ScaleResult": "taperplan.reviewing.scales",
    "scale": "taperplan.reviewing.scales",
    "scale_result_to_dict": "taperplan.reviewing.scales",
    "scales": "taperplan.reviewing.scales",
    "score_cows": "taperplan.reviewing.scales",
    "score_sows": "taperplan.reviewing.scales",
    "score_sows_gossop": "taperplan.reviewing.scales",
    "Dimension": "taperplan.units",
    "mcg": "taperplan.units",
    "mcg_per_h": "taperplan.units",
    "mg": "taperplan.units",
    "mg_per_ml": "taperplan.units",
    "ml": "taperplan.units",
}

__getattr__, __dir__ = lazy_names("taperplan", globals(), _LAZY, moved=_MOVED)

__all__ = [
    "Administration",
    "CatalogueError",
    "Context",
    "Dose",
    "Fill",
    "FillItem",
    "Flag",
    "InvalidArgumentError",
    "InvalidLogError",
    "InvalidPlanDataError",
    "InvalidRegimenError",
    "LogEntry",
    "MMEReport",
    "Medication",
    "MedicationDose",
    "Notice",
    "OutputError",
    "Pace",
    "PlanningError",
    "PrescriptionOptionError",
    "Problem",
    "Quantity",
    "QuantityError",
    "RefusedError",
    "Regimen",
    "Review",
    "Step",
    "StepKind",
    "Substitute",
    "TaperOrder",
    "TaperPlan",
    "TaperplanError",
    "TaperplanWarning",
    "Unit",
    "__version__",
    "catalogue",
    "load_log",
    "load_plan",
    "load_regimen",
    "parse_regimen",
    "pause",
    "plan_many",
    "plan_taper",
    "plan_to_json",
    "prescriptions",
    "preset",
    "regimen_from_mapping",
    "regimen_mme",
    "replan",
    "review",
]

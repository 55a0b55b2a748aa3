"""taperplan: typed, cited decision support for planning gradual opioid tapers.

Decision support for clinicians; not medical advice and not a diagnosis.
Everything public is importable from here::

    from taperplan import load_regimen, plan_taper

Names are loaded on first use (PEP 562), so ``import taperplan`` and the
command line start fast; type checkers and IDEs see them through the
``TYPE_CHECKING`` imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The errors are cheap and are what callers catch: load them at once.
from taperplan._errors import (
    CatalogueError,
    DimensionError,
    InvalidRegimenError,
    MissingDependencyError,
    NotApplicableError,
    OutputExistsError,
    PlanningError,
    Problem,
    QuantityError,
    RefusedError,
    RegimenFileError,
    TaperplanError,
    TaperplanWarning,
)

# hatchling reads the version from _version.py, so it is the installed one too
# (and cheaper than importlib.metadata at start-up).
from taperplan._version import __version__

if TYPE_CHECKING:
    from taperplan._adjuncts import (
        CATEGORIES,
        Adjunct,
        AdjunctEntry,
        Caution,
        CautionRule,
        Condition,
        adjunct_entry,
        adjunct_rules,
        adjunct_table,
        adjunct_to_dict,
        caution_to_dict,
        suggest_adjuncts,
    )
    from taperplan._batch import (
        SUMMARY_COLUMNS,
        BatchInputError,
        BatchItem,
        BatchResult,
        load_batch,
        plan_many,
        plan_one,
        summary_row,
    )
    from taperplan._catalogue import (
        Agonist,
        Catalogue,
        Combination,
        FactorSet,
        Form,
        Opioid,
        Product,
        Source,
        WithdrawalProfile,
        catalogue,
    )
    from taperplan._dispense import (
        UnitCount,
        UnitSet,
    )
    from taperplan._io import OutputError, write_output
    from taperplan._loader import (
        load_regimen,
        parse_regimen,
        regimen_from_mapping,
    )
    from taperplan._mme import (
        MedicationMME,
        MMEReport,
        medication_mme,
        regimen_mme,
    )
    from taperplan._notices import (
        Notice,
    )
    from taperplan._oih import (
        PainObservations,
        PainPatternAssessment,
        PatternFindings,
        RiskFactor,
        Sign,
        assess_pain_pattern,
        assessment_to_dict,
        oih_risk_factors,
        oih_signs,
    )
    from taperplan._pace import (
        Basis,
        Pace,
        default_pace,
        pace_from_mapping,
        preset,
        presets,
    )
    from taperplan._plan import (
        Dose,
        MedicationDose,
        Step,
        StepKind,
        TaperPlan,
    )
    from taperplan._planner import (
        TaperOrder,
        plan_taper,
        replan,
    )
    from taperplan._regimen import (
        Administration,
        Context,
        Medication,
        Regimen,
    )
    from taperplan._review import (
        FLAG_KINDS,
        Evidence,
        Flag,
        InvalidLogError,
        InvalidPlanDataError,
        LogEntry,
        PausePreview,
        PlanTimeline,
        Review,
        ReviewRule,
        ScaleTotal,
        TimelineStep,
        default_pause_days,
        dosing_period,
        review,
        review_rules,
        symptom_log,
        timeline_of,
    )
    from taperplan._review_io import (
        LOG_COLUMNS,
        load_log,
        load_timeline,
        log_entry_to_dict,
        parse_log_csv,
        parse_log_toml,
        review_to_dict,
        scale_reading_to_dict,
        timeline_from_json,
    )
    from taperplan._safety import (
        ClockChange,
        clock_changes,
        dst_time_warnings,
        oud_refusal_reason,
        regimen_safety_warnings,
        safety_codes,
    )
    from taperplan._scales import (
        Band,
        InvalidScoreError,
        Scale,
        ScaleItem,
        ScaleResult,
        scale,
        scale_result_to_dict,
        scales,
        score_cows,
        score_sows,
        score_sows_gossop,
    )
    from taperplan._units import (
        Dimension,
        Quantity,
        Unit,
        mcg,
        mcg_per_h,
        mg,
        mg_per_ml,
        ml,
    )
    from taperplan._withdrawal import (
        WithdrawalWindow,
        window_after,
    )
    from taperplan.export._json import (
        PlanExportError,
        load_plan,
        plan_from_json,
        plan_to_json,
    )

# Where each lazily loaded public name lives.
_MODULES: dict[str, tuple[str, ...]] = {
    "taperplan._adjuncts": (
        "CATEGORIES",
        "Adjunct",
        "AdjunctEntry",
        "Caution",
        "CautionRule",
        "Condition",
        "adjunct_entry",
        "adjunct_rules",
        "adjunct_table",
        "adjunct_to_dict",
        "caution_to_dict",
        "suggest_adjuncts",
    ),
    "taperplan._batch": (
        "SUMMARY_COLUMNS",
        "BatchInputError",
        "BatchItem",
        "BatchResult",
        "load_batch",
        "plan_many",
        "plan_one",
        "summary_row",
    ),
    "taperplan._catalogue": (
        "Agonist",
        "Catalogue",
        "Combination",
        "FactorSet",
        "Form",
        "Opioid",
        "Product",
        "Source",
        "WithdrawalProfile",
        "catalogue",
    ),
    "taperplan._dispense": (
        "UnitCount",
        "UnitSet",
    ),
    "taperplan._io": (
        "OutputError",
        "write_output",
    ),
    "taperplan._loader": (
        "load_regimen",
        "parse_regimen",
        "regimen_from_mapping",
    ),
    "taperplan._mme": (
        "MedicationMME",
        "MMEReport",
        "medication_mme",
        "regimen_mme",
    ),
    "taperplan._notices": ("Notice",),
    "taperplan._oih": (
        "PainObservations",
        "PainPatternAssessment",
        "PatternFindings",
        "RiskFactor",
        "Sign",
        "assess_pain_pattern",
        "assessment_to_dict",
        "oih_risk_factors",
        "oih_signs",
    ),
    "taperplan._pace": (
        "Basis",
        "Pace",
        "default_pace",
        "pace_from_mapping",
        "preset",
        "presets",
    ),
    "taperplan._plan": (
        "Dose",
        "MedicationDose",
        "Step",
        "StepKind",
        "TaperPlan",
    ),
    "taperplan._planner": (
        "TaperOrder",
        "plan_taper",
        "replan",
    ),
    "taperplan._regimen": (
        "Administration",
        "Context",
        "Medication",
        "Regimen",
    ),
    "taperplan._review": (
        "FLAG_KINDS",
        "Evidence",
        "Flag",
        "InvalidLogError",
        "InvalidPlanDataError",
        "LogEntry",
        "PausePreview",
        "PlanTimeline",
        "Review",
        "ReviewRule",
        "ScaleTotal",
        "TimelineStep",
        "default_pause_days",
        "dosing_period",
        "review",
        "review_rules",
        "symptom_log",
        "timeline_of",
    ),
    "taperplan._review_io": (
        "LOG_COLUMNS",
        "load_log",
        "load_timeline",
        "log_entry_to_dict",
        "parse_log_csv",
        "parse_log_toml",
        "review_to_dict",
        "scale_reading_to_dict",
        "timeline_from_json",
    ),
    "taperplan._safety": (
        "ClockChange",
        "clock_changes",
        "dst_time_warnings",
        "oud_refusal_reason",
        "regimen_safety_warnings",
        "safety_codes",
    ),
    "taperplan._scales": (
        "Band",
        "InvalidScoreError",
        "Scale",
        "ScaleItem",
        "ScaleResult",
        "scale",
        "scale_result_to_dict",
        "scales",
        "score_cows",
        "score_sows",
        "score_sows_gossop",
    ),
    "taperplan._units": (
        "Dimension",
        "Quantity",
        "Unit",
        "mcg",
        "mcg_per_h",
        "mg",
        "mg_per_ml",
        "ml",
    ),
    "taperplan._withdrawal": (
        "WithdrawalWindow",
        "window_after",
    ),
    "taperplan.export._json": (
        "PlanExportError",
        "load_plan",
        "plan_from_json",
        "plan_to_json",
    ),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'taperplan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CATEGORIES",
    "FLAG_KINDS",
    "LOG_COLUMNS",
    "SUMMARY_COLUMNS",
    "Adjunct",
    "AdjunctEntry",
    "Administration",
    "Agonist",
    "Band",
    "Basis",
    "BatchInputError",
    "BatchItem",
    "BatchResult",
    "Catalogue",
    "CatalogueError",
    "Caution",
    "CautionRule",
    "ClockChange",
    "Combination",
    "Condition",
    "Context",
    "Dimension",
    "DimensionError",
    "Dose",
    "Evidence",
    "FactorSet",
    "Flag",
    "Form",
    "InvalidLogError",
    "InvalidPlanDataError",
    "InvalidRegimenError",
    "InvalidScoreError",
    "LogEntry",
    "MMEReport",
    "Medication",
    "MedicationDose",
    "MedicationMME",
    "MissingDependencyError",
    "NotApplicableError",
    "Notice",
    "Opioid",
    "OutputError",
    "OutputExistsError",
    "Pace",
    "PainObservations",
    "PainPatternAssessment",
    "PatternFindings",
    "PausePreview",
    "PlanExportError",
    "PlanTimeline",
    "PlanningError",
    "Problem",
    "Product",
    "Quantity",
    "QuantityError",
    "RefusedError",
    "Regimen",
    "RegimenFileError",
    "Review",
    "ReviewRule",
    "RiskFactor",
    "Scale",
    "ScaleItem",
    "ScaleResult",
    "ScaleTotal",
    "Sign",
    "Source",
    "Step",
    "StepKind",
    "TaperOrder",
    "TaperPlan",
    "TaperplanError",
    "TaperplanWarning",
    "TimelineStep",
    "Unit",
    "UnitCount",
    "UnitSet",
    "WithdrawalProfile",
    "WithdrawalWindow",
    "__version__",
    "adjunct_entry",
    "adjunct_rules",
    "adjunct_table",
    "adjunct_to_dict",
    "assess_pain_pattern",
    "assessment_to_dict",
    "catalogue",
    "caution_to_dict",
    "clock_changes",
    "default_pace",
    "default_pause_days",
    "dosing_period",
    "dst_time_warnings",
    "load_batch",
    "load_log",
    "load_plan",
    "load_regimen",
    "load_timeline",
    "log_entry_to_dict",
    "mcg",
    "mcg_per_h",
    "medication_mme",
    "mg",
    "mg_per_ml",
    "ml",
    "oih_risk_factors",
    "oih_signs",
    "oud_refusal_reason",
    "pace_from_mapping",
    "parse_log_csv",
    "parse_log_toml",
    "parse_regimen",
    "plan_from_json",
    "plan_many",
    "plan_one",
    "plan_taper",
    "plan_to_json",
    "preset",
    "presets",
    "regimen_from_mapping",
    "regimen_mme",
    "regimen_safety_warnings",
    "replan",
    "review",
    "review_rules",
    "review_to_dict",
    "safety_codes",
    "scale",
    "scale_reading_to_dict",
    "scale_result_to_dict",
    "scales",
    "score_cows",
    "score_sows",
    "score_sows_gossop",
    "suggest_adjuncts",
    "summary_row",
    "symptom_log",
    "timeline_from_json",
    "timeline_of",
    "window_after",
    "write_output",
]

"""taperplan: typed, cited decision support for planning gradual opioid tapers.

Decision support for clinicians; not medical advice and not a diagnosis.
Everything public is importable from here::

    from taperplan import load_regimen, regimen_mme
"""

from __future__ import annotations

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
from taperplan._dispense import UnitCount, UnitSet
from taperplan._errors import (
    CatalogueError,
    DimensionError,
    InvalidRegimenError,
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
from taperplan._loader import load_regimen, parse_regimen, regimen_from_mapping
from taperplan._mme import MedicationMME, MMEReport, medication_mme, regimen_mme
from taperplan._notices import Notice
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
from taperplan._pace import Basis, Pace, default_pace, pace_from_mapping, preset, presets
from taperplan._plan import Dose, MedicationDose, Step, StepKind, TaperPlan
from taperplan._planner import TaperOrder, plan_taper, replan
from taperplan._regimen import Administration, Context, Medication, Regimen
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
from taperplan._units import Dimension, Quantity, Unit, mcg, mcg_per_h, mg, mg_per_ml, ml

# hatchling reads the version from _version.py, so it is the installed one too
# (and cheaper than importlib.metadata at start-up).
from taperplan._version import __version__
from taperplan._withdrawal import WithdrawalWindow, window_after

__all__ = [
    "CATEGORIES",
    "Adjunct",
    "AdjunctEntry",
    "Administration",
    "Agonist",
    "Band",
    "Basis",
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
    "FactorSet",
    "Form",
    "InvalidRegimenError",
    "InvalidScoreError",
    "MMEReport",
    "Medication",
    "MedicationDose",
    "MedicationMME",
    "NotApplicableError",
    "Notice",
    "Opioid",
    "OutputExistsError",
    "Pace",
    "PainObservations",
    "PainPatternAssessment",
    "PatternFindings",
    "PlanningError",
    "Problem",
    "Product",
    "Quantity",
    "QuantityError",
    "RefusedError",
    "Regimen",
    "RegimenFileError",
    "RiskFactor",
    "Scale",
    "ScaleItem",
    "ScaleResult",
    "Sign",
    "Source",
    "Step",
    "StepKind",
    "TaperOrder",
    "TaperPlan",
    "TaperplanError",
    "TaperplanWarning",
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
    "dst_time_warnings",
    "load_regimen",
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
    "parse_regimen",
    "plan_taper",
    "preset",
    "presets",
    "regimen_from_mapping",
    "regimen_mme",
    "regimen_safety_warnings",
    "replan",
    "safety_codes",
    "scale",
    "scale_result_to_dict",
    "scales",
    "score_cows",
    "score_sows",
    "score_sows_gossop",
    "suggest_adjuncts",
    "window_after",
]

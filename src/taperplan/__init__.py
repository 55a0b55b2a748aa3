"""taperplan: typed, cited decision support for planning gradual opioid tapers.

Decision support for clinicians; not medical advice and not a diagnosis.
Everything public is importable from here::

    from taperplan import load_regimen, regimen_mme
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

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
from taperplan._regimen import Administration, Context, Medication, Regimen
from taperplan._units import Dimension, Quantity, Unit, mcg, mcg_per_h, mg, mg_per_ml, ml
from taperplan._withdrawal import WithdrawalWindow, window_after

try:
    __version__ = version("taperplan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    from taperplan._version import __version__

__all__ = [
    "Adjunct",
    "adjunct_entry",
    "adjunct_rules",
    "adjunct_table",
    "adjunct_to_dict",
    "AdjunctEntry",
    "Administration",
    "Agonist",
    "assess_pain_pattern",
    "assessment_to_dict",
    "Band",
    "Basis",
    "Catalogue",
    "catalogue",
    "CatalogueError",
    "CATEGORIES",
    "Caution",
    "caution_to_dict",
    "CautionRule",
    "clock_changes",
    "ClockChange",
    "Combination",
    "Condition",
    "Context",
    "default_pace",
    "Dimension",
    "DimensionError",
    "Dose",
    "dst_time_warnings",
    "FactorSet",
    "Form",
    "InvalidRegimenError",
    "InvalidScoreError",
    "load_regimen",
    "mcg",
    "mcg_per_h",
    "Medication",
    "medication_mme",
    "MedicationDose",
    "MedicationMME",
    "mg",
    "mg_per_ml",
    "ml",
    "MMEReport",
    "NotApplicableError",
    "Notice",
    "oih_risk_factors",
    "oih_signs",
    "Opioid",
    "oud_refusal_reason",
    "OutputExistsError",
    "Pace",
    "pace_from_mapping",
    "PainObservations",
    "PainPatternAssessment",
    "parse_regimen",
    "PatternFindings",
    "plan_taper",
    "PlanningError",
    "preset",
    "presets",
    "Problem",
    "Product",
    "Quantity",
    "QuantityError",
    "RefusedError",
    "Regimen",
    "regimen_from_mapping",
    "regimen_mme",
    "regimen_safety_warnings",
    "RegimenFileError",
    "replan",
    "RiskFactor",
    "safety_codes",
    "scale",
    "Scale",
    "scale_result_to_dict",
    "ScaleItem",
    "ScaleResult",
    "scales",
    "score_cows",
    "score_sows",
    "score_sows_gossop",
    "Sign",
    "Source",
    "Step",
    "StepKind",
    "suggest_adjuncts",
    "TaperOrder",
    "TaperPlan",
    "TaperplanError",
    "TaperplanWarning",
    "Unit",
    "UnitCount",
    "UnitSet",
    "window_after",
    "WithdrawalProfile",
    "WithdrawalWindow",
    "__version__",
]

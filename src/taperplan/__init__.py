"""taperplan: typed, cited decision support for planning gradual opioid tapers.

Decision support for clinicians; not medical advice and not a diagnosis.
Everything public is importable from here::

    from taperplan import load_regimen, regimen_mme
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

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
from taperplan._pace import Basis, Pace, default_pace, pace_from_mapping, preset, presets
from taperplan._plan import Dose, MedicationDose, Step, StepKind, TaperPlan
from taperplan._planner import TaperOrder, plan_taper, replan
from taperplan._regimen import Administration, Context, Medication, Regimen
from taperplan._units import Dimension, Quantity, Unit, mcg, mcg_per_h, mg, mg_per_ml, ml
from taperplan._withdrawal import WithdrawalWindow, window_after

try:
    __version__ = version("taperplan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    from taperplan._version import __version__

__all__ = [
    "Administration",
    "Agonist",
    "Basis",
    "Catalogue",
    "CatalogueError",
    "Combination",
    "Context",
    "Dimension",
    "DimensionError",
    "Dose",
    "FactorSet",
    "Form",
    "InvalidRegimenError",
    "MMEReport",
    "Medication",
    "MedicationDose",
    "MedicationMME",
    "NotApplicableError",
    "Notice",
    "Opioid",
    "OutputExistsError",
    "Pace",
    "PlanningError",
    "Problem",
    "Product",
    "Quantity",
    "QuantityError",
    "RefusedError",
    "Regimen",
    "RegimenFileError",
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
    "catalogue",
    "default_pace",
    "load_regimen",
    "mcg",
    "mcg_per_h",
    "medication_mme",
    "mg",
    "mg_per_ml",
    "ml",
    "pace_from_mapping",
    "parse_regimen",
    "plan_taper",
    "preset",
    "presets",
    "regimen_from_mapping",
    "regimen_mme",
    "replan",
    "window_after",
]

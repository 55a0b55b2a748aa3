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
from taperplan._pace import Basis, Pace, default_pace, preset, presets
from taperplan._regimen import Administration, Context, Medication, Regimen
from taperplan._units import Dimension, Quantity, Unit, mcg, mcg_per_h, mg, mg_per_ml, ml

try:
    __version__ = version("taperplan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    from taperplan._version import __version__

__all__ = [
    # model
    "Administration",
    "Agonist",
    "Basis",
    # catalogue
    "Catalogue",
    # errors and warnings
    "CatalogueError",
    "Combination",
    "Context",
    "Dimension",
    "DimensionError",
    "FactorSet",
    "Form",
    "InvalidRegimenError",
    "MMEReport",
    "Medication",
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
    "TaperplanError",
    "TaperplanWarning",
    "Unit",
    "UnitCount",
    "UnitSet",
    "WithdrawalProfile",
    "__version__",
    "catalogue",
    "default_pace",
    # functions
    "load_regimen",
    "mcg",
    "mcg_per_h",
    "medication_mme",
    "mg",
    "mg_per_ml",
    "ml",
    "parse_regimen",
    "preset",
    "presets",
    "regimen_from_mapping",
    "regimen_mme",
]

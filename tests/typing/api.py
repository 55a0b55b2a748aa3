"""Typed usage of taperplan's public API; checked with ``mypy --strict``, never run by pytest.

If a public signature changes in a way that breaks callers, this file stops
type-checking.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from taperplan import (
    CatalogueError,
    Context,
    InvalidRegimenError,
    Medication,
    MMEReport,
    Notice,
    Pace,
    Problem,
    Quantity,
    QuantityError,
    Regimen,
    TaperplanError,
    TaperplanWarning,
    Unit,
    __version__,
    catalogue,
    load_regimen,
    parse_regimen,
    preset,
    regimen_from_mapping,
    regimen_mme,
)
from taperplan.clinical.mme import MedicationMME, medication_mme
from taperplan.errors import DimensionError, NotApplicableError, RegimenFileError
from taperplan.reference.dispense import UnitCount, UnitSet
from taperplan.reference.paces import presets
from taperplan.reference.products import Catalogue, FactorSet, Form, Opioid, Product
from taperplan.units import Dimension, mcg, mcg_per_h, mg, mg_per_ml, ml

version: str = __version__

# Quantities
dose: Quantity = mg("7.5") + mg(5) - mcg(500)
patch: Quantity = mcg_per_h(25)
volume: Quantity = ml("2.5")
solution_dose: Quantity = mg_per_ml(4) * volume
parsed: Quantity = Quantity.parse("20 mg")
exact: Quantity = Quantity(Decimal("12.5"), Unit.MG)
amount: Decimal = parsed.amount
unit: Unit = parsed.unit
dimension: Dimension = unit.dimension
ceiling: Decimal = unit.ceiling
in_mcg: Quantity = parsed.to(Unit.MCG)
ratio: Decimal = parsed.ratio(mg(5))
smaller: bool = dose < parsed
text: str = str(parsed)

# Catalogue
cat: Catalogue = catalogue()
oxycodone: Opioid = cat.opioid("OxyContin")
product: Product = cat.product(oxycodone, Form.ER_TABLET)
strengths: tuple[Quantity, ...] = product.strengths
never_split: bool = product.with_split(True).splittable
change_days: int | None = product.change_days
factor_set: FactorSet = cat.factor_set("cdc2016")
factor: Decimal | None = factor_set.factor_for(product, mg(40))
pace: Pace = preset("cdc-long-term")
paces: tuple[Pace, ...] = presets()
cap: Decimal = pace.max_step_fraction

# Dispensing
units: UnitSet = UnitSet(form=Form.IR_TABLET, strengths=(mg(15), mg(30)), splittable=True)
made: tuple[UnitCount, ...] | None = units.make(mg("22.5"))
smallest: Quantity = units.smallest_unit

# Regimens
regimen: Regimen = regimen_from_mapping(
    {
        "timezone": "America/New_York",
        "context": {"on_opioids_since": dt.date(2021, 3, 1)},
        "medication": [
            {
                "drug": "oxycodone",
                "form": "er_tablet",
                "strength": "20 mg",
                "dose": "20 mg",
                "times": ["08:00", "20:00"],
            }
        ],
    },
    today=dt.date(2025, 1, 1),
)
from_file: Regimen = load_regimen(Path("regimen.toml"), today=dt.date(2025, 1, 1))
from_text: Regimen = parse_regimen('[[medication]]\ndrug = "morphine"\n', source="inline")
zone: ZoneInfo | None = regimen.timezone
context: Context = regimen.context
since: dt.date | None = context.on_opioids_since
medication: Medication = regimen.medications[0]
daily: Quantity = medication.daily_amount
notices: tuple[Notice, ...] = regimen.notices
built: Medication = Medication.of("morphine", "ir_tablet", "15 mg", times=["08:00"], dose="7.5 mg")

# MME
report: MMEReport = regimen_mme(regimen, "cdc2022")
total: Decimal | None = report.total_mme_per_day
parts: tuple[MedicationMME, ...] = report.medications
one: MedicationMME = medication_mme(medication, factor_set, daily_amount=mg(30))
codes: list[str] = [warning.code for warning in report.warnings]


# Errors
def describe(error: TaperplanError) -> str:
    """Every taperplan error is handled through one root."""
    if isinstance(error, InvalidRegimenError):
        problems: tuple[Problem, ...] = error.problems
        return "\n".join(f"{p.path}: {p.message} ({p.fix})" for p in problems)
    if isinstance(error, RegimenFileError):
        return f"{error.source}: {error.reason}"
    if isinstance(error, CatalogueError):
        suggestions: tuple[str, ...] = error.suggestions
        return ", ".join(suggestions)
    if isinstance(error, QuantityError | DimensionError | NotApplicableError):
        return str(error)
    return repr(error)


warning_class: type[UserWarning] = TaperplanWarning
value_errors: tuple[type[ValueError], ...] = (QuantityError, InvalidRegimenError, RegimenFileError)

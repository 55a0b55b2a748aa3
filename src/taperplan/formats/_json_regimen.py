"""The plan document's ``regimen``: the regimen in the regimen file's shape
(interfaces.md §1), so that ``regimen_from_mapping(document["regimen"])`` gives
it back, and the regimen read back with the regimen file's own reader.
"""

from __future__ import annotations

import datetime as dt
import enum
import typing
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

import attrs

from taperplan.errors import InvalidRegimenError, PlanExportError
from taperplan.formats._json_problems import RegimenProblemsError, not_an_object
from taperplan.formats._json_text import clock
from taperplan.formats.regimen import regimen_from_mapping
from taperplan.model.regimen import Context, Medication, Regimen
from taperplan.reference.initiation import initiation_products
from taperplan.reference.paces import Pace, presets
from taperplan.reference.products import Product, catalogue
from taperplan.units import Quantity

#: The keys of a ``[pace]`` table besides ``preset`` and ``name``, in the order written.
_PACE_KEYS = (
    "percent",
    "reduction",
    "basis",
    "switch_at",
    "every_days",
    "min_step_days",
    "max_step_fraction",
    "substitute",
)


@cache
def products() -> dict[str, Product]:
    """The catalogue's products by name (``oxycodone er_tablet``), and the
    buprenorphine an initiation adds."""
    found = {product.name: product for product in catalogue().products}
    for made_of in initiation_products().values():
        found[made_of.product.name] = made_of.product
    return found


def regimen_document(regimen: Regimen) -> dict[str, Any]:
    """The regimen file's mapping that gives ``regimen`` back (less its notices,
    which the plan document writes as ``regimen_notices``).

    Raises:
        PlanExportError: no regimen file states this regimen (built in code).
    """
    document: dict[str, Any] = {}
    if regimen.timezone is not None:
        document["timezone"] = regimen.timezone.key
    context = _context_table(regimen.context)
    if context:
        document["context"] = context
    document["medication"] = [_medication_entry(m) for m in regimen.medications]
    if regimen.pace is not None:
        document["pace"] = _pace_table(regimen.pace)
    _check_regimen(regimen, document)
    return document


def structure_regimen(data: object, _: Any) -> Regimen:
    """The regimen of a plan document, read as a regimen file is (its notices
    come from ``regimen_notices``)."""
    if not isinstance(data, Mapping):
        raise not_an_object(data)
    try:
        return regimen_from_mapping(_loader_values(data), source="regimen")
    except InvalidRegimenError as error:
        raise RegimenProblemsError(error.problems) from None


def _context_table(context: Context) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for field in attrs.fields(Context):
        value = getattr(context, field.name)
        if value is not None:
            table[field.name] = value.isoformat() if isinstance(value, dt.date) else value
    return table


def _medication_entry(medication: Medication) -> dict[str, Any]:
    product = medication.product
    entry: dict[str, Any] = {"drug": product.drug.name, "form": product.form.value}
    if medication.combination is not None:
        entry["combination"] = str(medication.combination)
    strengths = [str(s) for s in medication.strengths]
    entry["strength"] = strengths[0] if len(strengths) == 1 else strengths
    entry["times"] = [clock(a.time) for a in medication.administrations]
    amounts = [str(a.amount) for a in medication.administrations]
    if len(set(amounts)) == 1:
        entry["dose"] = amounts[0]
    else:
        entry["doses"] = amounts
    if medication.every_days != (product.change_days or 1):
        entry["every_days"] = medication.every_days
    if medication.available is not None:
        entry["available"] = [str(s) for s in medication.available]
    if medication.resolution is not None:
        entry["resolution"] = str(medication.resolution)
    if medication.indication != "pain":
        entry["indication"] = medication.indication
    if medication.as_needed is not None:
        entry["as_needed"] = True
        entry["max_doses_per_day"] = medication.as_needed.max_doses_per_day
        if medication.as_needed.plan != "schedule":
            entry["as_needed_plan"] = medication.as_needed.plan
    listed = products().get(product.name)
    if listed is not None and listed.splittable != product.splittable:
        entry["split"] = product.splittable
    return entry


def _pace_table(pace: Pace) -> dict[str, Any]:
    """The ``[pace]`` table that gives ``pace`` back: a preset, a preset with
    overrides, or a custom pace."""
    base = next(
        (
            p
            for p in presets()
            if (p.description, p.source, p.source_detail)
            == (pace.description, pace.source, pace.source_detail)
        ),
        None,
    )
    table: dict[str, Any] = {}
    if base is not None:
        if pace == base:
            return {"preset": base.name}
        table["preset"] = base.name
        if pace.name != base.name:
            table["name"] = pace.name
    else:
        table["name"] = pace.name
    for key in _PACE_KEYS:
        value = getattr(pace, key)
        if value is None or (key == "substitute" and value):
            continue
        # A reduction resets the basis to "original" unless the table states one.
        keep = key == "basis" and pace.reduction is not None
        if base is not None and value == getattr(base, key) and not keep:
            continue
        if isinstance(value, Quantity):
            value = str(value)
        elif isinstance(value, enum.Enum):
            value = value.value
        table[key] = value
    return table


def _check_regimen(regimen: Regimen, document: dict[str, Any]) -> None:
    """Refuse a regimen that its document would not give back exactly."""
    try:
        rebuilt = regimen_from_mapping(_loader_values(document), source="regimen")
    except InvalidRegimenError as error:
        raise PlanExportError(
            "the plan's regimen cannot be written as a regimen file: "
            + "; ".join(f"regimen.{p}" for p in error.problems)
            + " (fix: build the regimen with taperplan.load_regimen or regimen_from_mapping)"
        ) from None
    rebuilt = attrs.evolve(rebuilt, notices=regimen.notices)
    if rebuilt != regimen:
        where = _difference(regimen, rebuilt, "regimen")
        raise PlanExportError(
            f"{where}: the plan's regimen holds a value the regimen file cannot state "
            "(it was built in code) (fix: build the regimen with taperplan.load_regimen "
            "or regimen_from_mapping)"
        )


def _difference(left: object, right: object, path: str) -> str:
    """The path of the first field where two values differ."""
    if type(left) is type(right) and attrs.has(type(left)):
        for field in attrs.fields(typing.cast("type[attrs.AttrsInstance]", type(left))):
            one, other = getattr(left, field.name), getattr(right, field.name)
            if one != other:
                return _difference(one, other, f"{path}.{field.name}")
    if isinstance(left, tuple) and isinstance(right, tuple) and len(left) == len(right):
        for index, (one, other) in enumerate(zip(left, right, strict=True)):
            if one != other:
                return _difference(one, other, f"{path}[{index}]")
    return path


def _loader_values(value: Any) -> Any:
    """Decimal numbers as the regimen loader reads them: a float when the float
    is exact, else text (which ``[pace]`` numbers also accept)."""
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, Mapping):
        return {key: _loader_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_loader_values(item) for item in value]
    return value

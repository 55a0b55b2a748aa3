"""The plan document's shapes (interfaces.md §4): for each object of a plan whose
document is not simply its fields, the keys in the order they are written and
the attribute of the model that each one holds.

The converter (:mod:`taperplan.formats._json_converter`) applies this table
through one hook factory each way; nothing here writes or reads a document by
itself. What a table cannot say is a function named in it: a check across
keys, and what finishes an object after its keys are read or written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from taperplan._reading import text_problem
from taperplan._statement import DISCLAIMER
from taperplan.errors import Problem
from taperplan.formats._json_problems import FieldError
from taperplan.formats._json_text import REWRITE, SCHEMA
from taperplan.model.plan import Dose, MedicationDose, Step, Substitute, TaperPlan
from taperplan.reference.dispense import UnitCount
from taperplan.reference.paces import Pace
from taperplan.reference.products import Form, Product, catalogue
from taperplan.units import format_decimal

#: A check across the keys of one object: the values read (by key; a key that
#: could not be read is absent) and the object as given; it yields each problem
#: with its path below the object.
Check = Callable[[Mapping[str, Any], Mapping[str, Any]], Iterator[Problem]]


@attrs.frozen
class Key:
    """One key of a document's object.

    ``name`` is the key (``a.b``: the key ``b`` of the object written at ``a``).
    ``attr`` is the model's attribute it holds: by default the attribute of the
    same name, else a rename, ``a.b`` for a part of attribute ``a`` (the amount
    of a quantity), or a property for a value written for people and other
    programs. ``write`` names what is written instead of ``attr``'s value: an
    attribute, or a function of the whole object that gives JSON. ``read`` is
    false for a key that is written and not read back. ``check`` refuses a value
    that was read (raising ``FieldError``), or for a key not read, the value as
    given (None where it is missing). ``required`` is false for a key that may
    be missing (by default: where the attribute has a default).
    """

    name: str
    attr: str = attrs.field(default=attrs.Factory(lambda key: key.name, takes_self=True))
    write: str | Callable[[Any], Any] | None = None
    read: bool = True
    check: Callable[[Any], None] | None = None
    required: bool | None = None


def _keys(keys: Iterable[Key | str]) -> tuple[Key, ...]:
    return tuple(Key(key) if isinstance(key, str) else key for key in keys)


@attrs.frozen
class Shape:
    """The keys of one class's documents, in order (text: the attribute of the
    same name), the checks across them, a function that completes an object's
    attributes once read (``finish``) and one that completes its written
    document (``complete``)."""

    keys: tuple[Key, ...] = attrs.field(converter=_keys)
    checks: tuple[Check, ...] = ()
    finish: Callable[[dict[str, Any]], None] | None = None
    complete: Callable[[Any, dict[str, Any]], None] | None = None


def _problem(path: str, message: str, fix: str = REWRITE) -> Problem:
    return Problem(path, message, fix)


# -- checks of one value -------------------------------------------------------------


def _not_negative(value: int) -> None:
    if value < 0:
        raise FieldError(f"{value} is negative")


#: The longest id or pace name a plan document may hold: taperplan writes ids of about 20
#: characters, and a custom pace's name has at most 80; the room above is for a program that
#: writes plan files of its own, not for a page of text.
MAX_NAME = 200


def _short_text(value: str) -> None:
    """An id or a name: one short line of text, without control characters (it is
    printed, and it reaches calendars and file names)."""
    wrong = text_problem(value, MAX_NAME)
    if wrong is not None:
        raise FieldError(wrong)


def _at_least_one_day(value: int) -> None:
    if value < 1:
        raise FieldError(f"{value} is below 1", "days between doses, 1 or more")


def _known_factor_set(value: str) -> None:
    names = [f.name for f in catalogue().factor_sets]
    if value not in names:
        raise FieldError(f"unknown factor set {value!r}", f"one of {', '.join(names)}")


# -- units and doses -------------------------------------------------------------------

UNIT_COUNT = Shape(
    keys=(
        # The strength as labelled ("12 mcg/h"); the count and every figure use
        # what it delivers (12.5). "volume" and "text" follow, written in the
        # medication's form (MEDICATION_DOSE).
        Key("strength", write="strength_text"),
        "count",
    )
)


def _offset_within_interval(
    values: Mapping[str, Any], data: Mapping[str, Any]
) -> Iterator[Problem]:
    every_days = values.get("every_days")
    offset = values.get("offset", None if "offset" in data else 0)
    if every_days is not None and offset is not None and not 0 <= offset < every_days:
        yield _problem(
            "offset",
            f"{offset} is not from 0 to {every_days - 1}",
            "the first day of the step it is taken on",
        )


DOSE = Shape(
    keys=(
        "time",
        Key("amount", "amount.amount"),
        Key("unit", "amount.unit"),
        Key("every_days", check=_at_least_one_day),
        "offset",
        "units",
    ),
    checks=(_offset_within_interval,),
)


# -- one medication's doses ------------------------------------------------------------


def _same_medication(values: Mapping[str, Any], data: Mapping[str, Any]) -> Iterator[Problem]:
    """``drug`` and ``form`` name the product's (they are written for readers)."""
    product: Product | None = values.get("product")
    if product is None:
        return
    for key, expected in (("drug", product.drug.name), ("form", product.form.value)):
        if key not in data:
            yield _problem(key, "missing")
        elif data[key] != expected:
            yield _problem(
                key,
                f"{data[key]!r} does not match the product {product.name!r}",
                f"{key} and product must name the same medication",
            )


def _split_as_the_form_allows(
    values: Mapping[str, Any], _data: Mapping[str, Any]
) -> Iterator[Problem]:
    product: Product | None = values.get("product")
    splittable: bool | None = values.get("splittable")
    if product is not None and splittable and not product.with_split(splittable).splittable:
        yield _problem("splittable", f"{product.form.value} units are never split")


def _delivered(unit: UnitCount, product: Product) -> UnitCount:
    """A unit read as labelled ("12 mcg/h") as what it delivers (12.5 mcg/h)."""
    strength = product.from_label(unit.strength)
    label = product.label(strength)
    return UnitCount(strength, unit.count, None if label == str(strength) else label)


def _units_delivered(attributes: dict[str, Any]) -> None:
    product: Product = attributes["product"]
    if product.labels:
        attributes["doses"] = tuple(
            attrs.evolve(dose, units=tuple(_delivered(unit, product) for unit in dose.units))
            for dose in attributes["doses"]
        )


def _describe_units(part: MedicationDose, document: dict[str, Any]) -> None:
    """Each unit's ``volume`` (of an oral solution) and ``text``, in the medication's form."""
    form = part.form
    solution = form is Form.ORAL_SOLUTION
    for dose, written in zip(part.doses, document["administrations"], strict=True):
        for unit, entry in zip(dose.units, written["units"], strict=True):
            if solution:
                entry["volume"] = f"{format_decimal(unit.count)} mL"
            entry["text"] = unit.describe(form)


MEDICATION_DOSE = Shape(
    keys=(
        "index",
        Key("drug", read=False),
        Key("form", read=False),
        "product",
        Key("splittable", "product.splittable"),
        Key("daily_amount", "daily_amount.amount"),
        Key("unit", "daily_amount.unit"),
        "mme_per_day",
        Key("smallest_unit.amount", "smallest_unit.amount"),
        Key("smallest_unit.unit", "smallest_unit.unit"),
        Key("administrations", "doses"),
    ),
    checks=(_same_medication, _split_as_the_form_allows),
    finish=_units_delivered,
    complete=_describe_units,
)


def _labelled_strengths(substitute: Substitute) -> list[str]:
    return [substitute.product.label(s) for s in substitute.strengths]


def _strengths_delivered(attributes: dict[str, Any]) -> None:
    product: Product = attributes["product"]
    attributes["strengths"] = tuple(product.from_label(s) for s in attributes["strengths"])


SUBSTITUTE = Shape(
    keys=(
        "index",
        Key("drug", "product.drug.name", read=False),
        Key("form", "product.form", read=False),
        "product",
        Key("strengths", write=_labelled_strengths),
        "resolution",
        "replaces",
        "first_step",
    ),
    finish=_strengths_delivered,
)


# -- steps, the pace and the plan ------------------------------------------------------

STEP = Shape(
    keys=(
        "index",
        Key("number", read=False),  # index + 1, checked by the plan (PLAN); may be missing
        Key("id", check=_short_text),
        "kind",
        "start",
        "end",
        Key("days", read=False),  # checked against start and end by the plan (PLAN)
        "total_mme_per_day",
        "cut_fraction",
        "cut_drug",
        "withdrawal_profile",
        "medications",
        "withdrawal_window",
        "check_in",
        "check_ins",
        "notes",
        "replanned_from",
    )
)

_PACE_FIRST = ("name", "max_step_fraction", "source")
PACE = Shape(
    keys=(
        Key("name", check=_short_text),
        *_PACE_FIRST[1:],
        *(field.name for field in attrs.fields(Pace) if field.name not in _PACE_FIRST),
    )
)


def _this_schema(value: object) -> None:
    if value != SCHEMA:
        raise FieldError(f"{value!r} is not {SCHEMA!r}")


def _the_regimens_zone(values: Mapping[str, Any], data: Mapping[str, Any]) -> Iterator[Problem]:
    regimen = values.get("regimen")
    if regimen is None:
        return
    zone = None if regimen.timezone is None else regimen.timezone.key
    if data.get("timezone") != zone:
        yield _problem("timezone", f"{data.get('timezone')!r} is not the regimen's zone {zone!r}")


def _steps_follow_each_other(
    values: Mapping[str, Any], data: Mapping[str, Any]
) -> Iterator[Problem]:
    """Steps numbered in order, each as long as it says, following each other
    without gaps from the plan's start (interfaces.md §4)."""
    steps: tuple[Step, ...] | None = values.get("steps")
    start: dt.date | None = values.get("start")
    if steps is None or start is None:
        return
    if not steps:
        yield _problem("steps", "lists no step", "a plan has at least its stop step")
        return
    expected_start = start
    for position, step in enumerate(steps):
        where = f"steps[{position}]"
        if step.index != position:
            yield _problem(f"{where}.index", f"{step.index} is not its position {position}")
        if step.start != expected_start:
            yield _problem(
                f"{where}.start",
                f"{step.start} is not {expected_start}",
                "steps follow each other without gaps from the plan's start",
            )
        if step.end < step.start:
            yield _problem(f"{where}.end", f"{step.end} is before the start {step.start}")
        number = data["steps"][position].get("number")
        if number is not None and number != position + 1:
            yield _problem(
                f"{where}.number", f"{number!r} is not its position + 1 ({position + 1})"
            )
        days = data["steps"][position].get("days")
        if days is not None and days != step.days:
            yield _problem(
                f"{where}.days", f"{days} does not match {step.start} to {step.end} ({step.days})"
            )
        expected_start = step.end + dt.timedelta(days=1)


PLAN = Shape(
    keys=(
        Key("schema", write=lambda _: SCHEMA, read=False, check=_this_schema),
        "kind",
        "protocol",
        "conversion",
        Key("id", check=_short_text),
        Key("revision", check=_not_negative),
        "start",
        "pace",
        Key("pace.reason", "pace_reason"),
        "order",
        Key("factor_set", check=_known_factor_set),
        Key("timezone", "regimen.timezone", read=False),
        "regimen",  # in the regimen file's shape (_json_regimen)
        Key("regimen_notices", "regimen.notices"),
        Key("baseline.total_mme_per_day", "baseline_total_mme_per_day"),
        Key("baseline.medications", "baseline"),
        "steps",
        "substitutes",
        "warnings",
        Key("adjuncts", required=True),
        Key("disclaimer", write=lambda _: DISCLAIMER, read=False),
    ),
    checks=(_the_regimens_zone, _steps_follow_each_other),
)

#: Every class whose document is not simply its fields in order.
SHAPES: dict[type, Shape] = {
    UnitCount: UNIT_COUNT,
    Dose: DOSE,
    MedicationDose: MEDICATION_DOSE,
    Substitute: SUBSTITUTE,
    Step: STEP,
    Pace: PACE,
    TaperPlan: PLAN,
}

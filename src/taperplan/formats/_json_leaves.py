"""The values of a plan document: how each kind of leaf is written, and read
strictly (cattrs' defaults would turn 1.5 into 1 and ``"false"`` into True).

Written: a ``Decimal`` stays a ``Decimal`` (:func:`~taperplan.formats.json.to_json`
writes every digit), a ``Quantity`` is text (``"20 mg"``), dates are ISO text, a
clock time ``HH:MM``, a zone its IANA key, an enum its value, a product its
catalogue name. Read: each refused value is a
:class:`~taperplan.formats._json_problems.FieldError` saying what it must be and
how to fix it; a list keeps every bad item, as cattrs' detailed validation does.
"""

from __future__ import annotations

import datetime as dt
import enum
import operator
import re
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.fns import identity

from taperplan._reading import did_you_mean, iso_date
from taperplan.formats._json_problems import FieldError, kind_of, not_an_object
from taperplan.formats._json_regimen import products
from taperplan.formats._json_text import clock
from taperplan.reference.products import Product
from taperplan.units import Quantity


def register_leaves(conv: cattrs.Converter) -> None:
    """Register the leaves' hooks, written and read, on ``conv``."""
    conv.register_unstructure_hook(Decimal, identity)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_unstructure_hook(dt.time, clock)
    conv.register_unstructure_hook(Quantity, str)
    conv.register_unstructure_hook(Product, operator.attrgetter("name"))
    conv.register_unstructure_hook(ZoneInfo, operator.attrgetter("key"))
    # An enum's value (_value_ is where the enum keeps it: read without the property's cost).
    conv.register_unstructure_hook_func(_is_enum, operator.attrgetter("_value_"))
    # Lists and optional values with the item's hook chosen once (and none for plain items).
    conv.register_unstructure_hook_factory(_is_tuple_of, lambda kind: _list_writer(conv, kind))
    conv.register_unstructure_hook_factory(_is_optional, lambda kind: _optional_writer(conv, kind))

    conv.register_structure_hook(str, _text)
    conv.register_structure_hook(int, _whole)
    conv.register_structure_hook(bool, _flag)
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_structure_hook(dt.date, _date)
    conv.register_structure_hook(dt.time, _time)
    conv.register_structure_hook(Quantity, _quantity)
    conv.register_structure_hook(Product, _product)
    conv.register_structure_hook_factory(_is_enum, _enum_hook)
    conv.register_structure_hook_factory(_is_literal, _literal_hook)
    conv.register_structure_hook_factory(_is_tuple_of, lambda kind: _tuple_hook(conv, kind))
    conv.register_structure_hook_factory(_is_optional, lambda kind: _optional_hook(conv, kind))


def _is_enum(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, enum.Enum)


def _is_literal(kind: Any) -> bool:
    return typing.get_origin(kind) is typing.Literal


def _is_tuple_of(kind: Any) -> bool:
    args = typing.get_args(kind)
    return typing.get_origin(kind) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_optional(kind: Any) -> bool:
    args = typing.get_args(kind)
    union = typing.get_origin(kind) in {typing.Union, types.UnionType}
    return union and len(args) == 2 and type(None) in args


def _not_none(kind: Any) -> Any:
    return next(arg for arg in typing.get_args(kind) if arg is not type(None))


def _list_writer(conv: cattrs.Converter, kind: Any) -> Callable[[Any], list[Any]]:
    item = conv.get_unstructure_hook(typing.get_args(kind)[0])
    if item is identity:
        return list

    def unstructure(items: Any) -> list[Any]:
        return [item(value) for value in items]

    return unstructure


def _optional_writer(conv: cattrs.Converter, kind: Any) -> Callable[[Any], Any]:
    inner = conv.get_unstructure_hook(_not_none(kind))
    if inner is identity:
        return identity

    def unstructure(value: Any) -> Any:
        return None if value is None else inner(value)

    return unstructure


def _optional_hook(conv: cattrs.Converter, kind: Any) -> Callable[[object, Any], Any]:
    inner = _not_none(kind)
    hook = conv.get_structure_hook(inner)

    def structure(value: object, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure


def _text(value: object, _: Any) -> str:
    if not isinstance(value, str):
        raise FieldError(f"must be text, not {kind_of(value)}")
    return value


def _whole(value: object, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(f"must be a whole number, not {kind_of(value)}")
    return value


def _flag(value: object, _: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"must be true or false, not {kind_of(value)}")
    return value


def _decimal(value: object, _: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise FieldError(f"must be a number, not {kind_of(value)}")
    # repr() is the shortest text that gives the float back: 0.1, not 0.1000000000000000055…
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        raise FieldError("must be a finite number")
    if amount < 0:
        raise FieldError(f"{value} is negative", "amounts, fractions and MME are never negative")
    return amount


_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")


def _date(value: object, _: Any) -> dt.date:
    day = iso_date(value) if isinstance(value, str) else None
    if day is not None:
        return day
    raise FieldError(f"{value!r} is not a date", "write YYYY-MM-DD, e.g. 2027-01-04")


def _time(value: object, _: Any) -> dt.time:
    if isinstance(value, str) and _TIME.match(value):
        return dt.time.fromisoformat(value)
    raise FieldError(f"{value!r} is not a time of day", 'write 24-hour HH:MM, e.g. "08:00"')


def _quantity(value: object, _: Any) -> Quantity:
    if not isinstance(value, str):
        raise FieldError(f"must be text with a unit, not {kind_of(value)}", 'e.g. "20 mg"')
    return Quantity.read(value)


def _product(value: object, _: Any) -> Product:
    if not isinstance(value, str):
        raise FieldError(
            f"must be a product name, not {kind_of(value)}", 'e.g. "oxycodone er_tablet"'
        )
    found = products().get(value)
    if found is None:
        fix = did_you_mean(
            value,
            products(),
            n=2,
            otherwise="a product the catalogue lists, e.g. 'oxycodone er_tablet'",
        )
        raise FieldError(f"unknown product {value!r}", fix)
    return found


def _enum_hook(kind: type[enum.Enum]) -> Callable[[object, Any], enum.Enum]:
    values = {member.value: member for member in kind}

    def structure(value: object, _: Any) -> enum.Enum:
        if isinstance(value, str) and value in values:
            return values[value]
        raise FieldError(_not_one_of(value, values), "use one of them")

    return structure


def _not_one_of(value: object, allowed: typing.Iterable[object]) -> str:
    names = ", ".join(map(str, allowed))
    if isinstance(value, str):
        return f"{value!r} is not one of {names}"
    return f"must be one of {names}, not {kind_of(value)}"


def _literal_hook(kind: Any) -> Callable[[object, Any], object]:
    allowed = typing.get_args(kind)

    def structure(value: object, _: Any) -> object:
        if isinstance(value, str) and value in allowed:
            return value
        raise FieldError(_not_one_of(value, allowed), "use one of them")

    return structure


def _tuple_hook(conv: cattrs.Converter, shape: Any) -> Callable[[object, Any], tuple[Any, ...]]:
    item = typing.get_args(shape)[0]
    handler = conv.get_structure_hook(item)

    def structure(value: object, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise FieldError(f"must be a list, not {kind_of(value)}")
        result = []
        errors: list[Exception] = []
        for index, element in enumerate(value):
            try:
                result.append(handler(element, item))
            except Exception as error:  # every bad item is reported
                error.add_note(IterableValidationNote(f"item {index}", index, item))
                errors.append(error)
        if errors:
            raise IterableValidationError(f"While structuring {shape!r}", errors, shape)
        return tuple(result)

    return structure


def object_hook(generated: Callable[[Any, Any], Any]) -> Callable[[object, Any], Any]:
    """``generated`` (cattrs' function for a class) for a JSON object only."""

    def structure(value: object, cl: Any) -> Any:
        if not isinstance(value, Mapping):
            raise not_an_object(value)
        return generated(value, cl)

    return structure

"""JSON views of taperplan results (interfaces.md §3 and §4), and plans read back.

The plan document (schema ``taperplan.plan/1``, ``data/plan.schema.json``)
carries everything a :class:`~taperplan.TaperPlan` holds: besides the §4 keys,
the plan's identifier and revision, the full pace, the taper order and factor
set, the regimen in the regimen file's shape, and per step its kind, cut and
notes. :func:`plan_from_json` (or :func:`load_plan`) rebuilds the very plan
that :func:`plan_to_json` wrote: ``plan_from_json(plan_to_json(plan)) == plan``.

Exact numbers: amounts are ``Decimal`` inside taperplan. :func:`to_json`
writes a ``Decimal`` with every digit (``6.666666666666666666666666667``,
never the float ``6.666666666666667``) and always with a decimal point, so a
reader that parses floats sees the same values as ever; :func:`plan_from_json`
parses numbers back as ``Decimal``. :func:`plan_to_dict` is the same document
with floats, for callers that hand it to :func:`json.dumps`.

The conversion is a cattrs converter (:func:`converter`); cattrs is imported
on first use only, so ``import taperplan`` stays light.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import os
import re
import typing
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from functools import cache
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from taperplan._reading import did_you_mean, iso_date
from taperplan._statement import DISCLAIMER
from taperplan.clinical.adjuncts import adjunct_to_dict
from taperplan.clinical.mme import MMEReport
from taperplan.errors import InvalidPlanDataError, InvalidRegimenError, PlanExportError, Problem
from taperplan.formats.regimen import regimen_from_mapping
from taperplan.model.advice import Adjunct, Caution, WithdrawalWindow
from taperplan.model.plan import Dose, MedicationDose, Step, Substitute, TaperPlan
from taperplan.model.regimen import Context, Medication, Regimen
from taperplan.reference.dispense import UnitCount
from taperplan.reference.notices import Notice
from taperplan.reference.paces import Pace, presets
from taperplan.reference.products import Form, Product, catalogue
from taperplan.units import Quantity, Unit, format_decimal

if TYPE_CHECKING:
    from cattrs import Converter


def number(value: Decimal | None) -> float | None:
    """A JSON number for an exact amount (None stays null)."""
    return None if value is None else float(value)


def notice_to_dict(item: Notice) -> dict[str, Any]:
    """``{"code", "message", "source"}``."""
    return {"code": item.code, "message": item.message, "source": item.source}


def mme_to_dict(report: MMEReport) -> dict[str, Any]:
    """The ``taperplan mme --format json`` object (interfaces.md §3)."""
    return {
        "factor_set": report.factor_set,
        "total_mme_per_day": number(report.total_mme_per_day),
        "medications": [
            {
                "drug": part.medication.drug,
                "form": part.medication.form.value,
                "daily_amount": number(part.daily_amount.amount),
                "unit": part.daily_amount.unit.value,
                "mme_per_day": number(part.mme_per_day),
                "factor": number(part.factor),
            }
            for part in report.medications
        ],
        "warnings": [notice_to_dict(w) for w in report.warnings],
    }


# -- JSON text ---------------------------------------------------------------------


def decimal_text(value: Decimal) -> str:
    """A JSON number with every digit of ``value`` and a decimal point.

    ``Decimal("40")`` → ``40.0``, ``Decimal("0.10")`` → ``0.1``; nothing is
    rounded. The decimal point keeps the number a float for readers that
    parse JSON numbers as floats (they read what ``float(value)`` gives).

    Raises:
        ValueError: for NaN or an infinity, which JSON cannot state.
    """
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number; JSON has no such number")
    # format() without a precision never rounds (unlike normalize(), which
    # rounds to the context's 28 digits).
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if "." in text else f"{text}.0"


def to_json(data: Any) -> str:
    """Deterministic, readable JSON text ending in a newline.

    The layout is that of ``json.dumps(data, indent=2, ensure_ascii=False)``;
    a ``Decimal`` is written with all its digits (:func:`decimal_text`).

    Raises:
        TypeError: for a value JSON cannot hold, or an object key that is not text.
        ValueError: for a ``Decimal`` that is not finite.
    """
    out: list[str] = []
    _write(data, "\n", out)
    out.append("\n")
    return "".join(out)


def _float_text(value: float) -> str:
    # The same spellings as json.dumps (which allows NaN and infinities by default).
    if math.isnan(value):
        return "NaN"
    if value in {float("inf"), float("-inf")}:
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _write(value: Any, newline: str, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float_text(value))
    elif isinstance(value, Decimal):
        out.append(decimal_text(value))
    elif isinstance(value, Mapping):
        _write_items(value, newline, out)
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        opening = "["
        for item in value:
            out.append(opening + inner)
            _write(item, inner, out)
            opening = ","
        out.append(newline + "]")
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _write_items(value: Mapping[Any, Any], newline: str, out: list[str]) -> None:
    if not value:
        out.append("{}")
        return
    inner = newline + "  "
    opening = "{"
    for key, item in value.items():
        if not isinstance(key, str):
            raise TypeError(f"JSON object keys must be text, not {type(key).__name__}")
        out.append(f"{opening}{inner}{encode_basestring(key)}: ")
        _write(item, inner, out)
        opening = ","
    out.append(newline + "}")


def _floats(value: Any) -> Any:
    """``value`` with every Decimal as a float (what :func:`json.dumps` accepts)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: _floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_floats(item) for item in value]
    return value


# -- plans (interfaces.md §4) ------------------------------------------------------

SCHEMA = "taperplan.plan/1"

#: The fix for a plan document that is not what taperplan wrote.
_REWRITE = "write the plan again with `taperplan plan FILE --format json`"


def unstructure_plan(plan: TaperPlan) -> dict[str, Any]:
    """The plan document (schema ``taperplan.plan/1``) with exact ``Decimal`` numbers.

    Write it with :func:`to_json`; :func:`plan_from_dict` reads it back.

    Raises:
        PlanExportError: the plan's regimen cannot be written in the regimen
            file's shape (only possible for a regimen built in code).
    """
    document: dict[str, Any] = converter().unstructure(plan)
    return document


def plan_to_dict(plan: TaperPlan) -> dict[str, Any]:
    """The ``taperplan plan --format json`` object with JSON-native numbers (floats).

    Ready for :func:`json.dumps`. Floats cannot hold every exact amount (a
    third of a milligram); for a document that reads back exactly, use
    :func:`plan_to_json` or :func:`unstructure_plan`.

    Raises:
        PlanExportError: as :func:`unstructure_plan`.
    """
    document: dict[str, Any] = _floats(unstructure_plan(plan))
    return document


def plan_to_json(plan: TaperPlan) -> str:
    """The ``taperplan plan --format json`` text, exact to the last digit.

    Raises:
        PlanExportError: as :func:`unstructure_plan`.
    """
    return to_json(unstructure_plan(plan))


def plan_from_dict(data: Mapping[str, Any], *, source: str = "plan") -> TaperPlan:
    """Rebuild a plan from its document (parsed JSON).

    Numbers may be ``Decimal`` (exact; :func:`plan_from_json` parses them so),
    ``int`` or ``float``. Keys this version does not know are ignored, so a
    document from a later taperplan still loads.

    Args:
        data: the ``taperplan.plan/1`` object.
        source: a name for messages (the file).

    Raises:
        InvalidPlanDataError: listing every problem by path
            (``steps[3].medications[0].administrations[1].time``) with its fix.
    """
    from cattrs.errors import BaseValidationError  # noqa: PLC0415 - cattrs loads on first use

    try:
        plan: TaperPlan = converter().structure(data, TaperPlan)
    except (BaseValidationError, _FieldError) as error:
        problems = tuple(dict.fromkeys(_problems(error, "")))
        raise InvalidPlanDataError(source, problems) from None
    except ValueError as error:
        # The plan's own validators (an empty id): the document as a whole is wrong.
        raise InvalidPlanDataError(source, [Problem("", str(error), _REWRITE)]) from None
    return plan


def plan_from_json(text: str | bytes, *, source: str = "plan") -> TaperPlan:
    """Rebuild a plan from the JSON text that :func:`plan_to_json` wrote.

    Numbers are read as ``Decimal``, so the plan comes back exactly.

    Raises:
        InvalidPlanDataError: the text is not JSON, or not a valid plan
            document (every problem listed by path).
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _unreadable(source, f"not UTF-8 text (byte {error.start})") from None
    try:
        data = json.loads(
            text.removeprefix("\ufeff"), parse_float=Decimal, parse_constant=_no_constant
        )
    except json.JSONDecodeError as error:
        raise _unreadable(
            source, f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except ValueError as error:
        raise _unreadable(source, str(error)) from None
    except RecursionError:
        raise _unreadable(source, "nested too deeply to be a plan") from None
    return plan_from_dict(data, source=source)


def load_plan(source: str | os.PathLike[str] | Mapping[str, Any]) -> TaperPlan:
    """Load a plan saved by ``taperplan plan --format json`` (or :func:`plan_to_json`).

    Args:
        source: a path to the JSON file, or the parsed document (a mapping,
            as :func:`plan_from_dict` takes). Text is always a path; for JSON
            text use :func:`plan_from_json`.

    Returns:
        The plan, equal to the one that was saved.

    Raises:
        InvalidPlanDataError: the file cannot be read, is not JSON, or is not a
            valid plan document; every problem is listed by path with its fix.
    """
    if isinstance(source, Mapping):
        return plan_from_dict(source)
    name = os.fspath(source)
    try:
        data = Path(name).read_bytes()
    except OSError as error:
        raise InvalidPlanDataError(
            name,
            [Problem("", f"cannot read the file ({error.strerror or error})", "check the path")],
        ) from None
    return plan_from_json(data, source=name)


def _unreadable(source: str, reason: str) -> InvalidPlanDataError:
    return InvalidPlanDataError(source, [Problem("", reason, _REWRITE)])


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number taperplan writes")


# -- the converter -----------------------------------------------------------------


class _FieldError(ValueError):
    """One problem with a value and its fix; cattrs' notes give the path."""

    def __init__(self, message: str, fix: str = _REWRITE) -> None:
        self.message = message
        self.fix = fix
        super().__init__(message)


class _RegimenProblemsError(ValueError):
    """The regimen loader's problems (paths relative to ``regimen``)."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


_MISSING = object()


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


@cache
def converter() -> Converter:
    """The cattrs converter between plans and their JSON documents.

    ``converter().unstructure(plan)`` is :func:`unstructure_plan`;
    ``converter().structure(data, TaperPlan)`` rebuilds a plan, raising
    cattrs' validation errors with every problem (:func:`plan_from_dict`
    turns them into one :class:`~taperplan.InvalidPlanDataError`).
    Leaves: a ``Decimal`` stays a ``Decimal``, a ``Quantity`` is text
    (``"20 mg"``), dates are ISO text, a clock time ``HH:MM``, a zone its IANA
    key, an enum its value, a product its catalogue name.
    """
    import cattrs  # noqa: PLC0415 - loaded on first use, not by `import taperplan`
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn  # noqa: PLC0415

    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)

    # Leaves, written.
    conv.register_unstructure_hook(Decimal, lambda value: value)
    conv.register_unstructure_hook(dt.date, lambda value: value.isoformat())
    conv.register_unstructure_hook(dt.time, _clock)
    conv.register_unstructure_hook(Quantity, str)
    conv.register_unstructure_hook_func(_is_enum, lambda value: value.value)

    # Leaves, read strictly (cattrs' defaults would turn 1.5 into 1 and "false" into True).
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

    # The plan's own shapes.
    conv.register_unstructure_hook(Notice, notice_to_dict)
    conv.register_unstructure_hook(Adjunct, adjunct_to_dict)
    conv.register_unstructure_hook(Regimen, _regimen_document)
    conv.register_unstructure_hook(MedicationDose, _medication_document)
    conv.register_unstructure_hook(Step, lambda step: _step_document(conv, step))
    conv.register_unstructure_hook(TaperPlan, lambda plan: _plan_document(conv, plan))
    for plain in (WithdrawalWindow, Pace):
        conv.register_unstructure_hook(plain, make_dict_unstructure_fn(plain, conv))

    conv.register_structure_hook(Regimen, _structure_regimen)
    conv.register_structure_hook(UnitCount, lambda data, _: _structure_unit_count(conv, data))
    conv.register_structure_hook(Dose, lambda data, _: _structure_dose(conv, data))
    conv.register_structure_hook(
        MedicationDose, lambda data, _: _structure_medication_dose(conv, data)
    )
    conv.register_structure_hook(TaperPlan, lambda data, _: _structure_plan(conv, data))
    conv.register_structure_hook(Substitute, lambda data, _: _structure_substitute(conv, data))
    # Shapes that are the classes' own fields: cattrs' generated functions
    # (keys this version does not know are ignored).
    for shaped in (Notice, Caution, Adjunct, WithdrawalWindow, Pace, Step):
        conv.register_structure_hook(
            shaped, _object_hook(shaped, make_dict_structure_fn(shaped, conv))
        )
    return conv


def _is_enum(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, enum.Enum)


def _is_literal(kind: Any) -> bool:
    return typing.get_origin(kind) is typing.Literal


def _is_tuple_of(kind: Any) -> bool:
    args = typing.get_args(kind)
    return typing.get_origin(kind) is tuple and len(args) == 2 and args[1] is Ellipsis


def _clock(value: dt.time) -> str:
    return value.strftime("%H:%M") if not value.second else value.strftime("%H:%M:%S")


def _text(value: object, _: Any) -> str:
    if not isinstance(value, str):
        raise _FieldError(f"must be text, not {_kind(value)}")
    return value


def _whole(value: object, _: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError(f"must be a whole number, not {_kind(value)}")
    return value


def _flag(value: object, _: Any) -> bool:
    if not isinstance(value, bool):
        raise _FieldError(f"must be true or false, not {_kind(value)}")
    return value


def _decimal(value: object, _: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _FieldError(f"must be a number, not {_kind(value)}")
    # repr() is the shortest text that gives the float back: 0.1, not 0.1000000000000000055…
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        raise _FieldError("must be a finite number")
    if amount < 0:
        raise _FieldError(f"{value} is negative", "amounts, fractions and MME are never negative")
    return amount


_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")


def _date(value: object, _: Any) -> dt.date:
    day = iso_date(value) if isinstance(value, str) else None
    if day is not None:
        return day
    raise _FieldError(f"{value!r} is not a date", "write YYYY-MM-DD, e.g. 2027-01-04")


def _time(value: object, _: Any) -> dt.time:
    if isinstance(value, str) and _TIME.match(value):
        return dt.time.fromisoformat(value)
    raise _FieldError(f"{value!r} is not a time of day", 'write 24-hour HH:MM, e.g. "08:00"')


def _quantity(value: object, _: Any) -> Quantity:
    if not isinstance(value, str):
        raise _FieldError(f"must be text with a unit, not {_kind(value)}", 'e.g. "20 mg"')
    return Quantity.read(value)


@cache
def _products() -> dict[str, Product]:
    return {product.name: product for product in catalogue().products}


def _product(value: object, _: Any) -> Product:
    if not isinstance(value, str):
        raise _FieldError(
            f"must be a product name, not {_kind(value)}", 'e.g. "oxycodone er_tablet"'
        )
    found = _products().get(value)
    if found is None:
        fix = did_you_mean(
            value,
            _products(),
            n=2,
            otherwise="a product the catalogue lists, e.g. 'oxycodone er_tablet'",
        )
        raise _FieldError(f"unknown product {value!r}", fix)
    return found


def _enum_hook(kind: type[enum.Enum]) -> Callable[[object, Any], enum.Enum]:
    values = {member.value: member for member in kind}

    def structure(value: object, _: Any) -> enum.Enum:
        if isinstance(value, str) and value in values:
            return values[value]
        raise _FieldError(_not_one_of(value, values), "use one of them")

    return structure


def _not_one_of(value: object, allowed: typing.Iterable[object]) -> str:
    names = ", ".join(map(str, allowed))
    if isinstance(value, str):
        return f"{value!r} is not one of {names}"
    return f"must be one of {names}, not {_kind(value)}"


def _literal_hook(kind: Any) -> Callable[[object, Any], object]:
    allowed = typing.get_args(kind)

    def structure(value: object, _: Any) -> object:
        if isinstance(value, str) and value in allowed:
            return value
        raise _FieldError(_not_one_of(value, allowed), "use one of them")

    return structure


def _tuple_hook(conv: Converter, kind: Any) -> Callable[[object, Any], tuple[Any, ...]]:
    from cattrs.errors import IterableValidationError, IterableValidationNote  # noqa: PLC0415

    item = typing.get_args(kind)[0]
    handler = conv.get_structure_hook(item)

    def structure(value: object, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise _FieldError(f"must be a list, not {_kind(value)}")
        result = []
        errors: list[Exception] = []
        for index, element in enumerate(value):
            try:
                result.append(handler(element, item))
            except Exception as error:  # every bad item is reported
                error.add_note(IterableValidationNote(f"item {index}", index, item))
                errors.append(error)
        if errors:
            raise IterableValidationError(f"While structuring {kind!r}", errors, kind)
        return tuple(result)

    return structure


def _object_hook(cl: type, generated: Callable[[Any, Any], Any]) -> Callable[[object, Any], Any]:
    def structure(value: object, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _FieldError(f"must be a JSON object, not {_kind(value)}")
        return generated(value, cl)

    return structure


class _Fields:
    """Reads one JSON object's fields, collecting every problem with its key."""

    def __init__(self, conv: Converter, data: object, cl: type) -> None:
        if not isinstance(data, Mapping):
            raise _FieldError(f"must be a JSON object, not {_kind(data)}")
        self.conv = conv
        self.data: Mapping[str, Any] = data
        self.cl = cl
        self.errors: list[Exception] = []

    def get(
        self, key: str, kind: Any, *, within: Mapping[str, Any] | None = None, path: str = ""
    ) -> Any:
        """The structured value at ``key`` (of ``within``, at ``path``), or None after a problem."""
        try:
            return self.conv.structure((self.data if within is None else within)[key], kind)
        except Exception as error:  # reported with its path, like cattrs' own
            self._add(error, path or key, kind)
            return None

    def object(self, key: str) -> Mapping[str, Any] | None:
        """The JSON object at ``key``, or None after a problem."""
        if key not in self.data:
            self._add(KeyError(key), key, dict)
            return None
        value = self.data[key]
        if not isinstance(value, Mapping):
            self.problem(key, f"must be a JSON object, not {_kind(value)}")
            return None
        return value

    def problem(self, path: str, message: str, fix: str = _REWRITE) -> None:
        """Record a problem at ``path`` (relative to this object)."""
        self._add(_FieldError(message, fix), path, None)

    def _add(self, error: Exception, path: str, kind: Any) -> None:
        from cattrs.errors import AttributeValidationNote  # noqa: PLC0415

        error.add_note(AttributeValidationNote(f"field {path}", path, kind))
        self.errors.append(error)

    def check(self) -> None:
        """Raise every problem found so far at once."""
        from cattrs.errors import ClassValidationError  # noqa: PLC0415

        if self.errors:
            raise ClassValidationError(
                f"While structuring {self.cl.__name__}", self.errors, self.cl
            )


def _problems(error: BaseException, path: str) -> Iterator[Problem]:
    """Every problem in a (nested) structuring error, with its JSON path."""
    from cattrs.errors import ClassValidationError, IterableValidationError  # noqa: PLC0415

    if isinstance(error, ClassValidationError):
        with_notes, without = error.group_exceptions()
        for sub, note in with_notes:
            yield from _problems(sub, _join(path, note.name))
        for sub in without:
            yield from _problems(sub, path)
    elif isinstance(error, IterableValidationError):
        items, rest = error.group_exceptions()
        for sub, item in items:
            yield from _problems(sub, f"{path}[{item.index}]")
        for sub in rest:
            yield from _problems(sub, path)
    elif isinstance(error, _RegimenProblemsError):
        for problem in error.problems:
            yield Problem(_join(path, problem.path), problem.message, problem.fix)
    elif isinstance(error, _FieldError):
        yield Problem(path, error.message, error.fix)
    elif isinstance(error, KeyError):
        yield Problem(path, "missing", _REWRITE)
    else:
        yield Problem(path, str(error) or type(error).__name__, _REWRITE)


def _join(path: str, name: str) -> str:
    if not name:
        return path
    if not path or name.startswith("["):
        return f"{path}{name}"
    return f"{path}.{name}"


# -- writing: the plan's shapes ----------------------------------------------------


def _plan_document(conv: Converter, plan: TaperPlan) -> dict[str, Any]:
    pace: dict[str, Any] = conv.unstructure(plan.pace)
    zone = plan.regimen.timezone
    return {
        "schema": SCHEMA,
        "id": plan.id,
        "revision": plan.revision,
        "start": plan.start.isoformat(),
        "pace": {
            "name": pace.pop("name"),
            "max_step_fraction": pace.pop("max_step_fraction"),
            "source": pace.pop("source"),
            **pace,
            "reason": plan.pace_reason,
        },
        "order": plan.order,
        "factor_set": plan.factor_set,
        "timezone": None if zone is None else zone.key,
        "regimen": conv.unstructure(plan.regimen),
        "regimen_notices": [notice_to_dict(n) for n in plan.regimen.notices],
        "baseline": {
            "total_mme_per_day": plan.baseline_total_mme_per_day,
            "medications": [_medication_document(m) for m in plan.baseline],
        },
        "steps": [_step_document(conv, s) for s in plan.steps],
        "substitutes": [_substitute_document(s) for s in plan.substitutes],
        "warnings": [notice_to_dict(w) for w in plan.warnings],
        "adjuncts": [adjunct_to_dict(a) for a in plan.adjuncts],
        "disclaimer": DISCLAIMER,
    }


def _step_document(conv: Converter, step: Step) -> dict[str, Any]:
    profile = step.withdrawal_profile
    return {
        "index": step.index,
        "id": step.id,
        "kind": step.kind.value,
        "start": step.start.isoformat(),
        "end": step.end.isoformat(),
        "days": step.days,
        "total_mme_per_day": step.total_mme_per_day,
        "cut_fraction": step.cut_fraction,
        "cut_drug": step.cut_drug,
        "withdrawal_profile": None if profile is None else profile.value,
        "medications": [_medication_document(m) for m in step.medications],
        "withdrawal_window": conv.unstructure(step.withdrawal_window),
        "check_in": step.check_in.isoformat(),
        "check_ins": [day.isoformat() for day in step.check_ins],
        "notes": list(step.notes),
        "replanned_from": None
        if step.replanned_from is None
        else [_medication_document(m) for m in step.replanned_from],
    }


def _medication_document(part: MedicationDose) -> dict[str, Any]:
    return {
        "index": part.index,
        "drug": part.drug,
        "form": part.form.value,
        "product": part.product.name,
        "splittable": part.product.splittable,
        "daily_amount": part.daily_amount.amount,
        "unit": part.daily_amount.unit.value,
        "mme_per_day": part.mme_per_day,
        "smallest_unit": {
            "amount": part.smallest_unit.amount,
            "unit": part.smallest_unit.unit.value,
        },
        "administrations": [_dose_document(dose, part.form) for dose in part.doses],
    }


def _dose_document(dose: Dose, form: Form) -> dict[str, Any]:
    return {
        "time": _clock(dose.time),
        "amount": dose.amount.amount,
        "unit": dose.amount.unit.value,
        "every_days": dose.every_days,
        "offset": dose.offset,
        "units": [_unit_document(unit, form) for unit in dose.units],
    }


def _unit_document(unit: UnitCount, form: Form) -> dict[str, Any]:
    # The strength as labelled ("12 mcg/h"); the amount and every figure use what
    # it delivers (12.5).
    entry: dict[str, Any] = {"strength": unit.strength_text, "count": unit.count}
    if form is Form.ORAL_SOLUTION:
        entry["volume"] = f"{format_decimal(unit.count)} mL"
    entry["text"] = unit.describe(form)
    return entry


# The regimen, in the regimen file's shape (interfaces.md §1), so that
# `regimen_from_mapping(document["regimen"])` gives it back.

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


def _regimen_document(regimen: Regimen) -> dict[str, Any]:
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
    entry["times"] = [_clock(a.time) for a in medication.administrations]
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
    listed = _products().get(product.name)
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


# -- reading: the plan's shapes ----------------------------------------------------


def _structure_regimen(data: object, _: Any) -> Regimen:

    if not isinstance(data, Mapping):
        raise _FieldError(f"must be a JSON object, not {_kind(data)}")
    try:
        return regimen_from_mapping(_loader_values(data), source="regimen")
    except InvalidRegimenError as error:
        raise _RegimenProblemsError(error.problems) from None


def _structure_unit_count(conv: Converter, data: object) -> UnitCount:
    fields = _Fields(conv, data, UnitCount)
    strength = fields.get("strength", Quantity)
    count = fields.get("count", Decimal)
    fields.check()
    return UnitCount(strength=strength, count=count)


def _structure_dose(conv: Converter, data: object) -> Dose:
    fields = _Fields(conv, data, Dose)
    time = fields.get("time", dt.time)
    amount = fields.get("amount", Decimal)
    unit = fields.get("unit", Unit)
    every_days = fields.get("every_days", int)
    units = fields.get("units", tuple[UnitCount, ...])
    offset = fields.get("offset", int) if "offset" in fields.data else 0
    if every_days is not None and every_days < 1:
        fields.problem("every_days", f"{every_days} is below 1", "days between doses, 1 or more")
    elif every_days is not None and offset is not None and not 0 <= offset < every_days:
        fields.problem(
            "offset",
            f"{offset} is not from 0 to {every_days - 1}",
            "the first day of the step it is taken on",
        )
    fields.check()
    return Dose(
        time=time, amount=Quantity(amount, unit), every_days=every_days, units=units, offset=offset
    )


def _structure_medication_dose(conv: Converter, data: object) -> MedicationDose:
    fields = _Fields(conv, data, MedicationDose)
    index = fields.get("index", int)
    product: Product | None = fields.get("product", Product)
    splittable = fields.get("splittable", bool)
    doses = fields.get("administrations", tuple[Dose, ...])
    daily = fields.get("daily_amount", Decimal)
    unit = fields.get("unit", Unit)
    mme = fields.get("mme_per_day", Decimal | None)
    smallest = fields.object("smallest_unit")
    smallest_amount: Any = None
    smallest_unit: Any = None
    if smallest is not None:
        smallest_amount = fields.get(
            "amount", Decimal, within=smallest, path="smallest_unit.amount"
        )
        smallest_unit = fields.get("unit", Unit, within=smallest, path="smallest_unit.unit")
    if product is not None:
        for key, expected in (("drug", product.drug.name), ("form", product.form.value)):
            stated = fields.data.get(key, _MISSING)
            if stated is _MISSING:
                fields.problem(key, "missing")
            elif stated != expected:
                fields.problem(
                    key,
                    f"{stated!r} does not match the product {product.name!r}",
                    f"{key} and product must name the same medication",
                )
        if splittable is not None and splittable != product.splittable:
            product = product.with_split(splittable)
            if product.splittable != splittable:
                fields.problem("splittable", f"{product.form.value} units are never split")
    fields.check()
    assert product is not None  # noqa: S101 - check() raised otherwise
    if product.labels:
        doses = tuple(
            attrs.evolve(dose, units=tuple(_delivered(unit, product) for unit in dose.units))
            for dose in doses
        )
    return MedicationDose(
        index=index,
        product=product,
        doses=doses,
        daily_amount=Quantity(daily, unit),
        mme_per_day=mme,
        smallest_unit=Quantity(smallest_amount, smallest_unit),
    )


def _delivered(unit: UnitCount, product: Product) -> UnitCount:
    """A unit read as labelled ("12 mcg/h") as what it delivers (12.5 mcg/h)."""
    strength = product.from_label(unit.strength)
    label = product.label(strength)
    return UnitCount(strength, unit.count, None if label == str(strength) else label)


def _structure_substitute(conv: Converter, data: object) -> Substitute:
    fields = _Fields(conv, data, Substitute)
    index = fields.get("index", int)
    product: Product | None = fields.get("product", Product)
    strengths = fields.get("strengths", tuple[Quantity, ...])
    resolution = fields.get("resolution", Quantity | None)
    replaces = fields.get("replaces", tuple[int, ...])
    first_step = fields.get("first_step", int)
    fields.check()
    assert product is not None  # noqa: S101 - check() raised otherwise
    return Substitute(
        index=index,
        product=product,
        strengths=tuple(product.from_label(s) for s in strengths),
        resolution=resolution,
        replaces=replaces,
        first_step=first_step,
    )


def _substitute_document(substitute: Substitute) -> dict[str, Any]:
    product = substitute.product
    return {
        "index": substitute.index,
        "drug": product.drug.name,
        "form": product.form.value,
        "product": product.name,
        "strengths": [product.label(s) for s in substitute.strengths],
        "resolution": None if substitute.resolution is None else str(substitute.resolution),
        "replaces": list(substitute.replaces),
        "first_step": substitute.first_step,
    }


def _structure_plan(conv: Converter, data: object) -> TaperPlan:
    fields = _Fields(conv, data, TaperPlan)
    raw = fields.data
    if raw.get("schema") != SCHEMA:
        fields.problem("schema", f"{raw.get('schema')!r} is not {SCHEMA!r}")
    plan_id = fields.get("id", str)
    revision = fields.get("revision", int)
    if revision is not None and revision < 0:
        fields.problem("revision", f"{revision} is negative")
    start = fields.get("start", dt.date)
    pace: Any = None
    reason: Any = None
    if fields.object("pace") is not None:
        pace = fields.get("pace", Pace)
        reason = fields.get("reason", str, within=raw["pace"], path="pace.reason")
    order = fields.get("order", str)
    factor_set = fields.get("factor_set", str)
    if factor_set is not None and factor_set not in {f.name for f in catalogue().factor_sets}:
        names = ", ".join(f.name for f in catalogue().factor_sets)
        fields.problem("factor_set", f"unknown factor set {factor_set!r}", f"one of {names}")
    regimen = fields.get("regimen", Regimen)
    notices = fields.get("regimen_notices", tuple[Notice, ...])
    baseline = fields.object("baseline")
    medications: Any = None
    total: Any = None
    if baseline is not None:
        medications = fields.get(
            "medications", tuple[MedicationDose, ...], within=baseline, path="baseline.medications"
        )
        total = fields.get(
            "total_mme_per_day", Decimal | None, within=baseline, path="baseline.total_mme_per_day"
        )
    steps = fields.get("steps", tuple[Step, ...])
    warnings = fields.get("warnings", tuple[Notice, ...])
    adjuncts = fields.get("adjuncts", tuple[Adjunct, ...])
    substitutes = fields.get("substitutes", tuple[Substitute, ...]) if "substitutes" in raw else ()
    # Checks across fields, wherever their parts could be read.
    if regimen is not None:
        zone = None if regimen.timezone is None else regimen.timezone.key
        if raw.get("timezone") != zone:
            fields.problem(
                "timezone", f"{raw.get('timezone')!r} is not the regimen's zone {zone!r}"
            )
    if steps is not None and start is not None:
        _check_steps(fields, steps, start)
    fields.check()
    return TaperPlan(
        id=plan_id,
        revision=revision,
        regimen=attrs.evolve(regimen, notices=notices),
        pace=pace,
        pace_reason=reason,
        order=order,
        factor_set=factor_set,
        start=start,
        baseline=medications,
        baseline_total_mme_per_day=total,
        steps=steps,
        warnings=warnings,
        adjuncts=adjuncts,
        substitutes=substitutes,
    )


def _check_steps(fields: _Fields, steps: tuple[Step, ...], start: dt.date) -> None:
    """Steps numbered in order, each as long as it says, following each other
    without gaps from the plan's start (interfaces.md §4)."""
    if not steps:
        fields.problem("steps", "lists no step", "a plan has at least its stop step")
        return
    raw_steps = fields.data["steps"]
    expected_start = start
    for position, step in enumerate(steps):
        where = f"steps[{position}]"
        if step.index != position:
            fields.problem(f"{where}.index", f"{step.index} is not its position {position}")
        if step.start != expected_start:
            fields.problem(
                f"{where}.start",
                f"{step.start} is not {expected_start}",
                "steps follow each other without gaps from the plan's start",
            )
        if step.end < step.start:
            fields.problem(f"{where}.end", f"{step.end} is before the start {step.start}")
        days = raw_steps[position].get("days")
        if days is not None and days != step.days:
            fields.problem(
                f"{where}.days", f"{days} does not match {step.start} to {step.end} ({step.days})"
            )
        expected_start = step.end + dt.timedelta(days=1)

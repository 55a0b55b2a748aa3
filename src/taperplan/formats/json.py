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

The conversion is a cattrs converter (:func:`converter`, built in
:mod:`taperplan.formats._json_converter` from the document's shapes in
:mod:`taperplan.formats._json_shapes`); cattrs is imported on the first
conversion only, so ``import taperplan`` and the commands that write other
JSON (``taperplan mme --format json``) stay light.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from taperplan._reading import ReadRefused, read_limited
from taperplan.clinical.mme import MMEReport
from taperplan.errors import InvalidPlanDataError, Problem
from taperplan.formats._json_text import REWRITE, SCHEMA, decimal_text, floats, to_json
from taperplan.model.plan import TaperPlan
from taperplan.reference.notices import Notice

if TYPE_CHECKING:
    from cattrs import Converter

__all__ = [
    "SCHEMA",
    "converter",
    "decimal_text",
    "load_plan",
    "mme_to_dict",
    "notice_to_dict",
    "number",
    "plan_from_dict",
    "plan_from_json",
    "plan_to_dict",
    "plan_to_json",
    "to_json",
    "unstructure_plan",
]


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


# -- plans (interfaces.md §4) ------------------------------------------------------


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
    from taperplan.formats._json_converter import (  # noqa: PLC0415 - cattrs loads on the first conversion, not with to_json (taperplan mme)
        converter as built,
    )

    return built()


def unstructure_plan(plan: TaperPlan) -> dict[str, Any]:
    """The plan document (schema ``taperplan.plan/1``) with exact ``Decimal`` numbers.

    Write it with :func:`to_json`; :func:`plan_from_dict` reads it back.

    Raises:
        PlanExportError: the plan's regimen cannot be written in the regimen
            file's shape (only possible for a regimen built in code).
    """
    document: dict[str, Any] = converter().unstructure(plan, TaperPlan)
    return document


def plan_to_dict(plan: TaperPlan) -> dict[str, Any]:
    """The ``taperplan plan --format json`` object with JSON-native numbers (floats).

    Ready for :func:`json.dumps`. Floats cannot hold every exact amount (a
    third of a milligram); for a document that reads back exactly, use
    :func:`plan_to_json` or :func:`unstructure_plan`.

    Raises:
        PlanExportError: as :func:`unstructure_plan`.
    """
    document: dict[str, Any] = floats(unstructure_plan(plan))
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
    from taperplan.formats._json_converter import (  # noqa: PLC0415 - cattrs loads on the first conversion, not with to_json (taperplan mme)
        structure_plan,
    )

    odd = list(_odd_numbers(data))
    if odd:
        raise InvalidPlanDataError(source, odd)
    return structure_plan(data, source)


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
        data = read_limited(name, MAX_PLAN_BYTES)
    except ReadRefused as refused:
        raise InvalidPlanDataError(
            name, [Problem("", f"{refused.reason}", "give a plan file written by taperplan")]
        ) from None
    except OSError as error:
        raise InvalidPlanDataError(
            name,
            [Problem("", f"cannot read the file ({error.strerror or error})", "check the path")],
        ) from None
    return plan_from_json(data, source=name)


#: The largest plan file :func:`load_plan` reads (a plan of 400 steps is well under it).
MAX_PLAN_BYTES = 32 * 1024 * 1024


def _unreadable(source: str, reason: str) -> InvalidPlanDataError:
    return InvalidPlanDataError(source, [Problem("", reason, REWRITE)])


#: The numbers a plan holds are doses, days, fractions and counts: none is as large as
#: 10**15 or as small (but not zero) as 10**-20, and none has more than 40 digits
#: (taperplan writes at most 28). Anything else (``1e400``, 5,000 digits) is no plan's.
_LARGEST = Decimal(10) ** 15
_SMALLEST = Decimal(10) ** -20
_MOST_DIGITS = 40


def _odd_numbers(data: object) -> Iterator[Problem]:
    """A problem for every number in ``data`` that no plan holds, with its path."""
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{path}.{key}" if path else str(key), v) for key, v in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((f"{path}[{index}]", v) for index, v in enumerate(value))
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            # A float as it is written (0.1, not its 55 binary digits).
            number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
            magnitude = abs(number)
            if not number.is_finite() or (
                magnitude
                and (
                    not _SMALLEST <= magnitude < _LARGEST
                    or len(number.as_tuple().digits) > _MOST_DIGITS
                )
            ):
                yield Problem(
                    path or "(the document)",
                    f"{_short(value)} is not a number a plan holds (out of range)",
                    REWRITE,
                )


def _short(value: float | Decimal) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number taperplan writes")

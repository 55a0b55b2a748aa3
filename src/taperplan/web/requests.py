"""What the JSON API and the page read from a request: a regimen (JSON, TOML text or
an upload), a start date, a pace, and a plan document, each checked with the
library's own readers so the errors are the CLI's."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from taperplan.errors import InvalidArgumentError, InvalidRegimenError, Problem, TaperplanError
from taperplan.formats.json import plan_from_dict
from taperplan.formats.regimen import parse_regimen, regimen_from_mapping
from taperplan.model.plan import TaperPlan
from taperplan.model.regimen import Regimen

#: The largest request body the server reads: the regimen reader's own limit, with room
#: for a plan document (a two-year plan's JSON is about 200 KB).
MAX_BODY = 1024 * 1024


class BadRequestError(TaperplanError, ValueError):
    """A request body that is not the JSON object the endpoint reads.

    Fix: as each problem says; the OpenAPI document describes every body.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in problems))


def json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object.

    Raises:
        BadRequestError: not UTF-8 JSON, or not an object.
    """
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BadRequestError(
            [Problem("", f"the body is not JSON: {error}", "send a JSON object")]
        ) from None
    if not isinstance(data, dict):
        raise BadRequestError(
            [Problem("", "the body is not a JSON object", 'send {"regimen": {…}}')]
        )
    return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def regimen_of(data: Mapping[str, Any], *, today: dt.date, key: str = "regimen") -> Regimen:
    """The regimen under ``key``: the regimen file's shape as JSON, or its TOML text.

    Raises:
        InvalidRegimenError: every problem, with paths under ``key``.
    """
    value = data.get(key)
    if isinstance(value, str):
        return parse_regimen(value, today=today, source=key)
    if not isinstance(value, Mapping):
        raise InvalidRegimenError(
            [
                Problem(
                    key, "is missing or not an object", "the regimen file as JSON, or its TOML text"
                )
            ],
            source="request",
        )
    return regimen_from_mapping(value, today=today, source=key)


def date_of(data: Mapping[str, Any], key: str, default: dt.date | None = None) -> dt.date:
    """An ISO date under ``key`` (or ``default`` when it is missing).

    Raises:
        InvalidArgumentError: not a date, or missing without a default.
    """
    value = data.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    msg = f'{key}: {value!r} is not a date (fix: YYYY-MM-DD, e.g. "2027-01-04")'
    raise InvalidArgumentError(msg)


def text_of(data: Mapping[str, Any], key: str) -> str | None:
    """Optional short text under ``key``.

    Raises:
        InvalidArgumentError: present but not text.
    """
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InvalidArgumentError(f"{key}: must be text, not {type(value).__name__}")


def plan_of(data: Mapping[str, Any]) -> TaperPlan:
    """The plan document under ``plan`` (as ``/api/v1/plan`` answers it).

    Raises:
        InvalidPlanDataError: every problem of the document.
    """
    value = data.get("plan")
    if not isinstance(value, Mapping):
        raise BadRequestError(
            [
                Problem(
                    "plan", "is missing or not an object", "the plan JSON that /api/v1/plan answers"
                )
            ]
        )
    return plan_from_dict(value, source="plan")

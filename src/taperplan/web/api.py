"""The JSON API under ``/api/v1`` (interfaces.md §7): stateless verbs over the library.

Each endpoint reads a JSON object, calls the library, and answers with the same JSON the
CLI writes (``taperplan.plan/1`` for plans), or a file for an export. Every library error
answers 422 with problem details; nothing is stored and nothing of the request is logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from taperplan import formats
from taperplan.clinical.mme import regimen_mme
from taperplan.errors import Problem, TaperplanError
from taperplan.model.plan import PlanKind, TaperPlan
from taperplan.planning import pause, plan_taper, replan
from taperplan.prescribing import prescriptions
from taperplan.reference.paces import Pace, presets
from taperplan.reference.products import catalogue
from taperplan.switching import hold_day, plan_buprenorphine_initiation, plan_rotation
from taperplan.web.problems import PROBLEM_JSON, from_error, problem_document
from taperplan.web.requests import (
    MAX_BODY,
    BadRequestError,
    date_of,
    json_object,
    plan_of,
    regimen_of,
    text_of,
)

Handler = Callable[[Request], Awaitable[Response]]

#: Exports by name: (media type, file suffix).
EXPORTS: Mapping[str, tuple[str, str]] = {
    "ics": ("text/calendar; charset=utf-8", ".ics"),
    "fhir": ("application/fhir+json", ".fhir.json"),
    "csv": ("text/csv; charset=utf-8", ".csv"),
    "json": ("application/json", ".json"),
    "handout": ("text/html; charset=utf-8", ".html"),
    "handout-pdf": ("application/pdf", ".pdf"),
    "summary": ("text/html; charset=utf-8", ".summary.html"),
    "prescriptions": ("text/csv; charset=utf-8", ".prescriptions.csv"),
}


def now() -> dt.datetime:
    """The server's clock: read here, at the edge, and passed to the library."""
    return dt.datetime.now(dt.UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (str, int, float)):
        return value.value
    return value


def pace_document(pace: Pace) -> dict[str, Any]:
    """A pace preset as JSON (every parameter of §4a)."""
    return {k: _plain(v) for k, v in attrs.asdict(pace, recurse=False).items()}


def problem_response(document: dict[str, Any]) -> JSONResponse:
    """A problem details answer."""
    return JSONResponse(document, status_code=document["status"], media_type=PROBLEM_JSON)


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, refusing a body above :data:`MAX_BODY`."""
    body = await read_limited(request)
    return json_object(body)


async def read_limited(request: Request) -> bytes:
    """The body, stopped as soon as it passes :data:`MAX_BODY`.

    Raises:
        BodyTooLargeError: the body is too large.
    """
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


class BodyTooLargeError(Exception):
    """A request body above :data:`MAX_BODY`."""


def guarded(handler: Handler) -> Handler:
    """``handler`` with every library error answered as problem details."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except BodyTooLargeError:
            return problem_response(
                problem_document(
                    413, "Request body too large", [], detail=f"at most {MAX_BODY} bytes"
                )
            )
        except TaperplanError as error:
            return problem_response(from_error(error))

    return run


def _start(data: Mapping[str, Any], plan_zone: Any) -> dt.date:
    today = now().astimezone(plan_zone).date() if plan_zone is not None else now().date()
    return date_of(data, "start", today + dt.timedelta(days=7 - today.weekday()))


def plan_from_request(data: Mapping[str, Any]) -> TaperPlan:
    """The plan a ``/plan`` or export request asks for: ``plan`` as given, or planned
    from ``regimen`` with ``start``, ``pace``, ``supervised`` and ``substitute``."""
    if "plan" in data:
        return plan_of(data)
    regimen = regimen_of(data, today=now().date())
    substitute = data.get("substitute")
    if substitute is not None and not isinstance(substitute, bool):
        raise BadRequestError(
            [Problem("substitute", "must be true or false", "true, false or left out")]
        )
    return plan_taper(
        regimen,
        start=_start(data, regimen.timezone),
        pace=text_of(data, "pace"),
        supervised=data.get("supervised") is True,
        substitute=substitute,
    )


async def paces_endpoint(_: Request) -> Response:
    return JSONResponse({"paces": [pace_document(p) for p in presets()]})


async def catalogue_endpoint(_: Request) -> Response:
    products = [
        {
            "name": p.name,
            "drug": p.drug.name,
            "form": p.form.value,
            "strengths": [p.label(s) for s in p.strengths],
            "splittable": p.splittable,
            "combination": None if p.combination is None else str(p.combination),
            "source": p.source,
        }
        for p in catalogue().products
    ]
    return JSONResponse({"products": products})


async def mme_endpoint(request: Request) -> Response:
    data = await read_json(request)
    report = regimen_mme(regimen_of(data, today=now().date()), text_of(data, "factors"))
    return JSONResponse(formats.mme_to_dict(report))


async def plan_endpoint(request: Request) -> Response:
    return JSONResponse(formats.plan_to_dict(plan_from_request(await read_json(request))))


def _whole(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequestError(
            [Problem(key, f"{value!r} is not a whole number of 0 or more", "a whole number")]
        )
    return value


async def rotate_endpoint(request: Request) -> Response:
    data = await read_json(request)
    regimen = regimen_of(data, today=now().date())
    method = text_of(data, "method") or "staged"
    if method not in {"staged", "direct", "three-day"}:
        raise BadRequestError(
            [Problem("method", f"{method!r} is not a method", "staged, direct or three-day")]
        )
    cut = _whole(data, "cut")
    plan = plan_rotation(
        regimen,
        text_of(data, "to") or "",
        start=_start(data, regimen.timezone),
        method="direct"
        if method == "direct"
        else "three-day"
        if method == "three-day"
        else "staged",
        weeks=_whole(data, "weeks"),
        table=text_of(data, "table"),
        methadone_table=text_of(data, "methadone_table") or "msd-modified",
        patch_table=text_of(data, "patch_table") or "label-rotation",
        cut=None if cut is None else Decimal(cut),
        age=_whole(data, "age"),
        frail=data.get("frail") is True,
    )
    return JSONResponse(formats.plan_to_dict(plan))


async def initiate_endpoint(request: Request) -> Response:
    data = await read_json(request)
    regimen = regimen_of(data, today=now().date())
    plan = plan_buprenorphine_initiation(
        regimen,
        text_of(data, "protocol") or "vancouver-7d",
        start=_start(data, regimen.timezone),
        maintenance=text_of(data, "maintenance"),
        supervised=data.get("supervised") is True,
    )
    return JSONResponse(formats.plan_to_dict(plan))


async def pause_endpoint(request: Request) -> Response:
    data = await read_json(request)
    days = data.get("days")
    if isinstance(days, bool) or not isinstance(days, int):
        raise BadRequestError([Problem("days", f"{days!r} is not a whole number", "1 to 365")])
    plan = plan_of(data)
    on = date_of(data, "on")
    # An initiation repeats the day (never jumps ahead); a taper holds its dose.
    paused = (
        hold_day(plan, on, days=days)
        if plan.kind is PlanKind.INITIATION
        else pause(plan, on=on, days=days)
    )
    return JSONResponse(formats.plan_to_dict(paused))


async def replan_endpoint(request: Request) -> Response:
    data = await read_json(request)
    taking = regimen_of(data, today=now().date()) if "regimen" in data else None
    new = replan(
        plan_of(data),
        on=date_of(data, "on"),
        regimen=taking,
        pace=text_of(data, "pace"),
        allow_higher_dose=data.get("allow_higher_dose") is True,
    )
    return JSONResponse(formats.plan_to_dict(new))


async def prescriptions_endpoint(request: Request) -> Response:
    data = await read_json(request)
    fills = prescriptions(plan_from_request(data), _fill_days(data))
    return Response(formats.prescriptions_to_csv(fills), media_type=EXPORTS["prescriptions"][0])


def _fill_days(data: Mapping[str, Any]) -> int:
    days = data.get("fill_days", 28)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
        raise BadRequestError(
            [
                Problem(
                    "fill_days", f"{days!r} is not a whole number of days from 1 to 90", "1 to 90"
                )
            ]
        )
    return days


def attachment(plan_id: str, suffix: str) -> str:
    """A Content-Disposition for a download: the plan id's safe characters only."""
    safe = "".join(ch for ch in plan_id if ch.isascii() and (ch.isalnum() or ch in "-_.")) or "plan"
    return f'attachment; filename="{safe[:100]}{suffix}"'


def export_bytes(plan: TaperPlan, name: str, data: Mapping[str, Any]) -> bytes:
    """One export of ``plan`` (``EXPORTS``), with the server's clock for stamps."""
    stamp = now().replace(microsecond=0)
    if name == "ics":
        return formats.plan_to_ics(plan, dtstamp=stamp)
    if name == "fhir":
        return formats.fhir_to_json(formats.plan_to_fhir(plan)).encode()
    if name == "csv":
        return formats.plan_to_csv(plan).encode()
    if name == "json":
        return formats.plan_to_json(plan).encode()
    if name == "handout":
        return formats.plan_to_handout(plan, generated_on=stamp.date()).encode()
    if name == "handout-pdf":
        # Chromium prints it; a machine without Chromium answers 422 saying so.
        return formats.html_to_pdf(formats.plan_to_handout(plan, generated_on=stamp.date()))
    if name == "summary":
        return formats.plan_to_summary(plan, generated_on=stamp.date()).encode()
    return formats.prescriptions_to_csv(prescriptions(plan, _fill_days(data))).encode()


async def export_endpoint(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in EXPORTS:
        return problem_response(
            problem_document(404, "No such export", [], detail=f"exports: {', '.join(EXPORTS)}")
        )
    data = await read_json(request)
    plan = plan_from_request(data)
    media, suffix = EXPORTS[name]
    return Response(
        export_bytes(plan, name, data),
        media_type=media,
        headers={"Content-Disposition": attachment(plan.id, suffix)},
    )


def routes() -> list[Route]:
    """The API's routes (the OpenAPI document lists the same)."""
    return [
        Route("/api/v1/paces", guarded(paces_endpoint), methods=["GET"]),
        Route("/api/v1/catalogue", guarded(catalogue_endpoint), methods=["GET"]),
        Route("/api/v1/mme", guarded(mme_endpoint), methods=["POST"]),
        Route("/api/v1/plan", guarded(plan_endpoint), methods=["POST"]),
        Route("/api/v1/rotate", guarded(rotate_endpoint), methods=["POST"]),
        Route("/api/v1/initiate", guarded(initiate_endpoint), methods=["POST"]),
        Route("/api/v1/pause", guarded(pause_endpoint), methods=["POST"]),
        Route("/api/v1/replan", guarded(replan_endpoint), methods=["POST"]),
        Route("/api/v1/prescriptions", guarded(prescriptions_endpoint), methods=["POST"]),
        Route("/api/v1/export/{name}", guarded(export_endpoint), methods=["POST"]),
    ]

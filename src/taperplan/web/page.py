"""The web page: a form for a regimen (pickers fed by the catalogue, pasted TOML, or an
uploaded file), the plan at one to three paces, a visit (pause or re-plan), and every
export as a download. Server-rendered, no script; every error inline by its field, in
the CLI's words.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from taperplan import formats
from taperplan._data import data_text
from taperplan.errors import Problem, TaperplanError
from taperplan.formats._json_regimen import regimen_document
from taperplan.formats.regimen import parse_regimen, regimen_from_mapping
from taperplan.model.plan import PlanKind, TaperPlan
from taperplan.model.regimen import Regimen
from taperplan.planning import pause, plan_taper, replan
from taperplan.prescribing import prescriptions
from taperplan.reference.initiation import protocol_names
from taperplan.reference.paces import presets
from taperplan.reference.products import Form, catalogue
from taperplan.switching import hold_day, plan_buprenorphine_initiation, plan_rotation
from taperplan.web.api import EXPORTS, attachment, export_bytes, now
from taperplan.web.problems import problems_of
from taperplan.web.requests import MAX_BODY

#: Medication rows the form offers.
ROWS = 3
#: The context flags the form asks about (the regimen file's ``[context]`` keys).
FLAGS = (
    "benzodiazepines",
    "sleep_apnea",
    "history_of_overdose",
    "substance_use_disorder",
    "pregnant",
    "renal_impairment",
    "hepatic_impairment",
)


@cache
def _templates() -> jinja2.Environment:
    loader = jinja2.DictLoader(
        {
            "page.html.j2": data_text("web/page.html.j2"),
            "base.html.j2": data_text("web/base.html.j2"),
        }
    )
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def _render(**values: Any) -> str:
    products = catalogue().products
    choices = {
        "drugs": sorted({p.drug.name for p in products}),
        "forms": [f.value for f in Form if f is not Form.SL_TABLET],
        "paces": [(p.name, p.description) for p in presets()],
        "flags": FLAGS,
        "rows": ROWS,
        "exports": list(EXPORTS),
        "targets": ["oxycodone", "morphine", "hydromorphone", "methadone", "fentanyl"],
        "protocols": protocol_names(),
    }
    defaults: dict[str, Any] = {
        "form": {},
        "errors": {},
        "error_list": [],
        "results": [],
        "carried": None,
    }
    return _templates().get_template("page.html.j2").render(**choices, **{**defaults, **values})


def page(_: Request) -> Response:
    """The empty form, with the embedded sample regimen pasted in."""
    sample = data_text("sample-regimen.toml")
    return HTMLResponse(_render(form={"regimen_toml": sample, "mode": "toml"}))


def _rows_mapping(form: FormData) -> dict[str, Any]:
    """The regimen mapping of the form's rows (empty rows left out)."""
    medications = []
    for row in range(ROWS):
        drug = str(form.get(f"drug{row}", "")).strip()
        if not drug:
            continue
        entry: dict[str, Any] = {
            "drug": drug,
            "form": str(form.get(f"form{row}", "")),
            "strength": str(form.get(f"strength{row}", "")).strip(),
            "times": [t.strip() for t in str(form.get(f"times{row}", "")).split(",") if t.strip()],
        }
        dose = str(form.get(f"dose{row}", "")).strip()
        if "," in dose:
            entry["doses"] = [d.strip() for d in dose.split(",")]
        else:
            entry["dose"] = dose
        every = str(form.get(f"every{row}", "")).strip()
        if every:
            entry["every_days"] = int(every) if every.isdigit() else every
        if form.get(f"as_needed{row}"):
            entry["as_needed"] = True
            most = str(form.get(f"max{row}", "")).strip()
            entry["max_doses_per_day"] = int(most) if most.isdigit() else most
        medications.append(entry)
    mapping: dict[str, Any] = {"medication": medications}
    zone = str(form.get("timezone", "")).strip()
    if zone:
        mapping["timezone"] = zone
    context: dict[str, Any] = {flag: True for flag in FLAGS if form.get(flag)}
    since = str(form.get("on_opioids_since", "")).strip()
    if since:
        context["on_opioids_since"] = since
    if context:
        mapping["context"] = context
    return mapping


async def _regimen(form: FormData) -> Regimen:
    """The regimen the form gives: an upload, pasted TOML, the rows, or carried JSON."""
    today = now().date()
    upload = form.get("regimen_file")
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(MAX_BODY + 1)
        return parse_regimen(content[:MAX_BODY], today=today, source=upload.filename)
    carried = str(form.get("regimen_json", ""))
    if carried:
        return regimen_from_mapping(json.loads(carried), today=today)
    if form.get("mode") == "rows":
        return regimen_from_mapping(_rows_mapping(form), today=today)
    return parse_regimen(str(form.get("regimen_toml", "")), today=today)


def _start(form: FormData, regimen: Regimen) -> dt.date:
    text = str(form.get("start", "")).strip()
    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _FieldError("start", f"{text!r} is not a date", "YYYY-MM-DD") from None
    zone = regimen.timezone
    today = now().astimezone(zone).date() if zone is not None else now().date()
    return today + dt.timedelta(days=7 - today.weekday())


class _FieldError(TaperplanError):
    def __init__(self, path: str, message: str, fix: str) -> None:
        self.problems = (Problem(path, message, fix),)
        super().__init__(f"{path}: {message} (fix: {fix})")


def _result(plan: TaperPlan, regimen: Regimen) -> dict[str, Any]:
    """What the page shows of one plan, and what its forms carry."""
    chart = formats.plan_chart(plan, fmt="svg")
    return {
        "plan": plan,
        "chart": base64.b64encode(chart).decode(),
        "fills": prescriptions(plan),
        "plan_json": formats.plan_to_json(plan),
        "regimen_json": json.dumps(regimen_document(regimen)),
    }


def _errors(error: TaperplanError) -> tuple[dict[str, list[str]], list[Problem]]:
    """Problems by field path (for the field's own message) and in order."""
    problems = problems_of(error)
    by_path: dict[str, list[str]] = {}
    for problem in problems:
        words = problem.message + (f" (fix: {problem.fix})" if problem.fix else "")
        by_path.setdefault(problem.path, []).append(words)
    return by_path, problems


def _form_values(form: FormData) -> dict[str, Any]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def plan_page(request: Request) -> Response:
    """Plan the form's regimen at its pace (and up to two more, side by side)."""
    form = await request.form(max_files=1, max_fields=200, max_part_size=MAX_BODY)
    values = _form_values(form)
    try:
        regimen = await _regimen(form)
        start = _start(form, regimen)
        results = [_result(plan, regimen) for plan in _plans(form, regimen, start)]
    except TaperplanError as error:
        errors, listed = _errors(error)
        return HTMLResponse(_render(form=values, errors=errors, error_list=listed), status_code=422)
    except (ValueError, json.JSONDecodeError) as error:
        listed = [Problem("", str(error), "check the form")]
        return HTMLResponse(_render(form=values, error_list=listed), status_code=422)
    return HTMLResponse(_render(form=values, results=results))


async def visit_page(request: Request) -> Response:
    """Pause or re-plan the plan the form carries, from a visit date."""
    form = await request.form(max_fields=50, max_part_size=MAX_BODY)
    values = _form_values(form)
    try:
        plan = formats.plan_from_json(str(form.get("plan_json", "")))
        on = _date(form, "on")
        if form.get("action") == "pause":
            days = str(form.get("days", "")).strip()
            if not (days.isascii() and days.isdigit()):
                raise _FieldError("days", f"{days!r} is not a whole number", "1 to 365")
            if plan.kind is PlanKind.INITIATION:
                new = hold_day(plan, on, days=int(days))
            else:
                new = pause(plan, on=on, days=int(days))
        else:
            new = replan(plan, on=on)
        results = [_result(new, plan.regimen)]
    except TaperplanError as error:
        errors, listed = _errors(error)
        return HTMLResponse(_render(form=values, errors=errors, error_list=listed), status_code=422)
    return HTMLResponse(_render(form=values, results=results))


def _plans(form: FormData, regimen: Regimen, start: dt.date) -> list[TaperPlan]:
    """What the form asks for: a taper at one to three paces, a rotation, or an
    initiation."""
    supervised = bool(form.get("supervised"))
    kind = str(form.get("plan_kind", "taper"))
    if kind == "rotation":
        return [plan_rotation(regimen, str(form.get("to", "")), start=start)]
    if kind == "initiation":
        maintenance = str(form.get("maintenance", "")).strip() or None
        protocol = str(form.get("protocol", "")) or "vancouver-7d"
        return [
            plan_buprenorphine_initiation(
                regimen, protocol, start=start, maintenance=maintenance, supervised=supervised
            )
        ]
    paces = [str(form.get(k, "")) for k in ("pace", "pace2", "pace3")]
    chosen = [p or None for i, p in enumerate(paces) if p or i == 0]
    return [
        plan_taper(regimen, start=start, pace=p, supervised=supervised)
        for p in dict.fromkeys(chosen)
    ]


def _date(form: FormData, key: str) -> dt.date:
    text = str(form.get(key, "")).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _FieldError(key, f"{text!r} is not a date", "YYYY-MM-DD") from None


async def download(request: Request) -> Response:
    """One export of the plan the form carries."""
    name = request.path_params["name"]
    form = await request.form(max_fields=10, max_part_size=MAX_BODY)
    try:
        plan = formats.plan_from_json(str(form.get("plan_json", "")))
        if name not in EXPORTS:
            raise _FieldError("export", f"{name!r} is not an export", ", ".join(EXPORTS))
        media, suffix = EXPORTS[name]
        body = export_bytes(plan, name, {})
    except TaperplanError as error:
        errors, listed = _errors(error)
        return HTMLResponse(_render(errors=errors, error_list=listed), status_code=422)
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": attachment(plan.id, suffix)},
    )


def prefilled(mapping: Mapping[str, Any]) -> str:
    """The page's query for a regimen (the CDS Hooks card's link): the regimen JSON,
    base64url-encoded."""
    raw = json.dumps(mapping, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_with(request: Request) -> Response:
    """The form with a regimen given in the link (``?regimen=…``, from a CDS Hooks card)."""
    value = request.query_params.get("regimen", "")
    try:
        padded = value + "=" * (-len(value) % 4)
        mapping = json.loads(base64.urlsafe_b64decode(padded.encode()))
        regimen = regimen_from_mapping(mapping, today=now().date())
    except TaperplanError as error:
        errors, listed = _errors(error)
        return HTMLResponse(_render(errors=errors, error_list=listed), status_code=422)
    except ValueError as error:
        return HTMLResponse(
            _render(
                error_list=[Problem("regimen", f"the link's regimen cannot be read: {error}", "")]
            ),
            status_code=422,
        )
    values = {"regimen_json": json.dumps(regimen_document(regimen)), "mode": "carried"}
    return HTMLResponse(_render(form=values, carried=regimen))

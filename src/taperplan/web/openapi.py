"""The OpenAPI 3.1 document of the JSON API, served at ``/api/v1/openapi.json``.

The plan's schema is the packaged ``plan.schema.json`` (JSON Schema 2020-12, which
OpenAPI 3.1 uses), its definitions moved under ``components/schemas``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from taperplan._data import data_text
from taperplan._version import __version__

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _rewrite(node: Any) -> Any:
    """``#/$defs/x`` references as ``#/components/schemas/Plan_x``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = "#/components/schemas/Plan_" + value.removeprefix("#/$defs/")
            else:
                out[key] = _rewrite(value)
        return out
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    return node


def _json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _answers(ok: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {
        "200": {"description": "OK", "content": {media: {"schema": ok}}},
        "413": {
            "description": "The body is too large",
            "content": {"application/problem+json": {"schema": _PROBLEM}},
        },
        "422": {
            "description": "The input cannot be planned: every problem with its path and fix",
            "content": {"application/problem+json": {"schema": _PROBLEM}},
        },
    }


def _operation(
    summary: str, body: dict[str, Any] | None, answers: dict[str, Any]
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": answers}
    if body is not None:
        operation["requestBody"] = body
    return operation


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document."""
    plan_schema = json.loads(data_text("plan.schema.json"))
    definitions = {f"Plan_{k}": _rewrite(v) for k, v in plan_schema.pop("$defs").items()}
    plan_schema.pop("$schema", None)
    plan_schema.pop("$id", None)
    regimen = {
        "oneOf": [
            {"$ref": "#/components/schemas/Plan_regimen"},
            {"type": "string", "description": "the regimen file's TOML text"},
        ]
    }
    plan_request = {
        "type": "object",
        "description": "A regimen to plan (with start, pace, supervised, substitute), or a plan document",
        "properties": {
            "regimen": regimen,
            "plan": {"$ref": "#/components/schemas/Plan"},
            "start": {"type": "string", "format": "date"},
            "pace": {"type": "string"},
            "supervised": {"type": "boolean"},
            "substitute": {"type": "boolean"},
            "fill_days": {"type": "integer", "minimum": 1},
        },
    }
    held = {
        "type": "object",
        "required": ["plan", "on", "days"],
        "description": "A plan and a visit: a taper holds its dose; an initiation repeats the day",
        "properties": {
            "plan": {"$ref": "#/components/schemas/Plan"},
            "on": {"type": "string", "format": "date"},
            "days": {"type": "integer", "minimum": 1, "maximum": 365},
        },
    }
    visit = {
        "type": "object",
        "required": ["plan", "on"],
        "properties": {
            "plan": {"$ref": "#/components/schemas/Plan"},
            "on": {"type": "string", "format": "date"},
            "regimen": regimen,
            "pace": {"type": "string"},
            "allow_higher_dose": {"type": "boolean"},
        },
    }
    plan_ref = {"$ref": "#/components/schemas/Plan"}
    anything = {"type": "object"}
    paths = {
        "/api/v1/paces": {"get": _operation("The pace presets", None, _answers(anything))},
        "/api/v1/catalogue": {
            "get": _operation("The products taperplan plans with", None, _answers(anything))
        },
        "/api/v1/mme": {
            "post": _operation(
                "The MME/day of a regimen (taperplan mme --format json)",
                _json_body(
                    {
                        "type": "object",
                        "required": ["regimen"],
                        "properties": {"regimen": regimen, "factors": {"type": "string"}},
                    },
                    "A regimen",
                ),
                _answers(anything),
            )
        },
        "/api/v1/plan": {
            "post": _operation(
                "Plan a taper (taperplan.plan/1)",
                _json_body(plan_request, "A regimen"),
                _answers(plan_ref),
            )
        },
        "/api/v1/rotate": {
            "post": _operation(
                "Plan a rotation to another opioid (taperplan rotate)",
                _json_body(
                    {
                        "type": "object",
                        "required": ["regimen", "to"],
                        "properties": {
                            "regimen": regimen,
                            "to": {"type": "string"},
                            "start": {"type": "string", "format": "date"},
                            "method": {"enum": ["staged", "direct", "three-day"]},
                            "weeks": {"type": "integer"},
                            "table": {"type": "string"},
                            "methadone_table": {"type": "string"},
                            "patch_table": {"type": "string"},
                            "cut": {"type": "integer"},
                            "age": {"type": "integer"},
                            "frail": {"type": "boolean"},
                        },
                    },
                    "A regimen and the new opioid",
                ),
                _answers(plan_ref),
            )
        },
        "/api/v1/initiate": {
            "post": _operation(
                "Plan a low-dose buprenorphine initiation (taperplan initiate)",
                _json_body(
                    {
                        "type": "object",
                        "required": ["regimen"],
                        "properties": {
                            "regimen": regimen,
                            "protocol": {"type": "string"},
                            "start": {"type": "string", "format": "date"},
                            "maintenance": {"type": "string"},
                            "supervised": {"type": "boolean"},
                        },
                    },
                    "A regimen and a protocol",
                ),
                _answers(plan_ref),
            )
        },
        "/api/v1/pause": {
            "post": _operation(
                "Hold a plan's dose from a day (an initiation: repeat the day)",
                _json_body(held, "A plan and a visit"),
                _answers(plan_ref),
            )
        },
        "/api/v1/replan": {
            "post": _operation(
                "Continue a plan from what the patient takes",
                _json_body(visit, "A plan and a visit"),
                _answers(plan_ref),
            )
        },
        "/api/v1/prescriptions": {
            "post": _operation(
                "The fills of a plan, as CSV",
                _json_body(plan_request, "A regimen or a plan"),
                _answers({"type": "string"}, "text/csv"),
            )
        },
        "/api/v1/export/{name}": {
            "post": {
                **_operation(
                    "One export of a plan",
                    _json_body(plan_request, "A regimen or a plan"),
                    _answers({"type": "string"}, "application/octet-stream"),
                ),
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {
                            "enum": [
                                "ics",
                                "fhir",
                                "csv",
                                "json",
                                "handout",
                                "handout-pdf",
                                "summary",
                                "prescriptions",
                            ]
                        },
                    }
                ],
            }
        },
    }
    problem = {
        "type": "object",
        "description": "RFC 9457 problem details, with every problem of the input",
        "required": ["type", "title", "status", "errors"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "message", "fix"],
                    "properties": {
                        "path": {"type": "string"},
                        "message": {"type": "string"},
                        "fix": {"type": "string"},
                    },
                },
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "taperplan API",
            "version": __version__,
            "description": "Stateless decision support for clinicians planning opioid tapers. Not medical advice.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Plan": _rewrite(plan_schema), "Problem": problem, **definitions}
        },
    }

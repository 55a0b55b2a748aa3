"""A CDS Hooks 2.0 service: discovery, and ``order-sign`` / ``order-select`` services for
opioid MedicationRequests.

The service reads the orders and the prefetched active MedicationRequests into a regimen
(:mod:`taperplan.web._fhir_orders`), and answers with cards: the total MME with the
regimen's own safety warnings (50 and 90 MME/day, benzodiazepines, naloxone), and a link
to the web page with the regimen filled in, to plan a taper. It stores nothing and
answers a request it cannot read with no cards rather than an error an EHR would show.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from taperplan._statement import DISCLAIMER
from taperplan.clinical.mme import regimen_mme
from taperplan.clinical.safety import regimen_safety_warnings
from taperplan.errors import TaperplanError
from taperplan.formats.regimen import regimen_from_mapping
from taperplan.units import format_decimal
from taperplan.web._fhir_orders import Order, read_order, resources_in
from taperplan.web.api import BodyTooLargeError, now, read_limited
from taperplan.web.page import prefilled
from taperplan.web.requests import BadRequestError, json_object

#: The services this server offers, by id.
SERVICES: Mapping[str, dict[str, Any]] = {
    "taperplan-order-sign": {
        "hook": "order-sign",
        "title": "taperplan: opioid MME and taper planning",
        "description": "For opioid orders being signed: the total MME/day of the patient's "
        "opioids with the safety warnings of the CDC 2022 guideline, and a link to plan a "
        "gradual taper. Decision support, not medical advice.",
        "prefetch": {
            "patient": "Patient/{{context.patientId}}",
            "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
        },
    },
    "taperplan-order-select": {
        "hook": "order-select",
        "title": "taperplan: opioid MME as orders are chosen",
        "description": "For opioid orders being selected: the total MME/day with the "
        "selected orders and the safety warnings. Decision support, not medical advice.",
        "prefetch": {
            "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
        },
    },
}
#: Cards are namespaced UUIDs: the same request gives the same cards.
_NAMESPACE = uuid.UUID("9f0c4f4e-5d6f-4a53-8b1a-6d1f4a1f2b7c")


async def discovery(_: Request) -> Response:
    """``GET /cds-services``."""
    return JSONResponse({"services": [{"id": key, **value} for key, value in SERVICES.items()]})


def _orders(request: Mapping[str, Any]) -> list[Order]:
    """The orders of a hook request, the drafts first, each MedicationRequest once."""
    context = request.get("context") if isinstance(request.get("context"), Mapping) else {}
    assert isinstance(context, Mapping)  # noqa: S101 - just checked
    prefetch = request.get("prefetch") if isinstance(request.get("prefetch"), Mapping) else {}
    assert isinstance(prefetch, Mapping)  # noqa: S101 - just checked
    resources = [*resources_in(context.get("draftOrders"))]
    for value in prefetch.values():
        resources.extend(resources_in(value))
    index = {
        f"{r.get('resourceType')}/{r.get('id')}": r
        for r in resources
        if r.get("resourceType") == "Medication"
    }
    index.update({str(r.get("id")): r for r in resources if r.get("resourceType") == "Medication"})
    seen: set[str] = set()
    orders = []
    for resource in resources:
        if resource.get("resourceType") != "MedicationRequest":
            continue
        status = resource.get("status")
        if status is not None and (
            not isinstance(status, str) or status not in {"draft", "active"}
        ):
            continue
        order = _read(resource, index)
        # Test data reuses a draft order's id for another drug: the id and the drug, once.
        key = f"{resource.get('id')}|{order.label}"
        if key in seen:
            continue
        seen.add(key)
        orders.append(order)
    return orders


def _read(resource: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]]) -> Order:
    """One MedicationRequest read, and checked as a regimen medication on its own: an
    order with odd fields, or one the catalogue cannot make, is named and left out, so it
    never hides the others."""
    reference = f"MedicationRequest/{resource.get('id', '?')}"
    try:
        order = read_order(resource, index)
    except (TypeError, ValueError, AttributeError, KeyError, ArithmeticError):
        return Order(reference, reference, skipped="a MedicationRequest taperplan cannot read")
    if order.medication is None:
        return order
    try:
        regimen_from_mapping({"medication": [order.medication]}, today=now().date())
    except TaperplanError as error:
        problems = getattr(error, "problems", ())
        why = "; ".join(p.message for p in problems) or str(error)
        return attrs.evolve(order, medication=None, skipped=why)
    return order


def _card(
    summary: str, detail: str, indicator: str, key: str, base: str, **extra: Any
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid5(_NAMESPACE, key)),
        "summary": summary[:140],
        "detail": detail,
        "indicator": indicator,
        "source": {"label": "taperplan (decision support)", "url": base},
    }
    card.update(extra)
    return card


def cards_for(request: Mapping[str, Any], base: str) -> list[dict[str, Any]]:
    """The cards for a hook request (``base``: the web page's address for links)."""
    orders = _orders(request)
    medications = [o.medication for o in orders if o.medication is not None]
    if not medications:
        return []
    instance = str(request.get("hookInstance", ""))
    mapping: dict[str, Any] = {"medication": medications}
    context = {}
    if any(o.benzodiazepine for o in orders):
        context["benzodiazepines"] = True
    if context:
        mapping["context"] = context
    skipped = [o for o in orders if o.skipped is not None]
    try:
        regimen = regimen_from_mapping(mapping, today=now().date())
        report = regimen_mme(regimen)
    except TaperplanError as error:
        return [
            _card(
                "taperplan could not read these opioid orders",
                f"{error}\n\n{DISCLAIMER}",
                "info",
                f"{instance}/unread",
                base,
            )
        ]
    total = report.total_mme_per_day
    notices = list(
        dict.fromkeys(
            [
                *report.warnings,
                *regimen_safety_warnings(regimen, total_mme=total),
                *regimen.notices,
            ]
        )
    )
    words = (
        "MME does not apply to part of it" if total is None else f"{format_decimal(total)} MME/day"
    )
    indicator = "warning" if total is not None and total >= Decimal(50) else "info"
    if any(n.code == "benzodiazepines" for n in notices):
        indicator = "warning"
    lines = [f"- {n.message} ({n.source})" for n in notices if n.code != "mme-estimate"]
    lines += [f"- Not counted: {o.label} ({o.skipped})" for o in skipped]
    detail = "\n".join([*lines, "", DISCLAIMER])
    link = {
        "label": "Plan a gradual taper in taperplan",
        "url": f"{base}?regimen={prefilled(mapping)}",
        "type": "absolute",
    }
    return [_card(f"Opioids: {words}", detail, indicator, f"{instance}/mme", base, links=[link])]


async def service(request: Request) -> Response:
    """``POST /cds-services/{id}``: the cards for a hook request."""
    key = request.path_params["service"]
    if key not in SERVICES:
        return JSONResponse({"error": f"no service {key}"}, status_code=404)
    try:
        body = json_object(await read_limited(request))
    except BodyTooLargeError:
        return JSONResponse({"error": "request too large"}, status_code=413)
    except BadRequestError as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    if body.get("hook") != SERVICES[key]["hook"]:
        return JSONResponse(
            {"error": f"this service answers {SERVICES[key]['hook']}"}, status_code=400
        )
    base = str(request.url_for("home"))
    return JSONResponse({"cards": cards_for(body, base)})


def routes() -> list[Route]:
    """The CDS Hooks routes."""
    return [
        Route("/cds-services", discovery, methods=["GET"]),
        Route("/cds-services/{service}", service, methods=["POST"]),
    ]

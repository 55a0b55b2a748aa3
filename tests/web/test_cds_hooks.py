"""The CDS Hooks service against the CDC opioid guide's own requests
(tests/data/cds-hooks), checked with the CDS Hooks 2.0 response schema."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from support import DATA
from taperplan import plan_taper, regimen_from_mapping

HOOKS = DATA / "cds-hooks"
REQUESTS = sorted(HOOKS.glob("*.json"))


def _schema(name: str) -> dict[str, Any]:
    return json.loads((HOOKS / "schemas" / name).read_text(encoding="utf-8"))


def _request(name: str) -> dict[str, Any]:
    return json.loads((HOOKS / name).read_text(encoding="utf-8"))


def _cards(client: Any, request: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client.post(f"/cds-services/taperplan-{request['hook']}", json=request)
    assert answer.status_code == 200
    document = answer.json()
    jsonschema.validate(document, _schema("response.schema.json"))
    cards: list[dict[str, Any]] = document["cards"]
    return cards


def test_discovery(client: Any) -> None:
    document = client.get("/cds-services").json()
    jsonschema.validate(document, _schema("discovery.schema.json"))
    assert {s["hook"] for s in document["services"]} == {"order-sign", "order-select"}


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: p.stem)
def test_every_request_of_the_guide_gets_valid_cards(client: Any, path: Path) -> None:
    assert isinstance(_cards(client, _request(path.name)), list)


def test_fentanyl_75_is_180_mme_with_a_warning(client: Any) -> None:
    """The guide's MME oracle: fentanyl 75 mcg/h changed every 3 days is 180 MME/day."""
    (card,) = _cards(
        client, _request("request-example-rec-08-order-sign-mme-greater-than-fifty.repaired.json")
    )
    assert card["summary"] == "Opioids: 180 MME/day"
    assert card["indicator"] == "warning"
    assert "naloxone" in card["detail"].lower()


def test_a_benzodiazepine_in_the_prefetch_is_warned_about(client: Any) -> None:
    (card,) = _cards(
        client, _request("request-example-rec-11-opioid-trigger-with-benzo.repaired.json")
    )
    assert card["summary"] == "Opioids: 15 MME/day"
    assert card["indicator"] == "warning"
    assert "benzodiazepine" in card["detail"].lower()


def test_the_link_opens_the_page_with_the_regimen(client: Any) -> None:
    """The card's link carries the regimen, which plans, and the page shows it."""
    (card,) = _cards(client, _request("noPrefetch.json"))
    (link,) = card["links"]
    assert link["type"] == "absolute"
    query = link["url"].split("?regimen=", 1)[1]
    mapping = json.loads(base64.urlsafe_b64decode(query + "=" * (-len(query) % 4)))
    import datetime as dt  # noqa: PLC0415

    assert plan_taper(regimen_from_mapping(mapping), start=dt.date(2027, 1, 4)).steps
    page = client.get("/?regimen=" + query)
    assert page.status_code == 200
    assert "fentanyl patch" in page.text


def test_no_opioid_no_card_and_a_wrong_hook_is_refused(client: Any) -> None:
    request = _request("noPrefetch.json")
    request["context"]["draftOrders"]["entry"] = []
    assert _cards(client, request) == []
    wrong = {**request, "hook": "patient-view"}
    assert client.post("/cds-services/taperplan-order-sign", json=wrong).status_code == 400
    assert client.post("/cds-services/nothing", json=request).status_code == 404


def _order(**changes: Any) -> dict[str, Any]:
    """An order-sign request for one oxycodone 5 mg tablet order, changed as given."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "one",
        "status": "draft",
        "medicationCodeableConcept": {"text": "oxycodone hydrochloride 5 MG Oral Tablet"},
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": 1, "period": 3, "periodUnit": "h"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}],
            }
        ],
    }
    resource.update(changes)
    return {
        "hook": "order-sign",
        "hookInstance": "x",
        "context": {
            "userId": "Practitioner/1",
            "patientId": "1",
            "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": resource}]},
        },
    }


def test_odd_orders_are_read_right_or_named(client: Any) -> None:
    """Every 3 hours is 8 doses a day (60 MME/day); a patch every 72 hours is read; a
    dose in an unknown unit, odd fields and buprenorphine are named, never a 500."""
    (card,) = _cards(client, _order())
    assert card["summary"] == "Opioids: 60 MME/day"
    patch = _order(
        medicationCodeableConcept={"text": "72 HR fentanyl 0.075 MG/HR Transdermal System"},
        dosageInstruction=[
            {
                "timing": {"repeat": {"frequency": 1, "period": 72, "periodUnit": "h"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "patch"}}],
            }
        ],
    )
    (card,) = _cards(client, patch)
    assert card["summary"] == "Opioids: 180 MME/day"
    litres = _order(
        dosageInstruction=[
            {
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mL"}}],
            }
        ]
    )
    assert _cards(client, litres) == []
    for odd in (
        {"dosageInstruction": 3},
        {"status": ["active"]},
        {"medicationCodeableConcept": {"coding": None, "text": 7}},
        {"dosageInstruction": [{"timing": "daily", "doseAndRate": "one"}]},
    ):
        assert _cards(client, _order(**odd)) == []

"""The JSON API (interfaces.md §7): the library's answers over HTTP, errors as problem
details with the library's paths and fixes, limits, and no state."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

REGIMEN: dict[str, Any] = {
    "timezone": "America/New_York",
    "medication": [
        {
            "drug": "oxycodone",
            "form": "er_tablet",
            "strength": "20 mg",
            "dose": "20 mg",
            "times": ["08:00", "20:00"],
        }
    ],
}
SCHEMA = json.loads(
    resources.files("taperplan").joinpath("data", "plan.schema.json").read_text(encoding="utf-8")
)


def test_plan_answers_the_plan_json(client: Any) -> None:
    """POST /api/v1/plan answers the taperplan.plan/1 JSON of the CLI, schema-valid."""
    answer = client.post("/api/v1/plan", json={"regimen": REGIMEN, "start": "2027-01-04"})
    assert answer.status_code == 200
    plan = answer.json()
    jsonschema.validate(plan, SCHEMA)
    assert plan["start"] == "2027-01-04"
    assert plan["kind"] == "taper"
    toml = 'timezone = "America/New_York"\n[[medication]]\ndrug = "oxycodone"\nform = "er_tablet"\nstrength = "20 mg"\ndose = "20 mg"\ntimes = ["08:00", "20:00"]\n'
    again = client.post("/api/v1/plan", json={"regimen": toml, "start": "2027-01-04"})
    assert again.json() == plan


def test_errors_are_problem_details_with_every_problem(client: Any) -> None:
    """Two wrong fields answer 422 application/problem+json listing both, with the
    library's paths and fixes."""
    bad = {"medication": [{**REGIMEN["medication"][0], "dose": "20 kg", "times": ["8"]}]}
    answer = client.post("/api/v1/plan", json={"regimen": bad})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    paths = [e["path"] for e in problem["errors"]]
    assert "medication[0].times[0]" in paths
    assert "medication[0].dose" in paths
    assert all(e["fix"] for e in problem["errors"])
    assert problem["status"] == 422


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b"not json", ""),
        (b"[1, 2]", ""),
        (b'{"regimen": NaN}', ""),
        (json.dumps({"regimen": REGIMEN, "start": "tomorrow"}).encode(), ""),
        (json.dumps({"regimen": REGIMEN, "pace": "fastest"}).encode(), "pace"),
    ],
)
def test_bad_bodies_are_refused_cleanly(client: Any, body: bytes, path: str) -> None:
    answer = client.post("/api/v1/plan", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == path


def test_a_body_above_the_limit_is_refused(client: Any) -> None:
    answer = client.post("/api/v1/plan", content=b"{" + b" " * (1024 * 1024 + 10) + b"}")
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


def test_pause_replan_and_exports(client: Any) -> None:
    """A plan goes back in for a pause and a re-plan, and comes out as every export."""
    plan = client.post("/api/v1/plan", json={"regimen": REGIMEN, "start": "2027-01-04"}).json()
    paused = client.post("/api/v1/pause", json={"plan": plan, "on": "2027-02-01", "days": 14})
    assert paused.status_code == 200
    assert paused.json()["revision"] == 1
    replanned = client.post(
        "/api/v1/replan", json={"plan": plan, "on": "2027-02-01", "pace": "va-slowest"}
    )
    assert replanned.status_code == 200
    media = {
        "ics": "text/calendar",
        "fhir": "application/fhir+json",
        "csv": "text/csv",
        "json": "application/json",
        "handout": "text/html",
        "summary": "text/html",
        "prescriptions": "text/csv",
    }
    for name, kind in media.items():
        answer = client.post(f"/api/v1/export/{name}", json={"plan": plan})
        assert answer.status_code == 200, name
        assert answer.headers["content-type"].startswith(kind)
        assert answer.headers["content-disposition"].startswith("attachment;")
    assert client.post("/api/v1/export/pdf", json={"plan": plan}).status_code == 404


def test_the_handout_as_pdf(client: Any) -> None:
    """The handout printed by Chromium, or, without Chromium, a 422 that says so."""
    import shutil  # noqa: PLC0415

    plan = client.post("/api/v1/plan", json={"regimen": REGIMEN, "start": "2027-01-04"}).json()
    answer = client.post("/api/v1/export/handout-pdf", json={"plan": plan})
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        assert answer.status_code == 200
        assert answer.content.startswith(b"%PDF")
    else:
        assert answer.status_code == 422
        assert "Chromium" in answer.json()["detail"]


def test_mme_paces_catalogue(client: Any) -> None:
    mme = client.post("/api/v1/mme", json={"regimen": REGIMEN}).json()
    assert mme["total_mme_per_day"] == 60
    paces = client.get("/api/v1/paces").json()["paces"]
    assert "va-slowest" in {p["name"] for p in paces}
    products = client.get("/api/v1/catalogue").json()["products"]
    assert any(p["name"] == "oxycodone er_tablet" for p in products)


def test_the_openapi_document_validates(client: Any) -> None:
    from openapi_spec_validator import validate  # noqa: PLC0415

    document = client.get("/api/v1/openapi.json").json()
    validate(document)
    assert "/api/v1/plan" in document["paths"]


def test_every_answer_carries_the_security_headers(client: Any) -> None:
    """A strict CSP (no script at all), no framing, no caching, on pages and API alike."""
    for answer in (
        client.get("/"),
        client.get("/api/v1/paces"),
        client.post("/api/v1/plan", json={}),
        client.get("/cds-services"),
    ):
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src" not in policy
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_page_escapes_what_it_is_given(client: Any) -> None:
    """A regimen pasted with markup comes back escaped, and its error names the field."""
    answer = client.post(
        "/plan", data={"mode": "toml", "regimen_toml": "<script>alert(1)</script>"}
    )
    assert answer.status_code == 422
    assert "<script>alert(1)</script>" not in answer.text
    assert "&lt;script&gt;" in answer.text


def test_rotation_and_initiation_over_the_api(client: Any) -> None:
    """`rotate` and `initiate` answer plans of their kinds, which export like any plan."""
    rotation = client.post(
        "/api/v1/rotate", json={"regimen": REGIMEN, "to": "morphine", "start": "2027-01-04"}
    )
    assert rotation.status_code == 200
    assert rotation.json()["kind"] == "rotation"
    jsonschema.validate(rotation.json(), SCHEMA)
    initiation = client.post("/api/v1/initiate", json={"regimen": REGIMEN, "start": "2027-01-04"})
    assert initiation.json()["kind"] == "initiation"
    ics = client.post("/api/v1/export/ics", json={"plan": initiation.json()})
    assert ics.status_code == 200
    refused = client.post("/api/v1/rotate", json={"regimen": REGIMEN, "to": "fentanyl", "cut": 30})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["path"] == "cut"


def test_the_page_plans_rotations_and_initiations(client: Any) -> None:
    """The form's "what to plan": a rotation shows its conversion, an initiation its
    protocol; a pause of an initiation repeats the day."""
    toml = (
        'timezone = "America/New_York"\n[[medication]]\ndrug = "morphine"\nform = "er_tablet"\n'
        'strength = "60 mg"\ndose = "60 mg"\ntimes = ["08:00", "20:00"]\n'
    )
    form = {"mode": "toml", "regimen_toml": toml, "start": "2027-01-04"}
    rotation = client.post("/plan", data={**form, "plan_kind": "rotation", "to": "oxycodone"})
    assert rotation.status_code == 200
    assert "Conversion: 120 mg/day of oral morphine" in rotation.text
    initiation = client.post(
        "/plan", data={**form, "plan_kind": "initiation", "protocol": "vancouver-7d"}
    )
    assert "Buprenorphine initiation plan" in initiation.text
    missing = client.post(
        "/plan", data={**form, "plan_kind": "initiation", "protocol": "jabfm-outpatient"}
    )
    assert missing.status_code == 422
    assert 'id="error-maintenance"' in missing.text


def test_review_findings_stay_fixed(client: Any) -> None:
    """An odd plan id makes a safe file name; a bad pace names its field; fill_days is
    named; an initiation's pause repeats the day; a negative age is refused."""
    plan = client.post("/api/v1/plan", json={"regimen": REGIMEN, "start": "2027-01-04"}).json()
    odd = {**plan, "id": 'tp-\u00e9"; x=1'}
    answer = client.post("/api/v1/export/csv", json={"plan": odd})
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="tp-x1.csv"'
    bad_pace = client.post("/api/v1/plan", json={"regimen": REGIMEN, "pace": "fastest"})
    assert bad_pace.json()["errors"][0]["path"] == "pace"
    fills = client.post("/api/v1/prescriptions", json={"plan": plan, "fill_days": 0})
    assert fills.json()["errors"][0]["path"] == "fill_days"
    started = client.post(
        "/api/v1/initiate", json={"regimen": REGIMEN, "start": "2027-01-04"}
    ).json()
    held = client.post("/api/v1/pause", json={"plan": started, "on": "2027-01-05", "days": 1})
    assert held.status_code == 200
    assert held.json()["revision"] == 1
    young = client.post("/api/v1/rotate", json={"regimen": REGIMEN, "to": "morphine", "age": -5})
    assert young.json()["errors"][0]["path"] == "age"
    page = client.post(
        "/visit",
        data={
            "plan_json": json.dumps(plan),
            "on": "2027-02-01",
            "days": "\u00b2",
            "action": "pause",
        },
    )
    assert page.status_code == 422

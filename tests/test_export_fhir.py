"""The FHIR R4 export (``taperplan.export._fhir``).

Bundles are validated three ways: fhirclient's R4 models (strict, and
``as_json()`` must give the input back), fhir.resources' R4B models (and
``model_dump`` must give the input back, so no value was coerced), and
:func:`check_fhir_invariants` below, which checks what those libraries skip:
codes in their required value sets, well-formed narrative, periods with
``end`` ≥ ``start``, step sequences 1..n and contiguous periods (no gaps, no
overlaps). :func:`check_matches_plan` compares every Dosage with the plan's
JSON export (another adapter), so a dropped or shifted dose shows up.

Golden files live in ``tests/golden/*.fhir.json``; regenerate them with
``TAPERPLAN_UPDATE_GOLDEN=1`` (never in CI) and review the diff.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle as R4BBundle
from fhirclient.models.bundle import Bundle as R4Bundle
from fhirclient.models.fhirabstractbase import FHIRValidationError
from hypothesis import assume, given
from pydantic import ValidationError

from strategies import PlanningCase, planning_cases
from support import golden_bytes
from taperplan import PlanningError, TaperPlan, TaperplanError, parse_regimen, plan_taper
from taperplan import regimen_from_mapping as load_mapping
from taperplan.export._fhir import FHIRExportError, fhir_to_json, json_number, plan_to_fhir
from taperplan.export._json import plan_to_dict

GOLDEN = Path(__file__).parent / "golden"
START = dt.date(2027, 1, 4)  # a Monday

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
XHTML_DIV = "{http://www.w3.org/1999/xhtml}div"

#: Required value sets of FHIR R4 for the codes the export writes.
BUNDLE_TYPES = frozenset(
    {"document", "message", "transaction", "transaction-response", "batch", "batch-response",
     "history", "searchset", "collection"}
)  # fmt: skip
REQUEST_STATUSES = frozenset(
    {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft",
     "unknown"}
)  # fmt: skip
REQUEST_INTENTS = frozenset(
    {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
     "instance-order", "option"}
)  # fmt: skip
NARRATIVE_STATUSES = frozenset({"generated", "extensions", "additional", "empty"})
#: Timing.repeat.periodUnit (UCUM units of time).
PERIOD_UNITS = frozenset({"s", "min", "h", "d", "wk", "mo", "a"})
#: UCUM codes of taperplan's units, and the unit each is shown as.
UCUM_OF = {"mg": "mg", "mcg": "ug", "mL": "mL", "mg/mL": "mg/mL", "mcg/h": "ug/h"}

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
FHIR_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- validation helpers -------------------------------------------------------------


def validate_r4(data: dict[str, Any]) -> None:
    """fhirclient's R4 models accept ``data`` strictly and give it back unchanged."""
    bundle = R4Bundle(data, strict=True)
    assert bundle.as_json() == data


def validate_r4b(data: dict[str, Any]) -> None:
    """fhir.resources' R4B models accept ``data`` and give it back unchanged (no coercion)."""
    bundle = R4BBundle.model_validate(data)
    assert bundle.model_dump(mode="json") == data


class FhirInvariantError(AssertionError):
    """The bundle breaks a FHIR rule the validating libraries do not check."""


def _period(dosage: Mapping[str, Any], where: str, problems: list[str]) -> tuple[dt.date, dt.date]:
    bounds = dosage["timing"]["repeat"]["boundsPeriod"]
    dates = []
    for key in ("start", "end"):
        value = bounds.get(key)
        if not isinstance(value, str) or not ISO_DATE.match(value):
            problems.append(f"{where}.boundsPeriod.{key}: {value!r} is not a date")
            return dt.date.min, dt.date.min
        dates.append(dt.date.fromisoformat(value))
    start, end = dates
    if end < start:
        problems.append(f"{where}.boundsPeriod: end {end} is before start {start} (per-1)")
    return start, end


def _check_dosage(dosage: Mapping[str, Any], where: str, problems: list[str]) -> None:
    sequence = dosage.get("sequence")
    if not isinstance(dosage.get("text"), str) or not dosage["text"].startswith(
        f"Step {sequence} ("
    ):
        problems.append(f"{where}.text: {dosage.get('text')!r} does not name step {sequence}")
    repeat = dosage["timing"]["repeat"]
    if repeat.get("periodUnit") not in PERIOD_UNITS:
        problems.append(f"{where}.periodUnit: {repeat.get('periodUnit')!r} is not a unit of time")
    for key in ("frequency", "period"):
        value = repeat.get(key)
        if type(value) is not int or value < 1:
            problems.append(f"{where}.{key}: {value!r} is not a positive integer")
    times = repeat.get("timeOfDay", [])
    if len(times) != 1 or not all(isinstance(t, str) and FHIR_TIME.match(t) for t in times):
        problems.append(f"{where}.timeOfDay: {times!r} is not one FHIR time")
    quantity = dosage["doseAndRate"][0]["doseQuantity"]
    value = quantity.get("value")
    if type(value) not in {int, float} or not value > 0:
        problems.append(f"{where}.doseQuantity.value: {value!r} is not a positive number")
    if quantity.get("system") != UCUM or UCUM_OF.get(quantity.get("unit")) != quantity.get("code"):
        problems.append(f"{where}.doseQuantity: {quantity!r} is not in UCUM")


def _check_narrative(resource: Mapping[str, Any], where: str, problems: list[str]) -> None:
    narrative = resource.get("text", {})
    if narrative.get("status") not in NARRATIVE_STATUSES:
        problems.append(f"{where}.text.status: {narrative.get('status')!r}")
    try:
        root = ET.fromstring(narrative.get("div", ""))  # noqa: S314 - our own output
    except ET.ParseError as error:
        problems.append(f"{where}.text.div: not well-formed XHTML ({error})")
        return
    if root.tag != XHTML_DIV or not "".join(root.itertext()).strip():
        problems.append(f"{where}.text.div: not a non-empty XHTML div (txt-1, txt-2)")


def _check_request(resource: Mapping[str, Any], where: str, problems: list[str]) -> None:
    if resource.get("status") not in REQUEST_STATUSES:
        problems.append(f"{where}.status: {resource.get('status')!r} is not a request status")
    if resource.get("intent") not in REQUEST_INTENTS:
        problems.append(f"{where}.intent: {resource.get('intent')!r} is not a request intent")
    subject = resource.get("subject", {})
    if not subject.get("reference") and not subject.get("display"):
        problems.append(f"{where}.subject: neither a reference nor a display")
    codings = resource["medicationCodeableConcept"]["coding"]
    if [c["system"] for c in codings] != [RXNORM] or not codings[0]["code"].isdigit():
        problems.append(f"{where}.medicationCodeableConcept: {codings!r} is not one RxNorm code")
    _check_narrative(resource, where, problems)

    dosages = resource.get("dosageInstruction", [])
    if resource.get("doNotPerform", False) is not (not dosages):
        problems.append(f"{where}.doNotPerform: must be true exactly when there is no dosage")
    periods: dict[int, tuple[dt.date, dt.date]] = {}
    times: dict[int, list[str]] = {}
    order: list[int] = []
    for number, dosage in enumerate(dosages):
        here = f"{where}.dosageInstruction[{number}]"
        sequence = dosage.get("sequence")
        if type(sequence) is not int or sequence < 1:
            problems.append(f"{here}.sequence: {sequence!r} is not a positive integer")
            continue
        _check_dosage(dosage, here, problems)
        period = _period(dosage, here, problems)
        if periods.setdefault(sequence, period) != period:
            problems.append(f"{here}: sequence {sequence} has two periods")
        times.setdefault(sequence, []).extend(dosage["timing"]["repeat"].get("timeOfDay", []))
        if order and sequence < order[-1]:
            problems.append(f"{here}: sequence {sequence} after {order[-1]}")
        order.append(sequence)
        span = (period[1] - period[0]).days + 1
        every = dosage["timing"]["repeat"].get("period")
        if isinstance(every, int) and every > 0 and span % every:
            problems.append(f"{here}: {span} days are not whole periods of {every} days")
    if sorted(periods) != list(range(1, len(periods) + 1)):
        problems.append(f"{where}: sequences {sorted(periods)} are not 1..{len(periods)}")
    for sequence, seen in times.items():
        if len(set(seen)) != len(seen):
            problems.append(f"{where}: sequence {sequence} repeats a time of day: {seen}")
    ordered = [periods[s] for s in sorted(periods)]
    for (_, end), (start, _) in itertools.pairwise(ordered):
        if start != end + dt.timedelta(days=1):
            kind = "gap" if start > end + dt.timedelta(days=1) else "overlap"
            problems.append(f"{where}: {kind} between a period ending {end} and one from {start}")


def check_fhir_invariants(bundle: Mapping[str, Any]) -> None:
    """Check the FHIR rules the validating libraries skip.

    Raises:
        FhirInvariantError: listing every broken rule.
    """
    problems: list[str] = []
    if bundle.get("type") not in BUNDLE_TYPES:
        problems.append(f"Bundle.type: {bundle.get('type')!r}")
    if not FHIR_ID.match(str(bundle.get("id", ""))):
        problems.append(f"Bundle.id: {bundle.get('id')!r}")
    urls = [entry.get("fullUrl") for entry in bundle.get("entry", [])]
    if len(set(urls)) != len(urls):
        problems.append(f"Bundle.entry.fullUrl: not unique (bdl-7): {urls}")
    for number, entry in enumerate(bundle.get("entry", [])):
        where = f"Bundle.entry[{number}]"
        resource = entry["resource"]
        url = str(entry.get("fullUrl"))
        if not url.startswith("urn:uuid:") or url != f"urn:uuid:{resource.get('id')}":
            problems.append(f"{where}.fullUrl: {url!r} is not urn:uuid:<resource id>")
        else:
            uuid.UUID(url.removeprefix("urn:uuid:"))
        _check_request(resource, f"{where}.resource", problems)
    if problems:
        raise FhirInvariantError("\n".join(problems))


def check_matches_plan(bundle: Mapping[str, Any], plan: TaperPlan) -> None:
    """Every administration of the plan's JSON export, and nothing else, is a Dosage:
    sequence = step index + 1, the step's dates, the time, the amount and interval."""
    data = plan_to_dict(plan)
    medications = data["baseline"]["medications"]
    assert len(bundle["entry"]) == len(medications)
    for number, (entry, medication) in enumerate(zip(bundle["entry"], medications, strict=True)):
        resource = entry["resource"]
        assert resource["medicationCodeableConcept"]["coding"][0]["display"] == medication["drug"]
        assert resource["medicationCodeableConcept"]["text"] == medication["product"]
        expected = [
            (
                step["index"] + 1,
                step["start"],
                step["end"],
                f"{given['time']}:00",
                given["amount"],
                given["unit"],
                given["every_days"],
            )
            for step in data["steps"]
            for given in step["medications"][number]["administrations"]
        ]
        actual = [
            (
                dosage["sequence"],
                dosage["timing"]["repeat"]["boundsPeriod"]["start"],
                dosage["timing"]["repeat"]["boundsPeriod"]["end"],
                dosage["timing"]["repeat"]["timeOfDay"][0],
                dosage["doseAndRate"][0]["doseQuantity"]["value"],
                dosage["doseAndRate"][0]["doseQuantity"]["unit"],
                dosage["timing"]["repeat"]["period"],
            )
            for dosage in resource.get("dosageInstruction", [])
        ]
        assert actual == expected
        if actual:
            assert actual[0][1] == data["steps"][0]["start"]


def check_all(bundle: dict[str, Any], plan: TaperPlan) -> None:
    """Both validators, the invariants and the plan agree with ``bundle``."""
    validate_r4(bundle)
    validate_r4b(bundle)
    check_fhir_invariants(bundle)
    check_matches_plan(bundle, plan)


# --- fixed plans ----------------------------------------------------------------------

MORPHINE_OXYCODONE_UNEVEN = """\
timezone = "America/Chicago"

[[medication]]
drug = "morphine"
form = "er_tablet"
strength = ["15 mg", "30 mg"]
doses = ["60 mg", "45 mg", "60 mg"]
times = ["07:00", "15:00", "23:00"]

[[medication]]
drug = "oxycodone"
form = "ir_tablet"
strength = "5 mg"
doses = ["7.5 mg", "5 mg"]
times = ["12:00", "18:00"]

[pace]
preset = "etg-short"
"""

FENTANYL_PATCH = """\
timezone = "Europe/London"

[[medication]]
drug = "fentanyl"
form = "patch"
strength = ["12 mcg/h", "25 mcg/h"]
dose = "50 mcg/h"
times = ["09:00"]
every_days = 3

[pace]
percent = 25
basis = "current"
every_days = 14
max_step_fraction = 0.5
"""

OXYCODONE_SOLUTION = """\
[[medication]]
drug = "oxycodone"
form = "oral_solution"
strength = "5 mg/mL"
doses = ["7.5 mg", "12.5 mg"]
times = ["08:00", "20:00"]

[pace]
preset = "va-faster"
"""

#: At or below the stop threshold: the plan is the stop step alone.
STOPPED_AT_ONCE = """\
[[medication]]
drug = "morphine"
form = "oral_solution"
strength = "2 mg/mL"
dose = "1 mg"
times = ["00:00"]
every_days = 2
"""


def sample_text() -> str:
    """The packaged sample regimen (interfaces.md §1)."""
    return files("taperplan").joinpath("data/sample-regimen.toml").read_text(encoding="utf-8")


def plan_of(text: str, start: dt.date = START) -> TaperPlan:
    """Plan a regimen file's text from ``start``."""
    return plan_taper(parse_regimen(text, source="test"), start=start)


#: (golden file stem, regimen text, patient reference)
GOLDEN_CASES = [
    pytest.param(stem, text, patient, id=stem)
    for stem, text, patient in (
        ("sample-regimen", sample_text, None),
        ("morphine-oxycodone-uneven", lambda: MORPHINE_OXYCODONE_UNEVEN, None),
        ("fentanyl-patch", lambda: FENTANYL_PATCH, "Patient/example"),
        ("oxycodone-oral-solution", lambda: OXYCODONE_SOLUTION, None),
    )
]


def dosages(bundle: Mapping[str, Any], entry: int = 0) -> list[dict[str, Any]]:
    """The dosages of the ``entry``-th MedicationRequest."""
    result: list[dict[str, Any]] = bundle["entry"][entry]["resource"].get("dosageInstruction", [])
    return result


# --- tests ----------------------------------------------------------------------------


class TestGolden:
    """Fixed plans against golden files, byte for byte."""

    @pytest.mark.parametrize(("stem", "text", "patient"), GOLDEN_CASES)
    def test_matches_golden_file(
        self, stem: str, text: Callable[[], str], patient: str | None
    ) -> None:
        """The export of a fixed plan is byte-identical to its golden file."""
        plan = plan_of(text())
        produced = fhir_to_json(plan_to_fhir(plan, patient_reference=patient))
        path = GOLDEN / f"{stem}.fhir.json"
        assert golden_bytes(path, produced.encode("utf-8")) == produced.encode("utf-8")

    @pytest.mark.parametrize(("stem", "text", "patient"), GOLDEN_CASES)
    def test_golden_file_is_valid(
        self, stem: str, text: Callable[[], str], patient: str | None
    ) -> None:
        """Each golden file validates with both libraries and keeps every invariant."""
        data = json.loads((GOLDEN / f"{stem}.fhir.json").read_text(encoding="utf-8"))
        check_all(data, plan_of(text()))


class TestPlanToFhir:
    """plan_to_fhir: the Bundle's shape and content."""

    def test_sample_first_dosage(self) -> None:
        """The sample plan's first Dosage is step 1's 08:00 dose, fully structured."""
        bundle = plan_to_fhir(plan_of(sample_text()))
        first = dosages(bundle)[0]
        assert first["sequence"] == 1
        assert first["timing"] == {
            "repeat": {
                "boundsPeriod": {"start": "2027-01-04", "end": "2027-01-31"},
                "frequency": 1,
                "period": 1,
                "periodUnit": "d",
                "timeOfDay": ["08:00:00"],
            }
        }
        assert first["asNeededBoolean"] is False
        assert first["route"] == {"text": "oral"}
        assert first["doseAndRate"] == [
            {"doseQuantity": {"value": 15, "unit": "mg", "system": UCUM, "code": "mg"}}
        ]
        assert (
            first["text"] == "Step 1 (2027-01-04 to 2027-01-31): 15 mg at 08:00 (1 × 15 mg tablet)"
        )

    def test_request_header(self) -> None:
        """A MedicationRequest is an active plan coded with oxycodone's RxCUI and the disclaimer."""
        resource = plan_to_fhir(plan_of(sample_text()))["entry"][0]["resource"]
        assert resource["resourceType"] == "MedicationRequest"
        assert (resource["status"], resource["intent"]) == ("active", "plan")
        assert resource["medicationCodeableConcept"] == {
            "coding": [{"system": RXNORM, "code": "7804", "display": "oxycodone"}],
            "text": "oxycodone er_tablet",
        }
        assert resource["subject"] == {"display": "Patient"}
        assert resource["note"][0]["text"].startswith("Decision support for clinicians")

    def test_bundle_is_a_collection_of_one_request_per_medication(self) -> None:
        """Two medications give a collection Bundle of two MedicationRequests."""
        bundle = plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN))
        assert bundle["resourceType"] == "Bundle"
        assert bundle["type"] == "collection"
        assert [e["resource"]["medicationCodeableConcept"]["text"] for e in bundle["entry"]] == [
            "morphine er_tablet",
            "oxycodone ir_tablet",
        ]
        assert "timestamp" not in bundle

    def test_medication_stopped_early_ends_the_day_before(self) -> None:
        """Morphine, stopped at step 9 (2027-03-02), has sequences 1-8 ending 2027-03-01."""
        bundle = plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN))
        morphine = dosages(bundle, 0)
        assert sorted({d["sequence"] for d in morphine}) == list(range(1, 9))
        assert morphine[-1]["timing"]["repeat"]["boundsPeriod"] == {
            "start": "2027-02-22",
            "end": "2027-03-01",
        }
        oxycodone = dosages(bundle, 1)
        assert oxycodone[0]["timing"]["repeat"]["boundsPeriod"]["start"] == "2027-01-04"
        assert oxycodone[-1]["sequence"] == 16
        assert oxycodone[-1]["timing"]["repeat"]["boundsPeriod"]["end"] == "2027-04-29"

    def test_every_other_day_dose(self) -> None:
        """A dose every 2 days has period 2 and says so in its text."""
        bundle = plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN))
        last = dosages(bundle, 0)[-1]
        assert last["timing"]["repeat"]["period"] == 2
        assert last["text"] == (
            "Step 8 (2027-02-22 to 2027-03-01): 15 mg at 23:00 every 2 days from 2027-02-22 "
            "(1 × 15 mg tablet)"
        )

    def test_exact_fractional_amounts(self) -> None:
        """7.5 mg and 3.75 mg stay exact floats; whole amounts are integers."""
        bundle = plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN))
        values = [d["doseAndRate"][0]["doseQuantity"]["value"] for d in dosages(bundle, 1)]
        assert values[0] == 7.5
        assert isinstance(values[0], float)
        assert 3.75 in values
        assert values[1] == 5
        assert type(values[1]) is int

    def test_patch_in_micrograms_per_hour(self) -> None:
        """A fentanyl patch is coded 4337 with ug/h doses every 3 days, applied transdermally."""
        bundle = plan_to_fhir(plan_of(FENTANYL_PATCH))
        resource = bundle["entry"][0]["resource"]
        assert resource["medicationCodeableConcept"]["coding"][0]["code"] == "4337"
        first = dosages(bundle)[0]
        assert first["doseAndRate"][0]["doseQuantity"] == {
            "value": 37.5,
            "unit": "mcg/h",
            "system": UCUM,
            "code": "ug/h",
        }
        assert first["timing"]["repeat"]["period"] == 3
        assert first["timing"]["repeat"]["timeOfDay"] == ["09:00:00"]
        assert first["route"] == {"text": "transdermal"}

    def test_oral_solution_in_milligrams_with_volume_in_text(self) -> None:
        """An oral solution's dose is in mg; the text gives the volume to measure."""
        first = dosages(plan_to_fhir(plan_of(OXYCODONE_SOLUTION)))[0]
        assert first["doseAndRate"][0]["doseQuantity"]["value"] == 7.5
        assert first["doseAndRate"][0]["doseQuantity"]["code"] == "mg"
        assert first["text"].endswith("7.5 mg at 08:00 (1.5 mL of 5 mg/mL)")

    def test_stopped_at_the_first_step(self) -> None:
        """A dose stopped at once (a one-step plan) is a request not to take it, without dosage."""
        plan = plan_of(STOPPED_AT_ONCE)
        assert len(plan.steps) == 1
        bundle = plan_to_fhir(plan)
        resource = bundle["entry"][0]["resource"]
        assert resource["doNotPerform"] is True
        assert "dosageInstruction" not in resource
        assert "stopped from 2027-01-04 (step 1, the first step)" in resource["note"][1]["text"]
        check_all(bundle, plan)

    def test_patient_reference(self) -> None:
        """A patient reference becomes every request's subject."""
        bundle = plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN), patient_reference="Patient/42")
        assert [e["resource"]["subject"] for e in bundle["entry"]] == [
            {"reference": "Patient/42"},
            {"reference": "Patient/42"},
        ]

    @pytest.mark.parametrize("reference", ["", " ", "Patient/4 2", "Patient/42\n"])
    def test_bad_patient_reference(self, reference: str) -> None:
        """An empty reference or one with whitespace is refused, naming the argument."""
        plan = plan_of(FENTANYL_PATCH)
        with pytest.raises(FHIRExportError, match="patient_reference") as raised:
            plan_to_fhir(plan, patient_reference=reference)
        assert isinstance(raised.value, TaperplanError)
        assert isinstance(raised.value, ValueError)

    def test_stop_step_has_no_dosage(self) -> None:
        """The stop step gives no Dosage: the last sequence is the step before it."""
        plan = plan_of(FENTANYL_PATCH)
        bundle = plan_to_fhir(plan)
        assert dosages(bundle)[-1]["sequence"] == len(plan.steps) - 1
        assert (
            dosages(bundle)[-1]["timing"]["repeat"]["boundsPeriod"]["end"]
            == (plan.stop_date - dt.timedelta(days=1)).isoformat()
        )

    def test_ids_follow_the_plan_id(self) -> None:
        """Ids are UUIDs of the plan id: a pause keeps them, another start changes them."""
        plan = plan_of(MORPHINE_OXYCODONE_UNEVEN)
        bundle = plan_to_fhir(plan)
        paused = plan_to_fhir(plan.pause(on=dt.date(2027, 1, 20), days=7))
        other = plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN, START + dt.timedelta(days=7)))

        def ids(b: Mapping[str, Any]) -> list[str]:
            return [b["id"], *(e["fullUrl"] for e in b["entry"])]

        assert ids(paused) == ids(bundle)
        assert not set(ids(other)) & set(ids(bundle))
        assert len(set(ids(bundle))) == 3
        assert all(uuid.UUID(i.removeprefix("urn:uuid:")).version == 5 for i in ids(bundle))
        assert {e["resource"]["groupIdentifier"]["value"] for e in bundle["entry"]} == {
            f"urn:uuid:{bundle['id']}"
        }

    def test_paused_plan_is_valid(self) -> None:
        """A paused plan (one more step) still validates and stays contiguous."""
        plan = plan_of(MORPHINE_OXYCODONE_UNEVEN).pause(on=dt.date(2027, 1, 20), days=7)
        check_all(plan_to_fhir(plan), plan)

    def test_two_runs_give_identical_bytes(self) -> None:
        """Two exports of plans of the same input give identical bytes."""
        first = fhir_to_json(plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN)))
        second = fhir_to_json(plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN)))
        assert first.encode() == second.encode()


class TestJsonNumber:
    """json_number: exact Decimals to JSON numbers."""

    @pytest.mark.parametrize(
        ("value", "expected", "kind"),
        [
            ("20", 20, int),
            ("20.00", 20, int),
            ("0", 0, int),
            ("7.5", 7.5, float),
            ("2.50", 2.5, float),
            ("3.75", 3.75, float),
            ("0.1", 0.1, float),
            ("12.345678901234", 12.345678901234, float),
        ],
    )
    def test_exact(self, value: str, expected: float, kind: type) -> None:
        """Whole amounts become ints, others the float that reads back as the same decimal."""
        result = json_number(Decimal(value))
        assert result == expected
        assert type(result) is kind

    def test_too_many_digits(self) -> None:
        """An amount no float holds exactly is refused rather than rounded."""
        with pytest.raises(FHIRExportError, match="exactly"):
            json_number(Decimal("0.12345678901234567891"))


class TestFhirToJson:
    """fhir_to_json: deterministic text."""

    def test_layout(self) -> None:
        """Two-space indent, insertion order (not sorted), UTF-8 text, a final newline."""
        text = fhir_to_json({"resourceType": "Bundle", "b": 1, "a": ["½ × 5 mg"]})
        assert (
            text == '{\n  "resourceType": "Bundle",\n  "b": 1,\n  "a": [\n    "½ × 5 mg"\n  ]\n}\n'
        )

    def test_read_only_mappings(self) -> None:
        """Any Mapping is written like a dict."""
        inner = MappingProxyType({"z": 1, "y": 2})
        text = fhir_to_json(MappingProxyType({"resourceType": "Bundle", "m": inner}))
        assert json.loads(text) == {"resourceType": "Bundle", "m": {"z": 1, "y": 2}}
        assert text.index('"z"') < text.index('"y"')

    def test_refuses_non_json(self) -> None:
        """A Decimal or a NaN is refused rather than written inexactly."""
        with pytest.raises(TypeError):
            fhir_to_json({"value": Decimal("7.5")})
        with pytest.raises(ValueError, match="JSON"):
            fhir_to_json({"value": float("nan")})


def _mr(bundle: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = bundle["entry"][0]["resource"]
    return resource


def _bounds(bundle: dict[str, Any], index: int) -> dict[str, Any]:
    bounds: dict[str, Any] = _mr(bundle)["dosageInstruction"][index]["timing"]["repeat"][
        "boundsPeriod"
    ]
    return bounds


def _shift(bundle: dict[str, Any], sequence: int, days: int) -> None:
    """Move the start of every dosage of ``sequence`` by ``days``."""
    for dosage in _mr(bundle)["dosageInstruction"]:
        if dosage["sequence"] == sequence:
            bounds = dosage["timing"]["repeat"]["boundsPeriod"]
            start = dt.date.fromisoformat(bounds["start"]) + dt.timedelta(days=days)
            bounds["start"] = start.isoformat()


def _renumber(bundle: dict[str, Any], first: int, delta: int) -> None:
    """Add ``delta`` to every sequence from ``first`` on (keeping the texts in step)."""
    for dosage in _mr(bundle)["dosageInstruction"]:
        if dosage["sequence"] >= first:
            dosage["sequence"] += delta
            dosage["text"] = re.sub(r"^Step \d+", f"Step {dosage['sequence']}", dosage["text"])


#: Ways to break a valid bundle that our invariant checks must catch, and what they say.
BROKEN: Mapping[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "end before start": (lambda b: _bounds(b, 0).update(end="2026-12-31"), "(per-1)"),
    "gap": (lambda b: _shift(b, 2, 1), "gap between"),
    "overlap": (lambda b: _shift(b, 2, -1), "overlap between"),
    "sequence skipped": (lambda b: _renumber(b, 2, 1), "are not 1..7"),
    "sequence from 0": (lambda b: _renumber(b, 1, -1), "0 is not a positive integer"),
    "two periods in a step": (
        lambda b: _bounds(b, 1).update(end="2027-01-05"),
        "sequence 1 has two periods",
    ),
    "bad intent": (lambda b: _mr(b).update(intent="wish"), "not a request intent"),
    "bad status": (lambda b: _mr(b).update(status="approved"), "not a request status"),
    "bad bundle type": (lambda b: b.update(type="pile"), "Bundle.type"),
    "bad period unit": (
        lambda b: _mr(b)["dosageInstruction"][0]["timing"]["repeat"].update(periodUnit="day"),
        "not a unit of time",
    ),
    "mcg as UCUM": (
        lambda b: _mr(b)["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"].update(
            unit="mcg", code="mcg"
        ),
        "not in UCUM",
    ),
    "narrative not XHTML": (lambda b: _mr(b)["text"].update(div="<div>x"), "not well-formed"),
    "duplicate fullUrl": (
        lambda b: b["entry"].append(copy.deepcopy(b["entry"][0])),
        "not unique (bdl-7)",
    ),
    "dosage without doNotPerform": (
        lambda b: _mr(b).pop("dosageInstruction"),
        "doNotPerform: must be true exactly when there is no dosage",
    ),
    "partial days": (
        lambda b: _mr(b)["dosageInstruction"][0]["timing"]["repeat"].update(period=3),
        "not whole periods of 3 days",
    ),
}


class TestValidation:
    """The checks can fail: broken bundles are rejected."""

    @pytest.fixture
    def valid(self) -> dict[str, Any]:
        """A valid bundle of the sample plan (two doses a day)."""
        return plan_to_fhir(plan_of(sample_text()))

    def test_missing_status_rejected_by_both_libraries(self, valid: dict[str, Any]) -> None:
        """A MedicationRequest without status fails fhirclient and fhir.resources."""
        del _mr(valid)["status"]
        with pytest.raises(FHIRValidationError):
            validate_r4(valid)
        with pytest.raises(ValidationError):
            validate_r4b(valid)

    def test_bad_date_rejected_by_both_libraries(self, valid: dict[str, Any]) -> None:
        """A period start that is not a date fails fhirclient and fhir.resources."""
        _bounds(valid, 0)["start"] = "2027-13-04"
        with pytest.raises(FHIRValidationError):
            validate_r4(valid)
        with pytest.raises(ValidationError):
            validate_r4b(valid)

    def test_bad_period_type_rejected(self, valid: dict[str, Any]) -> None:
        """A number as a period start fails fhirclient; fhir.resources coerces it, so the
        round trip differs."""
        _bounds(valid, 0)["start"] = 20270104
        with pytest.raises(FHIRValidationError):
            validate_r4(valid)
        with pytest.raises((ValidationError, AssertionError)):
            validate_r4b(valid)

    def test_unknown_element_rejected_by_both_libraries(self, valid: dict[str, Any]) -> None:
        """An element FHIR does not define fails both libraries."""
        _mr(valid)["colour"] = "red"
        with pytest.raises(FHIRValidationError):
            validate_r4(valid)
        with pytest.raises(ValidationError):
            validate_r4b(valid)

    @pytest.mark.parametrize("name", sorted(BROKEN))
    def test_invariants_reject(self, valid: dict[str, Any], name: str) -> None:
        """Each broken invariant is reported, with the rule it breaks."""
        check_fhir_invariants(valid)
        breaking, message = BROKEN[name]
        breaking(valid)
        with pytest.raises(FhirInvariantError, match=re.escape(message)):
            check_fhir_invariants(valid)


def plan_or_none(case: PlanningCase) -> TaperPlan | None:
    """Plan a case; None when no step fits the pace."""
    try:
        return plan_taper(
            case.regimen, start=case.start, pace=case.pace, supervised=case.supervised
        )
    except PlanningError:
        return None


class TestProperties:
    """Properties over random regimens, paces and start dates."""

    @given(planning_cases())
    def test_every_plan_exports_valid_contiguous_fhir(self, case: PlanningCase) -> None:
        """Every plan's Bundle validates with both libraries, keeps the invariants
        (contiguous bounds, sequences 1..n) and lists exactly the plan's doses."""
        plan = plan_or_none(case)
        assume(plan is not None)
        assert plan is not None
        bundle = json.loads(fhir_to_json(plan_to_fhir(plan)))
        check_all(bundle, plan)

    @given(planning_cases())
    def test_identical_input_gives_identical_bytes(self, case: PlanningCase) -> None:
        """Exporting plans of the same input (from a fresh load) gives identical bytes."""
        plan = plan_or_none(case)
        assume(plan is not None)
        assert plan is not None
        again = plan_taper(
            load_mapping(case.mapping), start=case.start, pace=case.pace, supervised=case.supervised
        )
        assert fhir_to_json(plan_to_fhir(again)) == fhir_to_json(plan_to_fhir(plan))

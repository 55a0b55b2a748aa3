"""The FHIR R4 export (``taperplan.formats.fhir``).

Bundles are validated three ways: fhirclient's R4 models (strict, and
``as_json()`` must give the input back), fhir.resources' R4B models (and
``model_dump`` must give the input back, so no value was coerced), and
:func:`check_fhir_invariants` below, which checks what those libraries skip:
codes in their required value sets, well-formed narrative, periods with
``end`` ≥ ``start``, sequences that are step numbers in increasing order, one
period per step (its last day; from the first day the dose is taken, less than
one ``period`` after the step's first day), and periods of consecutive steps
that follow each other without overlap, with a gap only where steps without the
medication lie between (a substitute the plan adds starts late and may stop and
start again) or by a dose's offset. :func:`check_matches_plan` compares every
Dosage with the plan's JSON export (another adapter), so a dropped or shifted
dose shows up.

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
from types import MappingProxyType
from typing import Any, NamedTuple

import pytest
from fhir.resources.R4B.bundle import Bundle as R4BBundle
from fhirclient.models.bundle import Bundle as R4Bundle
from fhirclient.models.fhirabstractbase import FHIRValidationError
from hypothesis import assume, given
from pydantic import ValidationError

from strategies import PlanningCase, plan_or_none, planning_cases
from support import GOLDEN, TAPENTADOL_TID, golden_bytes
from taperplan import TaperPlan, TaperplanError, parse_regimen, pause, plan_taper
from taperplan import regimen_from_mapping as load_mapping
from taperplan.errors import FHIRExportError
from taperplan.formats.fhir import fhir_to_json, json_number, plan_to_fhir
from taperplan.formats.json import plan_to_dict

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


#: ``Step 3 (2027-03-01 to 2027-03-28): ...``: the step number and its dates.
STEP_TEXT = re.compile(r"^Step (\d+) \((\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})\): ")


class _Dosage(NamedTuple):
    """What the step checks need of one Dosage."""

    where: str
    sequence: int
    step: tuple[dt.date, dt.date] | None  # the first and last day its text names
    start: dt.date  # boundsPeriod
    end: dt.date
    every: int  # timing.repeat.period, in days
    time: str


def _step_dates(dosage: Mapping[str, Any], sequence: int) -> tuple[dt.date, dt.date] | None:
    """The first and last day of step ``sequence`` as the dosage's text gives them."""
    found = STEP_TEXT.match(str(dosage.get("text", "")))
    if found is None or int(found[1]) != sequence:
        return None
    try:
        return dt.date.fromisoformat(found[2]), dt.date.fromisoformat(found[3])
    except ValueError:
        return None


def _check_days(item: _Dosage, problems: list[str]) -> None:
    """A dosage's period within its step: it ends on the step's last day and starts on
    the first day the dose is taken, its offset into the step (less than one period);
    the step is whole periods long, so after an offset the last days may have no dose."""
    if item.step is None:
        problems.append(f"{item.where}.text: does not give the dates of step {item.sequence}")
        return
    first, last = item.step
    if item.end != last:
        problems.append(f"{item.where}: ends {item.end}, not on its step's last day {last}")
    offset = (item.start - first).days
    if not 0 <= offset < item.every:
        problems.append(
            f"{item.where}: starts {item.start}, {offset} d after its step's start {first}: "
            f"not within its first period ({item.every} d)"
        )
    days = (last - first).days + 1
    if days % item.every:
        problems.append(
            f"{item.where}: its step's {days} days are not whole periods of {item.every} days"
        )


def _check_steps(where: str, steps: list[list[_Dosage]], problems: list[str]) -> None:
    """Each step's dosages share one period (the step's dates and last day); the periods
    of consecutive steps follow each other without overlap, a dosage starting late only
    by its offset (less than its period), and with a gap only where the steps without
    this medication lie between (at least a day each)."""
    for group in steps:
        if len({(item.step, item.end) for item in group}) > 1:
            problems.append(f"{where}: sequence {group[0].sequence} has two periods")
        times = [item.time for item in group]
        if len(set(times)) != len(times):
            problems.append(f"{where}: sequence {group[0].sequence} repeats a time of day: {times}")
        for item in group:
            _check_days(item, problems)
    for before, after in itertools.pairwise(steps):
        previous, following = before[0], after[0]
        missing = following.sequence - previous.sequence - 1  # steps without this medication
        end = max(item.end for item in before)
        for item in after:
            between = (item.start - end).days - 1
            if between < 0:
                problems.append(
                    f"{where}: overlap between a period ending {end} and one from {item.start}"
                )
            elif missing == 0 and between >= item.every:
                problems.append(
                    f"{where}: gap between a period ending {end} and one from {item.start} "
                    f"(an offset is less than the period of {item.every} days)"
                )
            elif between < missing:
                problems.append(
                    f"{where}: sequence {following.sequence} follows {previous.sequence} "
                    f"with no day for the steps between ({end} to {item.start})"
                )
        if previous.step is not None and following.step is not None:
            between = (following.step[0] - previous.step[1]).days - 1
            if between < missing or (missing == 0 and between != 0):
                problems.append(
                    f"{where}: step {following.sequence} from {following.step[0]} does not "
                    f"follow step {previous.sequence} to {previous.step[1]} "
                    f"with {missing} steps between"
                )


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
    steps: list[list[_Dosage]] = []
    for number, dosage in enumerate(dosages):
        here = f"{where}.dosageInstruction[{number}]"
        sequence = dosage.get("sequence")
        if type(sequence) is not int or sequence < 1:
            problems.append(f"{here}.sequence: {sequence!r} is not a positive integer")
            continue
        _check_dosage(dosage, here, problems)
        start, end = _period(dosage, here, problems)
        every = dosage["timing"]["repeat"].get("period")
        item = _Dosage(
            where=here,
            sequence=sequence,
            step=_step_dates(dosage, sequence),
            start=start,
            end=end,
            every=every if type(every) is int and every > 0 else 1,
            time=",".join(map(str, dosage["timing"]["repeat"].get("timeOfDay", []))),
        )
        if steps and sequence == steps[-1][0].sequence:
            steps[-1].append(item)
        elif steps and sequence < steps[-1][0].sequence:
            problems.append(f"{here}: sequence {sequence} after {steps[-1][0].sequence}")
        else:
            steps.append([item])
    _check_steps(where, steps, problems)


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
    one request per medication (the regimen's, then the substitutes the plan adds),
    sequence = step index + 1, the first day the dose is taken in its step (the step's
    start + the administration's offset), the step's last day, the time, the amount
    and interval."""
    data = plan_to_dict(plan)
    regimen = data["baseline"]["medications"]
    medications = [*regimen, *data["substitutes"]]
    assert [m["index"] for m in regimen] == list(range(len(regimen)))
    added = [m["index"] for m in data["substitutes"]]
    assert len(set(added)) == len(added)
    assert all(index >= len(regimen) for index in added)
    assert len(bundle["entry"]) == len(medications)
    for entry, medication in zip(bundle["entry"], medications, strict=True):
        resource = entry["resource"]
        assert resource["medicationCodeableConcept"]["coding"][0]["display"] == medication["drug"]
        assert resource["medicationCodeableConcept"]["text"] == medication["product"]
        expected = [
            (
                step["index"] + 1,
                (
                    dt.date.fromisoformat(step["start"]) + dt.timedelta(days=given["offset"])
                ).isoformat(),
                step["end"],
                f"{given['time']}:00",
                given["amount"],
                given["unit"],
                given["every_days"],
            )
            for step in data["steps"]
            for part in step["medications"]
            if part["index"] == medication["index"]
            for given in part["administrations"]
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
        if medication not in regimen:
            # A substitute is taken from the step where it starts.
            assert actual
            assert actual[0][0] == medication["first_step"] + 1


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
        ("tapentadol-offsets", lambda: TAPENTADOL_TID, None),
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
        """Two medications, and the two finer products the plan adds (morphine IR tablets,
        then oral solution), give a collection Bundle of four MedicationRequests, the
        regimen's first."""
        plan = plan_of(MORPHINE_OXYCODONE_UNEVEN)
        assert [(s.index, s.product.name) for s in plan.substitutes] == [
            (2, "morphine ir_tablet"),
            (3, "morphine oral_solution"),
        ]
        bundle = plan_to_fhir(plan)
        assert bundle["resourceType"] == "Bundle"
        assert bundle["type"] == "collection"
        assert [e["resource"]["medicationCodeableConcept"]["text"] for e in bundle["entry"]] == [
            "morphine er_tablet",
            "oxycodone ir_tablet",
            "morphine ir_tablet",
            "morphine oral_solution",
        ]
        assert "timestamp" not in bundle

    def test_medication_stopped_early_ends_the_day_before(self) -> None:
        """Oxycodone, stopped at step 9 (2027-03-01), has sequences 1-8 ending 2027-02-28;
        morphine ER runs from the first day to step 12 (ending 2027-03-29)."""
        bundle = plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN))
        oxycodone = dosages(bundle, 1)
        assert sorted({d["sequence"] for d in oxycodone}) == list(range(1, 9))
        assert oxycodone[-1]["timing"]["repeat"]["boundsPeriod"] == {
            "start": "2027-02-22",
            "end": "2027-02-28",
        }
        note = bundle["entry"][1]["resource"]["note"][1]["text"]
        assert "Planned until 2027-02-28; none from 2027-03-01 (step 9)." in note
        morphine = dosages(bundle, 0)
        assert morphine[0]["timing"]["repeat"]["boundsPeriod"]["start"] == "2027-01-04"
        assert morphine[-1]["sequence"] == 12
        assert morphine[-1]["timing"]["repeat"]["boundsPeriod"]["end"] == "2027-03-29"

    def test_substitute_from_its_first_step_with_a_break(self) -> None:
        """The sample's oxycodone IR, which the plan adds from step 5 (2027-04-26), has
        no Dosage in step 8, when the ER tablet alone is cut, and resumes in step 9."""
        plan = plan_of(sample_text())
        (tablet, _) = plan.substitutes
        assert (tablet.product.name, tablet.first_step) == ("oxycodone ir_tablet", 4)
        assert not next(m for m in plan.steps[7].medications if m.index == tablet.index).doses
        bundle = plan_to_fhir(plan)
        periods = [
            (d["sequence"], d["timing"]["repeat"]["boundsPeriod"]) for d in dosages(bundle, 1)
        ]
        assert [sequence for sequence, _ in periods] == [5, 6, 7, 9, 10]
        assert periods[0][1]["start"] == "2027-04-26"
        assert periods[2][1]["end"] == "2027-07-18"
        assert periods[3][1]["start"] == "2027-08-16"
        check_all(bundle, plan)

    def test_every_other_day_dose(self) -> None:
        """A dose every 2 days has period 2 and says so in its text."""
        bundle = plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN))
        last = dosages(bundle, 2)[-1]
        assert last["timing"]["repeat"]["period"] == 2
        assert last["timing"]["repeat"]["boundsPeriod"] == {
            "start": "2027-03-15",
            "end": "2027-03-22",
        }
        assert last["text"] == (
            "Step 11 (2027-03-15 to 2027-03-22): 7.5 mg at 07:00 every 2 days from 2027-03-15 "
            "(½ × 15 mg tablet)"
        )

    def test_offset_dose_starts_on_its_first_day(self) -> None:
        """A dose every 2 days from its step's second day (offset 1) starts its bounds
        then, a day after the step and the staggered dose at 14:00; both end with the step."""
        plan = plan_of(TAPENTADOL_TID)
        step = plan.steps[4]
        assert [(d.time, d.every_days, d.offset) for d in step.medications[0].doses] == [
            (dt.time(7), 2, 1),
            (dt.time(14), 2, 0),
            (dt.time(21), 1, 0),
        ]
        step_five = [d for d in dosages(plan_to_fhir(plan)) if d["sequence"] == 5]
        assert [d["timing"]["repeat"]["boundsPeriod"] for d in step_five] == [
            {"start": "2027-02-06", "end": "2027-02-12"},
            {"start": "2027-02-05", "end": "2027-02-12"},
            {"start": "2027-02-05", "end": "2027-02-12"},
        ]
        assert step_five[0]["text"] == (
            "Step 5 (2027-02-05 to 2027-02-12): 50 mg at 07:00 every 2 days from 2027-02-06 "
            "(1 × 50 mg tablet)"
        )

    def test_exact_fractional_amounts(self) -> None:
        """7.5 mg and 8.75 mg (½ × 7.5 mg + 5 mg) stay exact floats; whole amounts are
        integers."""
        bundle = plan_to_fhir(plan_of(sample_text()))
        values = [d["doseAndRate"][0]["doseQuantity"]["value"] for d in dosages(bundle, 1)]
        assert values == [7.5, 5, 2.5, 8.75, 7.5]
        assert [type(v) for v in values] == [float, int, float, float, float]

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
        """An oral solution's dose is in mg; the text gives the volume to measure (from
        the first step, one 1 mg/mL bottle measures both doses: 10.5 mg cannot be
        measured from 5 mg/mL at the default 0.5 mL syringe resolution)."""
        first = dosages(plan_to_fhir(plan_of(OXYCODONE_SOLUTION)))[0]
        assert first["doseAndRate"][0]["doseQuantity"]["value"] == 7.5
        assert first["doseAndRate"][0]["doseQuantity"]["code"] == "mg"
        assert first["text"].endswith("7.5 mg at 08:00 (7.5 mL of 1 mg/mL)")

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
            {"reference": "Patient/42"}
        ] * 4

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
        paused = plan_to_fhir(pause(plan, on=dt.date(2027, 1, 20), days=7))
        other = plan_to_fhir(plan_of(MORPHINE_OXYCODONE_UNEVEN, START + dt.timedelta(days=7)))

        def ids(b: Mapping[str, Any]) -> list[str]:
            return [b["id"], *(e["fullUrl"] for e in b["entry"])]

        assert ids(paused) == ids(bundle)
        assert not set(ids(other)) & set(ids(bundle))
        assert len(set(ids(bundle))) == 5  # the bundle and four requests
        assert all(uuid.UUID(i.removeprefix("urn:uuid:")).version == 5 for i in ids(bundle))
        assert {e["resource"]["groupIdentifier"]["value"] for e in bundle["entry"]} == {
            f"urn:uuid:{bundle['id']}"
        }

    def test_paused_plan_is_valid(self) -> None:
        """A paused plan (one more step) still validates and stays contiguous."""
        plan = pause(plan_of(MORPHINE_OXYCODONE_UNEVEN), on=dt.date(2027, 1, 20), days=7)
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


def _mr(bundle: dict[str, Any], entry: int = 0) -> dict[str, Any]:
    resource: dict[str, Any] = bundle["entry"][entry]["resource"]
    return resource


def _bounds(bundle: dict[str, Any], index: int, entry: int = 0) -> dict[str, Any]:
    bounds: dict[str, Any] = _mr(bundle, entry)["dosageInstruction"][index]["timing"]["repeat"][
        "boundsPeriod"
    ]
    return bounds


def _shift(bundle: dict[str, Any], sequence: int, days: int, time: str | None = None) -> None:
    """Move the start of every dosage of ``sequence`` (at ``time``, if given) by ``days``."""
    for dosage in _mr(bundle)["dosageInstruction"]:
        repeat = dosage["timing"]["repeat"]
        if dosage["sequence"] == sequence and time in {None, *repeat["timeOfDay"]}:
            bounds = repeat["boundsPeriod"]
            start = dt.date.fromisoformat(bounds["start"]) + dt.timedelta(days=days)
            bounds["start"] = start.isoformat()


def _renumber(bundle: dict[str, Any], first: int, delta: int, entry: int = 0) -> None:
    """Add ``delta`` to every sequence from ``first`` on (keeping the texts in step)."""
    for dosage in _mr(bundle, entry)["dosageInstruction"]:
        if dosage["sequence"] >= first:
            dosage["sequence"] += delta
            dosage["text"] = re.sub(r"^Step \d+", f"Step {dosage['sequence']}", dosage["text"])


#: Ways to break a valid bundle of the sample plan that our invariant checks must catch,
#: and what they say. The sample's oxycodone ER (entry 0) has steps 1-8; its oxycodone
#: IR (entry 1), which the plan adds, steps 5-7 and 9-10 (none in step 8).
BROKEN: Mapping[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "end before start": (lambda b: _bounds(b, 0).update(end="2026-12-31"), "(per-1)"),
    "gap": (lambda b: _shift(b, 2, 1), "gap between"),
    "overlap": (lambda b: _shift(b, 2, -1), "overlap between"),
    "sequence skipped": (
        lambda b: _renumber(b, 2, 1),
        "sequence 3 follows 1 with no day for the steps between",
    ),
    "substitute starts late in its first step": (
        lambda b: _bounds(b, 0, entry=1).update(start="2027-04-27"),
        "starts 2027-04-27, 1 d after its step's start 2027-04-26: not within its first period",
    ),
    "restart without a step between": (
        lambda b: _renumber(b, 9, -1, entry=1),
        "gap between a period ending 2027-07-18 and one from 2027-08-16",
    ),
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


def _at(bundle: dict[str, Any], sequence: int, time: str) -> dict[str, Any]:
    """The repeat of the dosage of ``sequence`` at ``time``."""
    (repeat,) = [
        d["timing"]["repeat"]
        for d in _mr(bundle)["dosageInstruction"]
        if d["sequence"] == sequence and d["timing"]["repeat"]["timeOfDay"] == [time]
    ]
    result: dict[str, Any] = repeat
    return result


#: Ways to break the bundle of TAPENTADOL_TID around its offset dose.
BROKEN_OFFSETS: Mapping[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "offset of a whole period": (
        lambda b: _shift(b, 5, 2, time="07:00:00"),
        "gap between a period ending 2027-02-04 and one from 2027-02-08",
    ),
    "offset dose before its step": (
        lambda b: _shift(b, 5, -2, time="07:00:00"),
        "overlap between a period ending 2027-02-04 and one from 2027-02-04",
    ),
    "offset dose ends early": (
        lambda b: _at(b, 5, "07:00:00")["boundsPeriod"].update(end="2027-02-11"),
        "sequence 5 has two periods",
    ),
    "offset dose in partial periods": (
        lambda b: _at(b, 5, "07:00:00").update(period=3),
        "its step's 8 days are not whole periods of 3 days",
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

    @pytest.mark.parametrize("name", sorted(BROKEN_OFFSETS))
    def test_invariants_reject_around_offsets(self, name: str) -> None:
        """A dose taken from its step's second day may start one day late, and no more;
        it still ends with its step, whose length is whole periods."""
        plan = plan_of(TAPENTADOL_TID)
        offset = plan.steps[4].medications[0].doses[0]
        assert (offset.time, offset.every_days, offset.offset) == (dt.time(7), 2, 1)
        bundle = plan_to_fhir(plan)
        check_all(bundle, plan)
        assert _at(bundle, 5, "07:00:00")["boundsPeriod"] == {
            "start": "2027-02-06",
            "end": "2027-02-12",
        }
        breaking, message = BROKEN_OFFSETS[name]
        breaking(bundle)
        with pytest.raises(FhirInvariantError, match=re.escape(message)):
            check_fhir_invariants(bundle)


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
            load_mapping(case.mapping),
            start=case.start,
            pace=case.pace,
            supervised=case.supervised,
            substitute=case.substitute,
        )
        assert fhir_to_json(plan_to_fhir(again)) == fhir_to_json(plan_to_fhir(plan))

"""The plan JSON reads back as the very plan that was written (``taperplan.formats.json``):
exact numbers, the cattrs converter, ``load_plan`` and its problem reports."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from strategies import (
    PlanningCase,
    exact_decimals,
    json_values,
    pace_specs,
    planner_regimen_mappings,
    planning_cases,
)
from support import DATA
from taperplan import (
    Administration,
    InvalidPlanDataError,
    PlanningError,
    RefusedError,
    TaperPlan,
    load_regimen,
    pause,
    plan_taper,
    regimen_from_mapping,
    replan,
)
from taperplan.errors import InvalidRegimenError, PlanExportError
from taperplan.formats.json import (
    decimal_text,
    load_plan,
    plan_from_dict,
    plan_from_json,
    plan_to_dict,
    plan_to_json,
    to_json,
    unstructure_plan,
)
from taperplan.units import mg

REGIMENS = DATA / "regimens"
SAMPLE = Path(str(resources.files("taperplan") / "data" / "sample-regimen.toml"))
START = dt.date(2027, 1, 4)
FILES = sorted(REGIMENS.glob("*.toml"))


def sample_plan() -> TaperPlan:
    """The §1 sample regimen planned from 2027-01-04."""
    return plan_taper(load_regimen(SAMPLE), start=START)


def decimals_in(value: Any) -> list[Decimal]:
    """Every Decimal in a document."""
    if isinstance(value, Decimal):
        return [value]
    if isinstance(value, dict):
        return [d for item in value.values() for d in decimals_in(item)]
    if isinstance(value, list):
        return [d for item in value for d in decimals_in(item)]
    return []


def exact_document(plan: TaperPlan) -> dict[str, Any]:
    """The plan's JSON text parsed with Decimal numbers (what load_plan reads)."""
    loaded: dict[str, Any] = json.loads(plan_to_json(plan), parse_float=Decimal)
    return loaded


# --- JSON text ---------------------------------------------------------------------


class TestDecimalText:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            ("40", "40.0"),
            ("40.00", "40.0"),
            ("0.10", "0.1"),
            ("0", "0.0"),
            ("1E+2", "100.0"),
            ("2.5E+3", "2500.0"),
            ("1E-7", "0.0000001"),
            ("6.666666666666666666666666667", "6.666666666666666666666666667"),
            ("0.1428571428571428571428571429", "0.1428571428571428571428571429"),
        ],
    )
    def test_examples(self, value: str, text: str) -> None:
        """Every digit, no exponent, no trailing zeros, always a decimal point."""
        assert decimal_text(Decimal(value)) == text

    @pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
    def test_non_finite_values_are_refused(self, value: str) -> None:
        """JSON has no NaN or infinity."""
        with pytest.raises(ValueError, match="finite"):
            decimal_text(Decimal(value))

    @given(exact_decimals())
    def test_the_text_is_the_exact_value_and_the_same_float(self, value: Decimal) -> None:
        """Read back as Decimal it is the same number; read as float it is float(value)."""
        text = decimal_text(value)
        assert Decimal(text) == value
        assert float(text) == float(value)
        assert json.loads(text, parse_float=Decimal) == value
        assert "." in text
        assert "e" not in text.lower()


class TestToJson:
    @given(json_values())
    def test_plain_values_are_written_as_json_dumps_writes_them(self, value: object) -> None:
        """Without Decimals the text is json.dumps(indent=2, ensure_ascii=False)'s, plus a newline."""
        assert to_json(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"

    def test_decimals_keep_every_digit(self) -> None:
        """A Decimal inside a document is written verbatim (with a decimal point)."""
        third = Decimal(1) / Decimal(3)
        text = to_json({"a": [third, Decimal(20)], "b": 1.5})
        assert text == (
            '{\n  "a": [\n    0.3333333333333333333333333333,\n    20.0\n  ],\n  "b": 1.5\n}\n'
        )
        assert json.loads(text, parse_float=Decimal)["a"][0] == third

    @pytest.mark.parametrize("value", [{1: "x"}, {"d": dt.date(2027, 1, 4)}, [object()]])
    def test_values_json_cannot_hold_are_refused(self, value: object) -> None:
        """Keys must be text and values JSON values, as for json.dumps."""
        with pytest.raises(TypeError):
            to_json(value)


# --- round trips -------------------------------------------------------------------


class TestRoundTrip:
    @pytest.mark.parametrize("path", [SAMPLE, *FILES], ids=lambda p: p.name)
    def test_regimen_files_round_trip_exactly(self, path: Path) -> None:
        """Every regimen file's plan comes back equal (attrs equality) from its JSON text."""
        plan = plan_taper(load_regimen(path), start=START)
        text = plan_to_json(plan)
        assert plan_from_json(text) == plan
        assert plan_from_json(text.encode()) == plan
        assert plan_to_json(plan_from_json(text)) == text

    def test_load_plan_reads_a_saved_file(self, tmp_path: Path) -> None:
        """load_plan(path) gives back the plan saved with plan_to_json (str and Path)."""
        plan = sample_plan()
        target = tmp_path / "plan.json"
        target.write_text(plan_to_json(plan), encoding="utf-8")
        assert load_plan(target) == plan
        assert load_plan(str(target)) == plan

    def test_load_plan_takes_a_parsed_document(self) -> None:
        """A mapping (parsed with Decimal numbers) loads as well, through plan_from_dict."""
        plan = sample_plan()
        assert load_plan(exact_document(plan)) == plan
        assert plan_from_dict(exact_document(plan)) == plan

    def test_floats_would_lose_digits(self) -> None:
        """The sample holds cut fractions of 1/7 and 1/6 that no float holds: the float
        document (plan_to_dict) reads back different, the exact text reads back equal."""
        plan = sample_plan()
        inexact = [d for d in decimals_in(unstructure_plan(plan)) if Decimal(repr(float(d))) != d]
        assert sorted(set(inexact)) == [Decimal(1) / 7, Decimal(1) / 6]
        assert len(inexact) == 7  # four cuts of 1/7 and three of 1/6
        assert plan_from_dict(plan_to_dict(plan)) != plan
        assert plan_from_json(plan_to_json(plan)) == plan

    def test_plan_to_dict_is_ready_for_json_dumps(self) -> None:
        """plan_to_dict holds floats only: json.dumps takes it, and it reads as the text does."""
        plan = sample_plan()
        data = plan_to_dict(plan)
        assert json.loads(json.dumps(data)) == json.loads(plan_to_json(plan))
        assert not decimals_in(data)

    def test_pause_and_replan_round_trip(self) -> None:
        """A paused and then re-planned plan (revision 2) comes back equal."""
        plan = pause(sample_plan(), on=dt.date(2027, 2, 10), days=14)
        later = replan(plan, on=dt.date(2027, 4, 20), pace="va-slowest")
        assert later.revision == 2
        for version in (plan, later):
            assert plan_from_json(plan_to_json(version)) == version

    def test_replan_with_a_new_product_round_trips(self) -> None:
        """A re-plan that adds a product (with its own notices) writes the merged regimen."""
        plan = sample_plan()
        added = regimen_from_mapping(
            {
                "timezone": "America/New_York",
                "medication": [
                    {"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg",
                     "dose": "20 mg", "times": ["08:00", "20:00"]},
                    {"drug": "morphine", "form": "oral_solution", "strength": "2 mg/mL",
                     "dose": "5 mg", "times": ["13:00"]},
                ],
            }
        )  # fmt: skip
        # Both drugs are above the plan's doses on that day (oxycodone 40 mg against 30 mg, and
        # morphine it did not have): refused unless the prescriber allows the higher dose.
        with pytest.raises(PlanningError, match="from a higher dose is refused"):
            replan(plan, on=dt.date(2027, 3, 1), regimen=added)
        later = replan(plan, on=dt.date(2027, 3, 1), regimen=added, allow_higher_dose=True)
        assert len(later.regimen.medications) == 2
        assert "dose-raised-at-replan" in {notice.code for notice in later.warnings}
        assert plan_from_json(plan_to_json(later)) == later

    @pytest.mark.parametrize(
        "pace",
        [
            {"preset": "va-slower"},
            {"preset": "va-slower", "every_days": 14},
            {"preset": "va-slower", "every_days": 14, "name": "two-weekly"},
            {"preset": "va-slower", "reduction": "10 mg", "basis": "current"},
            {"preset": "cdc-short-term", "percent": 15, "max_step_fraction": 0.5},
            {"preset": "etg-long", "every_days": 28},
            {"reduction": "5 mg", "every_days": 7},
            {"name": "mine", "percent": 10, "basis": "original-then-current", "switch_at": 0.3},
            {"percent": 33, "basis": "current", "every_days": 10, "min_step_days": 7,
             "max_step_fraction": 0.4},
        ],
    )  # fmt: skip
    def test_regimen_paces_round_trip(self, pace: dict[str, Any]) -> None:
        """A regimen's [pace] table (preset, preset with overrides, custom) is written so that
        the loader gives the same pace back."""
        mapping = {
            "medication": [
                {"drug": "oxycodone", "form": "oral_solution", "strength": "1 mg/mL",
                 "dose": "20 mg", "times": ["08:00", "20:00"]}
            ],
            "pace": pace,
        }  # fmt: skip
        regimen = regimen_from_mapping(mapping)
        plan = plan_taper(regimen, start=START)
        assert plan.pace == regimen.pace
        assert plan_from_json(plan_to_json(plan)) == plan

    def test_the_regimen_object_is_a_regimen_file(self) -> None:
        """document["regimen"] loads with regimen_from_mapping as the plan's regimen."""
        plan = plan_taper(load_regimen(REGIMENS / "hydrocodone-acetaminophen.toml"), start=START)
        document = json.loads(plan_to_json(plan))
        rebuilt = regimen_from_mapping(document["regimen"])
        assert rebuilt == plan.regimen
        assert document["regimen_notices"] == [
            {"code": n.code, "message": n.message, "source": n.source} for n in plan.regimen.notices
        ]

    def test_a_regimen_built_in_code_that_no_file_states_is_refused(self) -> None:
        """A per-dose interval cannot be written in the regimen file: PlanExportError names
        the field instead of writing a plan that would read back different."""
        regimen = load_regimen(SAMPLE)
        (medication,) = regimen.medications
        odd = attrs.evolve(
            medication,
            administrations=(
                Administration(dt.time(8), mg(20), every_days=1),
                Administration(dt.time(20), mg(20)),
            ),
        )
        plan = plan_taper(attrs.evolve(regimen, medications=(odd,)), start=START)
        with pytest.raises(PlanExportError, match=r"regimen\.medications\[0\]\.administrations"):
            plan_to_json(plan)

    def test_later_keys_are_ignored(self) -> None:
        """A document with keys this version does not know (from a later taperplan) loads."""
        plan = sample_plan()
        data = exact_document(plan)
        data["future"] = {"x": 1}
        data["steps"][0]["future"] = [1, 2]
        data["steps"][0]["medications"][0]["administrations"][0]["future"] = None
        data["pace"]["future"] = "x"
        assert plan_from_dict(data) == plan


@settings(max_examples=min(settings.default.max_examples, 200))  # a plan, pause and re-plan each
@given(planning_cases(), st.data())
def test_random_plans_pauses_and_replans_round_trip(
    case: PlanningCase, data: st.DataObject
) -> None:
    """For random regimens, paces and starts: the plan, a pause of it and a re-plan of it
    (at another pace, or from a random new regimen) all come back equal from their JSON."""
    try:
        plan = case.plan()
    except PlanningError:
        event("no plan")
        return
    event("planned")
    versions = [plan]
    if plan.stop_date > plan.start:  # not a plan that is only its stop
        last = plan.stop_date - dt.timedelta(days=1)
        on = data.draw(st.dates(min_value=plan.start, max_value=last))
        versions.append(pause(plan, on=on, days=data.draw(st.integers(1, 60))))
        new_regimen = data.draw(st.none() | planner_regimen_mappings().map(regimen_from_mapping))
        new_pace = data.draw(st.none() | st.sampled_from(["va-slower", "etg-long", "va-faster"]))
        try:
            versions.append(
                replan(plan, on=on, regimen=new_regimen, pace=new_pace, supervised=case.supervised)
            )
            event("replanned")
        except (PlanningError, RefusedError):
            event("no re-plan")
    for version in versions:
        text = plan_to_json(version)
        assert plan_from_json(text) == version
        assert plan_to_json(plan_from_json(text)) == text


@given(planning_cases(), pace_specs())
def test_regimen_paces_of_random_plans_round_trip(case: PlanningCase, spec: Any) -> None:
    """A regimen that carries its own [pace] (any preset or custom table) round-trips."""
    table = {"preset": spec} if isinstance(spec, str) else spec
    refused: InvalidRegimenError | None = None
    try:
        regimen = regimen_from_mapping({**case.mapping, "pace": table})
    except InvalidRegimenError as error:
        refused = error
    if refused is not None:
        # A fixed reduction in a unit the regimen's doses are not all in (a regimen of
        # patches in mcg/h and doses in mg) is refused, rightly, with the fix (a percent).
        assert isinstance(spec, dict)
        assert "reduction" in spec
        assert [p.path for p in refused.problems] == ["pace.reduction"]
        event("reduction refused")
        return
    try:
        plan = plan_taper(regimen, start=case.start, supervised=True)
    except PlanningError:
        event("no plan")
        return
    event("planned")
    assert plan.regimen.pace is not None
    assert plan_from_json(plan_to_json(plan)) == plan


# --- problems ------------------------------------------------------------------------


def _error(data: object) -> InvalidPlanDataError:
    with pytest.raises(InvalidPlanDataError) as caught:
        plan_from_dict(data, source="plan.json")  # type: ignore[arg-type]
    assert caught.value.source == "plan.json"
    return caught.value


def problems_of(data: object) -> dict[str, str]:
    """{path: message} of the InvalidPlanDataError that plan_from_dict raises for ``data``."""
    return {p.path: p.message for p in _error(data).problems}


def fixes_of(data: object) -> dict[str, str]:
    """{path: fix} of the same error."""
    return {p.path: p.fix for p in _error(data).problems}


class TestProblems:
    def test_an_empty_id_is_refused_as_the_schema_says(self) -> None:
        """The schema gives plan and step ids ``minLength: 1``; the reader refuses an empty
        one with the plan's fix (a review once read such a plan)."""
        data = exact_document(sample_plan())
        data["id"] = ""
        assert problems_of(data) == {"id": "must be text of 1 to 200 characters, not 0"}
        data = exact_document(sample_plan())
        data["steps"][1]["id"] = ""
        assert problems_of(data) == {"steps[1].id": "must be text of 1 to 200 characters, not 0"}
        assert "write the plan again" in fixes_of(data)["steps[1].id"]

    def test_every_problem_is_listed_with_its_path(self) -> None:
        """Twelve broken fields in one document: twelve problems, each at its JSON path."""
        data = exact_document(sample_plan())
        data["schema"] = "taperplan.plan/2"
        data["revision"] = True
        data["steps"][0]["start"] = "31/01/2027"
        data["steps"][1]["medications"][0]["administrations"][0]["time"] = "25:00"
        data["steps"][1]["medications"][0]["administrations"][1]["units"][0]["count"] = Decimal(-1)
        data["steps"][2]["kind"] = "hold"
        data["steps"][2]["medications"][0]["product"] = "oxycodone er_tablets"
        data["steps"][3]["withdrawal_window"] = "soon"
        del data["warnings"][0]["code"]
        data["regimen"]["medication"][0]["dose"] = "7 mg"
        data["baseline"]["medications"][0]["splittable"] = True
        data["adjuncts"][0]["category"] = "magic"
        found = problems_of(data)
        assert set(found) == {
            "schema",
            "revision",
            "steps[0].start",
            "steps[1].medications[0].administrations[0].time",
            "steps[1].medications[0].administrations[1].units[0].count",
            "steps[2].kind",
            "steps[2].medications[0].product",
            "steps[3].withdrawal_window",
            "warnings[0].code",
            "regimen.medication[0].dose",
            "baseline.medications[0].splittable",
            "adjuncts[0].category",
        }
        assert found["warnings[0].code"] == "missing"
        assert "not a date" in found["steps[0].start"]
        assert fixes_of(data)["steps[2].medications[0].product"] == (
            "did you mean 'oxycodone er_tablet' or 'oxycodone ir_tablet'?"
        )

    def test_the_message_names_the_file_paths_and_fixes(self) -> None:
        """str(error) starts with the file and lists each problem with its fix."""
        data = exact_document(sample_plan())
        data["steps"][0]["end"] = "2027-13-01"
        with pytest.raises(InvalidPlanDataError) as caught:
            plan_from_dict(data, source="saved.json")
        text = str(caught.value)
        assert text.startswith("saved.json: 1 problem:")
        assert "steps[0].end: '2027-13-01' is not a date (fix: write YYYY-MM-DD" in text

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("7", "must be a number, not text"),
            (True, "must be a number, not true/false"),
            (None, "must be a number, not null"),
            (Decimal(-2), "is negative"),
        ],
    )
    def test_amounts_are_numbers(self, value: object, message: str) -> None:
        """A daily amount must be a non-negative JSON number."""
        data = exact_document(sample_plan())
        data["baseline"]["medications"][0]["daily_amount"] = value
        found = problems_of(data)
        assert list(found) == ["baseline.medications[0].daily_amount"]
        assert message in found["baseline.medications[0].daily_amount"]

    def test_whole_numbers_and_lists_are_strict(self) -> None:
        """1.5 is not a count of days, and text is not a list (cattrs' defaults would accept both)."""
        data = exact_document(sample_plan())
        data["steps"][0]["medications"][0]["administrations"][0]["every_days"] = Decimal("1.5")
        data["steps"][0]["check_ins"] = "2027-01-25"
        found = problems_of(data)
        assert found == {
            "steps[0].medications[0].administrations[0].every_days": (
                "must be a whole number, not a number"
            ),
            "steps[0].check_ins": "must be a list, not text",
        }

    def test_an_old_document_without_the_regimen_is_refused(self) -> None:
        """A document written before the regimen was carried cannot be rebuilt."""
        data = exact_document(sample_plan())
        del data["regimen"]
        del data["regimen_notices"]
        assert problems_of(data) == {"regimen": "missing", "regimen_notices": "missing"}

    def test_hand_edits_that_break_the_plan_are_caught(self) -> None:
        """A gap between steps, a wrong index or day count, a drug that is not the product's,
        and a zone that is not the regimen's."""
        data = exact_document(sample_plan())
        data["steps"][1]["start"] = "2027-02-02"
        data["steps"][2]["index"] = 7
        data["steps"][3]["days"] = 99
        data["baseline"]["medications"][0]["drug"] = "morphine"
        data["timezone"] = "Europe/London"
        found = problems_of(data)
        assert set(found) == {
            "steps[1].start",
            "steps[1].days",
            "steps[2].index",
            "steps[3].days",
            "baseline.medications[0].drug",
            "timezone",
        }
        assert found["baseline.medications[0].drug"] == (
            "'morphine' does not match the product 'oxycodone er_tablet'"
        )

    @pytest.mark.parametrize(
        ("document", "problem"),
        [
            ([], "must be a JSON object, not a list"),
            ("plan", "must be a JSON object, not text"),
        ],
    )
    def test_a_document_that_is_not_an_object(self, document: object, problem: str) -> None:
        """The whole document must be a JSON object."""
        assert problems_of(document) == {"": problem}

    def test_text_that_is_not_json(self) -> None:
        """Broken JSON names the line and column; NaN is refused."""
        with pytest.raises(InvalidPlanDataError, match="line 1, column 2"):
            plan_from_json("{,}", source="x.json")
        with pytest.raises(InvalidPlanDataError, match="NaN is not a number"):
            plan_from_json('{"a": NaN}')
        with pytest.raises(InvalidPlanDataError, match="not UTF-8"):
            plan_from_json(b"\xff\xfe{}")

    def test_a_missing_file(self, tmp_path: Path) -> None:
        """A path that cannot be read: the error names the file."""
        path = tmp_path / "none.json"
        with pytest.raises(InvalidPlanDataError, match="cannot read the file") as caught:
            load_plan(path)
        assert caught.value.source == str(path)

    def test_a_document_is_not_changed_by_reading_it(self) -> None:
        """plan_from_dict reads; it never edits the caller's mapping."""
        data = exact_document(sample_plan())
        before = copy.deepcopy(data)
        plan_from_dict(data)
        assert data == before


def test_cattrs_is_not_imported_by_import_taperplan() -> None:
    """cattrs loads on the first conversion only (import taperplan and taperplan.export stay light)."""
    script = (
        "import sys, taperplan, taperplan.export, taperplan.cli.main\n"
        "assert 'cattrs' not in sys.modules, 'cattrs imported at start-up'\n"
        "import datetime as dt\n"
        "from taperplan.formats.json import plan_to_json\n"
        "plan_to_json(taperplan.plan_taper(taperplan.load_regimen(sys.argv[1]), "
        "start=dt.date(2027, 1, 4)))\n"
        "assert 'cattrs' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script, str(SAMPLE)], check=True)

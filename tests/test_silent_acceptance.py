"""Inputs that used to be accepted silently, or blamed the wrong thing, are refused with a
message naming the field and the fix (issue 15: hostile input)."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from taperplan import InvalidRegimenError, load_regimen, plan_taper, regimen_from_mapping
from taperplan.cli.main import main
from taperplan.errors import InvalidPlanDataError, OutputError
from taperplan.formats.files import check_output, write_output
from taperplan.formats.json import plan_from_json, plan_to_json
from taperplan.units import mg

SAMPLE = str(resources.files("taperplan") / "data" / "sample-regimen.toml")


def tablets(pace: dict[str, Any]) -> dict[str, Any]:
    return {
        "medication": [
            {"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg",
             "dose": "20 mg", "times": ["08:00", "20:00"]}
        ],
        "pace": pace,
    }  # fmt: skip


def problems_of(mapping: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidRegimenError) as raised:
        regimen_from_mapping(mapping)
    return {p.path: f"{p.message} (fix: {p.fix})" for p in raised.value.problems}


class TestFixedReduction:
    """A fixed ``reduction`` was used as a bare number: "15 mcg/h" cut 15 mg a step from
    tablets, and "1500 mcg" cut 1500 mg."""

    @pytest.mark.parametrize("reduction", ["15 mcg/h", "5 mL", "5 mg/mL"])
    def test_another_dimension_is_refused(self, reduction: str) -> None:
        problems = problems_of(tablets({"reduction": reduction}))
        assert "not an amount of the regimen's doses, which are in mg" in problems["pace.reduction"]
        assert 'reduction = "15 mg"' in problems["pace.reduction"]

    def test_micrograms_become_milligrams(self) -> None:
        regimen = regimen_from_mapping(tablets({"reduction": "1500 mcg"}))
        assert regimen.pace is not None
        assert regimen.pace.reduction == mg("1.5")

    def test_milligrams_for_a_patch_are_refused(self) -> None:
        mapping = tablets({"reduction": "5 mg"})
        mapping["medication"] = [
            {"drug": "fentanyl", "form": "patch", "strength": "25 mcg/h", "dose": "25 mcg/h",
             "times": ["08:00"], "every_days": 3}
        ]  # fmt: skip
        problems = problems_of(mapping)
        assert "which are in mcg/h" in problems["pace.reduction"]

    def test_one_reduction_for_patches_and_tablets_is_refused(self) -> None:
        mapping = tablets({"reduction": "5 mg"})
        mapping["medication"].append(
            {"drug": "fentanyl", "form": "patch", "strength": "25 mcg/h", "dose": "25 mcg/h",
             "times": ["08:00"], "every_days": 3}
        )  # fmt: skip
        problems = problems_of(mapping)
        assert "give percent instead" in problems["pace.reduction"]


def test_switch_at_without_its_basis_is_refused() -> None:
    """``switch_at`` only means something with basis original-then-current; with any other
    basis it was ignored."""
    problems = problems_of(tablets({"percent": 10, "switch_at": 0.3}))
    assert "original-then-current" in problems["pace.switch_at"]
    regimen_from_mapping(
        tablets({"percent": 10, "switch_at": 0.3, "basis": "original-then-current"})
    )


@pytest.mark.parametrize("command", ["plan", "replan"])
@pytest.mark.parametrize("pace", ["", "  ", "va-slowr"])
def test_a_bad_pace_option_blames_the_option(
    command: str, pace: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--pace ""`` was reported as a problem of the regimen file."""
    plan = tmp_path / "plan.json"
    assert main(["plan", SAMPLE, "--start", "2027-01-04", "--json", str(plan)]) == 0
    capsys.readouterr()
    argv = (
        [SAMPLE, "--start", "2027-01-04"]
        if command == "plan"
        else [str(plan), "--on", "2027-02-01"]
    )
    assert main([command, *argv, "--pace", pace]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("taperplan: error: --pace: ")
    assert "sample-regimen" not in err
    assert "taperplan paces" in err


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The sample regimen's plan as a JSON document."""
    taper = plan_taper(load_regimen(SAMPLE), start=dt.date(2027, 1, 4))
    data: dict[str, Any] = json.loads(plan_to_json(taper))
    return data


class TestPlanNumbers:
    """A plan holds doses, days and fractions: ``1e400`` (read as a finite Decimal) was
    accepted as a pace's percent."""

    @pytest.mark.parametrize("number", ["1e400", "1e-400", "1" * 60, "0." + "1" * 50])
    def test_out_of_range(self, document: dict[str, Any], number: str) -> None:
        text = json.dumps(document).replace('"revision": 0', f'"revision": {number}', 1)
        with pytest.raises(InvalidPlanDataError) as raised:
            plan_from_json(text)
        (problem,) = raised.value.problems
        assert problem.path == "revision"
        assert "not a number a plan holds" in problem.message

    @pytest.mark.parametrize("where", ["id", "pace.name", "steps.0.id"])
    def test_control_characters_in_an_id_or_a_name(
        self, document: dict[str, Any], where: str
    ) -> None:
        data = json.loads(json.dumps(document))
        holder = data
        *parents, last = where.split(".")
        for part in parents:
            holder = holder[int(part)] if part.isdigit() else holder[part]
        holder[last] = "x\x1b]0;title\x07"
        with pytest.raises(InvalidPlanDataError) as raised:
            plan_from_json(json.dumps(data))
        assert any("control characters" in p.message for p in raised.value.problems)


class TestLongOutputNames:
    """A name the file system cannot hold was an internal error (OSError, exit 1)."""

    def test_a_name_of_256_bytes_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / ("a" * 251 + ".json")
        with pytest.raises(OutputError, match="too long for the file system"):
            check_output(path)

    @pytest.mark.parametrize("length", [240, 250, 255])
    def test_names_up_to_255_bytes_are_written(self, tmp_path: Path, length: int) -> None:
        path = tmp_path / ("a" * (length - 5) + ".json")
        write_output(path, "{}")
        assert path.read_text(encoding="utf-8") == "{}"
        assert [p.name for p in tmp_path.iterdir()] == [path.name]

    def test_a_nul_in_an_output_name_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(OutputError, match="NUL"):
            check_output(tmp_path / "a\x00b.json")


def test_a_name_given_with_a_preset_and_no_change_is_kept() -> None:
    """``preset = "va-slower"`` with ``name = "my pace"`` and nothing else kept the preset's
    name and dropped the one given; the plan file gives it back."""
    regimen = regimen_from_mapping(tablets({"preset": "va-slower", "name": "my pace"}))
    assert regimen.pace is not None
    assert regimen.pace.name == "my pace"
    plan = plan_taper(regimen, start=dt.date(2027, 1, 4))
    assert plan_from_json(plan_to_json(plan)).regimen.pace == regimen.pace

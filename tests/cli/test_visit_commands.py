"""The visit from the command line (issue 12 item 2; interfaces.md §2): ``taperplan pause``,
``taperplan replan`` and ``plan --order``.

Each command's JSON is the library's own answer for the same plan; the calendar keeps the
plan's UIDs with SEQUENCE raised to the new revision; nothing is replaced without --force;
a re-plan from higher doses is refused unless --allow-higher-dose; every refusal exits 2
with one message and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path

import pytest
from icalendar import Calendar

from taperplan import PlanningError, load_plan, load_regimen, pause, plan_taper, replan
from taperplan.cli.main import main
from taperplan.formats.json import plan_to_json

SAMPLE = Path(str(resources.files("taperplan") / "data" / "sample-regimen.toml"))
TWO = (
    Path(__file__).parents[1]
    / "data"
    / "clinic"
    / "62-fentanyl-25-plus-oxycodone-ir-5-tid-benzo.toml"
)
START = "2027-01-04"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def planned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """plan.json and plan.ics of the sample regimen, as `taperplan plan` writes them."""
    code, _, err = run(
        ["plan", str(SAMPLE), "--start", START, "--json", str(tmp_path / "plan.json"),
         "--ics", str(tmp_path / "plan.ics")],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    return tmp_path


def uids(path: Path) -> dict[str, int]:
    return {e.uid: e.sequence for e in Calendar.from_ical(path.read_bytes()).events}


def test_pause_writes_the_library_plan_and_updates_the_calendar(
    planned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["pause", str(planned / "plan.json"), "--on", "2027-02-10", "--days", "14",
         "--json", str(planned / "paused.json"), "--ics", str(planned / "paused.ics")],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    expected = pause(load_plan(planned / "plan.json"), on=dt.date(2027, 2, 10), days=14)
    assert (planned / "paused.json").read_text(encoding="utf-8") == plan_to_json(expected)
    assert expected.revision == 1
    assert "(revision 1)" in out
    before, after = uids(planned / "plan.ics"), uids(planned / "paused.ics")
    assert set(before) <= set(after)
    assert {after[uid] for uid in before} == {1}


def test_pause_over_the_same_file_needs_force(
    planned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = planned / "plan.json"
    original = path.read_bytes()
    argv = ["pause", str(path), "--on", "2027-02-10", "--days", "7", "--json", str(path)]
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert "exists" in err
    assert path.read_bytes() == original
    code, _, err = run([*argv, "--force"], capsys)
    assert code == 0, err
    assert json.loads(path.read_text(encoding="utf-8"))["revision"] == 1


def test_replan_at_another_pace_is_the_library_plan(
    planned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["replan", str(planned / "plan.json"), "--on", "2027-03-15", "--pace", "va-slowest",
         "--format", "json"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    expected = replan(load_plan(planned / "plan.json"), on=dt.date(2027, 3, 15), pace="va-slowest")
    assert out == plan_to_json(expected)


def test_replan_from_a_higher_dose_is_refused_unless_allowed(
    planned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The regimen file is the dose before the taper: above the plan's doses in March."""
    argv = ["replan", str(planned / "plan.json"), "--on", "2027-03-15", "--regimen", str(SAMPLE),
            "--json", str(planned / "raised.json")]  # fmt: skip
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert "higher" in err or "above" in err
    assert not (planned / "raised.json").exists()
    code, _, err = run([*argv, "--allow-higher-dose"], capsys)
    assert code == 0, err
    data = json.loads((planned / "raised.json").read_text(encoding="utf-8"))
    assert "dose-raised-at-replan" in {w["code"] for w in data["warnings"]}


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["pause", "{plan}", "--on", "2031-01-01", "--days", "3"], "outside the plan"),
        (["pause", "{plan}", "--on", "2027-02-01", "--days", "0"], "--days"),
        (["pause", "{plan}", "--days", "3"], "--on"),
        (["pause", "{dir}/missing.json", "--on", "2027-02-01", "--days", "3"], "cannot read"),
        (["pause", str(SAMPLE), "--on", "2027-02-01", "--days", "3"], "not JSON"),
        (["replan", "{plan}", "--on", "2027-03-15", "--pace", "nope"], "unknown pace 'nope'"),
        (["replan", "{plan}", "--on", "2027-03-15", "--regimen", "{dir}/missing.toml"],
         "missing.toml"),
        (["pause", "{plan}", "--on", "2027-02-01", "--days", "3", "--alarm", "5"],
         "calendar options need --ics FILE"),
    ],
)  # fmt: skip
def test_visit_refusals_exit_2_and_write_nothing(
    argv: list[str], words: str, planned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in planned.iterdir())
    filled = [a.format(plan=planned / "plan.json", dir=planned) for a in argv]
    code, out, err = run([*filled, "--json", str(planned / "new.json")], capsys)
    assert (code, out) == (2, "")
    assert words in err
    assert "Traceback" not in err
    assert sorted(p.name for p in planned.iterdir()) == before


def test_plan_order_names_an_order_or_drugs(capsys: pytest.CaptureFixture[str]) -> None:
    regimen = load_regimen(TWO)
    for order, recorded in (
        ("short-acting-first", "short-acting-first"),
        ("oxycodone,fentanyl", "explicit: oxycodone, fentanyl"),
    ):
        code, out, err = run(
            ["plan", str(TWO), "--start", START, "--order", order, "--format", "json"], capsys
        )
        assert code == 0, err
        assert json.loads(out)["order"] == recorded
    expected = plan_taper(regimen, start=dt.date(2027, 1, 4), order=("oxycodone", "fentanyl"))
    assert expected.order == "explicit: oxycodone, fentanyl"


def test_plan_order_with_a_drug_the_regimen_does_not_take(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["plan", str(TWO), "--start", START, "--order", "oxycodne"], capsys)
    assert (code, out) == (2, "")
    assert "did you mean 'oxycodone'?" in err
    with pytest.raises(PlanningError, match="name its drugs"):
        plan_taper(load_regimen(TWO), start=dt.date(2027, 1, 4), order=("morphine",))


def test_a_visits_prescriptions_start_at_the_visit(
    planned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a pause the fills start on --on (numbered from 1): the fills already
    dispensed are not issued again."""
    code, out, err = run(
        ["pause", str(planned / "plan.json"), "--on", "2027-02-10", "--days", "14",
         "--format", "rx-csv"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    rows = [line.split(",") for line in out.splitlines()[1:]]
    assert rows[0][:2] == ["1", "2027-02-10"]
    assert min(row[1] for row in rows) == "2027-02-10"


def test_replan_names_the_option_at_fault(
    planned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["replan", str(planned / "plan.json"), "--on", "2027-03-15", "--pace", "nosuch"], capsys
    )
    assert (code, out) == (2, "")
    assert err.startswith("taperplan: error: --pace: unknown pace 'nosuch'")
    code, out, err = run(
        ["replan", str(planned / "plan.json"), "--on", "2027-03-15", "--regimen", str(SAMPLE)],
        capsys,
    )
    assert (code, out) == (2, "")
    assert "--allow-higher-dose" in err
    assert "allow_higher_dose=True" not in err
    assert err.startswith(f"taperplan: error: {planned / 'plan.json'}:")


@pytest.mark.parametrize(
    ("order", "words"),
    [("", "names no drug"), (",", "names no drug"), ("oxycodone,OXYCODONE", "more than once")],
)
def test_plan_order_refuses_empty_and_repeated_names(
    order: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["plan", str(TWO), "--start", START, "--order", order], capsys)
    assert (code, out) == (2, "")
    assert words in err


def test_plan_order_names_are_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        ["plan", str(TWO), "--start", START, "--order", "Oxycodone,FENTANYL", "--format", "json"],
        capsys,
    )
    assert code == 0, err
    assert json.loads(out)["order"] == "explicit: oxycodone, fentanyl"

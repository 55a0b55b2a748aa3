"""``taperplan plan`` and ``taperplan paces`` through the CLI's ``main`` (interfaces.md §2, §4).

Every JSON plan the CLI prints is run through the independent invariant checker.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from plan_invariants import check_plan_invariants
from support import DATA
from taperplan import Pace, Regimen, load_regimen, preset
from taperplan.cli.main import main

REGIMENS = DATA / "regimens"
SAMPLE = Path(str(resources.files("taperplan") / "data" / "sample-regimen.toml"))
START = "2027-01-04"

#: Regimen files (tests/data/regimens) and the pace each names in its [pace] table
#: (None: the default pace from the context).
FILES: dict[str, str] = {
    "morphine-er-va-slower.toml": "va-slower",
    "uneven-split-doses.toml": "custom",
    "fentanyl-patch.toml": "custom",
    "oxycodone-oral-solution.toml": "cdc-short-term",
    "hydrocodone-acetaminophen.toml": "etg-short",
    "two-opioids.toml": "va-faster",
    "hydromorphone-ir.toml": "etg-long",
    "methadone-tablets.toml": "etg-long",
    "tramadol-tapentadol.toml": "va-faster",
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def pace_of(regimen: Regimen, name: str) -> Pace:
    """The pace the CLI should have used: the regimen's own, else the named preset."""
    if regimen.pace is not None:
        assert regimen.pace.name == name
        return regimen.pace
    return preset(name)


def plan_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    """``taperplan plan PATH --start 2027-01-04 --format json``, parsed."""
    code, out, err = run(["plan", str(path), "--start", START, "--format", "json", *extra], capsys)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def test_sample_regimen_plan_json_keeps_every_invariant(capsys: pytest.CaptureFixture[str]) -> None:
    """The §1 sample regimen plans at its [pace] (va-slower) into a plan that keeps every rule."""
    data = plan_json(SAMPLE, capsys)
    regimen = load_regimen(SAMPLE)
    check_plan_invariants(data, regimen, preset("va-slower"), start=dt.date(2027, 1, 4))
    assert data["pace"]["name"] == "va-slower"
    assert data["timezone"] == "America/New_York"
    assert data["baseline"]["total_mme_per_day"] == 60.0
    assert data["steps"][0]["start"] == START
    assert data["steps"][-1]["kind"] == "stop"


@pytest.mark.parametrize(("name", "pace"), sorted(FILES.items()))
def test_regimen_files_plan_to_completion(
    name: str, pace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each regimen file (several opioids, uneven doses, a patch, a solution, a combination
    tablet) plans to a stop that keeps every rule of §4."""
    path = REGIMENS / name
    data = plan_json(path, capsys)
    regimen = load_regimen(path)
    check_plan_invariants(data, regimen, pace_of(regimen, pace), start=dt.date(2027, 1, 4))
    assert data["pace"]["name"] == pace
    assert data["steps"][-1]["kind"] == "stop"


def test_pace_option_overrides_the_regimen_pace(capsys: pytest.CaptureFixture[str]) -> None:
    """``--pace etg-long`` replaces the file's [pace] table."""
    path = REGIMENS / "morphine-er-va-slower.toml"
    data = plan_json(path, capsys, "--pace", "etg-long")
    assert data["pace"]["name"] == "etg-long"
    check_plan_invariants(data, load_regimen(path), preset("etg-long"), start=dt.date(2027, 1, 4))


def test_uneven_split_doses_cut_the_middle_dose_first(capsys: pytest.CaptureFixture[str]) -> None:
    """60/45/60 mg with a 15 mg pace goes 45/45/60 then 45/45/45 (VA-TDT patient example)."""
    data = plan_json(REGIMENS / "uneven-split-doses.toml", capsys)
    amounts = [
        [a["amount"] for a in s["medications"][0]["administrations"]] for s in data["steps"][:2]
    ]
    assert amounts == [[45.0, 45.0, 60.0], [45.0, 45.0, 45.0]]
    assert [s["days"] for s in data["steps"][:2]] == [10, 10]


def test_fentanyl_patch_steps_cover_whole_patch_changes(capsys: pytest.CaptureFixture[str]) -> None:
    """Patch steps last whole 3-day changes and patches are combined, never cut."""
    data = plan_json(REGIMENS / "fentanyl-patch.toml", capsys)
    for step in data["steps"][:-1]:
        assert step["days"] % 3 == 0
        for admin in step["medications"][0]["administrations"]:
            assert admin["every_days"] == 3
            assert all(u["count"] == int(u["count"]) for u in admin["units"])
    assert "cap-above-preset" in {w["code"] for w in data["warnings"]}


def test_combination_tablets_keep_their_product(capsys: pytest.CaptureFixture[str]) -> None:
    """Hydrocodone/acetaminophen is planned as the combination product, with halves allowed."""
    data = plan_json(REGIMENS / "hydrocodone-acetaminophen.toml", capsys)
    products = {m["product"] for s in data["steps"] for m in s["medications"]}
    assert len(products) == 1
    assert "acetaminophen" in products.pop()
    counts = {u["count"] for s in data["steps"] for m in s["medications"]
              for a in m["administrations"] for u in a["units"]}  # fmt: skip
    assert any(c != int(c) for c in counts)  # a half tablet somewhere in the tail


def test_oral_solution_doses_are_measured_in_ml(capsys: pytest.CaptureFixture[str]) -> None:
    """Solution doses state a volume on the 0.1 mL grid of the stated syringe."""
    data = plan_json(REGIMENS / "oxycodone-oral-solution.toml", capsys)
    for step in data["steps"]:
        for admin in step["medications"][0]["administrations"]:
            (unit,) = admin["units"]
            assert unit["strength"] == "1 mg/mL"
            assert unit["volume"].endswith(" mL")
            assert (Fraction(str(unit["count"])) * 10).denominator == 1
    assert "cdc-short-term" in data["pace"]["reason"]


def test_csv_lists_every_dose_of_the_json(capsys: pytest.CaptureFixture[str]) -> None:
    """``--format csv`` has one row per dose the JSON plan implies, in date order."""
    path = REGIMENS / "two-opioids.toml"
    data = plan_json(path, capsys)
    code, out, err = run(["plan", str(path), "--start", START, "--format", "csv"], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    expected = sum(
        step["days"] // admin["every_days"]
        for step in data["steps"]
        for med in step["medications"]
        for admin in med["administrations"]
    )
    assert len(rows) == expected
    dates = [row["date"] for row in rows]
    assert dates == sorted(dates)
    assert dates[0] == START
    assert {row["zone"] for row in rows} == {"America/Los_Angeles"}


def test_table_shows_every_step(capsys: pytest.CaptureFixture[str]) -> None:
    """``--format table`` prints every step by its number (from 1, as the JSON's ``number``)
    with its first day, and the pace, in at most 80 columns when not on a terminal."""
    path = REGIMENS / "morphine-er-va-slower.toml"
    data = plan_json(path, capsys)
    code, out, err = run(["plan", str(path), "--start", START, "--format", "table"], capsys)
    assert code == 0, err
    assert "va-slower" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    rows = re.findall(r"^│ (\d+) +│ (\d+ \w+ \d{4}) ", out, re.MULTILINE)
    assert [int(number) for number, _ in rows] == [s["number"] for s in data["steps"]]
    for (_, first), step in zip(rows, data["steps"], strict=True):
        day = dt.date.fromisoformat(step["start"])
        assert first == f"{day.day} {day:%b} {day.year}"


def test_table_details(capsys: pytest.CaptureFixture[str]) -> None:
    """Warnings show their first sentence and the suggestions a count; --details prints every
    warning and suggestion in full; --details applies to the table only."""
    argv = ["plan", str(SAMPLE), "--start", START]
    _, short, _ = run(argv, capsys)
    code, full, err = run([*argv, "--details"], capsys)
    assert code == 0, err
    plan = sample_plan_object()
    flat = " ".join(full.split())
    for warning in plan.warnings:
        assert " ".join(warning.message.split()) in flat
    assert "Risk at 50 to <100 MME/day" in flat
    assert "Risk at 50 to <100 MME/day" not in " ".join(short.split())
    assert f"{len(plan.adjuncts)} suggestions" in short
    assert "loperamide" in full
    assert "loperamide" not in short
    code, out, err = run([*argv, "--format", "json", "--details"], capsys)
    assert (code, out) == (2, "")
    assert "--details: applies to the table" in err


def next_monday(zone: str) -> dt.date:
    """The Monday after today in ``zone`` (never today)."""
    today = dt.datetime.now(ZoneInfo(zone)).date()
    return today + dt.timedelta(days=7 - today.weekday())


def test_without_start_the_next_monday_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --start, stderr names the next Monday in the regimen's zone and stdout is the plan."""
    before = next_monday("America/New_York")
    code, out, err = run(["plan", str(SAMPLE), "--format", "json"], capsys)
    after = next_monday("America/New_York")
    assert code == 0, err
    data = json.loads(out)
    assert data["steps"][0]["start"] in {before.isoformat(), after.isoformat()}
    assert data["steps"][0]["start"] in err
    assert dt.date.fromisoformat(data["steps"][0]["start"]).weekday() == 0
    check_plan_invariants(data, load_regimen(SAMPLE), preset("va-slower"))


def test_stuck_plan_exits_2_with_the_fix_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ER tablets under uk-opioids-aware without substitution: exit 2, nothing on stdout, and on
    stderr where planning stopped, the checked fix and the safety warnings; the fix plans."""
    path = tmp_path / "stuck.toml"
    path.write_text(
        '[[medication]]\ndrug = "oxycodone"\nform = "er_tablet"\nstrength = "20 mg"\n'
        'dose = "20 mg"\ntimes = ["08:00", "20:00"]\n\n'
        '[pace]\npreset = "uk-opioids-aware"\nsubstitute = false\n',
        encoding="utf-8",
    )
    code, out, err = run(["plan", str(path), "--start", START, "--format", "json"], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith(f"taperplan: error: {path}: no plan: after 0 steps, at oxycodone ")
    assert "(60 MME/day)" in err
    assert "uk-opioids-aware pace's rules (a ceiling of 10% a cut" in err
    assert "Fix: allow the same drug's immediate-release tablet or oral solution" in err
    assert "[naloxone]" in err
    assert "Traceback" not in err
    # The fix the error names does give a plan.
    code, out, err = run(
        ["plan", str(path), "--start", START, "--format", "json", "--substitute"], capsys
    )
    assert code == 0, err
    assert json.loads(out)["steps"][-1]["kind"] == "stop"


def test_unknown_pace_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown --pace name is bad usage: exit 2, nothing on stdout."""
    code, out, err = run(["plan", str(SAMPLE), "--start", START, "--pace", "va-slowly"], capsys)
    assert code == 2
    assert out == ""
    assert "va-slowly" in err


#: Every preset of the clinical reference §2, with a phrase of its source's citation.
PRESET_CITATIONS = {
    "cdc-long-term": "CDC Clinical Practice Guideline",
    "cdc-short-term": "CDC Clinical Practice Guideline",
    "va-slowest": "Opioid Taper Decision Tool",
    "va-slower": "Opioid Taper Decision Tool",
    "va-faster": "Opioid Taper Decision Tool",
    "va-rapid": "Opioid Taper Decision Tool",
    "etg-short": "Therapeutic Guidelines",
    "etg-long": "Therapeutic Guidelines",
    "uk-opioids-aware": "Opioids Aware",
    "canada": "Canadian Guideline",
}


def test_paces_lists_every_preset_with_its_citation(capsys: pytest.CaptureFixture[str]) -> None:
    """``taperplan paces`` lists every preset, each followed by its source's citation."""
    code, out, _ = run(["paces"], capsys)
    assert code == 0
    blocks = {block.splitlines()[0].split()[0]: block for block in out.strip().split("\n\n")}
    assert set(blocks) == set(PRESET_CITATIONS)
    for name, citation in PRESET_CITATIONS.items():
        assert citation in blocks[name], name
    assert "supervised" in blocks["va-rapid"].splitlines()[0]


def test_plan_json_is_the_same_under_any_hash_seed() -> None:
    """The JSON plan does not depend on Python's hash seed (set and dict order)."""
    path = REGIMENS / "two-opioids.toml"
    script = (
        "import sys; from taperplan.cli.main import main; "
        f"sys.exit(main(['plan', {str(path)!r}, '--start', {START!r}, '--format', 'json']))"
    )
    outputs = set()
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["steps"][-1]["kind"] == "stop"


# --- output files (--json, --csv, --ics, --fhir, --handout, --chart, --force) -------------

ALL_OUTPUTS = {
    "--json": "plan.json",
    "--csv": "plan.csv",
    "--ics": "plan.ics",
    "--fhir": "plan.fhir.json",
    "--handout": "plan.html",
    "--chart": "plan.svg",
}


def plan_args(folder: Path, *extra: str, regimen: Path = SAMPLE) -> list[str]:
    """``plan REGIMEN --start 2027-01-04 --generated-on 2027-01-01`` plus every output in
    ``folder`` and ``extra``."""
    args = ["plan", str(regimen), "--start", START, "--generated-on", "2027-01-01"]
    for option, name in ALL_OUTPUTS.items():
        args += [option, str(folder / name)]
    return [*args, *extra]


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` (temporary files included) and its bytes."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def sample_plan_object() -> Any:
    """The plan the CLI makes of the sample regimen from START."""
    from taperplan import plan_taper  # noqa: PLC0415

    return plan_taper(load_regimen(SAMPLE), start=dt.date(2027, 1, 4))


def test_every_output_is_written_and_stdout_is_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """All six files appear, each equal to its exporter's output for the same plan, and stdout
    is the --format output exactly as without them."""
    from taperplan.formats.chart import plan_chart  # noqa: PLC0415
    from taperplan.formats.csv import plan_to_csv  # noqa: PLC0415
    from taperplan.formats.fhir import fhir_to_json, plan_to_fhir  # noqa: PLC0415
    from taperplan.formats.handout import plan_to_handout  # noqa: PLC0415
    from taperplan.formats.ics import plan_to_ics  # noqa: PLC0415
    from taperplan.formats.json import plan_to_json  # noqa: PLC0415
    from taperplan.prescribing import prescriptions  # noqa: PLC0415

    _, alone, _ = run(["plan", str(SAMPLE), "--start", START, "--format", "json"], capsys)
    code, out, err = run(plan_args(tmp_path, "--format", "json"), capsys)
    assert code == 0, err
    assert out == alone
    plan = sample_plan_object()
    stamp = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)
    assert files_in(tmp_path) == {
        "plan.csv": plan_to_csv(plan).encode(),
        "plan.fhir.json": fhir_to_json(plan_to_fhir(plan, fills=prescriptions(plan))).encode(),
        "plan.html": plan_to_handout(plan, generated_on=dt.date(2027, 1, 1)).encode(),
        "plan.ics": plan_to_ics(plan, dtstamp=stamp),
        "plan.json": plan_to_json(plan).encode(),
        "plan.svg": plan_chart(plan, fmt="svg"),
    }
    assert (tmp_path / "plan.json").read_text(encoding="utf-8") == out


def test_two_runs_give_byte_identical_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same command twice (the second with --force) writes the same bytes, PNG included."""
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, force in ((first, ()), (second, ()), (second, ("--force",))):
        folder.mkdir(exist_ok=True)
        args = plan_args(folder, *force)
        args[args.index("--chart") + 1] = str(folder / "plan.png")
        code, _, err = run(args, capsys)
        assert code == 0, err
    assert files_in(first) == files_in(second)
    assert files_in(first)["plan.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert len(files_in(first)) == len(ALL_OUTPUTS)


def test_json_and_csv_files_hold_what_stdout_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json FILE is --format json's text; --csv FILE is --format csv's."""
    for fmt in ("json", "csv"):
        _, printed, _ = run(["plan", str(SAMPLE), "--start", START, "--format", fmt], capsys)
        target = tmp_path / f"out.{fmt}"
        code, _, err = run(["plan", str(SAMPLE), "--start", START, f"--{fmt}", str(target)], capsys)
        assert code == 0, err
        assert target.read_bytes() == printed.encode()


def test_an_existing_output_is_kept_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One existing file among six: exit 2, a one-line message naming it and --force, nothing
    on stdout, the file unchanged and none of the other five written."""
    (tmp_path / "plan.ics").write_bytes(b"my calendar")
    code, out, err = run(plan_args(tmp_path), capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert str(tmp_path / "plan.ics") in err
    assert "--force" in err
    assert files_in(tmp_path) == {"plan.ics": b"my calendar"}


def test_several_existing_outputs_are_all_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every existing file is named in the one line."""
    (tmp_path / "plan.json").write_text("old", encoding="utf-8")
    (tmp_path / "plan.csv").write_text("old", encoding="utf-8")
    code, out, err = run(plan_args(tmp_path), capsys)
    assert (code, out) == (2, "")
    assert str(tmp_path / "plan.json") in err
    assert str(tmp_path / "plan.csv") in err
    assert "--force" in err
    assert set(files_in(tmp_path)) == {"plan.json", "plan.csv"}


def test_force_replaces_existing_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --force the old files are replaced and no temporary file is left."""
    (tmp_path / "plan.json").write_text("old", encoding="utf-8")
    code, out, err = run(plan_args(tmp_path, "--force", "--format", "json"), capsys)
    assert code == 0, err
    assert (tmp_path / "plan.json").read_text(encoding="utf-8") == out
    assert sorted(files_in(tmp_path)) == sorted(ALL_OUTPUTS.values())


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--json", "{folder}/missing/plan.json"], "does not exist"),
        (["--json", "{folder}/a.json", "--csv", "{folder}/./a.json"], "name the same file"),
        (["--chart", "{folder}/plan.jpg"], "must end in .png or .svg"),
        (["--handout", "{folder}/plan.doc"], "must end in .html or .pdf"),
        (["--paper", "a4"], "--paper: applies to a PDF"),
        (["--format", "csv", "--details"], "--details: applies to the table"),
        (["--alarm", "10"], "calendar options need --ics"),
        (["--discreet", "--one-event-per-dose"], "calendar options need --ics"),
        (["--generated-on", "2027-01-01"], "add --handout"),
        (["--ics", "{folder}/a.ics", "--dtstamp", "2027-01-01T09:00"], "no UTC offset"),
        (["--ics", "{folder}/a.ics", "--dtstamp", "soon"], "not an ISO date and time"),
        (["--ics", "{folder}/a.ics", "--alarm", "5000"], "--alarm"),
        (["--ics", "{folder}/a.ics", "--alarm", "-1"], "--alarm"),
    ],
)
def test_bad_output_options_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], needle: str
) -> None:
    """Bad output options: exit 2, the problem on stderr, nothing on stdout or on disk."""
    args = ["plan", str(SAMPLE), "--start", START]
    args += [item.format(folder=tmp_path) for item in extra]
    code, out, err = run(args, capsys)
    assert (code, out) == (2, "")
    assert needle in err
    assert "Traceback" not in err
    assert files_in(tmp_path) == {}


def test_a_calendar_needs_the_regimen_timezone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--ics for a regimen without `timezone`: exit 2 naming the file and `timezone`, nothing
    written."""
    regimen = REGIMENS / "uneven-split-doses.toml"
    assert "timezone" not in regimen.read_text(encoding="utf-8")
    code, out, err = run(
        ["plan", str(regimen), "--start", START, "--ics", str(tmp_path / "a.ics"),
         "--json", str(tmp_path / "a.json")],
        capsys,
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err.startswith(f"taperplan: error: {regimen}: timezone: ")
    assert files_in(tmp_path) == {}


def calendar_of(path: Path) -> Any:
    """The calendar file parsed by icalendar."""
    import icalendar  # noqa: PLC0415

    return icalendar.Calendar.from_ical(path.read_bytes())


def test_calendar_dtstamp_defaults_to_the_start_at_midnight_utc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --dtstamp every DTSTAMP is the start date at 00:00 UTC; with it, that moment
    in UTC."""
    default, given = tmp_path / "default.ics", tmp_path / "given.ics"
    base = ["plan", str(SAMPLE), "--start", START]
    assert run([*base, "--ics", str(default)], capsys)[0] == 0
    assert (
        run([*base, "--ics", str(given), "--dtstamp", "2027-01-01T09:30:00+01:00"], capsys)[0] == 0
    )
    stamps = {e.get("DTSTAMP").dt for e in calendar_of(default).walk("VEVENT")}
    assert stamps == {dt.datetime(2027, 1, 4, tzinfo=dt.UTC)}
    stamps = {e.get("DTSTAMP").dt for e in calendar_of(given).walk("VEVENT")}
    assert stamps == {dt.datetime(2027, 1, 1, 8, 30, tzinfo=dt.UTC)}


def test_calendar_options_reach_the_calendar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--alarm adds a reminder to every dose, --discreet keeps the drug out of the titles,
    --one-event-per-dose drops the repeat rules."""
    plain, custom = tmp_path / "plain.ics", tmp_path / "custom.ics"
    base = ["plan", str(SAMPLE), "--start", START]
    assert run([*base, "--ics", str(plain)], capsys)[0] == 0
    code, _, err = run(
        [*base, "--ics", str(custom), "--alarm", "15", "--discreet", "--one-event-per-dose"],
        capsys,
    )
    assert code == 0, err
    plain_events = calendar_of(plain).walk("VEVENT")
    events = calendar_of(custom).walk("VEVENT")
    doses = [e for e in events if "Dose" in str(e.get("CATEGORIES").to_ical())]
    assert any(e.get("RRULE") for e in plain_events)
    assert not any(e.get("RRULE") for e in events)
    assert len(events) > len(plain_events)
    assert doses
    assert all(
        str(a.get("TRIGGER").to_ical()) == "b'-PT15M'" for e in doses for a in e.walk("VALARM")
    )
    assert all(e.walk("VALARM") for e in doses)
    assert not any("oxycodone" in str(e.get("SUMMARY")).lower() for e in events)
    assert any("oxycodone" in str(e.get("SUMMARY")).lower() for e in plain_events)


def test_calendar_warnings_go_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A dose time the spring clock change skips is warned about on stderr, and only with --ics."""
    regimen = tmp_path / "dst.toml"
    regimen.write_text(
        'timezone = "America/New_York"\n\n[[medication]]\ndrug = "oxycodone"\n'
        'form = "oral_solution"\nstrength = "1 mg/mL"\ndose = "10 mg"\n'
        'times = ["02:30", "14:00"]\n\n[pace]\npreset = "va-faster"\n',
        encoding="utf-8",
    )
    base = ["plan", str(regimen), "--start", "2027-03-01"]
    code, _, err = run([*base, "--ics", str(tmp_path / "dst.ics")], capsys)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("taperplan: warning: ")]
    assert len(warnings) == 1
    assert "02:30" in warnings[0]
    assert "2027-03-14" in warnings[0]
    code, _, err = run(base, capsys)
    # (once 2027-03-01 has passed, --start is also warned about as a day in the past)
    assert (code, [e for e in err.splitlines() if "is in the past" not in e]) == (0, [])


def test_start_in_the_past_is_warned_about(capsys: pytest.CaptureFixture[str]) -> None:
    """A --start before today still plans (a plan may be written down after it began),
    with a warning on stderr; stdout is the plan."""
    code, out, err = run(["plan", str(SAMPLE), "--start", "2020-01-06", "--format", "json"], capsys)
    assert code == 0, err
    assert json.loads(out)["start"] == "2020-01-06"
    assert "taperplan: warning: --start 2020-01-06 is in the past" in err


def test_fhir_output_is_a_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--fhir writes a FHIR Bundle of MedicationRequests as JSON."""
    target = tmp_path / "plan.fhir.json"
    code, _, err = run(["plan", str(SAMPLE), "--start", START, "--fhir", str(target)], capsys)
    assert code == 0, err
    bundle = json.loads(target.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert "MedicationRequest" in kinds


def test_handout_prints_the_given_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--generated-on is the date on the handout; the page embeds the chart."""
    from taperplan.formats.handout import long_date  # noqa: PLC0415

    target = tmp_path / "plan.html"
    code, _, err = run(
        ["plan", str(SAMPLE), "--start", START, "--handout", str(target),
         "--generated-on", "2027-01-02"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    page = target.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert long_date(dt.date(2027, 1, 2)) in page
    assert "<svg" in page


def hide_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import matplotlib`` fail, as without the chart extra."""
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)


def test_chart_without_matplotlib_exits_2_with_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--chart without matplotlib: exit 2 telling to install taperplan[chart]; nothing written."""
    hide_matplotlib(monkeypatch)
    code, out, err = run(
        ["plan", str(SAMPLE), "--start", START, "--chart", str(tmp_path / "c.svg"),
         "--json", str(tmp_path / "p.json")],
        capsys,
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert 'pip install "taperplan[chart]"' in err
    assert files_in(tmp_path) == {}


def test_handout_without_matplotlib_is_written_without_its_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handout is complete without the chart: written, with a warning naming the extra."""
    hide_matplotlib(monkeypatch)
    target = tmp_path / "plan.html"
    code, _, err = run(["plan", str(SAMPLE), "--start", START, "--handout", str(target)], capsys)
    assert code == 0, err
    assert "taperplan: warning: the handout has no chart" in err
    assert 'pip install "taperplan[chart]"' in err
    assert "<svg" not in target.read_text(encoding="utf-8")


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that fills up while writing: exit 2, the old file intact, no temporary file."""
    import errno  # noqa: PLC0415

    target = tmp_path / "plan.json"
    target.write_text("old", encoding="utf-8")

    def full_disk(_descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    code, out, err = run(
        ["plan", str(SAMPLE), "--start", START, "--json", str(target), "--force"], capsys
    )
    assert (code, out) == (2, "")
    assert "No space left" in err
    assert files_in(tmp_path) == {"plan.json": b"old"}

"""``taperplan plan`` and ``taperplan paces`` through the CLI's ``main`` (interfaces.md §2, §4).

Every JSON plan the CLI prints is run through the independent invariant checker.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from plan_invariants import check_plan_invariants
from taperplan import Pace, Regimen, load_regimen, preset
from taperplan._cli import main

REGIMENS = Path(__file__).parent / "data" / "regimens"
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
    """``--format table`` prints every step's start date and the pace."""
    path = REGIMENS / "morphine-er-va-slower.toml"
    data = plan_json(path, capsys)
    code, out, err = run(["plan", str(path), "--start", START, "--format", "table"], capsys)
    assert code == 0, err
    assert "va-slower" in out
    for step in data["steps"]:
        assert step["start"] in out


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
    """ER tablets under cdc-long-term: exit 2, the fixes on stderr, nothing on stdout."""
    path = tmp_path / "stuck.toml"
    path.write_text(
        '[[medication]]\ndrug = "oxycodone"\nform = "er_tablet"\nstrength = "20 mg"\n'
        'dose = "20 mg"\ntimes = ["08:00", "20:00"]\n\n[pace]\npreset = "cdc-long-term"\n',
        encoding="utf-8",
    )
    code, out, err = run(["plan", str(path), "--start", START, "--format", "json"], capsys)
    assert code == 2
    assert out == ""
    assert "Fixes" in err
    assert "cdc-long-term" in err
    assert "Traceback" not in err


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
        "import sys; from taperplan._cli import main; "
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

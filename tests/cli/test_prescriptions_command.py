"""Prescriptions from the command line: ``plan --prescriptions FILE``, ``--format rx`` and
``rx-csv``, and the fill options (issue 12 item 1; interfaces.md §2, §6)."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import pytest

from taperplan import load_regimen, plan_taper, prescriptions
from taperplan.cli.main import main
from taperplan.formats.rx import prescriptions_to_csv

SAMPLE = Path(str(resources.files("taperplan") / "data" / "sample-regimen.toml"))
PATCH = (
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


def library_csv(path: Path, **options: object) -> str:
    plan = plan_taper(load_regimen(path), start=dt.date(2027, 1, 4))
    return prescriptions_to_csv(prescriptions(plan, **options))  # type: ignore[arg-type]


def test_prescriptions_file_is_the_library_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file holds what the library writes, and is not replaced without --force."""
    out = tmp_path / "fills.csv"
    code, _, err = run(["plan", str(PATCH), "--start", START, "--prescriptions", str(out)], capsys)
    assert code == 0, err
    assert out.read_text(encoding="utf-8") == library_csv(PATCH)
    code, printed, err = run(
        ["plan", str(PATCH), "--start", START, "--prescriptions", str(out)], capsys
    )
    assert code == 2
    assert printed == ""
    assert "exists" in err


def test_fill_options_reach_the_csv(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", str(PATCH), "--start", START, "--format", "rx-csv", "--fill-days", "14",
            "--fills-across-steps", "--dispense", "weekly"]  # fmt: skip
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert out == library_csv(PATCH, every_days=14, per_step=False, dispense_every=7)


def test_the_rx_table_fits_80_columns_and_says_what_it_is(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(["plan", str(SAMPLE), "--start", START, "--format", "rx"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Prescriptions: ")
    assert max(len(line) for line in lines) <= 80
    assert "decision support for clinicians" in " ".join(out.split())
    assert "tablets" in out
    assert "Take by mouth:" in out


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--fill-days", "14"], "--fill-days: fill options need --prescriptions FILE, --fhir FILE, --handout FILE or --format rx"),
        (["--dispense", "daily"], "--dispense: fill options need"),
        (["--format", "rx", "--fill-days", "3", "--dispense", "weekly"],
         "--dispense weekly: an instalment is longer than a fill of 3 days"),
        (["--format", "rx", "--fill-days", "0"], "--fill-days"),
    ],
)  # fmt: skip
def test_fill_options_misused_exit_2(
    extra: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["plan", str(SAMPLE), "--start", START, *extra], capsys)
    assert code == 2
    assert out == ""
    assert words in err
    assert "Traceback" not in err

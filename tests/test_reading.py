"""The readers' shared helpers: one date parser (YYYY-MM-DD only) and one "did you mean"."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperplan import InvalidLogError, InvalidRegimenError, load_log, regimen_from_mapping
from taperplan._reading import (
    ReadRefused,
    close_to,
    did_you_mean,
    iso_date,
    iso_date_shaped,
    read_limited,
)
from taperplan.cli.main import main

SAMPLE = str(Path(__file__).parents[1] / "src" / "taperplan" / "data" / "sample-regimen.toml")


@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_every_day_written_yyyy_mm_dd_reads_back(day: dt.date) -> None:
    """Every calendar day from year 1000 on, written as the documents write it, reads back."""
    assert iso_date(day.isoformat()) == day
    assert iso_date_shaped(day.isoformat())


@pytest.mark.parametrize(
    "text",
    [
        "20270104",  # fromisoformat takes it; the documents do not
        "2027-W01-1",  # a week date
        "2027-004",  # an ordinal date
        "2027-01-04T08:00",
        "2027-01-04 ",
        " 2027-01-04",
        "2027-1-4",
        "\uff12\uff10\uff12\uff17-01-04",  # fullwidth digits
        "\u0662\u0660\u0662\u0667-01-04",  # Arabic-Indic digits
        "2027-02-30",  # not a day of the calendar
        "2027-13-01",
        "",
    ],
)
def test_other_shapes_and_impossible_days_are_not_dates(text: str) -> None:
    assert iso_date(text) is None


def test_the_shape_is_told_apart_from_an_impossible_day() -> None:
    """The command line says which: the shape is wrong, or the month has no such day."""
    assert iso_date_shaped("2027-02-30")
    assert not iso_date_shaped("20270230")


def test_did_you_mean_names_the_closest_known_words() -> None:
    assert did_you_mean("oxycodon", ["oxycodone", "morphine"], otherwise="x") == (
        "did you mean 'oxycodone'?"
    )
    assert (
        did_you_mean(
            "tapentadol er", ["tapentadol er_tablet", "tapentadol ir_tablet"], n=2, otherwise="x"
        )
        == "did you mean 'tapentadol er_tablet' or 'tapentadol ir_tablet'?"
    )
    assert did_you_mean("zzz", ["oxycodone"], otherwise="use one of oxycodone") == (
        "use one of oxycodone"
    )
    assert (
        close_to("cdc-long", ["cdc-long-term", "cdc-short-term", "canada"], n=3, cutoff=0.5)[0]
        == "cdc-long-term"
    )


def test_a_regimen_date_in_another_iso_shape_is_refused_with_the_fix() -> None:
    """``on_opioids_since`` as ``20210301`` was read as a date before; the regimen file
    documents YYYY-MM-DD, and every reader now takes only that."""
    mapping = {
        "context": {"on_opioids_since": "20210301"},
        "medication": [
            {
                "drug": "oxycodone",
                "form": "ir_tablet",
                "strength": "5 mg",
                "dose": "5 mg",
                "times": ["08:00"],
            }
        ],
    }
    with pytest.raises(InvalidRegimenError) as caught:
        regimen_from_mapping(mapping)
    assert "context.on_opioids_since" in str(caught.value)
    assert "YYYY-MM-DD" in str(caught.value)
    mapping["context"] = {"on_opioids_since": "2021-03-01"}
    regimen = regimen_from_mapping(mapping)
    assert regimen.context.on_opioids_since == dt.date(2021, 3, 1)


class TestFreeTextLimits:
    """Free text that reaches outputs is short, one line and text (issue 15 item 1)."""

    @pytest.mark.parametrize(
        ("name", "words"),
        [
            (["a", "b"], "must be text, not a list"),
            ("x" * 81, "1 to 80 characters"),
            ("   ", "1 to 80 characters"),
            ("tab\there", "control characters"),
        ],
    )
    def test_a_custom_pace_name(self, name: object, words: str) -> None:
        mapping = {
            "medication": [
                {"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg",
                 "dose": "20 mg", "times": ["08:00", "20:00"]}
            ],
            "pace": {"preset": "va-slower", "percent": 5, "name": name},
        }  # fmt: skip
        with pytest.raises(InvalidRegimenError) as raised:
            regimen_from_mapping(mapping)
        problems = {p.path: p.message for p in raised.value.problems}
        assert words in problems["pace.name"]

    def test_a_log_note_of_more_than_2000_characters(self, tmp_path: Path) -> None:
        log = tmp_path / "log.csv"
        log.write_text(
            f"date,scale,total,notes\n2027-01-10,cows,5,{'x' * 2001}\n", encoding="utf-8"
        )
        with pytest.raises(InvalidLogError) as raised:
            load_log(log)
        assert "more than 2000" in str(raised.value)


class TestReadLimited:
    """One reader for every file taperplan reads (issue 15 item 3): regular files only,
    and it stops while reading, whatever ``stat`` says."""

    def test_a_file_within_the_limit(self, tmp_path: Path) -> None:
        path = tmp_path / "a.toml"
        path.write_bytes(b"x" * 10)
        assert read_limited(path, 10) == b"x" * 10
        with pytest.raises(ReadRefused, match="more than 9 bytes"):
            read_limited(path, 9)

    @pytest.mark.skipif(not Path("/dev/zero").exists(), reason="a device file")
    def test_a_device_is_refused_at_once(self) -> None:
        with pytest.raises(ReadRefused, match="not a regular file"):
            read_limited("/dev/zero", 1024)

    @pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
    def test_a_pipe_without_a_writer_does_not_hang(self, tmp_path: Path) -> None:
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        with pytest.raises(ReadRefused, match="not a regular file"):
            read_limited(fifo, 1024)

    def test_a_folder_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises((ReadRefused, OSError)):
            read_limited(tmp_path, 1024)

    @pytest.mark.skipif(not Path("/dev/zero").exists(), reason="a device file")
    @pytest.mark.parametrize(
        "argv",
        [
            ["plan", "/dev/zero", "--start", "2027-01-04"],
            ["pause", "/dev/zero", "--on", "2027-01-10", "--days", "3"],
            ["batch", "/dev/zero", "--out", "OUT"],
        ],
    )
    def test_the_command_line_exits_2_on_a_device(
        self, argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert "not a regular file" in err


class TestNoInternalErrorForBadInput:
    """Bad input exits 2 with a message, never 1 ("internal error", issue 15 item 3)."""

    @pytest.mark.parametrize("start", ["0001-01-01", "9999-12-01"])
    def test_a_start_far_from_now(self, start: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["plan", SAMPLE, "--start", start]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert "outside the dates taperplan plans for" in err

    def test_a_superscript_digit_is_no_pain_score(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        plan = tmp_path / "plan.json"
        assert main(["plan", SAMPLE, "--start", "2027-01-04", "--json", str(plan)]) == 0
        log = tmp_path / "log.csv"
        log.write_text("date,scale,total,pain\n2027-01-10,cows,5,²\n", encoding="utf-8")
        capsys.readouterr()
        assert main(["review", str(plan), str(log)]) == 2
        assert "is not a whole number" in capsys.readouterr().err

    def test_a_nul_in_a_batch_path_fails_that_patient_only(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        batch = tmp_path / "batch.csv"
        batch.write_text("id,regimen\np1,a\x00b.toml\n", encoding="utf-8")
        out = tmp_path / "out"
        assert main(["batch", str(batch), "--out", str(out), "--start", "2027-01-04"]) == 0
        assert "NUL character" in (out / "summary.csv").read_text(encoding="utf-8")

    def test_batch_out_under_a_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (tmp_path / "afile").write_text("x", encoding="utf-8")
        folder = str(Path(__file__).parent / "data" / "clinic")
        assert main(["batch", folder, "--out", str(tmp_path / "afile" / "sub")]) == 2
        assert "cannot be a folder" in capsys.readouterr().err


class TestListLimits:
    """Every list in a regimen and every log has a limit (issue 15 item 3), so the
    planner's work stays bounded: 4,000 available strengths are refused at once."""

    def test_a_long_available_list_is_refused_at_once(self) -> None:
        available = [f"{n} mg" for n in range(1, 4001)]
        entry = {
            "drug": "oxycodone",
            "form": "ir_tablet",
            "strength": "5 mg",
            "dose": "5 mg",
            "times": ["08:00"],
            "available": available,
        }
        with pytest.raises(InvalidRegimenError) as raised:
            regimen_from_mapping({"medication": [entry]})
        (problem,) = raised.value.problems
        assert problem.path == "medication[0].available"
        assert "4000 items, more than 20" in problem.message

    def test_a_log_of_too_many_rows(self, tmp_path: Path) -> None:
        rows = "".join(f"2027-01-{1 + n % 28:02},cows,5\n" for n in range(3701))
        log = tmp_path / "log.csv"
        log.write_text("date,scale,total\n" + rows, encoding="utf-8")
        with pytest.raises(InvalidLogError, match="more than 3700 rows"):
            load_log(log)

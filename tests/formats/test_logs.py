"""Tests for symptom-log files (taperplan.formats.logs): the CSV and TOML formats and their errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import log_entries
from taperplan.errors import InvalidLogError, TaperplanError
from taperplan.formats.logs import LOG_COLUMNS, load_log, parse_log_csv, parse_log_toml
from taperplan.reviewing.log import LogEntry, ScaleTotal
from taperplan.reviewing.scales import ScaleResult

D = dt.date
HEADER = "date,scale,total,pain,pain_site,pain_spread,allodynia,craving,loss_of_control,notes"
COWS_ITEMS = (
    "pulse", "sweating", "restlessness", "pupils", "bone_joint_aches", "runny_nose_tearing",
    "gi_upset", "tremor", "yawning", "anxiety_irritability", "gooseflesh",
)  # fmt: skip
#: A COWS answer set (total 15) in item order.
COWS_15 = (2, 2, 3, 2, 2, 1, 1, 0, 1, 1, 0)


def problems_of(error: pytest.ExceptionInfo[InvalidLogError]) -> list[tuple[str, str]]:
    """The (place, message) of every problem in an InvalidLogError."""
    return [(p.path, p.message) for p in error.value.problems]


class TestCSV:
    """The CSV format: the documented header, optional item columns, one row per entry."""

    def test_documented_header(self) -> None:
        """The documented columns are exactly those the reader knows, in order."""
        assert ",".join(LOG_COLUMNS) == HEADER

    def test_reads_every_field(self) -> None:
        """A full row becomes an entry with every field read and typed."""
        text = (
            f"{HEADER}\n"
            '2027-01-07,cows,14,7,low back,no,Yes,y,0,"sweating, yawning"\n'
            "2027-01-02,sows,8,,,,,,,\n"
        )
        log = parse_log_csv(text)
        assert log == (
            LogEntry(day=D(2027, 1, 2), scale=ScaleTotal.of("sows", 8)),
            LogEntry(
                day=D(2027, 1, 7),
                scale=ScaleTotal.of("cows", 14),
                pain=7,
                pain_site="low back",
                pain_spread=False,
                allodynia=True,
                craving=True,
                loss_of_control=False,
                notes="sweating, yawning",
            ),
        )

    def test_columns_in_any_order_and_subset(self) -> None:
        """Only ``date`` is required; columns may come in any order."""
        log = parse_log_csv("craving,date\nyes,2027-01-09\n,2027-01-10\n")
        assert log == (
            LogEntry(day=D(2027, 1, 9), craving=True),
            LogEntry(day=D(2027, 1, 10)),
        )

    def test_byte_order_mark_and_blank_rows(self, tmp_path: Path) -> None:
        """A UTF-8 byte-order mark (spreadsheets) and blank rows are accepted."""
        path = tmp_path / "log.csv"
        path.write_bytes(b"\xef\xbb\xbfdate,pain\n2027-01-09,3\n,\n\n2027-01-10,4\n")
        assert [(e.day, e.pain) for e in load_log(path)] == [
            (D(2027, 1, 9), 3),
            (D(2027, 1, 10), 4),
        ]

    def test_item_columns_are_scored(self) -> None:
        """A row with every ``cows.*`` column is scored into a full result (total 15, moderate)."""
        columns = ",".join(f"cows.{item}" for item in COWS_ITEMS)
        values = ",".join(map(str, COWS_15))
        (entry,) = parse_log_csv(f"date,scale,total,{columns}\n2027-01-07,cows,,{values}\n")
        assert isinstance(entry.scale, ScaleResult)
        assert (entry.scale.total, str(entry.scale.band)) == (15, "moderate")
        assert entry.scale.answers["restlessness"] == 3

    def test_total_must_match_items(self) -> None:
        """A total that is not the sum of the items is reported."""
        columns = ",".join(f"cows.{item}" for item in COWS_ITEMS)
        values = ",".join(map(str, COWS_15))
        with pytest.raises(InvalidLogError) as caught:
            parse_log_csv(f"date,scale,total,{columns}\n2027-01-07,cows,14,{values}\n")
        assert problems_of(caught) == [("row 2, total", "14 is not the sum of the items (15)")]

    def test_every_malformed_row_is_reported_at_once(self) -> None:
        """Bad rows are all reported together, each with its row number and field."""
        text = (
            f"{HEADER}\n"
            "2027-01-01,cows,2,4,low back,,,,,ok\n"
            "2027-13-07,cows,14,11,,,,,,\n"
            "2027-01-12,sows,99,4,,maybe,,,,\n"
            "2027-01-12,,5,,,,,,,\n"
            "2027-01-13,cow,3,,,,,,,\n"
            "2027-01-14,cows,5,,,,,,,a,b,c\n"
            ",,,,,,,sometimes,,\n"
        )
        with pytest.raises(InvalidLogError) as caught:
            parse_log_csv(text, source="log.csv")
        assert problems_of(caught) == [
            ("row 3, date", "'2027-13-07' is not a date"),
            ("row 3, pain", "'11' is not a whole number from 0 to 10"),
            ("row 4, total", "'99' is not a whole number from 0 to 64"),
            ("row 4, pain_spread", "'maybe' is not yes or no"),
            ("row 5, total", "a total without a scale"),
            ("row 6, scale", "'cow' is not a scale"),
            ("row 7", "12 fields, but the header has 10"),
            ("row 8, date", "missing"),
            ("row 8, craving", "'sometimes' is not yes or no"),
        ]
        message = str(caught.value)
        assert message.startswith("log.csv: 9 problems:\n")
        assert "row 6, scale: 'cow' is not a scale (fix: did you mean 'cows'?)" in message
        assert isinstance(caught.value, TaperplanError)
        assert isinstance(caught.value, ValueError)

    def test_header_problems(self) -> None:
        """Unknown and misspelt columns are reported on row 1 with a suggestion."""
        with pytest.raises(InvalidLogError) as caught:
            parse_log_csv("date,alodynia,cows.puls,cows.pulse,cows.pulse\n2027-01-01,,,,\n")
        assert [(p.path, p.message, p.fix) for p in caught.value.problems] == [
            ("row 1, column 2 ('alodynia')", "unknown column", "did you mean 'allodynia'?"),
            ("row 1, column 3 ('cows.puls')", "not an item of cows", "did you mean 'cows.pulse'?"),
            ("row 1, column 5 ('cows.pulse')", "appears twice", "keep one column of each name"),
        ]

    def test_no_date_column(self) -> None:
        """A header without ``date`` is refused with the documented header as the fix."""
        with pytest.raises(InvalidLogError) as caught:
            parse_log_csv("pain\n3\n")
        assert [(p.path, p.message, p.fix) for p in caught.value.problems] == [
            ("row 1", "no date column", f"start with the header: {HEADER}")
        ]

    def test_empty_file(self) -> None:
        """An empty file has no header row."""
        with pytest.raises(InvalidLogError, match="no header row"):
            parse_log_csv("")

    def test_item_scores_on_another_scale_row(self) -> None:
        """Item scores of one scale on a row of another scale are reported."""
        with pytest.raises(InvalidLogError) as caught:
            parse_log_csv("date,scale,total,cows.pulse\n2027-01-01,sows,4,1\n")
        assert problems_of(caught) == [
            ("row 2, cows.pulse", "a cows score on a row whose scale is sows")
        ]

    def test_partial_items_list_every_missing_item(self) -> None:
        """Some item columns filled and others empty: each missing item is named."""
        columns = ",".join(f"cows.{item}" for item in COWS_ITEMS)
        values = ",".join(["4", "x", *([""] * 9)])
        with pytest.raises(InvalidLogError) as caught:
            parse_log_csv(f"date,scale,{columns}\n2027-01-07,cows,{values}\n")
        found = problems_of(caught)
        assert found[:2] == [
            ("row 2, cows.sweating", "'x' is not a whole number"),
            ("row 2, cows.restlessness", "missing"),
        ]
        assert [path for path, _ in found] == [f"row 2, cows.{i}" for i in COWS_ITEMS[1:]]

    def test_scale_without_total_or_items(self) -> None:
        """A scale with neither total nor items is reported."""
        with pytest.raises(InvalidLogError) as caught:
            parse_log_csv("date,scale,total\n2027-01-07,cows,\n")
        assert problems_of(caught) == [("row 2, scale", "cows has no total and no item scores")]


class TestTOML:
    """The TOML format: ``[[entry]]`` tables with TOML dates, booleans and an ``items`` table."""

    def test_reads_entries(self) -> None:
        """Entries with a total, items, strings for dates and booleans are read and sorted."""
        items = ", ".join(f"{k} = {v}" for k, v in zip(COWS_ITEMS, COWS_15, strict=True))
        text = (
            "[[entry]]\n"
            'date = "2027-01-09"\ncraving = true\nnotes = "asked for an early refill"\n\n'
            "[[entry]]\n"
            f'date = 2027-01-07\nscale = "cows"\nitems = {{ {items} }}\npain = 7\n'
            'pain_site = "low back"\n\n'
            "[[entry]]\n"
            'date = 2027-01-08\nscale = "sows-gossop"\ntotal = 9\n'
        )
        first, second, third = parse_log_toml(text)
        assert isinstance(first.scale, ScaleResult)
        assert (first.day, first.scale.total, first.pain, first.pain_site) == (
            D(2027, 1, 7),
            15,
            7,
            "low back",
        )
        assert second == LogEntry(day=D(2027, 1, 8), scale=ScaleTotal.of("sows-gossop", 9))
        assert third == LogEntry(day=D(2027, 1, 9), craving=True, notes="asked for an early refill")

    def test_every_problem_reported_with_its_path(self) -> None:
        """Unknown keys, a datetime, bad values and items without a scale are all reported."""
        text = (
            "title = 'my log'\n"
            "[[entry]]\ndate = 2027-01-07\npain = 12\n\n"
            "[[entry]]\ndate = 2027-01-10T08:00:00\ncolour = 'red'\nitems = { pulse = 1 }\n\n"
            "[[entry]]\ndate = 2027-01-11\nscale = 'cows'\nitems = { pulse = 3, sweating = 0 }\n"
            "craving = 'often'\n"
        )
        with pytest.raises(InvalidLogError) as caught:
            parse_log_toml(text, source="log.toml")
        found = problems_of(caught)
        assert found[:6] == [
            ("title", "unknown key"),
            ("entry[0].pain", "12 is not a whole number from 0 to 10"),
            ("entry[1].colour", "unknown key"),
            ("entry[1].date", "2027-01-10T08:00:00 is not a date"),
            ("entry[1].items.pulse", "an item score without a scale"),
            ("entry[2].items.pulse", "3 is not a legal score"),
        ]
        assert ("entry[2].items.restlessness", "missing") in found
        assert found[-1] == ("entry[2].craving", "'often' is not yes or no")
        assert str(caught.value).startswith(f"log.toml: {len(found)} problems:")

    def test_syntax_error(self) -> None:
        """A TOML syntax error is reported with its line."""
        with pytest.raises(InvalidLogError, match=r"not valid TOML: .*line 1"):
            parse_log_toml("[[entry]\n")

    def test_entry_must_be_tables(self) -> None:
        """``entry`` that is not a list of tables is reported."""
        with pytest.raises(InvalidLogError) as caught:
            parse_log_toml("entry = 3\n")
        assert problems_of(caught) == [("entry", "must be a list of tables")]


class TestLoadLog:
    """load_log picks the format by the file's suffix and names the file in errors."""

    def test_csv_and_toml_read_alike(self, tmp_path: Path) -> None:
        """The same entries written as CSV and as TOML load equal."""
        (tmp_path / "log.csv").write_text(f"{HEADER}\n2027-01-07,cows,14,6,,,,yes,,\n")
        (tmp_path / "log.TOML").write_text(
            '[[entry]]\ndate = 2027-01-07\nscale = "cows"\ntotal = 14\npain = 6\ncraving = true\n'
        )
        assert load_log(tmp_path / "log.csv") == load_log(tmp_path / "log.TOML")

    def test_unknown_suffix(self, tmp_path: Path) -> None:
        """A .txt log is refused naming the file and the formats."""
        path = tmp_path / "log.txt"
        path.write_text("date\n")
        with pytest.raises(InvalidLogError) as caught:
            load_log(path)
        assert str(caught.value) == (
            f"{path}: 1 problem:\n  unknown log format '.txt' "
            "(fix: use a .csv or .toml file (see docs/review.md))"
        )

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is an InvalidLogError naming it."""
        with pytest.raises(InvalidLogError, match=r"log\.csv: 1 problem:\n  cannot read the file"):
            load_log(tmp_path / "log.csv")

    def test_not_utf8(self, tmp_path: Path) -> None:
        """A file that is not UTF-8 is reported as such."""
        path = tmp_path / "log.csv"
        path.write_bytes(b"date,notes\n2027-01-01,caf\xe9\n")
        with pytest.raises(InvalidLogError, match="not UTF-8 text"):
            load_log(path)


def _csv_text(entries: list[LogEntry]) -> str:
    """Write entries as a CSV log, independently of taperplan's reader."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER.split(","))

    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    for e in entries:
        writer.writerow(
            [
                e.day.isoformat(),
                "" if e.scale is None else e.scale.scale,
                "" if e.scale is None else e.scale.total,
                *(
                    cell(v)
                    for v in (
                        e.pain,
                        e.pain_site,
                        e.pain_spread,
                        e.allodynia,
                        e.craving,
                        e.loss_of_control,
                    )
                ),
                e.notes,
            ]
        )
    return out.getvalue()


def _toml_text(entries: list[LogEntry]) -> str:
    """Write entries as a TOML log, independently of taperplan's reader."""
    blocks = []
    for e in entries:
        lines = ["[[entry]]", f"date = {e.day.isoformat()}"]
        if e.scale is not None:
            lines += [f'scale = "{e.scale.scale}"', f"total = {e.scale.total}"]
        if e.pain is not None:
            lines.append(f"pain = {e.pain}")
        if e.pain_site is not None:
            lines.append(f'pain_site = "{e.pain_site}"')
        for name in ("pain_spread", "allodynia", "craving", "loss_of_control"):
            value = getattr(e, name)
            if value is not None:
                lines.append(f"{name} = {'true' if value else 'false'}")
        if e.notes:
            lines.append(f'notes = "{e.notes}"')
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


_ENTRIES = st.lists(log_entries(D(2026, 1, 1), D(2028, 12, 31)), max_size=12)


class TestRoundTrip:
    """Entries written in either format read back equal."""

    @given(_ENTRIES)
    def test_csv_round_trip(self, entries: list[LogEntry]) -> None:
        """Writing entries as CSV and reading them back gives the entries, sorted by day."""
        assert parse_log_csv(_csv_text(entries)) == tuple(sorted(entries, key=lambda e: e.day))

    @given(_ENTRIES)
    def test_toml_round_trip(self, entries: list[LogEntry]) -> None:
        """Writing entries as TOML and reading them back gives the entries, sorted by day."""
        assert parse_log_toml(_toml_text(entries)) == tuple(sorted(entries, key=lambda e: e.day))

"""Batch planning: ``plan_many`` / ``plan_one`` and ``taperplan batch``.

The process-pool tests start real worker processes (spawn), so they take a
second or two each.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import json
import pickle
import shutil
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from support import ROOT
from taperplan import (
    InvalidRegimenError,
    PlanningError,
    load_regimen,
    plan_taper,
    regimen_from_mapping,
)
from taperplan.batch import (
    SUMMARY_COLUMNS,
    BatchItem,
    BatchResult,
    batch_items,
    iter_ordered,
    load_batch,
    parse_batch_csv,
    plan_many,
    plan_one,
    summary_row,
)
from taperplan.batch._pickling import dumps
from taperplan.batch._worker import packed_together
from taperplan.batch.manifest import MANIFEST_FILE
from taperplan.cli import batch as _cli_batch
from taperplan.cli.batch import COLUMNS, batch
from taperplan.cli.main import cli, main
from taperplan.errors import BatchInputError, StoppedAt
from taperplan.formats import csv as _csv
from taperplan.formats.json import plan_to_dict, plan_to_json, to_json

REGIMENS = ROOT / "tests" / "data" / "regimens"
CLINIC = ROOT / "examples" / "data" / "clinic.csv"
START = dt.date(2027, 1, 4)
TODAY = dt.date(2026, 11, 24)
#: 2026-11-24T12:00:00Z, the calendars' DTSTAMP in the CLI tests.
EPOCH = "1795521600"

GOOD = """\
timezone = "America/New_York"

[[medication]]
drug = "oxycodone"
form = "ir_tablet"
strength = ["5 mg", "10 mg"]
dose = "{dose} mg"
times = ["08:00", "20:00"]

[pace]
preset = "va-slower"
"""
#: Oxycodone ER 40 mg/day in 10 and 20 mg tablets with substitution off: no cut fits the
#: uk-opioids-aware ceiling of 10% (the smallest ER cut is 25%), so the planner refuses.
STUCK = """\
[[medication]]
drug = "oxycodone"
form = "er_tablet"
strength = ["10 mg", "20 mg"]
dose = "20 mg"
times = ["08:00", "20:00"]

[pace]
preset = "uk-opioids-aware"
substitute = false
"""
MALFORMED = '[[medication]]\ndrug = "oxycodone\n'
NO_ZONE = GOOD.format(dose=10).replace('timezone = "America/New_York"\n', "")


@pytest.fixture(autouse=True)
def registered() -> None:
    """Register ``batch`` on the main group, as taperplan.cli.main will (idempotent)."""
    cli.add_command(batch)


@pytest.fixture
def epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed DTSTAMP for the calendars, so runs compare byte for byte."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def regimen_folder(tmp_path: Path, count: int = 12, bad: dict[int, str] | None = None) -> Path:
    """``count`` regimen files r00.toml..., with the text ``bad[i]`` in place of file i."""
    folder = tmp_path / "regimens"
    folder.mkdir()
    for index in range(count):
        text = (bad or {}).get(index, GOOD.format(dose=5 * (1 + index % 4)))
        (folder / f"r{index:02}.toml").write_text(text, encoding="utf-8")
    return folder


def listing(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` by name, with its bytes, but the batch's manifest (its
    bookkeeping, which records the run's own order)."""
    return {
        path.name: path.read_bytes()
        for path in sorted(folder.iterdir())
        if path.name != MANIFEST_FILE
    }


def summary(folder: Path) -> list[dict[str, str]]:
    """The rows of ``folder/summary.csv``."""
    text = (folder / "summary.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


class TestLoadBatch:
    """``load_batch`` and ``parse_batch_csv``: a clinic CSV or a folder of regimen files."""

    def test_folder_sorted_by_name(self, tmp_path: Path) -> None:
        """A folder gives its .toml files sorted by name, named by stem; other files are skipped."""
        folder = tmp_path / "in"
        folder.mkdir()
        for name in ("b.toml", "a.toml", "c.txt", "A2.toml"):
            (folder / name).write_text("", encoding="utf-8")
        items = load_batch(folder)
        assert [item.key for item in items] == ["A2", "a", "b"]
        assert items[1].source == str(folder / "a.toml")
        assert items[1].start is None
        assert items[1].pace is None

    def test_empty_folder(self, tmp_path: Path) -> None:
        """A folder without regimen files is refused."""
        with pytest.raises(BatchInputError, match=r"no \.toml regimen files"):
            load_batch(tmp_path)

    def test_csv_columns(self, tmp_path: Path) -> None:
        """Paths are relative to the CSV; start and pace are optional; extra columns are ignored."""
        text = (
            "\ufeffnote,id,regimen,start,pace\n"
            "x,p1,a/one.toml,2027-02-01,va-slower\n"
            ",,,,\n"
            "y,p-2.b,/abs/two.toml,,\n"
        )
        items = parse_batch_csv(text, base=tmp_path)
        assert items == [
            BatchItem("p1", str(tmp_path / "a" / "one.toml"), dt.date(2027, 2, 1), "va-slower"),
            BatchItem("p-2.b", "/abs/two.toml"),
        ]

    def test_clinic_example(self) -> None:
        """The example clinic CSV lists its six patients in order."""
        items = load_batch(CLINIC)
        assert [item.key for item in items] == ["p001", "p002", "p003", "p004", "p005", "p006"]
        assert items[4].start is None
        assert items[4].pace == "cdc-short-term"

    def test_missing_header_column(self) -> None:
        """A header without ``regimen`` is refused with the columns it has and the fix."""
        with pytest.raises(BatchInputError) as caught:
            parse_batch_csv("id,file\np1,a.toml\n", source="clinic.csv")
        message = str(caught.value)
        assert message.startswith("clinic.csv: 1 problem:")
        assert "line 1: the header has no 'regimen' column (it has 'id', 'file')" in message
        assert "id,regimen" in message

    def test_every_row_problem_at_once(self) -> None:
        """Bad ids, dates, paces, missing paths and repeated ids are listed together, by line."""
        text = (
            "id,regimen,start,pace\n"
            "p1,a.toml,2027-13-01,\n"
            "../x,b.toml,,\n"
            "p3,,,\n"
            "p4,d.toml,2027-W01-1,va-slowr\n"
            "P1,e.toml,,\n"
        )
        with pytest.raises(BatchInputError) as caught:
            parse_batch_csv(text)
        paths = [problem.path for problem in caught.value.problems]
        assert paths == [
            "line 2, start",
            "line 3, id",
            "line 4, regimen",
            "line 5, start",
            "line 5, pace",
            "line 6, id",
        ]
        assert "did you mean 'va-slower'" in caught.value.problems[4].message
        assert "repeats line 2, id" in caught.value.problems[5].message

    def test_no_rows(self) -> None:
        """A header alone is refused."""
        with pytest.raises(BatchInputError, match="no patients"):
            parse_batch_csv("id,regimen\n")

    def test_missing_file(self, tmp_path: Path) -> None:
        """A batch CSV that does not exist is refused with its name."""
        with pytest.raises(BatchInputError, match=r"none\.csv: 1 problem:\n  cannot read it"):
            load_batch(tmp_path / "none.csv")


class TestPlanOne:
    """``plan_one``: one entry, never raising for a bad regimen."""

    def test_plans_like_plan_taper(self, tmp_path: Path) -> None:
        """A path entry gives the plan that plan_taper gives for the loaded regimen."""
        path = tmp_path / "p.toml"
        path.write_text(GOOD.format(dose=10), encoding="utf-8")
        result = plan_one(BatchItem("p", str(path)), start=START)
        assert result.ok
        assert result.error is None
        assert result.plan == plan_taper(load_regimen(path), start=START)
        assert (result.key, result.start) == ("p", START)

    def test_malformed_toml(self, tmp_path: Path) -> None:
        """Malformed TOML is recorded as a RegimenFileError, not raised."""
        path = tmp_path / "bad.toml"
        path.write_text(MALFORMED, encoding="utf-8")
        result = plan_one(path, start=START)
        assert not result.ok
        assert result.key == "bad"
        assert result.error_type == "RegimenFileError"
        assert result.error is not None
        assert result.error.startswith(f"{path}: not valid TOML")
        assert not result.internal

    def test_planning_error(self) -> None:
        """A regimen no pace step fits is recorded as a PlanningError with its fix."""
        result = plan_one(tomllib.loads(STUCK), start=START)
        assert result.error_type == "PlanningError"
        assert result.error is not None
        assert "uk-opioids-aware pace's rules (a ceiling of 10% a cut" in result.error
        assert (
            "Fix: allow the same drug's immediate-release tablet or oral solution" in result.error
        )
        assert result.plan is None
        assert not result.internal
        # The message is the PlanningError's, which carries the same as fields for apps.
        with pytest.raises(PlanningError) as caught:
            plan_taper(regimen_from_mapping(tomllib.loads(STUCK)), start=START)
        error = caught.value
        assert result.error == str(error)
        assert error.stopped_at == StoppedAt(
            steps=0,
            doses="oxycodone er_tablet 20 mg at 08:00, 20 mg at 20:00",
            total_mme_per_day=Decimal(60),
        )
        assert error.fix is not None
        assert error.fix.startswith("allow the same drug's immediate-release tablet")
        assert {"naloxone", "tolerance-loss"} <= {notice.code for notice in error.warnings}

    def test_invalid_mapping_names_the_key(self) -> None:
        """A mapping's problems are reported under the entry's key."""
        result = plan_one(BatchItem("p7", {"medication": []}), start=START)
        assert result.error_type == "InvalidRegimenError"
        assert result.error is not None
        assert result.error.startswith("p7: 1 problem:")

    def test_future_history_refused_with_today(self) -> None:
        """``today`` is passed to the loader: an on_opioids_since after it is refused."""
        data = tomllib.loads(GOOD.format(dose=10))
        data["context"] = {"on_opioids_since": "2026-12-01"}
        assert plan_one(data, start=START).ok
        refused = plan_one(data, start=START, today=TODAY)
        assert refused.error_type == "InvalidRegimenError"

    def test_item_overrides(self, tmp_path: Path) -> None:
        """An item's own start and pace win over the batch's."""
        path = tmp_path / "p.toml"
        path.write_text(GOOD.format(dose=10), encoding="utf-8")
        item = BatchItem("p", str(path), start=dt.date(2027, 3, 1), pace="va-slower")
        result = plan_one(item, start=START, pace="etg-short")
        assert result.plan is not None
        assert result.plan.start == dt.date(2027, 3, 1)
        assert result.plan.pace.name == "va-slower"
        plain = plan_one(BatchItem("p", str(path)), start=START, pace="etg-short")
        assert plain.plan is not None
        assert plain.plan.pace.name == "etg-short"

    def test_bug_is_recorded_as_internal(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An exception that is not a TaperplanError is recorded and marked internal."""

        def broken(*args: Any, **kwargs: Any) -> None:
            raise ZeroDivisionError("boom")

        monkeypatch.setattr("taperplan.batch.items.plan_taper", broken)
        result = plan_one(tomllib.loads(GOOD.format(dose=10)), start=START)
        assert (result.error_type, result.error, result.internal) == (
            "ZeroDivisionError",
            "boom",
            True,
        )

    def test_results_pickle(self, tmp_path: Path) -> None:
        """A result with its plan survives pickling unchanged (what a pool or cluster does)."""
        path = tmp_path / "p.toml"
        path.write_text(GOOD.format(dose=10), encoding="utf-8")
        result = plan_one(path, start=START)
        assert pickle.loads(pickle.dumps(result)) == result  # noqa: S301 - our own bytes

    def test_a_packed_result_is_a_result(self, tmp_path: Path) -> None:
        """A result from a worker unpacks its plan on first read; it compares, hashes, shows
        and converts as the result it was, and its plan cannot be given as bytes."""
        path = tmp_path / "p.toml"
        path.write_text(GOOD.format(dose=10), encoding="utf-8")
        result = plan_one(path, start=START)
        twice = pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(result))))  # noqa: S301
        assert twice == result
        assert hash(twice) == hash(result)
        assert attrs.asdict(twice, recurse=False) == attrs.asdict(result, recurse=False)
        assert repr(twice) == repr(result)
        assert [field.name for field in attrs.fields(BatchResult)][2] == "plan"
        with pytest.raises(TypeError, match="plan' must be"):
            BatchResult("x", START, plan=b"not a plan")  # type: ignore[arg-type]

    def test_a_chunk_is_packed_together(self, tmp_path: Path) -> None:
        """A worker packs the plans of a chunk as one (what they share stored once): each
        result comes back equal, an error stays an error, ``ok`` unpacks nothing, reading
        one plan unpacks the chunk, and a result read after that pickles whole again."""
        folder = regimen_folder(tmp_path, count=6, bad={2: STUCK})
        results = [plan_one(path, start=START) for path in sorted(folder.glob("*.toml"))]
        alone = len(dumps(results))
        sent = [plan_one(path, start=START) for path in sorted(folder.glob("*.toml"))]
        run_chunk_results = packed_together(sent)
        together = dumps(run_chunk_results)
        assert len(together) < alone * 0.8
        back: list[BatchResult] = pickle.loads(together)  # noqa: S301 - made just above
        assert [r.ok for r in back] == [True, True, False, True, True, True]
        packed = object.__getattribute__(back[0], "plan").packed
        assert packed.plans is None  # nothing unpacked yet
        assert back[1] == results[1]
        assert packed.plans is not None  # one read unpacked the chunk
        later = pickle.loads(pickle.dumps(back[4]))  # noqa: S301 - its plan unread so far
        assert later == results[4]
        assert back == results
        # A result received in a pack and pickled alone takes its own plan, not the chunk's.
        again: list[BatchResult] = pickle.loads(together)  # noqa: S301 - made above
        assert len(pickle.dumps(again[5])) < len(pickle.dumps(results[5])) * 1.2


def _boom(_: int) -> None:
    raise ValueError("boom")


class TestPlanMany:
    """``plan_many``: input order, isolation of failures, the same results for any jobs."""

    def test_names_and_order(self, tmp_path: Path) -> None:
        """Entries keep their order; paths are named by stem, the others by position."""
        path = tmp_path / "zeta.toml"
        path.write_text(GOOD.format(dose=10), encoding="utf-8")
        regimen = load_regimen(path)
        mapping = tomllib.loads(GOOD.format(dose=15))
        results = plan_many(
            [path, regimen, mapping, BatchItem("kept", str(path))], start=START, jobs=1
        )
        assert [r.key for r in results] == ["zeta", "1", "2", "kept"]
        assert all(r.ok for r in results)
        assert [item.key for item in batch_items([str(path), mapping])] == ["zeta", "1"]

    def test_one_bad_entry_never_stops_the_others(self, tmp_path: Path) -> None:
        """Malformed and unplannable regimens in the middle fail alone; the rest are planned."""
        folder = regimen_folder(tmp_path, count=6, bad={2: MALFORMED, 3: STUCK})
        results = plan_many(sorted(folder.glob("*.toml")), start=START, pace=None, jobs=1)
        assert [r.ok for r in results] == [True, True, False, False, True, True]
        assert [r.error_type for r in results[2:4]] == ["RegimenFileError", "PlanningError"]

    def test_pool_gives_the_same_results(self, tmp_path: Path) -> None:
        """Two worker processes give results equal to one, in the same order, bad ones included."""
        folder = regimen_folder(tmp_path, count=14, bad={5: MALFORMED, 9: STUCK})
        items = load_batch(folder)
        ticks: list[int] = []
        one = plan_many(items, start=START, jobs=1)
        two = plan_many(items, start=START, jobs=2, chunksize=3, progress=ticks.append)
        assert two == one
        assert [r.key for r in two] == [f"r{i:02}" for i in range(14)]
        assert [r.ok for r in two].count(False) == 2
        assert ticks == [1] * 14
        texts = [to_json(plan_to_dict(r.plan)) for r in two if r.plan is not None]
        assert texts == [to_json(plan_to_dict(r.plan)) for r in one if r.plan is not None]

    def test_the_collector_runs_less_often_while_planning(self, tmp_path: Path) -> None:
        """While it plans, ``plan_many`` raises the collector's thresholds; afterwards they
        are as before, also when the caller's code raises."""
        items = load_batch(regimen_folder(tmp_path, count=3))
        seen: list[tuple[int, int, int]] = []
        was = gc.get_threshold()
        plan_many(items, start=START, jobs=1, progress=lambda _: seen.append(gc.get_threshold()))
        assert seen == [(10_000, 50, 100)] * 3
        assert gc.get_threshold() == was
        with pytest.raises(ValueError, match="boom"):
            plan_many(items, start=START, jobs=1, progress=_boom)
        assert gc.get_threshold() == was

    def test_jobs_must_be_positive(self) -> None:
        """``jobs=0`` is refused at once."""
        with pytest.raises(ValueError, match="jobs must be at least 1"):
            plan_many([], start=START, jobs=0)

    def test_one_chunk_starts_no_pool(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No more processes than chunks: a batch of one chunk is planned here alone."""

        def no_pool(*_: object) -> None:
            raise AssertionError("a pool was started for a single chunk")

        monkeypatch.setattr("taperplan.batch.pool._shared", no_pool)
        folder = regimen_folder(tmp_path, count=3)
        results = plan_many(sorted(folder.glob("*.toml")), start=START, jobs=8, chunksize=5)
        assert [result.ok for result in results] == [True, True, True]

    def test_iter_ordered_keeps_order_and_counts(self) -> None:
        """Every item exactly once and in order, whatever the chunks (a short last chunk,
        more jobs than chunks); a worker's exception reaches the caller."""
        for count, jobs, size in [(0, 2, 3), (1, 2, 1), (7, 2, 3), (10, 3, 2), (5, 8, 1)]:
            items = list(range(count))
            for helping in (True, False):
                got = iter_ordered(abs, items, jobs=jobs, chunksize=size, helping=helping)
                assert list(got) == items
        with pytest.raises(TypeError):
            list(iter_ordered(abs, [1, 2, "three", 4], jobs=2, chunksize=1))

    def test_empty_batch(self) -> None:
        """An empty batch gives no results (and starts no pool)."""
        assert plan_many([], start=START, jobs=4) == []


class TestSummaryRow:
    """``summary_row``: the per-patient line of summary.csv."""

    def test_planned(self) -> None:
        """A planned patient's row has the pace, dates, weeks, steps and baseline MME."""
        results = plan_many(load_batch(CLINIC), start=START, jobs=1)
        row = summary_row(results[0])
        assert row == {
            "id": "p001",
            "status": "ok",
            "pace": "va-slower",
            "start": "2027-01-04",
            "stop": "2028-02-28",
            "weeks": "60.0",
            "steps": "16",
            "baseline_mme_per_day": "60",
            "error_type": "",
            "error": "",
        }
        assert tuple(row) == SUMMARY_COLUMNS

    def test_failed(self) -> None:
        """A failed patient's row has the start, the error's class and message, nothing else."""
        result = BatchResult("p9", START, error="it broke", error_type="PlanningError")
        assert summary_row(result) == dict.fromkeys(SUMMARY_COLUMNS, "") | {
            "id": "p9",
            "status": "error",
            "start": "2027-01-04",
            "error_type": "PlanningError",
            "error": "it broke",
        }


@pytest.mark.usefixtures("epoch")
class TestCli:
    """``taperplan batch IN.csv|DIR --out DIR``."""

    def test_clinic_csv(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The clinic example: files for the five planned patients, a summary of all six."""
        out = tmp_path / "out"
        code, stdout, stderr = run(
            ["batch", str(CLINIC), "--out", str(out), "--start", "2027-02-01", "--jobs", "1"],
            capsys,
        )
        assert code == 0, stderr
        planned = ["p001", "p002", "p004", "p005", "p006"]
        expected = {f"{key}{suffix}" for key in planned for suffix in (".json", ".csv", ".ics")}
        assert set(listing(out)) == expected | {"summary.csv"}
        rows = summary(out)
        assert [(r["id"], r["status"], r["pace"], r["start"]) for r in rows] == [
            ("p001", "ok", "va-slower", "2027-01-04"),
            ("p002", "ok", "va-slower", "2027-01-04"),
            ("p003", "error", "", "2027-01-11"),
            ("p004", "ok", "custom", "2027-01-11"),
            ("p005", "ok", "cdc-short-term", "2027-02-01"),
            ("p006", "ok", "etg-long", "2027-01-18"),
        ]
        assert list(rows[0]) == list(COLUMNS)
        assert rows[2]["error_type"] == "InvalidRegimenError"
        assert "unknown drug 'oxycodon'" in rows[2]["error"]
        assert rows[0]["calendar"] == "p001.ics"
        # The JSON is the one `taperplan plan --format json` prints.
        plan = plan_taper(
            load_regimen(CLINIC.parent / "clinic" / "p001.toml"), start=dt.date(2027, 1, 4)
        )
        assert (out / "p001.json").read_text(encoding="utf-8") == plan_to_json(plan)
        ics = (out / "p001.ics").read_bytes()
        assert ics.startswith(b"BEGIN:VCALENDAR\r\n")
        assert b"DTSTAMP:20261124T120000Z\r\n" in ics
        assert "5 of 6 planned; 1 not planned" in stdout
        assert stdout.splitlines()[0].split() == [
            "id", "status", "pace", "start", "stop", "weeks", "MME/day", "error",
        ]  # fmt: skip
        assert "p003  error" in stdout
        assert "not medical advice" in stdout
        assert stderr.startswith("taperplan: p003: not planned: ")
        assert "--start not given" not in stderr

    def test_jobs_do_not_change_the_output(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """One job and two give byte-identical folders, bad regimens in the middle included."""
        folder = regimen_folder(tmp_path, count=12, bad={4: MALFORMED, 7: STUCK, 8: NO_ZONE})
        outputs = []
        for jobs in ("1", "2"):
            out = tmp_path / f"out{jobs}"
            code, stdout, stderr = run(
                ["batch", str(folder), "--out", str(out), "--start", "2027-01-04", "--jobs", jobs],
                capsys,
            )
            assert code == 0, stderr
            assert "10 of 12 planned; 2 not planned" in stdout
            outputs.append(listing(out))
        assert outputs[0] == outputs[1]
        assert len(outputs[0]) == 10 * 3 - 1 + 1  # r08 has no timezone: no calendar
        rows = summary(tmp_path / "out2")
        assert [r["status"] for r in rows].count("error") == 2
        assert rows[4]["error_type"] == "RegimenFileError"
        assert rows[7]["error_type"] == "PlanningError"
        assert rows[8]["calendar"].startswith("none: ")
        assert "timezone" in rows[8]["calendar"]

    def test_refuses_existing_outputs(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without --force an existing output stops the batch before anything is written."""
        out = tmp_path / "out"
        out.mkdir()
        (out / "p002.csv").write_text("keep", encoding="utf-8")
        code, stdout, stderr = run(["batch", str(CLINIC), "--out", str(out)], capsys)
        assert code == 2
        assert stdout == ""
        assert stderr.startswith(f"taperplan: error: {out}: 1 output file exist")
        assert "p002.csv" in stderr
        assert "--force" in stderr
        assert listing(out) == {"p002.csv": b"keep"}

    def test_force_replaces_and_removes_stale_plans(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With --force files are replaced, and a failing patient's old plan is removed."""
        out = tmp_path / "out"
        out.mkdir()
        for name in ("p002.csv", "p003.json", "p003.ics", "summary.csv"):
            (out / name).write_text("old", encoding="utf-8")
        code, _, stderr = run(
            ["batch", str(CLINIC), "--out", str(out), "--force", "--jobs", "1"], capsys
        )
        assert code == 0, stderr
        files = listing(out)
        assert not any(name.startswith("p003") for name in files)
        assert files["p002.csv"].startswith(b"date,time,zone")
        assert files["summary.csv"].startswith(b"id,status,")

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            pytest.param(
                ["{tmp}/none.csv"], "none.csv: 1 problem:\n  cannot read it", id="missing"
            ),
            pytest.param(["{tmp}/bad.csv"], "the header has no 'regimen' column", id="header"),
            pytest.param(["{tmp}/summary.csv"], "the id 'Summary' would overwrite", id="reserved"),
            pytest.param([str(CLINIC), "--pace", "va-slowr"], "--pace: unknown pace", id="pace"),
            pytest.param([str(CLINIC), "--jobs", "0"], "--jobs", id="jobs"),
        ],
    )
    def test_bad_input_exits_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
    ) -> None:
        """Bad batch input or usage exits 2 with the reason on stderr, nothing on stdout or disk."""
        (tmp_path / "bad.csv").write_text("id,file\np1,a.toml\n", encoding="utf-8")
        (tmp_path / "summary.csv").write_text("id,regimen\nSummary,a.toml\n", encoding="utf-8")
        out = tmp_path / "out"
        args = [arg.format(tmp=tmp_path) for arg in argv]
        code, stdout, stderr = run(["batch", *args, "--out", str(out)], capsys)
        assert code == 2
        assert stdout == ""
        assert message in stderr
        assert not out.exists()

    def test_out_is_a_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An --out that is a file is refused."""
        out = tmp_path / "out"
        out.write_text("", encoding="utf-8")
        code, stdout, stderr = run(["batch", str(CLINIC), "--out", str(out)], capsys)
        assert (code, stdout) == (2, "")
        assert "is a file" in stderr

    def test_never_overwrites_the_input(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Even with --force, an output that is the input CSV itself is refused."""
        (tmp_path / "p1.toml").write_text(GOOD.format(dose=10), encoding="utf-8")
        source = tmp_path / "p1.csv"
        source.write_text("id,regimen\np1,p1.toml\n", encoding="utf-8")
        code, stdout, stderr = run(
            ["batch", str(source), "--out", str(tmp_path), "--force"], capsys
        )
        assert (code, stdout) == (2, "")
        assert "would overwrite the input" in stderr
        assert source.read_text(encoding="utf-8") == "id,regimen\np1,p1.toml\n"
        assert sorted(path.name for path in tmp_path.iterdir()) == ["p1.csv", "p1.toml"]

    def test_default_start_is_printed(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without --start the next Monday is used for rows without a start, and said on stderr."""
        out = tmp_path / "out"
        code, _, stderr = run(["batch", str(CLINIC), "--out", str(out), "--jobs", "1"], capsys)
        assert code == 0
        assert "--start not given; planning from " in stderr
        start = dt.date.fromisoformat(summary(out)[4]["start"])
        assert start.weekday() == 0
        assert summary(out)[0]["start"] == "2027-01-04"

    def test_internal_error_exits_1_after_the_others(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A bug while exporting one patient is reported, the others are written, and it exits 1."""
        real = _csv.plan_to_csv

        def flaky(plan: Any) -> str:
            if plan.baseline_total_mme_per_day == 90:  # p002
                raise RuntimeError("boom")
            return real(plan)

        monkeypatch.setattr(_csv, "plan_to_csv", flaky)
        out = tmp_path / "out"
        code, stdout, stderr = run(["batch", str(CLINIC), "--out", str(out), "--jobs", "1"], capsys)
        assert code == 1
        assert "internal error" in stderr
        rows = summary(out)
        assert rows[1]["status"] == "error"
        assert rows[1]["error"] == "internal error while writing the files: boom"
        assert not (out / "p002.json").exists()
        assert (out / "p001.json").exists()
        assert "4 of 6 planned" in stdout

    def test_progress_bar_only_on_a_terminal(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The bar is drawn on stderr for a terminal, and not with --no-progress."""
        monkeypatch.setattr(_cli_batch, "_stderr_is_tty", lambda: True)
        args = ["batch", str(CLINIC), "--start", "2027-01-04", "--jobs", "1"]
        code, stdout, stderr = run([*args, "--out", str(tmp_path / "a")], capsys)
        assert code == 0
        assert "planning" in stderr
        assert "planning" not in stdout
        code, _, stderr = run([*args, "--out", str(tmp_path / "b"), "--no-progress"], capsys)
        assert code == 0
        assert "planning" not in stderr

    def test_json_output_matches_the_api(self, tmp_path: Path) -> None:
        """The summary lists the plan JSON's own stop date and step count."""
        out = tmp_path / "out"
        assert main(["batch", str(REGIMENS), "--out", str(out), "--start", "2027-01-04"]) == 0
        for row in summary(out):
            if row["status"] != "ok":
                continue
            data = json.loads((out / f"{row['id']}.json").read_text(encoding="utf-8"))
            assert row["stop"] == data["steps"][-1]["start"]
            assert int(row["steps"]) == len(data["steps"])
        assert len(summary(out)) == len(list(REGIMENS.glob("*.toml")))


def test_example_data_is_copyable(tmp_path: Path) -> None:
    """The example clinic folder works from a copy (regimen paths are relative to the CSV)."""
    copy = tmp_path / "data"
    shutil.copytree(CLINIC.parent, copy)
    items = load_batch(copy / "clinic.csv")
    assert items[0].source == str(copy / "clinic" / "p001.toml")
    with pytest.raises(InvalidRegimenError):
        load_regimen(str(items[2].source))


def test_summary_cells_are_never_formulas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A custom pace's name and the error column that names a regimen file start with ``=``,
    ``+``, ``-`` or ``@``: summary.csv writes them with a leading apostrophe, so a spreadsheet
    shows text instead of running a formula (issue 15 item 1)."""
    monkeypatch.chdir(tmp_path)
    formula_pace = GOOD.format(dose=10).replace(
        'preset = "va-slower"', 'preset = "va-slower"\nname = "=1+1"'
    )
    Path("p1.toml").write_text(formula_pace, encoding="utf-8")
    Path("clinic.csv").write_text("id,regimen\np1,p1.toml\np2,=2+5.toml\n", encoding="utf-8")
    code, _, stderr = run(
        ["batch", "clinic.csv", "--out", "out", "--start", "2027-01-04", "--jobs", "1"], capsys
    )
    assert code == 0, stderr
    text = Path("out/summary.csv").read_text(encoding="utf-8")
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or cell.lstrip("-").replace(".", "").isdigit(), cell
    rows = summary(Path("out"))
    assert rows[0]["pace"] == "'=1+1"
    assert rows[1]["error"].startswith("'=2+5.toml")


def test_a_folders_file_names_are_checked_as_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder's file stems become ids: one a batch CSV would refuse is refused, naming every
    such file, before anything is written."""
    folder = tmp_path / "regimens"
    folder.mkdir()
    for stem in ("=1+1", "-rf", "ok"):
        (folder / f"{stem}.toml").write_text(GOOD.format(dose=10), encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, stderr = run(["batch", str(folder), "--out", str(out)], capsys)
    assert (code, stdout) == (2, "")
    assert "'=1+1.toml'" in stderr
    assert "'-rf.toml'" in stderr
    assert "ok.toml" not in stderr
    assert not out.exists()

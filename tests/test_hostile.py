"""The hostile-input corpus (tests/data/hostile, issue 15): nothing injected, nothing
half-written.

Every case of ``manifest.toml`` runs through the real command line in its own process
(tests/hostile_runner.py forks one per case from a process that has imported taperplan, and
measures it with ``os.wait4``). A refused case must exit 2 within 1 second and 200 MB with
exactly one message, nothing on stdout, no control character but the line feed in anything
printed, and no file made or changed. An accepted case (hostile text taperplan takes) must
exit 0 within the same limits, print no control character, and write no CSV cell a
spreadsheet would run as a formula.

"One message" means: stderr holds exactly one error line, which starts with
``taperplan: error: `` (or click's ``Error: `` for a usage error); every other line is
part of it (its indented problem lines, or click's usage lines); no warning, no traceback.

All runs share one runner process, so the whole corpus takes a few seconds.
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
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from support import DATA, TESTS
from taperplan import load_regimen, plan_taper
from taperplan.cli.main import main
from taperplan.errors import CalendarOptionError
from taperplan.formats import plan_to_ics

CORPUS = DATA / "hostile"
MANIFEST: dict[str, list[dict[str, Any]]] = tomllib.loads(
    (CORPUS / "manifest.toml").read_text(encoding="utf-8")
)
REFUSED = MANIFEST["refused"]
ACCEPTED = MANIFEST["accepted"]

#: The limits of issue 15: a second and 200 MB for every case.
MAX_SECONDS = 1.0
MAX_RSS_KIB = 200 * 1024
#: Control characters but the line feed: C0, DEL and C1.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
#: What a spreadsheet runs as a formula when a cell starts with it (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\x00")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
STAMP = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


# -- the runs ---------------------------------------------------------------------------------


def _substitute(text: str, case: dict[str, Any], work: Path) -> str:
    long_name = "n" * int(case.get("long", 0))
    return (
        text.replace("{corpus}", str(CORPUS))
        .replace("{work}", str(work))
        .replace("{long}", long_name)
    )


def _generate(case: dict[str, Any], work: Path) -> None:
    """Make the inputs a case names in ``generate``, in its working folder."""
    spec = case.get("generate")
    if spec is None:
        return
    path = work / spec["name"]
    kind = spec["kind"]
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        path.symlink_to(work / spec["target"])
    elif kind == "read-only-folder":
        path.mkdir()
        path.chmod(0o555)
    elif kind == "nested-json":
        depth = int(spec["depth"])
        path.write_text("[" * depth + "]" * depth, encoding="utf-8")
    elif kind == "log-rows":
        rows = "".join(f"2027-01-{1 + n % 28:02},cows,{n % 12}\n" for n in range(spec["rows"]))
        path.write_text("date,scale,total\n" + rows, encoding="utf-8")
    elif kind == "copy":
        path.write_bytes((CORPUS / spec["from"]).read_bytes())
        for name in spec.get("also", []):
            (work / name).write_bytes((CORPUS / name).read_bytes())
    elif kind == "hostile-stems":
        # Each file is refused at once (an unknown drug): the case is about the ids,
        # which reach the summary either way, not about planning.
        path.mkdir()
        for stem in spec["stems"]:
            (path / f"{stem}.toml").write_text(
                '[[medication]]\ndrug = "=HYPERLINK(1)"\n', encoding="utf-8"
            )
    else:  # pragma: no cover - a mistake in the manifest
        raise AssertionError(f"unknown generate kind {kind!r}")


def _snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under ``folder`` (links not followed): its mode, size and change time."""
    seen = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            info = os.lstat(path)
            seen[os.path.relpath(path, folder)] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return seen


class Run:
    """One case's run: its argv, working folder, exit code, output and measures."""

    def __init__(self, case: dict[str, Any], work: Path, capture: Path) -> None:
        self.case = case
        self.work = work
        self.capture = capture
        self.argv = [_substitute(arg, case, work) for arg in case["argv"]]
        self.before = _snapshot(work)
        self.code = -1
        self.seconds = 0.0
        self.max_rss_kib = 0
        self.out = ""
        self.err = ""
        self.after: dict[str, tuple[int, int, int]] = {}

    def finish(self, result: dict[str, Any]) -> None:
        self.code = result["code"]
        self.seconds = result["seconds"]
        self.max_rss_kib = result["max_rss_kib"]
        out = (self.capture.with_suffix(".out")).read_bytes()
        err = (self.capture.with_suffix(".err")).read_bytes()
        self.out = out.decode("utf-8", errors="replace")
        self.err = err.decode("utf-8", errors="replace")
        self.after = _snapshot(self.work)


def _skipped(case: dict[str, Any]) -> str | None:
    if case.get("skip_if_root") and hasattr(os, "geteuid") and os.geteuid() == 0:
        return "root writes into a read-only folder anyway"
    if sys.platform != "linux":
        return "the corpus names Linux devices (/dev/zero, /dev/full, /proc)"
    return None


def run_all(cases: list[dict[str, Any]], folder: Path) -> dict[str, Run]:
    """Run every case (not skipped) in one runner process; each in its own fork."""
    runs: dict[str, Run] = {}
    for index, case in enumerate(cases):
        if _skipped(case):
            continue
        work = folder / f"case-{index:02}" / "work"
        work.mkdir(parents=True)
        _generate(case, work)
        runs[case["case"]] = Run(case, work, folder / f"case-{index:02}" / "capture")
    request = [
        {"argv": run.argv, "cwd": str(run.work), "capture": str(run.capture)}
        for run in runs.values()
    ]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "100"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(TESTS.parent / "src"), *filter(None, [env.get("PYTHONPATH")])]
    )
    done = subprocess.run(
        [sys.executable, str(TESTS / "hostile_runner.py")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for run, result in zip(runs.values(), json.loads(done.stdout), strict=True):
        run.finish(result)
    return runs


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    before = _snapshot(CORPUS)
    runs = run_all(REFUSED, tmp_path_factory.mktemp("refused"))
    assert _snapshot(CORPUS) == before, "a case wrote into tests/data/hostile"
    return runs


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    before = _snapshot(CORPUS)
    runs = run_all(ACCEPTED, tmp_path_factory.mktemp("accepted"))
    assert _snapshot(CORPUS) == before, "a case wrote into tests/data/hostile"
    return runs


def _the_run(runs: dict[str, Run], case: dict[str, Any]) -> Run:
    reason = _skipped(case)
    if reason:
        pytest.skip(reason)
    return runs[case["case"]]


def _within_limits(run: Run) -> None:
    assert run.seconds <= MAX_SECONDS, f"took {run.seconds:.2f} s"
    assert run.max_rss_kib <= MAX_RSS_KIB, f"held {run.max_rss_kib / 1024:.0f} MB"


def _no_control_characters(text: str) -> None:
    found = CONTROL.search(text)
    assert found is None, f"control character {found.group()!r} printed in {text!r}"


def one_message(err: str) -> bool:
    """Whether ``err`` is exactly one error message (see the module's docstring)."""
    lines = err.splitlines()
    errors = [line for line in lines if line.startswith(("taperplan: error: ", "Error: "))]
    if len(errors) != 1:
        return False
    if any("Traceback" in line or "internal error" in line or "warning:" in line for line in lines):
        return False
    if lines[0].startswith("taperplan: error: "):
        return all(line.startswith("  ") for line in lines[1:])
    return lines[0].startswith("Usage: ")  # click's usage error: Usage, Try, Error


# -- the corpus -------------------------------------------------------------------------------


class TestCorpus:
    def test_every_file_is_used(self) -> None:
        """Every file of the folder is named by a case (or is the manifest)."""
        named = " ".join(" ".join(c["argv"]) for c in REFUSED + ACCEPTED)
        for case in REFUSED + ACCEPTED:
            copied = case.get("generate", {})
            if copied.get("kind") == "copy":
                for name in [copied["from"], *copied.get("also", [])]:
                    named += f" {{corpus}}/{name}"
        for path in CORPUS.iterdir():
            if path.name != "manifest.toml":
                assert f"{{corpus}}/{path.name}" in named, f"{path.name} is in no case"

    def test_the_cases_of_issue_15_are_there(self) -> None:
        assert len(REFUSED) >= 30
        names = {c["case"] for c in REFUSED + ACCEPTED}
        assert len(names) == len(REFUSED) + len(ACCEPTED), "two cases share a name"
        generated = {c["generate"]["kind"] for c in REFUSED + ACCEPTED if "generate" in c}
        assert {"fifo", "log-rows", "nested-json", "symlink", "hostile-stems"} <= generated

    def test_one_message_is_told_apart(self) -> None:
        """The check of "one message" refuses two messages, a warning and a traceback."""
        assert one_message("taperplan: error: a.toml: 1 problem:\n  pace.name: wrong\n")
        assert not one_message("taperplan: warning: past\ntaperplan: error: x\n")
        assert not one_message("taperplan: error: x\ntaperplan: error: y\n")
        assert not one_message("taperplan: internal error: OSError: x\n")
        assert not one_message("")
        assert one_message(
            "Usage: taperplan plan\nTry 'taperplan plan -h'\n\nError: No such option\n"
        )


@pytest.mark.parametrize("case", REFUSED, ids=[c["case"] for c in REFUSED])
def test_refused(refused: dict[str, Run], case: dict[str, Any]) -> None:
    """Exit 2, one message naming the field and the fix, nothing on stdout, no control
    character, nothing written, within a second and 200 MB."""
    run = _the_run(refused, case)
    assert run.code == 2, run.err
    assert run.out == ""
    assert one_message(run.err), run.err
    for text in case["names"]:
        assert _substitute(text, case, run.work) in run.err
    _no_control_characters(run.err)
    assert run.after == run.before, "a file was made or changed"
    _within_limits(run)


@pytest.mark.parametrize("case", ACCEPTED, ids=[c["case"] for c in ACCEPTED])
def test_accepted(accepted: dict[str, Run], case: dict[str, Any]) -> None:
    """Exit 0, nothing printed holds a control character, no CSV cell is a formula."""
    run = _the_run(accepted, case)
    assert run.code == 0, run.err
    _no_control_characters(run.out + run.err)
    for text in case.get("prints", []):
        assert text in run.out
    for name in case.get("csv", []):
        text = Path(_substitute(name, case, run.work)).read_text(encoding="utf-8")
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                formula = cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell)
                assert not formula, f"{cell!r} in {name} would run as a formula"
    for name, texts in case.get("mentions", {}).items():
        text = Path(_substitute(name, case, run.work)).read_text(encoding="utf-8")
        for wanted in texts:
            assert wanted in text
    _within_limits(run)


def test_a_batch_folders_ids_are_checked_as_a_batch_csvs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A batch CSV refuses an id with a control character ('line 2, id'), and so does a
    folder: a file stem with one (an OSC sequence) would become a patient's id and its file
    names. Refused, naming the file, with nothing written."""
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "\x1b]0;owned\x07x.toml").write_bytes((CORPUS / "regimen.toml").read_bytes())
    out = tmp_path / "out"
    code = main(["batch", str(folder), "--out", str(out), "--start", "2027-01-04", "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "\\x1b]0;owned\\x07x.toml" in err
    assert "\x1b" not in err
    assert not out.exists()


def test_a_batch_list_named_with_256_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``batch NAME`` with a 256-character name exits 2 with one message (it was an internal
    error: an OSError from ``Path.is_dir``)."""
    code = main(["batch", str(tmp_path / ("n" * 256)), "--out", str(tmp_path / "out")])
    assert "taperplan: error: " in capsys.readouterr().err
    assert code == 2


def test_calendar_name_with_cr_lf_is_refused() -> None:
    """plan_to_ics refuses a calendar name that would start a new iCalendar line."""
    regimen = load_regimen(CORPUS / "regimen.toml")
    plan = plan_taper(regimen, start=dt.date(2027, 1, 4))
    plan = attrs.evolve(plan, regimen=attrs.evolve(plan.regimen, timezone=ZoneInfo("UTC")))
    for name in ("Taper\r\nBEGIN:VEVENT", "Taper\nX", "Taper\rX", "\x1b]0;x\x07"):
        with pytest.raises(CalendarOptionError, match="calendar_name"):
            plan_to_ics(plan, dtstamp=STAMP, calendar_name=name)


def test_the_default_hypothesis_profile_is_reproducible() -> None:
    """A developer's run (the ``dev`` profile) draws the same examples every time, like CI's."""
    from hypothesis import settings  # noqa: PLC0415

    assert settings.get_profile("dev").derandomize
    assert settings.get_profile("ci").derandomize
    assert not settings.get_profile("explore").derandomize

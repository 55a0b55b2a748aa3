"""Tests for the clinical commands of the CLI (taperplan.cli.clinical): score and review."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from support import ROOT
from taperplan.cli import clinical as _cli_clinical
from taperplan.cli.clinical import review, score
from taperplan.cli.main import SAFETY, cli, main

SAMPLE = ROOT / "src" / "taperplan" / "data" / "sample-regimen.toml"
HEADER = "date,scale,total,pain,pain_site,pain_spread,allodynia,craving,loss_of_control,notes"

#: COWS options for a total of 8 ("mild"): the example in score_cows's docstring.
COWS_8 = [
    "--pulse", "1", "--sweating", "0", "--restlessness", "1", "--pupils", "1",
    "--bone-joint-aches", "1", "--runny-nose-tearing", "0", "--gi-upset", "2", "--tremor", "0",
    "--yawning", "1", "--anxiety-irritability", "1", "--gooseflesh", "0",
]  # fmt: skip


@pytest.fixture(autouse=True)
def registered() -> None:
    """Register the commands on the main group, as taperplan.cli.main will (idempotent)."""
    cli.add_command(score)
    cli.add_command(review)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


class TestScore:
    """``taperplan score cows|sows|sows-gossop``."""

    def test_cows_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Scoring COWS by options prints every item, the total 8 and its band, and the safety line."""
        code, out, err = run(["score", "cows", *COWS_8], capsys)
        assert (code, err) == (0, "")
        assert "Clinical Opiate Withdrawal Scale (COWS), clinician-rated" in out
        assert "Total: 8 of 48: mild (5–12)" in out
        assert "gi_upset              2      0, 1, 2, 3, 5" in out
        assert "Wesson DR, Ling W" in out
        assert out.rstrip().endswith(SAFETY.split()[-1])
        assert "not a diagnosis" in out

    def test_cows_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--format json prints one object with the items, total 8, band "mild" and the disclaimer."""
        code, out, err = run(["score", "cows", *COWS_8, "--format", "json"], capsys)
        assert (code, err) == (0, "")
        data = json.loads(out)
        assert (data["scale"], data["total"], data["maximum"], data["band"]) == (
            "cows",
            8,
            48,
            "mild",
        )
        assert data["items"]["gi_upset"] == 2
        assert data["source"] == "COWS"
        assert data["disclaimer"] == SAFETY

    def test_sows_gossop_has_no_band(self, capsys: pytest.CaptureFixture[str]) -> None:
        """SOWS-Gossop reports the total (here 10 of 30) without a band."""
        items = [
            "feeling-sick", "stomach-cramps", "muscle-spasms", "feeling-cold", "heart-pounding",
            "muscle-tension", "aches-pains", "yawning", "runny-eyes", "insomnia",
        ]  # fmt: skip
        argv = [arg for item in items for arg in (f"--{item}", "1")]
        code, out, _ = run(["score", "sows-gossop", *argv, "--format", "json"], capsys)
        assert code == 0
        assert (json.loads(out)["total"], json.loads(out)["band"]) == (10, None)
        code, out, _ = run(["score", "sows-gossop", *argv], capsys)
        assert "Total: 10 of 30\n" in out

    def test_illegal_values_exit_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Illegal scores exit 2 naming each option and its legal values, with nothing on stdout."""
        argv = [*COWS_8]
        argv[argv.index("--pulse") + 1] = "3"
        argv[argv.index("--gooseflesh") + 1] = "4"
        code, out, err = run(["score", "cows", *argv], capsys)
        assert (code, out) == (2, "")
        assert err == (
            "taperplan: error: cows: 2 problems:\n"
            "  --pulse: '3' is not a legal score (fix: use one of 0, 1, 2, 4)\n"
            "  --gooseflesh: '4' is not a legal score (fix: use one of 0, 3, 5)\n"
        )

    def test_missing_items_without_a_terminal(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without a terminal every missing item is listed at once; exit 2, nothing on stdout."""
        code, out, err = run(["score", "cows", "--pulse", "1", "--sweating", "0"], capsys)
        assert (code, out) == (2, "")
        assert err.startswith("taperplan: error: cows: 9 problems:\n")
        missing = [line.split(":")[0].strip() for line in err.splitlines()[1:]]
        assert missing == [
            "--restlessness", "--pupils", "--bone-joint-aches", "--runny-nose-tearing",
            "--gi-upset", "--tremor", "--yawning", "--anxiety-irritability", "--gooseflesh",
        ]  # fmt: skip
        assert "--gooseflesh: missing (fix: give --gooseflesh with one of 0, 3, 5)" in err

    def test_prompts_on_a_terminal(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On a terminal the missing items are asked for (on stderr) and scored."""
        monkeypatch.setattr(_cli_clinical, "_stdin_is_tty", lambda: True)
        # restlessness, pupils, ..., gooseflesh: the answers of COWS_8 after pulse and sweating;
        # "7" is refused and asked again.
        answers = ["7", "1", "1", "1", "0", "2", "0", "1", "1", "0"]
        monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n"))
        code, out, err = run(
            ["score", "cows", "--pulse", "1", "--sweating", "0", "--format", "json"], capsys
        )
        assert code == 0
        assert json.loads(out)["total"] == 8
        assert "restlessness: Restlessness observed during the assessment" in err

    def test_unknown_scale(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown scale is a usage error (exit 2)."""
        code, out, err = run(["score", "cowz"], capsys)
        assert (code, out) == (2, "")
        assert "cowz" in err

    def test_help_shows_labels_and_legal_values(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--help lists each item's option, label and legal scores."""
        code, out, _ = run(["score", "cows", "--help"], capsys)
        assert code == 0
        words = " ".join(out.split())
        assert "--gooseflesh {0|3|5}" in words
        assert "Gooseflesh skin (piloerection). Legal scores: 0, 3, 5." in words


@pytest.fixture
def plan_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The sample regimen's plan from 2027-01-04, written by `taperplan plan --format json`."""
    code = main(["plan", str(SAMPLE), "--start", "2027-01-04", "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 0
    path = tmp_path / "plan.json"
    path.write_text(out, encoding="utf-8")
    return path


def write_log(tmp_path: Path, rows: list[str], name: str = "log.csv") -> Path:
    """Write a CSV log with the documented header; return its path."""
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


#: Settled before the first cut (2027-01-04), COWS 14 three days after it, craving later.
ROWS = [
    "2027-01-02,cows,2,4,low back,,,,,",
    "2027-01-07,cows,14,5,,,,,,sweating",
    "2027-01-12,cows,4,4,,,,,,",
    "2027-01-15,,,,,,,yes,,asked for more",
]


class TestReview:
    """``taperplan review PLAN.json LOG``, end to end."""

    def test_table(
        self, plan_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The table shows the pause flag with its evidence, preview and source, and the OUD flag."""
        log = write_log(tmp_path, ROWS)
        code, out, err = run(["review", str(plan_json), str(log), "--on", "2027-01-07"], capsys)
        assert (code, err) == (0, "")
        assert "2 log entries reviewed, 2 after 2027-01-07 ignored; 1 flag." in out
        assert "1. [pause] cows-moderate-after-cut (step tp-" in out
        assert "     2027-01-07  COWS 14/48 (moderate)" in out
        assert (
            "   If paused from 2027-01-08 for 14 days: next cut 2027-02-01 -> 2027-02-15; "
            "stop 2028-02-28 -> 2028-03-13"
        ) in out
        assert "   Source: COWS; also VA-TDT" in out
        assert "[oud]" not in out
        assert "not a diagnosis" in out

    def test_default_on_is_the_last_entry(
        self, plan_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without --on the review is as of the last entry's date, said on stderr."""
        log = write_log(tmp_path, ROWS)
        code, out, err = run(["review", str(plan_json), str(log)], capsys)
        assert code == 0
        assert err == (
            "taperplan: --on not given; reviewing as of 2027-01-15, "
            "the date of the last log entry\n"
        )
        assert "[pause] cows-moderate-after-cut" in out
        assert "[oud] craving" in out
        assert "     2027-01-15  craving (asked for more)" in out

    def test_json(
        self, plan_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--format json gives the flags with rule, kind, evidence, source and preview."""
        log = write_log(tmp_path, ROWS)
        code, out, _ = run(["review", str(plan_json), str(log), "--format", "json"], capsys)
        assert code == 0
        data = json.loads(out)
        assert data["schema"] == "taperplan.review/1"
        assert (data["on"], data["entries"], data["ignored_after_on"]) == ("2027-01-15", 4, 0)
        assert [(f["rule"], f["kind"], f["source"]) for f in data["flags"]] == [
            ("cows-moderate-after-cut", "pause", "COWS"),
            ("craving", "oud", "CDC-PG"),
        ]
        pause = data["flags"][0]
        assert [e["date"] for e in pause["evidence"]] == ["2027-01-07"]
        assert pause["pause_preview"]["hold_from"] == "2027-01-15"
        assert pause["pause_preview"]["next_cut_paused"] == "2027-02-15"
        assert data["flags"][1]["pause_preview"] is None
        assert data["disclaimer"] == SAFETY

    def test_toml_log_and_pause_days(
        self, plan_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A TOML log works the same; --pause-days 28 previews a 28-day hold."""
        log = tmp_path / "log.toml"
        log.write_text('[[entry]]\ndate = 2027-01-07\nscale = "cows"\ntotal = 14\n')
        argv = ["review", str(plan_json), str(log), "--pause-days", "28", "--format", "json"]
        code, out, _ = run(argv, capsys)
        assert code == 0
        preview = json.loads(out)["flags"][0]["pause_preview"]
        assert (preview["held_days"], preview["next_cut_paused"]) == (28, "2027-03-01")

    def test_settled_log_has_no_flags(
        self, plan_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A log that settles within the window prints "No flags"."""
        log = write_log(tmp_path, ["2027-01-06,cows,8,4,,,,,,", "2027-01-12,cows,3,4,,,,,,"])
        code, out, _ = run(["review", str(plan_json), str(log)], capsys)
        assert code == 0
        assert "0 flags." in out
        assert "No flags: no entry meets a review rule." in out

    def test_bad_log_exit_2(
        self, plan_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A bad log exits 2 naming the file, each row and field; nothing on stdout."""
        log = write_log(tmp_path, ["2027-01-07,cows,14,11,,,,,,", "2027-01-08,,,,,,,often,,"])
        code, out, err = run(["review", str(plan_json), str(log)], capsys)
        assert (code, out) == (2, "")
        assert err.startswith(f"taperplan: error: {log}: 2 problems:\n")
        assert "  row 2, pain: '11' is not a whole number from 0 to 10" in err
        assert "  row 3, craving: 'often' is not yes or no" in err

    def test_bad_plan_exit_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A plan file that is not plan JSON exits 2 naming the file and the field."""
        plan = tmp_path / "plan.json"
        plan.write_text('{"schema": "taperplan.plan/1", "id": "tp-1", "revision": 0}')
        log = write_log(tmp_path, ROWS)
        code, out, err = run(["review", str(plan), str(log)], capsys)
        assert (code, out) == (2, "")
        # The one reader of plan JSON lists every missing part, each with the fix.
        assert err.startswith(f"taperplan: error: {plan}: 10 problems:\n")
        fix = "(fix: write the plan again with `taperplan plan FILE --format json`)"
        assert f"  steps: missing {fix}\n" in err
        assert f"  baseline: missing {fix}\n" in err

    def test_plan_not_json(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A plan file that is not JSON exits 2 with the line and column."""
        plan = tmp_path / "plan.json"
        plan.write_text("schema = 1\n")
        code, out, err = run(["review", str(plan), str(write_log(tmp_path, ROWS))], capsys)
        assert (code, out) == (2, "")
        assert f"{plan}: 1 problem:\n  not JSON: Expecting value at line 1, column 1" in err

    def test_missing_files(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing plan file exits 2 naming it."""
        missing = tmp_path / "nope.json"
        code, out, err = run(["review", str(missing), "log.csv"], capsys)
        assert (code, out) == (2, "")
        assert f"{missing}: 1 problem:\n  cannot read the file" in err

    def test_empty_log_needs_on(
        self, plan_json: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An empty log without --on exits 2 asking for --on; with --on it reviews to no flags."""
        log = write_log(tmp_path, [])
        code, out, err = run(["review", str(plan_json), str(log)], capsys)
        assert (code, out) == (2, "")
        assert "no entries (fix: add entries, or give --on YYYY-MM-DD)" in err
        code, out, _ = run(["review", str(plan_json), str(log), "--on", "2027-01-07"], capsys)
        assert code == 0
        assert "No flags" in out

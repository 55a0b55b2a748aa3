"""Tests for the foundation commands of the CLI: --version, mme, paces, demo and usage errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import taperplan
from support import DATA
from taperplan.cli.main import SAFETY, main

SAMPLE = DATA / "interfaces-sample.toml"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, body: str, name: str = "regimen.toml") -> str:
    """Write a regimen file; return its path."""
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return str(path)


HYDROMORPHONE = (
    '[[medication]]\ndrug = "hydromorphone"\nform = "ir_tablet"\nstrength = "2 mg"\n'
    'dose = "2 mg"\ntimes = ["06:00", "12:00", "18:00", "23:00"]\n'
)
BUPRENORPHINE = (
    '[[medication]]\ndrug = "buprenorphine"\nform = "patch"\nstrength = "10 mcg/h"\n'
    'dose = "10 mcg/h"\ntimes = ["09:00"]\n'
)
METHADONE_90 = (
    '[[medication]]\ndrug = "methadone"\nform = "oral_solution"\nstrength = "1 mg/mL"\n'
    'dose = "90 mg"\ntimes = ["08:00"]\n'
)


class TestVersion:
    """``taperplan --version``."""

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--version prints ``taperplan X.Y...`` (the package version) and exits 0."""
        code, out, err = run(["--version"], capsys)
        assert code == 0
        assert re.fullmatch(r"taperplan \d+\.\d+\S*\n", out)
        assert out == f"taperplan {taperplan.__version__}\n"
        assert err == ""

    def test_console_script(self) -> None:
        """The installed ``taperplan`` console script runs and exits 0."""
        script = shutil.which("taperplan", path=str(Path(sys.executable).parent))
        if script is None:
            pytest.skip("the console script is not installed next to this interpreter")
        result = subprocess.run(
            [script, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0
        assert result.stdout.startswith("taperplan ")


class TestMME:
    """``taperplan mme FILE``."""

    def test_table(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The table names the factor set, each medication, the total, the warnings and the safety statement."""
        code, out, err = run(["mme", str(SAMPLE)], capsys)
        assert code == 0
        assert err == ""
        assert "cdc2022" in out
        row = next(line for line in out.splitlines() if line.startswith("oxycodone"))
        assert row.split() == ["oxycodone", "ER", "tablet", "40", "mg/day", "1.5", "60"]
        assert "Total: 60 MME/day" in out
        assert "[mme-over-50]" in out
        assert "[mme-estimate]" in out
        assert "not medical advice" in out

    def test_json_shape(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--format json has the interfaces.md section 3 keys and values."""
        code, out, err = run(["mme", str(SAMPLE), "--format", "json"], capsys)
        assert code == 0
        assert err == ""
        data = json.loads(out)
        assert {"factor_set", "total_mme_per_day", "medications", "warnings"} <= set(data)
        assert data["factor_set"] == "cdc2022"
        assert data["total_mme_per_day"] == 60.0
        (medication,) = data["medications"]
        assert {"drug", "form", "daily_amount", "unit", "mme_per_day"} <= set(medication)
        assert medication["drug"] == "oxycodone"
        assert medication["form"] == "er_tablet"
        assert medication["daily_amount"] == 40.0
        assert medication["unit"] == "mg"
        assert medication["mme_per_day"] == 60.0
        for warning in data["warnings"]:
            assert {"code", "message"} <= set(warning)
            assert isinstance(warning["message"], str)
            assert warning["message"]
        # The MME warnings, then the patient's safety warnings (60 MME/day: offer naloxone).
        assert [w["code"] for w in data["warnings"]] == ["mme-estimate", "mme-over-50", "naloxone"]

    def test_json_is_deterministic(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Two runs print the same bytes."""
        first = run(["mme", str(SAMPLE), "--format", "json"], capsys)
        second = run(["mme", str(SAMPLE), "--format", "json"], capsys)
        assert first == second

    @pytest.mark.parametrize(("factors", "total"), [("cdc2022", 40.0), ("cdc2016", 32.0)])
    def test_factors_option(
        self, factors: str, total: float, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--factors picks the set: hydromorphone 8 mg/day is 40 MME under cdc2022 and 32 under cdc2016."""
        path = write(tmp_path, HYDROMORPHONE)
        code, out, _ = run(["mme", path, "--factors", factors, "--format", "json"], capsys)
        assert code == 0
        data = json.loads(out)
        assert data["factor_set"] == factors
        assert data["total_mme_per_day"] == total

    def test_cdc2016_table(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The table under --factors cdc2016 shows the 2016 factor and total."""
        code, out, _ = run(["mme", write(tmp_path, HYDROMORPHONE), "--factors", "cdc2016"], capsys)
        assert code == 0
        assert "cdc2016" in out
        assert "Total: 32 MME/day" in out

    def test_buprenorphine_is_null(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Where no factor applies, mme_per_day and the total are null, with a warning saying why."""
        code, out, _ = run(["mme", write(tmp_path, BUPRENORPHINE), "--format", "json"], capsys)
        assert code == 0
        data = json.loads(out)
        assert data["total_mme_per_day"] is None
        assert data["medications"][0]["mme_per_day"] is None
        assert data["medications"][0]["unit"] == "mcg/h"
        warning = next(w for w in data["warnings"] if w["code"] == "mme-not-applicable")
        assert "partial agonist" in warning["message"]

    def test_buprenorphine_table_says_na(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The table prints n/a where no factor applies."""
        code, out, _ = run(["mme", write(tmp_path, BUPRENORPHINE)], capsys)
        assert code == 0
        assert "Total: n/a MME/day" in out

    def test_methadone_above_cdc2016_bands_exits_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Methadone 90 mg/day under cdc2016 exits 2 naming the file, the medication and the fix."""
        path = write(tmp_path, METHADONE_90)
        code, out, err = run(["mme", path, "--factors", "cdc2016"], capsys)
        assert code == 2
        assert out == ""
        assert path in err
        assert "medication[0]" in err
        assert "cdc2022" in err
        assert "Traceback" not in err
        code, out, _ = run(["mme", path, "--format", "json"], capsys)
        assert code == 0
        assert json.loads(out)["total_mme_per_day"] == 423.0


class TestUsageErrors:
    """Usage errors exit 2 with a message on stderr and nothing on stdout."""

    @pytest.mark.parametrize(
        "argv",
        [
            [],
            ["bogus"],
            ["mme"],
            ["mme", str(SAMPLE), "--factors", "cdc1999"],
            ["mme", str(SAMPLE), "--format", "xml"],
            ["mme", str(SAMPLE), "--no-such-option"],
            ["--no-such-option"],
            ["mme", str(SAMPLE), "extra-argument"],
        ],
    )
    def test_exit_2(self, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
        """Each bad command line exits 2, prints nothing on stdout and says what is wrong on stderr."""
        code, out, err = run(argv, capsys)
        assert code == 2
        assert out == ""
        assert err.strip()
        assert "Traceback" not in err

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that does not exist exits 2 and names the file."""
        path = str(tmp_path / "missing.toml")
        code, out, err = run(["mme", path], capsys)
        assert code == 2
        assert out == ""
        assert path in err

    def test_directory(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A directory instead of a file exits 2."""
        code, out, err = run(["mme", str(tmp_path)], capsys)
        assert code == 2
        assert out == ""
        assert "directory" in err


class TestOtherCommands:
    """``demo`` and ``paces``."""

    def test_demo(self, capsys: pytest.CaptureFixture[str]) -> None:
        """demo exits 0, shows the sample regimen and its MME, and prints the safety statement."""
        code, out, err = run(["demo"], capsys)
        assert code == 0
        assert err == ""
        assert " ".join(SAFETY.split()) in " ".join(out.split())
        assert "not medical advice" in out
        assert 'drug = "oxycodone"' in out
        assert "Total: 60 MME/day" in out

    def test_paces(self, capsys: pytest.CaptureFixture[str]) -> None:
        """paces lists each preset with its rate and its source citation."""
        code, out, err = run(["paces"], capsys)
        assert code == 0
        assert err == ""
        for name in ("cdc-long-term", "cdc-short-term", "va-slower"):
            assert re.search(rf"^{re.escape(name)}\b", out, re.MULTILINE)
        assert "source: Dowell D" in out

    def test_help_carries_the_safety_statement(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--help exits 0 and ends with the safety statement."""
        code, out, _ = run(["--help"], capsys)
        assert code == 0
        assert " ".join(SAFETY.split()) in " ".join(out.split())

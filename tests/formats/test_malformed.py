"""Every malformed regimen file in tests/data/malformed is refused cleanly, by the API and the CLI.

``expected.toml`` maps each file to the exception class and the field (or, for
files that are not TOML at all, where or why) that the message must name.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib
from typing import Any

import pytest

from support import DATA
from taperplan import InvalidRegimenError, TaperplanError, load_regimen
from taperplan.cli.main import main
from taperplan.errors import RegimenFileError

MALFORMED = DATA / "malformed"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads(
    (MALFORMED / "expected.toml").read_text(encoding="utf-8")
)
FILES = sorted(p.name for p in MALFORMED.iterdir() if p.name != "expected.toml")
CLASSES: dict[str, type[TaperplanError]] = {
    "RegimenFileError": RegimenFileError,
    "InvalidRegimenError": InvalidRegimenError,
}
#: A date before the corpus's far-future ``on_opioids_since`` (2999-01-01).
TODAY = dt.date(2025, 1, 1)


class TestCorpus:
    """The corpus itself."""

    def test_every_file_has_an_expectation(self) -> None:
        """expected.toml lists exactly the files in the folder."""
        assert sorted(EXPECTED) == FILES

    def test_corpus_is_large_and_varied(self) -> None:
        """At least 30 files, both error classes, and some that are not UTF-8 text."""
        assert len(FILES) >= 30
        assert {e["error"] for e in EXPECTED.values()} == set(CLASSES)
        assert any(name.endswith(".bin") for name in FILES)
        not_utf8 = 0
        for name in FILES:
            try:
                (MALFORMED / name).read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                not_utf8 += 1
        assert not_utf8 >= 2


class TestAPI:
    """load_regimen refuses each file with the expected class, naming the field."""

    @pytest.mark.parametrize("name", FILES)
    def test_refused_with_field(self, name: str) -> None:
        """The file raises the expected error class, and its message names the file and the field."""
        expected = EXPECTED[name]
        path = MALFORMED / name
        with pytest.raises(TaperplanError) as info:
            load_regimen(path, today=TODAY)
        error = info.value
        assert type(error) is CLASSES[expected["error"]]
        message = str(error)
        assert str(path) in message
        assert expected["field"] in message
        for text in expected.get("mentions", []):
            assert text in message
        if isinstance(error, InvalidRegimenError):
            assert any(expected["field"] in p.path for p in error.problems)
            assert all(p.fix for p in error.problems)
            assert len({(p.path, p.message) for p in error.problems}) == len(error.problems)


class TestCLI:
    """``taperplan mme FILE`` exits 2 with a short message on stderr and nothing on stdout."""

    @pytest.mark.parametrize("name", FILES)
    def test_mme_exits_2(self, name: str, capsys: pytest.CaptureFixture[str]) -> None:
        """Exit code 2, empty stdout, stderr naming the file and the field, and no traceback."""
        expected = EXPECTED[name]
        path = str(MALFORMED / name)
        code = main(["mme", path])
        out, err = capsys.readouterr()
        assert code == 2
        assert out == ""
        assert path in err
        assert expected["field"] in err
        assert "Traceback" not in err

    @pytest.mark.parametrize(
        "name",
        [
            "binary-junk.bin",
            "deep-nesting.toml",
            "unknown-drug.toml",
            "non-utf8-latin1.toml",
            "future-on-opioids-since.toml",
        ],
    )
    def test_real_process(self, name: str) -> None:
        """Run as a real process (``python -m taperplan.cli.main``), the same file gives the same clean refusal."""
        expected = EXPECTED[name]
        path = str(MALFORMED / name)
        result = subprocess.run(
            [sys.executable, "-m", "taperplan.cli.main", "mme", path, "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2
        assert result.stdout == ""
        assert path in result.stderr
        assert expected["field"] in result.stderr
        assert "Traceback" not in result.stderr + result.stdout

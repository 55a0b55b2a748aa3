"""The scripts in examples/ run as they are, and leave nothing behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))

#: The scripts issue 6 asks for: the public API's main uses, each runnable as is.
REQUIRED = {
    "quickstart.py",
    "several_opioids.py",
    "pause_and_replan.py",
    "fhir_for_ehr.py",
    "clinic_batch.py",
    "symptom_review.py",
}


def test_the_required_examples_exist() -> None:
    assert {path.name for path in EXAMPLES} >= REQUIRED


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(script: Path, tmp_path: Path) -> None:
    """Each example exits 0, prints the safety line, writes nothing to stderr and
    nothing into the folder it runs in."""
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Decision support for clinicians" in result.stdout
    assert list(tmp_path.iterdir()) == []

"""What the command line prints reaches a terminal as text, never as terminal commands
(issue 15 item 1): escape sequences and control characters from inputs are removed from
everything it prints, on standard output and standard error."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from taperplan.cli.main import main
from taperplan.cli.terminal import for_terminal

SAMPLE = str(resources.files("taperplan") / "data" / "sample-regimen.toml")
#: Set the window title (OSC), clear the screen (CSI), a bell, a C1 control.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m\x07\x9b"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (HOSTILE, "red"),
        ("line\nnext\ttab", "line\nnext\ttab"),
        ("carriage\rreturn", "carriagereturn"),
        ("title \x1b]2;x\x1b\\ end", "title  end"),
        # An OSC without its terminator loses its ESC ] only: the rest is text, not
        # swallowed with every line after it (the table of a plan was printed empty).
        ("tp-\x1b]0;pwned\nStep 1", "tp-0;pwned\nStep 1"),
        ("plain, ½ × 7.5 mg", "plain, ½ × 7.5 mg"),
    ],
)
def test_for_terminal(text: str, shown: str) -> None:
    assert for_terminal(text) == shown


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_plan_id_with_control_characters_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """taperplan writes ids such as ``tp-1a2b3c4d5e6f``; an id holding escape sequences
    was edited in, and the plan file is refused (exit 2), naming the id."""
    plan = tmp_path / "plan.json"
    code, out, err = run(["plan", SAMPLE, "--start", "2027-01-04", "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    data["id"] = f"tp-{HOSTILE}"
    plan.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(["pause", str(plan), "--on", "2027-02-10", "--days", "7"], capsys)
    assert code == 2
    assert out == ""
    assert "id: must not hold control characters" in err
    assert "\x1b" not in out + err
    assert "\x07" not in out + err


def test_a_hostile_file_name_reaches_an_error_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / f"x{HOSTILE}.toml"
    code, out, err = run(["plan", str(missing), "--start", "2027-01-04"], capsys)
    assert (code, out) == (2, "")
    assert "cannot read" in err or "does not exist" in err or "No such file" in err
    assert "\x1b" not in err
    assert "\x07" not in err

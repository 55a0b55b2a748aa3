"""CLI polish: every command's help has examples, the demo runs the whole pipeline,
and shell completion scripts are printed."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from support import ROOT
from taperplan import load_plan
from taperplan._statement import SAFETY
from taperplan.cli.main import cli, main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of every command under ``group``, subcommands included."""
    context = click.Context(group)
    found: list[tuple[str, ...]] = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


COMMANDS = _commands(cli)


def test_the_commands_are_there() -> None:
    names = {path[0] for path in COMMANDS}
    assert names >= {"mme", "paces", "plan", "demo", "score", "review", "batch", "completion"}
    assert ("score", "cows") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_help_shows_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"taperplan {' '.join(path)} --help has no example"
    assert f"taperplan {path[0]}" in result.output


def test_demo_shows_every_stage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    for heading in ("1. Sample regimen", "2. Morphine", "3. The taper plan", "4. Exports"):
        assert heading in out
    for name in ("plan.json", "plan.csv", "plan.ics", "plan.fhir.json", "handout.html"):
        assert name in out
    assert "reads back equal" in out
    assert " ".join(SAFETY.split()) in " ".join(out.split())


def test_demo_out_writes_the_exports_and_keeps_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert main(["demo", "--out", str(folder)]) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["handout.html", "plan.csv", "plan.fhir.json", "plan.ics", "plan.json"]
    plan = load_plan(folder / "plan.json")
    assert plan.start.isoformat() == "2027-01-04"
    assert (folder / "plan.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    capsys.readouterr()

    # A second run refuses without --force and changes nothing.
    (folder / "plan.csv").write_text("mine", encoding="utf-8")
    assert main(["demo", "--out", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "--force" in err
    assert (folder / "plan.csv").read_text(encoding="utf-8") == "mine"

    # With --force the exports are rewritten, identical to the first run.
    assert main(["demo", "--out", str(folder), "--force"]) == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "_TAPERPLAN_COMPLETE" in out
    assert f"{shell}_source" in out or f"{shell}_complete" in out


def test_completion_refuses_an_unknown_shell(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "tcsh"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "tcsh" in err


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("2027-02-30", "is not a day of the calendar"),
        ("27-2-3", "write YYYY-MM-DD"),
        ("2027/01/04", "write YYYY-MM-DD"),
    ],
)
def test_a_bad_start_date_says_what_is_wrong(
    given: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    regimen = ROOT / "src/taperplan/data/sample-regimen.toml"
    assert main(["plan", str(regimen), "--start", given]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert said in err
    assert "--start" in err

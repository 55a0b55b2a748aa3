"""The layout of the command line: what its modules share and what they ask the
catalogue for."""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from pathlib import Path

import click
import pytest
from dateutil.relativedelta import MO, relativedelta

from taperplan.cli.main import COMMANDS, LazyGroup, cli
from taperplan.cli.mme import mme
from taperplan.cli.types import next_monday
from taperplan.reference.products import catalogue


def test_next_monday_is_dateutils_next_monday() -> None:
    """next_monday gives what relativedelta(days=1, weekday=MO(+1)) gave before it,
    for every day of the week and across a month and a year end."""
    for offset in range(-3, 40):
        today = dt.date(2026, 12, 1) + dt.timedelta(days=offset)
        assert next_monday(today) == today + relativedelta(days=1, weekday=MO(+1)), today
        assert next_monday(today).weekday() == 0
        assert 1 <= (next_monday(today) - today).days <= 7


def test_the_factor_sets_are_the_catalogues() -> None:
    """mme --factors offers the catalogue's factor sets, in its order, and defaults
    to its default set: the command line lists none of its own."""
    (option,) = [param for param in mme.params if param.name == "factors"]
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == [factor_set.name for factor_set in catalogue().factor_sets]
    assert option.default == catalogue().default_factor_set.name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_commands_own(name: str) -> None:
    """The summary ``taperplan --help`` shows without importing a command is the
    first paragraph of the command's help: the listing reads the same at every width."""
    lazy = COMMANDS[name]
    command = getattr(importlib.import_module(lazy.module), lazy.attribute)
    assert isinstance(command, click.Command)
    assert command.name == name
    assert cli.get_command(click.Context(cli), name) is command
    assert command.help is not None
    assert lazy.summary == " ".join(command.help.partition("\n\n")[0].split())
    stand_in = click.Command(name, help=lazy.summary)
    for width in range(1, 160):
        assert stand_in.get_short_help_str(width) == command.get_short_help_str(width), width


def test_root_help_is_the_same_with_every_command_loaded(tmp_path: Path) -> None:
    """``taperplan --help`` lists the commands from their summaries; with every command
    loaded into the group it prints the same bytes."""
    code = (
        "import click\n"
        "from taperplan.cli.main import cli, main\n"
        "main(['--help'])\n"
        "context = click.Context(cli)\n"
        "for name in cli.list_commands(context):\n"
        "    cli.add_command(cli.get_command(context, name), name)\n"
        "print('-' * 20)\n"
        "main(['--help'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    lazily, _, loaded = result.stdout.partition("-" * 20 + "\n")
    assert lazily == loaded
    assert "Commands:" in lazily
    for name in COMMANDS:
        assert f"\n  {name} " in lazily, name


def test_a_misspelt_command_is_compared_with_every_command() -> None:
    """Click's "Did you mean" considers the commands not loaded yet as well."""
    group = LazyGroup(name="taperplan", lazy_commands=COMMANDS)
    context = click.Context(group)
    with pytest.raises(click.UsageError) as raised:
        group.resolve_command(context, ["reveiw"])
    if getattr(raised.value, "possibilities", None) is not None:  # click >= 8.4
        assert "review" in raised.value.format_message()
    assert not group.commands

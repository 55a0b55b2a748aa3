"""The ``taperplan`` command line: the root group, its options and its commands.

Each command lives in its own module of :mod:`taperplan.cli`, imported only
when that command runs or shows its own help (click's lazily loaded
subcommands). ``taperplan --help`` and shell completion list every command
from :data:`COMMANDS` without importing any of them.

Exit codes (interfaces.md §2): 0 success; 2 bad input or usage, with a short
message on stderr naming the file, the field and the fix, and nothing on
stdout; 1 an internal error. Never a traceback for bad input.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import click
from click.shell_completion import CompletionItem

from taperplan._statement import SAFETY
from taperplan._version import __version__
from taperplan.cli.terminal import echo
from taperplan.errors import TaperplanError

__all__ = ["COMMANDS", "SAFETY", "LazyCommand", "LazyGroup", "cli", "main"]


# click 8.4 added NoSuchCommand, whose "Did you mean" compares a misspelt name
# with the commands added so far; older click suggests nothing.
_NoSuchCommand: Any = getattr(click.exceptions, "NoSuchCommand", None)


class LazyCommand(NamedTuple):
    """Where a command lives, and what ``taperplan --help`` says of it."""

    module: str
    attribute: str
    #: The first paragraph of the command's help (a test checks that they agree).
    summary: str


#: Every command of ``taperplan``, by name.
COMMANDS: Mapping[str, LazyCommand] = {
    "batch": LazyCommand(
        "taperplan.cli.batch",
        "batch",
        "Plan every patient of a clinic CSV, or every regimen file of a folder.",
    ),
    "completion": LazyCommand(
        "taperplan.cli.completion",
        "completion",
        "Print the shell completion script for SHELL.",
    ),
    "demo": LazyCommand(
        "taperplan.cli.demo",
        "demo",
        "Show the whole pipeline on the embedded sample regimen.",
    ),
    "initiate": LazyCommand(
        "taperplan.cli.initiate",
        "initiate",
        "Plan a low-dose buprenorphine initiation from the full agonists in FILE.",
    ),
    "mme": LazyCommand(
        "taperplan.cli.mme",
        "mme",
        "Print the morphine milligram equivalents (MME/day) of a regimen FILE.",
    ),
    "paces": LazyCommand(
        "taperplan.cli.paces",
        "paces",
        "List the pace presets with their rates, caps and sources.",
    ),
    "pause": LazyCommand(
        "taperplan.cli.visit",
        "pause",
        "Hold the dose of a plan from --on for --days more days.",
    ),
    "plan": LazyCommand(
        "taperplan.cli.plan",
        "plan",
        "Plan a gradual taper of the regimen in FILE.",
    ),
    "replan": LazyCommand(
        "taperplan.cli.visit",
        "replan",
        "Continue a plan from what the patient takes at a visit.",
    ),
    "review": LazyCommand(
        "taperplan.cli.clinical",
        "review",
        "Review a symptom LOG (.csv or .toml) against a plan written by "
        "`taperplan plan --format json`.",
    ),
    "rotate": LazyCommand(
        "taperplan.cli.rotate",
        "rotate",
        "Plan a switch from the opioids in FILE to another opioid (--to).",
    ),
    "serve": LazyCommand(
        "taperplan.cli.serve",
        "serve",
        "Serve the web page, the JSON API and the CDS Hooks service.",
    ),
    "score": LazyCommand(
        "taperplan.cli.clinical",
        "score",
        "Score a withdrawal scale: cows, sows (Handelsman) or sows-gossop.",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on demand (click's ``LazyGroup``).

    ``get_command`` imports a command's module when the command runs or shows
    its own help. Listing the commands (the group's help, shell completion)
    uses each one's summary instead, so it imports none of them. Commands
    added with :meth:`add_command` take precedence, as in any group.
    """

    def __init__(self, *args: Any, lazy_commands: Mapping[str, LazyCommand], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = self.lazy_commands.get(cmd_name)
        if cmd_name in self.commands or lazy is None:
            return super().get_command(ctx, cmd_name)
        command = getattr(importlib.import_module(lazy.module), lazy.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{lazy.module}.{lazy.attribute} is not a click command")
        return command

    def listed(self, cmd_name: str) -> click.Command:
        """The command as a listing shows it: the command itself if it was added
        to the group, else a stand-in with its name and summary (the same short
        help, without importing its module)."""
        command = self.commands.get(cmd_name)
        if command is None:
            command = click.Command(cmd_name, help=self.lazy_commands[cmd_name].summary)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The "Commands" section of the help, as click writes it, from :meth:`listed`."""
        shown = [(name, self.listed(name)) for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in shown if not command.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl(
                [(name, command.get_short_help_str(limit)) for name, command in shown]
            )

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """The command names that start with ``incomplete`` (from :meth:`listed`),
        then the group's options, as click completes them."""
        commands = [
            CompletionItem(name, help=command.get_short_help_str())
            for name in self.list_commands(ctx)
            if name.startswith(incomplete) and not (command := self.listed(name)).hidden
        ]
        return commands + click.Command.shell_complete(self, ctx, incomplete)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """As click's, but a misspelt name is compared with every command, loaded or not."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            if _NoSuchCommand is None or not isinstance(error, _NoSuchCommand):
                raise
            raise _NoSuchCommand(
                error.command_name, possibilities=self.list_commands(ctx), ctx=ctx
            ) from None


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=SAFETY,
)
@click.version_option(version=__version__, prog_name="taperplan", message="%(prog)s %(version)s")
def cli() -> None:
    """Plan gradual opioid tapers that never drop abruptly.

    \b
    Examples:
      taperplan demo
      taperplan mme regimen.toml --format json
      taperplan paces
    """


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (used by the console script)."""

    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="taperplan",
            standalone_mode=False,
        )
    except click.exceptions.UsageError as error:
        error.show()
        return 2
    except click.exceptions.Abort:
        echo("taperplan: aborted", err=True)
        return 1
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except click.ClickException as error:
        error.show()
        return 2
    except TaperplanError as error:
        echo(f"taperplan: error: {error}", err=True)
        return 2
    except Exception as error:
        echo(f"taperplan: internal error: {type(error).__name__}: {error}", err=True)
        echo("Please report this with the input that caused it.", err=True)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

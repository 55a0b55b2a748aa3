"""``taperplan completion``: the shell completion script."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from taperplan.cli.terminal import echo
from taperplan.cli.types import Usage


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    Examples:
      eval "$(taperplan completion bash)"        # in ~/.bashrc
      eval "$(taperplan completion zsh)"         # in ~/.zshrc
      taperplan completion fish > ~/.config/fish/completions/taperplan.fish
    """
    completer = get_completion_class(shell)
    if completer is None:  # pragma: no cover - click ships all three
        raise Usage(f"SHELL: {shell} completion is not available")
    # The script completes the root command, the group this command runs under.
    script = completer(ctx.find_root().command, {}, "taperplan", "_TAPERPLAN_COMPLETE").source()
    echo(script)

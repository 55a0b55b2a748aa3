"""``taperplan paces``: the pace presets, with their rates, caps and sources."""

from __future__ import annotations

import click

from taperplan.cli.terminal import echo
from taperplan.reference.paces import presets
from taperplan.reference.products import catalogue


@click.command()
def paces() -> None:
    """List the pace presets with their rates, caps and sources.

    Use a name with `taperplan plan FILE --pace NAME` or in the regimen's
    [pace] table.

    \b
    Examples:
      taperplan paces
      taperplan plan regimen.toml --pace va-slower
    """
    for pace in presets():
        source = catalogue().source(pace.source)
        flag = "  (supervised settings only)" if pace.supervised_only else ""
        echo(f"{pace.name}{flag}")
        echo(f"  {pace.description}")
        echo(f"  rate: {pace.describe_rate()}")
        echo(f"  source: {source.citation}")
        echo("")

"""The ``taperplan`` command line.

Exit codes (interfaces.md §2): 0 success; 2 bad input or usage, with a short
message on stderr naming the file, the field and the fix, and nothing on
stdout; 1 an internal error. Never a traceback for bad input.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from taperplan._errors import TaperplanError

if TYPE_CHECKING:
    from taperplan._regimen import Regimen

SAFETY = (
    "taperplan is decision support for clinicians. It is not medical advice and not a diagnosis; "
    "any change to opioid doses must be made with the prescribing clinician."
)
PLAN_FORMATS = click.Choice(["table", "json", "csv"])

_FORMATS = click.Choice(["table", "json"])
# Two decimal places for people; JSON keeps the exact values.
_Q = Decimal("0.01")


class _InFile(click.ClickException):
    """A refusal about a file's content, reported with the file's name (exit 2)."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        click.echo(f"taperplan: error: {self.message}", err=True)


def _about(path: str, error: Exception) -> _InFile:
    """``error`` (a TaperplanError) with ``path`` in front unless it names it already."""
    text = str(error)
    return _InFile(text if text.startswith(path) else f"{path}: {text}")


def _load(path: str) -> Regimen:
    import datetime as dt  # noqa: PLC0415 - keeps start-up light

    from taperplan._loader import load_regimen  # noqa: PLC0415

    # The edge of the program is the one place that reads the clock.
    return load_regimen(path, today=dt.datetime.now(dt.UTC).date())


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=SAFETY,
)
@click.version_option(
    package_name="taperplan", prog_name="taperplan", message="%(prog)s %(version)s"
)
def cli() -> None:
    """Plan gradual opioid tapers that never drop abruptly.

    \b
    Examples:
      taperplan demo
      taperplan mme regimen.toml --format json
      taperplan paces
    """


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--factors",
    type=click.Choice(["cdc2022", "cdc2016"]),
    default="cdc2022",
    show_default=True,
    help="MME conversion factor set.",
)
@click.option(
    "--format", "fmt", type=_FORMATS, default="table", show_default=True, help="Output format."
)
def mme(file: str, factors: str, fmt: str) -> None:
    """Print the morphine milligram equivalents (MME/day) of a regimen FILE.

    \b
    Examples:
      taperplan mme regimen.toml
      taperplan mme regimen.toml --factors cdc2016 --format json
    """
    from taperplan._errors import NotApplicableError  # noqa: PLC0415
    from taperplan._mme import regimen_mme  # noqa: PLC0415
    from taperplan.export._json import mme_to_dict, to_json  # noqa: PLC0415

    regimen = _load(file)
    try:
        report = regimen_mme(regimen, factors)
    except NotApplicableError as error:
        # The message must name the file as well as the medication (interfaces.md §2).
        raise NotApplicableError(f"{file}: {error}") from None
    if fmt == "json":
        click.echo(to_json(mme_to_dict(report)), nl=False)
    else:
        click.echo(_mme_table(report))


def _mme_row(part: Any) -> tuple[str, str, str, str, str]:
    from taperplan._units import format_decimal  # noqa: PLC0415

    amount = part.daily_amount
    daily = (
        str(amount)
        if amount.unit.value == "mcg/h"
        else f"{format_decimal(amount.amount.quantize(_Q))} {amount.unit.value}/day"
    )
    return (
        part.medication.drug,
        part.medication.form.value,
        daily,
        "n/a" if part.factor is None else format_decimal(part.factor),
        "n/a" if part.mme_per_day is None else format_decimal(part.mme_per_day.quantize(_Q)),
    )


def _mme_table(report: Any) -> str:
    from taperplan._catalogue import catalogue  # noqa: PLC0415
    from taperplan._units import format_decimal  # noqa: PLC0415

    factor_set = catalogue().factor_set(report.factor_set)
    rows = [
        ("drug", "form", "daily amount", "factor", "MME/day"),
        *map(_mme_row, report.medications),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"MME/day with factor set {factor_set.name}: {factor_set.title}", ""]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    total = report.total_mme_per_day
    lines += [
        "",
        f"Total: {'n/a' if total is None else format_decimal(total.quantize(_Q))} MME/day",
        "",
    ]
    lines += ["Warnings:"] + [f"  - {w.message} [{w.code}]" for w in report.warnings]
    lines += ["", SAFETY]
    return "\n".join(lines)


@cli.command()
def paces() -> None:
    """List the pace presets with their rates, caps and sources."""
    from taperplan._catalogue import catalogue  # noqa: PLC0415
    from taperplan._pace import presets  # noqa: PLC0415

    for pace in presets():
        source = catalogue().source(pace.source)
        flag = "  (supervised settings only)" if pace.supervised_only else ""
        click.echo(f"{pace.name}{flag}")
        click.echo(f"  {pace.description}")
        click.echo(f"  rate: {pace.describe_rate()}")
        click.echo(f"  source: {source.citation}")
        click.echo("")


def _next_monday(regimen: Regimen) -> tuple[str, object]:
    import datetime as dt  # noqa: PLC0415

    from dateutil.relativedelta import MO, relativedelta  # noqa: PLC0415

    zone = regimen.timezone or dt.UTC
    today = dt.datetime.now(zone).date()
    start = today + relativedelta(days=1, weekday=MO(+1))
    where = regimen.timezone.key if regimen.timezone else "UTC"
    return (
        f"taperplan: --start not given; planning from {start.isoformat()}, the next Monday in {where}",
        start,
    )


def _plan_output(regimen: Regimen, start: object, pace: str | None, fmt: str) -> str:
    import datetime as dt  # noqa: PLC0415

    from taperplan._planner import plan_taper  # noqa: PLC0415

    assert isinstance(start, dt.date)  # noqa: S101 - set by the caller
    plan = plan_taper(regimen, start=start, pace=pace)
    if fmt == "json":
        from taperplan.export._json import plan_to_dict, to_json  # noqa: PLC0415

        return to_json(plan_to_dict(plan))
    if fmt == "csv":
        from taperplan.export._csv import plan_to_csv  # noqa: PLC0415

        return plan_to_csv(plan)
    from taperplan._render import render_plan  # noqa: PLC0415

    return render_plan(plan)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Day of the first cut (YYYY-MM-DD). Default: the next Monday in the regimen's zone.",
)
@click.option(
    "--pace",
    default=None,
    metavar="NAME",
    help="A pace preset (see `taperplan paces`); overrides [pace].",
)
@click.option(
    "--format", "fmt", type=PLAN_FORMATS, default="table", show_default=True, help="Output format."
)
def plan(file: str, start: object, pace: str | None, fmt: str) -> None:
    """Plan a gradual taper of the regimen in FILE.

    \b
    Examples:
      taperplan plan regimen.toml --start 2027-01-04
      taperplan plan regimen.toml --pace va-slower --format json
      taperplan plan regimen.toml --format csv > doses.csv
    """
    import datetime as dt  # noqa: PLC0415

    regimen = _load(file)
    if start is None:
        message, day = _next_monday(regimen)
        click.echo(message, err=True)
    else:
        assert isinstance(start, dt.datetime)  # noqa: S101 - click.DateTime
        day = start.date()
    try:
        output = _plan_output(regimen, day, pace, fmt)
    except TaperplanError as error:
        raise _about(file, error) from error
    click.echo(output, nl=False)


@cli.command()
def demo() -> None:
    """Show taperplan on its embedded sample regimen (interfaces.md §1)."""
    import datetime as dt  # noqa: PLC0415

    from taperplan._data import data_text  # noqa: PLC0415
    from taperplan._loader import parse_regimen  # noqa: PLC0415
    from taperplan._mme import regimen_mme  # noqa: PLC0415

    text = data_text("sample-regimen.toml")
    regimen = parse_regimen(text, source="sample-regimen.toml")
    click.echo("Sample regimen (sample-regimen.toml):\n")
    click.echo(
        "\n".join(
            line.split("#", 1)[0].rstrip()
            for line in text.splitlines()
            if line.split("#", 1)[0].strip()
        )
    )
    click.echo("")
    click.echo(_mme_table(regimen_mme(regimen)))
    click.echo("")
    # A fixed start keeps the demo's output the same on every run.
    click.echo(_plan_output(regimen, dt.date(2027, 1, 4), None, "table"), nl=False)


def _register_clinical() -> None:
    from taperplan._cli_clinical import review, score  # noqa: PLC0415 - commands in their own module

    cli.add_command(score)
    cli.add_command(review)


_register_clinical()


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
        click.echo("taperplan: aborted", err=True)
        return 1
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except click.ClickException as error:
        error.show()
        return 2
    except TaperplanError as error:
        click.echo(f"taperplan: error: {error}", err=True)
        return 2
    except Exception as error:
        click.echo(f"taperplan: internal error: {type(error).__name__}: {error}", err=True)
        click.echo("Please report this with the input that caused it.", err=True)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

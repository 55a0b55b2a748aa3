"""``taperplan plan``: plan a gradual taper of a regimen file, print it, and
write the files asked for (see :mod:`taperplan.cli.outputs`)."""

from __future__ import annotations

import datetime as dt

import click

from taperplan import formats
from taperplan.cli.outputs import CalendarOptions, Outputs, check_targets, render_files, write_files
from taperplan.cli.regimen import read_regimen, refusal
from taperplan.cli.render import PLAN_FORMATS, plan_text
from taperplan.cli.rx import FillOptions, fill_options, render_prescriptions
from taperplan.cli.types import ISO_DATE, Usage, next_monday
from taperplan.errors import TaperplanError
from taperplan.model.regimen import Regimen
from taperplan.planning import plan_taper

_FILE = click.Path(dir_okay=False, path_type=str)


def _default_start(regimen: Regimen) -> tuple[str, dt.date]:
    """The next Monday in the regimen's zone, and the line that says so."""
    zone = regimen.timezone or dt.UTC
    start = next_monday(dt.datetime.now(zone).date())
    where = regimen.timezone.key if regimen.timezone else "UTC"
    return (
        f"taperplan: --start not given; planning from {start.isoformat()}, the next Monday in {where}",
        start,
    )


def _regimen_today(regimen: Regimen) -> dt.date:
    return dt.datetime.now(regimen.timezone or dt.UTC).date()


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--start",
    type=ISO_DATE,
    default=None,
    metavar="YYYY-MM-DD",
    help="Day of the first cut (YYYY-MM-DD). Default: the next Monday in the regimen's zone.",
)
@click.option(
    "--pace",
    default=None,
    metavar="NAME",
    help="A pace preset (see `taperplan paces`); overrides [pace].",
)
@click.option(
    "--format",
    "fmt",
    type=PLAN_FORMATS,
    default="table",
    show_default=True,
    help="What to print on stdout.",
)
@click.option("--json", "json_file", type=_FILE, metavar="FILE", help="Also write the JSON plan.")
@click.option("--csv", "csv_file", type=_FILE, metavar="FILE", help="Also write the CSV doses.")
@click.option("--ics", type=_FILE, metavar="FILE", help="Write a calendar (iCalendar).")
@click.option(
    "--fhir",
    type=_FILE,
    metavar="FILE",
    help="Write a FHIR R4 Bundle (JSON): the plan and a request to dispense for each fill.",
)
@click.option("--handout", type=_FILE, metavar="FILE", help="Write the patient handout (HTML).")
@click.option("--chart", type=_FILE, metavar="FILE", help="Write the dose chart (.png or .svg).")
@click.option(
    "--prescriptions",
    "rx_file",
    type=_FILE,
    metavar="FILE",
    help="Write the prescriptions for each fill (CSV).",
)
@fill_options
@click.option("--force", is_flag=True, help="Replace output files that exist.")
@click.option(
    "--alarm",
    type=click.IntRange(min=0, max=1440),
    default=None,
    metavar="MINUTES",
    help="Calendar: a reminder this many minutes before each dose.",
)
@click.option("--discreet", is_flag=True, help="Calendar: titles name no drug.")
@click.option(
    "--one-event-per-dose",
    is_flag=True,
    help="Calendar: one event per dose instead of repeating events.",
)
@click.option(
    "--dtstamp",
    default=None,
    metavar="ISO-DATETIME",
    help="Calendar: the DTSTAMP (e.g. 2027-01-01T09:00:00Z). Default: the start at 00:00 UTC.",
)
@click.option(
    "--generated-on",
    type=ISO_DATE,
    default=None,
    metavar="YYYY-MM-DD",
    help="Handout: the date printed on it (YYYY-MM-DD). Default: today in the regimen's zone.",
)
@click.option(
    "--substitute/--no-substitute",
    default=None,
    help="Allow (or forbid) the same drug's immediate-release tablet or oral solution to take "
    "over part of a dose the regimen's products cannot cut within the pace. Default: the "
    "regimen's [pace] substitute (allowed unless it says false).",
)
def plan(  # noqa: PLR0917 - click passes every option as a parameter
    file: str,
    start: dt.datetime | None,
    pace: str | None,
    fmt: str,
    json_file: str | None,
    csv_file: str | None,
    ics: str | None,
    fhir: str | None,
    handout: str | None,
    chart: str | None,
    rx_file: str | None,
    fill_days: int,
    fills_across_steps: bool,
    dispense: str | None,
    force: bool,
    alarm: int | None,
    discreet: bool,
    one_event_per_dose: bool,
    dtstamp: str | None,
    generated_on: dt.datetime | None,
    substitute: bool | None,
) -> None:
    """Plan a gradual taper of the regimen in FILE.

    The plan is printed on stdout in --format; the file options write more
    outputs. An output file that exists is never replaced without --force
    (nothing is written then), and every file is written atomically.

    \b
    Examples:
      taperplan plan regimen.toml --start 2027-01-04
      taperplan plan regimen.toml --pace va-slower --format json
      taperplan plan regimen.toml --format csv > doses.csv
      taperplan plan regimen.toml --start 2027-01-04 --ics taper.ics --alarm 10
      taperplan plan regimen.toml --json plan.json --handout plan.html --chart plan.svg
      taperplan plan regimen.toml --format rx --fill-days 14 --dispense weekly
      taperplan plan regimen.toml --prescriptions fills.csv
    """
    outputs = Outputs(
        json=json_file,
        csv=csv_file,
        ics=ics,
        fhir=fhir,
        handout=handout,
        chart=chart,
        prescriptions=rx_file,
    )
    fills = FillOptions(fill_days, fills_across_steps, dispense)
    uses_fills = outputs.prescriptions or outputs.fhir or outputs.handout or fmt.startswith("rx")
    if fills.given() and not uses_fills:
        raise Usage(
            f"{', '.join(fills.given())}: fill options need --prescriptions FILE, "
            "--fhir FILE, --handout FILE or --format rx"
        )
    calendar = CalendarOptions(alarm, discreet, one_event_per_dose, dtstamp)
    if outputs.ics is None and calendar.given():
        raise Usage(f"{', '.join(calendar.given())}: calendar options need --ics FILE")
    if outputs.handout is None and generated_on is not None:
        raise Usage("--generated-on: applies to the handout; add --handout FILE")
    check_targets(outputs, force=force)

    regimen = read_regimen(file)
    if start is None:
        message, day = _default_start(regimen)
        click.echo(message, err=True)
    else:
        day = start.date()
    try:
        taper = plan_taper(regimen, start=day, pace=pace, substitute=substitute)
        if fmt == "rx":
            printed = render_prescriptions(fills.fills(taper))
        elif fmt == "rx-csv":
            printed = formats.prescriptions_to_csv(fills.fills(taper))
        else:
            printed = plan_text(taper, fmt)
        files = render_files(
            taper,
            outputs,
            calendar,
            generated_on.date() if generated_on is not None else _regimen_today(regimen),
            fills,
        )
    except TaperplanError as error:
        raise refusal(file, error) from error

    write_files(files, force=force)
    click.echo(printed, nl=False)

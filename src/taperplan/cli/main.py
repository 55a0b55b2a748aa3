"""The ``taperplan`` command line.

Exit codes (interfaces.md §2): 0 success; 2 bad input or usage, with a short
message on stderr naming the file, the field and the fix, and nothing on
stdout; 1 an internal error. Never a traceback for bad input.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
import typing
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import click

from taperplan._statement import SAFETY
from taperplan._version import __version__
from taperplan.cli.types import ISO_DATE, Refused
from taperplan.errors import CalendarOptionError, TaperplanError

if TYPE_CHECKING:
    from taperplan.model.plan import TaperPlan
    from taperplan.model.regimen import Regimen

PLAN_FORMATS = click.Choice(["table", "json", "csv"])

_FORMATS = click.Choice(["table", "json"])
# Two decimal places for people; JSON keeps the exact values.
_Q = Decimal("0.01")


def _about(path: str, error: Exception) -> Refused:
    """``error`` (a TaperplanError) with ``path`` in front unless it names it already."""
    from taperplan.errors import InvalidRegimenError  # noqa: PLC0415

    if isinstance(error, InvalidRegimenError) and error.source == "regimen":
        # Found after loading (e.g. a calendar needs the zone): the file's own problems.
        return Refused("\n".join(f"{path}: {problem}" for problem in error.problems))
    text = str(error)
    return Refused(text if text.startswith(path) else f"{path}: {text}")


def _refusal(path: str, error: TaperplanError) -> Refused:
    """:func:`_about`, and for a regimen that cannot be planned the safety warnings
    a plan would have printed (benzodiazepines, naloxone, …): a refusal must not
    hide them (interfaces.md §4a rule 7)."""
    refused = _about(path, error)
    warnings = getattr(error, "warnings", ())
    if not warnings:
        return refused
    lines = [f"  - {w.message} [{w.code}]" for w in warnings if w.code != "mme-estimate"]
    return Refused("\n".join([refused.message, "Warnings:", *lines]))


def _load(path: str) -> Regimen:
    from taperplan.formats.regimen import load_regimen  # noqa: PLC0415

    # The edge of the program is the one place that reads the clock.
    return load_regimen(path, today=dt.datetime.now(dt.UTC).date())


class _Commands(click.Group):
    """The top-level group. Commands defined in other modules load only when
    they run or help is shown (click's lazily loaded subcommands), so a
    command starts without importing the others."""

    LAZY: typing.ClassVar[dict[str, tuple[str, str]]] = {
        "batch": ("taperplan.cli.batch", "batch"),
        "review": ("taperplan.cli.clinical", "review"),
        "score": ("taperplan.cli.clinical", "score"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = self.LAZY.get(cmd_name)
        if where is None:
            return super().get_command(ctx, cmd_name)
        command: click.Command = getattr(importlib.import_module(where[0]), where[1])
        return command


@click.group(
    cls=_Commands,
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
    from taperplan.clinical.mme import regimen_mme  # noqa: PLC0415
    from taperplan.errors import NotApplicableError  # noqa: PLC0415
    from taperplan.formats.json import mme_to_dict, to_json  # noqa: PLC0415

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
    from taperplan.units import format_decimal  # noqa: PLC0415

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
    from taperplan.reference.products import catalogue  # noqa: PLC0415
    from taperplan.units import format_decimal  # noqa: PLC0415

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
    """List the pace presets with their rates, caps and sources.

    Use a name with `taperplan plan FILE --pace NAME` or in the regimen's
    [pace] table.

    \b
    Examples:
      taperplan paces
      taperplan plan regimen.toml --pace va-slower
    """
    from taperplan.reference.paces import presets  # noqa: PLC0415
    from taperplan.reference.products import catalogue  # noqa: PLC0415

    for pace in presets():
        source = catalogue().source(pace.source)
        flag = "  (supervised settings only)" if pace.supervised_only else ""
        click.echo(f"{pace.name}{flag}")
        click.echo(f"  {pace.description}")
        click.echo(f"  rate: {pace.describe_rate()}")
        click.echo(f"  source: {source.citation}")
        click.echo("")


def _next_monday(regimen: Regimen) -> tuple[str, dt.date]:
    from dateutil.relativedelta import MO, relativedelta  # noqa: PLC0415

    zone = regimen.timezone or dt.UTC
    today = dt.datetime.now(zone).date()
    start = today + relativedelta(days=1, weekday=MO(+1))
    where = regimen.timezone.key if regimen.timezone else "UTC"
    return (
        f"taperplan: --start not given; planning from {start.isoformat()}, the next Monday in {where}",
        start,
    )


def _make_plan(
    regimen: Regimen, start: dt.date, pace: str | None, substitute: bool | None = None
) -> TaperPlan:
    from taperplan.planning import plan_taper  # noqa: PLC0415

    return plan_taper(regimen, start=start, pace=pace, substitute=substitute)


def _render(plan: TaperPlan, fmt: str) -> str:
    """The plan as ``--format`` prints it."""
    if fmt == "json":
        from taperplan.formats.json import plan_to_json  # noqa: PLC0415

        return plan_to_json(plan)
    if fmt == "csv":
        from taperplan.formats.csv import plan_to_csv  # noqa: PLC0415

        return plan_to_csv(plan)
    from taperplan.cli.render import render_plan  # noqa: PLC0415

    return render_plan(plan)


def _plan_output(regimen: Regimen, start: dt.date, pace: str | None, fmt: str) -> str:
    return _render(_make_plan(regimen, start, pace), fmt)


class _Usage(click.UsageError):
    """Bad options (exit 2), shown as one line naming the option and the fix."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"taperplan: error: {self.message}", err=True)


@attrs.frozen
class _Outputs:
    """The files ``taperplan plan`` was asked to write, by option."""

    json: str | None = None
    csv: str | None = None
    ics: str | None = None
    fhir: str | None = None
    handout: str | None = None
    chart: str | None = None

    def targets(self) -> list[tuple[str, str]]:
        """(option, path) for every requested file, in a fixed order."""
        return [
            (f"--{field.name}", path)
            for field in attrs.fields(_Outputs)
            if (path := getattr(self, field.name)) is not None
        ]


def _check_targets(outputs: _Outputs, *, force: bool) -> None:
    """Refuse before anything is written: two options naming one file, a
    chart suffix other than .png/.svg, a missing folder, or (without
    ``--force``) any file that exists (all of them named)."""
    targets = outputs.targets()
    if not targets:
        return
    from taperplan.errors import OutputExistsError  # noqa: PLC0415
    from taperplan.formats.files import check_output  # noqa: PLC0415

    seen: dict[str, str] = {}
    for option, path in targets:
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            raise _Usage(f"{seen[key]} and {option} name the same file {path!r}; give each its own")
        seen[key] = option
    if outputs.chart is not None and _chart_format(outputs.chart) is None:
        raise _Usage(f"--chart: {outputs.chart!r} must end in .png or .svg")
    existing: list[OutputExistsError] = []
    for _, path in targets:
        try:
            check_output(path, force=force)
        except OutputExistsError as error:
            existing.append(error)
    if len(existing) == 1:
        raise existing[0]
    if existing:
        raise Refused(
            f"{', '.join(e.path for e in existing)}: exist; nothing written "
            "(use --force to replace them)"
        )


def _chart_format(path: str) -> str | None:
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return suffix if suffix in {"png", "svg"} else None


@attrs.frozen
class _CalendarOptions:
    alarm: int | None
    discreet: bool
    one_event_per_dose: bool
    dtstamp: str | None

    def given(self) -> list[str]:
        """The calendar options that were set (they need --ics)."""
        return [
            name
            for name, value in (
                ("--alarm", self.alarm is not None),
                ("--discreet", self.discreet),
                ("--one-event-per-dose", self.one_event_per_dose),
                ("--dtstamp", self.dtstamp is not None),
            )
            if value
        ]

    def stamp(self, plan: TaperPlan) -> dt.datetime:
        """``--dtstamp``, or the plan's start date at 00:00 UTC (so every run
        of the same plan gives the same bytes)."""
        if self.dtstamp is None:
            return dt.datetime.combine(plan.start, dt.time(0), tzinfo=dt.UTC)
        try:
            moment = dt.datetime.fromisoformat(self.dtstamp)
        except ValueError:
            raise _Usage(
                f"--dtstamp: {self.dtstamp!r} is not an ISO date and time "
                "(fix: e.g. 2027-01-01T09:00:00Z)"
            ) from None
        if moment.utcoffset() is None:
            raise _Usage(
                f"--dtstamp: {self.dtstamp!r} has no UTC offset "
                "(fix: add Z or an offset, e.g. 2027-01-01T09:00:00Z)"
            )
        return moment.astimezone(dt.UTC)


def _render_files(
    plan: TaperPlan,
    outputs: _Outputs,
    calendar: _CalendarOptions,
    generated_on: dt.date,
) -> list[tuple[str, str | bytes]]:
    """The content of every requested file, rendered before any is written."""
    files: list[tuple[str, str | bytes]] = []
    if outputs.json is not None:
        files.append((outputs.json, _render(plan, "json")))
    if outputs.csv is not None:
        files.append((outputs.csv, _render(plan, "csv")))
    if outputs.ics is not None:
        files.append((outputs.ics, _calendar(plan, calendar)))
    if outputs.fhir is not None:
        from taperplan.formats.fhir import fhir_to_json, plan_to_fhir  # noqa: PLC0415

        files.append((outputs.fhir, fhir_to_json(plan_to_fhir(plan))))
    if outputs.handout is not None:
        files.append((outputs.handout, _handout(plan, generated_on)))
    if outputs.chart is not None:
        from taperplan.formats.chart import plan_chart  # noqa: PLC0415

        files.append((outputs.chart, plan_chart(plan, fmt=_chart_format(outputs.chart) or "")))
    return files


def _calendar(plan: TaperPlan, options: _CalendarOptions) -> bytes:
    from taperplan.formats.ics import (  # noqa: PLC0415 - icalendar loads only for --ics
        calendar_warnings,
        plan_to_ics,
    )

    stamp = options.stamp(plan)
    try:
        data = plan_to_ics(
            plan,
            dtstamp=stamp,
            alarm_minutes=options.alarm,
            discreet=options.discreet,
            expand=options.one_event_per_dose,
        )
    except CalendarOptionError as error:
        raise _Usage(str(error).replace("alarm_minutes:", "--alarm:", 1)) from None
    for warning in calendar_warnings(plan):
        click.echo(f"taperplan: warning: {warning.message}", err=True)
    return data


def _handout(plan: TaperPlan, generated_on: dt.date) -> str:
    from taperplan.errors import MissingDependencyError  # noqa: PLC0415
    from taperplan.formats.handout import plan_to_handout  # noqa: PLC0415

    try:
        return plan_to_handout(plan, generated_on=generated_on, chart=True)
    except MissingDependencyError as error:
        # The handout is complete without its chart (the table has the same figures).
        click.echo(f"taperplan: warning: the handout has no chart: {error}", err=True)
        return plan_to_handout(plan, generated_on=generated_on, chart=False)


def _regimen_today(regimen: Regimen) -> dt.date:
    return dt.datetime.now(regimen.timezone or dt.UTC).date()


_DAY = ISO_DATE
_FILE = click.Path(dir_okay=False, path_type=str)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--start",
    type=_DAY,
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
@click.option("--fhir", type=_FILE, metavar="FILE", help="Write a FHIR R4 Bundle (JSON).")
@click.option("--handout", type=_FILE, metavar="FILE", help="Write the patient handout (HTML).")
@click.option("--chart", type=_FILE, metavar="FILE", help="Write the dose chart (.png or .svg).")
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
    type=_DAY,
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
    """
    outputs = _Outputs(
        json=json_file, csv=csv_file, ics=ics, fhir=fhir, handout=handout, chart=chart
    )
    calendar = _CalendarOptions(alarm, discreet, one_event_per_dose, dtstamp)
    if outputs.ics is None and calendar.given():
        raise _Usage(f"{', '.join(calendar.given())}: calendar options need --ics FILE")
    if outputs.handout is None and generated_on is not None:
        raise _Usage("--generated-on: applies to the handout; add --handout FILE")
    _check_targets(outputs, force=force)

    regimen = _load(file)
    if start is None:
        message, day = _next_monday(regimen)
        click.echo(message, err=True)
    else:
        day = start.date()
    try:
        taper = _make_plan(regimen, day, pace, substitute)
        printed = _render(taper, fmt)
        files = _render_files(
            taper,
            outputs,
            calendar,
            generated_on.date() if generated_on is not None else _regimen_today(regimen),
        )
    except TaperplanError as error:
        raise _refusal(file, error) from error

    if files:
        from taperplan.formats.files import write_output  # noqa: PLC0415

        for path, data in files:
            write_output(path, data, force=force)
    click.echo(printed, nl=False)


_DEMO_START = dt.date(2027, 1, 4)
# The files `taperplan demo --out` writes, in the order _demo_exports builds them.
_DEMO_FILES = ("plan.json", "plan.csv", "plan.ics", "plan.fhir.json", "handout.html")
# The demo's calendar stamp: fixed, like its start, so every run prints the same.
_DEMO_STAMP = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)


def _demo_exports(plan: TaperPlan) -> list[tuple[str, str | bytes, str]]:
    """Every export of the demo plan: (file name, content, what it holds), in
    the order of ``_DEMO_FILES``."""
    import importlib.util  # noqa: PLC0415

    from taperplan.formats.csv import plan_to_csv  # noqa: PLC0415
    from taperplan.formats.fhir import fhir_to_json, plan_to_fhir  # noqa: PLC0415
    from taperplan.formats.handout import plan_to_handout  # noqa: PLC0415
    from taperplan.formats.ics import plan_to_ics  # noqa: PLC0415
    from taperplan.formats.json import plan_from_json, plan_to_json  # noqa: PLC0415

    doses = sum(
        len(dose.days_in(step.days))
        for step in plan.steps
        for part in step.medications
        for dose in part.doses
    )
    text = plan_to_json(plan)
    same = "reads back equal" if plan_from_json(text) == plan else "DOES NOT read back equal"
    csv = plan_to_csv(plan)
    calendar = plan_to_ics(plan, dtstamp=_DEMO_STAMP)
    reminders = calendar.count(b"CATEGORIES:Dose")
    bundle = plan_to_fhir(plan)
    dosages = sum(len(e["resource"].get("dosageInstruction", [])) for e in bundle["entry"])
    chart = importlib.util.find_spec("matplotlib") is not None
    handout = plan_to_handout(plan, generated_on=_DEMO_START, chart=chart)
    return [
        ("plan.json", text, f"the whole plan as JSON (taperplan.plan/1); it {same}"),
        ("plan.csv", csv, f"{csv.count(chr(10)) - 1} rows, one per dose"),
        (
            "plan.ics",
            calendar,
            f"{reminders} recurring dose reminders for {doses} doses, plus step, "
            "withdrawal-window and check-in events",
        ),
        (
            "plan.fhir.json",
            fhir_to_json(bundle),
            f"FHIR R4 Bundle: {len(bundle['entry'])} MedicationRequest(s), {dosages} Dosages",
        ),
        (
            "handout.html",
            handout,
            "printable page for the patient, a tick box per dose"
            + ("" if chart else ' (no chart: pip install "taperplan[chart]")'),
        ),
    ]


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=str),
    help="Also write every export into this folder (created if missing).",
)
@click.option("--force", is_flag=True, help="Replace export files that exist in --out.")
def demo(out: str | None, force: bool) -> None:
    """Show the whole pipeline on the embedded sample regimen.

    Reads the sample regimen of the docs, prints its MME and the taper
    plan, then builds every export (JSON, CSV, iCalendar, FHIR, handout) and
    says what each holds. The start date is fixed, so every run prints the
    same.

    \b
    Examples:
      taperplan demo
      taperplan demo --out demo-plan
    """
    from pathlib import Path  # noqa: PLC0415

    from taperplan._data import data_text  # noqa: PLC0415
    from taperplan.clinical.mme import regimen_mme  # noqa: PLC0415
    from taperplan.formats.files import check_output, write_output  # noqa: PLC0415
    from taperplan.formats.regimen import parse_regimen  # noqa: PLC0415

    text = data_text("sample-regimen.toml")
    regimen = parse_regimen(text, source="sample-regimen.toml")
    targets = [] if out is None else [Path(out) / name for name in _DEMO_FILES]
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        for target in targets:
            check_output(target, force=force)
    click.echo("1. Sample regimen (sample-regimen.toml):\n")
    click.echo(
        "\n".join(
            line.split("#", 1)[0].rstrip()
            for line in text.splitlines()
            if line.split("#", 1)[0].strip()
        )
    )
    click.echo("\n2. Morphine milligram equivalents:\n")
    click.echo(_mme_table(regimen_mme(regimen)))
    click.echo(f"\n3. The taper plan, from {_DEMO_START.isoformat()}:\n")
    taper = _make_plan(regimen, _DEMO_START, None)
    click.echo(_render(taper, "table"), nl=False)
    click.echo("\n4. Exports (taperplan plan FILE --json/--csv/--ics/--fhir/--handout):\n")
    exports = _demo_exports(taper)
    for name, _, about in exports:
        click.echo(f"  {name:<15} {about}")
    if out is not None:
        for target, (_, data, _) in zip(targets, exports, strict=True):
            write_output(target, data, force=force)
        click.echo(f"\n  Written to {out}. Import plan.ics into a calendar app; open handout.html.")
    else:
        click.echo("\n  Run `taperplan demo --out FOLDER` to write them.")


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    Examples:
      eval "$(taperplan completion bash)"        # in ~/.bashrc
      eval "$(taperplan completion zsh)"         # in ~/.zshrc
      taperplan completion fish > ~/.config/fish/completions/taperplan.fish
    """
    from click.shell_completion import get_completion_class  # noqa: PLC0415

    completer = get_completion_class(shell)
    if completer is None:  # pragma: no cover - click ships all three
        raise _Usage(f"SHELL: {shell} completion is not available")
    script = completer(cli, {}, "taperplan", "_TAPERPLAN_COMPLETE").source()
    click.echo(script)


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

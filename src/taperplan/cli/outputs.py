"""The files ``taperplan plan`` writes besides what it prints: which were asked
for, the checks made before anything is written, and their content.

Each export is reached through :mod:`taperplan.formats`, which imports a format
on first use: a plan printed as CSV loads no calendar, FHIR or chart code.
"""

from __future__ import annotations

import datetime as dt
import os

import attrs

from taperplan import formats
from taperplan.cli.render import plan_text
from taperplan.cli.rx import FillOptions
from taperplan.cli.terminal import echo
from taperplan.cli.types import Refused, Usage
from taperplan.errors import CalendarOptionError, MissingDependencyError, OutputExistsError
from taperplan.model.plan import TaperPlan


@attrs.frozen
class Outputs:
    """The files ``taperplan plan`` was asked to write, by option."""

    json: str | None = None
    csv: str | None = None
    ics: str | None = None
    fhir: str | None = None
    handout: str | None = None
    chart: str | None = None
    prescriptions: str | None = None
    summary: str | None = None

    def targets(self) -> list[tuple[str, str]]:
        """(option, path) for every requested file, in a fixed order."""
        return [
            (f"--{field.name}", path)
            for field in attrs.fields(Outputs)
            if (path := getattr(self, field.name)) is not None
        ]


@attrs.frozen
class CalendarOptions:
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
            raise Usage(
                f"--dtstamp: {self.dtstamp!r} is not an ISO date and time "
                "(fix: e.g. 2027-01-01T09:00:00Z)"
            ) from None
        if moment.utcoffset() is None:
            raise Usage(
                f"--dtstamp: {self.dtstamp!r} has no UTC offset "
                "(fix: add Z or an offset, e.g. 2027-01-01T09:00:00Z)"
            )
        return moment.astimezone(dt.UTC)


def check_targets(outputs: Outputs, *, force: bool) -> None:
    """Refuse before anything is written: two options naming one file, a
    chart suffix other than .png/.svg, a handout or summary not named .html or .pdf,
    a missing folder, or (without
    ``--force``) any file that exists (all of them named)."""
    targets = outputs.targets()
    if not targets:
        return
    # A plan that only prints loads no file code (test_the_cli_loads_only_what_a_command_needs).
    from taperplan.formats.files import check_output  # noqa: PLC0415 - only with a file option

    seen: dict[str, str] = {}
    for option, path in targets:
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            raise Usage(f"{seen[key]} and {option} name the same file {path!r}; give each its own")
        seen[key] = option
    if outputs.chart is not None and chart_format(outputs.chart) is None:
        raise Usage(f"--chart: {outputs.chart!r} must end in .png or .svg")
    for option, page in (("--handout", outputs.handout), ("--summary", outputs.summary)):
        if page is not None and page_format(page) is None:
            raise Usage(f"{option}: {page!r} must end in .html or .pdf")
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


def page_format(path: str) -> str | None:
    """``html`` or ``pdf`` by the file's suffix (``.htm`` is HTML), else None."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return {"html": "html", "htm": "html", "pdf": "pdf"}.get(suffix)


def chart_format(path: str) -> str | None:
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return suffix if suffix in {"png", "svg"} else None


def render_files(
    plan: TaperPlan,
    outputs: Outputs,
    calendar: CalendarOptions,
    generated_on: dt.date,
    fills: FillOptions | None = None,
    *,
    paper: str = "a4",
) -> list[tuple[str, str | bytes]]:
    """The content of every requested file, rendered before any is written."""
    files: list[tuple[str, str | bytes]] = []
    fill_options = fills or FillOptions()
    if outputs.json is not None:
        files.append((outputs.json, plan_text(plan, "json")))
    if outputs.csv is not None:
        files.append((outputs.csv, plan_text(plan, "csv")))
    if outputs.ics is not None:
        files.append((outputs.ics, _calendar(plan, calendar)))
    if outputs.fhir is not None:
        bundle = formats.plan_to_fhir(plan, fills=fill_options.fills(plan))
        files.append((outputs.fhir, formats.fhir_to_json(bundle)))
    if outputs.handout is not None:
        page = _handout(plan, generated_on, fill_options)
        files.append((outputs.handout, _as_page(page, outputs.handout, paper)))
    if outputs.summary is not None:
        page = formats.plan_to_summary(
            plan, generated_on=generated_on, fills=fill_options.fills(plan)
        )
        files.append((outputs.summary, _as_page(page, outputs.summary, paper)))
    if outputs.chart is not None:
        chart = formats.plan_chart(plan, fmt=chart_format(outputs.chart) or "")
        files.append((outputs.chart, chart))
    if outputs.prescriptions is not None:
        rx = formats.prescriptions_to_csv(fill_options.fills(plan))
        files.append((outputs.prescriptions, rx))
    return files


def write_files(files: list[tuple[str, str | bytes]], *, force: bool) -> None:
    """Write every rendered file, each atomically, and all of them or none."""
    if files:
        formats.write_outputs(files, force=force)


def _calendar(plan: TaperPlan, options: CalendarOptions) -> bytes:
    stamp = options.stamp(plan)
    try:
        data = formats.plan_to_ics(
            plan,
            dtstamp=stamp,
            alarm_minutes=options.alarm,
            discreet=options.discreet,
            expand=options.one_event_per_dose,
        )
    except CalendarOptionError as error:
        raise Usage(str(error).replace("alarm_minutes:", "--alarm:", 1)) from None
    for warning in formats.calendar_warnings(plan):
        echo(f"taperplan: warning: {warning.message}", err=True)
    return data


def _as_page(page: str, path: str, paper: str) -> str | bytes:
    """The page as its file asks: the HTML itself, or a PDF printed by Chromium."""
    if page_format(path) != "pdf":
        return page
    return formats.html_to_pdf(page, paper=paper)


def default_paper(plan: TaperPlan) -> str:
    """US Letter for a patient in the Americas (by the regimen's zone), else A4."""
    zone = plan.regimen.timezone
    return "letter" if zone is not None and zone.key.startswith("America/") else "a4"


def _handout(plan: TaperPlan, generated_on: dt.date, fill_options: FillOptions) -> str:
    fills = fill_options.fills(plan)
    try:
        return formats.plan_to_handout(plan, generated_on=generated_on, chart=True, fills=fills)
    except MissingDependencyError as error:
        # The handout is complete without its chart (the table has the same figures).
        echo(f"taperplan: warning: the handout has no chart: {error}", err=True)
        return formats.plan_to_handout(plan, generated_on=generated_on, chart=False, fills=fills)

"""What ``plan``, ``pause`` and ``replan`` print and write: the options they share and
the one way a plan is delivered.

:func:`delivery_options` adds ``--format``, the output files (``--json``,
``--csv``, ``--ics``, ``--fhir``, ``--handout``, ``--chart``,
``--prescriptions``), ``--force``, the calendar, handout and fill options to a
command; :meth:`Delivery.of` checks them (every misuse, and every file that
exists, before anything is read or written); :meth:`Delivery.render` makes
the printed text and every file, and :meth:`Delivery.write` writes the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import click

from taperplan import formats
from taperplan.cli.outputs import (
    CalendarOptions,
    Outputs,
    check_targets,
    default_paper,
    render_files,
    write_files,
)
from taperplan.cli.render import PLAN_FORMATS, plan_text, terminal_width
from taperplan.cli.rx import FillOptions, fill_options, render_prescriptions
from taperplan.cli.types import ISO_DATE, Usage
from taperplan.model.plan import TaperPlan

_F = TypeVar("_F", bound=Callable[..., Any])
_FILE = click.Path(dir_okay=False, path_type=str)

#: The keyword arguments :func:`delivery_options` adds (``Delivery.of`` takes them).
_KEYS = (
    "fmt",
    "json_file",
    "csv_file",
    "ics",
    "fhir",
    "handout",
    "chart",
    "rx_file",
    "fill_days",
    "fills_across_steps",
    "dispense",
    "force",
    "alarm",
    "discreet",
    "one_event_per_dose",
    "dtstamp",
    "generated_on",
    "details",
    "summary",
    "paper",
)


def delivery_options(command: _F) -> _F:
    """Add the output options to ``command`` (they reach it as keyword arguments)."""
    options = (
        click.option(
            "--format",
            "fmt",
            type=PLAN_FORMATS,
            default="table",
            show_default=True,
            help="What to print on stdout: the plan (table, json, csv) or its "
            "prescriptions (rx, rx-csv).",
        ),
        click.option(
            "--details",
            is_flag=True,
            help="Table: print every warning and non-opioid suggestion in full.",
        ),
        click.option(
            "--json", "json_file", type=_FILE, metavar="FILE", help="Write the JSON plan."
        ),
        click.option("--csv", "csv_file", type=_FILE, metavar="FILE", help="Write the CSV doses."),
        click.option("--ics", type=_FILE, metavar="FILE", help="Write a calendar (iCalendar)."),
        click.option(
            "--fhir",
            type=_FILE,
            metavar="FILE",
            help="Write a FHIR R4 Bundle (JSON): the plan and a request to dispense each fill.",
        ),
        click.option(
            "--handout", type=_FILE, metavar="FILE", help="Write the patient handout (HTML)."
        ),
        click.option(
            "--chart", type=_FILE, metavar="FILE", help="Write the dose chart (.png or .svg)."
        ),
        click.option(
            "--summary",
            type=_FILE,
            metavar="FILE",
            help="Write the clinician summary (.html, or .pdf with Chromium).",
        ),
        click.option(
            "--paper",
            type=click.Choice(["a4", "letter"]),
            default=None,
            help="PDF paper size. Default: letter in the Americas (by the regimen's zone), "
            "else a4.",
        ),
        click.option(
            "--prescriptions",
            "rx_file",
            type=_FILE,
            metavar="FILE",
            help="Write the prescriptions for each fill (CSV).",
        ),
        fill_options,
        click.option("--force", is_flag=True, help="Replace output files that exist."),
        click.option(
            "--alarm",
            type=click.IntRange(min=0, max=1440),
            default=None,
            metavar="MINUTES",
            help="Calendar: a reminder this many minutes before each dose.",
        ),
        click.option("--discreet", is_flag=True, help="Calendar: titles name no drug."),
        click.option(
            "--one-event-per-dose",
            is_flag=True,
            help="Calendar: one event per dose instead of repeating events.",
        ),
        click.option(
            "--dtstamp",
            default=None,
            metavar="ISO-DATETIME",
            help="Calendar: the DTSTAMP (e.g. 2027-01-01T09:00:00Z). "
            "Default: the start at 00:00 UTC.",
        ),
        click.option(
            "--generated-on",
            type=ISO_DATE,
            default=None,
            metavar="YYYY-MM-DD",
            help="Handout: the date printed on it (YYYY-MM-DD). Default: today in the "
            "regimen's zone.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


@attrs.frozen
class Delivery:
    """The checked output options of one command."""

    fmt: str
    outputs: Outputs
    calendar: CalendarOptions
    fills: FillOptions
    generated_on: dt.date | None
    force: bool
    details: bool = False
    paper: str | None = None

    @classmethod
    def of(cls, options: dict[str, Any]) -> Delivery:
        """The options :func:`delivery_options` added (removed from ``options``), checked:
        an option that needs a file option without it, two options naming one file, or a
        file that exists without ``--force`` is refused before anything is read."""
        given = {key: options.pop(key) for key in _KEYS}
        outputs = Outputs(
            json=given["json_file"],
            csv=given["csv_file"],
            ics=given["ics"],
            fhir=given["fhir"],
            handout=given["handout"],
            chart=given["chart"],
            prescriptions=given["rx_file"],
            summary=given["summary"],
        )
        fills = FillOptions(given["fill_days"], given["fills_across_steps"], given["dispense"])
        fmt = given["fmt"]
        uses_fills = (
            outputs.prescriptions
            or outputs.fhir
            or outputs.handout
            or outputs.summary
            or fmt.startswith("rx")
        )
        if fills.given() and not uses_fills:
            raise Usage(
                f"{', '.join(fills.given())}: fill options need --prescriptions FILE, "
                "--fhir FILE, --handout FILE or --format rx"
            )
        calendar = CalendarOptions(
            given["alarm"], given["discreet"], given["one_event_per_dose"], given["dtstamp"]
        )
        if outputs.ics is None and calendar.given():
            raise Usage(f"{', '.join(calendar.given())}: calendar options need --ics FILE")
        if given["details"] and fmt != "table":
            raise Usage(f"--details: applies to the table; not to --format {fmt}")
        generated_on = given["generated_on"]
        if outputs.handout is None and outputs.summary is None and generated_on is not None:
            raise Usage("--generated-on: applies to the handout; add --handout FILE")
        paper = given["paper"]
        pdfs = [p for p in (outputs.handout, outputs.summary) if p and p.lower().endswith(".pdf")]
        if paper is not None and not pdfs:
            raise Usage("--paper: applies to a PDF; add --handout FILE.pdf or --summary FILE.pdf")
        check_targets(outputs, force=given["force"])
        return cls(
            fmt=fmt,
            outputs=outputs,
            calendar=calendar,
            fills=fills,
            generated_on=None if generated_on is None else generated_on.date(),
            force=given["force"],
            details=given["details"],
            paper=paper,
        )

    def render(
        self, plan: TaperPlan, *, since: dt.date | None = None
    ) -> tuple[str, list[tuple[str, str | bytes]]]:
        """What to print and every file's content, all made before anything is written
        (``since``: prescribe from this day, the visit of a pause or a re-plan)."""
        fills = self.fills if since is None else attrs.evolve(self.fills, since=since)
        if self.fmt == "rx":
            printed = render_prescriptions(fills.fills(plan), width=terminal_width())
        elif self.fmt == "rx-csv":
            printed = formats.prescriptions_to_csv(fills.fills(plan))
        else:
            printed = plan_text(plan, self.fmt, width=terminal_width(), details=self.details)
        # The edge of the program is the one place that reads the clock.
        today = dt.datetime.now(plan.regimen.timezone or dt.UTC).date()
        files = render_files(
            plan,
            self.outputs,
            self.calendar,
            self.generated_on or today,
            fills,
            paper=self.paper or default_paper(plan),
        )
        return printed, files

    def write(self, files: list[tuple[str, str | bytes]]) -> None:
        """Write every rendered file, each atomically."""
        write_files(files, force=self.force)

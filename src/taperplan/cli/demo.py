"""``taperplan demo``: the whole pipeline on the embedded sample regimen."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import click

from taperplan._data import data_text
from taperplan.cli.mme import mme_table
from taperplan.cli.render import render_plan, terminal_width
from taperplan.cli.terminal import echo
from taperplan.clinical.mme import regimen_mme
from taperplan.formats.csv import plan_to_csv
from taperplan.formats.fhir import fhir_to_json, plan_to_fhir
from taperplan.formats.files import check_output, write_output
from taperplan.formats.handout import plan_to_handout
from taperplan.formats.ics import plan_to_ics
from taperplan.formats.json import plan_from_json, plan_to_json
from taperplan.formats.regimen import parse_regimen
from taperplan.model.plan import TaperPlan
from taperplan.planning import plan_taper

_DEMO_START = dt.date(2027, 1, 4)
# The files `taperplan demo --out` writes, in the order _demo_exports builds them.
_DEMO_FILES = ("plan.json", "plan.csv", "plan.ics", "plan.fhir.json", "handout.html")
# The demo's calendar stamp: fixed, like its start, so every run prints the same.
_DEMO_STAMP = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)


def _demo_exports(plan: TaperPlan) -> list[tuple[str, str | bytes, str]]:
    """Every export of the demo plan: (file name, content, what it holds), in
    the order of ``_DEMO_FILES``."""
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


@click.command()
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
    text = data_text("sample-regimen.toml")
    regimen = parse_regimen(text, source="sample-regimen.toml")
    targets = [] if out is None else [Path(out) / name for name in _DEMO_FILES]
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        for target in targets:
            check_output(target, force=force)
    echo("1. Sample regimen (sample-regimen.toml):\n")
    echo(
        "\n".join(
            line.split("#", 1)[0].rstrip()
            for line in text.splitlines()
            if line.split("#", 1)[0].strip()
        )
    )
    echo("\n2. Morphine milligram equivalents:\n")
    echo(mme_table(regimen_mme(regimen)))
    echo(f"\n3. The taper plan, from {_DEMO_START.isoformat()}:\n")
    taper = plan_taper(regimen, start=_DEMO_START)
    echo(render_plan(taper, width=terminal_width()), nl=False)
    echo("\n4. Exports (taperplan plan FILE --json/--csv/--ics/--fhir/--handout):\n")
    exports = _demo_exports(taper)
    for name, _, about in exports:
        echo(f"  {name:<15} {about}")
    if out is not None:
        for target, (_, data, _) in zip(targets, exports, strict=True):
            write_output(target, data, force=force)
        echo(f"\n  Written to {out}. Import plan.ics into a calendar app; open handout.html.")
    else:
        echo("\n  Run `taperplan demo --out FOLDER` to write them.")

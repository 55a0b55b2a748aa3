"""A plan as ``taperplan plan --format`` prints it: a table for people (rich,
imported only to draw one), or the JSON or CSV export."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import textwrap
from decimal import Decimal
from typing import TYPE_CHECKING

import click

from taperplan import formats
from taperplan._statement import SAFETY
from taperplan.clinical.mme import regimen_mme
from taperplan.clinical.safety import safety_codes
from taperplan.model.advice import Adjunct
from taperplan.model.plan import MedicationDose, Step, StepKind, TaperPlan
from taperplan.reference.dispense import UnitCount, count_number
from taperplan.reference.products import Form
from taperplan.reference.wording import category_heading, chart_words, product_words
from taperplan.units import format_decimal

if TYPE_CHECKING:
    from rich.console import Console

#: What ``plan`` prints: the plan (``table``, ``json``, ``csv``) or its prescriptions
#: (``rx`` a table, ``rx-csv`` the CSV of ``--prescriptions``).
PLAN_FORMATS = click.Choice(["table", "json", "csv", "rx", "rx-csv"])


def terminal_width() -> int:
    """The terminal's width (80 when the output is not a terminal), from 72 to 120."""
    return min(max(shutil.get_terminal_size((80, 24)).columns, 72), 120)


def plan_text(plan: TaperPlan, fmt: str, *, width: int = 80, details: bool = False) -> str:
    """The plan in ``fmt``, one of :data:`PLAN_FORMATS`; each export loads on first use."""
    if fmt == "json":
        return formats.plan_to_json(plan)
    if fmt == "csv":
        return formats.plan_to_csv(plan)
    return render_plan(plan, width=width, details=details)


def plain_console(out: io.StringIO, width: int) -> Console:
    """A rich console that writes plain text (no colour, no markup) of ``width`` columns."""
    # rich takes tens of ms to import: --format json/csv and the exports never load it.
    from rich.console import Console  # noqa: PLC0415 - heavy, only to draw a table

    return Console(
        file=out,
        width=width,
        force_terminal=False,
        color_system=None,
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def _doses(parts: tuple[MedicationDose, ...], plan: TaperPlan | None = None) -> str:
    """The doses of ``parts``; with ``plan`` (for its baseline), as-needed medications say so."""
    lines = []
    for part in parts:
        if not part.doses:
            continue
        patch = part.form is Form.PATCH
        change = f", change every {part.doses[0].every_days} days" if patch else ""
        medication = None if plan is None else plan.medication_of(part.index)
        if medication is not None and (prn := medication.as_needed):
            change += f", as needed up to {prn.max_doses_per_day} a day, planned as scheduled"
        lines.append(f"{product_words(part.product, 'table')}{change}:")
        for dose in part.doses:
            units = " + ".join(_units(unit, part.form) for unit in dose.units)
            often = f", every {dose.every_days} days" if dose.every_days > 1 and not patch else ""
            lines.append(f"{dose.time.strftime('%H:%M')} {dose.amount} = {units}{often}")
    return "\n".join(lines) or "none: stopped"


def _as_needed_total(plan: TaperPlan) -> str:
    """``(30 MME/day with the as-needed doses at their maximum)``, where there are some."""
    if not any(m.as_needed for m in plan.regimen.medications):
        return ""
    total = regimen_mme(plan.regimen, plan.factor_set).total_mme_per_day
    return f" as scheduled ({_num(total)} with the as-needed doses at their maximum)"


def _units(unit: UnitCount, form: Form) -> str:
    """``½ × 7.5 mg`` (the product line names the form), ``2.5 mL of 1 mg/mL``."""
    if form is Form.ORAL_SOLUTION:
        return f"{format_decimal(unit.count)} mL of {unit.strength_text}"
    return f"{count_number(unit.count)} × {unit.strength_text}"


def _day(day: dt.date, *, year: bool = False) -> str:
    """``4 Jan`` (``4 Jan 2027``), with English month names whatever the locale."""
    text = f"{day.day} {chart_words().months[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def _num(value: Decimal | None) -> str:
    return "n/a" if value is None else format_decimal(value.quantize(Decimal("0.1")))


def _step_cell(step: Step) -> str:
    cut = f"{format_decimal((step.cut_fraction * 100).quantize(Decimal('0.1')))}%"
    if step.kind is StepKind.PAUSE:
        return f"{step.number}\npause"
    if step.kind is StepKind.STOP:
        return f"{step.number}\nstop"
    if step.kind is StepKind.CHANGE:
        fall = f"{format_decimal((step.cut_fraction * 100).quantize(Decimal(1)))}%"
        return f"{step.number}\nnew\ndoses" + (f"\n−{fall}" if step.cut_fraction else "")
    return f"{step.number}\ncut\n{cut}"


def _watch_cell(step: Step) -> str:
    """The withdrawal window and the check-ins of a step."""
    lines = []
    window = step.withdrawal_window
    if window is not None:
        confidence = " (low confidence)" if window.low_confidence else ""
        lines += [f"withdrawal{confidence}", f"{_day(window.start)}–{_day(window.end)}"]
    if step.check_ins:
        lines.append("check-in" if len(step.check_ins) == 1 else "check-ins")
        lines.append(", ".join(_day(d) for d in step.check_ins))
    return "\n".join(lines)


def _by_category(plan: TaperPlan) -> list[tuple[str, list[Adjunct]]]:
    groups: dict[str, list[Adjunct]] = {}
    for adjunct in plan.adjuncts:
        groups.setdefault(adjunct.category, []).append(adjunct)
    return [(category_heading(key, "clinician") or key, entries) for key, entries in groups.items()]


def _first_sentence(text: str) -> str:
    head, stop, _ = text.partition(". ")
    return head + ("." if stop else "")


def render_plan(plan: TaperPlan, *, width: int = 80, details: bool = False) -> str:
    """The plan as a table a clinician can read at a glance, ``width`` columns wide.

    Steps are numbered from 1, as the plan JSON's ``number``, the calendar, the
    handout and FHIR count them. Warnings show their first sentence, and the
    non-opioid suggestions a one-line count (naming those emphasised); with
    ``details`` every warning and suggestion is printed in full.
    """
    from rich.table import Table  # noqa: PLC0415 - heavy, only to draw a table

    out = io.StringIO()
    console = plain_console(out, width)
    zone = plan.regimen.timezone.key if plan.regimen.timezone else "no time zone given"
    follows = f"Pace: {plan.pace.name}: {plan.pace.describe_rate()}. {plan.pace_reason}."
    if plan.protocol is not None:
        confidence = " (low confidence)" if plan.protocol.low_confidence else ""
        follows = f"Protocol: {plan.protocol.name}, {plan.protocol.title}{confidence}."
    if plan.conversion is not None:
        c = plan.conversion
        follows = (
            f"Conversion: {format_decimal(c.morphine_mg_per_day)} mg/day of oral morphine "
            f"({c.oral_table}) gives {format_decimal(c.calculated_daily_amount)} {c.unit} "
            f"by the {c.table} table; cut {c.reason}; the plan gives "
            f"{format_decimal(c.target_daily_amount)} {c.unit}. {plan.pace.description}."
        )
    for line in (
        f"{plan.kind.title} {plan.id} (revision {plan.revision}), starting "
        f"{plan.start.isoformat()}, {zone}",
        follows,
        f"Order: {plan.order}; MME factors: {plan.factor_set}.",
        f"Now: {_num(plan.baseline_total_mme_per_day)} MME/day{_as_needed_total(plan)}",
    ):
        console.print(wrapped(line, width, "", "  "))
    console.print(f"{_doses(plan.baseline, plan)}\n")
    table = Table(show_lines=True)
    table.add_column("step", overflow="fold", width=5)
    table.add_column("dates", no_wrap=True, width=14)
    table.add_column("doses (units to take)", overflow="fold")
    table.add_column("MME/day", overflow="fold", justify="right", width=7)
    table.add_column("watch for", overflow="fold", width=14)
    for step in plan.steps:
        table.add_row(
            _step_cell(step),
            f"{_day(step.start, year=True)}\nto {_day(step.end, year=True)}\n{step.days} days",
            _doses(step.medications),
            _num(step.total_mme_per_day),
            _watch_cell(step),
        )
    console.print(table, soft_wrap=False)
    notes = [(step.number, note) for step in plan.steps for note in step.notes]
    if notes:
        console.print("Notes:")
        for number, note in notes:
            _item(console, f"step {number}: {note}", width)
    _warnings(console, plan, width, details=details)
    _adjuncts(console, plan, width, details=details)
    console.print()
    console.print(wrapped(SAFETY, width))
    return out.getvalue()


def _item(console: Console, text: str, width: int, *, indent: int = 2, mark: str = "") -> None:
    """``text`` as a list item wrapped to ``width``, continuation lines indented under it."""
    first = " " * indent + mark
    console.print(wrapped(text, width, first, " " * len(first)))


def wrapped(text: str, width: int, first: str = "", rest: str = "") -> str:
    """``text`` wrapped to ``width`` at spaces only (a warning code stays whole)."""
    return textwrap.fill(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _warnings(console: Console, plan: TaperPlan, width: int, *, details: bool) -> None:
    """Every warning: the safety warnings (naloxone, loss of tolerance, benzodiazepines, a
    raised dose, ...) always in full; the others in their first sentence unless ``details``."""
    more = "" if details else "; --details prints the rest of each in full"
    console.print(f"Warnings ({len(plan.warnings)}{more}):")
    full = {
        *safety_codes(),
        "dose-raised-at-replan",
        "acetaminophen-over-4g",
        "acetaminophen-over-4g-in-steps",
        "as-needed-scheduled",
        "as-needed-first",
    }
    for warning in plan.warnings:
        whole = details or warning.code in full
        text = warning.message if whole else _first_sentence(warning.message)
        _item(console, f"{text} [{warning.code}]", width, mark="- ")


def _adjuncts(console: Console, plan: TaperPlan, width: int, *, details: bool) -> None:
    groups = _by_category(plan)
    console.print()
    if not details:
        console.print(
            wrapped(
                "Non-opioid support to consider (the clinician decides):"
                f" {len(plan.adjuncts)} suggestions in {len(groups)} groups; --details lists"
                " them.",
                width,
            )
        )
        for adjunct in plan.adjuncts:
            if adjunct.emphasis:
                _item(console, f"{adjunct.name}: {adjunct.reason}", width, mark="! ")
        return
    console.print("Non-opioid support to consider (the clinician decides):")
    for category, entries in groups:
        console.print(f"  {category}:")
        for adjunct in entries:
            mark = "! " if adjunct.emphasis else "- "
            dose = f" ({adjunct.dose})" if adjunct.dose else ""
            _item(console, f"{adjunct.name}{dose}", width, indent=4, mark=mark)
            if adjunct.emphasis or adjunct.category == "rule":
                _item(console, adjunct.reason, width, indent=8)
            for caution in adjunct.cautions:
                _item(console, f"caution: {caution.text}", width, indent=8)

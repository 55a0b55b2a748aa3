"""A plan as ``taperplan plan --format`` prints it: a table for people (rich,
imported only to draw one), or the JSON or CSV export."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import TYPE_CHECKING

import click

from taperplan import formats
from taperplan._statement import SAFETY
from taperplan.model.advice import Adjunct
from taperplan.model.plan import MedicationDose, StepKind, TaperPlan
from taperplan.reference.products import Form
from taperplan.reference.wording import category_heading
from taperplan.units import format_decimal

if TYPE_CHECKING:
    from rich.console import Console

#: The values of ``--format`` for a plan.
#: What ``plan`` prints: the plan (``table``, ``json``, ``csv``) or its prescriptions
#: (``rx`` a table, ``rx-csv`` the CSV of ``--prescriptions``).
PLAN_FORMATS = click.Choice(["table", "json", "csv", "rx", "rx-csv"])


def plan_text(plan: TaperPlan, fmt: str) -> str:
    """The plan in ``fmt``, one of :data:`PLAN_FORMATS`; each export loads on first use."""
    if fmt == "json":
        return formats.plan_to_json(plan)
    if fmt == "csv":
        return formats.plan_to_csv(plan)
    return render_plan(plan)


def _doses(parts: tuple[MedicationDose, ...]) -> str:
    lines = []
    for part in parts:
        if not part.doses:
            continue
        patch = part.form is Form.PATCH
        change = f" (change every {part.doses[0].every_days} days)" if patch else ""
        lines.append(f"{part.product.name}{change}")
        for dose in part.doses:
            units = " + ".join(u.describe(part.form) for u in dose.units)
            often = f", every {dose.every_days} days" if dose.every_days > 1 and not patch else ""
            lines.append(f"  {dose.time.strftime('%H:%M')}  {dose.amount}  ({units}){often}")
    return "\n".join(lines) or "none: stopped"


def _num(value: object) -> str:
    if value is None:
        return "n/a"
    assert isinstance(value, Decimal)  # noqa: S101 - MME figures are Decimal
    return format_decimal(value.quantize(Decimal("0.1")))


def _by_category(plan: TaperPlan) -> list[tuple[str, list[Adjunct]]]:
    groups: dict[str, list[Adjunct]] = {}
    for adjunct in plan.adjuncts:
        groups.setdefault(adjunct.category, []).append(adjunct)
    return [(category_heading(key, "clinician") or key, entries) for key, entries in groups.items()]


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


def render_plan(plan: TaperPlan, *, width: int = 120) -> str:
    """The plan as a table a clinician can read at a glance."""
    from rich.table import Table  # noqa: PLC0415 - heavy, only to draw a table

    out = io.StringIO()
    console = plain_console(out, width)
    zone = plan.regimen.timezone.key if plan.regimen.timezone else "no time zone given"
    console.print(
        f"Taper plan {plan.id} (revision {plan.revision}), starting {plan.start.isoformat()}, {zone}"
    )
    console.print(f"Pace: {plan.pace.name}: {plan.pace.describe_rate()}. {plan.pace_reason}.")
    console.print(f"Order: {plan.order}; MME factors: {plan.factor_set}.")
    console.print(
        f"Baseline: {_num(plan.baseline_total_mme_per_day)} MME/day\n{_doses(plan.baseline)}\n"
    )
    table = Table(show_lines=True)
    for name in (
        "#",
        "dates",
        "doses (units to take)",
        "MME/day",
        "cut",
        "withdrawal window",
        "check-in",
    ):
        table.add_column(name, overflow="fold")
    for step in plan.steps:
        window = step.withdrawal_window
        cut = (
            "pause"
            if step.kind is StepKind.PAUSE
            else f"{format_decimal((step.cut_fraction * 100).quantize(Decimal('0.1')))}%"
        )
        if step.kind is StepKind.STOP:
            cut = f"stop ({cut})"
        table.add_row(
            str(step.index),
            f"{step.start.isoformat()}\n{step.end.isoformat()}\n({step.days} days)",
            _doses(step.medications),
            _num(step.total_mme_per_day),
            cut,
            ""
            if window is None
            else f"{window.start.isoformat()}\n{window.end.isoformat()}"
            + (" (low confidence)" if window.low_confidence else ""),
            "\n".join(d.isoformat() for d in step.check_ins),
        )
    console.print(table, soft_wrap=False)
    notes = [(step.index, note) for step in plan.steps for note in step.notes]
    if notes:
        console.print("Notes:")
        for index, note in notes:
            console.print(f"  step {index}: {note}")
    console.print("Warnings:")
    for warning in plan.warnings:
        console.print(f"  - {warning.message} [{warning.code}]")
    console.print("\nNon-opioid support to consider (the clinician decides):")
    for category, entries in _by_category(plan):
        console.print(f"  {category}:")
        for adjunct in entries:
            mark = "! " if adjunct.emphasis else ""
            dose = f" ({adjunct.dose})" if adjunct.dose else ""
            console.print(f"    - {mark}{adjunct.name}{dose}")
            if adjunct.emphasis or adjunct.category == "rule":
                console.print(f"        {adjunct.reason}")
            for caution in adjunct.cautions:
                console.print(f"        caution: {caution.text}")
    console.print(f"\n{SAFETY}")
    return out.getvalue()

"""The clinician summary: one printable HTML page with what the patient handout leaves out.

:func:`plan_to_summary` lays out, for the prescriber and the pharmacist: the
plan's identity (id, revision, pace and why, taper order, MME factors, zone),
the regimen now, every step (dates, cut, MME/day, the doses and units, the
withdrawal window, check-ins and the planner's notes), the prescriptions for
each fill, every warning in full with its code, the non-opioid suggestions by
category with doses and cautions (and those to avoid), and the sources. Like
the handout it is a Jinja2 template (``data/summary.html.j2``, styles shared
with the handout) rendered with autoescape on; it is written for clinicians, so
it keeps their figures (the MME risk ratios) and codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from taperplan._data import load_data
from taperplan._reading import require_date
from taperplan._statement import DISCLAIMER, SAFETY
from taperplan.formats._pages import environment
from taperplan.formats.rx import item_words, sig_text
from taperplan.model.advice import Adjunct
from taperplan.model.plan import MedicationDose, StepKind, TaperPlan
from taperplan.model.prescription import Fill
from taperplan.prescribing import prescriptions
from taperplan.reference.products import Form
from taperplan.reference.wording import category_heading, product_words
from taperplan.units import format_decimal

__all__ = ["plan_to_summary"]


def _number(value: Decimal | None) -> str:
    return "n/a" if value is None else format_decimal(value.quantize(Decimal("0.1")))


def _doses(parts: Sequence[MedicationDose]) -> list[dict[str, Any]]:
    """Each medication taken, with a line per dose time."""
    shown = []
    for part in parts:
        if not part.doses:
            continue
        lines = []
        for dose in part.doses:
            units = " + ".join(u.describe(part.form) for u in dose.units)
            often = "" if dose.every_days == 1 else f", {dose.how_often}"
            lines.append(f"{dose.time:%H:%M} {dose.amount} ({units}){often}")
        patch = part.form is Form.PATCH
        shown.append(
            {
                "product": product_words(part.product, "table"),
                "daily": f"{part.daily_amount}{'' if patch else ' a day'}",
                "lines": lines,
            }
        )
    return shown


def _cut(kind: StepKind, fraction: Decimal) -> str:
    if kind is StepKind.PAUSE:
        return "pause"
    percent = format_decimal((fraction * 100).quantize(Decimal("0.1")))
    if kind is StepKind.CHANGE:
        return f"change (full agonist −{percent}%)" if fraction else "change"
    return f"stop ({percent}%)" if kind is StepKind.STOP else f"{percent}%"


def _adjunct_groups(adjuncts: Sequence[Adjunct]) -> list[tuple[str, list[Adjunct]]]:
    groups: dict[str, list[Adjunct]] = {}
    for adjunct in adjuncts:
        groups.setdefault(adjunct.category, []).append(adjunct)
    return [(category_heading(key, "clinician") or key, items) for key, items in groups.items()]


def _citations(plan: TaperPlan) -> list[str]:
    keys = {w.source for w in plan.warnings if w.source}
    keys |= {a.source for a in plan.adjuncts} | {
        c.source for a in plan.adjuncts for c in a.cautions
    }
    keys |= {s.withdrawal_window.source for s in plan.steps if s.withdrawal_window is not None}
    keys.add(plan.pace.source)
    sources = load_data("sources.toml")
    return [sources.get(k, {}).get("citation", k) for k in sorted(filter(None, keys))]


def plan_to_summary(
    plan: TaperPlan, *, generated_on: dt.date, fills: Sequence[Fill] | None = None
) -> str:
    """The plan as a printable HTML page for the clinician and the pharmacist.

    Args:
        plan: the plan to summarise.
        generated_on: the date printed on the page (taperplan never reads the clock).
        fills: the prescriptions to list (:func:`taperplan.prescriptions`); by default
            every 28 days or per step.

    Returns:
        A complete, self-contained HTML document; the same plan and date give the
        same text.
    """
    generated_on = require_date(generated_on, "generated_on")
    chosen = prescriptions(plan) if fills is None else tuple(fills)
    zone = plan.regimen.timezone
    context = {
        "plan": plan,
        "printed": generated_on,
        "zone": zone.key if zone is not None else None,
        "baseline": _doses(plan.baseline),
        "baseline_mme": _number(plan.baseline_total_mme_per_day),
        "steps": [
            {
                "step": step,
                "cut": _cut(step.kind, step.cut_fraction),
                "mme": _number(step.total_mme_per_day),
                "doses": _doses(step.medications),
            }
            for step in plan.steps
        ],
        "fills": [
            {
                "fill": fill,
                "items": [
                    {"item": item, "product": item_words(item), "sig": sig_text(item.directions)}
                    for item in fill.items
                ],
            }
            for fill in chosen
        ],
        "groups": _adjunct_groups([a for a in plan.adjuncts if not a.avoid]),
        "avoided": [a for a in plan.adjuncts if a.avoid],
        "citations": _citations(plan),
        "safety": SAFETY,
        "disclaimer": DISCLAIMER,
    }
    page: str = environment().get_template("summary.html.j2").render(context)
    return page

"""Refusing a regimen that no plan can taper within the rules (§4a rule 7).

The refusal keeps what matters: where planning stopped, a fix that the planner
itself checked would give a plan (allowing a finer product, more strengths, or
a pace with a larger ceiling), and the regimen's safety warnings (such as
benzodiazepines or naloxone) that a plan would have carried.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol

import attrs

from taperplan.clinical.mme import mme_notices
from taperplan.clinical.safety import regimen_safety_warnings
from taperplan.errors import PlanningError, RefusedError, StoppedAt
from taperplan.model.plan import MedicationDose, TaperPlan, total_mme
from taperplan.model.regimen import Regimen
from taperplan.planning._doses import DoseMaker
from taperplan.planning._lanes import Layout
from taperplan.planning._order import TaperOrder
from taperplan.planning._search import DeadEndError
from taperplan.reference.paces import Pace, presets
from taperplan.reference.products import FactorSet
from taperplan.units import format_decimal

Planner = Callable[..., TaperPlan]


def _describe(parts: Sequence[MedicationDose]) -> str:
    words = []
    for part in parts:
        if not part.doses:
            continue
        doses = ", ".join(
            f"{format_decimal(d.amount.amount)} {d.amount.unit.value} at {d.time.strftime('%H:%M')}"
            + ("" if d.every_days == 1 else f" every {d.every_days} days")
            for d in part.doses
        )
        words.append(f"{part.product.name} {doses}")
    return "; ".join(words) or "nothing"


class _Plans(Protocol):
    """Whether a regimen plans at a pace (substitution allowed or not)."""

    def __call__(self, candidate: Regimen, candidate_pace: Pace, *, allow: bool) -> bool: ...


def refusal(
    regimen: Regimen,
    pace: Pace,
    layout: Layout,
    doses: DoseMaker,
    failed: DeadEndError,
    *,
    start: dt.date,
    order: TaperOrder | Sequence[str],
    factor_set: FactorSet,
    substitute: bool,
    supervised: bool,
    planner: Planner,
) -> PlanningError:
    """The refusal of a regimen: where planning stopped, a fix the planner has
    checked, and the warnings ``plan`` would have printed."""
    state = failed.deepest[-1].state if failed.deepest else layout.baseline
    parts = doses.parts(state, [m.index for m in layout.medications])
    total = total_mme(parts)
    stopped = StoppedAt(steps=len(failed.deepest), doses=_describe(parts), total_mme_per_day=total)

    def plans(candidate: Regimen, candidate_pace: Pace, *, allow: bool) -> bool:
        try:
            planner(
                candidate,
                start=start,
                pace=candidate_pace,
                order=order,
                factors=factor_set,
                supervised=supervised,
                substitute=allow,
            )
        except (PlanningError, RefusedError):
            return False
        return True

    fix = _checked_fix(regimen, pace, plans, substitute=substitute)
    baseline_total = total_mme(
        doses.parts(layout.baseline, [m.index for m in layout.medications if m.own])
    )
    reads = tuple(
        (
            m.drug,
            m.form,
            layout.drugs[next(d.index for d in layout.drugs if d.name == m.drug)].factor is None,
        )
        for m in regimen.medications
    )
    warnings = (
        *regimen_safety_warnings(regimen, total_mme=baseline_total),
        *mme_notices(reads, baseline_total, factor_set),
    )
    total_text = (
        ""
        if total is None
        else f" ({format_decimal(total.quantize(Decimal('0.01')).normalize())} MME/day)"
    )
    if failed.too_long:
        why = f"the {pace.name} pace would need more than 400 steps"
    elif failed.gave_up is not None:
        why = (
            f"the search for a plan at the {pace.name} pace gave up after "
            f"{failed.gave_up:,} states without reaching the stop (it got as far as "
            f"{stopped.steps} step{'' if stopped.steps == 1 else 's'}, at "
            f"{stopped.doses}{total_text})"
        )
    else:
        why = (
            f"after {stopped.steps} step{'' if stopped.steps == 1 else 's'}, at "
            f"{stopped.doses}{total_text}, no dispensable cut "
            f"keeps the {pace.name} pace's rules (a ceiling of "
            f"{format_decimal(pace.max_step_fraction * 100)}% a cut"
            + ("" if substitute else "; substitution of a finer product is off")
            + ")"
        )
    message = f"no plan: {why}. " + (
        f"Fix: {fix}."
        if fix
        else "No change taperplan can check gives a plan: plan this taper by hand."
    )
    return PlanningError(
        message, stopped_at=stopped, fix=fix, warnings=tuple(dict.fromkeys(warnings))
    )


def _checked_fix(regimen: Regimen, pace: Pace, plans: _Plans, *, substitute: bool) -> str | None:
    """The first change that gives a plan (each tried by planning it with ``plans``)."""

    if not substitute and plans(regimen, pace, allow=True):
        return (
            "allow the same drug's immediate-release tablet or oral solution to take over part "
            "of the dose (allow substitution: substitute = true in the regimen's [pace] table, "
            "--substitute on the command line, or substitute=True)"
        )
    if any(m.available is not None for m in regimen.medications):
        wider = attrs.evolve(
            regimen, medications=tuple(attrs.evolve(m, available=None) for m in regimen.medications)
        )
        if plans(wider, pace, allow=substitute):
            return "allow every strength the catalogue lists (remove available = [...])"
    for other in sorted(
        (
            p
            for p in presets()
            if not p.supervised_only and p.max_step_fraction > pace.max_step_fraction
        ),
        key=lambda p: (p.max_step_fraction, p.name),
    ):
        if plans(regimen, attrs.evolve(other, substitute=substitute), allow=substitute):
            return (
                f"choose the {other.name} pace (ceiling {format_decimal(other.max_step_fraction * 100)}% "
                "a cut), if the prescriber agrees"
            )
    return None

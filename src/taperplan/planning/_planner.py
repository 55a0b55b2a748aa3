"""Planning a taper: from a regimen and a pace to a dated plan, or a refusal that
keeps what matters.

:func:`plan_taper` resolves the pace, lays the regimen out in lanes
(:mod:`._lanes`), searches for a path of dispensable cuts to the stop
(:mod:`._search`), builds and dates the steps (:mod:`._build`,
:func:`taperplan._plan.date_steps`) and attaches the plan's warnings. A regimen
that no path can taper within the rules is refused with where planning
stopped, a fix the planner has checked, and the regimen's safety warnings
(interfaces.md §4a rule 7).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Literal

import attrs

from taperplan._adjuncts import suggest_adjuncts
from taperplan._catalogue import FactorSet, Form
from taperplan._data import load_data
from taperplan._errors import PlanningError, RefusedError, StoppedAt
from taperplan._mme import mme_notices, resolve_factor_set
from taperplan._notices import Notice, notice
from taperplan._pace import Pace, default_pace, preset, presets
from taperplan._plan import MedicationDose, StepKind, TaperPlan, date_steps, total_mme
from taperplan._regimen import Regimen
from taperplan._safety import dst_time_warnings, oud_refusal_reason, regimen_safety_warnings
from taperplan._units import format_decimal
from taperplan.planning._build import DoseMaker, build_steps
from taperplan.planning._lanes import Layout, build_layout
from taperplan.planning._moves import MoveMaker
from taperplan.planning._search import SearchFailed, search

TaperOrder = Literal["long-acting-first", "short-acting-first", "proportional"]


def end_thresholds() -> tuple[Fraction, Fraction]:
    """(the stop at or below this MME/day, the end moves from at or below this)."""
    table = load_data("paces.toml")["end_game"]
    return Fraction(table["stop_at_or_below_mme"]), Fraction(table["end_moves_at_or_below_mme"])


def move_maker(
    layout: Layout, pace: Pace, order: TaperOrder | Sequence[str], originals: Sequence[int]
) -> MoveMaker:
    """The moves of a plan of ``layout`` at ``pace``."""
    stop, end = end_thresholds()
    return MoveMaker(
        layout,
        pace,
        order,
        originals,
        stop_at=int(stop * layout.scale),
        end_at=int(end * layout.scale),
    )


def resolve_pace(regimen: Regimen, pace: Pace | str | None, start: dt.date) -> tuple[Pace, str]:
    """The pace to plan with and why (the caller's, the regimen's, or the default)."""
    if isinstance(pace, Pace):
        return pace, f"pace {pace.name} given by the caller"
    if isinstance(pace, str):
        return preset(pace), f"pace {pace} given by the caller"
    if regimen.pace is not None:
        return regimen.pace, f"pace {regimen.pace.name} from the regimen's [pace] table"
    chosen, why = default_pace(regimen.context.on_opioids_since, start)
    return chosen, f"default pace {chosen.name}: {why}"


def refusals(regimen: Regimen, pace: Pace, *, supervised: bool) -> None:
    """Refuse what the tool may not plan (OUD treatment; supervised-only paces)."""
    for index, medication in enumerate(regimen.medications):
        reason = oud_refusal_reason(medication)
        if reason is not None:
            raise RefusedError(f"medication[{index}]: {reason}")
    if pace.supervised_only and not (supervised or regimen.context.supervised):
        raise RefusedError(
            f"the {pace.name} pace is only for patients under close supervision; pass supervised=True "
            "(or set context.supervised = true) if that is the case, or choose another pace"
        )


def order_name(order: TaperOrder | Sequence[str]) -> str:
    """How a plan records its taper order."""
    return order if isinstance(order, str) else "explicit: " + ", ".join(order)


def plan_id(regimen: Regimen, start: dt.date, pace: Pace, order: str, factor_set: str) -> str:
    """A stable identifier of the plan's inputs (calendar UIDs derive from it)."""
    parts = [
        start.isoformat(),
        pace.name,
        str(pace.max_step_fraction),
        str(pace.every_days),
        order,
        factor_set,
    ]
    for medication in regimen.medications:
        parts.append(medication.product.name)
        parts.append(",".join(map(str, medication.strengths)))
        parts.extend(
            f"{a.time.isoformat()}={a.amount}/{medication.interval(a)}"
            for a in medication.administrations
        )
        parts.append(str(medication.every_days))
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"tp-{digest[:12]}"


def plan_taper(
    regimen: Regimen,
    *,
    start: dt.date,
    pace: Pace | str | None = None,
    order: TaperOrder | Sequence[str] = "long-acting-first",
    factors: str | FactorSet | None = None,
    supervised: bool = False,
    substitute: bool | None = None,
) -> TaperPlan:
    """Plan a gradual taper of ``regimen`` starting on ``start``.

    Args:
        regimen: the current regimen (see :func:`taperplan.load_regimen`).
        start: the day of the first cut; taperplan never reads the clock.
        pace: a :class:`Pace`, a preset name, or None for the regimen's
            ``[pace]`` table or else the default for the context (a year or
            more on opioids, or unknown: ``cdc-long-term``; shorter:
            ``cdc-short-term``).
        order: which medication to taper first: ``"long-acting-first"``
            (default, as the Mayo research tool), ``"short-acting-first"``,
            ``"proportional"`` (each step cuts the medication furthest from its
            share), or a sequence of drug names.
        factors: the MME factor set (default ``cdc2022``).
        supervised: the patient is under close supervision (needed for
            ``va-rapid``).
        substitute: whether the same drug's immediate-release tablet or oral
            solution may take over part of a dose that the regimen's own
            products cannot cut within the pace's ceiling (default: the pace's
            ``substitute``, true unless the ``[pace]`` table says
            ``substitute = false``).

    Returns:
        A :class:`TaperPlan`: the same input always gives the same plan.

    Raises:
        RefusedError: a medication for opioid use disorder, or a
            supervised-only pace without supervision.
        PlanningError: no dispensable path keeps the rules; it carries where
            planning stopped, a checked fix and the safety warnings.
        NotApplicableError: the factor set cannot convert a dose.
    """
    factor_set = resolve_factor_set(factors)
    chosen, reason = resolve_pace(regimen, pace, start)
    refusals(regimen, chosen, supervised=supervised)
    allowed = chosen.substitute if substitute is None else substitute
    name = order_name(order)
    layout = build_layout(regimen, factor_set, substitute=allowed)
    originals = layout.totals(layout.baseline)[1]
    maker = move_maker(layout, chosen, order, originals)
    identifier = plan_id(regimen, start, chosen, name, factor_set.name)
    doses = DoseMaker(layout)
    try:
        path = search(maker, layout.baseline)
    except SearchFailed as failed:
        raise _refusal(
            regimen, chosen, layout, doses, failed, start=start, order=order,
            factor_set=factor_set, substitute=allowed, supervised=supervised,
        ) from None
    undated, substitutes = build_steps(
        layout, chosen, layout.baseline, path, plan_id=identifier, first_number=1, doses=doses
    )
    steps = date_steps(undated, start)
    baseline = doses.parts(layout.baseline, [m.index for m in layout.medications if m.own])
    plan = TaperPlan(
        id=identifier,
        revision=0,
        regimen=regimen,
        pace=chosen,
        pace_reason=reason,
        order=name,
        factor_set=factor_set.name,
        start=start,
        baseline=baseline,
        baseline_total_mme_per_day=total_mme(baseline),
        steps=steps,
        warnings=(),
        adjuncts=suggest_adjuncts(regimen.context, total_mme=total_mme(baseline)),
        substitutes=tuple(substitutes),
    )
    return attrs.evolve(plan, warnings=plan_warnings(plan, factor_set))


def plan_warnings(plan: TaperPlan, factor_set: FactorSet) -> tuple[Notice, ...]:
    """Every warning of ``plan``: MME, pace, substitutes, large cuts, safety."""
    regimen, pace, steps = plan.regimen, plan.pace, plan.steps
    total = plan.baseline_total_mme_per_day
    reads = tuple(
        (m.drug, m.form, p.mme_per_day is None)
        for m, p in zip(regimen.medications, plan.baseline, strict=True)
    )
    result: list[Notice] = list(mme_notices(reads, total, factor_set))
    if pace.cap_lifted:
        result.append(
            notice(
                "cap-above-preset",
                cap=format_decimal(pace.max_step_fraction * 100),
                preset_cap=format_decimal((pace.preset_cap or Decimal(0)) * 100),
                pace=pace.name,
            )
        )
    if pace.supervised_only:
        result.append(notice("supervised-pace", pace=pace.name))
    if any(s.kind is StepKind.CUT and any("shorter than the expected" in n for n in s.notes) for s in steps):
        result.append(notice("steps-shorter-than-window"))
    result.extend(_step_warnings(plan))
    result.extend(regimen_safety_warnings(regimen, total_mme=total))
    result.extend(dst_time_warnings(regimen, start=steps[0].start, end=steps[-1].end))
    result.extend(regimen.notices)
    return tuple(dict.fromkeys(result))


def _step_warnings(plan: TaperPlan) -> list[Notice]:
    """Warnings about what the steps do: substitutes, cuts above the ceiling, the
    last patch, methadone's slower handling."""
    result = []
    for substitute in plan.substitutes:
        step = plan.steps[substitute.first_step]
        result.append(
            notice(
                "substitution",
                product=substitute.product.name,
                step=step.index + 1,
                date=step.start.isoformat(),
                strengths=", ".join(substitute.product.label(s) for s in substitute.strengths),
                measure=""
                if substitute.resolution is None
                else f", measured with an oral syringe to {substitute.resolution}",
            )
        )
    coarse = sorted(
        {s.cut_drug for s in plan.steps if s.cut_drug and any(n.startswith("held: a cut of one smallest") for n in s.notes)}
    )
    if coarse:
        result.append(
            notice(
                "above-ceiling-unit",
                drugs=", ".join(coarse),
                ceiling=format_decimal(plan.pace.max_step_fraction * 100),
            )
        )
    for position, step in enumerate(plan.steps[1:], start=1):
        before = plan.steps[position - 1]
        for part in before.medications:
            after = next((m for m in step.medications if m.index == part.index), None)
            if part.form is Form.PATCH and _one_smallest_patch(part) and after is not None and not after.doses:
                result.append(
                    notice(
                        "smallest-patch-stop",
                        label=part.doses[0].units[0].strength_text,
                        drug=part.drug,
                        days=before.days,
                    )
                )
    if any(m.drug == "methadone" for m in plan.regimen.medications):
        result.append(notice("methadone-slower", percent=format_decimal(plan.pace.percent or Decimal(0)), every=plan.pace.every_days))
    return result


def _one_smallest_patch(part: MedicationDose) -> bool:
    """Whether ``part`` is one patch of its product's smallest strength."""
    if len(part.doses) != 1:
        return False
    units = part.doses[0].units
    return len(units) == 1 and units[0].count == 1 and units[0].strength == part.smallest_unit


# -- refusals --------------------------------------------------------------------


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


def _refusal(
    regimen: Regimen,
    pace: Pace,
    layout: Layout,
    doses: DoseMaker,
    failed: SearchFailed,
    *,
    start: dt.date,
    order: TaperOrder | Sequence[str],
    factor_set: FactorSet,
    substitute: bool,
    supervised: bool,
) -> PlanningError:
    """The refusal of a regimen: where planning stopped, a fix the planner has
    checked, and the warnings ``plan`` would have printed."""
    state = failed.deepest[-1].state if failed.deepest else layout.baseline
    parts = doses.parts(state, [m.index for m in layout.medications])
    total = total_mme(parts)
    stopped = StoppedAt(steps=len(failed.deepest), doses=_describe(parts), total_mme_per_day=total)
    fix = _checked_fix(regimen, pace, start=start, order=order, factor_set=factor_set, substitute=substitute, supervised=supervised)
    baseline_total = total_mme(doses.parts(layout.baseline, [m.index for m in layout.medications if m.own]))
    reads = tuple((m.drug, m.form, layout.drugs[next(d.index for d in layout.drugs if d.name == m.drug)].factor is None) for m in regimen.medications)
    warnings = (
        *regimen_safety_warnings(regimen, total_mme=baseline_total),
        *mme_notices(reads, baseline_total, factor_set),
    )
    total_text = "" if total is None else f" ({format_decimal(total.quantize(Decimal('0.01')).normalize())} MME/day)"
    if failed.too_long:
        why = f"the {pace.name} pace would need more than 400 steps"
    else:
        why = (
            f"after {stopped.steps} steps, at {stopped.doses}{total_text}, no dispensable cut "
            f"keeps the {pace.name} pace's rules (a ceiling of "
            f"{format_decimal(pace.max_step_fraction * 100)}% a cut"
            + ("" if substitute else "; substitution of a finer product is off")
            + ")"
        )
    message = f"no plan: {why}. " + (
        f"Fix: {fix}." if fix else "No change taperplan can check gives a plan: plan this taper by hand."
    )
    return PlanningError(message, stopped_at=stopped, fix=fix, warnings=tuple(dict.fromkeys(warnings)))


def _checked_fix(
    regimen: Regimen,
    pace: Pace,
    *,
    start: dt.date,
    order: TaperOrder | Sequence[str],
    factor_set: FactorSet,
    substitute: bool,
    supervised: bool,
) -> str | None:
    """The first change that gives a plan (each tried by planning it)."""

    def plans(candidate: Regimen, candidate_pace: Pace, allow: bool) -> bool:
        try:
            plan_taper(candidate, start=start, pace=candidate_pace, order=order, factors=factor_set, supervised=supervised, substitute=allow)
        except (PlanningError, RefusedError):
            return False
        return True

    if not substitute and plans(regimen, pace, True):
        return (
            "allow the same drug's immediate-release tablet or oral solution to take over part "
            "of the dose (remove substitute = false from [pace], or pass substitute=True)"
        )
    if any(m.available is not None for m in regimen.medications):
        wider = attrs.evolve(
            regimen, medications=tuple(attrs.evolve(m, available=None) for m in regimen.medications)
        )
        if plans(wider, pace, substitute):
            return "allow every strength the catalogue lists (remove available = [...])"
    for other in sorted(
        (p for p in presets() if not p.supervised_only and p.max_step_fraction > pace.max_step_fraction),
        key=lambda p: (p.max_step_fraction, p.name),
    ):
        if plans(regimen, attrs.evolve(other, substitute=substitute), substitute):
            return (
                f"choose the {other.name} pace (ceiling {format_decimal(other.max_step_fraction * 100)}% "
                "a cut), if the prescriber agrees"
            )
    return None

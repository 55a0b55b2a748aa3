"""Planning a taper: from a regimen and a pace to a dated plan, or a refusal that
keeps what matters.

:func:`plan_taper` resolves the pace, lays the regimen out in lanes
(:mod:`._lanes`), searches for a path of dispensable cuts to the stop
(:mod:`._search`), builds and dates the steps (:mod:`._build`,
:func:`taperplan.model.plan.date_steps`) and attaches the plan's warnings. A regimen
that no path can taper within the rules is refused with where planning
stopped, a fix the planner has checked, and the regimen's safety warnings
(interfaces.md §4a rule 7).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from fractions import Fraction

import attrs

from taperplan._data import load_data
from taperplan._reading import require_date
from taperplan.clinical.adjuncts import suggest_adjuncts
from taperplan.clinical.mme import resolve_factor_set
from taperplan.clinical.safety import oud_refusal_reason
from taperplan.errors import PlanningError, RefusedError
from taperplan.model.plan import MedicationDose, TaperPlan, total_mme
from taperplan.model.regimen import Regimen
from taperplan.planning._build import build_steps
from taperplan.planning._dating import date_steps
from taperplan.planning._doses import DoseMaker
from taperplan.planning._lanes import Layout, build_layout
from taperplan.planning._moves import MoveMaker
from taperplan.planning._order import TaperOrder, taper_order
from taperplan.planning._refusal import refusal
from taperplan.planning._search import DeadEndError, search
from taperplan.planning._warnings import plan_warnings
from taperplan.reference.paces import Pace, default_pace, preset
from taperplan.reference.products import FactorSet


def end_thresholds() -> tuple[Fraction, Fraction]:
    """(the stop at or below this MME/day, the end moves from at or below this)."""
    table = load_data("paces.toml")["end_game"]
    return Fraction(table["stop_at_or_below_mme"]), Fraction(table["end_moves_at_or_below_mme"])


def move_maker(
    layout: Layout,
    pace: Pace,
    order: TaperOrder | Sequence[str],
    originals: Sequence[int] | Sequence[Fraction],
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
        named = preset(pace)
        return named, f"pace {named.name} given by the caller"
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
    return str(order) if isinstance(order, str) else "explicit: " + ", ".join(order)


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


def baseline_doses(
    regimen: Regimen, factors: str | FactorSet | None = None
) -> tuple[MedicationDose, ...]:
    """The regimen's doses now, in real units and with MME, as a plan's baseline."""
    layout = build_layout(regimen, resolve_factor_set(factors), substitute=False)
    return DoseMaker(layout).parts(layout.baseline, [m.index for m in layout.medications if m.own])


#: The first and last start dates taperplan plans for: a plan's steps, windows and
#: check-ins run years past its start, and Python's dates end in 9999.
FIRST_START = dt.date(1900, 1, 1)
LAST_START = dt.date(2500, 12, 31)


def plan_start(start: object) -> dt.date:
    """``start`` checked as a plan's first day: a date within the dates taperplan plans for.

    Raises:
        InvalidArgumentError: not a date.
        PlanningError: before 1900 or after 2500.
    """
    day = require_date(start, "start")
    if not FIRST_START <= day <= LAST_START:
        msg = (
            f"start {day.isoformat()} is outside the dates taperplan plans for "
            f"({FIRST_START.isoformat()} to {LAST_START.isoformat()})"
        )
        raise PlanningError(msg)
    return day


def _default_order(regimen: Regimen) -> TaperOrder | tuple[str, ...]:
    """Long-acting first, unless an as-needed medication is to be stopped first: then its
    drug first, the others after in the regimen's order."""
    first = [
        m.drug for m in regimen.medications if m.as_needed and m.as_needed.plan == "stop-first"
    ]
    if not first:
        return TaperOrder.LONG_ACTING_FIRST
    return tuple(dict.fromkeys([*first, *(m.drug for m in regimen.medications)]))


def plan_taper(
    regimen: Regimen,
    *,
    start: dt.date,
    pace: Pace | str | None = None,
    order: TaperOrder | Sequence[str] | None = None,
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
        order: which medication to taper first, a :class:`TaperOrder` or its
            name: ``"long-acting-first"`` (the default, as the Mayo research tool),
            ``"short-acting-first"``, ``"proportional"`` (each step cuts the
            medication furthest from its share); or a sequence of drug names.
            By default an as-needed medication marked ``stop-first`` puts its drug
            first (the other drugs follow in the regimen's order).
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
            planning stopped, a checked fix and the safety warnings. Also for
            an ``order`` that names no taper order.
        NotApplicableError: the factor set cannot convert a dose.
    """
    start = plan_start(start)
    order = taper_order(
        _default_order(regimen) if order is None else order, [m.drug for m in regimen.medications]
    )
    factor_set = resolve_factor_set(factors)
    chosen, reason = resolve_pace(regimen, pace, start)
    refusals(regimen, chosen, supervised=supervised)
    allowed = chosen.substitute if substitute is None else substitute
    if allowed != chosen.substitute:
        # The plan records what the caller allowed.
        chosen = attrs.evolve(chosen, substitute=allowed)
    name = order_name(order)
    layout = build_layout(regimen, factor_set, substitute=allowed)
    originals = layout.totals(layout.baseline)[1]
    maker = move_maker(layout, chosen, order, originals)
    identifier = plan_id(regimen, start, chosen, name, factor_set.name)
    doses = DoseMaker(layout)
    try:
        path = search(maker, layout.baseline)
    except DeadEndError as failed:
        raise refusal(
            regimen,
            chosen,
            layout,
            doses,
            failed,
            start=start,
            order=order,
            factor_set=factor_set,
            substitute=allowed,
            supervised=supervised,
            planner=plan_taper,
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

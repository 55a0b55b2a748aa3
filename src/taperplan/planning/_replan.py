"""Re-planning at a visit: continue a plan from what the patient actually takes.

The steps before the visit stay as they were; from there a new schedule
follows at the plan's pace (or a new one), with the plan's original baseline
still the reference for original-based paces. A re-plan never raises a dose
silently: doses above the plan's are refused unless the caller overrides, and
then the plan says so loudly (tolerance falls within about a week; VA-TDT).
Where the new schedule starts and from what is :mod:`._visit`'s; fitting its
steps into the plan they continue is :mod:`._merge`'s.
"""

from __future__ import annotations

import datetime as dt

import attrs

from taperplan._reading import require_date
from taperplan.clinical.mme import resolve_factor_set
from taperplan.errors import PlanningError
from taperplan.model.plan import TaperPlan
from taperplan.model.regimen import Regimen
from taperplan.planning._build import build_steps
from taperplan.planning._dating import UndatedStep, date_steps, undated
from taperplan.planning._doses import DoseMaker
from taperplan.planning._kinds import not_a_taper
from taperplan.planning._lanes import build_layout
from taperplan.planning._merge import (
    aligned,
    amounts_taken,
    first_listed,
    index_mapping,
    step_number,
    stopped_entries,
)
from taperplan.planning._planner import move_maker, plan_taper, refusals
from taperplan.planning._refusal import refusal
from taperplan.planning._search import DeadEndError, search
from taperplan.planning._visit import (
    first_new_cut,
    original_totals,
    plan_order,
    raised_above,
    regimen_on,
)
from taperplan.planning._warnings import plan_warnings
from taperplan.reference.notices import notice
from taperplan.reference.paces import Pace, preset


def replan(
    plan: TaperPlan,
    *,
    on: dt.date,
    regimen: Regimen | None = None,
    pace: Pace | str | None = None,
    supervised: bool = False,
    substitute: bool | None = None,
    allow_higher_dose: bool = False,
) -> TaperPlan:
    """Continue a plan from what the patient actually takes on ``on``.

    Steps before ``on`` are kept as they were. The step in effect keeps its
    dose for at least as long as its cut needs at the (new) pace, so the first
    new cut may come after ``on``; from there a new schedule follows from
    ``regimen`` (default: the doses in effect the day before) at ``pace``
    (default: the plan's). New steps reuse the identifiers of the steps they
    replace, so calendar exports update rather than duplicate; a product the
    new regimen adds joins the plan's medication list.

    Args:
        allow_higher_dose: re-plan even from doses above the plan's (a drug's
            daily amount or the total MME); the plan then carries a
            ``dose-raised-at-replan`` warning. Without it such a re-plan is
            refused: tolerance falls within about a week at a lower dose, and
            going back up can cause an overdose.

    Raises:
        PlanningError: ``on`` is outside the plan or after the stop, the
            regimen is above the plan's doses, or no plan keeps the rules.
        RefusedError: as :func:`taperplan.plan_taper`.
    """
    on = require_date(on, "on")
    not_a_taper(plan, "replan")
    chosen = plan.pace if pace is None else (pace if isinstance(pace, Pace) else preset(pace))
    visited = plan.step_on(on)
    on = first_new_cut(plan, on, chosen)
    # The step in effect at the visit, held on until ``on`` (past its planned end when
    # the new pace is slower), or the step ``on`` falls in.
    step = visited if on > visited.end else plan.step_on(on)
    if on == plan.start:
        planned, shift = plan.baseline, 0
    else:
        source = step if on > step.end else plan.step_on(on - dt.timedelta(days=1))
        planned, shift = source.medications, (on - source.start).days
    if regimen is None:
        new_regimen = plan.regimen if on == plan.start else regimen_on(plan, planned, shift)
    else:
        new_regimen = regimen
    raised = raised_above(planned, new_regimen)
    if raised and not allow_higher_dose:
        raise PlanningError(
            f"re-planning on {on.isoformat()} from a higher dose is refused: {raised}. Tolerance "
            "falls within about a week at a lower dose; going back to a higher dose can cause a "
            "fatal overdose. Re-plan from the doses the plan has now, or, if the prescriber has "
            "decided otherwise, pass allow_higher_dose=True",
        )
    refusals(new_regimen, chosen, supervised=supervised)
    factor_set = resolve_factor_set(plan.factor_set)
    allowed = chosen.substitute if substitute is None else substitute
    rank_times: dict[str, list[dt.time]] = {}
    for medication in plan.regimen.medications:
        rank_times.setdefault(medication.drug, []).extend(
            a.time for a in medication.administrations
        )
    layout = build_layout(
        new_regimen,
        factor_set,
        substitute=allowed,
        rank_times=rank_times,
        stocked=plan.regimen.medications,
    )
    mapping, merged = index_mapping(plan, new_regimen, layout)
    originals = original_totals(plan, layout)
    maker = move_maker(layout, chosen, plan_order(plan.order), originals)
    # Re-planned from the plan's own doses, the patient has taken them since the
    # step began: held for the pace's interval, they need no further hold (the
    # smallest patch is not worn alone a second time).
    held = regimen is None and on != plan.start and shift >= chosen.every_days
    try:
        path = search(maker, layout.baseline, first_cut=False, held=held)
    except DeadEndError as failed:
        raise refusal(
            new_regimen,
            chosen,
            layout,
            DoseMaker(layout),
            failed,
            start=on,
            order=plan_order(plan.order),
            factor_set=factor_set,
            substitute=allowed,
            supervised=supervised,
            planner=plan_taper,
        ) from None
    kept = [undated(s) for s in plan.steps if s.end < min(on, step.start)]
    if step.start < on:
        kept.append(undated(step, days=(on - step.start).days))
    first_number = 1 + max(
        (n for n in (step_number(r.key) for r in kept) if n is not None), default=0
    )
    doses = DoseMaker(layout)
    fresh, new_substitutes = build_steps(
        layout,
        chosen,
        layout.baseline,
        path,
        plan_id=plan.id,
        first_number=first_number,
        doses=doses,
    )
    # Products the new regimen adds join the plan's regimen; the plan's substitutes
    # move up behind them, in the kept steps as in the new ones.
    regimen_count = len(merged)
    added = regimen_count - len(plan.regimen.medications)
    substitutes = [attrs.evolve(s, index=s.index + added) for s in plan.substitutes]
    if added:
        kept = [
            r._replace(
                parts=tuple(
                    attrs.evolve(p, index=p.index + added)
                    if p.index >= len(plan.regimen.medications)
                    else p
                    for p in r.parts
                ),
                replanned_from=None
                if r.replanned_from is None
                else tuple(
                    attrs.evolve(p, index=p.index + added)
                    if p.index >= len(plan.regimen.medications)
                    else p
                    for p in r.replanned_from
                ),
            )
            for r in kept
        ]
    for substitute_ in new_substitutes:
        own = next(
            (
                i
                for i, m in enumerate(merged)
                if m.product == substitute_.product and i not in mapping.values()
            ),
            None,
        )
        if own is not None:
            # A product of the plan's regimen that the patient no longer took comes back.
            mapping[substitute_.index] = own
            continue
        known = next((s for s in substitutes if s.product == substitute_.product), None)
        if known is None:
            index = regimen_count + len(substitutes)
            mapping[substitute_.index] = index
            substitutes.append(
                attrs.evolve(
                    substitute_,
                    index=index,
                    replaces=tuple(mapping[r] for r in substitute_.replaces),
                    first_step=substitute_.first_step + len(kept),
                )
            )
        else:
            mapping[substitute_.index] = known.index
    templates = stopped_entries(plan, merged, substitutes, factor_set)
    fresh = [r._replace(parts=aligned(r.parts, mapping, templates)) for r in fresh]
    kept = [r._replace(parts=aligned(r.parts, {}, templates, keep_listed=True)) for r in kept]
    actual = aligned(
        doses.parts(layout.baseline, [m.index for m in layout.medications if m.own is not None]),
        mapping,
        templates,
    )
    before = kept[-1].parts if kept else plan.baseline
    if fresh and amounts_taken(actual) != amounts_taken(before):
        fresh[0] = fresh[0]._replace(replanned_from=actual)
    steps = date_steps([*kept, *fresh], plan.start)
    # Substitutes no step lists go; the others start where they are first taken.
    listed = {m.index for s in steps for m in (*s.medications, *(s.replanned_from or ()))}
    new_plan = attrs.evolve(
        plan,
        regimen=attrs.evolve(plan.regimen, medications=merged),
        pace=chosen,
        pace_reason=plan.pace_reason
        if pace is None
        else f"pace {chosen.name} given at re-planning on {on.isoformat()}",
        steps=steps,
        revision=plan.revision + 1,
        substitutes=tuple(
            attrs.evolve(s, first_step=first_listed(steps, s.index))
            for s in substitutes
            if s.index in listed
        ),
    )
    warnings = plan_warnings(new_plan, factor_set)
    if raised:
        warnings = (notice("dose-raised-at-replan", date=on.isoformat(), what=raised), *warnings)
    return attrs.evolve(new_plan, warnings=warnings)


__all__ = ["UndatedStep", "replan"]

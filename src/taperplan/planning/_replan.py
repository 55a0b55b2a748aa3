"""Re-planning at a visit: continue a plan from what the patient actually takes.

The steps before the visit stay as they were; from there a new schedule
follows at the plan's pace (or a new one), with the plan's original baseline
still the reference for original-based paces. A re-plan never raises a dose
silently: doses above the plan's are refused unless the caller overrides, and
then the plan says so loudly (tolerance falls within about a week; VA-TDT).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from math import ceil

import attrs

from taperplan.clinical.mme import resolve_factor_set
from taperplan.errors import PlanningError
from taperplan.model.plan import (
    MedicationDose,
    Step,
    StepKind,
    Substitute,
    TaperPlan,
)
from taperplan.model.regimen import Administration, Medication, Regimen
from taperplan.planning._build import build_steps
from taperplan.planning._dating import UndatedStep, date_steps, dosing_period, undated, whole
from taperplan.planning._doses import DoseMaker
from taperplan.planning._lanes import Layout, build_layout
from taperplan.planning._order import TaperOrder
from taperplan.planning._planner import move_maker, plan_taper, refusals
from taperplan.planning._refusal import refusal
from taperplan.planning._search import DeadEndError, search
from taperplan.planning._warnings import plan_warnings
from taperplan.reference.notices import notice
from taperplan.reference.paces import Pace, preset
from taperplan.reference.products import FactorSet
from taperplan.units import Quantity, format_decimal


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
    chosen = plan.pace if pace is None else (pace if isinstance(pace, Pace) else preset(pace))
    on = _first_new_cut(plan, on, chosen)
    step = plan.step_on(on)
    if on == plan.start:
        planned, shift = plan.baseline, 0
    else:
        source = plan.step_on(on - dt.timedelta(days=1))
        planned, shift = source.medications, (on - source.start).days
    if regimen is None:
        new_regimen = plan.regimen if on == plan.start else _regimen_on(plan, planned, shift)
    else:
        new_regimen = regimen
    raised = _raised(planned, new_regimen)
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
    layout = build_layout(new_regimen, factor_set, substitute=allowed, rank_times=rank_times)
    mapping, merged = _mapping(plan, new_regimen, layout)
    originals = _originals(plan, layout)
    maker = move_maker(layout, chosen, _order(plan.order), originals)
    try:
        path = search(maker, layout.baseline, first_cut=False)
    except DeadEndError as failed:
        raise refusal(
            new_regimen,
            chosen,
            layout,
            DoseMaker(layout),
            failed,
            start=on,
            order=_order(plan.order),
            factor_set=factor_set,
            substitute=allowed,
            supervised=supervised,
            planner=plan_taper,
        ) from None
    kept = [undated(s) for s in plan.steps if s.end < on]
    if step.start < on <= step.end:
        kept.append(undated(step, days=(on - step.start).days))
    first_number = 1 + max((n for n in (_number(r.key) for r in kept) if n is not None), default=0)
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
    templates = _templates(plan, merged, substitutes, factor_set)
    fresh = [r._replace(parts=_aligned(r.parts, mapping, templates)) for r in fresh]
    kept = [r._replace(parts=_aligned(r.parts, {}, templates, keep_listed=True)) for r in kept]
    actual = _aligned(
        doses.parts(layout.baseline, [m.index for m in layout.medications if m.own is not None]),
        mapping,
        templates,
    )
    before = kept[-1].parts if kept else plan.baseline
    if fresh and _amounts(actual) != _amounts(before):
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
            attrs.evolve(s, first_step=_first_listed(steps, s.index))
            for s in substitutes
            if s.index in listed
        ),
    )
    warnings = plan_warnings(new_plan, factor_set)
    if raised:
        warnings = (notice("dose-raised-at-replan", date=on.isoformat(), what=raised), *warnings)
    return attrs.evolve(new_plan, warnings=warnings)


def _first_listed(steps: Sequence[Step], index: int) -> int:
    """The first step that takes medication ``index`` (or where the patient was
    found taking it), else the first that lists it."""
    for step in steps:
        found = [*step.medications, *(step.replanned_from or ())]
        if any(m.index == index and m.doses for m in found):
            return step.index
    return next(s.index for s in steps if any(m.index == index for m in s.medications))


def _first_new_cut(plan: TaperPlan, on: dt.date, pace: Pace) -> dt.date:
    """The earliest day the new schedule may begin: the step in effect keeps its
    dose as long as its cut needs at ``pace`` (rule 3), in whole dosing intervals."""
    step = plan.step_on(on)
    if step.kind is StepKind.STOP and on > step.start:
        raise PlanningError(
            f"{on.isoformat()} is after the stop ({step.start.isoformat()}); nothing to re-plan"
        )
    if step.kind is StepKind.CUT and step.start < on:
        on = max(on, step.start + dt.timedelta(days=_needed_days(plan, step, pace)))
    if step.start < on <= step.end:
        on = step.start + dt.timedelta(
            days=whole((on - step.start).days, dosing_period(step.medications))
        )
    return min(on, step.end + dt.timedelta(days=1))


def _needed_days(plan: TaperPlan, step: Step, pace: Pace) -> int:
    """How long ``step``'s cut must be held at ``pace`` (rule 3), measured as the
    planner measures it: in MME where MME applies, else in the cut drug's amount."""
    before = plan.steps[step.index - 1].medications if step.index else plan.baseline
    drug = step.cut_drug
    factor = Fraction(1)
    if step.total_mme_per_day is not None and plan.baseline_total_mme_per_day is not None:
        previous = Fraction(
            plan.steps[step.index - 1].total_mme_per_day or 0
            if step.index
            else plan.baseline_total_mme_per_day
        )
        original = Fraction(plan.baseline_total_mme_per_day)
        for part in before:
            if part.drug == drug and part.mme_per_day and part.daily_amount.amount:
                factor = Fraction(part.mme_per_day) / Fraction(part.daily_amount.amount)
                break
    else:
        previous = _drug_daily(before, drug)
        original = _drug_daily(plan.baseline, drug)
    if not original or not previous:
        return max(pace.every_days, pace.min_step_days)
    first = not any(s.kind is StepKind.CUT for s in plan.steps[: step.index])
    p = pace.rate(original=original, previous=previous, first=first, amount_factor=factor).p
    days = pace.every_days * Fraction(step.cut_fraction) / p if p else pace.every_days
    return max(pace.every_days, pace.min_step_days, ceil(days))


def _drug_daily(parts: Sequence[MedicationDose], drug: str | None) -> Fraction:
    return sum((Fraction(p.daily_amount.amount) for p in parts if p.drug == drug), Fraction(0))


def _daily_by_drug(parts: Sequence[MedicationDose]) -> dict[str, Quantity]:
    result: dict[str, Quantity] = {}
    for part in parts:
        if part.doses:
            result[part.drug] = (
                result[part.drug] + part.daily_amount if part.drug in result else part.daily_amount
            )
    return result


def _raised(planned: Sequence[MedicationDose], regimen: Regimen) -> str:
    """What in ``regimen`` is above the ``planned`` doses ("" when nothing is)."""
    before = _daily_by_drug(planned)
    after: dict[str, Quantity] = {}
    for medication in regimen.medications:
        amount = medication.daily_amount
        after[medication.drug] = (
            after[medication.drug] + amount if medication.drug in after else amount
        )
    higher = []
    for drug, amount in after.items():
        old = before.get(drug)
        if old is None or amount.unit is not old.unit or amount.amount > old.amount:
            unit = amount.unit.value + ("" if amount.unit.value == "mcg/h" else " a day")
            was = (
                "where the plan has none"
                if old is None
                else f"above the plan's {format_decimal(old.amount)} {unit}"
            )
            higher.append(f"{drug} {format_decimal(amount.amount)} {unit}, {was}")
    return "; ".join(higher)


def _regimen_on(plan: TaperPlan, parts: Sequence[MedicationDose], shift: int = 0) -> Regimen:
    """What the patient takes with ``parts``, as a regimen (substitutes included),
    from ``shift`` days into their step: doses taken on alternate days stay on the
    days the patient takes them."""
    by_index = dict(enumerate(plan.regimen.medications))
    substitutes = {s.index: s for s in plan.substitutes}
    medications = []
    for part in parts:
        if not part.doses:
            continue
        every = min(d.every_days for d in part.doses)
        units = {u.strength for d in part.doses for u in d.units}
        administrations = tuple(
            Administration(
                d.time,
                d.amount,
                None if d.every_days == every else d.every_days,
                (d.offset - shift) % d.every_days,
            )
            for d in part.doses
        )
        medication = by_index.get(part.index)
        if medication is not None:
            held = sorted(units | set(medication.strengths), key=lambda q: q.amount)
            medications.append(
                attrs.evolve(
                    medication,
                    strengths=tuple(held),
                    administrations=administrations,
                    every_days=every,
                )
            )
            continue
        substitute = substitutes[part.index]
        medications.append(
            Medication(
                product=substitute.product,
                strengths=tuple(sorted(units, key=lambda q: q.amount)),
                administrations=administrations,
                every_days=every,
                available=substitute.product.strengths,
                resolution=substitute.resolution,
            )
        )
    if not medications:
        raise PlanningError("nothing is taken at that date; there is nothing to re-plan")
    return attrs.evolve(plan.regimen, medications=tuple(medications))


def _mapping(
    plan: TaperPlan, regimen: Regimen, layout: Layout
) -> tuple[dict[int, int], tuple[Medication, ...]]:
    """Each of the new layout's own medications → its index in the plan (products
    new to the plan join its regimen), and the plan's merged regimen medications."""
    merged = list(plan.regimen.medications)
    taken: set[int] = set()
    mapping: dict[int, int] = {}
    subs = {s.product: s.index for s in plan.substitutes}
    from_subs: set[int] = set()
    for info in layout.medications:
        if info.own is None:
            continue
        match = next(
            (i for i, m in enumerate(merged) if m.product == info.product and i not in taken), None
        )
        if match is None and info.product in subs:
            mapping[info.index] = subs[info.product]
            from_subs.add(info.index)
            continue
        if match is None:
            merged.append(info.own)
            match = len(merged) - 1
        taken.add(match)
        mapping[info.index] = match
    added = len(merged) - len(plan.regimen.medications)
    if added:
        # The plan's substitutes move up behind the new regimen medications.
        mapping = {k: (v + added if k in from_subs else v) for k, v in mapping.items()}
    return mapping, tuple(merged)


def _originals(plan: TaperPlan, layout: Layout) -> list[Fraction]:
    """Per group of the new layout, the plan's baseline total in its scale."""
    result: list[Fraction] = []
    for group, mme in zip(layout.groups, layout.group_mme, strict=True):
        names = {layout.drugs[d].name for d in group}
        if mme:
            value = sum(
                (Fraction(p.mme_per_day) for p in plan.baseline if p.mme_per_day is not None),
                Fraction(0),
            )
        else:
            value = sum(
                (Fraction(p.daily_amount.amount) for p in plan.baseline if p.drug in names),
                Fraction(0),
            )
        if not value:
            value = Fraction(layout.totals(layout.baseline)[1][len(result)], layout.scale)
        result.append(value * layout.scale)
    return result


def _order(name: str) -> TaperOrder | Sequence[str]:
    if name == "short-acting-first":
        return "short-acting-first"
    if name == "proportional":
        return "proportional"
    if name.startswith("explicit: "):
        return name.removeprefix("explicit: ").split(", ")
    return "long-acting-first"


def _templates(
    plan: TaperPlan,
    merged: Sequence[Medication],
    substitutes: Sequence[Substitute],
    factor_set: FactorSet,
) -> dict[int, MedicationDose]:
    """A stopped entry for every medication of the plan, by index."""
    result = {}
    for index, medication in enumerate(merged):
        factor = factor_set.factor_for(medication.product, medication.daily_amount)
        result[index] = MedicationDose(
            index=index,
            product=medication.product,
            doses=(),
            daily_amount=Quantity(0, medication.dose_unit),
            mme_per_day=None if factor is None else Decimal(0),
            smallest_unit=medication.unit_set.smallest_unit,
        )
    for substitute in substitutes:
        factor = factor_set.factor_for(
            substitute.product, Quantity(0, substitute.product.form.dose_unit)
        )
        result[substitute.index] = MedicationDose(
            index=substitute.index,
            product=substitute.product,
            doses=(),
            daily_amount=Quantity(0, substitute.product.form.dose_unit),
            mme_per_day=None if factor is None else Decimal(0),
            smallest_unit=Quantity(0, substitute.product.form.dose_unit),
        )
    return result


def _aligned(
    parts: Sequence[MedicationDose],
    mapping: dict[int, int],
    templates: dict[int, MedicationDose],
    *,
    keep_listed: bool = False,
) -> tuple[MedicationDose, ...]:
    """``parts`` re-indexed by ``mapping``, with every regimen medication listed
    (stopped where absent) and substitutes from when they start."""
    by_index = {}
    for part in parts:
        index = part.index if keep_listed else mapping.get(part.index, part.index)
        by_index[index] = part if part.index == index else attrs.evolve(part, index=index)
    listed = sorted(set(by_index) | {i for i, t in templates.items() if t.smallest_unit.amount})
    return tuple(by_index.get(i, templates[i]) for i in listed)


def _amounts(
    parts: Sequence[MedicationDose],
) -> list[tuple[str, tuple[tuple[dt.time, Decimal, int], ...]]]:
    """What is taken, by product: each dose's time, amount and interval (not its units)."""
    return sorted(
        (p.product.name, tuple((d.time, d.amount.amount, d.every_days) for d in p.doses))
        for p in parts
        if p.doses
    )


def _number(step_id: str) -> int | None:
    """The running number of a step identifier (``tp-…-s007`` → 7)."""
    _, _, tail = step_id.rpartition("-s")
    return int(tail) if tail.isdigit() else None


__all__ = ["UndatedStep", "replan"]

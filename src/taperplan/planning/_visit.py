"""Where a re-plan starts, and from what the patient takes then.

The step in effect at the visit keeps its dose as long as its cut needs at the
(new) pace, in whole dosing intervals (:func:`first_new_cut`); the doses taken
then are read back as a regimen (:func:`regimen_on`) and compared with the
plan's (:func:`raised_above`: a re-plan never raises a dose silently). The new
schedule keeps the plan's taper order and is measured against the plan's
original totals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from math import ceil

import attrs

from taperplan.errors import PlanningError
from taperplan.model.plan import MedicationDose, Step, StepKind, TaperPlan
from taperplan.model.regimen import Administration, Medication, Regimen
from taperplan.planning._dating import dosing_period, whole
from taperplan.planning._lanes import Layout
from taperplan.planning._order import TaperOrder, taper_order
from taperplan.reference.paces import Pace
from taperplan.units import Quantity, format_decimal


def first_new_cut(plan: TaperPlan, on: dt.date, pace: Pace) -> dt.date:
    """The earliest day the new schedule may begin: the step in effect keeps its
    dose as long as its cut needs at ``pace`` (rule 3), in whole dosing intervals,
    past the step's planned end when the new pace is slower."""
    step = plan.step_on(on)
    if step.kind is StepKind.STOP and on > step.start:
        raise PlanningError(
            f"{on.isoformat()} is after the stop ({step.start.isoformat()}); nothing to re-plan"
        )
    period = dosing_period(step.medications)

    def rounded(day: dt.date) -> dt.date:
        return step.start + dt.timedelta(days=whole((day - step.start).days, period))

    latest = step.end + dt.timedelta(days=1)
    if step.kind is StepKind.CUT and step.start < on:
        days = _needed_days(plan, step, pace)
        needed = step.start + dt.timedelta(days=days)
        on = max(on, needed)
        if needed > latest and days > _needed_days(plan, step, plan.pace):
            # A slower pace than the plan's: the step's dose is held on past its
            # planned end (its planned length is what the plan's own pace needs).
            latest = rounded(needed)
    if step.start < on:
        on = rounded(on)
    return min(on, latest)


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


def raised_above(planned: Sequence[MedicationDose], regimen: Regimen) -> str:
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


def regimen_on(plan: TaperPlan, parts: Sequence[MedicationDose], shift: int = 0) -> Regimen:
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


def original_totals(plan: TaperPlan, layout: Layout) -> list[Fraction]:
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


def plan_order(name: str) -> TaperOrder | tuple[str, ...]:
    """The taper order a plan names (its ``order``), as the planner takes it."""
    if name.startswith("explicit: "):
        return tuple(name.removeprefix("explicit: ").split(", "))
    return taper_order(name)

"""Fitting a re-plan's new steps into the plan they continue.

The new steps are planned from a layout of their own, whose medications are
numbered afresh; here they are numbered as the plan numbers them (a product
new to the plan joins its regimen, the plan's substitutes move up behind it),
every step lists each regimen medication (stopped where absent), and a
re-plan from doses other than the plan's says what the patient was found
taking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import attrs

from taperplan.model.plan import MedicationDose, Step, Substitute, TaperPlan
from taperplan.model.regimen import Medication, Regimen
from taperplan.planning._lanes import Layout
from taperplan.reference.products import FactorSet
from taperplan.units import Quantity


def first_listed(steps: Sequence[Step], index: int) -> int:
    """The first step that takes medication ``index`` (or where the patient was
    found taking it), else the first that lists it."""
    for step in steps:
        found = [*step.medications, *(step.replanned_from or ())]
        if any(m.index == index and m.doses for m in found):
            return step.index
    return next(s.index for s in steps if any(m.index == index for m in s.medications))


def index_mapping(
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


def stopped_entries(
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


def aligned(
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


def amounts_taken(
    parts: Sequence[MedicationDose],
) -> list[tuple[str, tuple[tuple[dt.time, Decimal, int], ...]]]:
    """What is taken, by product: each dose's time, amount and interval (not its units)."""
    return sorted(
        (p.product.name, tuple((d.time, d.amount.amount, d.every_days) for d in p.doses))
        for p in parts
        if p.doses
    )


def step_number(step_id: str) -> int | None:
    """The running number of a step identifier (``tp-…-s007`` → 7)."""
    _, _, tail = step_id.rpartition("-s")
    return int(tail) if tail.isdigit() else None

"""The fills of a plan and what each dispenses (issue 12 item 1; interfaces.md §6).

A fill lasts at most ``every_days`` days. By default no fill spans two steps:
a step longer than ``every_days`` is split into fills as even as whole days
allow (a 30-day step at 28 days a fill is two fills of 15 days, not 28 and a
stray 2), so each fill has one set of directions. With ``per_step=False`` the
fills run every ``every_days`` days from the plan's start whatever the steps,
and a fill's directions change on the day its step does. Fills end on the last
day that any dose is taken (a plan's stop step takes none).

For each fill and product strength, ``taken`` counts exactly the units its days
take (a half tablet is ½; an oral solution in mL; patches applied), and
``quantity`` rounds it up to whole tablets, capsules or mL, or to whole cartons
of patches where the catalogue gives a carton's size: at most one partly used
tablet, millilitre or carton a fill (or an instalment, with daily or weekly
dispensing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import ROUND_CEILING, Decimal

from taperplan._reading import require_date
from taperplan.errors import PrescriptionOptionError
from taperplan.model.plan import MedicationDose, PlanKind, Step, TaperPlan
from taperplan.model.prescription import Directions, Fill, FillItem, Instalment
from taperplan.prescribing.directions import directions_text
from taperplan.reference.products import Product
from taperplan.units import Quantity, normalised

_DAY = dt.timedelta(days=1)

#: A product strength of one medication: (the medication's index, the strength).
_Key = tuple[int, Quantity]


def prescriptions(
    plan: TaperPlan,
    every_days: int = 28,
    *,
    per_step: bool | None = None,
    dispense_every: int | None = None,
    since: dt.date | None = None,
) -> tuple[Fill, ...]:
    """The fills of ``plan``, each with the quantity of every product strength.

    Args:
        plan: the plan to prescribe.
        every_days: the longest fill, in days (28 by default; 7 and 14 are common).
        per_step: whether a fill ends where a step does, so each fill has one set
            of directions; with False, fills run every ``every_days`` days from the
            plan's start. By default True, except for an initiation, whose steps are
            single days (its fills then carry each day's directions).
        dispense_every: for instalment dispensing, the days each instalment covers
            (1 daily, 7 weekly); None hands out the whole fill at once. Instalments are
            whole units; a product sold only in cartons is rounded to cartons once, for
            the whole fill.
        since: the first day to prescribe for (after a pause or a re-plan: the visit);
            the fills before it are left out and the rest are numbered from 1. By
            default the plan's start.

    Raises:
        PrescriptionOptionError: ``every_days`` or ``dispense_every`` is out of range.
    """
    _check_options(every_days, dispense_every)
    first = plan.start if since is None else max(require_date(since, "since"), plan.start)
    last = _last_dosing_day(plan)
    if last is None or first > last:
        return ()
    if per_step is None:
        per_step = plan.kind is not PlanKind.INITIATION
    if per_step:
        periods = [
            (max(start, first), end)
            for start, end in _step_periods(plan, every_days, last)
            if end >= first
        ]
    else:
        periods = list(_windows(first, last, every_days))
    return tuple(
        Fill(start, end, number=number, items=_items(plan, start, end, dispense_every))
        for number, (start, end) in enumerate(periods, start=1)
    )


def _check_options(every_days: object, dispense_every: object) -> None:
    """Every problem with the options at once (a bool is not a number of days)."""
    problems = []
    fill = _days(every_days)
    if fill is None:
        problems.append(f"every_days must be a whole number of days from 1, not {every_days!r}")
    if dispense_every is not None:
        instalment = _days(dispense_every)
        if instalment is None:
            problems.append(
                "dispense_every must be a whole number of days from 1 (1 daily, 7 weekly)"
                f" or None, not {dispense_every!r}"
            )
        elif fill is not None and instalment > fill:
            problems.append(
                f"dispense_every ({instalment}) must not be longer than a fill (every_days {fill})"
            )
    if problems:
        raise PrescriptionOptionError("; ".join(problems))


def _days(value: object) -> int | None:
    """``value`` as a number of days from 1, or None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def _last_dosing_day(plan: TaperPlan) -> dt.date | None:
    dosing = [s for s in plan.steps if any(m.doses for m in s.medications)]
    return dosing[-1].end if dosing else None


def _step_periods(
    plan: TaperPlan, every_days: int, last: dt.date
) -> Iterator[tuple[dt.date, dt.date]]:
    """Each step up to ``last`` in fills of at most ``every_days``, as even as whole days allow."""
    for step in plan.steps:
        if step.start > last:
            return
        days = step.days
        count = -(-days // every_days)
        size, longer = divmod(days, count)
        start = step.start
        for part in range(count):
            end = start + dt.timedelta(days=size + (1 if part < longer else 0) - 1)
            yield start, end
            start = end + _DAY


def _windows(first: dt.date, last: dt.date, days: int) -> Iterator[tuple[dt.date, dt.date]]:
    start = first
    while start <= last:
        left = (last - start).days + 1
        end = start + dt.timedelta(days=min(days, left) - 1)
        yield start, end
        start = end + _DAY


def _overlaps(plan: TaperPlan, start: dt.date, end: dt.date) -> Iterator[tuple[Step, int, int]]:
    """The steps that ``start``…``end`` touches, with the touched days (from 0)."""
    for step in plan.steps:
        if step.end < start or step.start > end:
            continue
        yield (
            step,
            (max(start, step.start) - step.start).days,
            (min(end, step.end) - step.start).days,
        )


def _taken(plan: TaperPlan, start: dt.date, end: dt.date) -> dict[_Key, Decimal]:
    """Units of each product strength that ``start``…``end`` take."""
    taken: dict[_Key, Decimal] = {}
    for step, first, last in _overlaps(plan, start, end):
        for part in step.medications:
            for dose in part.doses:
                days = len(dose.days_between(first, last))
                if not days:
                    continue
                for unit in dose.units:
                    key = (part.index, unit.strength)
                    taken[key] = taken.get(key, Decimal(0)) + unit.count * days
    return {key: normalised(amount) for key, amount in taken.items()}


def dispensed(product: Product, taken: Decimal) -> Decimal:
    """``taken`` rounded up to what a pharmacy hands out: whole tablets, capsules
    or mL, or whole cartons of patches where the catalogue gives a carton's size."""
    whole = taken.to_integral_value(rounding=ROUND_CEILING)
    size = product.pack_size
    if size is None:
        return whole
    return Decimal(-(-int(whole) // size) * size)


def _items(
    plan: TaperPlan, start: dt.date, end: dt.date, dispense_every: int | None
) -> tuple[FillItem, ...]:
    taken = _taken(plan, start, end)
    parts = _parts_by_key(plan, start, end)
    # What each instalment's days take, worked out once for every strength.
    windows = (
        []
        if dispense_every is None
        else [(lo, hi, _taken(plan, lo, hi)) for lo, hi in _windows(start, end, dispense_every)]
    )
    items = []
    for key in sorted(taken, key=lambda k: (k[0], k[1].amount)):
        part, label = parts[key]
        instalments = []
        for lo, hi, taken_then in windows:
            amount = taken_then.get(key, Decimal(0))
            if amount:
                whole = amount.to_integral_value(rounding=ROUND_CEILING)
                instalments.append(Instalment(lo, hi, taken=amount, quantity=whole))
        # Instalments are whole units each; cartons are rounded once, for the whole fill
        # (the pharmacy keeps the carton and hands out its patches).
        quantity = (
            dispensed(part.product, sum((i.quantity for i in instalments), Decimal(0)))
            if instalments
            else dispensed(part.product, taken[key])
        )
        items.append(
            FillItem(
                index=key[0],
                product=part.product,
                strength=key[1],
                strength_text=_with_combination(plan, part, label),
                taken=taken[key],
                quantity=quantity,
                directions=_directions(plan, start, end, key),
                instalments=tuple(instalments),
            )
        )
    return tuple(items)


def _with_combination(plan: TaperPlan, part: MedicationDose, label: str) -> str:
    """``10 mg/325 mg`` for a combination tablet: a prescription names both amounts."""
    combination = plan.combination_of(part)
    return label if combination is None else f"{label}/{combination.amount}"


def _parts_by_key(
    plan: TaperPlan, start: dt.date, end: dt.date
) -> dict[_Key, tuple[MedicationDose, str]]:
    found: dict[_Key, tuple[MedicationDose, str]] = {}
    for step, _, _ in _overlaps(plan, start, end):
        for part in step.medications:
            for dose in part.doses:
                for unit in dose.units:
                    found.setdefault((part.index, unit.strength), (part, unit.strength_text))
    return found


def _directions(plan: TaperPlan, start: dt.date, end: dt.date, key: _Key) -> tuple[Directions, ...]:
    """The directions for one strength, one for each step inside the fill that takes it."""
    found = []
    for step, first, last in _overlaps(plan, start, end):
        part = next((p for p in step.medications if p.index == key[0]), None)
        if part is None:
            continue
        doses = [d for d in part.doses if any(u.strength == key[1] for u in d.units)]
        if not any(d.days_between(first, last) for d in doses):
            continue
        lo = step.start + dt.timedelta(days=first)
        found.append(
            Directions(
                lo,
                step.start + dt.timedelta(days=last),
                text=directions_text(part, key[1], step.start, first, last),
                step=step.index,
            )
        )
    return tuple(found)

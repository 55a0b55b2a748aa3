"""The doses of an initiation's days: buprenorphine from real tablets (whole and
quarters), and the full agonist continued, tapered or stopped as the protocol says."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from math import gcd

import attrs

from taperplan.clinical.mme import medication_mme
from taperplan.errors import PlanningError
from taperplan.model.plan import Dose, MedicationDose
from taperplan.model.regimen import Medication, Regimen
from taperplan.reference.dispense import UnitCount, UnitSet
from taperplan.reference.initiation import (
    InitiationProduct,
    Protocol,
    bridge_product,
    dose_times,
)
from taperplan.reference.products import FactorSet, Form
from taperplan.units import Quantity, Unit

# -- buprenorphine doses ---------------------------------------------------------------


def bup_units(amount: Quantity, made_of: InitiationProduct) -> tuple[UnitCount, ...]:
    """``amount`` of buprenorphine from the fewest tablets: whole large tablets, then the
    small tablet in whole pieces and quarters (the protocols' ¼ of a 2 mg tablet)."""
    strengths = sorted((s.amount for s in made_of.product.strengths), reverse=True)
    rest = amount.amount
    counts: list[UnitCount] = []
    for strength in strengths[:-1]:
        whole = (rest / strength).to_integral_value(rounding=ROUND_FLOOR)
        if whole:
            counts.append(UnitCount(Quantity(strength, Unit.MG), whole))
            rest -= whole * strength
    smallest = strengths[-1]
    count = rest / smallest
    if count % made_of.smallest_fraction:
        msg = f"{amount} cannot be made from {made_of.product.name} tablets cut in quarters"
        raise PlanningError(msg)
    if count:
        counts.append(UnitCount(Quantity(smallest, Unit.MG), count.normalize()))
    return tuple(counts)


def bup_part(index: int, dose: Quantity, times: int, made_of: InitiationProduct) -> MedicationDose:
    clock = dose_times().get(times)
    if clock is None:  # pragma: no cover - the data file lists every count its protocols use
        raise PlanningError(f"initiation.toml gives no clock times for {times} doses a day")
    units = bup_units(dose, made_of)
    smallest = min(s.amount for s in made_of.product.strengths) * made_of.smallest_fraction
    return MedicationDose(
        index=index,
        product=made_of.product,
        doses=tuple(Dose(time, dose, 1, units) for time in clock),
        daily_amount=Quantity(dose.amount * times, Unit.MG),
        mme_per_day=None,
        smallest_unit=Quantity(smallest, Unit.MG),
    )


def patch_part(index: int, strength: Quantity) -> MedicationDose:
    """A transdermal bridge's buprenorphine patch, put on on its first day."""
    product = bridge_product()
    change = product.change_days or 1
    units = (UnitCount(strength, Decimal(1)),)
    return MedicationDose(
        index=index,
        product=product,
        doses=(Dose(dose_times()[1][0], strength, change, units),),
        daily_amount=strength,
        mme_per_day=None,
        smallest_unit=min(product.strengths, key=lambda s: s.amount),
    )


# -- the full agonist ------------------------------------------------------------------


def _grid(units: UnitSet) -> Decimal:
    """A step that divides every amount ``units`` make: the greatest common divisor of
    their unit sizes (halves where tablets split; syringe steps of each solution)."""
    sizes = [s.amount for s in units.strengths]
    if units.form is Form.ORAL_SOLUTION and units.resolution is not None:
        sizes = [s * units.resolution.amount for s in sizes]
    elif units.splittable:
        sizes = [s / 2 for s in sizes]
    places = 0
    for size in sizes:
        exponent = size.normalize().as_tuple().exponent
        if isinstance(exponent, int):
            places = max(places, -exponent)
    scale = Decimal(10) ** places
    whole = [int(s * scale) for s in sizes]
    return Decimal(gcd(*whole)) / scale


def largest_dispensable(units: UnitSet, target: Quantity) -> Quantity | None:
    """The largest amount at most ``target`` that ``units`` make, or None."""
    grid = _grid(units)
    steps = (target.amount / grid).to_integral_value(rounding=ROUND_FLOOR)
    while steps > 0:
        amount = Quantity(steps * grid, target.unit)
        if units.can_make(amount):
            return amount
        steps -= 1
    return None


def nearest_dispensable(units: UnitSet, target: Quantity, most: Quantity) -> Quantity | None:
    """The amount ``units`` make nearest to ``target`` (the lower on a tie), never above
    ``most``; None when they make nothing up to ``most``."""
    below = largest_dispensable(units, target)
    above = None
    grid = _grid(units)
    steps = (target.amount / grid).to_integral_value(rounding=ROUND_CEILING)
    while steps * grid <= most.amount:
        amount = Quantity(steps * grid, target.unit)
        if units.can_make(amount):
            above = amount
            break
        steps += 1
    if above is None or below is None:
        return below or above
    return above if above.amount - target.amount < target.amount - below.amount else below


def scaled(
    part: MedicationDose,
    medication: Medication,
    fraction: Decimal,
    factor_set: FactorSet,
    *,
    nearest: bool = False,
) -> MedicationDose:
    """``part`` at ``fraction`` of each dose, rounded to the nearest dispensable amount
    (never above the dose now; or down, with ``nearest`` false). An extended-release
    product or a patch keeps every dose time, at its smallest unit at least: its
    interval is never stretched by leaving a dose out."""
    if fraction <= 0:
        return stopped(part)
    doses = []
    units = medication.unit_set
    keep_times = medication.form.extended_release or medication.form is Form.PATCH
    for dose in part.doses:
        goal = Quantity(dose.amount.amount * fraction, dose.amount.unit)
        amount = (
            nearest_dispensable(units, goal, dose.amount)
            if nearest
            else largest_dispensable(units, goal)
        )
        if amount is None and keep_times:
            amount = nearest_dispensable(units, units.smallest_unit, dose.amount)
        if amount is None:
            continue
        made = units.make(amount)
        assert made is not None  # noqa: S101 - the rounding checked it
        doses.append(attrs.evolve(dose, amount=amount, units=made))
    if not doses:
        return stopped(part)
    was = sum((d.amount.amount for d in part.doses), Decimal(0))
    now = sum((d.amount.amount for d in doses), Decimal(0))
    daily = Quantity((part.daily_amount.amount * now / was).normalize(), part.daily_amount.unit)
    return attrs.evolve(
        part,
        doses=tuple(doses),
        daily_amount=daily,
        mme_per_day=medication_mme(medication, factor_set, daily).mme_per_day,
    )


def stopped(part: MedicationDose) -> MedicationDose:
    zero = Quantity(Decimal(0), part.daily_amount.unit)
    mme = None if part.mme_per_day is None else Decimal(0)
    return attrs.evolve(part, doses=(), daily_amount=zero, mme_per_day=mme)


def _taper_length(rule_days: int, baseline: Sequence[MedicationDose]) -> int:
    """A taper week in whole dosing periods (a patch changed every 3 days: 9 days)."""
    period = max((d.every_days for p in baseline for d in p.doses), default=1)
    return -(-rule_days // period) * period


class Agonists:
    """The full agonists on each day of the plan, as the protocol says."""

    def __init__(
        self,
        chosen: Protocol,
        regimen: Regimen,
        baseline: tuple[MedicationDose, ...],
        factor_set: FactorSet,
    ) -> None:
        self.rule = chosen.agonist
        self.regimen = regimen
        self.baseline = baseline
        self.factor_set = factor_set
        self.stopped = tuple(stopped(p) for p in baseline)
        self.week = 0
        #: The first day without the full agonists; None where they continue.
        self.stop_day: int | None
        if self.rule.action == "continue":
            self.stop_day = None
        elif self.rule.action == "taper":
            assert self.rule.every_days is not None  # noqa: S101 - a taper rule has both
            assert self.rule.percent is not None  # noqa: S101
            self.week = _taper_length(self.rule.every_days, baseline)
            weeks = -(-Decimal(100) // self.rule.percent)
            self.stop_day = self.rule.day + (int(weeks) - 1) * self.week
        else:
            self.stop_day = self.rule.day
        self._cache: dict[Decimal, tuple[MedicationDose, ...]] = {}

    def on(self, day: int) -> tuple[MedicationDose, ...]:
        """The agonists' doses on protocol day ``day`` (from 1)."""
        if self.stop_day is None or day < self.rule.day:
            return self.baseline
        if day >= self.stop_day:
            return self.stopped
        assert self.rule.percent is not None  # noqa: S101 - a taper rule has one
        weeks = (day - self.rule.day) // self.week + 1
        fraction = 1 - self.rule.percent * weeks / 100
        if fraction not in self._cache:
            self._cache[fraction] = tuple(
                scaled(
                    p, self.regimen.medications[p.index], fraction, self.factor_set, nearest=True
                )
                for p in self.baseline
            )
        return self._cache[fraction]

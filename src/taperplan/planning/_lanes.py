"""A regimen laid out for the planner: its drugs' families, groups and measure.

Each opioid of the regimen becomes a :class:`DrugPlace`: its shared
:class:`~._family.DrugFamily` (the regimen's products of that drug at their
dose times, and the finer products that may take over part of a dose), its
MME factor, and where its medications sit in the plan. Every medication with
an MME factor is in one group, measured in MME/day; each drug without one
(buprenorphine) is a group of its own, measured by its daily amount. Every
total is a whole number of ``1 / Layout.scale``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from math import gcd, lcm

import attrs

from taperplan.model.regimen import Medication, Regimen
from taperplan.planning._dispensable import sizes, substitute_products, substitute_unit_set
from taperplan.planning._families import current, family
from taperplan.planning._family import DrugFamily, DrugState, FamilyKey, LaneSpec, LaneState
from taperplan.reference.dispense import UnitSet
from taperplan.reference.products import FactorSet, Form, Product
from taperplan.units import Unit

State = tuple[DrugState, ...]
"""Every drug's lanes, in the layout's drug order."""


@attrs.frozen(eq=False)
class DrugPlace:
    """One drug of a plan: its family, factor and medications."""

    index: int
    name: str
    family: DrugFamily
    group: int
    factor: Fraction | None
    mult: int
    bands: tuple[tuple[int, int], ...]
    medications: tuple[int, ...]
    times: tuple[dt.time, ...]
    unit: Unit

    def measure(self, daily: int) -> int:
        """MME/day (or the daily amount) × the layout's scale, of a daily amount."""
        for limit, mult in self.bands:
            if daily <= limit:
                return daily * mult
        return daily * self.mult


@attrs.frozen(eq=False)
class PlanMedication:
    """A medication of the plan: a regimen's own (``own``) or a substitute."""

    index: int
    product: Product
    unit_set: UnitSet
    own: Medication | None
    drug: int
    local: int
    lanes: tuple[int, ...]
    stated: UnitSet | None = None


@attrs.frozen(eq=False)
class Layout:
    """A regimen's drugs, groups and medications, and the scale of its totals."""

    drugs: tuple[DrugPlace, ...]
    groups: tuple[tuple[int, ...], ...]
    group_mme: tuple[bool, ...]
    medications: tuple[PlanMedication, ...]
    scale: int
    baseline: State

    def totals(self, state: State) -> tuple[list[int], list[int]]:
        """Per drug the measure (× scale), and per group the total."""
        measures = [d.measure(d.family.daily(s)) for d, s in zip(self.drugs, state, strict=True)]
        return measures, [sum(measures[d] for d in group) for group in self.groups]


def _keep_ranks(times: Sequence[dt.time]) -> dict[dt.time, int]:
    """How much each dose time is worth keeping: the last of the day (bedtime)
    longest, then the first, then the others from later to earlier (the VA
    examples cut the middle dose first: 90/90/90 → 90/75/90)."""
    ordered = sorted(set(times))
    count = len(ordered)
    if count == 1:
        return {ordered[0]: 0}
    order = [count - 1, 0, *range(count - 2, 0, -1)]
    return {ordered[index]: count - position for position, index in enumerate(order)}


def _atom(values: Sequence[Decimal]) -> Decimal:
    """The largest amount every value in ``values`` is a whole multiple of."""
    places = 0
    for value in values:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            places = max(places, -exponent)
    scale = 10**places
    divisor = 0
    for value in values:
        divisor = gcd(divisor, int(value * scale))
    atom: Decimal = Decimal(divisor) / scale
    return atom


class _DrugParts:
    """One drug's lanes while the layout is built."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.specs: list[LaneSpec] = []
        self.times: list[dt.time] = []
        self.baseline: list[Decimal] = []
        self.offsets: list[int] = []
        self.medications: list[int] = []


def build_layout(
    regimen: Regimen,
    factor_set: FactorSet,
    *,
    substitute: bool,
    rank_times: Mapping[str, Sequence[dt.time]] | None = None,
    stocked: Sequence[Medication] = (),
) -> Layout:
    """The layout of ``regimen``, with the finer products that may take over part
    of its doses unless ``substitute`` is False. ``rank_times`` (a re-plan: the
    plan's own dose times per drug) ranks which times are worth keeping as the
    plan did, so that a re-plan continues the plan's choices. ``stocked`` (a
    re-plan: the plan's own medications) keeps a finer product that the plan's
    regimen named to the strengths it allowed (its ``available`` list), where
    the new regimen no longer takes it.

    A layout is an immutable value: plans of the same medications (the same
    regimen at several paces, a re-plan) share it."""
    ranks = tuple(sorted((name, tuple(times)) for name, times in (rank_times or {}).items()))
    taken = {m.product for m in regimen.medications}
    kept_units = tuple(
        dict.fromkeys((m.product, m.unit_set) for m in stocked if m.product not in taken)
    )
    layout = _layout(regimen.medications, factor_set, substitute, ranks, kept_units)
    # Every family counts as used (no short cut), so the least recently used go first.
    kept = [current(place.family) for place in layout.drugs]
    if not all(kept):
        # A family it uses was let go (more than MAX_FAMILIES in use): lay out afresh.
        _layout.cache_clear()
        layout = _layout(regimen.medications, factor_set, substitute, ranks, kept_units)
    return layout


def forget_layouts() -> None:
    """Empty the shared layouts (for benchmarks of plans with nothing shared)."""
    _layout.cache_clear()


@lru_cache(maxsize=256)
def _layout(
    medications: tuple[Medication, ...],
    factor_set: FactorSet,
    substitute: bool,  # noqa: FBT001 - a cache key
    ranks: tuple[tuple[str, tuple[dt.time, ...]], ...],
    kept_units: tuple[tuple[Product, UnitSet], ...] = (),
) -> Layout:
    rank_times = dict(ranks)
    stocked = dict(kept_units)
    names: list[str] = []
    for medication in medications:
        if medication.drug not in names:
            names.append(medication.drug)
    plan_medications: list[PlanMedication] = []
    parts = {name: _DrugParts(name) for name in names}
    next_index = len(medications)
    for name in names:
        drug = parts[name]
        own = [(i, m) for i, m in enumerate(medications) if m.drug == name]
        times = sorted({a.time for _, m in own for a in m.administrations})
        keeps = _keep_ranks(sorted({*times, *rank_times.get(name, ())}))
        for local, (index, medication) in enumerate(own):
            drug.medications.append(index)
            for administration in medication.administrations:
                drug.specs.append(
                    LaneSpec(
                        product=medication.product,
                        unit_set=medication.unit_set,
                        every=medication.interval(administration),
                        slot=times.index(administration.time),
                        keep=keeps[administration.time],
                        medication=local,
                        substitute=False,
                    )
                )
                drug.times.append(administration.time)
                drug.baseline.append(administration.amount.amount)
                drug.offsets.append(administration.offset)
        products: list[Product] = []
        own_products = {m.product: local for local, (_, m) in enumerate(own)}
        for _, medication in own:
            if medication.form is not Form.PATCH:
                products.extend(
                    p
                    for p in substitute_products(medication.product)
                    if p not in products and (substitute or p in own_products)
                )
        for product in products:
            known = own_products.get(product)
            if known is not None:
                # The regimen has this product already: its doses at new times join it.
                local = known
                unit_set = own[known][1].unit_set
            else:
                unit_set = stocked.get(product) or substitute_unit_set(product)
                local = len(drug.medications)
                drug.medications.append(next_index)
                plan_medications.append(
                    PlanMedication(
                        next_index, product, unit_set, None, names.index(name), local, ()
                    )
                )
                next_index += 1
            for time in times:
                if known is not None and any(a.time == time for a in own[known][1].administrations):
                    continue  # the patient's own lane at that time takes over
                if any(
                    product.finer_than(m.product) and any(a.time == time for a in m.administrations)
                    for _, m in own
                ):
                    drug.specs.append(
                        LaneSpec(
                            product=product,
                            unit_set=unit_set,
                            every=1,
                            slot=times.index(time),
                            keep=keeps[time],
                            medication=local,
                            substitute=True,
                        )
                    )
                    drug.times.append(time)
                    drug.baseline.append(Decimal(0))
                    drug.offsets.append(0)
    own_plan = [
        PlanMedication(
            i,
            m.product,
            m.unit_set,
            m,
            names.index(m.drug),
            parts[m.drug].medications.index(i),
            (),
            m.stated_unit_set,
        )
        for i, m in enumerate(medications)
    ]
    return _finish(parts, names, [*own_plan, *plan_medications], medications, factor_set)


def _finish(
    parts: dict[str, _DrugParts],
    names: list[str],
    plan_medications: list[PlanMedication],
    medications: Sequence[Medication],
    factor_set: FactorSet,
) -> Layout:
    """The families, factors, groups and scale of a layout's drugs."""
    factors: dict[str, Fraction | None] = {}
    bands: dict[str, tuple[tuple[Fraction, Fraction], ...]] = {}
    families: dict[str, DrugFamily] = {}
    baselines: dict[str, DrugState] = {}
    for name in names:
        drug = parts[name]
        amounts = drug.baseline
        atom = _atom(
            [*(s for spec in drug.specs for s in sizes(spec.unit_set)), *(a for a in amounts if a)]
        )
        key = FamilyKey(tuple(drug.specs), atom)
        slot_tops: dict[int, Decimal] = {}
        for spec, amount in zip(drug.specs, amounts, strict=True):
            slot_tops[spec.slot] = slot_tops.get(spec.slot, Decimal(0)) + amount
        families[name] = family(key, int(max(slot_tops.values()) / atom))
        baselines[name] = tuple(
            LaneState(int(amount / atom), spec.every, offset) if amount else families[name].zero[i]
            for i, (spec, amount, offset) in enumerate(
                zip(drug.specs, amounts, drug.offsets, strict=True)
            )
        )
        first = next(m for m in medications if m.drug == name)
        daily = sum((m.daily_amount.amount for m in medications if m.drug == name), Decimal(0))
        factor = factor_set.factor_for(
            first.product, attrs.evolve(first.daily_amount, amount=daily)
        )
        factors[name] = None if factor is None else Fraction(factor)
        bands[name] = ()
        if name == "methadone" and factor_set.methadone_bands:
            bands[name] = tuple(
                (Fraction(b.high), Fraction(b.factor)) for b in factor_set.methadone_bands
            )
    mme = [n for n in names if factors[n] is not None]
    groups: list[tuple[int, ...]] = []
    group_mme: list[bool] = []
    if mme:
        groups.append(tuple(names.index(n) for n in mme))
        group_mme.append(True)
    for name in names:
        if factors[name] is None:
            groups.append((names.index(name),))
            group_mme.append(False)
    group_of = {d: g for g, members in enumerate(groups) for d in members}
    per_unit: dict[str, list[Fraction]] = {}
    for name in names:
        fam = families[name]
        unit_value = Fraction(fam.atom) / fam.day_scale
        values = [f for _, f in bands[name]] or [factors[name] or Fraction(1)]
        if bands[name]:
            values.append(factors[name] or Fraction(1))
        per_unit[name] = [v * unit_value for v in values]
    scale = 1
    for values in per_unit.values():
        for value in values:
            scale = lcm(scale, value.denominator)
    drugs = []
    for index, name in enumerate(names):
        fam = families[name]
        mults = [int(v * scale) for v in per_unit[name]]
        limits = tuple(int(high * fam.day_scale / Fraction(fam.atom)) for high, _ in bands[name])
        drugs.append(
            DrugPlace(
                index=index,
                name=name,
                family=fam,
                group=group_of[index],
                factor=factors[name],
                mult=mults[-1],
                bands=tuple(zip(limits, mults, strict=False)),
                medications=tuple(parts[name].medications),
                times=tuple(parts[name].times),
                unit=Unit.MCG_PER_H if fam.patch else Unit.MG,
            )
        )
    with_lanes = [
        attrs.evolve(
            m,
            lanes=tuple(
                i for i, spec in enumerate(drugs[m.drug].family.lanes) if spec.medication == m.local
            ),
        )
        for m in plan_medications
    ]
    return Layout(
        drugs=tuple(drugs),
        groups=tuple(groups),
        group_mme=tuple(group_mme),
        medications=tuple(sorted(with_lanes, key=lambda m: m.index)),
        scale=scale,
        baseline=tuple(baselines[name] for name in names),
    )

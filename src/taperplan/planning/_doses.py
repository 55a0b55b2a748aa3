"""The doses of a plan's states, made of real units and shared by every plan.

The search works in whole atoms (see :mod:`._family`); a :class:`DoseMaker`
turns a medication's lanes in a state into a
:class:`~taperplan.model.plan.MedicationDose` of the units the patient takes:
the patient's own tablets where they still make the regimen's dose, one
concentration of an oral solution for all of a step's doses. Doses built for
the same medication and lane states are kept in a bounded, process-wide table,
so plans of regimens with the same products find them already made.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

import attrs

from taperplan.errors import PlanningError
from taperplan.model.plan import Dose, MedicationDose
from taperplan.planning._lanes import Layout, State, forget_layouts
from taperplan.reference.dispense import UnitCount, UnitSet, forget_made
from taperplan.reference.products import Form
from taperplan.units import Quantity, normalised


@lru_cache(maxsize=8192)
def _one_bottle(layout: Layout, index: int, state: State) -> UnitSet | None:
    """One concentration of an oral solution that measures every dose of the
    medication in ``state`` (the patient's own first), so that a step never has two
    bottles of one drug's solution in the house (the mg/mL mix-up the catalogue
    warns about); None where no single one does."""
    info = layout.medications[index]
    place = layout.drugs[info.drug]
    lanes = state[info.drug]
    amounts = [
        Quantity(place.family.atom * lanes[p].amount, place.unit)
        for p in info.lanes
        if lanes[p].amount
    ]
    unit_set = info.unit_set
    own = info.stated.strengths if info.stated is not None else ()
    candidates = [*own, *(s for s in unit_set.strengths if s not in own)]
    for strength in candidates:
        single = attrs.evolve(unit_set, strengths=(strength,))
        if all(single.make(amount) is not None for amount in amounts):
            return single
    return None


def _units(unit_set: UnitSet, amount: Quantity) -> tuple[UnitCount, ...]:
    made = unit_set.make(amount)
    if made is None:
        made = attrs.evolve(unit_set, max_pieces=64).make(amount)
    if made is None:  # pragma: no cover - amounts come from the menu or the regimen
        raise PlanningError(f"{amount} cannot be made from {unit_set.strengths}")
    return made


#: Doses built for a medication's key and lane states, shared by every plan (bounded).
_PARTS: dict[tuple[object, ...], MedicationDose] = {}
_TOKENS: dict[tuple[object, ...], int] = {}
_NUMBERS = itertools.count()
MAX_PARTS = 30_000


def forget_all() -> None:
    """Empty the shared doses and moves (for benchmarks of plans with nothing shared)."""
    _TOKENS.clear()
    _PARTS.clear()
    _one_bottle.cache_clear()
    forget_made()
    forget_layouts()


def _token(key: tuple[object, ...]) -> int:
    """A number for a medication's key, never given to another key (even after the
    table is emptied), so a dose maker made before that never reads another's doses."""
    known = _TOKENS.get(key)
    if known is None:
        if len(_TOKENS) >= MAX_PARTS:
            _TOKENS.clear()
            _PARTS.clear()
        known = _TOKENS[key] = next(_NUMBERS)
    return known


class DoseMaker:
    """Builds the doses of a layout's states; plans whose medications are the same
    (product, units, times, own doses, index) share what was built."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.tokens = []
        # Per medication, the lanes where the patient's own tablets make the dose
        # when it is still the regimen's (with the baseline amount of each).
        self.own_lanes: list[tuple[tuple[int, int], ...]] = []
        for info in layout.medications:
            place = layout.drugs[info.drug]
            baseline = layout.baseline[info.drug]
            self.own_lanes.append(
                tuple(
                    (p, baseline[p].amount)
                    for p in info.lanes
                    if info.stated is not None and not place.family.lanes[p].substitute
                )
            )
            self.tokens.append(
                _token(
                    (
                        place.family.key,
                        info.local,
                        info.index,
                        tuple(place.times[p] for p in info.lanes),
                        info.stated,
                        info.unit_set,
                        place.mult,
                        place.bands,
                        layout.scale,
                    )
                )
            )

    def part(self, state: State, index: int) -> MedicationDose:
        """Medication ``index``'s doses in ``state``."""
        layout = self.layout
        info = layout.medications[index]
        lanes = state[info.drug]
        place = layout.drugs[info.drug]
        # Banded factors (cdc2016 methadone) read the whole drug's daily amount.
        whole = place.family.daily(lanes) if place.bands else 0
        at_baseline = tuple(lanes[p].amount == amount for p, amount in self.own_lanes[index])
        key = (self.tokens[index], whole, at_baseline, *(lanes[p] for p in info.lanes))
        known = _PARTS.get(key)
        if known is not None:
            return known
        family = place.family
        baseline = layout.baseline[info.drug]
        bottle = (
            _one_bottle(layout, index, state) if info.product.form is Form.ORAL_SOLUTION else None
        )
        doses = []
        daily = 0
        for position in info.lanes:
            now = lanes[position]
            if not now.amount:
                continue
            spec = family.lanes[position]
            amount = Quantity(family.atom * now.amount, place.unit)
            unit_set = spec.unit_set if bottle is None else bottle
            if (
                bottle is None
                and info.stated is not None
                and not spec.substitute
                and now.amount == baseline[position].amount
            ):
                # The patient's own tablets where they make the dose.
                unit_set = info.stated
            doses.append(
                Dose(place.times[position], amount, now.every, _units(unit_set, amount), now.offset)
            )
            daily += family.contribution(position, now)
        doses.sort(key=lambda d: d.time)
        mme: Decimal | None = None
        if place.factor is not None:
            mult = next((m for limit, m in place.bands if whole <= limit), place.mult)
            mme = normalised(Decimal(daily * mult) / Decimal(layout.scale))
        part = MedicationDose(
            index=index,
            product=info.product,
            doses=tuple(doses),
            daily_amount=Quantity(Decimal(daily) * family.atom / family.day_scale, place.unit),
            mme_per_day=mme,
            smallest_unit=info.unit_set.smallest_unit,
        )
        _PARTS[key] = part
        return part

    def parts(self, state: State, indices: Sequence[int]) -> tuple[MedicationDose, ...]:
        """The doses of the medications ``indices`` in ``state``."""
        return tuple(self.part(state, index) for index in indices)

"""The taper planner: from a regimen to a dated plan that never drops abruptly.

How a step is chosen (docs/planning.md has the full rules and sources):

1. Pick the medication to cut by the taper order (long-acting first by
   default); if it has no cut within the rules, try the next.
2. The pace gives a target cut (a percent of the original or current total,
   or a fixed amount). Candidates come from an *even-cut chain*: starting from
   the current doses, repeatedly lower the largest dose by one dispensable
   step (ties: the dose least worth keeping, so bedtime doses go last). This
   reproduces the VA uneven-split pattern (90/75/90 → 75/75/90 → 75/75/75).
3. A candidate is allowed when its cut is at most ``max_step_fraction`` of
   the previous total, or, while the medication's daily amount is at most two
   smallest units, at most one smallest unit per day (interfaces.md §4).
4. Prefer keeping every administration time, then the cut closest to the
   target, then the smaller cut.
5. End game: at a single smallest unit taken daily, go to every other day;
   the final stop comes only from a dose taken less than once a day, the
   smallest patch, or ≤ 5 MME/day.

The engine works in integers (multiples of each medication's dispensing
grid) and exact fractions; Decimal quantities appear only in the result.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import threading
from bisect import bisect_left
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import cache
from math import gcd, lcm
from typing import Literal, NamedTuple

import attrs

from taperplan._adjuncts import suggest_adjuncts
from taperplan._catalogue import FactorSet, Form, Product, WithdrawalProfile
from taperplan._data import load_data
from taperplan._dispense import UnitCount, UnitSet, reachable
from taperplan._errors import PlanningError, RefusedError
from taperplan._mme import mme_notices, resolve_factor_set
from taperplan._notices import Notice, notice
from taperplan._pace import CutRule, Pace, default_pace, preset
from taperplan._plan import Dose, MedicationDose, Step, StepKind, TaperPlan
from taperplan._regimen import Medication, Regimen
from taperplan._safety import dst_time_warnings, oud_refusal_reason, regimen_safety_warnings
from taperplan._units import Quantity, format_decimal
from taperplan._withdrawal import WithdrawalWindow, window_after, window_rules

TaperOrder = Literal["long-acting-first", "short-acting-first", "proportional"]

#: The most steps one plan may have; a pace that needs more is refused.
MAX_STEPS = 400


@cache
def _check_in_rules() -> tuple[int, int, int, int]:
    """(max gap, days before a cut, min gap, stop step days) from ``withdrawal.toml``."""
    data = load_data("withdrawal.toml")
    checks, stop = data["check_ins"], data["stop_step"]
    return (
        int(checks["max_gap_days"]),
        int(checks["before_cut_days"]),
        int(checks["min_gap_days"]),
        int(stop["min_days"]),
    )


_LONG_ACTING = {
    WithdrawalProfile.LONG_ACTING,
    WithdrawalProfile.METHADONE,
    WithdrawalProfile.TRANSDERMAL,
    WithdrawalProfile.BUPRENORPHINE,
}


@cache
def _end_game() -> tuple[int, Fraction]:
    table = load_data("paces.toml")["end_game"]
    return int(table["max_every_days"]), Fraction(table["stop_at_or_below_mme"])


# -- integer tracks ----------------------------------------------------------------


def _scale_of(values: Sequence[Decimal]) -> int:
    places = 0
    for value in values:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            places = max(places, -exponent)
    return int("1" + "0" * places)


def _grid(unit_set: UnitSet) -> Decimal:
    """The step every dispensable amount of ``unit_set`` is a multiple of."""
    if unit_set.form is Form.ORAL_SOLUTION:
        assert unit_set.resolution is not None  # noqa: S101 - set for solutions
        sizes = [s.amount * unit_set.resolution.amount for s in unit_set.strengths]
    else:
        sizes = [s.amount for s in unit_set.strengths]
        if unit_set.splittable:
            sizes += [s.amount / 2 for s in unit_set.strengths]
    scale = _scale_of(sizes)
    divisor = 0
    for size in sizes:
        divisor = gcd(divisor, int(size * scale))
    return Decimal(divisor) / scale


@cache
def _menu(unit_set: UnitSet, grid: Decimal, top: int) -> tuple[int, ...]:
    """Every dispensable amount up to ``top`` grid steps, ascending."""
    if unit_set.form is Form.ORAL_SOLUTION:
        assert unit_set.resolution is not None  # noqa: S101 - set for solutions
        steps = {int(s.amount * unit_set.resolution.amount / grid) for s in unit_set.strengths}
        return tuple(k for k in range(1, top + 1) if any(k % step == 0 for step in steps))
    return reachable(unit_set, grid, top)


_State = tuple[tuple[int, ...], tuple[int, ...]]
"""Per administration time (in the regimen's order): amount in grid steps
(0 once dropped) and the interval in days."""

_Candidate = tuple[_State, int, int]
"""A state a move leads to, its daily amount (× day scale) and its dropped dose times."""


_Moves = tuple[int, int, bool, tuple[_Candidate, ...], _State, bool | None]
"""What :meth:`_Engine.best` needs to know about one state, whatever the totals:
its daily amount (× day scale), its dropped dose times, whether it is in the end
game, the single moves, the stop, and the stop rule where the state alone
decides it (None: ≤ 5 MME/day decides). A plain tuple: once its contents are
plain too, the garbage collector stops tracking it."""


class _Family:
    """What the moves and doses of a medication depend on: its product and
    strengths, the number of dose times and the lcm of their intervals.

    The dispensing grid and menu, the even-cut chain and the single moves from
    each state, daily amounts, ``Dose`` objects and MME figures are pure
    functions of these (and of the few other values in their keys), so one
    family serves every plan of every medication that shares them (see
    :func:`_family`); its tables fill as plans visit states, and a batch of
    plans mostly finds what it needs already worked out. Amounts are whole
    grid steps; ``day_scale`` is the lcm of the intervals the family can use,
    so a daily amount × ``day_scale`` is an integer.
    """

    __slots__ = (
        "amounts",
        "by_factor",
        "chain",
        "count",
        "dailies",
        "daily_amounts",
        "day_scale",
        "doses",
        "grid",
        "grid_decimal",
        "keep_order",
        "keep_rank",
        "longest",
        "menu",
        "moves",
        "patch",
        "periods",
        "product",
        "smallest",
        "smallest_unit",
        "stated",
        "steps_of",
        "top",
        "unit",
        "unit_per_day",
        "unit_set",
        "units",
        "weights",
    )

    def __init__(self, medication: Medication, day_scale: int) -> None:
        unit_set = medication.unit_set
        grid = _grid(unit_set)
        count = len(medication.administrations)
        # Held so that the product's id in the family's key stays its own.
        self.product = medication.product
        self.unit_set = unit_set
        self.stated = medication.stated_unit_set
        self.smallest_unit = unit_set.smallest_unit
        self.unit = medication.dose_unit
        self.grid = Fraction(grid)
        self.grid_decimal = grid
        self.top = -1
        self.menu: tuple[int, ...] = ()
        self.smallest = int(unit_set.smallest_unit.amount / grid)
        # One smallest unit a day, as a daily amount × day scale.
        self.unit_per_day = self.smallest * day_scale
        self.patch = medication.form is Form.PATCH
        self.count = count
        self.keep_rank = _keep_rank(count)
        # The dose least worth keeping first: the order of the single moves.
        self.keep_order = tuple(sorted(range(count), key=self.keep_rank.__getitem__))
        self.day_scale = day_scale
        self.weights = tuple(0 if e == 0 else day_scale // e for e in range(day_scale + 1))
        self.longest = _end_game()[0]
        self.amounts: dict[int, Quantity] = {}
        self.daily_amounts: dict[int, Quantity] = {}
        self.units: dict[tuple[int, bool], tuple[UnitCount, ...]] = {}
        self.doses: dict[tuple[dt.time, int, int, bool], Dose] = {}
        self.steps_of: dict[Decimal, tuple[int, bool]] = {}
        self.chain: dict[_State, _Candidate | None] = {}
        self.moves: dict[_State, _Moves] = {}
        self.dailies: dict[_State, int] = {}
        self.periods: dict[_State, int] = {}
        self.by_factor: dict[int, _ByFactor] = {}

    def size(self) -> int:
        """The entries this family's tables hold (as ``_BUDGET`` counts them)."""
        return (
            len(self.dailies)
            + len(self.doses)
            + sum(len(entry.mmes) for entry in self.by_factor.values())
        )

    def forget(self) -> None:
        """Forget every table that grows with use (they refill on use)."""
        for table in (
            self.chain,
            self.moves,
            self.dailies,
            self.periods,
            self.doses,
            self.amounts,
            self.units,
            self.daily_amounts,
            self.steps_of,
            self.by_factor,
        ):
            table.clear()

    def cover(self, top: int) -> None:
        """Make the menu cover every amount up to ``top`` grid steps.

        A menu up to a larger top holds the same amounts below each dose, so
        every move already worked out stays right.
        """
        if top > self.top:
            self.menu = _menu(self.unit_set, self.grid_decimal, top)
            self.top = top

    def daily(self, state: _State) -> int:
        """The daily amount of ``state`` × ``day_scale`` (patches: the mcg/h worn)."""
        known = self.dailies.get(state)
        if known is None:
            amounts, everys = state
            if self.patch:
                known = sum(amounts)
            else:
                weights = self.weights
                known = sum([a * weights[e] for a, e in zip(amounts, everys, strict=True)])
            self.dailies[state] = known
            _BUDGET.used += 1
        return known

    def period(self, state: _State) -> int:
        """The lcm of the intervals of the doses ``state`` takes (1 when none)."""
        known = self.periods.get(state)
        if known is None:
            known = 1
            for amount, every in zip(*state, strict=True):
                if amount:
                    known = lcm(known, every)
            self.periods[state] = known
        return known

    def _known(self, state: _State, daily: int) -> None:
        """Remember the daily amount of a state a move leads to."""
        if state not in self.dailies:
            self.dailies[state] = daily
            _BUDGET.used += 1

    def step_down(self, state: _State, position: int, daily: int) -> _Candidate:
        """One step down for one administration of ``state``: the next smaller
        dispensable amount; at the smallest, the longest interval of the end game
        (every other day; not for patches); then dropped.

        Returns the new state, its daily amount (worked out from ``daily``, the
        old one's) and its dropped dose times.
        """
        amounts, everys = state
        amount, every = amounts[position], everys[position]
        menu = self.menu
        below = bisect_left(menu, amount)
        if below:
            new_amount, new_every = menu[below - 1], every
        elif not self.patch and every < self.longest:
            new_amount, new_every = amount, self.longest
        else:
            new_amount, new_every = 0, every
        if new_every == every:
            new = ((*amounts[:position], new_amount, *amounts[position + 1 :]), everys)
        else:
            new = (amounts, (*everys[:position], new_every, *everys[position + 1 :]))
        if self.patch:
            new_daily = daily - amount + new_amount
        else:
            weights = self.weights
            new_daily = daily - amount * weights[every] + new_amount * weights[new_every]
        self._known(new, new_daily)
        return new, new_daily, new[0].count(0)

    def next_in_chain(self, chain: _State) -> _Candidate | None:
        """The even-cut chain's next state after ``chain`` (None: only the stop is left).

        An administration already on alternate days is finished first;
        otherwise the largest (by its average per day), ties going to the
        dose least worth keeping.
        """
        if chain in self.chain:
            return self.chain[chain]
        amounts, everys = chain
        result: _Candidate | None = None
        if self.count == 1:
            # One dose time: it is the one lowered (the chain's states are live).
            if not (amounts[0] <= self.smallest and (self.patch or everys[0] >= 2)):
                result = self.step_down(chain, 0, self.daily(chain))
        else:
            live = [i for i, a in enumerate(amounts) if a]
            if not (
                len(live) == 1
                and amounts[live[0]] <= self.smallest
                and (self.patch or everys[live[0]] >= 2)
            ):
                keep, weights = self.keep_rank, self.weights
                spaced = [i for i in live if everys[i] >= 2]
                if spaced:
                    position = min(spaced, key=keep.__getitem__)
                else:
                    # The largest by its average per day (ranks are distinct: no ties).
                    position = live[0]
                    largest = amounts[position] * weights[everys[position]]
                    for i in live[1:]:
                        size = amounts[i] * weights[everys[i]]
                        if size > largest or (size == largest and keep[i] < keep[position]):
                            position, largest = i, size
                result = self.step_down(chain, position, self.daily(chain))
        if result is not None and result[2] == self.count:
            result = None  # all dropped: that is the stop
        self.chain[chain] = result
        return result

    def moves_from(self, state: _State) -> _Moves:
        """The state-only facts :meth:`_Engine.best` needs about ``state``."""
        known = self.moves.get(state)
        if known is not None:
            return known
        amounts, everys = state
        count = self.count
        daily = self.daily(state)
        smallest = self.smallest
        # End game: once every dose is at the smallest unit, one dose changes a
        # step (a dose time dropped or moved to alternate days), as in the VA
        # examples (15 mg q8h → q12h → once daily).
        end_game = all(a <= smallest for a in amounts if a)
        # Single moves: lower just one administration a step (finer cuts than the
        # chain's when the largest dose is coarse, e.g. one dose to alternate days);
        # in the end game also drop one dose time. The dose least worth keeping
        # comes first, so it wins ties.
        singles: list[_Candidate] = []
        zeros = amounts.count(0)
        weights = self.weights
        for position in self.keep_order:
            amount = amounts[position]
            if amount:
                new = self.step_down(state, position, daily)
                if new[2] < count:
                    singles.append(new)
                if end_game and zeros + 1 < count:
                    dropped_one = ((*amounts[:position], 0, *amounts[position + 1 :]), everys)
                    dropped_daily = daily - (
                        amount if self.patch else amount * weights[everys[position]]
                    )
                    self._known(dropped_one, dropped_daily)
                    singles.append((dropped_one, dropped_daily, zeros + 1))
        may_stop: bool | None = None
        if self.patch:
            live = [a for a in amounts if a]
            may_stop = len(live) == 1 and live[0] <= smallest
        elif all(e >= 2 for a, e in zip(amounts, everys, strict=True) if a):
            may_stop = True
        known = (daily, zeros, end_game, tuple(singles), ((0,) * count, everys), may_stop)
        self.moves[state] = known
        return known

    def steps(self, amount: Decimal) -> tuple[int, bool]:
        """``amount`` in whole grid steps (truncated), and whether it is on the grid."""
        known = self.steps_of.get(amount)
        if known is None:
            exact = Fraction(amount) / self.grid
            known = (int(exact), exact.denominator == 1)
            self.steps_of[amount] = known
        return known

    def dose(self, time: dt.time, value: int, every: int, own: bool) -> Dose:  # noqa: FBT001
        """The ``Dose`` of ``value`` grid steps at ``time``: from the patient's own
        strengths when ``own`` (the dose they take now), else any allowed units."""
        key = (time, value, every, own)
        known = self.doses.get(key)
        if known is None:
            amount = self.amounts.get(value)
            if amount is None:
                amount = Quantity(self.grid_decimal * value, self.unit)
                self.amounts[value] = amount
            units = self.units.get((value, own))
            if units is None:
                units = _units(self.stated if own else self.unit_set, amount)
                self.units[value, own] = units
            known = Dose(time, amount, every, units)
            self.doses[key] = known
            _BUDGET.used += 1
        return known

    def daily_amount(self, daily: int) -> Quantity:
        """The daily amount ``daily`` (× day scale) as a quantity."""
        known = self.daily_amounts.get(daily)
        if known is None:
            known = Quantity(Decimal(daily) * self.grid_decimal / self.day_scale, self.unit)
            self.daily_amounts[daily] = known
        return known

    def factor_entry(self, factor_of: _FactorOf) -> _ByFactor:
        """The tables for a medication with ``factor_of`` (by the factors' identity:
        hashing fractions is slow)."""
        entry = self.by_factor.get(id(factor_of))
        if entry is None or entry.factor_of is not factor_of:
            entry = self.by_factor[id(factor_of)] = _ByFactor(self, factor_of)
        return entry


class _ByFactor:
    """A family's tables for one medication's MME factors, which it holds (so the
    id that keys it in the family stays theirs)."""

    __slots__ = ("factor_of", "family", "mmes", "per_unit", "scales")

    def __init__(self, family: _Family, factor_of: _FactorOf) -> None:
        self.factor_of = factor_of
        self.family = family
        factor, bands = factor_of.factor, factor_of.bands
        factors = [f for _, f in bands] or [factor if factor is not None else Fraction(1)]
        #: MME (or amount) per unit of daily amount × day scale, for each factor.
        self.per_unit = tuple(f * family.grid / family.day_scale for f in factors)
        self.scales: dict[int, tuple[int, tuple[int, ...], Fraction, tuple[Fraction, ...]]] = {}
        #: MME/day by daily amount (× day scale). The quotient's value is MME/day
        #: whatever the engine's scale, and a ``Decimal`` quotient depends only on
        #: its value, so one table serves every scale.
        self.mmes: dict[int, Decimal] = {}

    def scaled(self, scale: int) -> tuple[int, tuple[int, ...], Fraction, tuple[Fraction, ...]]:
        """For the engine's ``scale``: (multiplier, band multipliers, factor × scale,
        band limits in daily amount × day scale)."""
        known = self.scales.get(scale)
        if known is None:
            factor, bands = self.factor_of.factor, self.factor_of.bands
            family = self.family
            multipliers = tuple(int(value * scale) for value in self.per_unit)
            # Converts a fixed reduction of this medication into the engine's scaled measure.
            scaled_factor = (factor if factor is not None else Fraction(1)) * scale
            # A banded track's factor depends on its daily amount: band limits in daily_int units.
            thresholds = tuple(high * family.day_scale / family.grid for high, _ in bands)
            known = (multipliers[0], multipliers, scaled_factor, thresholds)
            self.scales[scale] = known
        return known


class _Budget:
    """How many entries the families' tables hold in all (states, doses, MME figures)."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = 0


#: Families by key, most recently used last. Bounded, as are their tables: past
#: ``_MAX_ENTRIES`` entries in all (about 0.5 kB each), the least recently used
#: half of the families forget theirs when the next plan starts, so a
#: long-running process keeps a steady memory.
_FAMILIES: dict[tuple[object, ...], _Family] = {}
_FAMILIES_LOCK = threading.Lock()
_MAX_FAMILIES = 512
_MAX_ENTRIES = 100_000
_BUDGET = _Budget()


def _family(medication: Medication) -> _Family:
    """The (shared) family of ``medication``."""
    product = medication.product
    patch = product.form is Form.PATCH
    administrations = medication.administrations
    if patch:
        day_scale = 1
    else:
        every = medication.every_days
        day_scale = lcm(_end_game()[0], *[a.every_days or every for a in administrations])
    # The product by identity (the family holds it, so its id stays unique): the
    # catalogue's products are shared by every regimen, and hashing is slow.
    key = (
        id(product),
        medication.available,
        medication.strengths,
        medication.resolution,
        len(administrations),
        day_scale,
    )
    with _FAMILIES_LOCK:
        if _BUDGET.used > _MAX_ENTRIES:
            families = list(_FAMILIES.values())
            for known in families[: len(families) // 2 + 1]:
                known.forget()
            _BUDGET.used = sum(f.size() for f in families)
        family = _FAMILIES.pop(key, None)
        if family is None or family.product is not product:
            family = _Family(medication, day_scale)
            if len(_FAMILIES) >= _MAX_FAMILIES:
                del _FAMILIES[next(iter(_FAMILIES))]
        _FAMILIES[key] = family
        # Under the lock: a menu only ever grows.
        grid = family.grid_decimal
        family.cover(int(max([a.amount.amount / grid for a in administrations])))
    return family


@attrs.frozen
class _FactorOf:
    """A medication's MME factor(s) as fractions."""

    factor: Fraction | None
    bands: tuple[tuple[Fraction, Fraction], ...]


#: Factors by (factor set, product) identity, with both held so the ids stay theirs.
_FACTORS: dict[tuple[int, int], tuple[FactorSet, Product, _FactorOf]] = {}


def _factor_of(medication: Medication, factor_set: FactorSet) -> _FactorOf:
    """The factor ``factor_set`` gives ``medication`` (and the methadone bands)."""
    product = medication.product
    banded = medication.drug == "methadone" and bool(factor_set.methadone_bands)
    if not banded:
        # Without bands the factor depends on the product alone.
        known = _FACTORS.get((id(factor_set), id(product)))
        if known is not None and known[0] is factor_set and known[1] is product:
            return known[2]
    factor = factor_set.factor_for(product, medication.daily_amount)
    bands: tuple[tuple[Fraction, Fraction], ...] = ()
    if banded:
        bands = tuple((Fraction(b.high), Fraction(b.factor)) for b in factor_set.methadone_bands)
    result = _FactorOf(None if factor is None else Fraction(factor), bands)
    if not banded:
        if len(_FACTORS) >= _MAX_FAMILIES:
            _FACTORS.clear()
        _FACTORS[id(factor_set), id(product)] = (factor_set, product, result)
    return result


_NO_FRACTION = Fraction(0)


class _Track:
    """One medication of one plan in integer form.

    Amounts are whole grid steps (see :class:`_Family`). ``measure_int`` is
    the MME/day (or daily amount) times the plan-wide ``_Engine.scale``. The
    engine compares only integers.
    """

    __slots__ = (
        "bands",
        "by_factor",
        "factor",
        "factor_of",
        "family",
        "index",
        "is_long",
        "medication",
        "mult",
        "mults",
        "own",
        "product",
        "profile",
        "scale_decimal",
        "scaled_factor",
        "thresholds",
        "times",
        "tramadol",
    )

    def __init__(self, index: int, medication: Medication, factor_set: FactorSet) -> None:
        family = _family(medication)
        factor_of = _factor_of(medication, factor_set)
        product = medication.product
        self.index = index
        self.medication = medication
        self.family = family
        self.scale_decimal = Decimal(1)
        self.factor_of = factor_of
        self.by_factor = family.factor_entry(factor_of)
        self.factor = factor_of.factor
        self.bands = factor_of.bands
        self.product = product
        self.profile = product.profile
        self.is_long = self.profile in _LONG_ACTING
        self.tramadol = 1 if product.drug.name == "tramadol" else 0
        self.times = tuple(a.time for a in medication.administrations)
        # Per administration: the grid steps of the dose taken now (made of the
        # patient's own strengths), or -1 when the dose is not on the grid.
        own = []
        unit = family.unit
        for administration in medication.administrations:
            steps, on_grid = family.steps(administration.amount.amount)
            own.append(steps if on_grid and administration.amount.unit is unit else -1)
        self.own = tuple(own)
        # Set by set_scale once the plan's scale is known.
        self.mult = 0
        self.scaled_factor = _NO_FRACTION
        self.mults: tuple[int, ...] = ()
        self.thresholds: tuple[Fraction, ...] = ()

    @property
    def patch(self) -> bool:
        """Whether the medication is a patch."""
        return self.family.patch

    @property
    def smallest(self) -> int:
        """The smallest unit in grid steps."""
        return self.family.smallest

    @property
    def grid(self) -> Fraction:
        """The dispensing grid."""
        return self.family.grid

    @property
    def day_scale(self) -> int:
        """The lcm of the intervals the track can use."""
        return self.family.day_scale

    def per_unit(self) -> tuple[Fraction, ...]:
        """MME (or amount) per unit of ``daily_int``, for each factor the track can use."""
        return self.by_factor.per_unit

    def set_scale(self, scale: int) -> None:
        self.mult, self.mults, self.scaled_factor, self.thresholds = self.by_factor.scaled(scale)
        self.scale_decimal = Decimal(scale)

    def daily_int(self, state: _State) -> int:
        return self.family.daily(state)

    def measure_int(self, state: _State) -> int:
        daily = self.family.daily(state)
        if self.bands:
            return self.measure_of_daily(daily)
        return daily * self.mult

    def measure_of_daily(self, daily: int) -> int:
        """The measure (× engine scale) of a daily amount (× day scale)."""
        if self.bands:
            for limit, band_mult in zip(self.thresholds, self.mults, strict=True):
                if daily <= limit:
                    return daily * band_mult
            return daily * self.mults[-1]
        return daily * self.mult

    def daily(self, state: _State) -> Fraction:
        """The daily amount (mg/day, or mcg/h for a patch)."""
        return self.daily_int(state) * self.grid / self.day_scale

    @property
    def unit_per_day(self) -> Fraction:
        """One smallest unit, as a daily amount."""
        return self.smallest * self.grid


def _keep_rank(count: int) -> tuple[int, ...]:
    """How much each administration (in time order) is worth keeping.

    The last dose of the day (bedtime) is kept longest, then the first, then
    the others from later to earlier: the VA examples cut the middle dose
    first (90/90/90 → 90/75/90).
    """
    if count == 1:
        return (0,)
    order = [count - 1, 0, *range(count - 2, 0, -1)]
    rank = [0] * count
    for position, index in enumerate(order):
        rank[index] = count - position
    return tuple(rank)


def _tracks(medications: Sequence[Medication], factor_set: FactorSet) -> tuple[list[_Track], int]:
    """The integer tracks of ``medications`` and the plan-wide measure scale."""
    tracks = [_Track(i, m, factor_set) for i, m in enumerate(medications)]
    scale = 1
    for track in tracks:
        for value in track.per_unit():
            scale = lcm(scale, value.denominator)
    for track in tracks:
        track.set_scale(scale)
    return tracks, scale


class _Raw(NamedTuple):
    """A step before it is dated: its doses, what was cut, and how long it lasts."""

    kind: str
    days: int
    parts: tuple[MedicationDose, ...]
    cut_fraction: Decimal
    cut_drug: str | None
    profile: WithdrawalProfile | None
    key: str
    note: str | None = None
    # The doses actually taken before this step when they differ from the
    # planned step before (the first step of a re-plan from a given regimen).
    replanned_from: tuple[MedicationDose, ...] | None = None


def _live(state: _State) -> bool:
    return any(state[0])


# -- choosing cuts -----------------------------------------------------------------


_PaceRule = tuple[CutRule, Fraction, Callable[[int, int, int], tuple[int, int]] | None]


@functools.lru_cache(maxsize=256)
def _pace_rule(pace: Pace) -> _PaceRule:
    """``pace``'s cut rule, its cap as a fraction, and the rule's integer target
    (see :meth:`CutRule.integer_target`); cached by value, as a regimen file's
    ``[pace]`` table makes a new (equal) pace for every regimen."""
    rule = pace.cut_rule()
    return rule, Fraction(pace.max_step_fraction), rule.integer_target()


@cache
def _stop_at(scale: int) -> int:
    """The end game's stop threshold (≤ 5 MME/day) in the engine's ``scale``."""
    return int(_end_game()[1] * scale)


class _Engine:
    def __init__(
        self, tracks: Sequence[_Track], scale: int, pace: Pace, order: TaperOrder | Sequence[str]
    ) -> None:
        self.tracks = tuple(tracks)
        self.scale = scale
        self.pace = pace
        self.rule, cap, target = _pace_rule(pace)
        # The target of a cut: from the totals, or for a fixed reduction a
        # constant per medication.
        self.target = target
        self.fixed_targets = tuple(
            self.rule.target_ratio(0, 0, 0, t.scaled_factor) if target is None else (0, 1)
            for t in self.tracks
        )
        self.cap = cap
        self.cap_num, self.cap_den = cap.numerator, cap.denominator
        self.order = order
        self.stop_at = _stop_at(scale)
        # Original MME/day of medications stopped before a re-plan: still part of
        # the original total that original-based paces measure against.
        self.stopped_original = 0
        mme_tracks = tuple(t for t in self.tracks if t.factor is not None)
        self.groups = tuple(mme_tracks if t.factor is not None else (t,) for t in self.tracks)
        self.group_indices = tuple(tuple(t.index for t in group) for group in self.groups)
        # Per track, the start of its place in a named order: long- or
        # short-acting first, and Mayo's research tool tapered tramadol last.
        long_first = order == "long-acting-first"
        self.ranks = tuple(
            (
                (0 if t.is_long else 1) if long_first else (1 if t.is_long else 0),
                t.tramadol,
            )
            for t in self.tracks
        )

    def total(self, track: _Track, states: Sequence[_State]) -> int:
        return sum([t.measure_int(states[t.index]) for t in self.groups[track.index]])

    def references(self, originals: Sequence[int]) -> tuple[int, ...]:
        """Per track, the original total its cuts are measured against (its group's
        baseline, plus medications stopped before a re-plan for MME tracks)."""
        result = []
        for track in self.tracks:
            original = sum(originals[t.index] for t in self.groups[track.index])
            if track.factor is not None:
                original += self.stopped_original
            result.append(original)
        return tuple(result)

    def ordered(
        self, lives: Sequence[bool], measures: Sequence[int], originals: Sequence[int]
    ) -> list[_Track]:
        """The live tracks in the order to try a cut."""
        active = [t for t in self.tracks if lives[t.index]]
        if len(active) <= 1:
            return active
        if len(active) == 2 and self.order != "proportional" and isinstance(self.order, str):
            # The common case of the named orders below, without building keys.
            first, second = active
            rank_1, rank_2 = self.ranks[first.index], self.ranks[second.index]
            if rank_1 == rank_2:
                # Larger measure first; then the regimen's order.
                if measures[second.index] > measures[first.index]:
                    return [second, first]
                return active
            return active if rank_1 < rank_2 else [second, first]
        if self.order == "proportional":

            def behind(track: _Track) -> tuple[Fraction, int]:
                start = originals[track.index]
                share = Fraction(measures[track.index], start) if start else Fraction(0)
                return (-share, track.index)

            return sorted(active, key=behind)
        if isinstance(self.order, str):
            ranks = self.ranks
            return sorted(
                active,
                key=lambda t: (*ranks[t.index], -measures[t.index], t.index),
            )
        names = list(self.order)
        return sorted(
            active,
            key=lambda t: (
                names.index(t.medication.drug) if t.medication.drug in names else len(names),
                t.index,
            ),
        )

    def best(
        self,
        track: _Track,
        states: Sequence[_State],
        measures: Sequence[int],
        reference: int,
        index: int,
        *,
        final: bool,
    ) -> tuple[_State, int, int] | None:
        """The best cut of ``track``: (its new state, the cut, the previous total),
        or None when no move fits the cap.

        ``measures`` are the tracks' current measures; ``reference`` the
        original total the pace measures ``track``'s cuts against.
        """
        position = track.index
        state = states[position]
        family = track.family
        moves = family.moves.get(state)
        if moves is None:
            moves = family.moves_from(state)
        total = 0
        for i in self.group_indices[position]:
            total += measures[i]
        banded = track.bands
        mult = track.mult
        daily_before, dropped, end_game, singles, stop, may_stop = moves
        before = measures[position]
        # The rule is linear in its totals, so it works on the scaled integers directly;
        # the target stays exact (as num/den): rounding it to the engine's scale would make
        # near ties depend on the other medications in the regimen.
        target = self.target
        if target is None:
            t_num, t_den = self.fixed_targets[position]
        else:
            t_num, t_den = target(reference, total, index)
        cap_total = self.cap_num * total
        cap_den = self.cap_den
        unit = family.unit_per_day
        low = daily_before <= 2 * unit

        # keys: (distance from the target, doses dropped, cut)
        best_key: tuple[int, int, int] | None = None
        best_new = state

        # The even-cut chain: lower one administration a step at a time (see
        # _Family.next_in_chain); in the end game only its first step.
        chain = state
        table = family.chain
        while True:
            step = table.get(chain)
            if step is None:
                if chain in table:
                    break  # only the stop is left
                step = family.next_in_chain(chain)
                if step is None:
                    break
            chain, daily, zeros = step
            cut = before - (track.measure_of_daily(daily) if banded else daily * mult)
            if cut > 0 and (cut * cap_den <= cap_total or (low and daily_before - daily <= unit)):
                key = (abs(cut * t_den - t_num), zeros - dropped, cut)
                if best_key is None or key < best_key:
                    best_key, best_new = key, chain
            if end_game or (not low and cut * cap_den > cap_total) or cut * t_den >= t_num:
                break  # further along the chain only cuts more
        for new, daily, zeros in singles:
            cut = before - (track.measure_of_daily(daily) if banded else daily * mult)
            if cut > 0 and (cut * cap_den <= cap_total or (low and daily_before - daily <= unit)):
                key = (abs(cut * t_den - t_num), zeros - dropped, cut)
                if best_key is None or key < best_key:
                    best_key, best_new = key, new
        # The stop: the final one by the stop rule (interfaces.md §4); one of
        # several medications only when the cut fits the cap or the low-dose allowance.
        fits = before * cap_den <= cap_total or (low and daily_before <= unit)
        if final:
            # The stop rule: taken less than once a day, the smallest patch, or
            # ≤ 5 MME/day. Less than once a day is no licence to stop from a high
            # dose: the cut must still fit the cap or the low-dose allowance
            # (≤ 5 MME/day needs neither).
            tiny = track.factor is not None and before <= self.stop_at
            considered = (tiny if may_stop is None else may_stop) and (fits or tiny)
        else:
            considered = fits
        if considered:
            key = (abs(before * t_den - t_num), len(state[0]), before)
            if best_key is None or key < best_key:
                best_key, best_new = key, stop
        if best_key is None:
            return None
        return best_new, best_key[2], total

    def stuck(self, states: Sequence[_State]) -> PlanningError:
        parts = []
        for track in (t for t in self.tracks if _live(states[t.index])):
            state = states[track.index]
            unit = track.family.unit.value
            cap = self.cap * Fraction(self.total(track, states), self.scale)
            per = "" if track.patch else "/day"
            parts.append(
                f"{track.medication.product.name} at {_fmt(track.daily(state))} {unit}{per} "
                f"(smallest unit {_fmt(track.unit_per_day)} {unit}; the cap allows cuts of at most "
                f"{_fmt(cap)} {'MME/day' if track.factor is not None else unit + per})"
            )
        forms = {t.medication.form for t in self.tracks if _live(states[t.index])}
        fixes = [
            "choose a pace with a larger cap (a longer step does not help: the cap limits each cut)"
        ]
        if forms - {Form.PATCH}:
            fixes.insert(
                0,
                "allow a lower strength or scored tablets that can be halved (available = [...], split = true)",
            )
            fixes.insert(
                1, 'use an oral solution measured with a fine syringe (resolution = "0.1 mL")'
            )
        if Form.PATCH in forms:
            fixes.insert(
                0,
                "patches come in fixed strengths: discuss a pace with larger steps with the prescriber",
            )
        return PlanningError(
            f"no dispensable step fits the {self.pace.name} cap of "
            f"{format_decimal(self.pace.max_step_fraction * 100)}% of the current total: "
            + "; ".join(parts)
            + ". Fixes: "
            + "; or ".join(fixes)
            + "."
        )


_CENT = Decimal("0.01")


def _fmt(value: Fraction) -> str:
    return format_decimal((Decimal(value.numerator) / Decimal(value.denominator)).quantize(_CENT))


# -- building results --------------------------------------------------------------


@cache
def _units(unit_set: UnitSet, amount: Quantity) -> tuple[UnitCount, ...]:
    made = unit_set.make(amount)
    if made is None:
        made = attrs.evolve(unit_set, max_pieces=64).make(amount)
    if made is None:  # pragma: no cover - amounts come from the menu or the validated baseline
        raise PlanningError(f"{amount} cannot be made from {unit_set.strengths}")
    return made


def _medication_dose(track: _Track, state: _State, daily: int | None = None) -> MedicationDose:
    """The doses of ``track`` at ``state`` (whose daily amount × day scale is
    ``daily``, when the caller knows it)."""
    family = track.family
    table = family.doses
    doses = []
    for time, own, value, every in zip(track.times, track.own, *state, strict=True):
        if value:
            # The patient's own tablets where they make the dose; else any allowed units.
            key = (time, value, every, value == own)
            dose = table.get(key)
            if dose is None:
                dose = family.dose(*key)
            doses.append(dose)
    if daily is None:
        daily = family.daily(state)
    mme = None
    if track.factor is not None:
        mmes = track.by_factor.mmes
        mme = mmes.get(daily)
        if mme is None:
            mme = mmes[daily] = Decimal(track.measure_of_daily(daily)) / track.scale_decimal
            _BUDGET.used += 1
    return MedicationDose(
        track.index,
        track.product,
        tuple(doses),
        family.daily_amount(daily),
        mme,
        family.smallest_unit,
    )


_ZERO = Decimal(0)
_ONE = Decimal(1)


def _total_mme(parts: Sequence[MedicationDose]) -> Decimal | None:
    total = _ZERO
    for part in parts:
        value = part.mme_per_day
        if value is None:
            return None
        total += value
    return total


def _plan_id(regimen: Regimen, start: dt.date, pace: Pace, order: str, factor_set: str) -> str:
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


_KINDS = {kind.value: kind for kind in StepKind}

#: Whole days as timedeltas (the usual step and check-in arithmetic, ready-made).
_DAYS = tuple(dt.timedelta(days=n) for n in range(400))


def _days(count: int) -> dt.timedelta:
    return _DAYS[count] if 0 <= count < len(_DAYS) else dt.timedelta(days=count)


def _date_steps(
    raws: Sequence[_Raw], start: dt.date, *, previous_check_in: dt.date | None = None
) -> tuple[Step, ...]:
    """Give ``raws`` their dates from ``start``, with withdrawal windows,
    check-ins and overlap notes."""
    max_gap, before_cut, min_gap, _ = _check_in_rules()
    max_gap_delta = _days(max_gap)
    min_gap_delta = _days(min_gap)
    before_cut_delta = _days(before_cut)
    one_day = _days(1)
    kinds = _KINDS
    steps = []
    day = start
    last_check = previous_check_in
    for position, raw in enumerate(raws):
        kind, days, parts, cut_fraction, cut_drug, profile, key, note, replanned_from = raw
        end = day + _days(days - 1)
        window: WithdrawalWindow | None = None
        notes: tuple[str, ...] = ()
        if profile is not None and kind != "pause":
            window = window_after(day, profile)
            if kind == "stop":
                end = max(end, window.end)
            elif end < window.end:
                notes = (
                    f"this step ({days} days) is shorter than the expected withdrawal window "
                    f"(to {window.end.isoformat()}); the next cut may come before symptoms settle: "
                    "consider pausing if they are troublesome",
                )
        if note:
            notes = (*notes, note)
        # The check-in before the next cut: a week into the step or 6 days before
        # its end, whichever is later (VA-TDT: 1–4 weeks after a start, then before
        # each reduction).
        length = (end - day).days
        pre = max(day + _days(min(before_cut, length)), end - before_cut_delta)
        anchor = last_check if last_check is not None else day
        if (pre - anchor).days > max_gap:
            checks = []
            while (pre - anchor).days > max_gap:
                following = anchor + max_gap_delta
                # Keep at least a week before the pre-cut check-in.
                following = min(following, pre - min_gap_delta)
                if following >= day:
                    checks.append(following)
                anchor = following
            checks.append(pre)
            check_ins = tuple(checks)
        else:
            check_ins = (pre,)
        last_check = pre
        steps.append(
            Step(
                id=key,
                index=position,
                kind=kinds[kind],
                start=day,
                end=end,
                medications=parts,
                total_mme_per_day=_total_mme(parts),
                cut_fraction=cut_fraction,
                cut_drug=cut_drug,
                withdrawal_profile=profile,
                withdrawal_window=window,
                check_in=pre,
                check_ins=check_ins,
                notes=notes,
                replanned_from=replanned_from,
            )
        )
        day = end + one_day
    return tuple(steps)


def _raws(
    engine: _Engine,
    tracks: Sequence[_Track],
    baseline: tuple[_State, ...],
    originals: tuple[int, ...],
    *,
    plan_id: str,
    first_number: int,
    first_index: int,
) -> list[_Raw]:
    """Every cut from ``baseline`` to the stop, undated."""
    return _cuts(
        engine,
        tracks,
        baseline,
        originals,
        plan_id=plan_id,
        first_number=first_number,
        first_index=first_index,
    )[0]


def _cuts(
    engine: _Engine,
    tracks: Sequence[_Track],
    baseline: tuple[_State, ...],
    originals: tuple[int, ...],
    *,
    plan_id: str,
    first_number: int,
    first_index: int,
) -> tuple[list[_Raw], tuple[MedicationDose, ...]]:
    """Every cut from ``baseline`` to the stop, undated, and the baseline's doses.

    The cuts are chosen first and the result objects built only once the
    plan reaches the stop: a plan that gets stuck builds none.
    """
    # Per track: its state, measure, whether it is still taken, and the lcm of
    # its intervals. Only the medication cut changes at a step.
    states = list(baseline)
    measures = [t.measure_int(s) for t, s in zip(tracks, states, strict=True)]
    lives = [any(s[0]) for s in states]
    periods = [t.family.period(s) for t, s in zip(tracks, states, strict=True)]
    references = engine.references(originals)
    live = sum(lives)
    pace = engine.pace
    # Step length: the pace's interval, never under the minimum, and a whole
    # number of every N-day interval taken in the step (whole patch changes).
    days = max(pace.every_days, pace.min_step_days)
    # Per cut: (the track, its new state and daily amount, the cut, the total
    # before it, the step's length).
    cuts: list[tuple[_Track, _State, int, int, int, int]] = []
    index = first_index
    while live:
        if len(cuts) >= MAX_STEPS:
            raise PlanningError(
                f"the pace {engine.pace.name} would need more than {MAX_STEPS} steps; "
                "choose a pace with a larger cap"
            )
        if live == 1:
            # One medication left: no order to find.
            position = lives.index(True)
            track = tracks[position]
            choice = engine.best(track, states, measures, references[position], index, final=True)
            if choice is None:
                raise engine.stuck(states)
        else:
            for track in engine.ordered(lives, measures, originals):
                position = track.index
                choice = engine.best(
                    track, states, measures, references[position], index, final=False
                )
                if choice is not None:
                    break
            else:
                raise engine.stuck(states)
        new_state, cut, total = choice
        family = track.family
        daily = family.daily(new_state)
        states[position] = new_state
        measures[position] = track.measure_of_daily(daily) if track.bands else daily * track.mult
        if not any(new_state[0]):
            lives[position] = False
            live -= 1
        periods[position] = family.period(new_state)
        if live:
            period = lcm(*periods) if len(periods) > 1 else periods[0]
            length = days if period == 1 else -(-days // period) * period
        else:
            # The stop step covers the withdrawal window after the last dose.
            length = max(window_rules()[track.profile].end_day + 1, _check_in_rules()[3])
        cuts.append((track, new_state, daily, cut, total, length))
        index += 1

    # The result objects. Only the medication cut changes at a step: the others'
    # doses carry over.
    parts = [_medication_dose(t, s) for t, s in zip(tracks, baseline, strict=True)]
    start_parts = tuple(parts)
    raws: list[_Raw] = []
    # _Raw(...) without the named tuple's Python-level __new__ (all fields given).
    new_raw = tuple.__new__
    last = len(cuts) - 1
    for number, (track, new_state, daily, cut, total, length) in enumerate(cuts):
        parts[track.index] = _medication_dose(track, new_state, daily)
        raws.append(
            new_raw(
                _Raw,
                (
                    "cut" if number < last else "stop",
                    length,
                    tuple(parts),
                    Decimal(cut) / Decimal(total) if total else _ONE,
                    track.product.drug.name,
                    track.profile,
                    f"{plan_id}-s{first_number + number:03d}",
                    None,
                    None,
                ),
            )
        )
    return raws, start_parts


def _engine_for(
    regimen: Regimen, pace: Pace, order: TaperOrder | Sequence[str], factor_set: FactorSet
) -> tuple[_Engine, list[_Track]]:
    tracks, scale = _tracks(regimen.medications, factor_set)
    return _Engine(tracks, scale, pace, order), tracks


def _state_of(medication: Medication, track: _Track) -> _State:
    family = track.family
    amounts = tuple(family.steps(a.amount.amount)[0] for a in medication.administrations)
    return amounts, tuple(medication.interval(a) for a in medication.administrations)


def _resolve_pace(regimen: Regimen, pace: Pace | str | None, start: dt.date) -> tuple[Pace, str]:
    if isinstance(pace, Pace):
        return pace, f"pace {pace.name} given by the caller"
    if isinstance(pace, str):
        return preset(pace), f"pace {pace} given by the caller"
    if regimen.pace is not None:
        return regimen.pace, f"pace {regimen.pace.name} from the regimen's [pace] table"
    chosen, why = default_pace(regimen.context.on_opioids_since, start)
    return chosen, f"default pace {chosen.name}: {why}"


def _refusals(regimen: Regimen, pace: Pace, *, supervised: bool) -> None:
    for index, medication in enumerate(regimen.medications):
        reason = oud_refusal_reason(medication)
        if reason is not None:
            raise RefusedError(f"medication[{index}]: {reason}")
    if pace.supervised_only and not (supervised or regimen.context.supervised):
        raise RefusedError(
            f"the {pace.name} pace is only for patients under close supervision; pass supervised=True "
            "(or set context.supervised = true) if that is the case, or choose another pace"
        )


def plan_taper(
    regimen: Regimen,
    *,
    start: dt.date,
    pace: Pace | str | None = None,
    order: TaperOrder | Sequence[str] = "long-acting-first",
    factors: str | FactorSet | None = None,
    supervised: bool = False,
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

    Returns:
        A :class:`TaperPlan`: the same input always gives the same plan.

    Raises:
        RefusedError: a medication for opioid use disorder, or a
            supervised-only pace without supervision.
        PlanningError: no dispensable step fits the pace's cap (the message
            names the fix).
        NotApplicableError: the factor set cannot convert a dose.
    """
    factor_set = resolve_factor_set(factors)
    chosen, reason = _resolve_pace(regimen, pace, start)
    _refusals(regimen, chosen, supervised=supervised)
    order_name = order if isinstance(order, str) else "explicit: " + ", ".join(order)
    engine, tracks = _engine_for(regimen, chosen, order, factor_set)
    baseline = tuple(_state_of(m, t) for m, t in zip(regimen.medications, tracks, strict=True))
    originals = tuple(t.measure_int(s) for t, s in zip(tracks, baseline, strict=True))
    plan_id = _plan_id(regimen, start, chosen, order_name, factor_set.name)
    raws, baseline_parts = _cuts(
        engine, tracks, baseline, originals, plan_id=plan_id, first_number=1, first_index=0
    )
    steps = _date_steps(raws, start)
    return TaperPlan(
        id=plan_id,
        revision=0,
        regimen=regimen,
        pace=chosen,
        pace_reason=reason,
        order=order_name,
        factor_set=factor_set.name,
        start=start,
        baseline=baseline_parts,
        baseline_total_mme_per_day=_total_mme(baseline_parts),
        steps=steps,
        warnings=_plan_warnings(regimen, chosen, baseline_parts, factor_set, steps),
        adjuncts=suggest_adjuncts(regimen.context, total_mme=_total_mme(baseline_parts)),
    )


def _plan_warnings(
    regimen: Regimen,
    pace: Pace,
    baseline: Sequence[MedicationDose],
    factor_set: FactorSet,
    steps: Sequence[Step],
) -> tuple[Notice, ...]:
    total = _total_mme(baseline)
    # What the MME warnings read of each medication: whether a factor applies is
    # what the baseline's MME says (mme_warnings of medication_mme parts, cached).
    reads = tuple(
        (m.drug, m.form, p.mme_per_day is None)
        for m, p in zip(regimen.medications, baseline, strict=True)
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
    if any(
        step.notes and step.kind is StepKind.CUT and "shorter than the expected" in step.notes[0]
        for step in steps
    ):
        result.append(notice("steps-shorter-than-window"))
    result.extend(regimen_safety_warnings(regimen, total_mme=total))
    result.extend(dst_time_warnings(regimen, start=steps[0].start, end=steps[-1].end))
    result.extend(regimen.notices)
    return tuple(dict.fromkeys(result))


# -- pause and re-plan -------------------------------------------------------------


def _raw_of(step: Step, *, days: int | None = None) -> _Raw:
    """An undated copy of ``step`` (to re-date it after a pause or re-plan)."""
    return _Raw(
        kind=step.kind.value,
        days=step.days if days is None else days,
        parts=step.medications,
        cut_fraction=step.cut_fraction,
        cut_drug=step.cut_drug,
        profile=step.withdrawal_profile,
        key=step.id,
        note=next((n for n in step.notes if n.startswith("pause:")), None),
        replanned_from=step.replanned_from,
    )


def _period(parts: Sequence[MedicationDose]) -> int:
    """The days after which every dose of ``parts`` falls on the same day again."""
    return lcm(1, *(d.every_days for p in parts for d in p.doses))


def _whole(days: int, period: int) -> int:
    """``days`` rounded up to whole ``period``s."""
    return -(-days // period) * period


def pause_plan(plan: TaperPlan, *, on: dt.date, days: int) -> TaperPlan:
    """See :meth:`TaperPlan.pause`."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise PlanningError(f"pause days must be a whole number from 1 to 365, not {days!r}")
    step = plan.step_on(on)
    if step.kind is StepKind.STOP and on > step.start:
        raise PlanningError(
            f"{on.isoformat()} is after the stop ({step.start.isoformat()}); nothing to hold"
        )
    raws = [_raw_of(s) for s in plan.steps]
    key = f"{step.id}-hold-{on.isoformat()}"
    # A step covers whole dosing intervals (alternate days, patch changes):
    # the hold starts at the next whole interval and lasts whole intervals.
    before = _whole((on - step.start).days, _period(step.medications))
    if before >= step.days:
        # The hold would start after this step: postpone the next cut instead.
        step = plan.steps[step.index + 1]
        before = 0
    position = step.index
    if before == 0:
        # Postpone this step's cut: hold the previous dose.
        held = plan.baseline if position == 0 else plan.steps[position - 1].medications
        if step.replanned_from is not None:
            # The patient was re-planned from other doses: those are what is held.
            held = step.replanned_from
        days = _whole(days, _period(held))
        pause = _Raw(
            kind="pause",
            days=days,
            parts=held,
            cut_fraction=Decimal(0),
            cut_drug=None,
            profile=None,
            key=key,
            note=f"pause: the dose before this cut is held for {days} days",
            replanned_from=step.replanned_from,
        )
        postponed = raws[position]._replace(replanned_from=None)
        new_raws = [*raws[:position], pause, postponed, *raws[position + 1 :]]
    else:
        days = _whole(days, _period(step.medications))
        held_raw = _raw_of(step, days=step.days - before + days)._replace(
            kind="pause",
            cut_fraction=Decimal(0),
            cut_drug=None,
            profile=None,
            key=key,
            note=f"pause: this dose is held {days} days longer",
            replanned_from=None,
        )
        new_raws = [*raws[:position], _raw_of(step, days=before), held_raw, *raws[position + 1 :]]
    steps = _date_steps(new_raws, plan.start)
    return attrs.evolve(plan, steps=steps, revision=plan.revision + 1)


def replan(
    plan: TaperPlan,
    *,
    on: dt.date,
    regimen: Regimen | None = None,
    pace: Pace | str | None = None,
    supervised: bool = False,
) -> TaperPlan:
    """Continue a plan from what the patient actually takes on ``on``.

    Steps before ``on`` are kept as they were (the one in effect is cut short,
    but a step with a cut still lasts its pace's minimum, so the first new cut
    may come a few days after ``on``); from there a new schedule follows from
    ``regimen`` (default: the doses in effect the day before) at ``pace``
    (default: the plan's). The original baseline stays the reference for
    original-based paces. New steps reuse the identifiers of the steps they
    replace, so calendar exports update rather than duplicate; a product the
    new regimen adds joins the plan's medication list.

    Raises:
        PlanningError: ``on`` is outside the plan, or no step fits the cap.
        RefusedError: as :func:`plan_taper`.
    """
    chosen = plan.pace if pace is None else (pace if isinstance(pace, Pace) else preset(pace))
    step = plan.step_on(on)
    if step.kind is StepKind.CUT and step.start < on:
        # A cut step still lasts its minimum before the next cut.
        earliest = step.start + dt.timedelta(days=plan.pace.min_step_days)
        on = min(max(on, earliest), step.end + dt.timedelta(days=1))
    if step.start < on <= step.end:
        # ... and covers whole dosing intervals.
        on = step.start + dt.timedelta(
            days=_whole((on - step.start).days, _period(step.medications))
        )
        on = min(on, step.end + dt.timedelta(days=1))
    step = plan.step_on(on)
    if regimen is not None:
        new_regimen = regimen
    elif on == plan.start:
        new_regimen = plan.regimen
    else:
        # What the patient takes now: the dose in effect the day before.
        new_regimen = _regimen_on(plan, plan.step_on(on - dt.timedelta(days=1)))
    _refusals(new_regimen, chosen, supervised=supervised)
    factor_set = resolve_factor_set(plan.factor_set)
    order: TaperOrder | Sequence[str] = "long-acting-first"
    if plan.order == "short-acting-first":
        order = "short-acting-first"
    elif plan.order == "proportional":
        order = "proportional"
    elif plan.order.startswith("explicit: "):
        order = plan.order.removeprefix("explicit: ").split(", ")
    engine, tracks = _engine_for(new_regimen, chosen, order, factor_set)
    current = tuple(_state_of(m, t) for m, t in zip(new_regimen.medications, tracks, strict=True))
    originals = _originals_for(plan, tracks, engine.scale)
    taken = {t.medication.product for t in tracks}
    engine.stopped_original = sum(
        round(Fraction(p.mme_per_day) * engine.scale)
        for p in plan.baseline
        if p.product not in taken and p.mme_per_day is not None
    )
    kept = [_raw_of(s) for s in plan.steps if s.end < on]
    if step.start < on <= step.end:
        kept.append(_raw_of(step, days=(on - step.start).days))
    first_number = 1 + max((n for n in (_number(r.key) for r in kept) if n is not None), default=0)
    fresh = _raws(
        engine,
        tracks,
        current,
        originals,
        plan_id=plan.id,
        first_number=first_number,
        first_index=len(kept),
    )
    # Keep every step's medications aligned with one list: the plan's, plus
    # any product the new regimen adds.
    known = {m.product for m in plan.regimen.medications}
    added = tuple(m for m in new_regimen.medications if m.product not in known)
    merged = (*plan.regimen.medications, *added)
    offset = len(plan.regimen.medications)
    extra = tuple(_stopped(offset + i, m, factor_set) for i, m in enumerate(added))
    kept = [r._replace(parts=(*r.parts, *extra)) for r in kept]
    fresh = [r._replace(parts=_aligned(r.parts, merged, factor_set)) for r in fresh]
    # When the patient takes other doses than planned, the first new step
    # records them: its cut is measured against them (never a "cut" that cuts
    # nothing against the planned step before).
    planned = kept[-1].parts if kept else (*plan.baseline, *extra)
    actual = _aligned(
        tuple(_medication_dose(t, c) for t, c in zip(tracks, current, strict=True)),
        merged,
        factor_set,
    )
    if fresh and _amounts(actual) != _amounts(planned):
        fresh[0] = fresh[0]._replace(replanned_from=actual)
    return attrs.evolve(
        plan,
        regimen=attrs.evolve(plan.regimen, medications=merged),
        pace=chosen,
        pace_reason=plan.pace_reason
        if pace is None
        else f"pace {chosen.name} given at re-planning on {on.isoformat()}",
        steps=_date_steps([*kept, *fresh], plan.start),
        revision=plan.revision + 1,
    )


def _amounts(
    parts: Sequence[MedicationDose],
) -> list[tuple[Product, tuple[tuple[dt.time, Decimal, int], ...]]]:
    """What is taken, by product: each dose's time, amount and interval (not its units)."""
    return sorted(
        (
            (p.product, tuple((d.time, d.amount.amount, d.every_days) for d in p.doses))
            for p in parts
        ),
        key=lambda item: item[0].name,
    )


def _stopped(index: int, medication: Medication, factor_set: FactorSet) -> MedicationDose:
    """A medication taken no more (all amounts zero)."""
    factor = factor_set.factor_for(medication.product, medication.daily_amount)
    return MedicationDose(
        index=index,
        product=medication.product,
        doses=(),
        daily_amount=Quantity(0, medication.dose_unit),
        mme_per_day=None if factor is None else Decimal(0),
        smallest_unit=medication.unit_set.smallest_unit,
    )


def _aligned(
    parts: Sequence[MedicationDose], medications: Sequence[Medication], factor_set: FactorSet
) -> tuple[MedicationDose, ...]:
    """``parts`` re-indexed to ``medications`` by product (absent ones stopped)."""
    by_product = {p.product: p for p in parts}
    result = []
    for index, medication in enumerate(medications):
        part = by_product.get(medication.product)
        if part is None:
            result.append(_stopped(index, medication, factor_set))
        else:
            result.append(attrs.evolve(part, index=index))
    return tuple(result)


def _regimen_on(plan: TaperPlan, step: Step) -> Regimen:
    """The regimen in effect during ``step``, as a regimen of the same medications."""
    from taperplan._regimen import Administration  # noqa: PLC0415

    medications = []
    for medication, part in zip(plan.regimen.medications, step.medications, strict=True):
        if not part.doses:
            continue
        every = min(d.every_days for d in part.doses)
        # The strengths the patient holds now: the step's units and those stated at the start.
        units = {u.strength for d in part.doses for u in d.units}
        held = sorted(units | set(medication.strengths), key=lambda q: q.amount)
        medications.append(
            attrs.evolve(
                medication,
                strengths=tuple(held),
                administrations=tuple(
                    Administration(
                        d.time, d.amount, None if d.every_days == every else d.every_days
                    )
                    for d in part.doses
                ),
                every_days=every,
            )
        )
    if not medications:
        raise PlanningError("nothing is taken at that date; there is nothing to re-plan")
    return attrs.evolve(plan.regimen, medications=tuple(medications))


def _originals_for(plan: TaperPlan, tracks: Sequence[_Track], scale: int) -> tuple[int, ...]:
    """The plan's baseline measure for each new medication, in the engine's
    integer scale (matched by product; a product new to the plan counts from
    its current dose)."""
    result = []
    for track in tracks:
        match = next((p for p in plan.baseline if p.product == track.medication.product), None)
        if match is None:
            result.append(track.measure_int(_state_of(track.medication, track)))
        elif match.mme_per_day is not None and track.factor is not None:
            result.append(round(Fraction(match.mme_per_day) * scale))
        else:
            result.append(round(Fraction(match.daily_amount.amount) * scale))
    return tuple(result)


def _number(step_id: str) -> int | None:
    """The running number of a step identifier (``tp-…-s007`` → 7)."""
    _, _, tail = step_id.rpartition("-s")
    return int(tail) if tail.isdigit() else None

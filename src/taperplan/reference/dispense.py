"""What a pharmacy can dispense: making an amount from real units.

A :class:`UnitSet` knows the strengths of one medication's product family that
may be used, whether a tablet may be halved, the syringe resolution for oral
solutions and the most pieces one administration may take. It answers two
questions exactly (integer arithmetic on scaled ``Decimal`` amounts): can this
amount be given, and with which units?
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import cache, lru_cache
from math import gcd

import attrs

from taperplan.reference.products import Form
from taperplan.units import Quantity, Unit, format_decimal

_HALF = Decimal("0.5")


@attrs.frozen
class UnitCount:
    """How many of one strength to take at one time.

    ``count`` is a number of tablets, capsules or patches (halves allowed
    where the tablet may be split) or, for an oral solution, millilitres.
    """

    strength: Quantity
    count: Decimal
    label: str | None = None

    @property
    def strength_text(self) -> str:
        """The strength as printed on the product (``12 mcg/h`` for the patch that
        delivers 12.5)."""
        return self.label if self.label is not None else str(self.strength)

    @property
    def amount(self) -> Quantity:
        """The amount these units give (mg, or mcg/h for patches)."""
        if self.strength.unit is Unit.MG_PER_ML:
            return Quantity(self.strength.amount * self.count, Unit.MG)
        return Quantity(self.strength.amount * self.count, self.strength.unit)

    def describe(self, form: Form) -> str:
        """``1½ × 15 mg tablet``, ``2.5 mL of 2 mg/mL``, ``2 × 25 mcg/h patch``."""
        if form is Form.ORAL_SOLUTION:
            return f"{format_decimal(self.count)} mL of {self.strength_text}"
        return f"{count_number(self.count)} × {self.strength_text} {counted_noun(form, self.count)}"


#: The parts of a tablet a count may end in: halves as the planner makes them, and
#: quarters of a buprenorphine tablet in an initiation.
_PARTS = {Decimal("0.25"): "¼", Decimal("0.5"): "½", Decimal("0.75"): "¾"}


def count_number(count: Decimal) -> str:
    """A count of tablets, capsules or patches as a label prints it: ``1½``, ``½``, ``2``,
    ``¼`` (halves, and the quarters of an initiation's tablets)."""
    whole = int(count)
    part = count - whole
    return (str(whole) if whole else "") + (_PARTS.get(part, format_decimal(part)) if part else "")


def counted_noun(form: Form, count: Decimal) -> str:
    """The form's unit for ``count`` of them: ``tablet``, ``tablets``, ``patches``."""
    noun = form.unit_noun
    if count > 1:
        noun += "es" if noun.endswith("ch") else "s"
    return noun


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@cache
def _layout(
    strengths: tuple[Quantity, ...],
    splittable: bool,  # noqa: FBT001 - a cache key
) -> tuple[Decimal, int, tuple[int, ...], tuple[int, ...]]:
    """Integer sizes of whole and half units: (scale, divisor, wholes, halves)."""
    whole = [s.amount for s in strengths]
    halves = [s.amount * _HALF for s in strengths] if splittable else []
    places = max(_places(v) for v in [*whole, *halves])
    scale = Decimal(10) ** places
    divisor = 0
    for size in [*whole, *halves]:
        divisor = gcd(divisor, int(size * scale))
    return (
        scale,
        divisor,
        tuple(int(v * scale) // divisor for v in whole),
        tuple(int(h * scale) // divisor for h in halves),
    )


@cache
def _min_pieces(sizes: tuple[int, ...], limit: int, max_pieces: int) -> tuple[tuple[int, ...], ...]:
    """For every total 0..limit, the fewest-pieces counts per size (or () if impossible).

    Ties go to the decomposition using larger sizes first, so results are
    deterministic.
    """
    unreachable: tuple[int, ...] = ()
    best: list[tuple[int, ...]] = [unreachable] * (limit + 1)
    best[0] = (0,) * len(sizes)
    pieces = [max_pieces + 1] * (limit + 1)
    pieces[0] = 0
    for total in range(1, limit + 1):
        for index in range(len(sizes) - 1, -1, -1):
            size = sizes[index]
            rest = total - size
            if rest < 0 or not best[rest] or pieces[rest] + 1 > max_pieces:
                continue
            if pieces[rest] + 1 < pieces[total]:
                counts = list(best[rest])
                counts[index] += 1
                best[total] = tuple(counts)
                pieces[total] = pieces[rest] + 1
    return tuple(best)


def _pairs(values: Iterable[tuple[Quantity, str]]) -> tuple[tuple[Quantity, str], ...]:
    return tuple((strength, text) for strength, text in values)


def _sorted_strengths(values: Iterable[Quantity]) -> tuple[Quantity, ...]:
    return tuple(sorted(set(values), key=lambda q: q.amount))


def reachable(unit_set: UnitSet, grid: Decimal, top: int) -> tuple[int, ...]:
    """Every amount from 1 to ``top`` steps of ``grid`` that ``unit_set`` can
    make from tablets or patches (whole units, at most one half), ascending.

    ``grid`` must divide every unit and half-unit size (see the planner).
    """
    scale, divisor, sizes, halves = _layout(unit_set.strengths, unit_set.splittable)
    # One step of the layout, in steps of ``grid``.
    ratio = Decimal(divisor) / scale / grid
    if ratio != ratio.to_integral_value():  # pragma: no cover - grid comes from the same sizes
        raise ValueError("grid does not divide the unit sizes")
    step = int(ratio)
    limit = max(sizes) * unit_set.max_pieces
    table = _min_pieces(sizes, limit, unit_set.max_pieces)
    found = set()
    for goal in range(1, min(limit, top // step) + 1):
        if table[goal]:
            found.add(goal)
    for half in halves:
        for goal in range(limit + 1):
            if goal == 0 or (table[goal] and sum(table[goal]) + 1 <= unit_set.max_pieces):
                total = goal + half
                if total * step <= top:
                    found.add(total)
    return tuple(sorted(g * step for g in found))


@attrs.frozen(cache_hash=True)
class UnitSet:
    """The units one medication's doses may be made of."""

    form: Form
    strengths: tuple[Quantity, ...] = attrs.field(converter=_sorted_strengths)
    splittable: bool = False
    resolution: Quantity | None = None
    max_pieces: int = 6
    labels: tuple[tuple[Quantity, str], ...] = attrs.field(default=(), converter=_pairs)

    @property
    def smallest_unit(self) -> Quantity:
        """The smallest amount that can be given at one time (a half tablet,
        one syringe step of the weakest solution, the smallest patch)."""
        weakest = self.strengths[0]
        if self.form is Form.ORAL_SOLUTION:
            assert self.resolution is not None  # noqa: S101 - set for every solution
            return Quantity(weakest.amount * self.resolution.amount, Unit.MG)
        if self.splittable:
            return Quantity(weakest.amount * _HALF, weakest.unit)
        return weakest

    def make(self, amount: Quantity) -> tuple[UnitCount, ...] | None:
        """The units that give exactly ``amount`` at one time, or None.

        Tablets use the fewest pieces, at most one half tablet, and never
        more than ``max_pieces``; a solution uses one concentration (the
        first that measures the amount at the syringe resolution).
        """
        return _made(self, amount)

    def can_make(self, amount: Quantity) -> bool:
        """Whether ``amount`` can be given at one time."""
        return self.make(amount) is not None

    def _make_solution(self, amount: Quantity) -> tuple[UnitCount, ...] | None:
        assert self.resolution is not None  # noqa: S101 - set for every solution
        mg = amount.to(Unit.MG).amount
        for concentration in self.strengths:
            volume = mg / concentration.amount
            steps = volume / self.resolution.amount
            if steps == steps.to_integral_value():
                return (UnitCount(concentration, volume.normalize()),)
        return None

    def _make_units(self, amount: Quantity) -> tuple[UnitCount, ...] | None:
        unit = self.strengths[0].unit
        target = amount.to(unit).amount
        scale, divisor, sizes, halves = _layout(self.strengths, self.splittable)
        scaled = target * scale
        target_int = int(scaled)
        if target_int != scaled or target_int % divisor:
            return None
        goal = target_int // divisor
        limit = max(sizes) * self.max_pieces
        if goal > limit:
            return None
        table = _min_pieces(sizes, limit, self.max_pieces)
        options: list[tuple[int, tuple[UnitCount, ...]]] = []
        if table[goal]:
            options.append((sum(table[goal]), self._counts(table[goal], None)))
        for index, half in enumerate(halves):
            rest = goal - half
            if rest < 0:
                continue
            if rest == 0:
                options.append((1, self._counts((0,) * len(sizes), index)))
            elif table[rest] and sum(table[rest]) + 1 <= self.max_pieces:
                options.append((sum(table[rest]) + 1, self._counts(table[rest], index)))
        if not options:
            return None
        # Fewest pieces; a whole-tablet answer wins a tie (it comes first).
        return min(options, key=lambda option: option[0])[1]

    def _counts(self, counts: tuple[int, ...], half_index: int | None) -> tuple[UnitCount, ...]:
        result = []
        for index in range(len(self.strengths) - 1, -1, -1):
            count = Decimal(counts[index]) + (_HALF if index == half_index else 0)
            if count:
                strength = self.strengths[index]
                result.append(UnitCount(strength, count, self._label(strength)))
        return tuple(result)

    def _label(self, strength: Quantity) -> str | None:
        for delivered, text in self.labels:
            if delivered == strength:
                return text
        return None


def forget_made() -> None:
    """Empty the shared answers of :meth:`UnitSet.make` (for benchmarks of plans with
    nothing shared)."""
    _made.cache_clear()


@lru_cache(maxsize=1 << 15)
def _made(unit_set: UnitSet, amount: Quantity) -> tuple[UnitCount, ...] | None:
    """:meth:`UnitSet.make`, shared by every plan that makes the same amount from
    the same units (both are immutable values; the answer is a tuple)."""
    if amount.is_zero():
        return ()
    if unit_set.form is Form.ORAL_SOLUTION:
        return unit_set._make_solution(amount)
    return unit_set._make_units(amount)

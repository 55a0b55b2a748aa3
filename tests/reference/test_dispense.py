"""What a pharmacy can dispense (taperplan.reference.dispense): each answer of ``UnitSet.make`` and
``reachable`` checked against a brute-force count of every way the units combine."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import unit_sets
from taperplan import Quantity, Unit
from taperplan.reference.dispense import UnitCount, UnitSet, count_number, counted_noun, reachable
from taperplan.reference.products import Form

HALF = Decimal("0.5")


def _ways(unit_set: UnitSet) -> dict[Decimal, tuple[int, bool]]:
    """Every amount the units give at one time, with its fewest pieces and whether
    that fewest can be had from whole units only (a half tablet counts as a piece)."""
    sizes = [s.amount for s in unit_set.strengths]
    halves = [size * HALF for size in sizes] if unit_set.splittable else []
    best: dict[Decimal, tuple[int, bool]] = {}

    def note(total: Decimal, pieces: int, whole: bool) -> None:
        known = best.get(total)
        if known is None or pieces < known[0] or (pieces == known[0] and whole and not known[1]):
            best[total] = (pieces, whole)

    for pieces in range(1, unit_set.max_pieces + 1):
        for combo in itertools.combinations_with_replacement(sizes, pieces):
            note(sum(combo, Decimal(0)), pieces, whole=True)
        for combo in itertools.combinations_with_replacement(sizes, pieces - 1):
            for half in halves:
                note(sum(combo, Decimal(0)) + half, pieces, whole=False)
    return best


def _grid(unit_set: UnitSet) -> Decimal:
    """The largest amount every unit and half unit is a whole multiple of."""
    sizes = [s.amount for s in unit_set.strengths]
    if unit_set.splittable:
        sizes += [size * HALF for size in sizes]
    scale = Decimal(100)
    divisor = reduce(math.gcd, (int(v * scale) for v in sizes))
    return Decimal(divisor) / scale


def _pieces(units: tuple[UnitCount, ...]) -> int:
    return sum(int(u.count) + (1 if u.count % 1 else 0) for u in units)


@given(unit_sets(), st.data())
def test_make_finds_the_fewest_pieces_or_says_none(unit_set: UnitSet, data: st.DataObject) -> None:
    """For any amount on the units' grid: ``make`` gives exactly that amount in the
    fewest pieces (whole units on a tie, at most one half, halves only of a scored
    tablet), and None exactly when no way within ``max_pieces`` exists."""
    ways = _ways(unit_set)
    grid = _grid(unit_set)
    top = max(s.amount for s in unit_set.strengths) * unit_set.max_pieces
    steps = data.draw(st.integers(1, int(top / grid) + 3))
    amount = Quantity(grid * steps, unit_set.strengths[0].unit)
    made = unit_set.make(amount)
    if amount.amount not in ways:
        assert made is None
        return
    assert made is not None
    assert sum((u.amount.amount for u in made), Decimal(0)) == amount.amount
    pieces, whole = ways[amount.amount]
    assert _pieces(made) == pieces
    halves = [u for u in made if u.count % 1]
    assert len(halves) <= 1
    assert not halves or unit_set.splittable
    if whole:
        assert not halves
    assert all(u.strength in unit_set.strengths for u in made)


@given(unit_sets(), st.data())
def test_reachable_lists_exactly_what_make_can_make(unit_set: UnitSet, data: st.DataObject) -> None:
    """``reachable`` (the planner's menu) lists, in grid steps, exactly the amounts up to
    ``top`` that the brute force finds."""
    grid = _grid(unit_set)
    top_amount = max(s.amount for s in unit_set.strengths) * unit_set.max_pieces
    top = data.draw(st.integers(1, int(top_amount / grid) + 2))
    menu = reachable(unit_set, grid, top)
    expected = sorted(int(a / grid) for a in _ways(unit_set) if a / grid <= top)
    assert list(menu) == expected


@given(unit_sets(solution=True), st.integers(1, 400))
def test_a_solution_dose_is_one_concentration_on_the_syringe_grid(
    unit_set: UnitSet, tenths: int
) -> None:
    """An oral solution's dose is measured from one concentration, the weakest that gives
    a whole number of syringe steps; None where none does."""
    amount = Quantity(Decimal(tenths) / 10, Unit.MG)
    made = unit_set.make(amount)
    assert unit_set.resolution is not None
    step = unit_set.resolution.amount
    fitting = [c for c in unit_set.strengths if (amount.amount / c.amount / step) % 1 == 0]
    if not fitting:
        assert made is None
        return
    assert made is not None
    assert len(made) == 1
    (unit,) = made
    assert unit.strength == fitting[0]
    assert unit.count * unit.strength.amount == amount.amount
    assert unit.count % step == 0


def test_zero_is_no_units_and_the_smallest_unit_is_a_half_a_step_or_a_patch() -> None:
    tablets = UnitSet(Form.IR_TABLET, (Quantity(Decimal(5), Unit.MG),), splittable=True)
    assert tablets.make(Quantity(Decimal(0), Unit.MG)) == ()
    assert tablets.smallest_unit == Quantity(Decimal("2.5"), Unit.MG)
    solution = UnitSet(
        Form.ORAL_SOLUTION,
        (Quantity(Decimal(1), Unit.MG_PER_ML), Quantity(Decimal(20), Unit.MG_PER_ML)),
        resolution=Quantity(Decimal("0.5"), Unit.ML),
    )
    assert solution.smallest_unit == Quantity(Decimal("0.5"), Unit.MG)
    patches = UnitSet(Form.PATCH, (Quantity(Decimal(25), Unit.MCG_PER_H),))
    assert patches.smallest_unit == Quantity(Decimal(25), Unit.MCG_PER_H)


@pytest.mark.parametrize(
    ("count", "form", "text"),
    [
        (Decimal("1.5"), Form.IR_TABLET, "1½ × 15 mg tablets"),
        (Decimal("0.5"), Form.IR_TABLET, "½ × 15 mg tablet"),
        (Decimal(1), Form.IR_TABLET, "1 × 15 mg tablet"),
        (Decimal(2), Form.PATCH, "2 × 15 mg patches"),
    ],
)
def test_units_are_described_as_a_label_says(count: Decimal, form: Form, text: str) -> None:
    assert UnitCount(Quantity(Decimal(15), Unit.MG), count).describe(form) == text


def test_the_12_patch_is_printed_as_labelled_and_counted_as_it_delivers() -> None:
    """The "12 mcg/h" fentanyl patch delivers 12.5 mcg/h (§4a): counted as 12.5, printed
    as on its box."""
    unit = UnitCount(Quantity(Decimal("12.5"), Unit.MCG_PER_H), Decimal(1), "12 mcg/h")
    assert unit.strength_text == "12 mcg/h"
    assert unit.amount == Quantity(Decimal("12.5"), Unit.MCG_PER_H)


@pytest.mark.parametrize(
    ("count", "number", "noun"),
    [
        (Decimal("0.5"), "½", "tablet"),
        (Decimal(1), "1", "tablet"),
        (Decimal("1.5"), "1½", "tablets"),
        (Decimal(3), "3", "tablets"),
    ],
)
def test_one_way_to_write_a_count(count: Decimal, number: str, noun: str) -> None:
    """Every export writes a count and its noun the same way (the calendar, the handout and
    the units' own description)."""
    assert count_number(count) == number
    assert counted_noun(Form.IR_TABLET, count) == noun
    assert counted_noun(Form.PATCH, Decimal(2)) == "patches"

"""Choosing the cuts: a depth-first search from the regimen to the stop.

Each step takes the most preferred move (see :mod:`._moves`); when a path
dead-ends (no move within the rules), the search backs up and tries the next
move of the step before, remembering the states it has found dead. Every move
lowers a total, so every path ends. How long each step lasts follows from its
cut and the pace (interfaces.md §4a rule 3).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import ceil, lcm
from typing import NamedTuple

from taperplan._pace import Pace
from taperplan.planning._lanes import State
from taperplan.planning._moves import Move, MoveKind, MoveMaker

#: The most steps one plan may have; a pace that needs more is refused.
MAX_STEPS = 400
#: The most states the search opens before it gives up on a regimen.
MAX_VISITS = 20_000


class SearchFailed(Exception):
    """No path to the stop keeps the rules (``deepest`` is the longest tried)."""

    def __init__(self, deepest: list[Move], *, too_long: bool = False) -> None:
        self.deepest = deepest
        self.too_long = too_long
        super().__init__("no plan")


def search(maker: MoveMaker, baseline: State, *, first_cut: bool = True) -> list[Move]:
    """The moves from ``baseline`` to the stop, most preferred first.

    Raises:
        SearchFailed: no path keeps the rules (or one needs more than
            :data:`MAX_STEPS` steps).
    """
    path: list[Move] = []
    states = [baseline]
    frames = [iter(maker.moves(baseline, first=first_cut, held=False))]
    dead: set[State] = set()
    deepest: list[Move] = []
    visits = 0
    while frames:
        move = next(frames[-1], None)
        if move is None:
            frames.pop()
            dead.add(states.pop())
            if path:
                path.pop()
            continue
        if move.kind is not MoveKind.HOLD and move.state in dead:
            continue
        path.append(move)
        states.append(move.state)
        if len(path) > len(deepest):
            deepest = list(path)
        if not any(lane.amount for drug in move.state for lane in drug):
            return path
        if len(path) >= MAX_STEPS:
            raise SearchFailed(deepest, too_long=True)
        visits += 1
        if visits > MAX_VISITS:
            break
        first = first_cut and all(m.kind is MoveKind.HOLD for m in path)
        frames.append(iter(maker.moves(move.state, first=first, held=True)))
    raise SearchFailed(deepest)


class Timing(NamedTuple):
    """A step's length and the numbers behind it."""

    days: int
    fraction: Fraction
    p: Fraction


def period(state: State) -> int:
    """The days after which every dose of ``state`` falls on the same day again
    (whole patch changes, whole alternate days)."""
    return lcm(1, *(lane.every for drug in state for lane in drug if lane.amount))


def step_timing(pace: Pace, move: Move) -> Timing:
    """How long the step that ``move`` begins lasts (rule 3): at least the pace's
    interval, and ``every_days × c ÷ p`` for a cut of fraction ``c`` larger than
    the pace's fraction ``p``, in whole dosing intervals."""
    rate = move.rate
    whole = period(move.state)
    if move.kind is MoveKind.HOLD:
        return Timing(-(-pace.every_days // whole) * whole, Fraction(0), rate.p)
    fraction, days = _fraction_days(
        move.cut,
        rate.reference_num,
        rate.reference_den,
        rate.p_num,
        rate.p_den,
        pace.every_days,
        pace.min_step_days,
    )
    return Timing(-(-days // whole) * whole, fraction, rate.p)


@lru_cache(maxsize=1 << 14)
def _fraction_days(
    cut: int, ref_num: int, ref_den: int, p_num: int, p_den: int, every_days: int, min_days: int
) -> tuple[Fraction, int]:
    """A cut's fraction and its step's least length (whole numbers in, cached)."""
    if not ref_num:
        return Fraction(1), max(every_days, min_days)
    fraction = Fraction(cut * ref_den, ref_num)
    # ceil(every_days × c ÷ p) in whole numbers.
    rated = -(-every_days * cut * ref_den * p_den // (ref_num * p_num))
    return fraction, max(every_days, min_days, rated)

"""Choosing the cuts: a depth-first search from the regimen to the stop.

Each step takes the most preferred move (see :mod:`._moves`); when a path
dead-ends (no move within the rules), the search backs up and tries the next
move of the step before, remembering the states it has found dead. Every move
lowers a total, so every path ends. How long each step lasts follows from its
cut and the pace (interfaces.md §4a rule 3).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from functools import lru_cache
from math import lcm
from typing import NamedTuple

from taperplan.planning._lanes import State
from taperplan.planning._measure import Move, MoveKind
from taperplan.planning._moves import MoveMaker
from taperplan.reference.paces import Pace

#: The most steps one plan may have; a pace that needs more is refused.
MAX_STEPS = 400
#: The most states the search opens before it gives up on a regimen (the clinic
#: panel's plans open at most about 180 beyond their own steps).
MAX_VISITS = 2_000


class DeadEndError(Exception):
    """No path to the stop keeps the rules (``deepest`` is the longest tried)."""

    def __init__(
        self, deepest: list[Move], *, too_long: bool = False, gave_up: int | None = None
    ) -> None:
        self.deepest = deepest
        self.too_long = too_long
        #: The states opened when the search stopped at its limit (None: every path
        #: was tried).
        self.gave_up = gave_up
        super().__init__("no plan")


def search(
    maker: MoveMaker, baseline: State, *, first_cut: bool = True, held: bool = False
) -> list[Move]:
    """The moves from ``baseline`` to the stop, most preferred first.

    ``held`` says whether ``baseline`` has already been taken for at least the
    pace's interval (a re-plan from the doses a plan gave, on the day its next
    step starts); a regimen's own baseline has not.

    Each state's preferred move is found on its own (:meth:`MoveMaker.preferred`);
    the others are made only when the search backs up to that state.

    Raises:
        DeadEndError: no path keeps the rules (or one needs more than
            :data:`MAX_STEPS` steps).
    """
    path: list[Move] = []
    frames: list[_Frame] = [_Frame(maker, baseline, first_cut, held=held)]
    dead: set[State] = set()
    deepest: list[Move] = []
    visits = 0
    while frames:
        frame = frames[-1]
        move = frame.next()
        if move is None:
            frames.pop()
            dead.add(frame.state)
            if path:
                path.pop()
            continue
        if move.kind is not MoveKind.HOLD and move.state in dead:
            continue
        path.append(move)
        if len(path) > len(deepest):
            deepest = list(path)
        if not any(lane.amount for drug in move.state for lane in drug):
            return path
        if len(path) >= MAX_STEPS:
            raise DeadEndError(deepest, too_long=True)
        visits += 1
        if visits > MAX_VISITS:
            raise DeadEndError(deepest, gave_up=MAX_VISITS)
        first = first_cut and all(m.kind is MoveKind.HOLD for m in path)
        frames.append(_Frame(maker, move.state, first, held=True))
    raise DeadEndError(deepest)


class _Frame:
    """One state on the search's path: its preferred move first, then (only if the
    search backs up to it) the others."""

    __slots__ = ("first", "held", "maker", "others", "state", "tried")

    def __init__(self, maker: MoveMaker, state: State, first: bool, *, held: bool) -> None:  # noqa: FBT001
        self.maker = maker
        self.state = state
        self.first = first
        self.held = held
        self.tried: State | None = None
        self.others: Iterator[Move] | None = None

    def next(self) -> Move | None:
        if self.others is None:
            if self.tried is None:
                move = self.maker.preferred(self.state, first=self.first, held=self.held)
                if move is not None:
                    self.tried = move.state
                    return move
            self.others = self.maker.moves(self.state, first=self.first, held=self.held)
        for move in self.others:
            if move.state != self.tried or move.kind is MoveKind.HOLD:
                return move
        return None


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
def _fraction_days(  # noqa: PLR0917 - whole numbers as a cache key
    cut: int, ref_num: int, ref_den: int, p_num: int, p_den: int, every_days: int, min_days: int
) -> tuple[Fraction, int]:
    """A cut's fraction and its step's least length (whole numbers in, cached)."""
    if not ref_num:
        return Fraction(1), max(every_days, min_days)
    fraction = Fraction(cut * ref_den, ref_num)
    # ceil(every_days × c ÷ p) in whole numbers.
    rated = -(-every_days * cut * ref_den * p_den // (ref_num * p_num))
    return fraction, max(every_days, min_days, rated)

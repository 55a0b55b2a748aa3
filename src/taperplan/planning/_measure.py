"""What a move is, and what every move from a plan's state is measured against.

A :class:`Move` is one step the planner may take: the state it leads to and its
cut in the layout's scaled measure. A :class:`Scope` holds one state's daily
amounts, measures and group totals; a :class:`Measure` holds one plan's layout,
pace and original totals, and measures a drug's move from a scope against them
(the pace's limits at that state, :mod:`._rate`), making it a plan's
:class:`Move`. Which moves to offer, in which order, is :mod:`._moves`'s job.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

from taperplan.planning._family import DrugMove, DrugState
from taperplan.planning._lanes import Layout, State
from taperplan.planning._offsets import staggered
from taperplan.planning._rate import PaceAt, pace_limits
from taperplan.reference.paces import Pace


class MoveKind(enum.Enum):
    """How a step changes the doses."""

    CUT = "cut"
    SUBSTITUTE = "substitute"
    COARSE = "coarse"
    SPACE = "space"
    STOP = "stop"
    PATCH_STOP = "patch-stop"
    HOLD = "hold"


class Move(NamedTuple):
    """One step the planner may take: the state it leads to and its cut in the
    layout's scaled measure (``previous`` is the group's total before it)."""

    state: State
    kind: MoveKind
    drug: int
    group: int
    cut: int
    previous: int
    rate: PaceAt


class Scope:
    """One state and what every move from it is measured against."""

    __slots__ = ("dailies", "first", "limits", "measures", "state", "totals")

    def __init__(
        self,
        state: State,
        dailies: list[int],
        measures: list[int],
        totals: list[int],
        *,
        first: bool,
    ) -> None:
        self.state = state
        self.dailies = dailies
        self.measures = measures
        self.totals = totals
        self.first = first
        self.limits: dict[int, PaceAt] = {}


class Measure:
    """One plan's layout, pace and original totals, and the measure of its moves."""

    def __init__(
        self,
        layout: Layout,
        pace: Pace,
        originals: Sequence[int] | Sequence[Fraction],
        *,
        stop_at: int,
        end_at: int,
    ) -> None:
        self.layout = layout
        self.pace = pace
        self.cap = Fraction(pace.max_step_fraction)
        self.originals = tuple(Fraction(o) for o in originals)
        self.stop_at = stop_at
        self.end_at = end_at
        self._methadone = [d.name == "methadone" for d in layout.drugs]
        self._factors = [(d.factor or Fraction(1)) * layout.scale for d in layout.drugs]
        self._patch = [d.family.patch for d in layout.drugs]

    def _scope(self, state: State, first: bool) -> Scope:  # noqa: FBT001
        layout = self.layout
        dailies = [d.family.daily(s) for d, s in zip(layout.drugs, state, strict=True)]
        measures = [d.measure(daily) for d, daily in zip(layout.drugs, dailies, strict=True)]
        totals = [sum(measures[d] for d in group) for group in layout.groups]
        return Scope(state, dailies, measures, totals, first=first)

    def limits(self, scope: Scope, drug: int) -> PaceAt:
        """The pace at this state for a cut of ``drug`` (worked out once a state)."""
        known = scope.limits.get(drug)
        if known is not None:
            return known
        place = self.layout.drugs[drug]
        previous = scope.totals[place.group]
        methadone = self._methadone[drug] and previous > self.end_at
        original = self.originals[place.group]
        factor = self._factors[drug]
        known = pace_limits(
            self.pace,
            original.numerator,
            original.denominator,
            previous,
            scope.first,
            factor.numerator,
            factor.denominator,
            scope.measures[drug] if methadone else None,
            self.stop_at if self.layout.group_mme[place.group] else 0,
        )
        scope.limits[drug] = known
        return known

    def _cut(self, scope: Scope, drug: int, move: DrugMove) -> int:
        place = self.layout.drugs[drug]
        return scope.measures[drug] - place.measure(scope.dailies[drug] - move.delta)

    def _others_stopped(self, scope: Scope, drug: int) -> bool:
        """Whether every other drug of ``drug``'s group takes nothing."""
        group = self.layout.drugs[drug].group
        return all(
            not scope.measures[d] and not scope.dailies[d]
            for d in self.layout.groups[group]
            if d != drug
        )

    def _stops_group_of_many(self, scope: Scope, drug: int) -> bool:
        """Whether stopping ``drug`` would stop a group that takes more than one dose
        (a stop within the ceiling comes only from a single dose: the VA's 15 mg at
        bedtime, then stop; else only as an end move)."""
        return self._others_stopped(scope, drug) and not self._single_dose(scope, drug)

    def _single_dose(self, scope: Scope, drug: int) -> bool:
        """Whether the group's one live dose is this drug's only one."""
        state = scope.state[drug]
        return sum(1 for lane in state if lane.amount) == 1 and self._others_stopped(scope, drug)

    def _state(self, scope: Scope, drug: int, new: DrugState) -> State:
        """The plan's state with ``drug`` at ``new``, its spaced doses staggered."""
        return staggered(self._patch, scope.state, drug, new)

    def _plan_move(self, scope: Scope, drug: int, move: DrugMove, kind: MoveKind, cut: int) -> Move:
        group = self.layout.drugs[drug].group
        return Move(
            self._state(scope, drug, move.state),
            kind,
            drug,
            group,
            cut,
            scope.totals[group],
            self.limits(scope, drug),
        )

    def _group_stop(self, scope: Scope, group: int, kind: MoveKind) -> Move:
        layout = self.layout
        state = list(scope.state)
        for drug in layout.groups[group]:
            state[drug] = layout.drugs[drug].family.zero
        first = next(d for d in layout.groups[group] if scope.measures[d] or scope.dailies[d])
        cut = scope.totals[group]
        return Move(tuple(state), kind, first, group, cut, cut, self.limits(scope, first))

"""The next steps from a plan's state, in the order the planner prefers them.

Each drug's family offers its dispensable moves (:mod:`._family`); this module
measures them against the plan (interfaces.md §4a) and orders them:

1. **cuts** with the products in use within the pace's ceiling (rule 2);
2. **substitutions** where those cannot: the same drug's immediate-release
   tablet or oral solution takes over part of a dose (rule 4);
3. only where neither exists, the **exceptions**: a cut of at most the drug's
   finest unit a day (a product with no finer form) or an end move (rule 5).

Once a group's total is at or below 5 MME/day its stop is the only move.
Within each kind, the moves of the first *tier* in the taper order come first
(one drug's long- or short-acting products), closest to the pace's target;
then fewer dose times dropped, then the smaller cut.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from typing import Literal, NamedTuple

from taperplan.planning._alternatives import cuts, exceptions, substitutions
from taperplan.planning._family import DrugMove, DrugState
from taperplan.planning._lanes import Layout, State
from taperplan.planning._nearest import nearest_cut, nearest_substitution
from taperplan.planning._offsets import covered, staggered
from taperplan.planning._rate import PaceAt, pace_limits
from taperplan.reference.paces import Pace
from taperplan.reference.products import WithdrawalProfile

TaperOrder = Literal["long-acting-first", "short-acting-first", "proportional"]
"""A named taper order (or give a sequence of drug names)."""

_LONG_ACTING = frozenset(
    {
        WithdrawalProfile.LONG_ACTING,
        WithdrawalProfile.METHADONE,
        WithdrawalProfile.TRANSDERMAL,
        WithdrawalProfile.BUPRENORPHINE,
    }
)


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


class _Scope:
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


class MoveMaker:
    """Every move of one plan: the layout, the pace and the taper order."""

    def __init__(
        self,
        layout: Layout,
        pace: Pace,
        order: TaperOrder | Sequence[str],
        originals: Sequence[int] | Sequence[Fraction],
        *,
        stop_at: int,
        end_at: int,
    ) -> None:
        self.layout = layout
        self.pace = pace
        self.cap = Fraction(pace.max_step_fraction)
        self.order = order
        self.originals = tuple(Fraction(o) for o in originals)
        self.stop_at = stop_at
        self.end_at = end_at
        self._methadone = [d.name == "methadone" for d in layout.drugs]
        self._factors = [(d.factor or Fraction(1)) * layout.scale for d in layout.drugs]
        self._names = [] if isinstance(order, str) else list(order)
        self._patch = [d.family.patch for d in layout.drugs]
        self._drug_originals = [
            d.measure(d.family.daily(s)) for d, s in zip(layout.drugs, layout.baseline, strict=True)
        ]
        self._tramadol = [d.name == "tramadol" for d in layout.drugs]
        # Per drug and local medication: long-acting or not (for the taper order).
        self._long = [
            {
                m: d.family.lanes[d.family.by_medication[m][0]].product.profile in _LONG_ACTING
                for m in d.family.medications
            }
            for d in layout.drugs
        ]
        # Per drug, its long- and short-acting classes: (long, medications, lanes).
        self._classes = []
        for drug, place in enumerate(layout.drugs):
            classes = []
            for long in (True, False):
                members = frozenset(
                    m for m in place.family.medications if self._long[drug][m] == long
                )
                if members:
                    lanes = tuple(
                        p for p, spec in enumerate(place.family.lanes) if spec.medication in members
                    )
                    classes.append((long, members, lanes))
            self._classes.append(classes)

    # -- measuring -------------------------------------------------------------

    def limits(self, scope: _Scope, drug: int) -> PaceAt:
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

    def _cut(self, scope: _Scope, drug: int, move: DrugMove) -> int:
        place = self.layout.drugs[drug]
        return scope.measures[drug] - place.measure(scope.dailies[drug] - move.delta)

    def _others_stopped(self, scope: _Scope, drug: int) -> bool:
        """Whether every other drug of ``drug``'s group takes nothing."""
        group = self.layout.drugs[drug].group
        return all(
            not scope.measures[d] and not scope.dailies[d]
            for d in self.layout.groups[group]
            if d != drug
        )

    def _stops_group_of_many(self, scope: _Scope, drug: int) -> bool:
        """Whether stopping ``drug`` would stop a group that takes more than one dose
        (a stop within the ceiling comes only from a single dose: the VA's 15 mg at
        bedtime, then stop; else only as an end move)."""
        return self._others_stopped(scope, drug) and not self._single_dose(scope, drug)

    def _single_dose(self, scope: _Scope, drug: int) -> bool:
        """Whether the group's one live dose is this drug's only one."""
        state = scope.state[drug]
        return sum(1 for lane in state if lane.amount) == 1 and self._others_stopped(scope, drug)

    def _state(self, scope: _Scope, drug: int, new: DrugState) -> State:
        """The plan's state with ``drug`` at ``new``, its spaced doses staggered."""
        return staggered(self._patch, scope.state, drug, new)

    def _plan_move(
        self, scope: _Scope, drug: int, move: DrugMove, kind: MoveKind, cut: int
    ) -> Move:
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

    # -- the order -------------------------------------------------------------

    def tiers(self, scope: _Scope) -> list[tuple[int, frozenset[int]]]:
        """The live drugs' tiers, in the order to try a cut: (drug, its long- or
        short-acting medications), whose moves compete."""
        keyed = []
        for drug, classes in enumerate(self._classes):
            state = scope.state[drug]
            fam = self.layout.drugs[drug].family
            for long, members, lanes in classes:
                size = 0
                for position in lanes:
                    lane = state[position]
                    if lane.amount:
                        size += fam.contribution(position, lane)
                if size:
                    keyed.append((self._tier_key(scope, drug, long, size), (drug, members)))
        if len(keyed) > 1:
            keyed.sort(key=lambda item: item[0])
        return [tier for _, tier in keyed]

    def _tier_key(self, scope: _Scope, drug: int, long: bool, size: int) -> tuple[object, ...]:  # noqa: FBT001
        if self.order == "proportional":
            # Each step cuts the drug furthest from its share: the most of its own dose left.
            start = self._drug_originals[drug]
            share = Fraction(scope.measures[drug], start) if start else Fraction(0)
            return (-share, drug, not long)
        if isinstance(self.order, str):
            place = (0 if long else 1) if self.order == "long-acting-first" else (1 if long else 0)
            return (place, self._tramadol[drug], -size * self.layout.drugs[drug].mult, drug)
        name = self.layout.drugs[drug].name
        return (
            self._names.index(name) if name in self._names else len(self._names),
            drug,
            not long,
        )

    # -- the moves -------------------------------------------------------------

    def _scope(self, state: State, first: bool) -> _Scope:  # noqa: FBT001
        layout = self.layout
        dailies = [d.family.daily(s) for d, s in zip(layout.drugs, state, strict=True)]
        measures = [d.measure(daily) for d, daily in zip(layout.drugs, dailies, strict=True)]
        totals = [sum(measures[d] for d in group) for group in layout.groups]
        return _Scope(state, dailies, measures, totals, first=first)

    def _stop_due(self, scope: _Scope) -> Move | None:
        """At or below 5 MME/day the next step is the stop (rule 5)."""
        for group, total in enumerate(scope.totals):
            if self.layout.group_mme[group] and 0 < total <= self.stop_at:
                return self._group_stop(scope, group, MoveKind.STOP)
        return None

    def preferred(self, state: State, *, first: bool, held: bool) -> Move | None:
        """The first move :meth:`moves` would give, found without making the others."""
        scope = self._scope(state, first)
        due = self._stop_due(scope)
        if due is not None:
            return due
        tiers = self.tiers(scope)
        fits = self._fits(state)
        if not any(self.layout.drugs[drug].bands for drug, _ in tiers):
            for drug, members in tiers:
                move = self._nearest_cut(scope, drug, members)
                if move is not None and fits(move):
                    return move
            for drug, members in tiers:
                move = self._nearest_substitution(scope, drug, members)
                if move is not None and fits(move):
                    return move
        return next(filter(fits, self._ordered(scope, tiers, held=held)), None)

    def moves(self, state: State, *, first: bool, held: bool) -> Iterator[Move]:
        """Every move from ``state``, most preferred first.

        ``held`` says whether ``state`` has been taken for at least the pace's
        interval within the plan (every state but the baseline has).
        """
        scope = self._scope(state, first)
        due = self._stop_due(scope)
        if due is not None:
            yield due
            return
        yield from filter(self._fits(state), self._ordered(scope, self.tiers(scope), held=held))

    def _fits(self, state: State) -> Callable[[Move], bool]:
        """Rule 6: a move leaves no day without a dose unless one dose is left (or
        the state before it already had such days: a regimen taken that way)."""
        if not covered(self._patch, state):
            return lambda move: True
        return lambda move: covered(self._patch, move.state)

    def _ordered(
        self, scope: _Scope, tiers: list[tuple[int, frozenset[int]]], *, held: bool
    ) -> Iterator[Move]:
        for drug, members in tiers:
            yield from self._cuts(scope, drug, members)
        for drug, members in tiers:
            yield from self._substitutions(scope, drug, members)
        seen: set[int] = set()
        for drug, _ in tiers:
            if drug not in seen:
                seen.add(drug)
                yield from self._exceptions(scope, drug, held=held)

    def _cuts(self, scope: _Scope, drug: int, members: frozenset[int]) -> Iterator[Move]:
        """Cuts within the ceiling, closest to the target first: the nearest found
        by arithmetic at once, the others only if the search backs up."""
        if self.layout.drugs[drug].bands:
            yield from self._all_cuts(scope, drug, members, skip=None)
            return
        first = self._nearest_cut(scope, drug, members)
        if first is None:
            return  # not even the smallest cut is within the ceiling
        yield first
        yield from self._all_cuts(scope, drug, members, skip=first.state)

    def _nearest_cut(self, scope: _Scope, drug: int, members: frozenset[int]) -> Move | None:
        place = self.layout.drugs[drug]
        found = nearest_cut(
            place.family,
            scope.state[drug],
            members,
            self.limits(scope, drug),
            place.mult,
            stops_many=self._others_stopped(scope, drug),
        )
        if found is None:
            return None
        chosen, cut = found
        return self._plan_move(
            scope, drug, DrugMove(chosen, 0, 0, 0, 0, 2, stops=False, order=0), MoveKind.CUT, cut
        )

    def _all_cuts(
        self, scope: _Scope, drug: int, members: frozenset[int], *, skip: State | None
    ) -> Iterator[Move]:
        """Every cut within the ceiling, closest to the target first."""
        limits = self.limits(scope, drug)
        fam = self.layout.drugs[drug].family
        cap, t_num, t_den = limits.cap, limits.target_num, limits.target_den
        keyed = []
        for number, move in enumerate(cuts(fam, scope.state[drug]).iterate()):
            cut = self._cut(scope, drug, move)
            if cut > cap:
                break
            if move.medication not in members or (
                move.stops and self._stops_group_of_many(scope, drug)
            ):
                continue
            keyed.append(((abs(cut * t_den - t_num), move.dropped, cut, number), move, cut))
        keyed.sort(key=lambda item: item[0])
        for _, move, cut in keyed:
            planned = self._plan_move(scope, drug, move, MoveKind.CUT, cut)
            if planned.state != skip:
                yield planned

    def _substitutions(self, scope: _Scope, drug: int, members: frozenset[int]) -> Iterator[Move]:
        """Tablets before solutions; an immediate-release product taking over part of
        an extended-release dose (which stays the backbone), a solution taking over
        an immediate-release dose whole (one product at a time); then closest to
        the target. The preferred one by arithmetic at once, the others only if the
        search backs up."""
        place = self.layout.drugs[drug]
        first = None if place.bands else self._nearest_substitution(scope, drug, members)
        if first is None and not place.bands:
            return  # none within the ceiling
        if first is not None:
            yield first
        limits = self.limits(scope, drug)
        keyed = []
        for number, move in enumerate(substitutions(place.family, scope.state[drug]).iterate()):
            cut = self._cut(scope, drug, move)
            if cut > limits.cap:
                break
            if move.medication not in members:
                continue
            keep = move.dropped if move.coarse == 0 else -move.dropped
            distance = abs(cut * limits.target_den - limits.target_num)
            keyed.append(((move.finer, keep, distance, cut, number), move, cut))
        keyed.sort(key=lambda item: item[0])
        for _, move, cut in keyed:
            planned = self._plan_move(scope, drug, move, MoveKind.SUBSTITUTE, cut)
            if first is None or planned.state != first.state:
                yield planned

    def _nearest_substitution(
        self, scope: _Scope, drug: int, members: frozenset[int]
    ) -> Move | None:
        place = self.layout.drugs[drug]
        found = nearest_substitution(
            place.family, scope.state[drug], members, self.limits(scope, drug), place.mult
        )
        if found is None:
            return None
        chosen, cut = found
        move = DrugMove(chosen, 0, 0, 0, 0, 2, stops=False, order=0)
        return self._plan_move(scope, drug, move, MoveKind.SUBSTITUTE, cut)

    def _group_stop(self, scope: _Scope, group: int, kind: MoveKind) -> Move:
        layout = self.layout
        state = list(scope.state)
        for drug in layout.groups[group]:
            state[drug] = layout.drugs[drug].family.zero
        first = next(d for d in layout.groups[group] if scope.measures[d] or scope.dailies[d])
        cut = scope.totals[group]
        return Move(tuple(state), kind, first, group, cut, cut, self.limits(scope, first))

    def _exceptions(self, scope: _Scope, drug: int, *, held: bool) -> Iterator[Move]:
        """End moves (rule 5) and cuts of at most the drug's finest unit a day
        (rule 2); each is held proportionally longer (rule 3)."""
        fam = self.layout.drugs[drug].family
        group = self.layout.drugs[drug].group
        found = exceptions(fam, scope.state[drug])
        single = self._single_dose(scope, drug)
        if single and found.spaced_stop:
            # The stop from a single smallest dose taken less than once a day.
            yield self._group_stop(scope, group, MoveKind.STOP)
            return
        if single and found.spaced is not None:
            yield self._plan_move(
                scope, drug, found.spaced, MoveKind.SPACE, self._cut(scope, drug, found.spaced)
            )
        if found.patch_stop is not None:
            if not held:
                # The smallest patch is worn alone for the pace's interval first.
                yield Move(scope.state, MoveKind.HOLD, drug, group, 0, 0, self.limits(scope, drug))
            else:
                move = found.patch_stop
                yield self._plan_move(
                    scope, drug, move, MoveKind.PATCH_STOP, self._cut(scope, drug, move)
                )
        others = self._others_stopped(scope, drug)
        for move in found.coarse:
            if not (move.stops and others):
                yield self._plan_move(
                    scope, drug, move, MoveKind.COARSE, self._cut(scope, drug, move)
                )

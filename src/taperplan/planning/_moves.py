"""The next steps from a plan's state, in the order the planner prefers them.

Each drug's family offers its dispensable moves (:mod:`._family`); this module
measures them against the plan (:mod:`._measure`, interfaces.md §4a) and orders
them:

1. **cuts** with the products in use within the pace's ceiling (rule 2);
2. **substitutions** where those cannot: the same drug's immediate-release
   tablet or oral solution takes over part of a dose (rule 4);
3. only where neither exists, the **exceptions**: a cut of at most the drug's
   finest unit a day (a product with no finer form) or an end move (rule 5).

Once a group's total is at or below 5 MME/day its stop is the only move.
Within each kind, the moves of the first *tier* in the taper order
(:mod:`._order`: one drug's long- or short-acting products) come first,
closest to the pace's target; then fewer dose times dropped, then the
smaller cut.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction

from taperplan.planning._alternatives import cuts, exceptions, substitutions
from taperplan.planning._family import DrugMove
from taperplan.planning._lanes import Layout, State
from taperplan.planning._measure import Measure, Move, MoveKind, Scope
from taperplan.planning._nearest import nearest_cut, nearest_substitution
from taperplan.planning._offsets import covered
from taperplan.planning._order import TaperOrder, TierOrder
from taperplan.reference.paces import Pace


class MoveMaker(Measure):
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
        super().__init__(layout, pace, originals, stop_at=stop_at, end_at=end_at)
        self.tier_order = TierOrder(layout, order)

    def _stop_due(self, scope: Scope) -> Move | None:
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
        tiers = self.tier_order.tiers(scope)
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
        yield from filter(
            self._fits(state), self._ordered(scope, self.tier_order.tiers(scope), held=held)
        )

    def _fits(self, state: State) -> Callable[[Move], bool]:
        """Rule 6: a move leaves no day without a dose unless one dose is left (or
        the state before it already had such days: a regimen taken that way)."""
        if not covered(self._patch, state):
            return lambda move: True
        return lambda move: covered(self._patch, move.state)

    def _ordered(
        self, scope: Scope, tiers: list[tuple[int, frozenset[int]]], *, held: bool
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

    def _cuts(self, scope: Scope, drug: int, members: frozenset[int]) -> Iterator[Move]:
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

    def _nearest_cut(self, scope: Scope, drug: int, members: frozenset[int]) -> Move | None:
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
        self, scope: Scope, drug: int, members: frozenset[int], *, skip: State | None
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

    def _substitutions(self, scope: Scope, drug: int, members: frozenset[int]) -> Iterator[Move]:
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
        self, scope: Scope, drug: int, members: frozenset[int]
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

    def _exceptions(self, scope: Scope, drug: int, *, held: bool) -> Iterator[Move]:
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

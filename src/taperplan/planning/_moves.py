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
from collections.abc import Iterator, Sequence
from fractions import Fraction
from functools import lru_cache
from math import floor
from typing import NamedTuple

from taperplan._catalogue import WithdrawalProfile
from taperplan._pace import Pace
from bisect import bisect_left, bisect_right

from taperplan.planning._family import SPACED_EVERY, DrugFamily, DrugMove, DrugState, LaneState
from taperplan.planning._lanes import Layout, State

TaperOrder = str | Sequence[str]

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


class PaceAt(NamedTuple):
    """The pace at one state for a cut of one drug, as whole numbers (ratios as
    numerator and denominator): the rate ``p``, the total a cut's fraction is
    measured against, the target cut, and the largest cut within the ceiling (and
    methadone's slower limit)."""

    p_num: int
    p_den: int
    reference_num: int
    reference_den: int
    target_num: int
    target_den: int
    cap: int

    @property
    def p(self) -> Fraction:
        """The pace's fraction per interval at this point."""
        return Fraction(self.p_num, self.p_den)


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

    def __init__(self, state: State, dailies: list[int], measures: list[int], totals: list[int], first: bool) -> None:
        self.state = state
        self.dailies = dailies
        self.measures = measures
        self.totals = totals
        self.first = first
        self.limits: dict[int, PaceAt] = {}


@lru_cache(maxsize=1 << 16)
def _pace_limits(
    pace: Pace,
    original_num: int,
    original_den: int,
    previous: int,
    first: bool,  # noqa: FBT001 - a cache key
    factor_num: int,
    factor_den: int,
    methadone: int | None,
) -> PaceAt:
    """:class:`PaceAt` from what it depends on, all whole numbers (shared by plans
    that meet the same totals at the same pace, and never tracked by the garbage
    collector)."""
    rate = pace.rate(
        original=Fraction(original_num, original_den),
        previous=Fraction(previous),
        first=first,
        amount_factor=Fraction(factor_num, factor_den),
    )
    cap = floor(Fraction(pace.max_step_fraction) * rate.reference)
    if methadone is not None:
        # Methadone: no cut above the pace's percent of its own dose while the
        # total is above the end of the taper (long, variable half-life).
        cap = min(cap, floor(rate.p * methadone))
    return PaceAt(
        rate.p.numerator,
        rate.p.denominator,
        rate.reference.numerator,
        rate.reference.denominator,
        rate.target.numerator,
        rate.target.denominator,
        cap,
    )


class MoveMaker:
    """Every move of one plan: the layout, the pace and the taper order."""

    def __init__(
        self,
        layout: Layout,
        pace: Pace,
        order: TaperOrder,
        originals: Sequence[int | Fraction],
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
        self._tramadol = [d.name == "tramadol" for d in layout.drugs]
        # Per drug and local medication: long-acting or not (for the taper order).
        self._long = [
            {m: d.family.lanes[d.family.by_medication[m][0]].product.profile in _LONG_ACTING for m in d.family.medications}
            for d in layout.drugs
        ]

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
        known = _pace_limits(
            self.pace,
            original.numerator,
            original.denominator,
            previous,
            scope.first,
            factor.numerator,
            factor.denominator,
            scope.measures[drug] if methadone else None,
        )
        scope.limits[drug] = known
        return known

    def _cut(self, scope: _Scope, drug: int, move: DrugMove) -> int:
        place = self.layout.drugs[drug]
        return scope.measures[drug] - place.measure(scope.dailies[drug] - move.delta)

    def _others_stopped(self, scope: _Scope, drug: int) -> bool:
        """Whether every other drug of ``drug``'s group takes nothing."""
        group = self.layout.drugs[drug].group
        return all(not scope.measures[d] and not scope.dailies[d] for d in self.layout.groups[group] if d != drug)

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
        """The plan's state with ``drug`` at ``new``: a newly spaced dose staggered
        against the others, and, where only spaced doses are left, their offsets
        kept apart (rule 6: no day without a dose unless a single dose is spaced)."""
        old = scope.state[drug]
        state = list(scope.state)
        for position, (before, after) in enumerate(zip(old, new, strict=True)):
            if before.amount and after.amount and after.every == SPACED_EVERY and before.every != SPACED_EVERY:
                state[drug] = new
                counts = self._offsets(state, exclude=(drug, position))
                offset = 0 if counts[0] <= counts[1] else 1
                new = (*new[:position], LaneState(after.amount, after.every, offset), *new[position + 1 :])
        state[drug] = new
        if not self._covered(state):
            state = self._restaggered(state, drug)
        return tuple(state)

    def _offsets(self, state: Sequence[DrugState], exclude: tuple[int, int] = (-1, -1)) -> list[int]:
        counts = [0, 0]
        for d, lanes in enumerate(state):
            if self.layout.drugs[d].family.patch:
                continue
            for p, lane in enumerate(lanes):
                if lane.amount and lane.every == SPACED_EVERY and (d, p) != exclude:
                    counts[lane.offset] += 1
        return counts

    def _covered(self, state: Sequence[DrugState]) -> bool:
        """Whether every day has a dose, or only one dose is left (spaced or not)."""
        live = 0
        for d, lanes in enumerate(state):
            for lane in lanes:
                if lane.amount:
                    if self.layout.drugs[d].family.patch or lane.every == 1:
                        return True
                    live += 1
        if live <= 1:
            return True
        counts = self._offsets(state)
        return counts[0] > 0 and counts[1] > 0

    def _restaggered(self, state: list[DrugState], moved: int) -> list[DrugState]:
        """Move one spaced dose to the other days: one of the drug just cut where it
        has one (no other drug's schedule changes), else the last."""
        spaced = [
            (d, p)
            for d, lanes in enumerate(state)
            if not self.layout.drugs[d].family.patch
            for p, lane in enumerate(lanes)
            if lane.amount and lane.every == SPACED_EVERY
        ]
        own = [item for item in spaced if item[0] == moved]
        d, p = (own or spaced)[-1]
        lane = state[d][p]
        state[d] = (*state[d][:p], LaneState(lane.amount, lane.every, 1 - lane.offset), *state[d][p + 1 :])
        return state

    def _plan_move(self, scope: _Scope, drug: int, move: DrugMove, kind: MoveKind, cut: int) -> Move:
        group = self.layout.drugs[drug].group
        return Move(self._state(scope, drug, move.state), kind, drug, group, cut, scope.totals[group], self.limits(scope, drug))

    # -- the order -------------------------------------------------------------

    def tiers(self, scope: _Scope) -> list[tuple[int, frozenset[int]]]:
        """The live drugs' tiers, in the order to try a cut: (drug, its long- or
        short-acting medications), whose moves compete."""
        keyed = []
        for drug, place in enumerate(self.layout.drugs):
            state = scope.state[drug]
            fam = place.family
            live = {fam.lanes[p].medication for p, lane in enumerate(state) if lane.amount}
            for long in (True, False):
                members = frozenset(m for m in live if self._long[drug][m] == long)
                if members:
                    keyed.append((self._tier_key(scope, drug, long, members), (drug, members)))
        keyed.sort(key=lambda item: item[0])
        return [tier for _, tier in keyed]

    def _tier_key(self, scope: _Scope, drug: int, long: bool, members: frozenset[int]) -> tuple[object, ...]:
        if self.order == "proportional":
            start = self.originals[self.layout.drugs[drug].group]
            share = Fraction(scope.measures[drug]) / start if start else Fraction(0)
            return (-share, drug, not long)
        if isinstance(self.order, str):
            place = (0 if long else 1) if self.order == "long-acting-first" else (1 if long else 0)
            fam = self.layout.drugs[drug].family
            state = scope.state[drug]
            size = sum(fam.contribution(p, lane) for p, lane in enumerate(state) if fam.lanes[p].medication in members)
            return (place, self._tramadol[drug], -size * self.layout.drugs[drug].mult, drug)
        names = list(self.order)
        name = self.layout.drugs[drug].name
        return (names.index(name) if name in names else len(names), drug, not long)

    # -- the moves -------------------------------------------------------------

    def moves(self, state: State, *, first: bool, held: bool) -> Iterator[Move]:
        """Every move from ``state``, most preferred first.

        ``held`` says whether ``state`` has been taken for at least the pace's
        interval within the plan (every state but the baseline has).
        """
        layout = self.layout
        dailies = [d.family.daily(s) for d, s in zip(layout.drugs, state, strict=True)]
        measures = [d.measure(daily) for d, daily in zip(layout.drugs, dailies, strict=True)]
        totals = [sum(measures[d] for d in group) for group in layout.groups]
        scope = _Scope(state, dailies, measures, totals, first)
        for group, total in enumerate(totals):
            if layout.group_mme[group] and 0 < total <= self.stop_at:
                # At or below 5 MME/day the next step is the stop (rule 5).
                yield self._group_stop(scope, group, MoveKind.STOP)
                return
        tiers = self.tiers(scope)
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
        """The preferred cut of a drug whose measure is linear in its daily amount:
        each lane's menu bisected at the target (and the ceiling), and the even-cut
        chain of each medication followed up to the target; only the winner's state
        is built."""
        place = self.layout.drugs[drug]
        fam = place.family
        state = scope.state[drug]
        limits = self.limits(scope, drug)
        cap, t_num, t_den = limits.cap, limits.target_num, limits.target_den
        mult = place.mult
        live_count = sum(1 for lane in state if lane.amount)
        stops_many = live_count > 1 and self._others_stopped(scope, drug)
        best: tuple[int, int, int, int] | None = None
        # How to build the winner: ("chain", medication, steps) or ("lane", position, state).
        recipe: tuple[object, ...] = ()
        for medication in fam.medications:
            if medication not in members:
                continue
            steps = dropped = delta = 0
            live = sum(1 for p in fam.by_medication[medication] if state[p].amount)
            for after, contribution_cut, emptied in self._chain_steps(fam, state, medication):
                steps += 1
                delta += contribution_cut
                dropped += emptied
                cut = delta * mult
                if cut > cap:
                    break
                if not (stops_many and dropped == live and live_count == live):
                    key = (abs(cut * t_den - t_num), dropped, cut, 0)
                    if best is None or key < best:
                        best, recipe = key, ("chain", medication, steps)
                if cut * t_den >= t_num:
                    break
        for position, now in enumerate(state):
            if not now.amount or fam.lanes[position].medication not in members:
                continue
            # One lane lower: the menu amounts either side of the target, within the
            # ceiling: (a − m)·unit reaches the target, (a − m)·unit ≤ cap.
            unit = (1 if fam.patch else fam.day_scale // now.every) * mult
            menu = fam.menus[position]
            below = bisect_left(menu, now.amount)
            reach = bisect_right(menu, (now.amount * unit * t_den - t_num) // (unit * t_den), 0, below) - 1
            start = max(reach, bisect_left(menu, now.amount - cap // unit, 0, below))
            for index in (start, start + 1):
                if 0 <= index < below:
                    cut = (now.amount - menu[index]) * unit
                    if 0 < cut <= cap:
                        key = (abs(cut * t_den - t_num), 0, cut, 1 + position)
                        if best is None or key < best:
                            best, recipe = key, ("lane", position, LaneState(menu[index], now.every, now.offset))
            if reach >= 0:
                continue
            # Every smaller amount cuts less than the target: the rest of the way down,
            # from the smallest amount (every other day, then nothing).
            way = list(state)
            if below:
                way[position] = LaneState(menu[0], now.every, now.offset)
            whole = fam.contribution(position, now)
            while way[position].amount:
                after = fam.step_down(way, position, exact=True)
                way[position] = after
                cut = (whole - fam.contribution(position, after)) * mult
                if cut > cap:
                    break
                emptied = 0 if after.amount else 1
                if not (emptied and stops_many and live_count == 1):
                    key = (abs(cut * t_den - t_num), emptied, cut, 1 + position)
                    if best is None or key < best:
                        best, recipe = key, ("lane", position, after)
                if cut * t_den >= t_num:
                    break
        if best is None:
            return None
        if recipe[0] == "chain":
            current = list(state)
            for _ in zip(range(int(recipe[2])), self._chain_steps(fam, current, int(recipe[1])), strict=False):
                pass
            chosen: DrugState = tuple(current)
        else:
            position = int(recipe[1])
            after_state = recipe[2]
            assert isinstance(after_state, LaneState)  # noqa: S101
            chosen = (*state[:position], after_state, *state[position + 1 :])
        move = DrugMove(chosen, 0, 0, 0, 0, 2, False, 0)
        return self._plan_move(scope, drug, move, MoveKind.CUT, best[2])

    @staticmethod
    def _chain_steps(
        fam: DrugFamily, state: Sequence[LaneState], medication: int
    ) -> Iterator[tuple[LaneState, int, int]]:
        """The even-cut chain of one medication, step by step: each lowers its
        largest dose one step (a dose on alternate days is finished first; ties:
        the dose least worth keeping). Yields (the lane after, the cut of its
        contribution, 1 if it emptied); a list ``state`` is updated in place."""
        current = state if isinstance(state, list) else list(state)
        lanes = fam.by_medication[medication]
        keep = fam.keep
        patch = fam.patch
        while True:
            position = -1
            spaced = -1
            largest = -1
            for p in lanes:
                lane = current[p]
                if not lane.amount:
                    continue
                if lane.every >= SPACED_EVERY and not patch:
                    if spaced < 0 or keep[p] < keep[spaced]:
                        spaced = p
                elif spaced < 0:
                    size = fam.contribution(p, lane)
                    if size > largest or (size == largest and keep[p] < keep[position]):
                        position, largest = p, size
            if spaced >= 0:
                position = spaced
            if position < 0:
                return
            before = current[position]
            after = fam.step_down(current, position)
            current[position] = after
            yield after, fam.contribution(position, before) - fam.contribution(position, after), (
                1 if before.amount and not after.amount else 0
            )

    def _all_cuts(
        self, scope: _Scope, drug: int, members: frozenset[int], *, skip: State | None
    ) -> Iterator[Move]:
        """Every cut within the ceiling, closest to the target first."""
        limits = self.limits(scope, drug)
        fam = self.layout.drugs[drug].family
        cap, t_num, t_den = limits.cap, limits.target_num, limits.target_den
        keyed = []
        for number, move in enumerate(fam.cuts(scope.state[drug]).iterate()):
            cut = self._cut(scope, drug, move)
            if cut > cap:
                break
            if move.medication not in members or (move.stops and self._stops_group_of_many(scope, drug)):
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
        for number, move in enumerate(place.family.substitutions(scope.state[drug]).iterate()):
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

    def _nearest_substitution(self, scope: _Scope, drug: int, members: frozenset[int]) -> Move | None:
        """The preferred substitution of a drug whose measure is linear in its daily
        amount: for each way a finer lane can take over (lane, finer lane, amount
        kept), its menu bisected at the target and at the ceiling."""
        place = self.layout.drugs[drug]
        fam = place.family
        state = scope.state[drug]
        limits = self.limits(scope, drug)
        cap, t_num, t_den = limits.cap, limits.target_num, limits.target_den
        mult = place.mult
        cap_daily = cap // mult
        best: tuple[int, ...] | None = None
        chosen: DrugState | None = None
        chosen_cut = 0
        for position, now in enumerate(state):
            if not now.amount or fam.lanes[position].medication not in members:
                continue
            menu = fam.menus[position]
            below = bisect_left(menu, now.amount)
            kept_options = (menu[below - 1], 0) if below and now.every == 1 else (0,)
            for finer in fam.finer[position]:
                there = state[finer]
                if there.amount and (there.every, there.offset) != (now.every, now.offset):
                    continue
                # The finer lane is taken on the same days (a spaced dose stays so).
                weight = fam.day_scale // now.every
                finer_menu = fam.menus[finer]
                for kept_number, kept in enumerate(kept_options):
                    freed = (now.amount - kept) * weight
                    room = now.amount - kept - 1
                    low = there.amount + max(1, -(-(freed - cap_daily) // weight))
                    high = min(there.amount + room, there.amount + (freed - 1) // weight)
                    if low > high:
                        continue
                    # The amount the finer lane would give for a cut exactly at the target.
                    ideal = there.amount + (freed * mult * t_den - t_num) // (mult * t_den * weight)
                    index = bisect_right(finer_menu, ideal) - 1
                    for candidate in (index, index + 1):
                        if not 0 <= candidate < len(finer_menu):
                            continue
                        given = min(max(finer_menu[candidate], low), high)
                        spot = bisect_left(finer_menu, given)
                        if spot >= len(finer_menu) or finer_menu[spot] > high:
                            spot -= 1
                        if spot < 0 or not low <= finer_menu[spot] <= high:
                            continue
                        given = finer_menu[spot]
                        delta = freed - (given - there.amount) * weight
                        cut = delta * mult
                        if delta <= 0 or cut > cap:
                            continue
                        dropped = 0 if kept else 1
                        keep = dropped if fam.fine[position] == 0 else -dropped
                        key = (fam.fine[finer], keep, abs(cut * t_den - t_num), cut, position, finer, kept_number)
                        if best is None or key < best:
                            after = LaneState(kept, now.every, now.offset) if kept else fam.zero[position]
                            new = (*state[:position], after, *state[position + 1 :])
                            new = (*new[:finer], LaneState(given, now.every, now.offset), *new[finer + 1 :])
                            best, chosen, chosen_cut = key, new, cut
        if chosen is None:
            return None
        return self._plan_move(scope, drug, DrugMove(chosen, 0, 0, 0, 0, 2, False, 0), MoveKind.SUBSTITUTE, chosen_cut)

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
        found = fam.exceptions(scope.state[drug])
        single = self._single_dose(scope, drug)
        if single and found.spaced_stop:
            # The stop from a single smallest dose taken less than once a day.
            yield self._group_stop(scope, group, MoveKind.STOP)
            return
        if single and found.spaced is not None:
            yield self._plan_move(scope, drug, found.spaced, MoveKind.SPACE, self._cut(scope, drug, found.spaced))
        if found.patch_stop is not None:
            if not held:
                # The smallest patch is worn alone for the pace's interval first.
                yield Move(scope.state, MoveKind.HOLD, drug, group, 0, 0, self.limits(scope, drug))
            else:
                move = found.patch_stop
                yield self._plan_move(scope, drug, move, MoveKind.PATCH_STOP, self._cut(scope, drug, move))
        others = self._others_stopped(scope, drug)
        for move in found.coarse:
            if not (move.stops and others):
                yield self._plan_move(scope, drug, move, MoveKind.COARSE, self._cut(scope, drug, move))

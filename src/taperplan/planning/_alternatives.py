"""A drug family's full lists of moves, made only when the search backs up.

The planner finds each state's preferred move by arithmetic (:mod:`._nearest`);
when a path dead-ends, it needs every other move of the states on it, in order.
These are made here from the family's primitives, each list by growing cut and
only as far as read: the even-cut chains and single lanes lowered step by step
(:func:`cuts`), every way a finer product can take over part of a dose
(:func:`substitutions`), and the exceptions of rules 2 and 5
(:func:`exceptions`, remembered by the family).
"""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from typing import Any

from taperplan.planning._family import (
    SPACED_EVERY,
    STRIDE,
    DrugFamily,
    DrugMove,
    DrugState,
    Exceptions,
    LaneState,
    put,
)


def cuts(fam: DrugFamily, state: DrugState) -> _Sorted:
    """The cuts with the products in use (the even-cut chain of each medication
    and each lane one or more steps lower), by growing cut, made on demand
    (the planner's fast path finds the preferred one without them)."""
    sources = [chain(fam, state, m, 0) for m in fam.medications]
    sources += [single(fam, state, p, 1 + p) for p in range(len(state))]
    return _Sorted(fam.lock, sources)


def chain(fam: DrugFamily, state: DrugState, medication: int, order: int) -> Iterator[DrugMove]:
    """Lower the medication's largest dose one step at a time (a dose on
    alternate days is finished first; ties: the dose least worth keeping)."""
    lanes = fam.by_medication[medication]
    chain = state
    changed: set[int] = set()
    # At the smallest unit, one dose time at a time (VA: q8h → q12h → at bedtime).
    steps_left = 1 if fam.all_smallest(state) else -1
    while steps_left:
        steps_left -= 1
        live = [p for p in lanes if chain[p].amount]
        if not live:
            return
        spaced = [p for p in live if chain[p].every >= SPACED_EVERY and not fam.patch]
        if spaced:
            position = min(spaced, key=fam.keep.__getitem__)
        else:
            position = max(live, key=lambda p: (fam.contribution(p, chain[p]), -fam.keep[p]))
        chain = put(chain, position, fam.step_down(chain, position))
        changed.add(position)
        move = fam.change(state, chain, tuple(sorted(changed)), medication, order)
        if move is not None:
            yield move


def single(fam: DrugFamily, state: DrugState, position: int, order: int) -> Iterator[DrugMove]:
    """One lane one or more steps lower."""
    medication = fam.lanes[position].medication
    single = state
    while single[position].amount:
        single = put(single, position, fam.step_down(single, position))
        move = fam.change(state, single, (position,), medication, order)
        if move is not None:
            yield move


def substitutions(fam: DrugFamily, state: DrugState) -> _Sorted:
    """A finer product of the drug takes over part of a dose (rule 4), by growing
    cut, made on demand; a dose spaced to every other day may be taken over by
    a smaller daily one."""
    return _Sorted(fam.lock, list(_handovers(fam, state)))


def _handovers(fam: DrugFamily, state: DrugState, *, with_lanes: bool = False) -> Iterator[Any]:
    """One source of substitutions, by growing cut, per lane, finer lane and
    amount kept of the lane (with ``with_lanes``: (the lane, the source))."""
    number = 0
    for position, now in enumerate(state):
        if not now.amount:
            continue
        for finer, kept_options in fam.handover_options(state, position):
            for kept in kept_options:
                source = _handover(fam, state, position, finer, kept, number)
                yield (position, source) if with_lanes else source
                number += 1


def _handover(  # noqa: PLR0917 - one source of moves, made in one place
    fam: DrugFamily, state: DrugState, position: int, finer: int, kept: int, order: int
) -> Iterator[DrugMove]:
    """A finer lane takes over from ``position`` (keeping ``kept`` of it): on the
    same days (a dose spaced to every other day stays so), by growing cut."""
    now, there = state[position], state[finer]
    room = now.amount - kept - 1
    finer_menu = fam.menus[finer]
    index = bisect_left(finer_menu, there.amount + room + 1) - 1
    while index >= 0:
        given = finer_menu[index]
        if given <= there.amount:
            return
        # The next amount at least 1/128 of this one lower.
        index = min(index - 1, bisect_right(finer_menu, given - (given >> STRIDE)) - 1)
        new = put(
            state, position, LaneState(kept, now.every, now.offset) if kept else fam.zero[position]
        )
        new = put(new, finer, LaneState(given, now.every, now.offset))
        move = fam.change(state, new, (position, finer), fam.lanes[position].medication, order)
        if move is not None:
            yield move


def exceptions(fam: DrugFamily, state: DrugState) -> Exceptions:
    """The end moves and the cuts of at most the drug's finest unit a day that
    ``state`` allows (the planner checks the rest: the group, the pace)."""
    known = fam.remembered.get(state)
    if known is None:
        known = fam.remembered[state] = _find_exceptions(fam, state)
    return known


def _find_exceptions(fam: DrugFamily, state: DrugState) -> Exceptions:
    live = [i for i, lane in enumerate(state) if lane.amount]
    spaced: DrugMove | None = None
    spaced_stop = False
    patch_stop: DrugMove | None = None
    if len(live) == 1:
        position = live[0]
        now = state[position]
        if fam.patch:
            if now.amount == fam.smallest[position] == fam.catalogue_smallest[
                position
            ] and fam.menus[position][:1] == (now.amount,):
                new = put(state, position, fam.zero[position])
                patch_stop = fam.change(state, new, (position,), fam.lanes[position].medication, 0)
        elif now.every >= SPACED_EVERY and now.amount == fam.smallest[position]:
            # Any form: an extended-release dose can only be spaced at baseline.
            spaced_stop = True
        elif now.every == 1:
            spaced = _spaced_smallest(fam, state, position)
    scale = 1 if fam.patch else fam.day_scale
    coarse = []
    for position in live:
        new = put(state, position, fam.step_down(state, position, exact=True))
        move = fam.change(state, new, (position,), fam.lanes[position].medication, 0)
        if move is not None and move.delta <= fam.finest[position] * scale:
            coarse.append(move)
    for position, source in _handovers(fam, state, with_lanes=True):
        first = next(source, None)
        if first is not None and first.delta <= fam.finest[position] * scale:
            coarse.append(first)
    coarse.sort(key=lambda m: (m.delta, m.dropped))
    return Exceptions(spaced, spaced_stop, patch_stop, tuple(coarse))


def _spaced_smallest(fam: DrugFamily, state: DrugState, position: int) -> DrugMove | None:
    """A single once-daily dose of the smallest unit of an immediate-release
    product (or an extended-release dose of that amount, handed to one) taken
    every other day instead (rule 5)."""
    now = state[position]
    medication = fam.lanes[position].medication
    if fam.spaced_ok[position]:
        if now.amount != fam.smallest[position]:
            return None
        new = put(state, position, LaneState(now.amount, SPACED_EVERY, 0))
        return fam.change(state, new, (position,), medication, 0)
    for finer in fam.finer[position]:
        if (
            fam.spaced_ok[finer]
            and fam.smallest[finer] == now.amount
            and now.amount in fam.menus[finer]
        ):
            new = put(state, position, fam.zero[position])
            new = put(new, finer, LaneState(now.amount, SPACED_EVERY, 0))
            return fam.change(state, new, (position, finer), medication, 0)
    return None


class _Sorted:
    """Moves from some sources (each by growing cut), merged by growing cut and
    made as far as read."""

    __slots__ = ("_lock", "_source", "items")

    def __init__(self, lock: threading.Lock, sources: list[Iterator[DrugMove]]) -> None:
        self._lock = lock
        self.items: list[DrugMove] = []
        seen: set[DrugState] = set()

        def merged() -> Iterator[DrugMove]:
            for move in heapq.merge(*sources, key=lambda m: (m.delta, m.order)):
                if move.state not in seen:
                    seen.add(move.state)
                    yield move

        self._source: Iterator[DrugMove] | None = merged()

    def iterate(self, start: int = 0) -> Iterator[DrugMove]:
        """The moves from the ``start``-th, by growing cut."""
        index = start
        items = self.items
        while True:
            if index >= len(items):
                if self._source is None:
                    return
                with self._lock:
                    if index >= len(items) and self._source is not None:
                        following = next(self._source, None)
                        if following is None:
                            self._source = None
                        else:
                            items.append(following)
                if index >= len(items):
                    return
            yield items[index]
            index += 1

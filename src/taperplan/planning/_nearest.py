"""The preferred move of a drug, found by arithmetic without making the others.

For a drug whose measure is linear in its daily amount, the cut closest to the
target within the ceiling is found by bisecting each lane's menu and by
following each medication's even-cut chain (whose links the family remembers)
up to the target; the substitution likewise, for each way a finer lane can
take over part of a dose. Only the winner's state is built. The order of
preference is :mod:`._moves`'s: these give its first move, and the full lists
(:mod:`._alternatives`) are made only if the search backs up.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar, cast

from taperplan.planning._family import DrugFamily, DrugState, LaneState
from taperplan.planning._rate import PaceAt

_MISSING = object()
P = ParamSpec("P")
R = TypeVar("R")


def _remembered(
    find: Callable[Concatenate[DrugFamily, P], R],
) -> Callable[Concatenate[DrugFamily, P], R]:
    """``find`` with its answers remembered by the family: plans that meet the same
    state at the same pace share them, and the family forgets them with its other
    states (within the planner's bound on memory)."""
    name = find.__name__

    @functools.wraps(find)
    def remembered(fam: DrugFamily, /, *args: P.args, **kwargs: P.kwargs) -> R:
        key = (name, args, tuple(kwargs.items()))
        known = fam.nearest.get(key, _MISSING)
        if known is _MISSING:
            known = fam.nearest[key] = find(fam, *args, **kwargs)
        return cast("R", known)

    return remembered


@_remembered
def nearest_cut(
    fam: DrugFamily,
    state: DrugState,
    members: frozenset[int],
    limits: PaceAt,
    mult: int,
    *,
    stops_many: bool,
) -> tuple[DrugState, int] | None:
    """The preferred cut of a drug whose measure is linear in its daily amount:
    each lane's menu bisected at the target (and the ceiling), and the even-cut
    chain of each medication followed up to the target; only the winner's state
    is built."""
    cap, t_num, t_den = limits.cap, limits.target_num, limits.target_den
    live_count = sum(1 for lane in state if lane.amount)
    stops_many = stops_many and live_count > 1
    best: tuple[int, int, int, int] | None = None
    # The winner: a chain's drug state, or a lane's position and new state.
    winner: DrugState | None = None
    lane_winner: tuple[int, LaneState] | None = None
    for medication in fam.medications:
        if medication not in members:
            continue
        dropped = delta = 0
        live = sum(1 for p in fam.by_medication[medication] if state[p].amount)
        # At the smallest unit, one dose time at a time (VA: q8h → q12h → at bedtime).
        steps_left = 1 if fam.all_smallest(state) else -1
        current = state
        while steps_left:
            steps_left -= 1
            link = fam.chain_link(current, medication)
            if link is None:
                break
            current, step_cut, emptied = link
            delta += step_cut
            dropped += emptied
            cut = delta * mult
            if cut > cap:
                break
            if not (stops_many and dropped == live and live_count == live):
                key = (abs(cut * t_den - t_num), dropped, cut, 0)
                if best is None or key < best:
                    best, winner, lane_winner = key, current, None
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
        reach = (
            bisect_right(menu, (now.amount * unit * t_den - t_num) // (unit * t_den), 0, below) - 1
        )
        start = max(reach, bisect_left(menu, now.amount - cap // unit, 0, below))
        for index in (start, start + 1):
            if 0 <= index < below:
                cut = (now.amount - menu[index]) * unit
                if 0 < cut <= cap:
                    key = (abs(cut * t_den - t_num), 0, cut, 1 + position)
                    if best is None or key < best:
                        lane = LaneState(menu[index], now.every, now.offset)
                        best, winner, lane_winner = key, None, (position, lane)
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
                    best, winner, lane_winner = key, None, (position, after)
            if cut * t_den >= t_num:
                break
    if best is None:
        return None
    if winner is not None:
        return winner, best[2]
    assert lane_winner is not None  # noqa: S101 - best was set with one of them
    position, lane = lane_winner
    return (*state[:position], lane, *state[position + 1 :]), best[2]


@_remembered
def nearest_substitution(
    fam: DrugFamily, state: DrugState, members: frozenset[int], limits: PaceAt, mult: int
) -> tuple[DrugState, int] | None:
    """The preferred substitution of a drug whose measure is linear in its daily
    amount: for each way a finer lane can take over (lane, finer lane, amount
    kept), its menu bisected at the target and at the ceiling."""
    cap, t_num, t_den = limits.cap, limits.target_num, limits.target_den
    cap_daily = cap // mult
    best: tuple[int, ...] | None = None
    chosen: DrugState | None = None
    chosen_cut = 0
    for position, now in enumerate(state):
        if not now.amount or fam.lanes[position].medication not in members:
            continue
        for finer, kept_options in fam.handover_options(state, position):
            there = state[finer]
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
                    key = (
                        fam.fine[finer],
                        keep,
                        abs(cut * t_den - t_num),
                        cut,
                        position,
                        finer,
                        kept_number,
                    )
                    if best is None or key < best:
                        after = (
                            LaneState(kept, now.every, now.offset) if kept else fam.zero[position]
                        )
                        new = (*state[:position], after, *state[position + 1 :])
                        new = (
                            *new[:finer],
                            LaneState(given, now.every, now.offset),
                            *new[finer + 1 :],
                        )
                        best, chosen, chosen_cut = key, new, cut
    if chosen is None:
        return None
    return chosen, chosen_cut

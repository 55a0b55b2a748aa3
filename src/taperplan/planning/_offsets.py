"""Doses spaced to every other day, kept apart (interfaces.md §4a rule 6).

A dose moved to every other day takes the days its drug's and the plan's other
spaced doses leave most free; and where only spaced doses are left, they are
kept on alternate days, so that no day goes without a dose unless a single
dose is spaced out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from taperplan.planning._family import SPACED_EVERY, DrugState, LaneState

State = tuple[DrugState, ...]


def staggered(patch: Sequence[bool], state: State, drug: int, new: DrugState) -> State:
    """``state`` with ``drug`` at ``new``: a newly spaced dose staggered against the
    others, and, where only spaced doses are left, their offsets kept apart.

    Args:
        patch: per drug, whether it is worn as patches (a patch covers every day).
    """
    old = state[drug]
    result = list(state)
    for position, (before, after) in enumerate(zip(old, new, strict=True)):
        if (
            before.amount
            and after.amount
            and after.every == SPACED_EVERY
            and before.every != SPACED_EVERY
        ):
            result[drug] = new
            counts = _offsets(patch, result, exclude=(drug, position))
            offset = 0 if counts[0] <= counts[1] else 1
            new = (
                *new[:position],
                LaneState(after.amount, after.every, offset),
                *new[position + 1 :],
            )
    result[drug] = new
    if not covered(patch, result):
        result = _restaggered(patch, result, drug)
    return tuple(result)


def _offsets(
    patch: Sequence[bool], state: Sequence[DrugState], exclude: tuple[int, int] = (-1, -1)
) -> list[int]:
    """How many spaced doses fall on offset 0 and on offset 1."""
    counts = [0, 0]
    for d, lanes in enumerate(state):
        if patch[d]:
            continue
        for p, lane in enumerate(lanes):
            if lane.amount and lane.every == SPACED_EVERY and (d, p) != exclude:
                counts[lane.offset] += 1
    return counts


def covered(patch: Sequence[bool], state: Sequence[DrugState]) -> bool:
    """Whether every day has a dose, or only one dose is left (rule 6)."""
    spacings: list[tuple[int, int]] = []
    for d, lanes in enumerate(state):
        for lane in lanes:
            if lane.amount:
                if patch[d] or lane.every == 1:
                    return True
                spacings.append((lane.every, lane.offset))
    if len(spacings) <= 1:
        return True
    period = math.lcm(*(every for every, _ in spacings))
    return all(
        any((day - offset) % every == 0 for every, offset in spacings) for day in range(period)
    )


def _restaggered(patch: Sequence[bool], state: list[DrugState], moved: int) -> list[DrugState]:
    """Move one dose taken every other day to the other days so that every day has
    a dose: one of the drug just cut where that works (no other drug's schedule
    changes), else any. Where none works, ``state`` is returned as it is and the
    planner does not take the move."""
    spaced = [
        (d, p)
        for d, lanes in enumerate(state)
        if not patch[d]
        for p, lane in enumerate(lanes)
        if lane.amount and lane.every == SPACED_EVERY
    ]
    spaced.sort(key=lambda item: item[0] != moved)
    for d, p in spaced:
        lane = state[d][p]
        trial = list(state)
        trial[d] = (
            *state[d][:p],
            LaneState(lane.amount, lane.every, 1 - lane.offset),
            *state[d][p + 1 :],
        )
        if covered(patch, trial):
            return trial
    return state

"""One drug's dispensable moves, worked out once and shared by every plan.

A *drug family* is one opioid's lanes in a regimen: each lane one product
taken at one dose time (a regimen medication's administration, or a finer
product of the drug that may take over part of that dose, interfaces.md §4a
rule 4), with the units it may be made of. Amounts are whole *atoms* of the
drug (the gcd of every dispensable size of its lanes); a daily amount is in
atoms × the family's ``day_scale`` (the lcm of the intervals it uses), so
doses every other day stay whole numbers.

What a family can do from a state (its lanes' amounts, intervals and offsets)
depends on nothing else, so a family is keyed by value (:class:`FamilyKey`)
and kept in a bounded process-wide memory (:mod:`._families`): plans of
regimens with the same products meet the same states and find their moves
already worked out. The amounts a lane can give and the finer products of a
drug come from :mod:`._dispensable`. The full lists of a family's moves,
needed only when the search backs up, are made in :mod:`._alternatives`;
choosing among moves (the pace, the ceiling, the other drugs) is
:mod:`._moves`'s job.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from decimal import Decimal
from math import lcm
from typing import NamedTuple

import attrs

from taperplan.planning._dispensable import finest_unit, menu
from taperplan.reference.dispense import UnitSet
from taperplan.reference.products import Form, Product

#: Spacing a dose out goes to every other day (interfaces.md §4a rules 5 and 6).
SPACED_EVERY = 2
#: Steps of a large dose are at least 1/2**STRIDE of it (see DrugFamily.step_down).
STRIDE = 7


class LaneState(NamedTuple):
    """One lane at one step: the amount in atoms (0: not taken), the days between
    doses, and the first day of the step it is taken on."""

    amount: int
    every: int
    offset: int


DrugState = tuple[LaneState, ...]


@attrs.frozen(cache_hash=True)
class LaneSpec:
    """What a lane is, whatever the plan: its product and units, its base interval,
    its dose time's place among the drug's (``slot``) and how much that time is
    worth keeping, and which of the drug's medications it belongs to."""

    product: Product
    unit_set: UnitSet
    every: int
    slot: int
    keep: int
    medication: int
    substitute: bool


@attrs.frozen(cache_hash=True)
class FamilyKey:
    """The value a :class:`DrugFamily` is shared by."""

    lanes: tuple[LaneSpec, ...]
    atom: Decimal


class DrugMove(NamedTuple):
    """A change of one drug's lanes and what the planner reads of it."""

    state: DrugState
    delta: int
    medication: int
    dropped: int
    finer: int
    coarse: int
    stops: bool
    order: int


class Exceptions(NamedTuple):
    """The moves above a ceiling that a family may make (rules 2 and 5)."""

    spaced: DrugMove | None
    spaced_stop: bool
    patch_stop: DrugMove | None
    coarse: tuple[DrugMove, ...]


def put(state: DrugState, position: int, lane: LaneState) -> DrugState:
    """``state`` with lane ``position`` replaced by ``lane``."""
    return (*state[:position], lane, *state[position + 1 :])


class DrugFamily:
    """One drug's lanes and every move they allow (see the module docstring)."""

    def __init__(self, key: FamilyKey) -> None:
        self.key = key
        lanes = key.lanes
        self.lanes = lanes
        self.atom = key.atom
        self.patch = lanes[0].product.form is Form.PATCH
        everys = {lane.every for lane in lanes}
        self.day_scale = 1 if self.patch else lcm(SPACED_EVERY, *everys)
        self.smallest = [int(lane.unit_set.smallest_unit.amount / key.atom) for lane in lanes]
        # The product's smallest strength in the catalogue, whatever the regimen has on hand:
        # only that patch may be stopped from (§4a rule 5).
        self.catalogue_smallest = [
            int(min(strength.amount for strength in lane.product.strengths) / key.atom)
            for lane in lanes
        ]
        self.spaced_ok = [lane.product.form.fineness > 0 for lane in lanes]
        self.fine = [lane.product.form.fineness for lane in lanes]
        self.keep = [lane.keep for lane in lanes]
        self.finer = [
            [
                j
                for j, other in enumerate(lanes)
                if other.slot == lane.slot and other.product.finer_than(lane.product)
            ]
            for lane in lanes
        ]
        self.medications = sorted({lane.medication for lane in lanes})
        self.by_medication = {
            m: tuple(i for i, lane in enumerate(lanes) if lane.medication == m)
            for m in self.medications
        }
        # Per lane, the finest unit of its product or a finer form of the drug: a
        # cut of at most this much a day is the exception of rule 2.
        self.finest = [int(finest_unit(lane.product, lane.unit_set) / key.atom) for lane in lanes]
        self.zero: DrugState = tuple(
            LaneState(0, lane.every if self.patch else 1, 0) for lane in lanes
        )
        self.top = 0
        self.menus: list[tuple[int, ...]] = [() for _ in lanes]
        self._daily: dict[DrugState, int] = {}
        self.remembered: dict[DrugState, Exceptions] = {}
        self._links: dict[tuple[int, DrugState], tuple[DrugState, int, int] | None] = {}
        #: The preferred moves found by arithmetic (:mod:`._nearest`), by their inputs.
        self.nearest: dict[tuple[object, ...], object] = {}
        self.lock = threading.Lock()

    def size(self) -> int:
        """How many states this family remembers."""
        return len(self._daily) + len(self.remembered) + len(self._links) + len(self.nearest)

    def forget(self) -> None:
        """Forget every remembered state (they are worked out again on use)."""
        for table in (self._daily, self.remembered, self._links, self.nearest):
            table.clear()

    def cover(self, top: int) -> None:
        """Make every lane's menu reach ``top`` atoms (a menu up to a larger top
        holds the same amounts below, so every move worked out stays right)."""
        if top > self.top:
            self.menus = [menu(lane.unit_set, self.atom, top) for lane in self.lanes]
            self.top = top

    # -- measuring ------------------------------------------------------------

    def contribution(self, position: int, lane: LaneState) -> int:
        """A lane's share of the daily amount (atoms × day scale)."""
        if not lane.amount:
            return 0
        if self.patch:
            return lane.amount
        return lane.amount * (self.day_scale // lane.every)

    def daily(self, state: DrugState) -> int:
        """The daily amount of ``state`` (atoms × day scale; patches: atoms worn)."""
        known = self._daily.get(state)
        if known is None:
            known = sum(self.contribution(i, lane) for i, lane in enumerate(state))
            self._daily[state] = known
        return known

    def all_smallest(self, state: Sequence[LaneState]) -> bool:
        """Whether every live dose is one smallest unit of its product."""
        return all(lane.amount <= self.smallest[i] for i, lane in enumerate(state) if lane.amount)

    # -- moves ----------------------------------------------------------------

    def handover_options(
        self, state: DrugState, position: int
    ) -> Iterator[tuple[int, tuple[int, ...]]]:
        """The finer lanes that may take over from live lane ``position`` (taken on
        the same days: a spaced dose stays so), each with the amounts the lane may
        keep (the next smaller amount of its menu, when taken daily, or none)."""
        now = state[position]
        menu = self.menus[position]
        below = bisect_left(menu, now.amount)
        kept_options = (menu[below - 1], 0) if below and now.every == 1 else (0,)
        for finer in self.finer[position]:
            there = state[finer]
            if not there.amount or (there.every, there.offset) == (now.every, now.offset):
                yield finer, kept_options

    def change(
        self,
        state: DrugState,
        new: DrugState,
        changed: tuple[int, ...],
        medication: int,
        order: int,
    ) -> DrugMove | None:
        delta = 0
        dropped = 0
        finer = 0
        coarse = 2
        for position in changed:
            before, after = state[position], new[position]
            delta += self.contribution(position, before) - self.contribution(position, after)
            if before.amount and not after.amount:
                dropped += 1
            if after.amount > before.amount:
                finer = max(finer, self.fine[position])
            elif after.amount < before.amount or after.every > before.every:
                coarse = min(coarse, self.fine[position])
        if delta <= 0:
            return None
        stops = not any(lane.amount for lane in new)
        return DrugMove(new, delta, medication, dropped, finer, coarse, stops, order)

    def step_down(
        self, state: Sequence[LaneState], position: int, *, exact: bool = False
    ) -> LaneState:
        """One lane one step lower: the next smaller dispensable amount; at the
        smallest, every other day (immediate-release only, once every dose of the
        drug is at its smallest); then nothing. A spaced dose gets offset 0; the
        planner staggers it against the plan's other spaced doses.

        Unless ``exact``, a step is at least 1/128 of the dose (finer steps of a
        large dose, such as 0.5 mg of 200 mg of solution, are cuts no one could
        tell apart, and below the least ceiling a pace may set, 1%).
        """
        now = state[position]
        menu = self.menus[position]
        below = bisect_left(menu, now.amount)
        if below:
            if not exact:
                goal = now.amount - (now.amount >> STRIDE)
                if goal < menu[below - 1]:
                    index = bisect_right(menu, goal) - 1
                    if index >= 0:
                        return LaneState(menu[index], now.every, now.offset)
            return LaneState(menu[below - 1], now.every, now.offset)
        if self.spaced_ok[position] and now.every == 1 and self.all_smallest(state):
            return LaneState(now.amount, SPACED_EVERY, 0)
        return self.zero[position]

    def chain_link(self, state: DrugState, medication: int) -> tuple[DrugState, int, int] | None:
        """One step of the medication's even-cut chain from ``state``: (the state
        after, the cut of the daily amount, 1 if a dose time emptied), or None when
        nothing of it is taken (remembered: chains of many plans run through the
        same states)."""
        key = (medication, state)
        try:
            return self._links[key]
        except KeyError:
            pass
        link: tuple[DrugState, int, int] | None = None
        lanes = self.by_medication[medication]
        position = -1
        spaced = -1
        largest = -1
        for p in lanes:
            lane = state[p]
            if not lane.amount:
                continue
            if lane.every >= SPACED_EVERY and not self.patch:
                if spaced < 0 or self.keep[p] < self.keep[spaced]:
                    spaced = p
            elif spaced < 0:
                size = self.contribution(p, lane)
                if size > largest or (size == largest and self.keep[p] < self.keep[position]):
                    position, largest = p, size
        if spaced >= 0:
            position = spaced
        if position >= 0:
            before = state[position]
            after = self.step_down(state, position)
            link = (
                put(state, position, after),
                self.contribution(position, before) - self.contribution(position, after),
                1 if before.amount and not after.amount else 0,
            )
        self._links[key] = link
        return link

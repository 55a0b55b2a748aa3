"""The search's fall-backs agree with its fast path (found by mutation testing).

The search takes each state's preferred move, found by arithmetic
(``MoveMaker.preferred``); only when a path dead-ends does it back up and read the
state's other moves, in order (``MoveMaker.moves``, made from the families' full lists
in ``_alternatives``). Few regimens ever back up, so plans alone rarely read those
lists. Here every state on the clinic panel's paths, and on methadone's banded paths
(cdc2016, where every move comes from the full lists), is checked:

- the first of its moves is its preferred move (or it has neither);
- the moves come in the order of interfaces.md §4a: cuts with the products in use, then
  substitutions, then the exceptions; a stop that is due is the only move;
- every move but a hold lowers the total, and cuts and substitutions keep the ceiling;
- no two cuts, and no two substitutions, lead to the same doses.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import cast

import pytest

from clinic_panel import panel
from taperplan import Regimen, regimen_from_mapping
from taperplan.clinical.mme import resolve_factor_set
from taperplan.planning._alternatives import _Sorted, cuts
from taperplan.planning._family import DrugMove, LaneState
from taperplan.planning._lanes import State, build_layout
from taperplan.planning._measure import Move, MoveKind
from taperplan.planning._moves import MoveMaker
from taperplan.planning._order import TaperOrder
from taperplan.planning._planner import move_maker, resolve_pace
from taperplan.planning._search import search

START = dt.date(2027, 1, 4)
#: How the planner ranks the kinds of move (interfaces.md §4a rules 2, 4 and 5).
RANK = {MoveKind.CUT: 0, MoveKind.SUBSTITUTE: 1}
EXCEPTION = 2


def _states(
    regimen: Regimen, pace: str, factors: str, order: TaperOrder
) -> tuple[MoveMaker, list[tuple[State, bool, bool]]]:
    """The move maker of a plan and each state on its path: (state, first, held), as the
    search sees them."""
    chosen, _ = resolve_pace(regimen, pace, START)
    layout = build_layout(regimen, resolve_factor_set(factors), substitute=chosen.substitute)
    maker = move_maker(layout, chosen, order, layout.totals(layout.baseline)[1])
    path = search(maker, layout.baseline)
    states = [(layout.baseline, True, False)]
    for taken, move in enumerate(path[:-1], start=1):
        first = all(m.kind is MoveKind.HOLD for m in path[:taken])
        states.append((move.state, first, True))
    return maker, states


def _check_moves(preferred: Move | None, moves: list[Move]) -> None:
    assert (preferred is None) == (not moves)
    if preferred is None:
        return
    assert moves[0] == preferred
    if moves[0].kind is MoveKind.STOP and len(moves) == 1:
        return
    assert MoveKind.STOP not in {m.kind for m in moves[1:]}
    ranks = [RANK.get(m.kind, EXCEPTION) for m in moves]
    assert ranks == sorted(ranks)
    for move in moves:
        if move.kind is not MoveKind.HOLD:
            assert move.cut > 0
        if move.kind in RANK:
            assert move.cut <= move.rate.cap
    for kind in RANK:
        reached = [m.state for m in moves if m.kind is kind]
        assert len(reached) == len(set(reached)), kind


def _check_regimen(regimen: Regimen, pace: str, factors: str, order: TaperOrder) -> int:
    maker, states = _states(regimen, pace, factors, order)
    for state, first, held in states:
        preferred = maker.preferred(state, first=first, held=held)
        _check_moves(preferred, list(maker.moves(state, first=first, held=held)))
    return len(states)


@pytest.mark.parametrize("pace", ["cdc-long-term", "uk-opioids-aware"])
def test_every_panel_states_moves_start_with_its_preferred_move(pace: str) -> None:
    checked = sum(
        _check_regimen(regimen, pace, "cdc2022", TaperOrder.LONG_ACTING_FIRST)
        for _, regimen in panel()
    )
    assert checked > 1000


def test_the_proportional_order_reads_the_same_moves_first() -> None:
    several = [r for _, r in panel() if len({m.drug for m in r.medications}) > 1]
    assert len(several) >= 10
    for regimen in several:
        _check_regimen(regimen, "cdc-long-term", "cdc2022", TaperOrder.PROPORTIONAL)


def test_methadones_banded_moves_all_come_from_the_full_lists() -> None:
    """With cdc2016's methadone bands, a methadone cut's measure depends on the dose
    left, so every move is made from the full lists (none by arithmetic)."""
    methadone = [r for _, r in panel() if any(m.drug == "methadone" for m in r.medications)]
    assert len(methadone) >= 4
    for regimen in methadone:
        for pace in ("cdc-long-term", "uk-opioids-aware"):
            assert _check_regimen(regimen, pace, "cdc2016", TaperOrder.LONG_ACTING_FIRST) > 1


def test_the_full_list_of_cuts_lowers_each_dose_alone_and_both_evenly() -> None:
    """Morphine ER 60 mg twice a day, 15 mg tablets only: the cuts with the products in
    use, by growing cut, are each dose lowered alone by one or more tablets and both
    lowered evenly (the larger first), each dose pair once."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "er_tablet",
                    "strength": "15 mg",
                    "dose": "60 mg",
                    "times": ["08:00", "20:00"],
                    "available": ["15 mg"],
                }
            ]
        }
    )
    layout = build_layout(regimen, resolve_factor_set("cdc2022"), substitute=False)
    family, baseline = layout.drugs[0].family, layout.baseline[0]
    listed = [
        (
            move.delta * family.atom / family.day_scale,
            [lane.amount * family.atom for lane in move.state],
        )
        for move in cuts(family, baseline).iterate()
    ]
    assert listed == [
        (15, [45, 60]),
        (15, [60, 45]),
        (30, [45, 45]),
        (30, [30, 60]),
        (30, [60, 30]),
        (45, [30, 45]),
        (45, [15, 60]),
        (45, [60, 15]),
        (60, [30, 30]),
        (60, [0, 60]),
        (60, [60, 0]),
        (75, [15, 30]),
        (90, [15, 15]),
        (105, [0, 15]),
        (120, [0, 0]),
    ]


def test_the_full_list_steps_a_large_solution_dose_by_at_least_1_128th() -> None:
    """Morphine solution 200 mg once a day, measured to 0.5 mg: the cuts step by at least
    1/128 of the dose (cuts of 0.5 or 1 mg no one could tell apart are not listed), so by
    1.5 mg: 198.5, 197, 195.5 mg..."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "1 mg/mL",
                    "dose": "200 mg",
                    "times": ["08:00"],
                }
            ]
        }
    )
    layout = build_layout(regimen, resolve_factor_set("cdc2022"), substitute=False)
    family, baseline = layout.drugs[0].family, layout.baseline[0]
    first = itertools.islice(cuts(family, baseline).iterate(), 4)
    assert [move.state[0].amount * family.atom for move in first] == [198.5, 197, 195.5, 194]


def test_the_even_cut_chain_finishes_a_dose_on_alternate_days_first() -> None:
    """Tapentadol IR 75 mg three times a day, on its path: 50 mg at 07:00 and 21:00
    daily and 50 mg at 14:00 every other day. Of the full list of cuts, the chain's first
    (order 0) stops the 14:00 dose on alternate days before it lowers a daily one."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "tapentadol",
                    "form": "ir_tablet",
                    "strength": "75 mg",
                    "dose": "75 mg",
                    "times": ["07:00", "14:00", "21:00"],
                }
            ]
        }
    )
    maker, states = _states(regimen, "cdc-long-term", "cdc2022", TaperOrder.LONG_ACTING_FIRST)
    family = maker.layout.drugs[0].family
    state = next(s[0] for s, _, _ in states if any(lane.every == 2 for lane in s[0]))

    def doses(lanes: tuple[LaneState, ...]) -> list[tuple[Decimal, int]]:
        return [(lane.amount * family.atom, lane.every) for lane in lanes if lane.amount]

    assert doses(state) == [(50, 1), (50, 2), (50, 1)]
    chained = next(m for m in cuts(family, state).iterate() if m.order == 0)
    assert doses(chained.state) == [(50, 1), (50, 1)]
    assert chained.state[1].amount == 0


def test_a_merged_list_of_moves_can_be_walked_again_past_its_end() -> None:
    """The full list of a state's moves is made as far as it is read and shared by every
    walk over it (plans that meet the same state): a second walk past the end of a list
    already exhausted gives the same moves, by growing cut, without duplicates, and ends."""

    def moves(*cuts: tuple[int, str]) -> Iterator[DrugMove]:
        for delta, state in cuts:
            yield cast("DrugMove", SimpleNamespace(delta=delta, order=0, state=state))

    merged = _Sorted(threading.Lock(), [moves((1, "a"), (3, "c")), moves((2, "b"), (3, "c"))])
    first = [(m.delta, m.state) for m in merged.iterate()]
    again = [(m.delta, m.state) for m in merged.iterate()]
    assert first == again == [(1, "a"), (2, "b"), (3, "c")]
    assert [m.state for m in merged.iterate(2)] == ["c"]
    assert list(merged.iterate(3)) == []

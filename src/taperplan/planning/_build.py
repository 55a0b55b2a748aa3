"""From chosen moves to the plan's values: steps, their notes and substitutes.

The search works in whole atoms (see :mod:`._family`); this module makes each
chosen move a step with the doses of its state (made of real units by
:mod:`._doses`), says in each step's notes what changed and why (a finer
product that starts, a cut held longer than the pace's interval, an end move,
a new concentration of an oral solution), and lists the substitutes the plan
adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import attrs

from taperplan.clinical.withdrawal import window_rules
from taperplan.model.plan import (
    MedicationDose,
    NoteKind,
    StepKind,
    Substitute,
)
from taperplan.planning._dating import UndatedStep, check_in_rules
from taperplan.planning._doses import DoseMaker
from taperplan.planning._lanes import Layout, State
from taperplan.planning._measure import Move, MoveKind
from taperplan.planning._search import period, step_timing
from taperplan.reference.paces import Pace
from taperplan.reference.products import Form, WithdrawalProfile
from taperplan.reference.wording import form_words
from taperplan.units import Quantity, format_decimal


def _fallen(layout: Layout, before: State, after: State) -> list[tuple[int, int]]:
    """(drug, lane) of every lane taken less (or less often) after than before."""
    return [
        (d, p)
        for d, (old, new) in enumerate(zip(before, after, strict=True))
        for p, (a, b) in enumerate(zip(old, new, strict=True))
        if b.amount < a.amount or (a.amount and b.every > a.every)
    ]


def _profile(layout: Layout, before: State, after: State) -> WithdrawalProfile:
    """The withdrawal profile of a cut: of the products that fell, the one whose
    window lasts longest."""
    rules = window_rules()
    fallen = [
        layout.drugs[d].family.lanes[p].product.profile for d, p in _fallen(layout, before, after)
    ]
    return max(fallen, key=lambda profile: rules[profile].end_day)


def _percent(value: Fraction) -> str:
    return format_decimal(
        (Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(Decimal("0.1"))
    )


def build_steps(
    layout: Layout,
    pace: Pace,
    baseline: State,
    path: Sequence[Move],
    *,
    plan_id: str,
    first_number: int,
    doses: DoseMaker,
) -> tuple[list[UndatedStep], list[Substitute]]:
    """The undated steps of ``path`` (from ``baseline``) and the substitutes it adds."""
    listed = [m.index for m in layout.medications if m.own is not None]
    first_step: dict[int, int] = {}
    started = {
        (d, p) for d, lanes in enumerate(baseline) for p, lane in enumerate(lanes) if lane.amount
    }
    steps: list[UndatedStep] = []
    before = baseline
    rules = check_in_rules()
    for number, move in enumerate(path):
        state = move.state
        notes: list[str] = []
        for info in layout.medications:
            if info.index not in listed and any(state[info.drug][p].amount for p in info.lanes):
                listed.append(info.index)
                listed.sort()
                first_step[info.index] = number
        for d, lanes in enumerate(state):
            times = [
                p
                for p, lane in enumerate(lanes)
                if lane.amount
                and (d, p) not in started
                and layout.drugs[d].family.lanes[p].substitute
            ]
            for p in times:
                started.add((d, p))
            if times:
                notes.append(_substitution_note(layout, d, times, state, doses))
        final = not any(lane.amount for lanes in state for lane in lanes)
        timing = step_timing(pace, move)
        if move.kind is MoveKind.HOLD:
            kind, profile, days = StepKind.PAUSE, None, timing.days
            notes.append(
                NoteKind.END.note(
                    f"the smallest patch is worn alone for {days} days before it is "
                    "stopped (interfaces.md §4a rule 5)"
                )
            )
            fraction, cut_drug = Decimal(0), None
        else:
            profile = _profile(layout, before, state)
            fraction = Decimal(timing.fraction.numerator) / Decimal(timing.fraction.denominator)
            cut_drug = layout.drugs[move.drug].name
            ended = _ends_group(layout, before, state, move.group)
            if final:
                kind = StepKind.STOP
                days = max(window_rules()[profile].end_day + 1, rules.stop_step_days)
            elif ended:
                # One group's taper ends while another goes on: like the final stop,
                # its step lasts the withdrawal window (that group's pace has ended).
                kind = StepKind.CUT
                whole = period(state)
                days = max(
                    window_rules()[profile].end_day + 1, rules.stop_step_days, pace.every_days
                )
                days = -(-days // whole) * whole
                notes.append(
                    NoteKind.END.note(
                        f"{layout.drugs[move.drug].name} stops here while the taper of the "
                        f"other opioids goes on; this step lasts {days} days, the withdrawal window"
                    )
                )
            else:
                kind = StepKind.CUT
                days = timing.days
                notes.extend(_why(pace, move, timing.fraction, timing.p, days))
        previous = steps[-1].parts if steps else doses.parts(baseline, listed)
        parts = _same_bottles(layout, previous, doses.parts(state, listed))
        notes.extend(_bottle_notes(previous, parts))
        steps.append(
            UndatedStep(
                kind=kind,
                days=days,
                parts=parts,
                cut_fraction=fraction,
                cut_drug=cut_drug,
                profile=profile,
                key=f"{plan_id}-s{first_number + number:03d}",
                notes=tuple(notes),
            )
        )
        before = state
    substitutes = [
        _substitute(layout, index, first, [s.parts for s in steps])
        for index, first in sorted(first_step.items())
    ]
    # The products the plan adds are numbered right after the regimen's own.
    own = sum(1 for m in layout.medications if m.own is not None)
    renumber = {s.index: own + k for k, s in enumerate(substitutes)}
    if any(old != new for old, new in renumber.items()):
        steps = [
            s._replace(
                parts=tuple(
                    attrs.evolve(p, index=renumber[p.index]) if p.index in renumber else p
                    for p in s.parts
                )
            )
            for s in steps
        ]
        substitutes = [attrs.evolve(s, index=renumber[s.index]) for s in substitutes]
    return steps, substitutes


def _ends_group(layout: Layout, before: State, state: State, group: int) -> bool:
    """Whether the move from ``before`` to ``state`` stops ``group``'s last dose."""
    drugs = layout.groups[group]
    return any(lane.amount for d in drugs for lane in before[d]) and not any(
        lane.amount for d in drugs for lane in state[d]
    )


def _concentrations(part: MedicationDose) -> set[Quantity]:
    return {u.strength for d in part.doses for u in d.units}


def _same_bottles(
    layout: Layout, previous: Sequence[MedicationDose], parts: tuple[MedicationDose, ...]
) -> tuple[MedicationDose, ...]:
    """``parts`` with each oral solution kept in the previous step's concentration
    wherever that still measures every dose (no change of bottle back and forth)."""
    before = {p.index: p for p in previous}
    result = list(parts)
    for position, part in enumerate(parts):
        old = before.get(part.index)
        if part.product.form is not Form.ORAL_SOLUTION or old is None or not part.doses:
            continue
        was = _concentrations(old)
        if len(was) != 1 or _concentrations(part) == was:
            continue
        single = attrs.evolve(layout.medications[part.index].unit_set, strengths=tuple(was))
        made = [single.make(d.amount) for d in part.doses]
        if all(m is not None for m in made):
            doses = tuple(
                attrs.evolve(d, units=m or ()) for d, m in zip(part.doses, made, strict=True)
            )
            result[position] = attrs.evolve(part, doses=doses)
    return tuple(result)


def _bottle_notes(previous: Sequence[MedicationDose], parts: Sequence[MedicationDose]) -> list[str]:
    """A note where an oral solution's doses move to another concentration: the
    patient must measure from the new bottle only (a mg/mL mix-up is an overdose)."""
    notes = []
    before = {p.index: p for p in previous}
    for part in parts:
        if part.product.form is not Form.ORAL_SOLUTION or not part.doses:
            continue
        old = before.get(part.index)
        if old is None or not old.doses:
            continue
        now, was = part.strengths_used, old.strengths_used
        if now != was:
            notes.append(
                NoteKind.NEW.note(
                    f"{part.drug} oral solution changes to {', '.join(now)} from this "
                    f"step (it was {', '.join(was)}): prescribe the new concentration and "
                    "measure every dose from the new bottle only"
                )
            )
    return notes


def _why(pace: Pace, move: Move, fraction: Fraction, p: Fraction, days: int) -> list[str]:
    """Notes for a cut held longer than the pace's interval or above its ceiling."""
    longer = days > pace.every_days and fraction > p
    if move.kind is MoveKind.COARSE:
        return [
            NoteKind.HELD.note(
                f"a cut of one smallest unit ({_percent(fraction)}%), above the pace's "
                f"{_percent(Fraction(pace.max_step_fraction))}% ceiling because no smaller unit "
                f"of this drug can be dispensed (interfaces.md §4a rule 2); held {days} days so "
                f"the average pace stays {_percent(p)}% every {pace.every_days} days"
            )
        ]
    notes = []
    if move.kind is MoveKind.SPACE:
        notes.append(
            NoteKind.END.note(
                "the single smallest dose is now taken every other day; the next step is "
                "the stop (interfaces.md §4a rule 5)"
            )
        )
    if longer:
        notes.append(
            NoteKind.HELD.note(
                f"this cut is {_percent(fraction)}%, more than the pace's {_percent(p)}% "
                f"every {pace.every_days} days, so it is held {days} days (the average pace is "
                "never faster than the guideline)"
            )
        )
    return notes


def _substitution_note(
    layout: Layout, drug: int, lanes: list[int], state: State, doses: DoseMaker
) -> str:
    place = layout.drugs[drug]
    spec = place.family.lanes[lanes[0]]
    times = ", ".join(sorted(place.times[p].strftime("%H:%M") for p in lanes))
    info = next(m for m in layout.medications if m.drug == drug and m.local == spec.medication)
    part = doses.part(state, info.index)
    strengths = sorted({u.strength_text for d in part.doses for u in d.units})
    what = form_words(spec.product.form, "clinical")
    if info.own is not None:
        return NoteKind.NEW.note(
            f"the patient's own {place.name} {what} ({', '.join(strengths)}) take over "
            f"part of the {times} dose (the other products cannot cut within the pace's "
            "ceiling)"
        )
    return NoteKind.NEW.note(
        f"{place.name} {what} take over part of the {times} dose (the products in use "
        f"cannot cut within the pace's ceiling): prescribe {', '.join(strengths)}"
    )


def _substitute(
    layout: Layout, index: int, first: int, parts: Sequence[tuple[MedicationDose, ...]]
) -> Substitute:
    info = layout.medications[index]
    strengths = sorted(
        {
            u.strength
            for step in parts
            for part in step
            if part.index == index
            for dose in part.doses
            for u in dose.units
        },
        key=lambda q: q.amount,
    )
    replaces = tuple(
        m.index
        for m in layout.medications
        if m.own is not None and m.drug == info.drug and info.product.finer_than(m.product)
    )
    return Substitute(
        index=index,
        product=info.product,
        strengths=tuple(strengths),
        resolution=info.unit_set.resolution,
        replaces=replaces,
        first_step=first,
    )

"""The plan model: a dated taper schedule as frozen values, and the date rules
that keep its steps consistent.

A :class:`TaperPlan` holds its baseline (the regimen now) and contiguous
:class:`Step` objects, each with the doses per administration time, the units
to take, MME, the cut against the step before, the expected withdrawal window
and the check-ins. :func:`date_steps` gives undated steps their dates, windows
and check-ins; :meth:`TaperPlan.pause` uses it to hold a dose. Plans are pure
values: pausing or re-planning returns a new plan.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import cache
from math import lcm
from typing import NamedTuple

import attrs

from taperplan._adjuncts import Adjunct
from taperplan._catalogue import Form, Product, WithdrawalProfile
from taperplan._data import load_data
from taperplan._dispense import UnitCount
from taperplan._errors import PlanningError
from taperplan._notices import Notice
from taperplan._pace import Pace
from taperplan._regimen import Regimen
from taperplan._units import Quantity
from taperplan._withdrawal import WithdrawalWindow, window_after


def _non_empty(_instance: object, field: attrs.Attribute[str], value: str) -> None:
    """An identifier is never empty (the plan schema: ``minLength: 1``)."""
    if not value:
        msg = f"{field.name} must not be empty"
        raise ValueError(msg)


class StepKind(enum.Enum):
    """What happens at the start of a step."""

    CUT = "cut"
    PAUSE = "pause"
    STOP = "stop"


@attrs.frozen
class Dose:
    """An amount taken at one wall-clock time, every ``every_days`` days, and
    the units that make it.

    A dose taken every N days is taken on the days ``offset``, ``offset`` + N,
    … of its step (counted from the step's first day, from 0); staggered
    offsets keep every day covered when several doses are spaced out.
    """

    time: dt.time
    amount: Quantity
    every_days: int
    units: tuple[UnitCount, ...]
    offset: int = 0

    def taken_on(self, day: int) -> bool:
        """Whether the dose is taken ``day`` days into its step (0 is the first day)."""
        return day >= self.offset and (day - self.offset) % self.every_days == 0

    def days_in(self, length: int) -> range:
        """The days (from 0) of a step of ``length`` days on which the dose is taken."""
        return range(self.offset, length, self.every_days)

    @property
    def how_often(self) -> str:
        """``every day`` or ``every 3 days``, as every output says it."""
        return "every day" if self.every_days == 1 else f"every {self.every_days} days"


@attrs.frozen
class MedicationDose:
    """One medication's doses during a step (or at baseline)."""

    index: int
    product: Product
    doses: tuple[Dose, ...]
    daily_amount: Quantity
    mme_per_day: Decimal | None
    smallest_unit: Quantity

    @property
    def drug(self) -> str:
        """The generic name."""
        return self.product.drug.name

    @property
    def form(self) -> Form:
        """The dosage form."""
        return self.product.form

    @property
    def stopped(self) -> bool:
        """Whether nothing of this medication is taken."""
        return not self.doses

    @property
    def strengths_used(self) -> tuple[str, ...]:
        """The strengths its doses are made of, as labelled ("1 mg/mL", "12 mcg/h")."""
        return tuple(sorted({u.strength_text for d in self.doses for u in d.units}))


@attrs.frozen
class Step:
    """One period of the plan at constant doses.

    ``start`` and ``end`` are inclusive. ``cut_fraction`` is the cut at the
    start of the step as a fraction of the total it is measured against (the
    previous step's total, or the baseline's while an original-based pace
    applies; MME, or the daily amount where MME does not apply); 0 for a pause.

    ``replanned_from`` is set on the first step of a re-plan whose regimen
    (what the patient actually took) differs from the planned step before:
    those doses, which this step's cut is measured against. It is ``None``
    everywhere else.
    """

    id: str = attrs.field(validator=_non_empty)
    index: int
    kind: StepKind
    start: dt.date
    end: dt.date
    medications: tuple[MedicationDose, ...]
    total_mme_per_day: Decimal | None
    cut_fraction: Decimal
    cut_drug: str | None
    withdrawal_profile: WithdrawalProfile | None
    withdrawal_window: WithdrawalWindow | None
    check_in: dt.date
    check_ins: tuple[dt.date, ...]
    notes: tuple[str, ...] = ()
    replanned_from: tuple[MedicationDose, ...] | None = None

    @property
    def days(self) -> int:
        """Length of the step in days."""
        return (self.end - self.start).days + 1

    def dates(self) -> Iterator[dt.date]:
        """Every date of the step."""
        for offset in range(self.days):
            yield self.start + dt.timedelta(days=offset)


@attrs.frozen
class Substitute:
    """A finer product of a regimen's drug that the plan adds (§4a rule 4): the same
    drug's immediate-release tablet or oral solution, taking over part of a dose
    that the regimen's own products cannot cut within the pace's ceiling.

    ``index`` is the medication index its doses carry in the steps; ``replaces``
    the regimen medications whose doses it takes over from; ``strengths`` what
    to prescribe; ``first_step`` the index of the step where it starts.
    """

    index: int
    product: Product
    strengths: tuple[Quantity, ...]
    resolution: Quantity | None
    replaces: tuple[int, ...]
    first_step: int


@attrs.frozen
class TaperPlan:
    """A dated taper schedule; build with :func:`taperplan.plan_taper`.

    ``revision`` rises with every :meth:`pause` or :func:`taperplan.replan`
    so calendar exports can update events instead of duplicating them.
    """

    id: str = attrs.field(validator=_non_empty)
    revision: int
    regimen: Regimen
    pace: Pace
    pace_reason: str
    order: str
    factor_set: str
    start: dt.date
    baseline: tuple[MedicationDose, ...]
    baseline_total_mme_per_day: Decimal | None
    steps: tuple[Step, ...]
    warnings: tuple[Notice, ...]
    adjuncts: tuple[Adjunct, ...] = ()
    substitutes: tuple[Substitute, ...] = ()

    @property
    def end(self) -> dt.date:
        """The last date of the plan (the end of the stop step)."""
        return self.steps[-1].end

    @property
    def stop_date(self) -> dt.date:
        """The first day with no opioid."""
        return self.steps[-1].start

    def step_on(self, day: dt.date) -> Step:
        """The step in effect on ``day``.

        Raises:
            PlanningError: when ``day`` is outside the plan.
        """
        for step in self.steps:
            if step.start <= day <= step.end:
                return step
        raise PlanningError(f"{day.isoformat()} is outside the plan ({self.start} to {self.end})")

    def pause(self, *, on: dt.date, days: int) -> TaperPlan:
        """Hold the dose in effect on ``on`` for ``days`` more days.

        Everything after it (cuts, windows, check-ins) moves ``days`` later;
        steps keep their identifiers. A pause on a step's first day
        postpones that step's cut (the previous dose is held). Steps cover
        whole dosing intervals, so with doses on alternate days (or patches)
        the hold starts at the next whole interval and ``days`` is rounded up
        to whole intervals.

        Raises:
            PlanningError: ``on`` is outside the plan or on the stop step, or
                ``days`` is not a whole number from 1 to 365.
        """
        return _pause(self, on=on, days=days)


# -- dating ------------------------------------------------------------------------


class UndatedStep(NamedTuple):
    """A step before it is dated: its doses, what was cut, and how long it lasts."""

    kind: StepKind
    days: int
    parts: tuple[MedicationDose, ...]
    cut_fraction: Decimal
    cut_drug: str | None
    profile: WithdrawalProfile | None
    key: str
    notes: tuple[str, ...] = ()
    # The doses actually taken before this step when they differ from the
    # planned step before (the first step of a re-plan from a given regimen).
    replanned_from: tuple[MedicationDose, ...] | None = None


class CheckInRules(NamedTuple):
    """Follow-up rules from ``withdrawal.toml`` (CDC2022: at least monthly; VA-TDT:
    1–4 weeks after a start, then before each reduction)."""

    max_gap: int
    before_cut: int
    min_gap: int
    stop_step_days: int


@cache
def check_in_rules() -> CheckInRules:
    """The packaged check-in spacing and the stop step's least length."""
    data = load_data("withdrawal.toml")
    checks, stop = data["check_ins"], data["stop_step"]
    return CheckInRules(
        max_gap=int(checks["max_gap_days"]),
        before_cut=int(checks["before_cut_days"]),
        min_gap=int(checks["min_gap_days"]),
        stop_step_days=int(stop["min_days"]),
    )


_ONE_DAY = dt.timedelta(days=1)


def _check_ins(
    start: dt.date, end: dt.date, last: dt.date | None, rules: CheckInRules
) -> tuple[dt.date, ...]:
    """A step's check-ins: the one before the next cut (a week into the step or
    ``before_cut`` days before its end, whichever is later), and as many before it
    as keep every gap within ``max_gap`` days (at least ``min_gap`` apart)."""
    length = (end - start).days
    pre = max(
        start + dt.timedelta(days=min(rules.before_cut, length)),
        end - dt.timedelta(days=rules.before_cut),
    )
    anchor = last if last is not None else start
    if (pre - anchor).days <= rules.max_gap:
        return (pre,)
    checks = []
    while (pre - anchor).days > rules.max_gap:
        following = min(
            anchor + dt.timedelta(days=rules.max_gap), pre - dt.timedelta(days=rules.min_gap)
        )
        if following >= start:
            checks.append(following)
        anchor = following
    checks.append(pre)
    return tuple(checks)


def date_steps(
    undated: Sequence[UndatedStep], start: dt.date, *, previous_check_in: dt.date | None = None
) -> tuple[Step, ...]:
    """Give ``undated`` steps their dates from ``start``, with withdrawal windows,
    check-ins and a note where a step is shorter than its window."""
    rules = check_in_rules()
    steps = []
    day = start
    last_check = previous_check_in
    for position, raw in enumerate(undated):
        end = day + dt.timedelta(days=raw.days - 1)
        window: WithdrawalWindow | None = None
        notes = raw.notes
        if raw.profile is not None and raw.kind is not StepKind.PAUSE:
            window = window_after(day, raw.profile)
            if raw.kind is StepKind.STOP:
                end = max(end, window.end)
            elif end < window.end:
                notes = (
                    f"this step ({raw.days} days) is shorter than the expected withdrawal window "
                    f"(to {window.end.isoformat()}); the next cut may come before symptoms "
                    "settle: consider pausing if they are troublesome",
                    *notes,
                )
        check_ins = _check_ins(day, end, last_check, rules)
        last_check = check_ins[-1]
        steps.append(
            Step(
                id=raw.key,
                index=position,
                kind=raw.kind,
                start=day,
                end=end,
                medications=raw.parts,
                total_mme_per_day=total_mme(raw.parts),
                cut_fraction=raw.cut_fraction,
                cut_drug=raw.cut_drug,
                withdrawal_profile=raw.profile,
                withdrawal_window=window,
                check_in=check_ins[-1],
                check_ins=check_ins,
                notes=notes,
                replanned_from=raw.replanned_from,
            )
        )
        day = end + _ONE_DAY
    return tuple(steps)


def total_mme(parts: Sequence[MedicationDose]) -> Decimal | None:
    """The MME/day of ``parts``, or None when any of them has no MME."""
    total = Decimal(0)
    for part in parts:
        if part.mme_per_day is None:
            return None
        total += part.mme_per_day
    return total


def undated(step: Step, *, days: int | None = None) -> UndatedStep:
    """An undated copy of ``step`` (to re-date it after a pause or re-plan)."""
    return UndatedStep(
        kind=step.kind,
        days=step.days if days is None else days,
        parts=step.medications,
        cut_fraction=step.cut_fraction,
        cut_drug=step.cut_drug,
        profile=step.withdrawal_profile,
        key=step.id,
        notes=tuple(n for n in step.notes if n.startswith(("pause:", "new:", "end:", "held:"))),
        replanned_from=step.replanned_from,
    )


def dosing_period(parts: Sequence[MedicationDose]) -> int:
    """The days after which every dose of ``parts`` falls on the same day again."""
    return lcm(1, *(d.every_days for p in parts for d in p.doses))


def whole(days: int, period: int) -> int:
    """``days`` rounded up to whole ``period``s."""
    return -(-days // period) * period


# -- pausing ---------------------------------------------------------------------


def _pause(plan: TaperPlan, *, on: dt.date, days: int) -> TaperPlan:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise PlanningError(f"pause days must be a whole number from 1 to 365, not {days!r}")
    step = plan.step_on(on)
    if step.kind is StepKind.STOP and on > step.start:
        raise PlanningError(
            f"{on.isoformat()} is after the stop ({step.start.isoformat()}); nothing to hold"
        )
    raws = [undated(s) for s in plan.steps]
    key = f"{step.id}-hold-{on.isoformat()}"
    # A step covers whole dosing intervals (alternate days, patch changes):
    # the hold starts at the next whole interval and lasts whole intervals.
    before = whole((on - step.start).days, dosing_period(step.medications))
    if before >= step.days:
        # The hold would start after this step: postpone the next cut instead.
        step = plan.steps[step.index + 1]
        before = 0
    position = step.index
    if before == 0:
        # Postpone this step's cut: hold the previous dose (or, after a re-plan
        # from other doses, the doses the patient actually took).
        held = plan.baseline if position == 0 else plan.steps[position - 1].medications
        if step.replanned_from is not None:
            held = step.replanned_from
        days = whole(days, dosing_period(held))
        pause = UndatedStep(
            kind=StepKind.PAUSE,
            days=days,
            parts=held,
            cut_fraction=Decimal(0),
            cut_drug=None,
            profile=None,
            key=key,
            notes=(f"pause: the dose before this cut is held for {days} days",),
            replanned_from=step.replanned_from,
        )
        postponed = raws[position]._replace(replanned_from=None)
        new_raws = [*raws[:position], pause, postponed, *raws[position + 1 :]]
    else:
        days = whole(days, dosing_period(step.medications))
        held_raw = undated(step, days=step.days - before + days)._replace(
            kind=StepKind.PAUSE,
            cut_fraction=Decimal(0),
            cut_drug=None,
            profile=None,
            key=key,
            notes=(f"pause: this dose is held {days} days longer",),
            replanned_from=None,
        )
        new_raws = [*raws[:position], undated(step, days=before), held_raw, *raws[position + 1 :]]
    steps = date_steps(new_raws, plan.start)
    return attrs.evolve(
        plan,
        steps=steps,
        revision=plan.revision + 1,
        substitutes=tuple(
            attrs.evolve(s, first_step=first_taken(steps, s.index)) for s in plan.substitutes
        ),
    )


def first_taken(steps: Sequence[Step], index: int) -> int:
    """The index of the first step that takes medication ``index``."""
    return next(
        step.index for step in steps if any(m.index == index and m.doses for m in step.medications)
    )

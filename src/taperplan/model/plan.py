"""The plan model: a dated taper schedule as frozen values.

A :class:`TaperPlan` holds its baseline (the regimen now) and contiguous
:class:`Step` objects, each with the doses per administration time, the units
to take, MME, the cut against the step before, the expected withdrawal window
and the check-ins. Plans are pure values: :func:`taperplan.pause` and
:func:`taperplan.replan` return new plans.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Protocol

import attrs

from taperplan.errors import PlanningError
from taperplan.model.advice import Adjunct, WithdrawalWindow
from taperplan.model.regimen import Medication, OfProduct, Regimen
from taperplan.reference.dispense import UnitCount
from taperplan.reference.notices import Notice
from taperplan.reference.paces import Pace
from taperplan.reference.products import Combination, Product, WithdrawalProfile
from taperplan.units import Quantity, normalised


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
    CHANGE = "change"
    """Doses change in a plan that is not a taper (an initiation): one drug may rise
    while another falls or stops."""


class PlanKind(enum.Enum):
    """What a plan does (interfaces.md §8): a taper, a rotation to another opioid, or a
    low-dose buprenorphine initiation."""

    TAPER = "taper"
    ROTATION = "rotation"
    INITIATION = "initiation"

    @property
    def title(self) -> str:
        """What outputs call a plan of this kind: ``Taper plan``."""
        return {
            PlanKind.TAPER: "Taper plan",
            PlanKind.ROTATION: "Rotation plan",
            PlanKind.INITIATION: "Buprenorphine initiation plan",
        }[self]


@attrs.frozen
class ProtocolRef:
    """The published schedule a plan that is not a taper follows: its name, title and
    source key (``sources.toml``), and whether its primary text was confirmed."""

    name: str
    title: str
    source: str
    low_confidence: bool


class NoteKind(enum.StrEnum):
    """What a step's note is about, written as its first word (``"held: …"``).

    A note of no kind (the warning that a step is shorter than its withdrawal
    window) is recomputed whenever steps are dated again; notes of a kind stay
    with their step through a pause or a re-plan.
    """

    PAUSE = "pause"
    """The dose is held longer: a pause the clinician chose."""
    NEW = "new"
    """A product or a concentration starts."""
    END = "end"
    """The end of the taper: a drug stops, a dose is spaced, the smallest patch is held."""
    HELD = "held"
    """A cut bigger than the pace's percent, held proportionally longer."""

    def note(self, text: str) -> str:
        """``text`` as a note of this kind (``"held: this cut is 25%, …"``)."""
        return f"{self.value}: {text}"


def note_kind(note: str) -> NoteKind | None:
    """The kind of a step's note, or None for a note of no kind."""
    word, colon, _ = note.partition(":")
    if not colon:
        return None
    try:
        return NoteKind(word)
    except ValueError:
        return None


@attrs.frozen
class ConversionRef:
    """How a rotation found its new dose (interfaces.md §8): the table and source it
    converted with, the daily oral morphine it converted from, the dose the table gave
    (``calculated``), the cross-tolerance cut (a fraction) and why, and the dose the plan
    gives (``target_daily_amount``, in ``unit``: mg/day, or mcg/h for a patch)."""

    table: str
    source: str
    low_confidence: bool
    oral_table: str
    morphine_mg_per_day: Decimal
    calculated_daily_amount: Decimal
    cross_tolerance_reduction: Decimal
    reason: str
    target_daily_amount: Decimal
    unit: str
    near_edge: str | None = None


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

    def days_between(self, first: int, last: int) -> range:
        """The days ``first`` to ``last`` (from 0, both included) of its step on which
        the dose is taken."""
        start = max(first, self.offset)
        behind = (start - self.offset) % self.every_days
        if behind:
            start += self.every_days - behind
        return range(start, last + 1, self.every_days)

    @property
    def how_often(self) -> str:
        """``every day`` or ``every 3 days``, as every output says it."""
        return "every day" if self.every_days == 1 else f"every {self.every_days} days"


@attrs.frozen
class MedicationDose(OfProduct):
    """One medication's doses during a step (or at baseline)."""

    index: int
    product: Product
    doses: tuple[Dose, ...]
    daily_amount: Quantity
    mme_per_day: Decimal | None
    smallest_unit: Quantity

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

    def notes_of(self, kind: NoteKind) -> tuple[str, ...]:
        """The step's notes of ``kind``."""
        return tuple(n for n in self.notes if note_kind(n) is kind)

    @property
    def number(self) -> int:
        """The step's number for people, from 1 (``index`` + 1): the table, the plan JSON,
        the calendar, the handout and FHIR's ``sequence`` all count this way."""
        return self.index + 1

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


class Dated(Protocol):
    """Anything with a first and a last day."""

    @property
    def start(self) -> dt.date: ...

    @property
    def end(self) -> dt.date: ...


class DatedSteps:
    """The end and the stop of a value whose ``steps`` are dated and contiguous."""

    __slots__ = ()

    steps: Sequence[Dated]

    @property
    def end(self) -> dt.date:
        """The last date of the plan (the end of the stop step)."""
        return self.steps[-1].end

    @property
    def stop_date(self) -> dt.date:
        """The first day with no opioid (the start of the last step)."""
        return self.steps[-1].start


@attrs.frozen
class TaperPlan(DatedSteps):
    """A dated taper schedule; build with :func:`taperplan.plan_taper`.

    ``revision`` rises with every :meth:`pause` or :func:`taperplan.replan`
    so calendar exports can update events instead of duplicating them.

    ``kind`` is :attr:`PlanKind.TAPER` for a taper; a low-dose buprenorphine
    initiation (:func:`taperplan.switching.plan_buprenorphine_initiation`) has
    the kind ``INITIATION``, the ``protocol`` it follows, and steps of kind
    :attr:`StepKind.CHANGE` whose last step continues buprenorphine (it is not a
    stop). Its ``pace`` only records the full agonist's taper where the protocol
    has one.
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
    kind: PlanKind = PlanKind.TAPER
    protocol: ProtocolRef | None = None
    conversion: ConversionRef | None = None

    @property
    def stop_date(self) -> dt.date:
        """The first day with no opioid (the start of the last step); for a rotation or
        an initiation, the first day without the regimen's own opioids (the last step's
        start where they continue)."""
        if self.kind is PlanKind.TAPER:
            return self.steps[-1].start
        own = len(self.regimen.medications)
        for step in self.steps:
            if all(part.stopped for part in step.medications if part.index < own):
                return step.start
        return self.steps[-1].start

    def medication_of(self, index: int) -> Medication | None:
        """The regimen's medication ``index``; None for a product the plan adds."""
        medications = self.regimen.medications
        return medications[index] if index < len(medications) else None

    def combination_of(self, part: MedicationDose) -> Combination | None:
        """The second ingredient of ``part``'s tablets: the regimen's stated combination
        for one of its own medications, else the product's (a substitute the plan adds)."""
        medication = self.medication_of(part.index)
        stated = None if medication is None else medication.combination
        return stated or part.product.combination

    def step_on(self, day: dt.date) -> Step:
        """The step in effect on ``day``.

        Raises:
            PlanningError: when ``day`` is outside the plan.
        """
        for step in self.steps:
            if step.start <= day <= step.end:
                return step
        raise PlanningError(f"{day.isoformat()} is outside the plan ({self.start} to {self.end})")


def total_mme(parts: Sequence[MedicationDose]) -> Decimal | None:
    """The MME/day of ``parts``, or None when any of them has no MME."""
    total = Decimal(0)
    for part in parts:
        if part.mme_per_day is None:
            return None
        total += part.mme_per_day
    return normalised(total)

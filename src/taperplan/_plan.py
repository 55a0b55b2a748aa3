"""The plan model: a dated taper schedule as frozen values.

A :class:`TaperPlan` holds its baseline (the regimen now) and contiguous
:class:`Step` objects, each with the doses per administration time, the units
to take, MME, the cut against the step before, the expected withdrawal window
and the check-in date. Plans are pure values; :meth:`TaperPlan.pause` and
:func:`taperplan.replan` return new plans.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from decimal import Decimal

import attrs

from taperplan._adjuncts import Adjunct
from taperplan._catalogue import Form, Product, WithdrawalProfile
from taperplan._dispense import UnitCount
from taperplan._notices import Notice
from taperplan._pace import Pace
from taperplan._regimen import Regimen
from taperplan._units import Quantity
from taperplan._withdrawal import WithdrawalWindow


class StepKind(enum.Enum):
    """What happens at the start of a step."""

    CUT = "cut"
    PAUSE = "pause"
    STOP = "stop"


@attrs.frozen
class Dose:
    """An amount taken at one wall-clock time, every ``every_days`` days, and
    the units that make it."""

    time: dt.time
    amount: Quantity
    every_days: int
    units: tuple[UnitCount, ...]


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


@attrs.frozen
class Step:
    """One period of the plan at constant doses.

    ``start`` and ``end`` are inclusive. ``cut_fraction`` is the cut at the
    start of the step as a fraction of the previous step's total (MME, or the
    daily amount where MME does not apply); 0 for a pause.

    ``replanned_from`` is set on the first step of a re-plan whose regimen
    (what the patient actually took) differs from the planned step before:
    those doses, which this step's cut is measured against. It is ``None``
    everywhere else.
    """

    id: str
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
class TaperPlan:
    """A dated taper schedule; build with :func:`taperplan.plan_taper`.

    ``revision`` rises with every :meth:`pause` or :func:`taperplan.replan`
    so calendar exports can update events instead of duplicating them.
    """

    id: str
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
        from taperplan._errors import PlanningError  # noqa: PLC0415 - error path only

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
        from taperplan._planner import pause_plan  # noqa: PLC0415 - avoids a cycle

        return pause_plan(self, on=on, days=days)

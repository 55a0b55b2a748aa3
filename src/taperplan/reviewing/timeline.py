"""A plan's dates as the review reads them: its steps, cuts, withdrawal windows and dosing periods."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable
from decimal import Decimal

import attrs
from attrs import validators as v

from taperplan.model.plan import DatedSteps, StepKind, TaperPlan


@attrs.frozen
class TimelineStep:
    """The dates of one plan step: what the review needs of a :class:`~taperplan.Step`.

    ``period`` is the number of days after which every dose of the step falls
    on the same day again (1 for daily doses, 3 for a 72-hour patch); a pause
    holds the dose for whole periods, as :func:`taperplan.pause` does.
    """

    id: str
    index: int
    kind: StepKind
    start: dt.date
    end: dt.date
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    total_mme_per_day: Decimal | None = None
    period: int = attrs.field(default=1, validator=v.and_(v.instance_of(int), v.ge(1)))

    @property
    def days(self) -> int:
        """Length of the step in days."""
        return (self.end - self.start).days + 1

    @property
    def is_cut(self) -> bool:
        """Whether the dose falls at the start of this step (a cut or the stop)."""
        return self.kind is not StepKind.PAUSE

    @property
    def watch_end(self) -> dt.date:
        """The last day symptoms are expected from this step's cut (the window's end)."""
        return self.window_end if self.window_end is not None else self.end


def _steps_in_order(
    _instance: object, _attribute: attrs.Attribute[tuple[TimelineStep, ...]], steps: object
) -> None:
    if not isinstance(steps, tuple) or not steps:
        raise ValueError("a timeline needs at least one step")
    for before, after in itertools.pairwise(steps):
        if after.start != before.end + dt.timedelta(days=1):
            raise ValueError(f"step {after.id} does not start the day after step {before.id}")


@attrs.frozen
class PlanTimeline(DatedSteps):
    """The dated steps of a plan; build with :func:`timeline_of` or :func:`timeline_from_json`.

    ``baseline_period`` is the dosing period of the regimen before the first
    cut (see :attr:`TimelineStep.period`). ``plan`` is the plan the dates come
    from: a review previews a pause with it. A timeline built by hand from
    dates alone has none, and its pause flags carry no preview.
    """

    plan_id: str
    revision: int
    steps: tuple[TimelineStep, ...] = attrs.field(validator=_steps_in_order)
    baseline_period: int = attrs.field(default=1, validator=v.and_(v.instance_of(int), v.ge(1)))
    plan: TaperPlan | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    @property
    def start(self) -> dt.date:
        """The first day of the plan."""
        return self.steps[0].start

    def step_on(self, day: dt.date) -> TimelineStep | None:
        """The step in effect on ``day``, or None outside the plan."""
        for step in self.steps:
            if step.start <= day <= step.end:
                return step
        return None

    def cut_before(self, day: dt.date) -> TimelineStep | None:
        """The latest cut (or stop) on or before ``day``, or None before the first."""
        found = None
        for step in self.steps:
            if step.start > day:
                break
            if step.is_cut:
                found = step
        return found

    def watching(self, day: dt.date) -> TimelineStep | None:
        """The latest cut whose watch (cut day to window end) holds ``day``, or None."""
        found = None
        for step in self.steps:
            if step.start > day:
                break
            if step.is_cut and day <= step.watch_end:
                found = step
        return found


def dosing_period(every_days: Iterable[int]) -> int:
    """The days after which doses given every ``every_days`` all fall on one day again."""
    return math.lcm(1, *every_days)


def timeline_of(plan: TaperPlan) -> PlanTimeline:
    """The dates of ``plan``'s steps."""
    return PlanTimeline(
        plan=plan,
        plan_id=plan.id,
        revision=plan.revision,
        baseline_period=dosing_period(d.every_days for m in plan.baseline for d in m.doses),
        steps=tuple(
            TimelineStep(
                id=step.id,
                index=step.index,
                kind=step.kind,
                start=step.start,
                end=step.end,
                window_start=None
                if step.withdrawal_window is None
                else step.withdrawal_window.start,
                window_end=None if step.withdrawal_window is None else step.withdrawal_window.end,
                total_mme_per_day=step.total_mme_per_day,
                period=dosing_period(d.every_days for m in step.medications for d in m.doses),
            )
            for step in plan.steps
        ),
    )

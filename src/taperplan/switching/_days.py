"""Days of a plan that is not a taper, and the steps they make.

A plan of this kind is worked out one day at a time (:class:`DayDoses`: every
medication's doses that day, and the protocol's note for it); consecutive days
with the same doses make one step (:func:`merge_days`), which
:func:`date_spans` then dates with check-ins and,
after a full agonist falls, its withdrawal window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import attrs

from taperplan.clinical.withdrawal import window_after
from taperplan.model.plan import MedicationDose, Step, StepKind, total_mme
from taperplan.reference.products import WithdrawalProfile

_ONE_DAY = dt.timedelta(days=1)
_FOUR_PLACES = Decimal("0.0001")


@attrs.frozen
class DayDoses:
    """Every medication's doses on one day: the full agonists, then what the plan adds."""

    agonists: tuple[MedicationDose, ...]
    added: tuple[MedicationDose, ...]
    note: str | None = None

    @property
    def parts(self) -> tuple[MedicationDose, ...]:
        """Every medication's doses, in index order."""
        return (*self.agonists, *self.added)


@attrs.frozen
class Span:
    """Consecutive days with the same doses: one step before it is dated."""

    first: int
    days: int
    doses: DayDoses


def merge_days(days: Sequence[DayDoses]) -> tuple[Span, ...]:
    """Consecutive equal days (doses and note) as spans."""
    spans: list[Span] = []
    for number, today in enumerate(days):
        last = spans[-1] if spans else None
        if last is not None and last.doses == today:
            spans[-1] = attrs.evolve(last, days=last.days + 1)
        else:
            spans.append(Span(first=number, days=1, doses=today))
    return tuple(spans)


def on_plan_days(part: MedicationDose, first: int) -> MedicationDose:
    """``part`` in a step that starts on plan day ``first`` (from 0): a dose taken
    every N days stays on plan days 0, N, 2N, … (a patch changed every 3 days keeps
    its change days across steps of any length)."""
    if all(d.every_days == 1 for d in part.doses):
        return part
    doses = tuple(attrs.evolve(d, offset=(-first) % d.every_days) for d in part.doses)
    return attrs.evolve(part, doses=doses)


def _agonist_total(parts: Sequence[MedicationDose]) -> Decimal:
    """The agonists' MME/day, or their summed daily amounts where MME does not apply."""
    mme = total_mme(parts)
    if mme is not None:
        return mme
    return sum((p.daily_amount.amount for p in parts), Decimal(0))


def _fallen(
    before: Sequence[MedicationDose], after: Sequence[MedicationDose]
) -> tuple[str | None, WithdrawalProfile | None]:
    """The first agonist whose daily amount falls, and its withdrawal profile."""
    for old, new in zip(before, after, strict=True):
        if new.daily_amount.amount < old.daily_amount.amount:
            return old.product.drug.name, old.product.profile
    return None, None


def date_spans(
    spans: Sequence[Span],
    start: dt.date,
    baseline: Sequence[MedicationDose],
    *,
    plan_id: str,
) -> tuple[Step, ...]:
    """The spans as dated steps of kind ``change``: a check-in on each step's first
    day (before the day's doses), and a withdrawal window from the day a full
    agonist falls."""
    steps: list[Step] = []
    before = tuple(baseline)
    for index, span in enumerate(spans):
        first = start + dt.timedelta(days=span.first)
        end = first + dt.timedelta(days=span.days - 1)
        agonists = tuple(on_plan_days(p, span.first) for p in span.doses.agonists)
        added = tuple(on_plan_days(p, span.first) for p in span.doses.added)
        drug, profile = _fallen(before, agonists)
        was, now = _agonist_total(before), _agonist_total(agonists)
        cut = Decimal(0) if not was or drug is None else ((was - now) / was).quantize(_FOUR_PLACES)
        steps.append(
            Step(
                id=f"{plan_id}-s{index + 1:03d}",
                index=index,
                kind=StepKind.CHANGE,
                start=first,
                end=end,
                medications=(*agonists, *added),
                total_mme_per_day=total_mme((*agonists, *added)),
                cut_fraction=cut,
                cut_drug=drug,
                withdrawal_profile=profile,
                withdrawal_window=None if profile is None else window_after(first, profile),
                check_in=first,
                check_ins=(first,),
                notes=() if span.doses.note is None else (span.doses.note,),
            )
        )
        before = agonists
    return tuple(steps)

"""Dating undated steps: withdrawal windows, check-ins and the notes they need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from math import lcm
from typing import NamedTuple

from taperplan._data import load_data
from taperplan.clinical.withdrawal import window_after
from taperplan.model.advice import WithdrawalWindow
from taperplan.model.plan import MedicationDose, Step, StepKind, note_kind, total_mme
from taperplan.reference.products import WithdrawalProfile

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


def date_steps(undated: Sequence[UndatedStep], start: dt.date) -> tuple[Step, ...]:
    """Give ``undated`` steps their dates from ``start``, with withdrawal windows,
    check-ins and a note where a step is shorter than its window. The first check-in
    is counted from ``start`` (the first cut, or the visit of a pause or re-plan)."""
    rules = check_in_rules()
    steps = []
    day = start
    last_check: dt.date | None = None
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
        notes=tuple(n for n in step.notes if note_kind(n) is not None),
        replanned_from=step.replanned_from,
    )


def dosing_period(parts: Sequence[MedicationDose]) -> int:
    """The days after which every dose of ``parts`` falls on the same day again."""
    return lcm(1, *(d.every_days for p in parts for d in p.doses))


def whole(days: int, period: int) -> int:
    """``days`` rounded up to whole ``period``s."""
    return -(-days // period) * period

"""The values of the handout's steps: each dose as the page writes it, a medicine now, a
daily total, a day of a step, a note for the patient, and a step. Plain values, read
by the template and by the calendar (:mod:`taperplan.formats._handout_calendar`)."""

from __future__ import annotations

import datetime as dt

import attrs

from taperplan.model.advice import WithdrawalWindow


@attrs.frozen
class DoseLine:
    """One dose of one medicine: a row of a step's table and a column of its tick grid."""

    time: str
    medicine: str
    drug: str
    form: str
    patch: bool
    amount: str
    units: str
    how_often: str


@attrs.frozen
class MedicineNow:
    """A medicine taken now, with its doses."""

    name: str
    doses: tuple[DoseLine, ...]
    as_needed: int | None = None
    """For a medicine taken as needed: the most doses a day (the plan sets the times)."""


@attrs.frozen
class DailyTotal:
    """One medicine's daily amount (``40 mg``; a patch's strength worn)."""

    medicine: str
    amount: str
    patch: bool
    average: bool


@attrs.frozen
class Day:
    """One day of a step's tick grid: a box per dose taken that day, and its notes."""

    day: dt.date
    taken: tuple[bool, ...]
    first: bool
    check_in: bool
    window: bool


@attrs.frozen
class StepNote:
    """A note for the patient on a step: ``starts`` (a medicine starts), ``strength``
    (a new strength of oral solution) or ``fast`` (the next change may come early)."""

    kind: str
    medicine: str = ""
    drug: str = ""
    strengths: tuple[str, ...] = ()


@attrs.frozen
class StepValues:
    """One step: its row in the table of the plan and its own section."""

    id: str
    number: int
    kind: str
    rises: bool
    start: dt.date
    end: dt.date
    days: int
    totals: tuple[DailyTotal, ...]
    figures: tuple[str, ...]
    window: WithdrawalWindow | None
    check_ins: tuple[dt.date, ...]
    doses: tuple[DoseLine, ...]
    several: bool
    notes: tuple[StepNote, ...]
    grid: tuple[Day, ...]

"""The handout's month calendar: one grid per month, a box to tick for every dose.

Each day of the plan (its stop step included) is a cell of a Monday-first week:
the boxes of the doses taken that day (with their time, and the medicine when a
step has several), whether a step starts that day (and which), a check-in, and
whether withdrawal is possible. A seven-month plan is seven or eight grids
instead of two hundred rows. The words are the template's
(``data/handout.html.j2``); the month and weekday names ``[page]``'s of
``data/handout.toml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from taperplan.formats._handout_steps import DoseLine, StepValues
from taperplan.formats._handout_text import page_words


@attrs.frozen
class CalendarDay:
    """One day of the calendar."""

    day: dt.date
    step: int
    """The number (from 1) of the step the day belongs to."""
    kind: str
    """The step's kind: ``cut``, ``pause`` or ``stop``."""
    starts: bool
    """Whether the step starts on this day."""
    rises: bool
    doses: tuple[DoseLine, ...]
    """The doses taken this day, in time order."""
    several: bool
    """Whether the step has several medicines (the boxes then name theirs)."""
    check_in: bool
    window: bool


@attrs.frozen
class MonthGrid:
    """One month: its name and its weeks, Monday first (None outside the plan)."""

    title: str
    weekdays: tuple[str, ...]
    weeks: tuple[tuple[CalendarDay | None, ...], ...]


def month_grids(steps: Sequence[StepValues]) -> tuple[MonthGrid, ...]:
    """The plan's days, month by month."""
    days = [
        CalendarDay(
            day=cell.day,
            step=step.number,
            kind=step.kind,
            starts=cell.first,
            rises=step.rises,
            doses=tuple(d for d, taken in zip(step.doses, cell.taken, strict=True) if taken),
            several=step.several,
            check_in=cell.check_in,
            window=cell.window,
        )
        for step in steps
        for cell in step.grid
    ]
    months: dict[tuple[int, int], list[CalendarDay]] = {}
    for day in days:
        months.setdefault((day.day.year, day.day.month), []).append(day)
    words = page_words()
    return tuple(
        MonthGrid(
            title=f"{words.months[month - 1]} {year}",
            weekdays=words.weekdays,
            weeks=_weeks(cells),
        )
        for (year, month), cells in months.items()
    )


def _weeks(cells: list[CalendarDay]) -> tuple[tuple[CalendarDay | None, ...], ...]:
    """The month's days in Monday-first weeks, padded with None."""
    slots: list[CalendarDay | None] = [None] * cells[0].day.weekday()
    slots += cells
    slots += [None] * (-len(slots) % 7)
    return tuple(tuple(slots[i : i + 7]) for i in range(0, len(slots), 7))

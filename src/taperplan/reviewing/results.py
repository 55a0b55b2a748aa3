"""What a review returns: flags with their evidence, and the preview of a pause."""

from __future__ import annotations

import datetime as dt

import attrs

from taperplan.reference.notices import Notice
from taperplan.reviewing.log import LogEntry
from taperplan.reviewing.rules import FlagKind


@attrs.frozen
class Evidence:
    """A log entry behind a flag, and what in it counted (``COWS 14/48 (moderate)``)."""

    day: dt.date
    finding: str
    entry: LogEntry


@attrs.frozen
class PausePreview:
    """What :func:`taperplan.pause` ``(plan, on=on, days=days)`` would do to the plan's dates.

    The dose is held from ``hold_from`` (``on``, or the next whole dosing
    interval) for ``held_days`` more days (``days`` rounded up to whole
    intervals), and every later step moves ``held_days`` later.
    ``next_cut_step`` is the first cut (or the stop) that moves; ``*_now``
    are its date and the stop date in the plan as it is, ``*_paused`` the
    dates after the pause.
    """

    on: dt.date
    days: int
    hold_from: dt.date
    held_days: int
    next_cut_step: str | None
    next_cut_now: dt.date | None
    next_cut_paused: dt.date | None
    stop_now: dt.date
    stop_paused: dt.date
    source: str


@attrs.frozen
class Flag:
    """One consideration for the clinician raised by the log; never a diagnosis.

    ``step_id`` is the cut the flag is about (None for a sign gathered over
    the whole log, or pain before the first cut); ``pause_preview`` is set on
    pause flags while a pause is still possible.
    """

    rule: str
    kind: FlagKind
    message: str
    evidence: tuple[Evidence, ...]
    source: str
    also: tuple[str, ...] = ()
    step_id: str | None = None
    pause_preview: PausePreview | None = None


@attrs.frozen
class Review:
    """The flags a symptom log raises against a plan on a given day.

    ``entries`` counts the entries reviewed (dated ``on`` or before);
    ``ignored`` those after ``on``. ``notes`` always carry the disclaimer.
    """

    on: dt.date
    plan_id: str
    revision: int
    pause_days: int
    flags: tuple[Flag, ...]
    entries: int
    ignored: int
    notes: tuple[Notice, ...]

    def of_kind(self, kind: FlagKind) -> tuple[Flag, ...]:
        """The flags of one kind (``"pause"``, ``"oud"``, ...)."""
        return tuple(flag for flag in self.flags if flag.kind == kind)

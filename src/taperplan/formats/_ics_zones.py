"""The calendar's time zone: its observances, and the doses a clock change moves.

:func:`zone_observances` lists the offsets of the regimen's zone over the
plan's dates, for the calendar's ``VTIMEZONE``. On a day the clocks go forward
a dose time in the skipped hour does not exist, and on a day they go back a
dose time in the repeated hour occurs twice: :func:`clock_shifts` finds such
doses and where RFC 5545 puts them, and :func:`calendar_warnings` tells the
patient where the calendar shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import attrs

from taperplan.clinical.safety import ClockChange, clock_changes
from taperplan.errors import InvalidRegimenError, Problem
from taperplan.formats._ics_content import DoseSeries, dose_series, label
from taperplan.model.plan import TaperPlan
from taperplan.reference.notices import Notice

_ONE_SECOND = dt.timedelta(seconds=1)


@attrs.frozen
class Observance:
    """One ``STANDARD``/``DAYLIGHT`` block: from ``onset`` (local wall time in
    the offset before it) the zone is at ``offset_to``, called ``name``."""

    onset: dt.datetime
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    name: str
    daylight: bool


def _offset(moment: dt.datetime) -> dt.timedelta:
    offset = moment.utcoffset()
    return dt.timedelta(0) if offset is None else offset


def _daylight(moment: dt.datetime) -> bool:
    """Whether summer time is in force (a negative ``dst()``, as Dublin's winter, is not)."""
    saving = moment.dst()
    return saving is not None and saving > dt.timedelta(0)


def zone_observances(zone: ZoneInfo, first: dt.date, last: dt.date) -> tuple[Observance, ...]:
    """The observances of ``zone`` from ``first`` (local midnight) to ``last``.

    The first gives the offset in force at the start (``offset_from`` equals
    ``offset_to``; ``STANDARD`` when no clock changes follow); then one per
    change of UTC offset, its onset the local time of the change in the old
    offset (RFC 5545 §3.6.5: 02:00 for both US changes).
    """
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC).astimezone(zone)
    changes = [c for c in clock_changes(zone, first, last) if c.at > start]
    initial = _offset(start)
    result = [
        Observance(
            onset=start.replace(tzinfo=None),
            offset_from=initial,
            offset_to=initial,
            name=start.tzname() or zone.key,
            daylight=bool(changes) and _daylight(start),
        )
    ]
    for change in changes:
        before = _offset((change.at - _ONE_SECOND).astimezone(zone))
        after = change.at.astimezone(zone)
        result.append(
            Observance(
                onset=(change.at + before).replace(tzinfo=None),
                offset_from=before,
                offset_to=_offset(after),
                name=after.tzname() or zone.key,
                daylight=_daylight(after),
            )
        )
    return tuple(result)


def zone_of(plan: TaperPlan) -> ZoneInfo:
    """The time zone of the plan's regimen, which a calendar needs.

    Raises:
        InvalidRegimenError: the regimen has no ``timezone``.
    """
    zone = plan.regimen.timezone
    if zone is None:
        raise InvalidRegimenError(
            [
                Problem(
                    "timezone",
                    "a calendar needs the regimen's time zone, and none is set",
                    'add timezone = "Europe/London" (the patient\'s IANA zone) to the regimen file',
                )
            ]
        )
    return zone


@attrs.frozen
class ClockShift:
    """A dose on a day a clock change skips or repeats its wall time.

    ``wall`` is the planned local date and time (naive); ``instant`` is where
    RFC 5545 §3.3.5 puts it, in UTC: a skipped time in the offset before the
    change (02:30 becomes 03:30 summer time), a repeated time at its first
    occurrence. The calendar writes the dose at ``instant``.
    """

    wall: dt.datetime
    instant: dt.datetime
    forward: bool
    skipped_from: dt.datetime
    skipped_until: dt.datetime


def clock_shifts(
    zone: ZoneInfo, series: DoseSeries, changes: tuple[ClockChange, ...]
) -> Iterator[ClockShift]:
    """The doses of ``series`` whose wall time one of ``changes`` skips or repeats, in order."""
    days = set(series.days)
    for change in changes:
        for day in sorted({change.local_from.date(), change.local_until.date()} & days):
            wall = dt.datetime.combine(day, series.dose.time)
            if not change.local_from <= wall < change.local_until:
                continue
            # fold=0 is the RFC reading both ways (PEP 495: the offset before a gap,
            # the first of a repeated time).
            yield ClockShift(
                wall=wall,
                instant=wall.replace(tzinfo=zone, fold=0).astimezone(dt.UTC),
                forward=change.forward,
                skipped_from=change.local_from,
                skipped_until=change.local_until,
            )


def calendar_warnings(plan: TaperPlan) -> tuple[Notice, ...]:
    """Doses whose wall-clock time a clock change skips or repeats.

    On a day the clocks go forward a time in the skipped hour does not exist;
    on a day they go back a time in the repeated hour occurs twice. Calendar
    clients disagree on such zoned times, so :func:`plan_to_ics` writes these
    doses at one exact instant (RFC 5545's reading: a skipped 02:30 at 03:30
    summer time, a repeated 01:30 at the first 01:30), which every client shows
    alike; each notice says where the calendar shows the dose.

    Returns:
        ``dose-in-clock-gap`` and ``dose-in-clock-fold`` notices, one per
        affected dose, ordered by date, time and medication.

    Raises:
        InvalidRegimenError: the plan's regimen has no ``timezone``.
    """
    zone = zone_of(plan)
    changes = clock_changes(zone, plan.start, plan.end)
    found = [
        (shift.wall, series.part.index, _clock_notice(zone, series, shift))
        for series in dose_series(plan)
        for shift in clock_shifts(zone, series, changes)
    ]
    found.sort(key=lambda item: item[:2])
    return tuple(dict.fromkeys(notice for _, _, notice in found))


def _clock_notice(zone: ZoneInfo, series: DoseSeries, shift: ClockShift) -> Notice:
    day, time = shift.wall.date().isoformat(), shift.wall.strftime("%H:%M")
    what = f"the {time} dose of {label(series.part)} on {day} ({zone.key})"
    what = f"{what[:1].upper()}{what[1:]}"
    shown = shift.instant.astimezone(zone)
    at = f"{shown.strftime('%H:%M')} {shown.tzname() or zone.key}"
    if shift.forward:
        return Notice(
            "dose-in-clock-gap",
            f"{what} falls in the hour skipped when the clocks go forward "
            f"(from {shift.skipped_from.strftime('%H:%M')} to "
            f"{shift.skipped_until.strftime('%H:%M')}): {time} does not exist that day. "
            f"The calendar shows this dose at {at}, the first hour after the clock change; "
            "take it then or ask your clinician.",
        )
    second = shift.wall.replace(tzinfo=zone, fold=1)
    return Notice(
        "dose-in-clock-fold",
        f"{what} falls in the hour repeated when the clocks go back: {time} occurs twice "
        f"that day ({shown.tzname()}, then {second.tzname()}). The calendar shows this dose "
        f"once, at the first {time} ({shown.tzname()}); take it once, then, or ask your "
        "clinician.",
    )

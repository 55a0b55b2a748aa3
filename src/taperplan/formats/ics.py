"""iCalendar export (RFC 5545): dose reminders and the plan's milestones.

:func:`plan_to_ics` writes one calendar with:

- one recurring event per step, medication and dose time (``CATEGORIES:Dose``):
  a zoned ``DTSTART;TZID=...`` at the wall-clock time, a short ``DURATION`` and
  ``RRULE:FREQ=DAILY;INTERVAL=<every_days>;COUNT=<n>``, or with ``expand=True``
  one event per dose for importers that mishandle recurrence;
- for a dose whose wall time a clock change skips or repeats that day, the
  occurrence excluded from its series (``EXDATE;TZID=...``) and written as its
  own event at the RFC 5545 instant in UTC (``DTSTART:...Z``): clients read a
  skipped or repeated zoned time differently (ical.js and Radicale put a
  skipped 02:30 at 01:30, khal and ical.js take the second of a repeated
  01:30), but they all read a UTC instant the same way;
- all-day events for each step's start (``Step``), its withdrawal window
  (``Withdrawal window``) and each check-in (``Check-in``);
- a ``VTIMEZONE`` written here from :mod:`zoneinfo`: one observance per clock
  change over the plan's dates, each with a single ``DTSTART`` (no ``RRULE``,
  no ``RDATE``), after one for the offset in force when the plan starts.
  icalendar's own generator is not used: it writes multi-value ``RDATE``
  blocks that ical.js misreads for plans longer than a year.

The doses are exactly those of the plan, as :func:`taperplan.export.plan_to_csv`
lists them: a dose taken every N days falls on its step's day ``offset`` (0 is
the first day) and every N days after, within the step. Output is deterministic: the same plan and
``dtstamp`` give the same bytes. UIDs come from the step identifiers (which
carry the plan's), the medication and the dose time, and ``SEQUENCE`` is the
plan's revision, so a paused or re-planned plan updates the events already
imported instead of duplicating them.

What the calendar shows (each dose time's dates, the events' texts) is
:mod:`._ics_content`'s, and the zone's observances and the doses a clock change
moves are :mod:`._ics_zones`'s; this module writes the calendar. icalendar is
imported by this module only, and ``import taperplan`` does not import this
module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vText

from taperplan.clinical.safety import ClockChange, clock_changes
from taperplan.errors import CalendarOptionError
from taperplan.formats._ics_content import DoseSeries, Words, dose_series
from taperplan.formats._ics_zones import (
    ClockShift,
    Observance,
    calendar_warnings,
    clock_shifts,
    zone_observances,
    zone_of,
)
from taperplan.model.plan import TaperPlan

PRODID = "-//taperplan//taperplan//EN"

#: How long a dose reminder shows in a calendar: a display choice, not a clinical number.
DOSE_EVENT_LENGTH = dt.timedelta(minutes=15)

#: The earliest reminder allowed, in minutes before a dose (one day).
MAX_ALARM_MINUTES = 24 * 60

_ONE_DAY = dt.timedelta(days=1)


def _vtimezone(zone: ZoneInfo, first: dt.date, last: dt.date) -> Timezone:
    block = Timezone()
    block.add("tzid", zone.key)
    for observance in zone_observances(zone, first, last):
        sub = TimezoneDaylight() if observance.daylight else TimezoneStandard()
        sub.add("dtstart", observance.onset)
        sub.add("tzoffsetfrom", observance.offset_from)
        sub.add("tzoffsetto", observance.offset_to)
        sub.add("tzname", observance.name)
        block.add_component(sub)
    return block


def _check_options(dtstamp: object, alarm_minutes: object, calendar_name: object) -> dt.datetime:
    if not isinstance(dtstamp, dt.datetime) or dtstamp.utcoffset() is None:
        raise CalendarOptionError(
            f"dtstamp: must be a timezone-aware datetime (e.g. datetime.now(UTC)), not {dtstamp!r}"
        )
    if alarm_minutes is not None and (
        isinstance(alarm_minutes, bool)
        or not isinstance(alarm_minutes, int)
        or not 0 <= alarm_minutes <= MAX_ALARM_MINUTES
    ):
        raise CalendarOptionError(
            f"alarm_minutes: must be a whole number of minutes from 0 to {MAX_ALARM_MINUTES}, "
            f"or None for no alarm; not {alarm_minutes!r}"
        )
    if calendar_name is not None and (
        not isinstance(calendar_name, str) or not calendar_name.strip()
    ):
        raise CalendarOptionError(
            f"calendar_name: must be a non-empty text, or None for the default; not {calendar_name!r}"
        )
    if isinstance(calendar_name, str) and any(
        ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in calendar_name
    ):
        raise CalendarOptionError(
            f"calendar_name: must not hold control characters (a line break, a tab, ...); "
            f"not {calendar_name!r}"
        )
    return dtstamp.astimezone(dt.UTC)


def _event(
    uid: str, summary: str, description: str, category: str, *, stamp: dt.datetime, sequence: int
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("summary", summary)
    event.add("description", description)
    event.add("categories", [category])
    event.add("transp", "TRANSPARENT")
    return event


def _all_day(event: Event, first: dt.date, last: dt.date) -> Event:
    event.add("dtstart", first)
    event.add("dtend", last + _ONE_DAY)  # exclusive
    return event


def _dose_events(
    series: DoseSeries,
    zone: ZoneInfo,
    changes: tuple[ClockChange, ...],
    words: Words,
    *,
    stamp: dt.datetime,
    sequence: int,
    alarm_minutes: int | None,
    expand: bool,
) -> Iterator[Event]:
    """The Dose events of one series.

    The recurring event, with an ``EXDATE`` for each dose at a wall time that a
    clock change skips or repeats, then one event for each of those doses at
    its exact instant; with ``expand``, one event per dose, those few at their
    exact instant.
    """
    step, part, dose = series.step, series.part, series.dose
    summary = words.dose_summary(part, dose)
    description = words.dose_description(step, part, dose)
    uid = f"{step.id}-m{part.index}-dose-{dose.time.strftime('%H%M')}"
    shifts = {shift.wall.date(): shift for shift in clock_shifts(zone, series, changes)}

    def event(key: str, day: dt.date, *, recurring: bool = False) -> Event:
        result = _event(
            f"{key}@taperplan", summary, description, "Dose", stamp=stamp, sequence=sequence
        )
        shift = None if recurring else shifts.get(day)
        wall = dt.datetime.combine(day, dose.time)
        if shift is not None:
            result.add("dtstart", shift.instant)  # ...Z: the same instant in every client
        elif zone.key == "UTC":
            result.add("dtstart", wall.replace(tzinfo=dt.UTC))  # ...Z needs no VTIMEZONE
        else:
            result.add("dtstart", wall, parameters={"TZID": zone.key})
        result.add("duration", DOSE_EVENT_LENGTH)
        if recurring:
            result.add(
                "rrule", {"freq": "daily", "interval": dose.every_days, "count": len(series.days)}
            )
            # Each client matches an EXDATE to an occurrence the way it reads the
            # occurrence, so the exclusion holds whichever reading it takes. One
            # property per date, to be safe: ical.js reads only the first value of
            # a multi-valued RDATE.
            for excluded in shifts.values():
                result.add("exdate", excluded.wall, parameters={"TZID": zone.key})
        if alarm_minutes is not None:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", dt.timedelta(minutes=-alarm_minutes))
            alarm.add("description", summary)
            result.add_component(alarm)
        return result

    if not series.days:
        # A dose taken every N days whose day falls after a short step (an initiation's
        # patch, put on before the step began): nothing to remind of in this step.
        return
    if expand:
        # Occurrence n keeps its UID when a pause re-dates it.
        for n, day in enumerate(series.days, start=1):
            yield event(f"{uid}-n{n:03d}", day)
        return
    yield event(uid, series.days[0], recurring=True)
    for day in shifts:
        yield event(f"{uid}-{day.strftime('%Y%m%d')}", day)


def plan_to_ics(
    plan: TaperPlan,
    *,
    dtstamp: dt.datetime,
    alarm_minutes: int | None = None,
    discreet: bool = False,
    expand: bool = False,
    calendar_name: str | None = None,
) -> bytes:
    """The plan as an iCalendar file (RFC 5545, UTF-8, CRLF line ends).

    Args:
        plan: the plan; its regimen must name a ``timezone``.
        dtstamp: when the file is made (timezone-aware); the ``DTSTAMP`` of
            every event, in UTC. taperplan never reads the clock.
        alarm_minutes: add a display alarm this many minutes (0 to 1440)
            before each dose. Google Calendar drops the alarms of imported
            events; other calendars keep them.
        discreet: titles, texts and categories name no drug, no product
            and no withdrawal ("Dose: 1 tablet", "Plan step 3"; the window
            events' category is ``Symptoms`` instead of ``Withdrawal window``).
        expand: one event per dose instead of one recurring event per dose
            time, for importers that mishandle ``RRULE``.
        calendar_name: ``NAME`` and ``X-WR-CALNAME``; by default derived from
            the plan (its medications and start, or only its start when
            ``discreet``).

    Returns:
        The same bytes for the same plan and arguments.

    Raises:
        InvalidRegimenError: the regimen has no ``timezone``.
        CalendarOptionError: ``dtstamp`` is naive, or ``alarm_minutes`` or
            ``calendar_name`` is out of range.
    """
    zone = zone_of(plan)
    stamp = _check_options(dtstamp, alarm_minutes, calendar_name)
    words = Words(plan, discreet=discreet)
    name = calendar_name if calendar_name is not None else words.calendar_name()
    sequence = plan.revision

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    # NAME and X-WR-CALNAME are TEXT (RFC 7986 §5.1): a comma, a semicolon and a
    # backslash are escaped, as in any TEXT value.
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    # The UTC zone is written as ...Z, which needs no VTIMEZONE (RFC 5545 §3.3.5).
    if zone.key != "UTC":
        calendar.add_component(_vtimezone(zone, plan.start - _ONE_DAY, plan.end + _ONE_DAY))

    for step in plan.steps:
        calendar.add_component(
            _all_day(
                _event(
                    f"{step.id}-step@taperplan",
                    words.step_summary(step),
                    words.step_description(step),
                    "Step",
                    stamp=stamp,
                    sequence=sequence,
                ),
                step.start,
                step.start,
            )
        )
        window = step.withdrawal_window
        if window is not None:
            calendar.add_component(
                _all_day(
                    _event(
                        f"{step.id}-window@taperplan",
                        words.window_summary(step),
                        words.window_description(step),
                        words.window_category,
                        stamp=stamp,
                        sequence=sequence,
                    ),
                    window.start,
                    window.end,
                )
            )
        for number, day in enumerate(step.check_ins, start=1):
            calendar.add_component(
                _all_day(
                    _event(
                        f"{step.id}-check-in-{number}@taperplan",
                        words.check_in_summary(step),
                        words.check_in_description(step, number),
                        "Check-in",
                        stamp=stamp,
                        sequence=sequence,
                    ),
                    day,
                    day,
                )
            )

    changes = clock_changes(zone, plan.start, plan.end)
    for series in dose_series(plan):
        for event in _dose_events(
            series,
            zone,
            changes,
            words,
            stamp=stamp,
            sequence=sequence,
            alarm_minutes=alarm_minutes,
            expand=expand,
        ):
            calendar.add_component(event)
    return bytes(calendar.to_ical())


__all__ = [
    "DOSE_EVENT_LENGTH",
    "MAX_ALARM_MINUTES",
    "PRODID",
    "ClockShift",
    "DoseSeries",
    "Observance",
    "calendar_warnings",
    "clock_shifts",
    "dose_series",
    "plan_to_ics",
    "zone_observances",
]

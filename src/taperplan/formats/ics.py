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

icalendar is imported by this module only, and ``import taperplan`` does not
import this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from taperplan.clinical.safety import ClockChange, clock_changes
from taperplan.errors import CalendarOptionError, InvalidRegimenError, Problem
from taperplan.model.plan import Dose, MedicationDose, Step, StepKind, TaperPlan
from taperplan.reference.dispense import count_number, counted_noun
from taperplan.reference.notices import Notice
from taperplan.reference.products import Form
from taperplan.reference.wording import form_words
from taperplan.units import format_decimal

PRODID = "-//taperplan//taperplan//EN"

#: How long a dose reminder shows in a calendar: a display choice, not a clinical number.
DOSE_EVENT_LENGTH = dt.timedelta(minutes=15)

#: The earliest reminder allowed, in minutes before a dose (one day).
MAX_ALARM_MINUTES = 24 * 60

_ONE_DAY = dt.timedelta(days=1)
_ONE_SECOND = dt.timedelta(seconds=1)


# --- what the calendar shows ---------------------------------------------------


@attrs.frozen
class DoseSeries:
    """One dose time of one medication in one step, and the dates it is taken."""

    step: Step
    part: MedicationDose
    dose: Dose
    days: tuple[dt.date, ...]


def dose_series(plan: TaperPlan) -> Iterator[DoseSeries]:
    """Every dose time of every step, in plan order, with its dates.

    A dose taken every N days falls on the step's day ``offset`` and every N
    days after it within the step; a stopped medication (or the stop step) has none.
    """
    for step in plan.steps:
        for part in step.medications:
            for dose in part.doses:
                days = tuple(
                    step.start + dt.timedelta(days=offset) for offset in dose.days_in(step.days)
                )
                yield DoseSeries(step, part, dose, days)


def _label(part: MedicationDose) -> str:
    """``Oxycodone ER``, ``Hydrocodone/acetaminophen IR``, ``Fentanyl patch``."""
    name = part.product.name.rsplit(" ", 1)[0]
    return f"{name[:1].upper()}{name[1:]} {form_words(part.form, 'short')}"


def _units(part: MedicationDose, dose: Dose) -> str:
    """``1 × 20 mg tablet``, ``1½ × 15 mg tablet + 1 × 5 mg tablet``, ``10 mL of 1 mg/mL``."""
    return " + ".join(unit.describe(part.form) for unit in dose.units)


def _unit_count(part: MedicationDose, dose: Dose) -> str:
    """How many units, without strengths: ``1 tablet``, ``1½ tablets``, ``2.5 mL``."""
    total = sum((unit.count for unit in dose.units), Decimal(0))
    if part.form is Form.ORAL_SOLUTION:
        return f"{format_decimal(total)} mL"
    return f"{count_number(total)} {counted_noun(part.form, total)}"


def _daily(part: MedicationDose) -> str:
    """``40 mg/day`` (an average for doses every N days), or ``50 mcg/h`` worn."""
    return f"{part.daily_amount}{'' if part.form is Form.PATCH else '/day'}"


def _mme(value: Decimal | None) -> str:
    return "not applicable" if value is None else format_decimal(value.quantize(Decimal("0.1")))


def _step_name(step: Step) -> str:
    """``step 3``: counted from 1 for patients (the plan's ``index`` counts from 0)."""
    return f"step {step.index + 1}"


def _step_dates(step: Step) -> str:
    return f"{step.start.isoformat()} to {step.end.isoformat()} ({step.days} days)"


def _live(step: Step) -> tuple[MedicationDose, ...]:
    return tuple(part for part in step.medications if part.doses)


class _Words:
    """The texts of the calendar, plain or discreet (naming no drug)."""

    def __init__(self, plan: TaperPlan, *, discreet: bool) -> None:
        self.plan = plan
        self.discreet = discreet
        # The regimen's medications, then the finer products the plan adds (§4a rule 4),
        # numbered from 1 in that order (and any other medication of a step after them).
        indexes = dict.fromkeys(
            [
                *(part.index for part in plan.baseline),
                *(substitute.index for substitute in plan.substitutes),
                *sorted({part.index for step in plan.steps for part in step.medications}),
            ]
        )
        self.numbers = {index: number for number, index in enumerate(indexes, start=1)}
        self.several = len(self.numbers) > 1

    @property
    def window_category(self) -> str:
        """The category of withdrawal-window events (neutral when discreet)."""
        return "Symptoms" if self.discreet else "Withdrawal window"

    def calendar_name(self) -> str:
        if self.discreet:
            return f"Plan from {self.plan.start.isoformat()}"
        names = ", ".join(dict.fromkeys(_label(part) for part in self.plan.baseline))
        return f"Taper plan: {names} from {self.plan.start.isoformat()}"

    def _medicine(self, part: MedicationDose) -> str:
        return f" (medicine {self.numbers[part.index]})" if self.several else ""

    def dose_summary(self, part: MedicationDose, dose: Dose) -> str:
        if self.discreet:
            return f"Dose{self._medicine(part)}: {_unit_count(part, dose)}"
        return f"{_label(part)} {dose.amount} — {_units(part, dose)}"

    def dose_description(self, step: Step, part: MedicationDose, dose: Dose) -> str:
        take = "change to" if part.form is Form.PATCH else "take"
        when = f"{take} {_units(part, dose)} at {dose.time.strftime('%H:%M')}, {dose.how_often}."
        if self.discreet:
            return f"{when[:1].upper()}{when[1:]}\nPlan {_step_name(step)}: {_step_dates(step)}."
        return "\n".join(
            (
                f"{_label(part)} {dose.amount}: {when}",
                f"{_step_name(step).capitalize()}: {_step_dates(step)}.",
                f"Daily total: {_label(part)} {_daily(part)}; {_mme(part.mme_per_day)} MME/day.",
                f"Step total: {_mme(step.total_mme_per_day)} MME/day.",
                self._footer(),
            )
        )

    def step_summary(self, step: Step) -> str:
        of = f" of {len(self.plan.steps)}"
        if self.discreet:
            kind = "" if step.kind is StepKind.CUT else f" ({step.kind.value})"
            return f"Plan {_step_name(step)}{of}{kind}"
        name = _step_name(step).capitalize() + of
        if step.kind is StepKind.STOP:
            return f"{name} starts: stop (no more doses)"
        doses = ", ".join(f"{_label(part)} {_daily(part)}" for part in _live(step))
        kind = " (pause)" if step.kind is StepKind.PAUSE else ""
        return f"{name} starts{kind}: {doses}"

    def step_description(self, step: Step) -> str:
        lines = [f"{'Plan ' if self.discreet else ''}{_step_name(step)}: {_step_dates(step)}."]
        if not self.discreet:
            lines[0] = lines[0][:1].upper() + lines[0][1:]
            if step.kind is StepKind.CUT:
                cut = format_decimal((step.cut_fraction * 100).quantize(Decimal("0.1")))
                lines.append(f"Cut: {cut}% ({step.cut_drug}).")
            elif step.kind is StepKind.PAUSE:
                lines.append("Pause: the doses are held.")
        lines.append("Doses:" if _live(step) else "No more doses.")
        # In the order of the day, whichever medication each dose is.
        doses = sorted(
            ((part, dose) for part in _live(step) for dose in part.doses),
            key=lambda pair: (pair[1].time, pair[0].index),
        )
        for part, dose in doses:
            what = (
                f"{_units(part, dose)}{self._medicine(part)}"
                if self.discreet
                else f"{_label(part)} {dose.amount} — {_units(part, dose)}"
            )
            lines.append(f"  {dose.time.strftime('%H:%M')} {what}, {dose.how_often}")
        if not self.discreet:
            lines.append(f"Total: {_mme(step.total_mme_per_day)} MME/day.")
            lines.extend(f"Note: {note}" for note in step.notes)
            lines.append(self._footer())
        return "\n".join(lines)

    def window_summary(self, step: Step) -> str:
        if self.discreet:
            return f"Watch for symptoms (plan {_step_name(step)})"
        return f"Withdrawal window ({_step_name(step)})"

    def window_description(self, step: Step) -> str:
        window = step.withdrawal_window
        assert window is not None  # noqa: S101 - only called for steps with a window
        after = "stopping" if step.kind is StepKind.STOP else "the cut"
        span = f"{window.start.isoformat()} to {window.end.isoformat()}"
        if self.discreet:
            return f"Symptoms are most likely from {span}, after plan {_step_name(step)} starts."
        lines = [
            f"Withdrawal symptoms are most likely from {span}, after {after} on "
            f"{step.start.isoformat()} ({window.profile.value} profile"
            f"{', low confidence' if window.low_confidence else ''}).",
        ]
        if window.note:
            lines.append(window.note)
        lines.append(self._footer())
        return "\n".join(lines)

    def check_in_summary(self, step: Step) -> str:
        return f"Check-in ({'plan ' if self.discreet else ''}{_step_name(step)})"

    def check_in_description(self, step: Step, number: int) -> str:
        text = (
            f"Check-in {number} of {len(step.check_ins)} for {'plan ' if self.discreet else ''}"
            f"{_step_name(step)}: {_step_dates(step)}."
        )
        if step.kind is not StepKind.STOP:
            text += f" The next step starts on {(step.end + _ONE_DAY).isoformat()}."
        return text if self.discreet else f"{text}\n{self._footer()}"

    def _footer(self) -> str:
        return (
            f"taperplan {self.plan.id}, revision {self.plan.revision}. Decision support: "
            "follow the prescribing clinician's instructions."
        )


# --- time zones ----------------------------------------------------------------


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


def _zone_of(plan: TaperPlan) -> ZoneInfo:
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
    zone = _zone_of(plan)
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
    what = f"the {time} dose of {_label(series.part)} on {day} ({zone.key})"
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


# --- the calendar --------------------------------------------------------------


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
    words: _Words,
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
    zone = _zone_of(plan)
    stamp = _check_options(dtstamp, alarm_minutes, calendar_name)
    words = _Words(plan, discreet=discreet)
    name = calendar_name if calendar_name is not None else words.calendar_name()
    sequence = plan.revision

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
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

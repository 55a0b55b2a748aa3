"""The iCalendar export: golden files, round trips through real parsers, time zones.

Golden files under ``tests/golden/`` are compared byte for byte; regenerate
them with ``TAPERPLAN_UPDATE_GOLDEN=1 pytest tests/formats/test_ics.py`` (never
in CI) and review the diff. Properties parse the output with icalendar,
expand it with recurring_ical_events and compare with the plan's doses listed
here, as the CSV export lists them.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import icalendar
import pytest
import recurring_ical_events
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import ZONES, PlanningCase, plan_or_none, zoned_planning_cases
from support import DATA, GOLDEN, TAPENTADOL_TID, golden_bytes
from taperplan import (
    InvalidRegimenError,
    Regimen,
    TaperPlan,
    TaperplanError,
    catalogue,
    load_regimen,
    pause,
    plan_taper,
    regimen_from_mapping,
)
from taperplan.errors import CalendarOptionError
from taperplan.formats.csv import plan_to_csv
from taperplan.formats.ics import calendar_warnings, plan_to_ics, zone_observances

DTSTAMP = dt.datetime(2027, 1, 1, 12, 0, tzinfo=dt.UTC)
START = dt.date(2027, 1, 4)
ONE_DAY = dt.timedelta(days=1)


# --- helpers -------------------------------------------------------------------------


def expected_doses(plan: TaperPlan) -> Counter[tuple[dt.date, dt.time, str, str]]:
    """(local date, time, drug, amount) of every dose: a dose every N days falls on
    its step's day ``offset`` (counted from 0) and every N days after, within the step."""
    found: Counter[tuple[dt.date, dt.time, str, str]] = Counter()
    for step in plan.steps:
        for number in range(step.days):
            day = step.start + dt.timedelta(days=number)
            for part in step.medications:
                for dose in part.doses:
                    if number >= dose.offset and (number - dose.offset) % dose.every_days == 0:
                        found[(day, dose.time, part.drug, str(dose.amount))] += 1
    return found


def csv_doses(plan: TaperPlan) -> Counter[tuple[dt.date, dt.time, str, str]]:
    """The same tuples read from the CSV export."""
    rows = csv.DictReader(io.StringIO(plan_to_csv(plan)))
    return Counter(
        (
            dt.date.fromisoformat(row["date"]),
            dt.time.fromisoformat(row["time"]),
            row["drug"],
            f"{row['amount']} {row['unit']}",
        )
        for row in rows
    )


def categories(event: Any) -> list[str]:
    return [str(c) for c in event.categories]


def rfc_instant(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """Where RFC 5545 puts a wall time, in UTC: a skipped time in the offset before
    the change, a repeated time at its first occurrence (PEP 495 ``fold=0``)."""
    return dt.datetime.combine(day, time, zone).astimezone(dt.UTC)


def ambiguous(day: dt.date, time: dt.time, zone: ZoneInfo) -> bool:
    """Whether a clock change skips or repeats the wall time that day."""
    local = dt.datetime.combine(day, time, zone)
    return local.utcoffset() != local.replace(fold=1).utcoffset()


def instants(
    doses: Counter[tuple[dt.date, dt.time, str, str]], zone: ZoneInfo
) -> Counter[tuple[dt.datetime, str, str]]:
    """The doses keyed by their RFC 5545 instant instead of their wall time."""
    result: Counter[tuple[dt.datetime, str, str]] = Counter()
    for (day, time, drug, amount), count in doses.items():
        result[rfc_instant(day, time, zone), drug, amount] += count
    return result


def in_utc(event: Any) -> bool:
    """Whether the event's start is written in UTC (``DTSTART:...Z``)."""
    return bool(event["DTSTART"].to_ical().endswith(b"Z"))


def dose_key(event: Any, zone: ZoneInfo) -> tuple[dt.datetime, str, str]:
    """(UTC instant, drug, amount) of a dose event, read from its start and title
    (``Oxycodone ER 20 mg — 1 × 20 mg tablet``). A start is zoned in the plan's
    zone, except a dose at a skipped or repeated wall time, written in UTC."""
    start = event["DTSTART"].dt
    assert isinstance(start, dt.datetime)
    if in_utc(event):
        assert start.utcoffset() == dt.timedelta(0)
    else:
        assert getattr(start.tzinfo, "key", None) == zone.key
        # A zoned start is never a skipped or repeated wall time: those are in UTC.
        assert not ambiguous(start.date(), start.time(), zone), start
    head, _, units = str(event["SUMMARY"]).partition(" — ")
    assert units, event["SUMMARY"]
    words = head.split()
    return (start.astimezone(dt.UTC), words[0].lower().split("/")[0], " ".join(words[-2:]))


def unfolded(data: bytes) -> str:
    """The text with folded lines joined (RFC 5545 §3.1)."""
    return data.decode("utf-8").replace("\r\n ", "")


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def events(data: bytes) -> list[Any]:
    return list(parse(data).walk("VEVENT"))


def uids(data: bytes) -> dict[str, int]:
    """UID → SEQUENCE of every event (fails on a repeated UID)."""
    result: dict[str, int] = {}
    for event in events(data):
        uid = str(event["UID"])
        assert uid not in result, f"repeated UID {uid}"
        result[uid] = int(event["SEQUENCE"])
    return result


def regimen(mapping: dict[str, Any]) -> Regimen:
    return regimen_from_mapping(mapping)


# --- golden files ----------------------------------------------------------------------

#: Uneven split doses of one opioid with a second opioid at other times.
MULTI_OPIOID = {
    "timezone": "Europe/Berlin",
    "medication": [
        {
            "drug": "morphine",
            "form": "er_tablet",
            "strength": ["15 mg", "30 mg"],
            "doses": ["60 mg", "45 mg", "60 mg"],
            "times": ["07:00", "15:00", "23:00"],
        },
        {
            "drug": "oxycodone",
            "form": "ir_tablet",
            "strength": "5 mg",
            "doses": ["5 mg", "10 mg"],
            "times": ["11:00", "19:00"],
        },
    ],
    "pace": {"preset": "etg-short"},
}

#: An oral solution in a southern-hemisphere zone (clocks go back on 2027-04-04).
ORAL_SOLUTION = {
    "timezone": "Australia/Sydney",
    "medication": [
        {
            "drug": "oxycodone",
            "form": "oral_solution",
            "strength": "1 mg/mL",
            "dose": "10 mg",
            "times": ["06:00", "12:00", "18:00", "23:00"],
            "resolution": "0.1 mL",
        }
    ],
    "pace": {"percent": 25, "basis": "original", "every_days": 14, "max_step_fraction": 0.5},
}

#: A 21-month taper in New York (clocks forward 2027-03-14, back 2027-11-07, forward
#: 2028-03-12), one dose in the skipped hour (the 02:30 dose is gone by March 2028).
NEW_YORK = {
    "timezone": "America/New_York",
    "context": {"on_opioids_since": dt.date(2019, 5, 1)},
    "medication": [
        {
            "drug": "morphine",
            "form": "er_tablet",
            "strength": "15 mg",
            "dose": "90 mg",
            "times": ["02:30", "10:30", "18:30"],
            "available": ["15 mg"],
        }
    ],
    "pace": {"preset": "va-slower"},
}


#: Hydrocodone/acetaminophen 5/325 four times a day: one product from start to stop.
ONE_PRODUCT = {
    "timezone": "America/New_York",
    "medication": [
        {
            "drug": "hydrocodone",
            "form": "ir_tablet",
            "strength": "5 mg",
            "combination": "acetaminophen 325 mg",
            "dose": "5 mg",
            "times": ["08:00", "12:00", "17:00", "22:00"],
        }
    ],
}


#: Tapentadol IR three times a day: from step 5 the 07:00 dose is taken every 2 days
#: from the step's second day, staggered with the 14:00 dose.
TAPENTADOL = {**tomllib.loads(TAPENTADOL_TID), "timezone": "America/New_York"}


def sample_plan() -> TaperPlan:
    return plan_taper(load_regimen(DATA / "interfaces-sample.toml"), start=START)


def fentanyl_plan() -> TaperPlan:
    return plan_taper(load_regimen(DATA / "regimens" / "fentanyl-patch.toml"), start=START)


GOLDEN_CASES: dict[str, Callable[[], bytes]] = {
    "interfaces-sample.ics": lambda: plan_to_ics(sample_plan(), dtstamp=DTSTAMP),
    "multi-opioid-uneven.ics": lambda: plan_to_ics(
        plan_taper(regimen(MULTI_OPIOID), start=START), dtstamp=DTSTAMP
    ),
    "fentanyl-patch.ics": lambda: plan_to_ics(fentanyl_plan(), dtstamp=DTSTAMP),
    "oral-solution.ics": lambda: plan_to_ics(
        plan_taper(regimen(ORAL_SOLUTION), start=dt.date(2027, 3, 1)), dtstamp=DTSTAMP
    ),
    "new-york-clock-changes.ics": lambda: plan_to_ics(
        plan_taper(regimen(NEW_YORK), start=START), dtstamp=DTSTAMP
    ),
    "discreet-alarm.ics": lambda: plan_to_ics(
        sample_plan(), dtstamp=DTSTAMP, discreet=True, alarm_minutes=30
    ),
    "expand-fentanyl.ics": lambda: plan_to_ics(fentanyl_plan(), dtstamp=DTSTAMP, expand=True),
}


class TestGoldenFiles:
    @pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
    def test_matches_the_golden_file_byte_for_byte(self, name: str) -> None:
        """Each fixed plan exports to exactly the bytes of its golden file."""
        data = GOLDEN_CASES[name]()
        expected = golden_bytes(GOLDEN / name, data)
        if data != expected:
            diff = difflib.unified_diff(
                expected.decode().splitlines(),
                data.decode().splitlines(),
                f"golden/{name}",
                "plan_to_ics",
                lineterm="",
            )
            pytest.fail(
                "export differs from the golden file (TAPERPLAN_UPDATE_GOLDEN=1 rewrites it):\n"
                + "\n".join(list(diff)[:60])
            )

    def test_golden_files_are_crlf_and_folded(self) -> None:
        """Every golden line ends in CRLF and is at most 75 octets (RFC 5545 §3.1)."""
        for name in GOLDEN_CASES:
            data = (GOLDEN / name).read_bytes()
            assert data.endswith(b"END:VCALENDAR\r\n")
            lines = data.split(b"\r\n")[:-1]
            assert b"\n" not in b"".join(lines), name
            assert max(len(line) for line in lines) <= 75, name

    def test_no_golden_file_is_left_over(self) -> None:
        """Every .ics file in tests/golden/ belongs to a case (a rename leaves no stale file)."""
        assert {p.name for p in GOLDEN.glob("*.ics")} == set(GOLDEN_CASES)


# --- the calendar as a whole ---------------------------------------------------------


class TestCalendar:
    def test_header(self) -> None:
        """VERSION 2.0, taperplan's PRODID, NAME and X-WR-CALNAME; no METHOD, no X-WR-TIMEZONE."""
        calendar = parse(plan_to_ics(sample_plan(), dtstamp=DTSTAMP, calendar_name="Mum's plan"))
        assert str(calendar["VERSION"]) == "2.0"
        assert "taperplan" in str(calendar["PRODID"])
        assert str(calendar["NAME"]) == "Mum's plan"
        assert str(calendar["X-WR-CALNAME"]) == "Mum's plan"
        assert "METHOD" not in calendar
        assert "X-WR-TIMEZONE" not in calendar

    def test_default_name_is_derived_from_the_plan(self) -> None:
        """Without calendar_name the name gives the medication and the start date."""
        calendar = parse(plan_to_ics(sample_plan(), dtstamp=DTSTAMP))
        assert str(calendar["NAME"]) == "Taper plan: Oxycodone ER from 2027-01-04"
        assert str(calendar["X-WR-CALNAME"]) == str(calendar["NAME"])

    def test_dose_events_of_the_sample(self) -> None:
        """The sample's first dose event is zoned, recurs daily for the step, has a
        duration, its title names drug, amount and units, its description the step."""
        data = plan_to_ics(sample_plan(), dtstamp=DTSTAMP)
        doses = [e for e in events(data) if categories(e) == ["Dose"]]
        first = doses[0]
        assert str(first["SUMMARY"]) == "Oxycodone ER 15 mg — 1 × 15 mg tablet"
        assert first["DTSTART"].dt == dt.datetime(
            2027, 1, 4, 8, 0, tzinfo=ZoneInfo("America/New_York")
        )
        assert first["DTSTART"].params["TZID"] == "America/New_York"
        assert first["DURATION"].dt == dt.timedelta(minutes=15)
        rule = first["RRULE"]
        assert rule["FREQ"] == ["DAILY"]
        assert rule["INTERVAL"] == [1]
        assert rule["COUNT"] == [28]
        assert "UNTIL" not in rule
        description = str(first["DESCRIPTION"])
        assert "Step 1: 2027-01-04 to 2027-01-31 (28 days)" in description
        assert "Daily total: Oxycodone ER 35 mg/day; 52.5 MME/day." in description
        assert str(first["UID"]) == "tp-ec1f555d3acc-s001-m0-dose-0800@taperplan"
        assert int(first["SEQUENCE"]) == 0
        assert first["DTSTAMP"].dt == DTSTAMP
        assert b"RRULE:FREQ=DAILY;COUNT=28;INTERVAL=1\r\n" in data

    def test_all_day_events_of_a_step(self) -> None:
        """Each step has a Step event on its first day, a Withdrawal window event over
        the window (DTEND exclusive) and one Check-in event per check-in date."""
        plan = sample_plan()
        by_uid = {str(e["UID"]): e for e in events(plan_to_ics(plan, dtstamp=DTSTAMP))}
        step = plan.steps[2]
        start = by_uid[f"{step.id}-step@taperplan"]
        assert categories(start) == ["Step"]
        assert str(start["SUMMARY"]) == "Step 3 of 16 starts: Oxycodone ER 25 mg/day"
        assert start["DTSTART"].dt == step.start
        assert start["DTEND"].dt == step.start + ONE_DAY
        window = by_uid[f"{step.id}-window@taperplan"]
        assert step.withdrawal_window is not None
        assert categories(window) == ["Withdrawal window"]
        assert window["DTSTART"].dt == step.withdrawal_window.start
        assert window["DTEND"].dt == step.withdrawal_window.end + ONE_DAY
        check = by_uid[f"{step.id}-check-in-1@taperplan"]
        assert categories(check) == ["Check-in"]
        assert check["DTSTART"].dt == step.check_ins[0]
        assert check["DTEND"].dt == step.check_ins[0] + ONE_DAY
        # From step 5 the plan adds oxycodone IR tablets for the morning dose.
        fifth = by_uid[f"{plan.steps[4].id}-step@taperplan"]
        assert str(fifth["SUMMARY"]) == (
            "Step 5 of 16 starts: Oxycodone ER 10 mg/day, Oxycodone IR 7.5 mg/day"
        )

    def test_a_step_with_several_check_ins_has_one_event_each(self) -> None:
        """A step with more than one check-in date gets a Check-in event for each."""
        mapping = {
            "timezone": "America/New_York",
            "medication": [
                {
                    "drug": "oxycodone",
                    "form": "er_tablet",
                    "strength": "20 mg",
                    "dose": "20 mg",
                    "times": ["08:00", "20:00"],
                }
            ],
            "pace": {"percent": 25, "basis": "original", "every_days": 42},
        }
        plan = plan_taper(regimen(mapping), start=START)
        step = plan.steps[0]
        assert len(step.check_ins) == 2, "a 42-day step has two check-ins (at most 28 days apart)"
        found = sorted(
            e["DTSTART"].dt
            for e in events(plan_to_ics(plan, dtstamp=DTSTAMP))
            if categories(e) == ["Check-in"] and str(e["UID"]).startswith(f"{step.id}-")
        )
        assert found == sorted(step.check_ins)

    def test_stop_step_has_no_doses(self) -> None:
        """The stop step shows as a Step event and has no Dose event."""
        plan = sample_plan()
        stop = plan.steps[-1]
        found = [e for e in events(plan_to_ics(plan, dtstamp=DTSTAMP)) if stop.id in str(e["UID"])]
        assert "Dose" not in {c for e in found for c in categories(e)}
        assert any(str(e["SUMMARY"]).endswith("stop (no more doses)") for e in found)

    def test_patch_changes_every_three_days(self) -> None:
        """A fentanyl patch changed every 3 days recurs with INTERVAL=3 and COUNT = the changes in the step."""
        plan = fentanyl_plan()
        doses = [e for e in events(plan_to_ics(plan, dtstamp=DTSTAMP)) if categories(e) == ["Dose"]]
        assert len(doses) == len(plan.steps) - 1
        for event, step in zip(doses, plan.steps, strict=False):
            assert event["RRULE"]["INTERVAL"] == [3]
            assert event["RRULE"]["COUNT"] == [-(-step.days // 3)]
            assert str(event["SUMMARY"]).startswith("Fentanyl patch ")

    def test_a_dose_every_2_days_from_its_offset(self) -> None:
        """A dose every 2 days from its step's second day (offset 1) recurs from that day:
        in an 8-day step, 4 doses on days 1, 3, 5 and 7, staggered with the 14:00 dose."""
        plan = plan_taper(regimen(TAPENTADOL), start=START)
        step = plan.steps[4]
        assert [(d.time, d.every_days, d.offset) for d in step.medications[0].doses] == [
            (dt.time(7), 2, 1),
            (dt.time(14), 2, 0),
            (dt.time(21), 1, 0),
        ]
        assert step.days == 8
        by_uid = {str(e["UID"]): e for e in events(plan_to_ics(plan, dtstamp=DTSTAMP))}
        zone = ZoneInfo("America/New_York")
        for time, first, count in (("0700", 1, 4), ("1400", 0, 4), ("2100", 0, 8)):
            event = by_uid[f"{step.id}-m0-dose-{time}@taperplan"]
            at = dt.time(int(time[:2]), int(time[2:]))
            day = step.start + dt.timedelta(days=first)
            assert event["DTSTART"].dt == dt.datetime.combine(day, at, zone)
            assert event["RRULE"]["INTERVAL"] == [1 if time == "2100" else 2]
            assert event["RRULE"]["COUNT"] == [count]

    def test_expand_gives_one_event_per_dose(self) -> None:
        """With expand=True each dose is its own event without RRULE, with a unique UID."""
        plan = sample_plan()
        data = plan_to_ics(plan, dtstamp=DTSTAMP, expand=True)
        doses = [e for e in events(data) if categories(e) == ["Dose"]]
        assert len(doses) == sum(expected_doses(plan).values())
        assert all("RRULE" not in e for e in doses)
        assert len({str(e["UID"]) for e in doses}) == len(doses)
        assert str(doses[0]["UID"]) == "tp-ec1f555d3acc-s001-m0-dose-0800-n001@taperplan"

    def test_alarm(self) -> None:
        """alarm_minutes adds one DISPLAY alarm to each dose (none to all-day events)."""
        data = plan_to_ics(sample_plan(), dtstamp=DTSTAMP, alarm_minutes=90)
        for event in events(data):
            alarms = list(event.walk("VALARM"))
            if categories(event) != ["Dose"]:
                assert alarms == []
                continue
            assert len(alarms) == 1
            assert str(alarms[0]["ACTION"]) == "DISPLAY"
            assert alarms[0]["TRIGGER"].dt == dt.timedelta(minutes=-90)
            assert str(alarms[0]["DESCRIPTION"]) == str(event["SUMMARY"])
        assert b"TRIGGER:-PT1H30M\r\n" in data
        assert b"VALARM" not in plan_to_ics(sample_plan(), dtstamp=DTSTAMP)

    def test_dtstamp_is_written_in_utc(self) -> None:
        """An aware dtstamp in another zone is written as the same instant in UTC."""
        stamp = dt.datetime(2027, 1, 1, 13, 0, tzinfo=ZoneInfo("Europe/Berlin"))
        data = plan_to_ics(sample_plan(), dtstamp=stamp)
        assert b"DTSTAMP:20270101T120000Z\r\n" in data
        assert data == plan_to_ics(sample_plan(), dtstamp=DTSTAMP)


class TestOptions:
    def test_a_regimen_without_timezone_is_refused(self) -> None:
        """Without a timezone the export (and calendar_warnings) raise InvalidRegimenError
        naming the field and the fix."""
        plan = plan_taper(load_regimen(DATA / "regimens" / "uneven-split-doses.toml"), start=START)
        for call in (
            lambda: plan_to_ics(plan, dtstamp=DTSTAMP),
            lambda: calendar_warnings(plan),
        ):
            with pytest.raises(InvalidRegimenError) as info:
                call()
            assert isinstance(info.value, TaperplanError)
            assert info.value.problems[0].path == "timezone"
            assert 'add timezone = "Europe/London"' in str(info.value)

    @pytest.mark.parametrize("stamp", [dt.datetime(2027, 1, 1, 12, 0), dt.date(2027, 1, 1), "now"])  # noqa: DTZ001
    def test_dtstamp_must_be_aware(self, stamp: object) -> None:
        """A naive datetime, a date or a text as dtstamp is refused, naming dtstamp."""
        with pytest.raises(CalendarOptionError, match="dtstamp"):
            plan_to_ics(sample_plan(), dtstamp=stamp)  # type: ignore[arg-type]

    @pytest.mark.parametrize("minutes", [-1, 1441, True, 2.5, "10"])
    def test_alarm_minutes_out_of_range(self, minutes: object) -> None:
        """alarm_minutes must be a whole number from 0 to 1440."""
        with pytest.raises(CalendarOptionError, match="alarm_minutes"):
            plan_to_ics(sample_plan(), dtstamp=DTSTAMP, alarm_minutes=minutes)  # type: ignore[arg-type]

    @pytest.mark.parametrize("minutes", [0, 1440])
    def test_alarm_minutes_bounds_are_allowed(self, minutes: int) -> None:
        """0 (at the dose) and 1440 (a day before) are allowed."""
        data = plan_to_ics(sample_plan(), dtstamp=DTSTAMP, alarm_minutes=minutes)
        alarm = parse(data).walk("VALARM")[0]
        assert alarm["TRIGGER"].dt == dt.timedelta(minutes=-minutes)

    def test_empty_calendar_name_is_refused(self) -> None:
        """An empty calendar_name is refused (None asks for the default)."""
        with pytest.raises(CalendarOptionError, match="calendar_name"):
            plan_to_ics(sample_plan(), dtstamp=DTSTAMP, calendar_name="  ")

    def test_icalendar_is_imported_lazily(self) -> None:
        """``import taperplan`` imports neither icalendar nor this export."""
        code = (
            "import sys, taperplan, taperplan.export; "
            "print(sorted(m for m in sys.modules if m.startswith(('icalendar', 'taperplan.formats.ics'))))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == "[]"


# --- properties over random plans ----------------------------------------------------


def light_events(data: bytes) -> list[dict[str, str]]:
    """The VEVENTs of a file as {property name with parameters: value}, read line by
    line (quicker than icalendar for files of thousands of events); alarms are skipped."""
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    nested = 0
    for line in unfolded(data).split("\r\n"):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            found.append(current)
            current = None
        elif current is None:
            continue
        elif line.startswith("BEGIN:"):
            nested += 1
        elif line.startswith("END:"):
            nested -= 1
        elif not nested:
            name, _, value = line.partition(":")
            assert name not in current, f"repeated {name} in one event"
            current[name] = value
    return found


def light_dose_key(event: dict[str, str], zone: ZoneInfo) -> tuple[dt.datetime, str, str]:
    """:func:`dose_key` for :func:`light_events`."""
    (name,) = [key for key in event if key.split(";")[0] == "DTSTART"]
    value = event[name]
    if name == "DTSTART":
        assert value.endswith("Z"), value
        start = dt.datetime.strptime(value[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
    else:
        assert name == f"DTSTART;TZID={zone.key}", name
        wall = dt.datetime.strptime(value, "%Y%m%dT%H%M%S")  # noqa: DTZ007 - a wall time in zone
        # A zoned start is never a skipped or repeated wall time: those are in UTC.
        assert not ambiguous(wall.date(), wall.time(), zone), value
        start = rfc_instant(wall.date(), wall.time(), zone)
    summary = re.sub(r"\\([,;\\])", r"\1", event["SUMMARY"])
    head, _, units = summary.partition(" — ")
    assert units, summary
    words = head.split()
    return (start, words[0].lower().split("/")[0], " ".join(words[-2:]))


def text_exdates(data: bytes) -> int:
    """How many EXDATE properties the file has."""
    return sum(1 for line in unfolded(data).split("\r\n") if line.startswith("EXDATE"))


def light_date(value: str) -> dt.date:
    return dt.datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007 - a date


#: Each case of the calendar properties expands a whole plan's events (planner v2's
#: plans run to 20 steps and more): at most 150 examples, within CI's time budget.
CALENDAR_EXAMPLES = settings(max_examples=min(settings.default.max_examples, 150))


class TestProperties:
    @CALENDAR_EXAMPLES
    @given(zoned_planning_cases())
    def test_recurring_events_expand_to_exactly_the_plans_doses(self, case: PlanningCase) -> None:
        """Parsed by icalendar and expanded by recurring_ical_events, the Dose events are
        exactly the plan's doses (local date, time, drug, amount), which the CSV lists
        too; UIDs are unique, SEQUENCE is the revision, every TZID has its VTIMEZONE,
        the bytes are the same twice, and the discreet file names no drug."""
        plan = plan_or_none(case)
        if plan is None:
            return
        zone = plan.regimen.timezone
        assert zone is not None
        data = plan_to_ics(plan, dtstamp=DTSTAMP)
        assert data == plan_to_ics(plan, dtstamp=DTSTAMP)
        occurrences = recurring_ical_events.of(parse(data)).between(
            plan.start - 2 * ONE_DAY, plan.end + 2 * ONE_DAY
        )
        dose_events = [e for e in occurrences if categories(e) == ["Dose"]]
        found = Counter(dose_key(e, zone) for e in dose_events)
        expected = expected_doses(plan)
        # Counted by instant: a dose at a skipped or repeated wall time is excluded
        # from its series and written once in UTC, so it must count exactly once.
        assert found == instants(expected, zone)
        assert csv_doses(plan) == expected
        exact = sum(1 for e in dose_events if in_utc(e))
        shifted = sum(n for (day, time, *_), n in expected.items() if ambiguous(day, time, zone))
        assert exact == (sum(expected.values()) if zone.key == "UTC" else shifted)
        assert text_exdates(data) == (0 if zone.key == "UTC" else shifted)
        assert set(uids(data).values()) == {plan.revision}
        text = unfolded(data)
        tzids = set(re.findall(r";TZID=([^:;]+)[:;]", text))
        declared = set(re.findall(r"^TZID:([^\r\n]+)", text, re.MULTILINE))
        assert declared == (set() if zone.key == "UTC" else {zone.key})
        assert tzids == (declared if expected else set())
        discreet = unfolded(plan_to_ics(plan, dtstamp=DTSTAMP, discreet=True, alarm_minutes=15))
        assert not named_drugs(discreet), named_drugs(discreet)

    @CALENDAR_EXAMPLES
    @given(zoned_planning_cases())
    def test_expanded_file_and_milestones(self, case: PlanningCase) -> None:
        """expand=True lists the plan's doses one event each (no RRULE, unique UIDs), and
        every step, withdrawal window and check-in has its all-day event (DTEND exclusive)."""
        plan = plan_or_none(case)
        if plan is None:
            return
        zone = plan.regimen.timezone
        assert zone is not None
        found = light_events(plan_to_ics(plan, dtstamp=DTSTAMP, expand=True))
        assert len({e["UID"] for e in found}) == len(found)
        assert all("RRULE" not in e for e in found)
        doses = Counter(light_dose_key(e, zone) for e in found if e["CATEGORIES"] == "Dose")
        assert doses == instants(expected_doses(plan), zone)
        assert not any(key.startswith("EXDATE") for e in found for key in e)

        def spans(category: str) -> Counter[tuple[dt.date, dt.date]]:
            return Counter(
                (light_date(e["DTSTART;VALUE=DATE"]), light_date(e["DTEND;VALUE=DATE"]))
                for e in found
                if e["CATEGORIES"] == category
            )

        assert spans("Step") == Counter((s.start, s.start + ONE_DAY) for s in plan.steps)
        assert spans("Withdrawal window") == Counter(
            (s.withdrawal_window.start, s.withdrawal_window.end + ONE_DAY)
            for s in plan.steps
            if s.withdrawal_window is not None
        )
        assert spans("Check-in") == Counter(
            (d, d + ONE_DAY) for s in plan.steps for d in s.check_ins
        )

    @CALENDAR_EXAMPLES
    @given(zoned_planning_cases(), st.integers(0, 10_000), st.integers(1, 40))
    def test_a_pause_keeps_the_uids_with_a_higher_sequence(
        self, case: PlanningCase, where: int, days: int
    ) -> None:
        """After pause(plan, ...) every step, window and recurring dose event keeps its UID
        with SEQUENCE + 1; new UIDs belong to the held step, to check-ins or to the
        dated one-off doses on clock-change days only."""
        plan = plan_or_none(case)
        if plan is None:
            return
        on = plan.start + dt.timedelta(days=where % ((plan.stop_date - plan.start).days + 1))
        paused = pause(plan, on=on, days=days)
        before = uids(plan_to_ics(plan, dtstamp=DTSTAMP))
        after = uids(plan_to_ics(paused, dtstamp=DTSTAMP))
        assert set(before.values()) == {plan.revision}
        assert set(after.values()) == {plan.revision + 1}
        # Check-ins and the dated one-off events of doses at a skipped or repeated
        # wall time (``...-dose-0230-20270314``) follow the dates; the rest keep their UIDs.
        dated = re.compile(r"-check-in-|-dose-\d{4}-\d{8}@")
        kept = {uid for uid in before if not dated.search(uid)}
        assert kept <= set(after)
        assert all("-hold-" in uid or dated.search(uid) for uid in set(after) - set(before))


def _banned_words() -> tuple[str, ...]:
    words = {"opioid", "withdrawal", "acetaminophen", "paracetamol"}
    for opioid in catalogue().opioids:
        words.add(opioid.name)
        words.update(opioid.aliases)
    for product in catalogue().products:
        words.add(product.name)
    return tuple(sorted(words))


BANNED = re.compile(
    "|".join(rf"(?<![a-z]){re.escape(word)}" for word in _banned_words()), re.IGNORECASE
)


def named_drugs(text: str) -> list[str]:
    """Every banned word found in ``text`` (case-insensitive, at a word start)."""
    return BANNED.findall(text)


class TestDiscreet:
    def test_discreet_titles(self) -> None:
        """Discreet titles say "Dose: 1 tablet" (one product throughout) and "Plan step 3 of 16"."""
        plan = plan_taper(regimen(ONE_PRODUCT), start=START)
        assert len({m.index for s in plan.steps for m in s.medications}) == 1
        data = plan_to_ics(plan, dtstamp=DTSTAMP, discreet=True)
        titles = [str(e["SUMMARY"]) for e in events(data)]
        assert "Dose: 1 tablet" in titles
        assert "Dose: ½ tablet" in titles
        data = plan_to_ics(sample_plan(), dtstamp=DTSTAMP, discreet=True)
        titles = [str(e["SUMMARY"]) for e in events(data)]
        assert "Plan step 3 of 16" in titles
        assert str(parse(data)["NAME"]) == "Plan from 2027-01-04"

    def test_products_the_plan_adds_are_told_apart(self) -> None:
        """The sample's plan adds oxycodone IR tablets (step 5) and then a liquid (step 11)
        to the ER tablets: the discreet titles number them, as two medicines of a regimen."""
        plan = sample_plan()
        assert [(s.product.name, s.first_step) for s in plan.substitutes] == [
            ("oxycodone ir_tablet", 4),
            ("oxycodone oral_solution", 10),
        ]
        data = plan_to_ics(plan, dtstamp=DTSTAMP, discreet=True)
        titles = {str(e["UID"]): str(e["SUMMARY"]) for e in events(data)}
        fifth, eleventh = plan.steps[4].id, plan.steps[10].id
        assert titles[f"{fifth}-m0-dose-2000@taperplan"] == "Dose (medicine 1): 1 tablet"
        assert titles[f"{fifth}-m1-dose-0800@taperplan"] == "Dose (medicine 2): 1 tablet"
        assert titles[f"{eleventh}-m2-dose-2000@taperplan"] == "Dose (medicine 3): 6 mL"
        assert not named_drugs(unfolded(data))

    def test_discreet_golden_names_no_drug(self) -> None:
        """The discreet golden names nothing, while the plain one does (the check can fail)."""
        assert named_drugs(unfolded(GOLDEN_CASES["discreet-alarm.ics"]())) == []
        assert "oxycodone" in [
            w.lower() for w in named_drugs(unfolded(GOLDEN_CASES["interfaces-sample.ics"]()))
        ]

    def test_several_medicines_are_told_apart(self) -> None:
        """With two medications the discreet titles number them."""
        data = plan_to_ics(
            plan_taper(regimen(MULTI_OPIOID), start=START), dtstamp=DTSTAMP, discreet=True
        )
        titles = {str(e["SUMMARY"]) for e in events(data)}
        assert any(t.startswith("Dose (medicine 1): ") for t in titles)
        assert any(t.startswith("Dose (medicine 2): ") for t in titles)
        assert not named_drugs(unfolded(data))


# --- time zones ----------------------------------------------------------------------


def offset_changes(zone: ZoneInfo, low: dt.datetime, high: dt.datetime) -> list[dt.datetime]:
    """UTC instants (to the minute) where ``zone``'s offset changes, by brute force."""
    found = []
    moment = low
    offset = low.astimezone(zone).utcoffset()
    while moment < high:
        following = moment + dt.timedelta(hours=1)
        if following.astimezone(zone).utcoffset() != offset:
            minute = moment
            while minute.astimezone(zone).utcoffset() == offset:
                minute += dt.timedelta(minutes=1)
            found.append(minute)
            offset = minute.astimezone(zone).utcoffset()
        moment = following
    return found


def wall(text: str) -> dt.datetime:
    """A naive local wall time, as VTIMEZONE onsets are written."""
    return dt.datetime.fromisoformat(text)


def vtimezone_blocks(data: bytes) -> list[Any]:
    (block,) = list(parse(data).walk("VTIMEZONE"))
    return list(block.subcomponents)


class TestTimezones:
    @pytest.mark.parametrize("key", ZONES)
    def test_observances_match_zoneinfo(self, key: str) -> None:
        """The observances are the offset at the start, then one per offset change
        found by brute force, each with its local onset, offsets and name."""
        zone = ZoneInfo(key)
        first, last = dt.date(2027, 1, 3), dt.date(2028, 3, 2)
        low = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
        high = dt.datetime.combine(last + ONE_DAY, dt.time(), zone).astimezone(dt.UTC)
        changes = offset_changes(zone, low, high)
        observances = zone_observances(zone, first, last)
        initial = low.astimezone(zone)
        assert observances[0].onset == initial.replace(tzinfo=None)
        assert observances[0].offset_from == observances[0].offset_to == initial.utcoffset()
        assert len(observances) == len(changes) + 1
        for observance, change in zip(observances[1:], changes, strict=True):
            before = (change - dt.timedelta(seconds=1)).astimezone(zone)
            after = change.astimezone(zone)
            assert observance.offset_from == before.utcoffset()
            assert observance.offset_to == after.utcoffset()
            assert observance.onset == (change + observance.offset_from).replace(tzinfo=None)
            assert observance.name == after.tzname()
        if not changes:
            assert not observances[0].daylight

    def test_new_york_vtimezone(self) -> None:
        """New York from 2027 to September 2028: STANDARD at the start, DAYLIGHT from 02:00
        on 14 March, STANDARD from 02:00 on 7 November, DAYLIGHT from 02:00 on 12 March
        2028; each block one DTSTART, no RDATE or RRULE."""
        plan = plan_taper(regimen(NEW_YORK), start=START)
        assert plan.end == dt.date(2028, 9, 24)
        data = plan_to_ics(plan, dtstamp=DTSTAMP)
        blocks = vtimezone_blocks(data)
        summary = [
            (b.name, b["DTSTART"].dt, b["TZOFFSETFROM"].td, b["TZOFFSETTO"].td, str(b["TZNAME"]))
            for b in blocks
        ]
        hours = dt.timedelta(hours=1)
        assert summary == [
            ("STANDARD", wall("2027-01-03T00:00"), -5 * hours, -5 * hours, "EST"),
            ("DAYLIGHT", wall("2027-03-14T02:00"), -5 * hours, -4 * hours, "EDT"),
            ("STANDARD", wall("2027-11-07T02:00"), -4 * hours, -5 * hours, "EST"),
            ("DAYLIGHT", wall("2028-03-12T02:00"), -5 * hours, -4 * hours, "EDT"),
        ]  # the plan ends 2028-09-24, before the change of 2028-11-05
        text = unfolded(data)
        zone_text = text[text.index("BEGIN:VTIMEZONE") : text.index("END:VTIMEZONE")]
        assert "RDATE" not in zone_text
        assert "RRULE" not in zone_text
        assert zone_text.count("DTSTART:") == len(blocks)

    @pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
    def test_every_block_has_one_dtstart_and_matching_offsets(self, name: str) -> None:
        """In every golden file each observance has a single DTSTART (no RDATE, no RRULE)
        and its offsets are zoneinfo's on either side of its onset."""
        data = GOLDEN_CASES[name]()
        (block,) = list(parse(data).walk("VTIMEZONE"))
        zone = ZoneInfo(str(block["TZID"]))
        for sub in block.subcomponents:
            assert "RDATE" not in sub
            assert "RRULE" not in sub
            assert not isinstance(sub["DTSTART"], list)
            onset = sub["DTSTART"].dt
            assert onset.tzinfo is None
            instant = (onset - sub["TZOFFSETFROM"].td).replace(tzinfo=dt.UTC)
            assert instant.astimezone(zone).utcoffset() == sub["TZOFFSETTO"].td
            if sub["TZOFFSETFROM"].td != sub["TZOFFSETTO"].td:
                before = (instant - dt.timedelta(seconds=1)).astimezone(zone)
                assert before.utcoffset() == sub["TZOFFSETFROM"].td

    def test_zone_without_changes_has_one_standard_block(self) -> None:
        """Asia/Kolkata (no clock changes) gets a single STANDARD block at +05:30."""
        plan = plan_taper(
            attrs.evolve(
                load_regimen(DATA / "interfaces-sample.toml"), timezone=ZoneInfo("Asia/Kolkata")
            ),
            start=START,
        )
        blocks = vtimezone_blocks(plan_to_ics(plan, dtstamp=DTSTAMP))
        assert [(b.name, b["TZOFFSETTO"].td, str(b["TZNAME"])) for b in blocks] == [
            ("STANDARD", dt.timedelta(hours=5, minutes=30), "IST")
        ]

    def test_utc_is_written_with_z_and_needs_no_vtimezone(self) -> None:
        """A regimen in UTC gives ...Z times and no VTIMEZONE (RFC 5545 §3.3.5)."""
        plan = plan_taper(
            attrs.evolve(load_regimen(DATA / "interfaces-sample.toml"), timezone=ZoneInfo("UTC")),
            start=START,
        )
        data = plan_to_ics(plan, dtstamp=DTSTAMP)
        assert b"VTIMEZONE" not in data
        assert b"TZID" not in data
        assert b"DTSTART:20270104T080000Z\r\n" in data

    def test_a_dose_in_the_skipped_hour_is_written_in_utc(self) -> None:
        """On the spring-forward day the 02:30 dose is excluded from its series and written
        once at 07:30Z (03:30 EDT, RFC 5545's reading); the next day's stays zoned."""
        plan = plan_taper(regimen(NEW_YORK), start=START)
        data = plan_to_ics(plan, dtstamp=DTSTAMP)
        text = unfolded(data)
        assert text.count("EXDATE") == 1
        assert "\r\nEXDATE;TZID=America/New_York:20270314T023000\r\n" in text
        by_uid = {str(e["UID"]): e for e in events(data)}
        (exact,) = [e for e in events(data) if in_utc(e)]
        recurring = by_uid[str(exact["UID"]).replace("-20270314@", "@")]
        assert str(exact["UID"]).endswith("-dose-0230-20270314@taperplan")
        assert exact["DTSTART"].dt == dt.datetime(2027, 3, 14, 7, 30, tzinfo=dt.UTC)
        assert "RRULE" not in exact
        for name in ("SUMMARY", "DESCRIPTION", "CATEGORIES", "SEQUENCE", "DURATION"):
            assert exact[name].to_ical() == recurring[name].to_ical(), name
        assert "EXDATE" in recurring
        expanded = plan_to_ics(plan, dtstamp=DTSTAMP, expand=True)
        assert b"DTSTART:20270314T073000Z\r\n" in expanded
        assert b"TZID=America/New_York:20270314T023000" not in expanded
        assert b"DTSTART;TZID=America/New_York:20270315T023000\r\n" in expanded
        assert b"EXDATE" not in expanded

    def test_a_dose_in_the_repeated_hour_is_written_at_the_first(self) -> None:
        """On the fall-back day a 01:30 dose is written once at 05:30Z (the first 01:30, EDT),
        with an alarm like its series, and expands exactly once."""
        plan = plan_taper(clock_regimen(["01:30", "14:00"]), start=dt.date(2027, 11, 1))
        data = plan_to_ics(plan, dtstamp=DTSTAMP, alarm_minutes=10)
        (exact,) = [e for e in events(data) if in_utc(e)]
        assert exact["DTSTART"].dt == dt.datetime(2027, 11, 7, 5, 30, tzinfo=dt.UTC)
        assert len(list(exact.walk("VALARM"))) == 1
        assert b"EXDATE;TZID=America/New_York:20271107T013000\r\n" in data
        day = recurring_ical_events.of(parse(data)).between(
            dt.datetime(2027, 11, 7, tzinfo=dt.UTC), dt.datetime(2027, 11, 8, 12, tzinfo=dt.UTC)
        )
        starts = sorted(e["DTSTART"].dt for e in day if categories(e) == ["Dose"])
        assert [s.astimezone(dt.UTC) for s in starts] == [
            dt.datetime(2027, 11, 7, 5, 30, tzinfo=dt.UTC),
            dt.datetime(2027, 11, 7, 19, 0, tzinfo=dt.UTC),
            dt.datetime(2027, 11, 8, 6, 30, tzinfo=dt.UTC),
        ]


def clock_regimen(times: Iterable[str]) -> Regimen:
    return regimen(
        {
            "timezone": "America/New_York",
            "medication": [
                {
                    "drug": "oxycodone",
                    "form": "er_tablet",
                    "strength": "20 mg",
                    "dose": "20 mg",
                    "times": list(times),
                }
            ],
            "pace": {"preset": "va-slower"},
        }
    )


class TestCalendarWarnings:
    def test_dose_in_the_spring_forward_gap(self) -> None:
        """A 02:30 dose on 14 March 2027 in New York is reported: 02:30 does not exist, calendars show 03:30."""
        plan = plan_taper(clock_regimen(["01:30", "02:30", "14:00"]), start=dt.date(2027, 3, 8))
        (notice,) = calendar_warnings(plan)
        assert notice.code == "dose-in-clock-gap"
        assert "2027-03-14" in notice.message
        assert "02:30" in notice.message
        assert (
            "The calendar shows this dose at 03:30 EDT, the first hour after the clock change"
            in (notice.message)
        )
        assert "Oxycodone ER" in notice.message

    def test_dose_in_the_fall_back_fold(self) -> None:
        """A 01:30 dose on 7 November 2027 in New York is reported (01:30 occurs twice),
        before the next spring's gap, in date order."""
        plan = plan_taper(clock_regimen(["01:30", "02:30", "14:00"]), start=dt.date(2027, 11, 1))
        notice, *later = calendar_warnings(plan)
        # The plan runs into 2028: the 02:30 dose is in the gap of 12 March 2028.
        assert [(n.code, "2028-03-12" in n.message) for n in later] == [("dose-in-clock-gap", True)]
        assert notice.code == "dose-in-clock-fold"
        assert "2027-11-07" in notice.message
        assert "01:30" in notice.message
        assert "twice" in notice.message
        assert "shows this dose once, at the first 01:30 (EDT); take it once" in notice.message

    def test_no_warning_away_from_the_changes(self) -> None:
        """Doses at 08:00 and 20:00 are never skipped or repeated."""
        assert calendar_warnings(sample_plan()) == ()

    def test_a_dose_not_taken_on_the_change_day_is_not_reported(self) -> None:
        """A dose every 2 days that skips the change day is not reported."""
        mapping = {
            "timezone": "America/New_York",
            "medication": [
                {
                    "drug": "morphine",
                    "form": "oral_solution",
                    "strength": "2 mg/mL",
                    "dose": "20 mg",
                    "times": ["02:30"],
                    "every_days": 2,
                }
            ],
            "pace": {"preset": "va-slower"},
        }
        # 2027-03-13 is the first day: doses fall on the 13th and 15th, not the 14th.
        plan = plan_taper(regimen(mapping), start=dt.date(2027, 3, 13))
        (dose,) = plan.steps[0].medications[0].doses
        assert (dose.time, dose.every_days, dose.offset) == (dt.time(2, 30), 2, 0)
        assert calendar_warnings(plan) == ()
        shifted = plan_taper(regimen(mapping), start=dt.date(2027, 3, 12))
        assert [n.code for n in calendar_warnings(shifted)] == ["dose-in-clock-gap"]

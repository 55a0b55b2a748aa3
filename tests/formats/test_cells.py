"""CSV cells a spreadsheet will not run, and calendar names that stay one line (issue 15
item 1): the OWASP CSV-injection rule on every CSV taperplan writes; NAME and X-WR-CALNAME
escaped as TEXT, control characters refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import attrs
import pytest
from icalendar import Calendar
from test_handout import sample_plan

from taperplan import prescriptions
from taperplan.errors import CalendarOptionError
from taperplan.formats._cells import csv_cell
from taperplan.formats.csv import plan_to_csv
from taperplan.formats.ics import plan_to_ics
from taperplan.formats.rx import prescriptions_to_csv

STAMP = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+CMD", "'+CMD"),
        ("-rf", "'-rf"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tab", "'\tab"),
        ("\rx", "'\rx"),
        ("\0", "'\0"),
        ("-5", "-5"),
        ("+1.5", "+1.5"),
        ("oxycodone", "oxycodone"),
        (12, 12),
    ],
)
def test_csv_cell(value: object, written: object) -> None:
    assert csv_cell(value) == written


def test_plan_and_prescription_csvs_neutralise_a_hostile_name() -> None:
    """A drug named like a formula (a plan file edited by hand) reaches no CSV as a formula."""
    plan = sample_plan()
    drug = attrs.evolve(plan.baseline[0].product.drug, name="=HYPERLINK(evil)")

    def renamed(parts: tuple) -> tuple:  # type: ignore[type-arg]
        return tuple(attrs.evolve(p, product=attrs.evolve(p.product, drug=drug)) for p in parts)

    evil = attrs.evolve(
        plan,
        baseline=renamed(plan.baseline),
        steps=tuple(attrs.evolve(s, medications=renamed(s.medications)) for s in plan.steps),
    )
    for text in (plan_to_csv(evil), prescriptions_to_csv(prescriptions(evil))):
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert "'=HYPERLINK(evil)" in cells
        assert not any(cell.startswith("=") for cell in cells)


def test_calendar_name_is_text_and_one_line() -> None:
    plan = sample_plan()
    name = "Taper, step; one\\two"
    data = plan_to_ics(plan, dtstamp=STAMP, calendar_name=name)
    assert b"NAME:Taper\\, step\\; one\\\\two\r\n" in data
    raw = str(Calendar.from_ical(data)["X-WR-CALNAME"])
    # RFC 5545 §3.3.11: a TEXT value escapes a backslash, a semicolon and a comma.
    unescaped = re.sub(r"\\([\\;,])", r"\1", raw)
    assert unescaped == name
    for bad in ("line\r\nATTENDEE:mailto:x@example.org", "tab\there", "esc\x1b[2J"):
        with pytest.raises(CalendarOptionError, match="control characters"):
            plan_to_ics(plan, dtstamp=STAMP, calendar_name=bad)

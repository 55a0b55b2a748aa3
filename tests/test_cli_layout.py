"""The layout of the command line: shared helpers of the command modules."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import MO, relativedelta

from taperplan.cli.types import next_monday


def test_next_monday_is_dateutils_next_monday() -> None:
    """next_monday gives what relativedelta(days=1, weekday=MO(+1)) gave before it,
    for every day of the week and across a month and a year end."""
    for offset in range(-3, 40):
        today = dt.date(2026, 12, 1) + dt.timedelta(days=offset)
        assert next_monday(today) == today + relativedelta(days=1, weekday=MO(+1)), today
        assert next_monday(today).weekday() == 0
        assert 1 <= (next_monday(today) - today).days <= 7

"""The layout of the command line: what its modules share and what they ask the
catalogue for."""

from __future__ import annotations

import datetime as dt

import click
from dateutil.relativedelta import MO, relativedelta

from taperplan.cli.mme import mme
from taperplan.cli.types import next_monday
from taperplan.reference.products import catalogue


def test_next_monday_is_dateutils_next_monday() -> None:
    """next_monday gives what relativedelta(days=1, weekday=MO(+1)) gave before it,
    for every day of the week and across a month and a year end."""
    for offset in range(-3, 40):
        today = dt.date(2026, 12, 1) + dt.timedelta(days=offset)
        assert next_monday(today) == today + relativedelta(days=1, weekday=MO(+1)), today
        assert next_monday(today).weekday() == 0
        assert 1 <= (next_monday(today) - today).days <= 7


def test_the_factor_sets_are_the_catalogues() -> None:
    """mme --factors offers the catalogue's factor sets, in its order, and defaults
    to its default set: the command line lists none of its own."""
    (option,) = [param for param in mme.params if param.name == "factors"]
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == [factor_set.name for factor_set in catalogue().factor_sets]
    assert option.default == catalogue().default_factor_set.name

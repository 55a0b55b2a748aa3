"""Parameter types, the default start day and the refusals shared by the
command-line modules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from taperplan._reading import iso_date, iso_date_shaped
from taperplan.cli.terminal import echo


class IsoDate(click.DateTime):
    """A calendar day written ``YYYY-MM-DD``, as a midnight :class:`datetime.datetime`
    (like :class:`click.DateTime`, whose error for a day that does not exist,
    such as 2027-02-30, wrongly blames the format)."""

    name = "date"

    def __init__(self) -> None:
        super().__init__(formats=["%Y-%m-%d"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        text = str(value)
        if not iso_date_shaped(text):
            self.fail(f"{text!r} is not a date: write YYYY-MM-DD, e.g. 2027-01-04", param, ctx)
        day = iso_date(text)
        if day is None:
            self.fail(
                f"{text!r} is not a day of the calendar (check the month and day)", param, ctx
            )
        return dt.datetime(day.year, day.month, day.day)  # noqa: DTZ001 - a day, no time of day


ISO_DATE = IsoDate()


def next_monday(today: dt.date) -> dt.date:
    """The first Monday after ``today`` (a week on when ``today`` is a Monday):
    the first day of a plan when --start is not given."""
    return today + dt.timedelta(days=7 - today.weekday())


class Refused(click.ClickException):
    """Bad input, reported as one ``taperplan: error: ...`` message that names
    the file or option, the field and the fix (exit 2, nothing on stdout)."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        echo(f"taperplan: error: {self.message}", err=True)


class Usage(click.UsageError):
    """Bad options (exit 2), shown as one line naming the option and the fix."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        echo(f"taperplan: error: {self.message}", err=True)


def check_pace_option(name: str | None) -> None:
    """Refuse a --pace that names no preset, blaming --pace (not the regimen file).

    Raises:
        Usage: the name is empty or unknown; the message lists close names.
    """
    if name is None:
        return
    if not name.strip():
        raise Usage("--pace: is empty (fix: give a preset's name; `taperplan paces` lists them)")
    from taperplan.errors import TaperplanError  # noqa: PLC0415 - only with --pace
    from taperplan.reference.paces import preset  # noqa: PLC0415

    try:
        preset(name)
    except TaperplanError as error:
        raise Usage(f"--pace: {error} (fix: `taperplan paces` lists the names)") from None

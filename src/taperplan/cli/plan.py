"""``taperplan plan``: plan a gradual taper of a regimen file, print it, and
write the files asked for (see :mod:`taperplan.cli.outputs`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from taperplan.cli.delivery import Delivery, delivery_options
from taperplan.cli.regimen import read_regimen, refusal
from taperplan.cli.terminal import echo
from taperplan.cli.types import ISO_DATE, Usage, check_pace_option, next_monday
from taperplan.errors import TaperplanError
from taperplan.model.regimen import Regimen
from taperplan.planning import TaperOrder, plan_taper
from taperplan.planning._planner import FIRST_START, LAST_START


def _default_start(regimen: Regimen) -> tuple[str, dt.date]:
    """The next Monday in the regimen's zone, and the line that says so."""
    zone = regimen.timezone or dt.UTC
    start = next_monday(dt.datetime.now(zone).date())
    where = regimen.timezone.key if regimen.timezone else "UTC"
    return (
        f"taperplan: --start not given; planning from {start.isoformat()}, the next Monday in {where}",
        start,
    )


def start_day(regimen: Regimen, start: dt.datetime | None) -> dt.date:
    """``--start``, checked (and a warning when it is past), or the next Monday, said so.

    Raises:
        Usage: outside the dates taperplan plans for.
    """
    if start is None:
        message, day = _default_start(regimen)
        echo(message, err=True)
        return day
    day = start.date()
    if not FIRST_START <= day <= LAST_START:
        raise Usage(
            f"--start: {day.isoformat()} is outside the dates taperplan plans for "
            f"({FIRST_START.isoformat()} to {LAST_START.isoformat()})"
        )
    today = dt.datetime.now(regimen.timezone or dt.UTC).date()
    if day < today:
        echo(
            f"taperplan: warning: --start {day.isoformat()} is in the past (today is "
            f"{today.isoformat()}): the plan's first steps are dated before today",
            err=True,
        )
    return day


def taper_order(text: str) -> TaperOrder | tuple[str, ...]:
    """``--order``: a named order, or drug names separated by commas (cut in that order)."""
    if text in {o.value for o in TaperOrder}:
        return TaperOrder(text)
    return tuple(name.strip() for name in text.split(","))


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--start",
    type=ISO_DATE,
    default=None,
    metavar="YYYY-MM-DD",
    help="Day of the first cut (YYYY-MM-DD). Default: the next Monday in the regimen's zone.",
)
@click.option(
    "--pace",
    default=None,
    metavar="NAME",
    help="A pace preset (see `taperplan paces`); overrides [pace].",
)
@click.option(
    "--order",
    default=None,
    metavar="ORDER",
    help="With several opioids, which to cut first: long-acting-first (default), "
    "short-acting-first, proportional, or drug names separated by commas.",
)
@click.option(
    "--substitute/--no-substitute",
    default=None,
    help="Allow (or forbid) the same drug's immediate-release tablet or oral solution to take "
    "over part of a dose the regimen's products cannot cut within the pace. Default: the "
    "regimen's [pace] substitute (allowed unless it says false).",
)
@delivery_options
def plan(
    file: str,
    start: dt.datetime | None,
    pace: str | None,
    order: str | None,
    substitute: bool | None,
    **options: Any,
) -> None:
    """Plan a gradual taper of the regimen in FILE.

    The plan is printed on stdout in --format; the file options write more
    outputs. An output file that exists is never replaced without --force
    (nothing is written then), and every file is written atomically.

    \b
    Examples:
      taperplan plan regimen.toml --start 2027-01-04
      taperplan plan regimen.toml --pace va-slower --format json
      taperplan plan regimen.toml --format csv > doses.csv
      taperplan plan regimen.toml --start 2027-01-04 --ics taper.ics --alarm 10
      taperplan plan regimen.toml --json plan.json --handout plan.html --chart plan.svg
      taperplan plan regimen.toml --format rx --fill-days 14 --dispense weekly
      taperplan plan regimen.toml --prescriptions fills.csv
      taperplan plan two-opioids.toml --order short-acting-first
    """
    delivery = Delivery.of(options)
    check_pace_option(pace)
    regimen = read_regimen(file)
    day = start_day(regimen, start)
    chosen = TaperOrder.LONG_ACTING_FIRST if order is None else taper_order(order)
    try:
        taper = plan_taper(regimen, start=day, pace=pace, order=chosen, substitute=substitute)
        printed, files = delivery.render(taper)
    except TaperplanError as error:
        raise refusal(file, error) from error
    delivery.write(files)
    echo(printed, nl=False)

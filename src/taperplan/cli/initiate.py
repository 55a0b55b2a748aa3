"""``taperplan initiate``: plan a low-dose buprenorphine initiation from the regimen
in a file by a published protocol, print it, and write the files asked for (the
same outputs as ``taperplan plan``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from taperplan.cli.delivery import Delivery, delivery_options
from taperplan.cli.plan import start_day
from taperplan.cli.regimen import read_regimen, refusal
from taperplan.cli.terminal import echo
from taperplan.cli.types import ISO_DATE
from taperplan.errors import TaperplanError
from taperplan.reference.initiation import protocol_names
from taperplan.switching import plan_buprenorphine_initiation


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--protocol",
    "protocol_name",
    type=click.Choice(protocol_names()),
    default="vancouver-7d",
    show_default=True,
    help="The published schedule to follow (docs/howto-initiation.md).",
)
@click.option(
    "--start",
    type=ISO_DATE,
    default=None,
    metavar="YYYY-MM-DD",
    help="Day 1 of the protocol (YYYY-MM-DD). Default: the next Monday in the regimen's zone.",
)
@click.option(
    "--maintenance",
    default=None,
    metavar="DOSE",
    help='The daily buprenorphine dose after the protocol\'s last day, once a day ("12 mg"). '
    "Needed by jabfm-outpatient, which leaves it to the prescriber.",
)
@click.option(
    "--supervised",
    is_flag=True,
    help="The patient is in hospital under close supervision (needed by rapid-inpatient).",
)
@delivery_options
def initiate(
    file: str,
    protocol_name: str,
    start: dt.datetime | None,
    maintenance: str | None,
    supervised: bool,
    **options: Any,
) -> None:
    """Plan a low-dose buprenorphine initiation from the full agonists in FILE.

    Buprenorphine starts in small doses while the full agonist continues; the
    full agonist then stops or is tapered on the day the protocol says. The
    plan is printed on stdout in --format; the file options write the same
    outputs as `taperplan plan`, with both medications.

    \b
    Examples:
      taperplan initiate regimen.toml --start 2027-01-04
      taperplan initiate regimen.toml --protocol jabfm-outpatient --maintenance "12 mg"
      taperplan initiate regimen.toml --format json --ics initiation.ics
    """
    delivery = Delivery.of(options)
    regimen = read_regimen(file)
    day = start_day(regimen, start)
    try:
        plan = plan_buprenorphine_initiation(
            regimen, protocol_name, start=day, maintenance=maintenance, supervised=supervised
        )
        printed, files = delivery.render(plan)
    except TaperplanError as error:
        raise refusal(file, error) from error
    delivery.write(files)
    echo(printed, nl=False)

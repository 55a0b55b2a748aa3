"""``taperplan rotate``: plan a switch from the regimen in a file to another opioid,
print it, and write the files asked for (the same outputs as ``taperplan plan``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import click

from taperplan.cli.delivery import Delivery, delivery_options
from taperplan.cli.plan import start_day
from taperplan.cli.regimen import read_regimen, refusal
from taperplan.cli.terminal import echo
from taperplan.cli.types import ISO_DATE
from taperplan.errors import TaperplanError
from taperplan.reference.equianalgesic import oral_tables
from taperplan.reference.rotation import table_names
from taperplan.switching import plan_rotation


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--to",
    "target",
    required=True,
    metavar="DRUG[:FORM]",
    help="The new opioid: oxycodone, morphine:er_tablet, methadone, fentanyl (the patch). "
    "An oral opioid is an immediate-release tablet unless a form is given.",
)
@click.option(
    "--method",
    type=click.Choice(["staged", "direct", "three-day"]),
    default="staged",
    show_default=True,
    help="staged: a share of each drug a week; direct: the old stopped when the new starts; "
    "three-day: methadone in thirds every three days (low confidence).",
)
@click.option(
    "--weeks",
    type=int,
    default=None,
    metavar="N",
    help="A staged switch's length in weeks, 4 to 10 (10–30%% a week). Default: 4.",
)
@click.option(
    "--table",
    "oral",
    type=click.Choice(list(oral_tables())),
    default=None,
    help="The oral equianalgesic table. Default: msd.",
)
@click.option(
    "--methadone-table",
    type=click.Choice(table_names("methadone")),
    default="msd-modified",
    show_default=True,
    help="The table for a switch to methadone.",
)
@click.option(
    "--patch-table",
    type=click.Choice(table_names("patch")),
    default="label-rotation",
    show_default=True,
    help="The table for a switch to a fentanyl patch.",
)
@click.option(
    "--cut",
    type=click.IntRange(min=0, max=100),
    default=None,
    metavar="PERCENT",
    help="The cross-tolerance cut, within the source's range. Default: chosen by its rule.",
)
@click.option("--age", type=click.IntRange(min=0, max=130), default=None, help="The patient's age.")
@click.option("--frail", is_flag=True, help="The patient is frail (a larger cut).")
@click.option(
    "--start",
    type=ISO_DATE,
    default=None,
    metavar="YYYY-MM-DD",
    help="The first day of the switch. Default: the next Monday in the regimen's zone.",
)
@delivery_options
def rotate(
    file: str,
    *,
    target: str,
    method: str,
    weeks: int | None,
    oral: str | None,
    methadone_table: str,
    patch_table: str,
    cut: int | None,
    age: int | None,
    frail: bool,
    start: dt.datetime | None,
    **options: Any,
) -> None:
    """Plan a switch from the opioids in FILE to another opioid (--to).

    The new dose comes from named, cited tables (never MME), cut for
    incomplete cross-tolerance; the plan shows both drugs while they overlap
    and says which table and cut it used. Every output option of `taperplan
    plan` works.

    \b
    Examples:
      taperplan rotate regimen.toml --to oxycodone --start 2027-01-04
      taperplan rotate regimen.toml --to fentanyl --patch-table label-stable
      taperplan rotate regimen.toml --to methadone --methadone-table ccdhb --format json
    """
    delivery = Delivery.of(options)
    regimen = read_regimen(file)
    day = start_day(regimen, start)
    try:
        plan = plan_rotation(
            regimen,
            target,
            start=day,
            method="direct"
            if method == "direct"
            else "three-day"
            if method == "three-day"
            else "staged",
            weeks=weeks,
            table=oral,
            methadone_table=methadone_table,
            patch_table=patch_table,
            cut=None if cut is None else Decimal(cut),
            age=age,
            frail=frail,
        )
        printed, files = delivery.render(plan)
    except TaperplanError as error:
        raise refusal(file, error) from error
    delivery.write(files)
    echo(printed, nl=False)

"""``taperplan mme``: the morphine milligram equivalents of a regimen file."""

from __future__ import annotations

from decimal import Decimal

import click

from taperplan import formats
from taperplan._statement import SAFETY
from taperplan.cli.regimen import read_regimen
from taperplan.cli.render import terminal_width, wrapped
from taperplan.cli.terminal import echo
from taperplan.clinical.mme import MedicationMME, MMEReport, regimen_mme
from taperplan.errors import NotApplicableError
from taperplan.reference.products import catalogue
from taperplan.reference.wording import form_words
from taperplan.units import format_decimal

# Two decimal places for people; JSON keeps the exact values.
_Q = Decimal("0.01")

#: The packaged MME factor sets, in the catalogue's order.
FACTOR_SETS = click.Choice([factor_set.name for factor_set in catalogue().factor_sets])


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--factors",
    type=FACTOR_SETS,
    default=catalogue().default_factor_set.name,
    show_default=True,
    help="MME conversion factor set.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
def mme(file: str, factors: str, fmt: str) -> None:
    """Print the morphine milligram equivalents (MME/day) of a regimen FILE.

    \b
    Examples:
      taperplan mme regimen.toml
      taperplan mme regimen.toml --factors cdc2016 --format json
    """
    regimen = read_regimen(file)
    try:
        report = regimen_mme(regimen, factors)
    except NotApplicableError as error:
        # The message must name the file as well as the medication (interfaces.md §2).
        raise NotApplicableError(f"{file}: {error}") from None
    if fmt == "json":
        echo(formats.to_json(formats.mme_to_dict(report)), nl=False)
    else:
        echo(mme_table(report))


def _mme_row(part: MedicationMME) -> tuple[str, str, str, str, str]:
    amount = part.daily_amount
    daily = (
        str(amount)
        if amount.unit.value == "mcg/h"
        else f"{format_decimal(amount.amount.quantize(_Q))} {amount.unit.value}/day"
    )
    if part.medication.as_needed is not None:
        daily = f"up to {daily} (as needed)"
    return (
        part.medication.drug,
        form_words(part.medication.form, "table"),
        daily,
        "n/a" if part.factor is None else format_decimal(part.factor),
        "n/a" if part.mme_per_day is None else format_decimal(part.mme_per_day.quantize(_Q)),
    )


def mme_table(report: MMEReport) -> str:
    """The report as ``taperplan mme`` prints it for people."""
    factor_set = catalogue().factor_set(report.factor_set)
    rows = [
        ("drug", "form", "daily amount", "factor", "MME/day"),
        *map(_mme_row, report.medications),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"MME/day with factor set {factor_set.name}: {factor_set.title}", ""]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    total = report.total_mme_per_day
    lines += [
        "",
        f"Total: {'n/a' if total is None else format_decimal(total.quantize(_Q))} MME/day",
        "",
    ]
    width = terminal_width()
    lines += ["Warnings:"]
    lines += [wrapped(f"{w.message} [{w.code}]", width, "  - ", "    ") for w in report.warnings]
    lines += ["", wrapped(SAFETY, width)]
    return "\n".join(lines)

"""Prescriptions on the command line: the fill options of ``taperplan plan`` and the
table ``--format rx`` prints (the CSV is :mod:`taperplan.formats.rx`)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs
import click

from taperplan._statement import SAFETY
from taperplan.cli.render import plain_console, wrapped
from taperplan.cli.types import Usage
from taperplan.formats.rx import item_words, sig_text
from taperplan.model.plan import TaperPlan
from taperplan.model.prescription import Fill
from taperplan.prescribing import prescriptions
from taperplan.reference.dispense import counted_noun
from taperplan.units import format_decimal

_F = TypeVar("_F", bound=Callable[..., Any])

#: ``--dispense``: the days each instalment covers.
DISPENSE = {"daily": 1, "weekly": 7}


@attrs.frozen
class FillOptions:
    """``--fill-days``, ``--fills-across-steps`` and ``--dispense``."""

    every_days: int = 28
    across_steps: bool = False
    dispense: str | None = None
    since: dt.date | None = None
    """The first day to prescribe for: the visit, for ``pause`` and ``replan``."""

    def given(self) -> list[str]:
        """The options set to other than their defaults (they need a prescriptions output)."""
        return [
            name
            for name, value in (
                ("--fill-days", self.every_days != 28),
                ("--fills-across-steps", self.across_steps),
                ("--dispense", self.dispense is not None),
            )
            if value
        ]

    def fills(self, plan: TaperPlan) -> tuple[Fill, ...]:
        """The plan's fills with these options."""
        if self.dispense is not None and DISPENSE[self.dispense] > self.every_days:
            raise Usage(
                f"--dispense {self.dispense}: an instalment is longer than a fill of "
                f"{self.every_days} days (fix: --fill-days 7 or more, or --dispense daily)"
            )
        return prescriptions(
            plan,
            self.every_days,
            per_step=False if self.across_steps else None,
            dispense_every=None if self.dispense is None else DISPENSE[self.dispense],
            since=self.since,
        )


def fill_options(command: _F) -> _F:
    """The fill options, for ``taperplan plan``."""
    for option in reversed(
        (
            click.option(
                "--fill-days",
                type=click.IntRange(min=1),
                default=28,
                show_default=True,
                metavar="DAYS",
                help="Prescriptions: the longest fill (7, 14 and 28 are usual).",
            ),
            click.option(
                "--fills-across-steps",
                is_flag=True,
                help="Prescriptions: fills every --fill-days days from the start, even where "
                "a step changes inside one (default: no fill spans two steps).",
            ),
            click.option(
                "--dispense",
                type=click.Choice(sorted(DISPENSE)),
                default=None,
                help="Prescriptions: hand each fill out in daily or weekly instalments.",
            ),
        )
    ):
        command = option(command)
    return command


def render_prescriptions(fills: Sequence[Fill], *, width: int = 80) -> str:
    """The fills as a table: what to prescribe and dispense, and the directions."""
    # rich takes tens of ms to import: only a printed table loads it.
    from rich.table import Table  # noqa: PLC0415 - heavy, only to draw a table

    out = io.StringIO()
    console = plain_console(out, width)
    table = Table(show_lines=True)
    for name in ("fill", "product", "dispense", "directions"):
        table.add_column(name, overflow="fold")
    for fill in fills:
        for position, item in enumerate(fill.items):
            unit = (
                item.quantity_unit
                if item.quantity_unit == "mL"
                else counted_noun(item.product.form, item.quantity)
            )
            dispense = f"{format_decimal(item.quantity)} {unit}"
            if item.packs is not None:
                dispense += f"\n({item.packs} × {item.product.pack_size})"
            if item.instalments:
                dispense += f"\nin {len(item.instalments)} instalments"
            table.add_row(
                f"{fill.number}\n{fill.start.isoformat()}\n{fill.end.isoformat()}\n"
                f"({fill.days} days)"
                if position == 0
                else "",
                f"{item_words(item)} {item.strength_text}",
                dispense,
                sig_text(item.directions),
            )
    count = len(fills)
    console.print(f"Prescriptions: {count} fill{'' if count == 1 else 's'}")
    console.print(table, soft_wrap=False)
    console.print()
    console.print(wrapped(SAFETY, width))
    return out.getvalue()

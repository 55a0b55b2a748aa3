"""Oral equianalgesic tables for rotation plans, from ``data/equianalgesic.toml``.

Each table names the oral mg of each drug that equal its ``morphine`` mg of oral
morphine (MSD's 30 mg, Alberta's 10 mg). The sources disagree (oxycodone is 1.5
times morphine in MSD's table and twice in Alberta's), so each is named and the
caller chooses. MME factors are never used: they estimate overdose risk, not
dose equivalence (CDC 2022). Methadone and fentanyl patches are converted to
with their own tables (:mod:`taperplan.reference.rotation`) and never from.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

import attrs

from taperplan._data import load_data
from taperplan.errors import CatalogueError, NotApplicableError
from taperplan.units import format_decimal


@attrs.frozen
class OralTable:
    """One oral equianalgesic table: the oral mg of each drug equal to ``morphine`` mg
    of oral morphine."""

    name: str
    title: str
    source: str
    low_confidence: bool
    morphine: Decimal
    doses: tuple[tuple[str, Decimal], ...]

    def dose_of(self, drug: str) -> Decimal:
        """The oral mg of ``drug`` equal to the table's morphine dose.

        Raises:
            NotApplicableError: the table does not list ``drug``, naming those it lists.
        """
        for name, amount in self.doses:
            if name == drug:
                return amount
        listed = ", ".join(name for name, _ in self.doses)
        raise NotApplicableError(
            f"the {self.name} table gives no oral dose of {drug} (it lists {listed}); "
            "choose another table, or plan a taper instead"
        )

    def to_morphine(self, drug: str, mg_per_day: Decimal) -> Decimal:
        """Oral morphine mg/day equal to ``mg_per_day`` of oral ``drug``."""
        return mg_per_day * self.morphine / self.dose_of(drug)

    def from_morphine(self, drug: str, morphine_mg_per_day: Decimal) -> Decimal:
        """Oral mg/day of ``drug`` equal to ``morphine_mg_per_day`` of oral morphine."""
        return morphine_mg_per_day * self.dose_of(drug) / self.morphine


@attrs.frozen
class Staged:
    """The staged switch: a share of the old opioid down and of the new one up each week."""

    low_percent: Decimal
    high_percent: Decimal
    default_weeks: int
    step_days: int
    source: str

    def weeks_allowed(self) -> range:
        """The numbers of weeks whose weekly share is within the source's range."""
        low = -(-100 // int(self.high_percent))
        high = 100 // int(self.low_percent)
        return range(low, high + 1)


def _table() -> dict[str, Any]:
    return load_data("equianalgesic.toml")


@cache
def oral_tables() -> dict[str, OralTable]:
    """Every oral table by name, in the data file's order."""
    return {
        name: OralTable(
            name=name,
            title=entry["title"],
            source=entry["source"],
            low_confidence=bool(entry["low_confidence"]),
            morphine=Decimal(entry["morphine"]),
            doses=tuple((drug, Decimal(amount)) for drug, amount in entry["doses"].items()),
        )
        for name, entry in _table()["table"].items()
    }


def default_oral_table() -> str:
    """The table a rotation converts with unless the caller chooses."""
    return str(_table()["default"])


def oral_table(name: str) -> OralTable:
    """The oral table called ``name``.

    Raises:
        CatalogueError: naming the tables there are.
    """
    found = oral_tables().get(name)
    if found is None:
        raise CatalogueError("oral equianalgesic table", name, list(oral_tables()))
    return found


@cache
def staged() -> Staged:
    """The staged switch's rule (VA Academic Detailing)."""
    entry = _table()["staged"]
    return Staged(
        low_percent=Decimal(entry["low_percent_a_week"]),
        high_percent=Decimal(entry["high_percent_a_week"]),
        default_weeks=int(entry["default_weeks"]),
        step_days=int(entry["step_days"]),
        source=entry["source"],
    )


def three_day() -> tuple[int, int, str]:
    """The methadone three-day switch: (stages, days a stage, source); low confidence."""
    entry = _table()["three_day"]
    return int(entry["stages"]), int(entry["step_days"]), str(entry["source"])


def doses_per_day(*, methadone: bool) -> int:
    """How many doses a day an immediate-release target is given in (a convention)."""
    entry = _table()["schedule"]
    return int(entry["methadone_doses_per_day" if methadone else "ir_doses_per_day"])


@cache
def dose_times() -> dict[int, tuple[dt.time, ...]]:
    """The clock times of 1 to 4 doses a day (a convention)."""
    times = _table()["schedule"]["times"]
    return {int(n): tuple(dt.time.fromisoformat(t) for t in clock) for n, clock in times.items()}


def days_after() -> int:
    """Days the plan shows the new dose after the switch."""
    return int(_table()["after"]["days"])


def tolerance_check_day() -> tuple[int, str]:
    """The day after starting the new opioid to check tolerance (day 3), and its source."""
    entry = _table()["after"]
    return int(entry["tolerance_check_day"]), str(entry["tolerance_check_source"])


def rescue_range() -> tuple[Decimal, Decimal, str]:
    """The rescue dose as percents of the target daily dose (low, high) and the source."""
    entry = _table()["rescue"]
    return Decimal(entry["low_percent"]), Decimal(entry["high_percent"]), str(entry["source"])


def describe(table: OralTable) -> str:
    """``morphine 30 = oxycodone 20 = …`` (for docs and warnings)."""
    return " = ".join(f"{drug} {format_decimal(amount)}" for drug, amount in table.doses)

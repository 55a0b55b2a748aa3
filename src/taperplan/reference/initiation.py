"""Low-dose buprenorphine initiation protocols, from ``data/initiation.toml``.

Each protocol is a published day-by-day schedule of sublingual buprenorphine
(with naloxone) and what happens to the full agonist alongside it: continued,
then stopped or tapered on the day the protocol says (clinical-reference-rotation
R5). The planner (:func:`taperplan.switching.plan_buprenorphine_initiation`)
turns one into a dated plan; nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any, Literal

import attrs

from taperplan._data import load_data
from taperplan.errors import CatalogueError
from taperplan.reference._drugs import Form, Product, WithdrawalProfile
from taperplan.reference.products import catalogue
from taperplan.units import Quantity, Unit


@attrs.frozen
class ProtocolDay:
    """One day of a protocol: the buprenorphine dose, how many times a day, and a
    note where the source qualifies the day."""

    day: int
    dose: Quantity
    times: int
    note: str | None = None

    @property
    def daily(self) -> Quantity:
        """The day's total buprenorphine."""
        return Quantity(self.dose.amount * self.times, self.dose.unit)


@attrs.frozen
class AgonistRule:
    """What happens to the full agonist: ``stop`` on ``day``, ``taper`` from ``day`` by
    ``percent`` of its starting daily dose every ``every_days`` days, or ``continue``
    unchanged throughout."""

    action: Literal["stop", "taper", "continue"]
    day: int
    source: str
    percent: Decimal | None = None
    every_days: int | None = None


@attrs.frozen
class Bridge:
    """A buprenorphine patch worn for ``hours`` before the sublingual days begin."""

    strength: Quantity
    hours: int
    source: str

    @property
    def days(self) -> int:
        """Whole days the patch is worn before day 1 of the sublingual doses."""
        return -(-self.hours // 24)


@attrs.frozen
class Protocol:
    """A published low-dose initiation schedule (the sublingual ``product``, and a
    patch ``bridge`` before it where the protocol has one)."""

    name: str
    title: str
    source: str
    low_confidence: bool
    supervised_only: bool
    agonist: AgonistRule
    maintenance_required: bool
    days: tuple[ProtocolDay, ...]
    product: str = "default"
    bridge: Bridge | None = None

    @property
    def last_day(self) -> int:
        """The protocol's last listed day."""
        return self.days[-1].day


@attrs.frozen
class InitiationProduct:
    """The buprenorphine product the protocols use, and how finely it may be cut."""

    product: Product
    smallest_fraction: Decimal
    fraction_source: str


def _quantity(text: str) -> Quantity:
    return Quantity.parse(text)


def _protocol(entry: dict[str, Any]) -> Protocol:
    agonist = entry["agonist"]
    days = tuple(
        ProtocolDay(
            day=int(d["day"]),
            dose=_quantity(d["dose"]),
            times=int(d["times"]),
            note=d.get("note"),
        )
        for d in entry["days"]
    )
    if [d.day for d in days] != list(range(1, len(days) + 1)):  # pragma: no cover - data
        raise ValueError(f"initiation.toml: {entry['name']} does not list days 1, 2, 3, …")
    return Protocol(
        name=entry["name"],
        title=entry["title"],
        source=entry["source"],
        low_confidence=bool(entry["low_confidence"]),
        supervised_only=bool(entry["supervised_only"]),
        agonist=AgonistRule(
            action=agonist["action"],
            day=int(agonist["day"]),
            source=agonist["source"],
            percent=Decimal(agonist["percent"]) if "percent" in agonist else None,
            every_days=int(agonist["every_days"]) if "every_days" in agonist else None,
        ),
        maintenance_required=bool(entry["maintenance_required"]),
        days=days,
        product=str(entry.get("product", "default")),
        bridge=_bridge(entry.get("bridge")),
    )


def _bridge(entry: dict[str, Any] | None) -> Bridge | None:
    if entry is None:
        return None
    return Bridge(
        strength=Quantity.parse(entry["strength"]),
        hours=int(entry["hours"]),
        source=entry["source"],
    )


@cache
def protocols() -> tuple[Protocol, ...]:
    """Every protocol, in the data file's order."""
    return tuple(_protocol(entry) for entry in load_data("initiation.toml")["protocol"])


def protocol_names() -> tuple[str, ...]:
    """The protocols' names."""
    return tuple(p.name for p in protocols())


def protocol(name: str) -> Protocol:
    """The protocol called ``name``.

    Raises:
        CatalogueError: naming the protocols there are.
    """
    for found in protocols():
        if found.name == name:
            return found
    raise CatalogueError("initiation protocol", name, protocol_names())


def _made_of(entry: dict[str, Any]) -> InitiationProduct:
    product = Product(
        drug=catalogue().opioid(entry["drug"]),
        form=Form(entry["form"]),
        strengths=tuple(Quantity(Quantity.parse(s).amount, Unit.MG) for s in entry["strengths"]),
        splittable=False,
        profile=WithdrawalProfile(entry["profile"]),
        source=entry["source"],
        variant=entry.get("variant"),
    )
    return InitiationProduct(
        product=product,
        smallest_fraction=Decimal(entry["smallest_fraction"]),
        fraction_source=entry["fraction_source"],
    )


@cache
def initiation_products() -> dict[str, InitiationProduct]:
    """The sublingual products the protocols use, by name (``default``, ``uk-sl``)."""
    data = load_data("initiation.toml")
    found = {"default": _made_of(data["product"])}
    found.update({name: _made_of(entry) for name, entry in data.get("products", {}).items()})
    return found


def initiation_product(name: str = "default") -> InitiationProduct:
    """A sublingual product the protocols use (by default buprenorphine with naloxone)."""
    return initiation_products()[name]


def bridge_product() -> Product:
    """The buprenorphine patch of a transdermal bridge (the catalogue's)."""
    drug = catalogue().opioid("buprenorphine")
    return catalogue().product(drug, Form.PATCH)


@cache
def dose_times() -> dict[int, tuple[dt.time, ...]]:
    """The clock times of 1, 2, 3 or 8 doses a day (a convention of taperplan's)."""
    table = load_data("initiation.toml")["times"]
    return {
        int(count): tuple(dt.time.fromisoformat(t) for t in times)
        for count, times in table.items()
        if count != "source"
    }


def most_a_day() -> Decimal:
    """The most buprenorphine mg a day an initiation gives (WONG-2021)."""
    return Decimal(load_data("initiation.toml")["limits"]["most_mg_a_day"])


def days_after() -> int:
    """Days the plan shows after a protocol's last day, to the first review."""
    return int(load_data("initiation.toml")["after"]["days"])

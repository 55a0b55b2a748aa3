"""Prescriptions as values: the fills of a plan and what each fill dispenses.

A :class:`Fill` covers consecutive days of a plan; for every product strength
those days take, a :class:`FillItem` says how much the doses use (``taken``,
exact: halves of tablets, millilitres), how much to dispense (``quantity``:
whole tablets or capsules, whole millilitres, whole cartons of patches), and
the directions (:class:`Directions`, one per step inside the fill). Where a
pharmacy hands the fill out in instalments (daily or weekly dispensing), each
:class:`Instalment` has its own days and quantity. :func:`taperplan.prescriptions`
makes them from a plan.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from taperplan.reference.products import Product
from taperplan.units import Quantity


def _not_negative(_instance: object, field: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value < 0:
        msg = f"{field.name} must not be negative, not {value}"
        raise ValueError(msg)


def _ordered(instance: Dated, _field: attrs.Attribute[dt.date], end: dt.date) -> None:
    if end < instance.start:
        msg = f"end {end} is before start {instance.start}"
        raise ValueError(msg)


@attrs.frozen
class Dated:
    """Consecutive days, both ends included."""

    start: dt.date
    end: dt.date = attrs.field(validator=_ordered)

    @property
    def days(self) -> int:
        """How many days, both ends included."""
        return (self.end - self.start).days + 1


@attrs.frozen
class Directions(Dated):
    """The directions for one strength on the days of one step inside a fill
    (``Take 1½ tablets by mouth at 08:00 and 20:00 every day``)."""

    text: str = attrs.field(kw_only=True)
    step: int = attrs.field(kw_only=True, validator=attrs.validators.ge(0))


@attrs.frozen
class Instalment(Dated):
    """Part of a fill handed out on its own (daily or weekly dispensing)."""

    taken: Decimal = attrs.field(kw_only=True, validator=_not_negative)
    quantity: Decimal = attrs.field(kw_only=True, validator=_not_negative)


@attrs.frozen
class FillItem:
    """One product strength of a fill."""

    index: int = attrs.field(validator=attrs.validators.ge(0))
    """The medication's index in the plan (a substituted product has its own)."""
    product: Product
    strength: Quantity
    strength_text: str
    """The strength as printed on the product (``12 mcg/h``)."""
    taken: Decimal = attrs.field(validator=_not_negative)
    """Units the fill's days take: tablets or capsules (halves counted), mL, patches."""
    quantity: Decimal = attrs.field(validator=_not_negative)
    """Units to dispense: ``taken`` rounded up to whole units (whole cartons of patches)."""
    directions: tuple[Directions, ...]
    instalments: tuple[Instalment, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.quantity < self.taken:
            msg = f"quantity {self.quantity} is less than the {self.taken} the days take"
            raise ValueError(msg)

    @property
    def drug(self) -> str:
        """The drug's name."""
        return self.product.drug.name

    @property
    def quantity_unit(self) -> str:
        """``tablet``, ``capsule``, ``patch`` or ``mL`` (interfaces.md §6)."""
        return self.product.form.unit_noun

    @property
    def packs(self) -> int | None:
        """How many cartons, where the product is dispensed in whole cartons."""
        size = self.product.pack_size
        return None if size is None else int(self.quantity) // size


@attrs.frozen
class Fill(Dated):
    """One prescription fill: its number (from 1), its days and what it dispenses."""

    number: int = attrs.field(kw_only=True, validator=attrs.validators.ge(1))
    items: tuple[FillItem, ...] = attrs.field(kw_only=True)

"""MME factor sets: versioned, cited sets of conversion factors.

Frozen values, made once per process by the catalogue's loader
(:func:`taperplan.reference.products.catalogue`) and importable from
:mod:`taperplan.reference.products`. :meth:`FactorSet.factor_for` gives a
product's factor at a daily amount, or says why the set cannot convert it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import attrs

from taperplan.errors import NotApplicableError
from taperplan.reference._drugs import Form, Product
from taperplan.units import Quantity, Unit, format_decimal


def _factors(values: Iterable[Factor]) -> tuple[Factor, ...]:
    return tuple(values)


def _exclusions(values: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((drug, reason) for drug, reason in values)


def _bands(values: Iterable[MethadoneBand]) -> tuple[MethadoneBand, ...]:
    return tuple(values)


@attrs.frozen
class Factor:
    """One opioid's MME factor in a set (per mg, or per mcg/h for a patch)."""

    drug: str
    factor: Decimal
    per: Unit
    forms: tuple[Form, ...] = ()
    note: str | None = None
    alternatives: tuple[tuple[Decimal, str, str], ...] = ()


@attrs.frozen
class MethadoneBand:
    """A cdc2016 methadone band: daily doses above ``low`` up to ``high`` mg."""

    low: Decimal
    high: Decimal
    factor: Decimal


@attrs.frozen
class FactorSet:
    """A versioned, cited set of MME conversion factors."""

    name: str
    title: str
    source: str
    default: bool
    factors: tuple[Factor, ...] = attrs.field(converter=_factors)
    excluded: tuple[tuple[str, str], ...] = attrs.field(converter=_exclusions)
    methadone_bands: tuple[MethadoneBand, ...] = attrs.field(default=(), converter=_bands)

    def exclusion(self, drug: str) -> str | None:
        """Why this set gives ``drug`` no factor, or None when it has one."""
        for name, reason in self.excluded:
            if name == drug:
                return reason
        return None

    def factor_for(self, product: Product, daily_amount: Quantity) -> Decimal | None:
        """The factor for ``product`` at ``daily_amount``, or None where MME does not apply.

        Raises:
            NotApplicableError: when the set cannot convert this dose (a
                methadone dose above the last cdc2016 band, a form the set has
                no factor for).
        """
        drug = product.drug.name
        if self.exclusion(drug) is not None:
            return None
        if drug == "methadone" and self.methadone_bands:
            mg_per_day = daily_amount.to(Unit.MG).amount
            for band in self.methadone_bands:
                if mg_per_day <= band.high:
                    return band.factor
            top = format_decimal(self.methadone_bands[-1].high)
            raise NotApplicableError(
                f"methadone {format_decimal(mg_per_day)} mg/day is above the last {self.name} band "
                f"({top} mg/day); the set is not extrapolated: use the cdc2022 factor set"
            )
        for factor in self.factors:
            if factor.drug == drug:
                if factor.forms and product.form not in factor.forms:
                    forms = ", ".join(f.value for f in factor.forms)
                    raise NotApplicableError(
                        f"{self.name} converts {drug} only as {forms}, not {product.form.value}"
                    )
                return factor.factor
        raise NotApplicableError(f"{self.name} has no factor for {drug}")

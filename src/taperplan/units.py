"""Exact quantities with a closed set of units.

Doses are ``Decimal`` amounts tagged with a :class:`Unit`; floats never enter.
Arithmetic stays within a dimension (milligrams and micrograms convert freely;
a volume never silently becomes a mass).
"""

from __future__ import annotations

import enum
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Self

import attrs

from taperplan._data import load_data
from taperplan.errors import DimensionError, QuantityError

if TYPE_CHECKING:
    from collections.abc import Mapping


class Dimension(enum.Enum):
    """What a unit measures."""

    MASS = "mass"
    VOLUME = "volume"
    CONCENTRATION = "concentration"
    RATE = "rate"


class Unit(enum.Enum):
    """The units taperplan reads and writes."""

    MG = "mg"
    MCG = "mcg"
    ML = "mL"
    MG_PER_ML = "mg/mL"
    MCG_PER_H = "mcg/h"

    @property
    def dimension(self) -> Dimension:
        """The dimension this unit measures."""
        return _DIMENSIONS[self]

    @property
    def ceiling(self) -> Decimal:
        """The largest amount accepted when a person or app states one.

        Documented with its rationale in ``data/units.toml``.
        """
        return _ceilings()[self]


_DIMENSIONS = {
    Unit.MG: Dimension.MASS,
    Unit.MCG: Dimension.MASS,
    Unit.ML: Dimension.VOLUME,
    Unit.MG_PER_ML: Dimension.CONCENTRATION,
    Unit.MCG_PER_H: Dimension.RATE,
}

# Size of each unit in the base unit of its dimension (mass: mg).
_SCALE = {
    Unit.MG: Decimal(1),
    Unit.MCG: Decimal("0.001"),
    Unit.ML: Decimal(1),
    Unit.MG_PER_ML: Decimal(1),
    Unit.MCG_PER_H: Decimal(1),
}

_SPELLINGS: Mapping[str, Unit] = {
    "mg": Unit.MG,
    "mcg": Unit.MCG,
    "ug": Unit.MCG,
    "µg": Unit.MCG,
    "μg": Unit.MCG,
    "ml": Unit.ML,
    "mg/ml": Unit.MG_PER_ML,
    "mcg/h": Unit.MCG_PER_H,
    "mcg/hr": Unit.MCG_PER_H,
    "mcg/hour": Unit.MCG_PER_H,
    "ug/h": Unit.MCG_PER_H,
    "µg/h": Unit.MCG_PER_H,
    "μg/h": Unit.MCG_PER_H,
}

_QUANTITY_RE = re.compile(r"^\s*(?P<amount>[^\s]+?)\s*(?P<unit>[a-zA-Zµμ/]+)\s*$")
# ASCII only: \d and Decimal would also accept digits of other scripts (Arabic-Indic, fullwidth).
#: Amounts that are words, refused with their own reasons below.
_NOT_NUMBERS = frozenset({"nan", "snan", "inf", "infinity", "+inf"})
_DECIMAL_RE = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$", re.ASCII)


@cache
def _ceilings() -> dict[Unit, Decimal]:
    table = load_data("units.toml")["ceiling"]
    return {Unit(entry["unit"]): Decimal(entry["max"]) for entry in table}


def unit_from_text(text: str) -> Unit:
    """Read a unit symbol, accepting common spellings (``mcg/hr``, ``ml``, ``µg``).

    Raises:
        QuantityError: for anything outside the closed set.
    """
    unit = _SPELLINGS.get(text.strip().lower())
    if unit is None:
        known = ", ".join(u.value for u in Unit)
        raise QuantityError(text, f"unknown unit; use one of {known}")
    return unit


_ONE = Decimal(1)


def normalised(value: Decimal) -> Decimal:
    """``value`` written the one way: no trailing zeros and no exponent
    (``60.0`` → ``60``, ``15.00`` → ``15``, ``52.50`` → ``52.5``, ``1E+2`` → ``100``)."""
    shortest = value.normalize()
    if shortest.as_tuple().exponent > 0:  # type: ignore[operator]  # finite here
        try:
            return shortest.quantize(_ONE)
        except InvalidOperation:  # more digits than the context holds: leave it
            return shortest
    return shortest


def _to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, bool | float):
        raise QuantityError(value, "give amounts as Decimal, int or str, never float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        raise QuantityError(value, "not a number") from None
    if amount.is_nan():
        raise QuantityError(value, "not a number (NaN)")
    if amount.is_infinite():
        raise QuantityError(value, "must be finite")
    if amount < 0:
        raise QuantityError(value, "must not be negative")
    return normalised(amount)


def format_decimal(amount: Decimal) -> str:
    """Write an amount without exponent or trailing zeros (``7.5``, ``100``)."""
    text = format(amount.normalize(), "f")
    return text if text != "-0" else "0"


@attrs.frozen(order=False, repr=False, cache_hash=True)
class Quantity:
    """An exact, non-negative amount with its unit.

    Build with :meth:`parse` or the helpers :func:`mg`, :func:`mcg`, :func:`ml`,
    :func:`mg_per_ml` and :func:`mcg_per_h`.
    """

    amount: Decimal = attrs.field(converter=_to_decimal)
    unit: Unit = attrs.field(validator=attrs.validators.instance_of(Unit))

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read ``"20 mg"``, ``"5 mg/mL"``, ``"25 mcg/h"`` or ``"7.5 mg"``.

        The amount must be a plain decimal (no sign, exponent or thousands
        separator) and within the unit's documented ceiling.

        Raises:
            QuantityError: naming the text and what is wrong with it.
        """
        quantity = cls.read(text)
        quantity.check_plausible(text)
        return quantity

    @classmethod
    def read(cls, text: str) -> Self:
        """Like :meth:`parse`, without the plausibility ceiling (for totals
        and reference data, such as the 4,000 mg/day acetaminophen limit).

        Raises:
            QuantityError: naming the text and what is wrong with it.
        """
        if not isinstance(text, str):
            raise QuantityError(text, 'write the amount as text with its unit, e.g. "20 mg"')
        match = _QUANTITY_RE.match(text)
        if match is None:
            raise QuantityError(text, 'write an amount and a unit, e.g. "20 mg"')
        raw, unit_text = match.group("amount"), match.group("unit")
        if not any(ch.isdigit() for ch in raw) and raw.lower() not in _NOT_NUMBERS:
            # "twenty" or "mg": no amount at all (not a unit "wenty" after an amount "t").
            raise QuantityError(text, 'write an amount and a unit, e.g. "20 mg"')
        unit = unit_from_text(unit_text)
        if raw.startswith("-"):
            raise QuantityError(text, "must not be negative")
        lowered = raw.lower()
        if lowered in {"nan", "snan"}:
            raise QuantityError(text, "not a number (NaN)")
        if lowered in {"inf", "infinity", "+inf"}:
            raise QuantityError(text, "must be finite")
        if not _DECIMAL_RE.match(raw):
            raise QuantityError(text, "the amount must be a plain decimal number such as 7.5")
        return cls(Decimal(raw), unit)

    def check_plausible(self, text: object = None) -> None:
        """Refuse an amount above its unit's documented ceiling.

        Raises:
            QuantityError: when the amount is implausibly large.
        """
        if self.amount > self.unit.ceiling:
            shown = text if text is not None else str(self)
            raise QuantityError(
                shown,
                f"implausibly large; taperplan accepts at most {format_decimal(self.unit.ceiling)} {self.unit.value}",
            )

    @property
    def dimension(self) -> Dimension:
        """The dimension of this quantity's unit."""
        return self.unit.dimension

    def to(self, unit: Unit) -> Quantity:
        """Convert to another unit of the same dimension, exactly.

        Raises:
            DimensionError: across dimensions.
        """
        if unit.dimension is not self.unit.dimension:
            raise DimensionError(self.unit.value, unit.value, "convert between")
        if unit is self.unit:
            return self
        return Quantity(self.amount * _SCALE[self.unit] / _SCALE[unit], unit)

    def _common(self, other: Quantity, operation: str) -> tuple[Decimal, Decimal, Unit]:
        if not isinstance(other, Quantity):
            raise DimensionError(self.unit.value, type(other).__name__, operation)
        if other.unit.dimension is not self.unit.dimension:
            raise DimensionError(self.unit.value, other.unit.value, operation)
        other_amount = other.to(self.unit).amount
        return self.amount, other_amount, self.unit

    def __add__(self, other: Quantity) -> Quantity:
        left, right, unit = self._common(other, "add")
        return Quantity(left + right, unit)

    def __sub__(self, other: Quantity) -> Quantity:
        left, right, unit = self._common(other, "subtract")
        if right > left:
            raise QuantityError(f"{self} - {other}", "the result would be negative")
        return Quantity(left - right, unit)

    def __mul__(self, factor: Decimal | int | Quantity) -> Quantity:
        if isinstance(factor, Quantity):
            return self._times_quantity(factor)
        return Quantity(self.amount * _to_decimal(factor), self.unit)

    __rmul__ = __mul__

    def _times_quantity(self, other: Quantity) -> Quantity:
        pair = {self.unit, other.unit}
        if pair == {Unit.MG_PER_ML, Unit.ML}:
            return Quantity(self.amount * other.amount, Unit.MG)
        raise DimensionError(self.unit.value, other.unit.value, "multiply")

    def __truediv__(self, other: Quantity | Decimal | int) -> Quantity | Decimal:
        if isinstance(other, Quantity):
            left, right, _ = self._common(other, "divide")
            return left / right
        divisor = _to_decimal(other)
        if divisor == 0:
            raise QuantityError(other, "cannot divide by zero")
        return Quantity(self.amount / divisor, self.unit)

    def ratio(self, other: Quantity) -> Decimal:
        """This quantity as a multiple of ``other`` (same dimension)."""
        left, right, _ = self._common(other, "divide")
        return left / right

    def _compare_key(self, other: object) -> tuple[Decimal, Decimal]:
        if not isinstance(other, Quantity):
            raise TypeError(f"cannot compare Quantity with {type(other).__name__}")
        left, right, _ = self._common(other, "compare")
        return left, right

    def __lt__(self, other: Quantity) -> bool:
        left, right = self._compare_key(other)
        return left < right

    def __le__(self, other: Quantity) -> bool:
        left, right = self._compare_key(other)
        return left <= right

    def __gt__(self, other: Quantity) -> bool:
        left, right = self._compare_key(other)
        return left > right

    def __ge__(self, other: Quantity) -> bool:
        left, right = self._compare_key(other)
        return left >= right

    def is_zero(self) -> bool:
        """Whether the amount is exactly zero."""
        return self.amount == 0

    def __str__(self) -> str:
        return f"{format_decimal(self.amount)} {self.unit.value}"

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"


def mg(amount: Decimal | int | str) -> Quantity:
    """Milligrams: ``mg(5)``, ``mg("7.5")``."""
    return Quantity(amount, Unit.MG)


def mcg(amount: Decimal | int | str) -> Quantity:
    """Micrograms."""
    return Quantity(amount, Unit.MCG)


def ml(amount: Decimal | int | str) -> Quantity:
    """Millilitres of an oral solution."""
    return Quantity(amount, Unit.ML)


def mg_per_ml(amount: Decimal | int | str) -> Quantity:
    """A solution's concentration."""
    return Quantity(amount, Unit.MG_PER_ML)


def mcg_per_h(amount: Decimal | int | str) -> Quantity:
    """A transdermal patch's delivery rate."""
    return Quantity(amount, Unit.MCG_PER_H)

"""Tests for exact quantities (taperplan.units)."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import CEILINGS, SPELLINGS, fmt, non_decimal_amounts, quantities, quantity_texts
from taperplan import Quantity, QuantityError, TaperplanError, Unit
from taperplan.errors import DimensionError
from taperplan.units import Dimension, mcg, mcg_per_h, mg, mg_per_ml, ml

_CROSS_PAIRS = [(a, b) for a, b in itertools.product(Unit, Unit) if a.dimension is not b.dimension]
_BINARY: dict[str, Callable[[Quantity, Quantity], object]] = {
    "add": operator.add,
    "sub": operator.sub,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "ratio": Quantity.ratio,
    "div": operator.truediv,
}


class TestParse:
    """Quantity.parse reads amounts with units and refuses everything else."""

    @given(quantities())
    def test_formatted_quantity_parses_back(self, quantity: Quantity) -> None:
        """str(q) parsed again gives a quantity equal to q."""
        assert Quantity.parse(str(quantity)) == quantity

    @given(quantity_texts())
    def test_spellings_and_spacing_are_read(self, pair: tuple[str, Quantity]) -> None:
        """Any accepted spelling, spacing or redundant zero reads as the same quantity."""
        text, expected = pair
        assert Quantity.parse(text) == expected

    @pytest.mark.parametrize(
        ("text", "amount", "unit"),
        [
            ("20 mg", "20", Unit.MG),
            ("7.5 mg", "7.5", Unit.MG),
            ("5 mg/mL", "5", Unit.MG_PER_ML),
            ("25 mcg/h", "25", Unit.MCG_PER_H),
            ("37.5mcg/hr", "37.5", Unit.MCG_PER_H),
            ("2.5 ML", "2.5", Unit.ML),
            (".5 mg", "0.5", Unit.MG),
            ("100 ug", "100", Unit.MCG),
        ],
    )
    def test_examples(self, text: str, amount: str, unit: Unit) -> None:
        """The documented example texts read as their exact amount and unit."""
        quantity = Quantity.parse(text)
        assert quantity.amount == Decimal(amount)
        assert quantity.unit is unit

    @pytest.mark.parametrize(
        ("unit", "text"),
        [
            (Unit.MG, "mg"),
            (Unit.MCG, "mcg"),
            (Unit.ML, "mL"),
            (Unit.MG_PER_ML, "mg/mL"),
            (Unit.MCG_PER_H, "mcg/h"),
        ],
    )
    def test_str_uses_the_canonical_symbol(self, unit: Unit, text: str) -> None:
        """A quantity prints its amount without trailing zeros and the canonical unit symbol."""
        assert str(Quantity(Decimal("12.50"), unit)) == f"12.5 {text}"

    @given(non_decimal_amounts(), st.sampled_from([u.value for u in Unit]))
    def test_non_decimal_amounts_are_refused(self, amount: str, unit: str) -> None:
        """An amount that is not a plain ASCII decimal is refused with QuantityError."""
        with pytest.raises(QuantityError):
            Quantity.parse(f"{amount} {unit}")

    @pytest.mark.parametrize(
        "text",
        ["nan mg", "NaN mg", "snan mg", "inf mg", "Infinity mcg/h", "-5 mg", "-0.5 mL", "+5 mg"],
    )
    def test_nan_inf_and_signs_are_refused(self, text: str) -> None:
        """NaN, infinities and signed amounts are refused with QuantityError."""
        with pytest.raises(QuantityError) as info:
            Quantity.parse(text)
        assert info.value.text == text

    @pytest.mark.parametrize(
        "text",
        ["20 g", "20 kg", "20 mg/kg", "20 units", "20 tablets", "20 mcg/min", "20", "mg", ""],
    )
    def test_unknown_or_missing_units_are_refused(self, text: str) -> None:
        """A missing unit or one outside the closed set is refused with QuantityError."""
        with pytest.raises(QuantityError):
            Quantity.parse(text)

    @pytest.mark.parametrize("value", [20, 20.0, None, b"20 mg", ["20 mg"]])
    def test_non_text_is_refused(self, value: object) -> None:
        """Quantity.parse takes only text; anything else is a QuantityError."""
        with pytest.raises(QuantityError):
            Quantity.parse(value)  # type: ignore[arg-type]

    def test_quantity_error_is_a_value_error(self) -> None:
        """QuantityError refines ValueError under the taperplan root."""
        with pytest.raises(ValueError, match="unknown unit") as info:
            Quantity.parse("5 grains")
        assert isinstance(info.value, TaperplanError)


class TestCeilings:
    """Stated amounts above each unit's documented ceiling are implausible."""

    @pytest.mark.parametrize(
        ("unit", "ceiling"),
        [
            (Unit.MG, "2000"),
            (Unit.MCG, "2000000"),
            (Unit.ML, "200"),
            (Unit.MG_PER_ML, "100"),
            (Unit.MCG_PER_H, "1000"),
        ],
    )
    def test_ceiling_is_accepted_and_just_above_is_refused(self, unit: Unit, ceiling: str) -> None:
        """The ceiling itself parses; one thousandth above it is a QuantityError."""
        assert Quantity.parse(f"{ceiling} {unit.value}").amount == Decimal(ceiling)
        with pytest.raises(QuantityError, match="implausibly large"):
            Quantity.parse(f"{ceiling}.001 {unit.value}")

    @given(st.sampled_from(list(Unit)), st.decimals(min_value="0.0001", max_value="1e30", places=4))
    def test_amounts_above_the_ceiling_are_refused(self, unit: Unit, excess: Decimal) -> None:
        """Any amount above the unit's ceiling is refused by parse."""
        text = f"{fmt(CEILINGS[unit] + excess)} {unit.value}"
        with pytest.raises(QuantityError, match="implausibly large"):
            Quantity.parse(text)

    def test_read_skips_the_ceiling(self) -> None:
        """Quantity.read (for totals and reference data) accepts amounts above the ceiling."""
        assert Quantity.read("4000 mg") == Quantity(Decimal(4000), Unit.MG)


class TestConstruction:
    """Quantities are exact: floats, NaN, infinities and negatives never get in."""

    @pytest.mark.parametrize("helper", [mg, mcg, ml, mg_per_ml, mcg_per_h])
    @given(st.floats(allow_nan=True, allow_infinity=True))
    def test_floats_are_refused(self, helper: Callable[[object], Quantity], value: float) -> None:
        """Every helper refuses a float amount, whatever its value."""
        with pytest.raises(QuantityError, match="never float"):
            helper(value)

    @pytest.mark.parametrize("value", [True, False])
    def test_booleans_are_refused(self, value: bool) -> None:
        """A bool is not an amount."""
        with pytest.raises(QuantityError):
            Quantity(value, Unit.MG)

    @pytest.mark.parametrize(
        "value",
        [
            Decimal("NaN"),
            Decimal("sNaN"),
            Decimal("Infinity"),
            Decimal("-Infinity"),
            Decimal(-1),
            -1,
            "-0.5",
            "abc",
        ],
    )
    def test_nan_inf_negative_and_junk_are_refused(self, value: object) -> None:
        """The constructor refuses NaN, infinities, negatives and non-numbers."""
        with pytest.raises(QuantityError):
            Quantity(value, Unit.MG)  # type: ignore[arg-type]

    def test_helpers_build_their_units(self) -> None:
        """mg, mcg, ml, mg_per_ml and mcg_per_h tag the amount with their unit."""
        assert [q.unit for q in (mg(1), mcg(1), ml(1), mg_per_ml(1), mcg_per_h(1))] == [
            Unit.MG,
            Unit.MCG,
            Unit.ML,
            Unit.MG_PER_ML,
            Unit.MCG_PER_H,
        ]
        assert mg("7.5").amount == Decimal("7.5")

    @pytest.mark.parametrize(
        ("unit", "dimension"),
        [
            (Unit.MG, Dimension.MASS),
            (Unit.MCG, Dimension.MASS),
            (Unit.ML, Dimension.VOLUME),
            (Unit.MG_PER_ML, Dimension.CONCENTRATION),
            (Unit.MCG_PER_H, Dimension.RATE),
        ],
    )
    def test_dimensions(self, unit: Unit, dimension: Dimension) -> None:
        """Each unit measures its own dimension; only mg and mcg share one."""
        assert unit.dimension is dimension

    def test_spellings_table_covers_every_unit(self) -> None:
        """The test spellings table names every unit (so the text property covers all)."""
        assert set(SPELLINGS) == set(Unit)


class TestArithmetic:
    """Arithmetic stays within a dimension and is exact."""

    @pytest.mark.parametrize("operation", sorted(_BINARY))
    @pytest.mark.parametrize(("left", "right"), _CROSS_PAIRS, ids=lambda u: u.value)
    def test_cross_dimension_operations_raise(
        self, operation: str, left: Unit, right: Unit
    ) -> None:
        """Adding, subtracting, comparing or dividing across dimensions raises DimensionError."""
        with pytest.raises(DimensionError) as info:
            _BINARY[operation](Quantity(1, left), Quantity(1, right))
        assert left.value in str(info.value)
        assert right.value in str(info.value)

    @given(
        st.sampled_from(_CROSS_PAIRS),
        st.sampled_from(sorted(_BINARY)),
        st.decimals(min_value=0, max_value=2000, places=3),
        st.decimals(min_value=0, max_value=2000, places=3),
    )
    def test_cross_dimension_never_succeeds(
        self, pair: tuple[Unit, Unit], operation: str, a: Decimal, b: Decimal
    ) -> None:
        """For any amounts, a cross-dimension operation is a DimensionError (a TypeError)."""
        left, right = pair
        with pytest.raises(DimensionError) as info:
            _BINARY[operation](Quantity(a, left), Quantity(b, right))
        assert isinstance(info.value, TypeError)

    @pytest.mark.parametrize(
        ("left", "right"),
        [
            (Unit.MG, Unit.MCG),
            (Unit.ML, Unit.MG),
            (Unit.MCG_PER_H, Unit.MCG),
            (Unit.MG_PER_ML, Unit.MG),
        ],
    )
    def test_to_across_dimensions_raises(self, left: Unit, right: Unit) -> None:
        """Converting to a unit of another dimension is refused (mg to mcg is allowed)."""
        quantity = Quantity(1, left)
        if left.dimension is right.dimension:
            assert quantity.to(right).unit is right
        else:
            with pytest.raises(DimensionError, match="different dimensions"):
                quantity.to(right)

    @given(st.decimals(min_value=0, max_value=2000, places=6))
    def test_mg_to_mcg_is_exact(self, amount: Decimal) -> None:
        """mg converts to mcg by exactly 1000 and back without loss."""
        in_mcg = mg(amount).to(Unit.MCG)
        assert in_mcg.amount == amount * 1000
        assert in_mcg.to(Unit.MG).amount == amount

    def test_mixed_mass_arithmetic(self) -> None:
        """mg and mcg add, subtract and compare after exact conversion."""
        assert mg(1) + mcg(500) == mg("1.5")
        assert mg(1) - mcg(250) == mg("0.75")
        assert mcg(1000) >= mg(1)
        assert mcg(1000) <= mg(1)
        assert mcg(999) < mg(1)
        assert mg(1).ratio(mcg(250)) == 4

    @given(quantities(Unit.MG), quantities(Unit.MG))
    def test_add_then_subtract_gives_back(self, a: Quantity, b: Quantity) -> None:
        """(a + b) - b == a exactly, with no float noise."""
        assert (a + b) - b == a

    def test_subtracting_more_than_there_is_raises(self) -> None:
        """A negative result is refused, never silently clamped."""
        with pytest.raises(QuantityError, match="negative"):
            mg(5) - mg(10)

    def test_tenths_do_not_accumulate_noise(self) -> None:
        """Ten additions of 0.1 mg make exactly 1 mg."""
        total = mg(0)
        for _ in range(10):
            total += mg("0.1")
        assert total == mg(1)

    def test_concentration_times_volume_is_mass(self) -> None:
        """mg/mL x mL gives mg; other products of quantities are DimensionErrors."""
        assert mg_per_ml(4) * ml("2.5") == mg(10)
        assert ml("2.5") * mg_per_ml(4) == mg(10)
        with pytest.raises(DimensionError):
            mg(2) * mg(3)

    def test_scaling_by_numbers(self) -> None:
        """Multiplying or dividing by an int or Decimal keeps the unit; floats and zero are refused."""
        assert mg("7.5") * 2 == mg(15)
        assert 2 * mg("7.5") == mg(15)
        assert mg(15) / 2 == mg("7.5")
        assert mg(15) / mg(5) == 3
        with pytest.raises(QuantityError):
            mg(15) * 1.5  # type: ignore[operator]
        with pytest.raises(QuantityError):
            mg(15) / 0

    def test_comparing_with_non_quantities_raises(self) -> None:
        """Ordering a quantity against a plain number is a TypeError."""
        with pytest.raises(TypeError):
            operator.lt(mg(5), 10)


@given(quantities())
def test_amounts_are_written_one_way(quantity: Quantity) -> None:
    """A quantity's amount has no trailing zeros and no exponent, however it was given."""
    assert str(quantity.amount) == format(quantity.amount, "f")
    assert quantity.amount == quantity.amount.normalize()
    assert Quantity(Decimal("60.0"), Unit.MG).amount.as_tuple() == Decimal(60).as_tuple()

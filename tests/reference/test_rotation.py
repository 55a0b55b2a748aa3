"""Conversion tables for switching opioids (reference/rotation.py, data/rotation.toml).

The worked examples of clinical-reference-rotation.md come out as published; each
banded table is monotone within a band; wherever more morphine gives less methadone the
conversion says so, naming the edge; caps hold; Fudin's formula is computed in degrees.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import morphine_doses
from taperplan.errors import CatalogueError, NotApplicableError
from taperplan.reference import rotation
from taperplan.reference.rotation import cross_tolerance, table, table_names, to_methadone, to_patch

METHADONE = table_names("methadone")
PATCH = table_names("patch")


def methadone(mme: str | Decimal, name: str, age: int | None = None) -> Decimal:
    return to_methadone(Decimal(mme), name, age=age).amount


class TestPublishedExamples:
    def test_120_mg_morphine_to_a_patch(self) -> None:
        """R3's worked contrast: 25 (rotation column) against 50 (stable column) against 60
        (2:1): the table is a twofold choice."""
        rates = {name: to_patch(Decimal(120), name).amount for name in PATCH}
        assert rates == {
            "label-rotation": 25,
            "label-stable": 50,
            "canada-2010": 25,
            "two-to-one": 60,
        }

    @pytest.mark.parametrize(
        ("mme", "expected"),
        [
            ("29", "14.5"),  # < 30: 2:1
            ("30", "7.5"),  # the gap between < 30 and 31–99, closed on the lower dose
            ("99", "24.75"),
            ("100", "12.5"),  # 8:1
            ("299", "37.375"),
            ("300", "25"),  # 12:1
            ("500", "33.33"),  # 15:1
            ("1000", "50"),  # 20:1
        ],
    )
    def test_msd_bands(self, mme: str, expected: str) -> None:
        assert methadone(mme, "msd-modified").quantize(Decimal("0.01")) == Decimal(
            expected
        ).quantize(Decimal("0.01"))

    @pytest.mark.parametrize(
        ("mme", "expected"), [("89", "22.25"), ("90", "11.25"), ("300", "37.5"), ("600", "50")]
    )
    def test_ccdhb_bands(self, mme: str, expected: str) -> None:
        assert methadone(mme, "ccdhb") == Decimal(expected)

    def test_ccdhb_ends_at_600(self) -> None:
        with pytest.raises(NotApplicableError, match="beyond the table"):
            to_methadone(Decimal(601), "ccdhb")

    def test_fudin_in_degrees(self) -> None:
        """The plateaus are about 3.7, 7.8 and 12.4 to 1; at 120 mg/day the formula gives
        15.43 mg/day, not the 17.25 that a sine taking radians gives."""
        ratios = [Decimal(x) / methadone(x, "fudin") for x in ("50", "200", "600")]
        assert [ratio.quantize(Decimal("0.1")) for ratio in ratios] == [
            Decimal("3.7"),
            Decimal("7.8"),
            Decimal("12.4"),
        ]
        assert methadone("120", "fudin").quantize(Decimal("0.01")) == Decimal("15.43")

    @pytest.mark.parametrize(
        ("mme", "age", "expected"),
        [("60", 64, "6"), ("60", 65, "3"), ("199", None, "19.9"), ("200", None, "10")],
    )
    def test_aps_bands_and_age(self, mme: str, age: int | None, expected: str) -> None:
        assert methadone(mme, "aps-2014", age) == Decimal(expected)

    def test_aps_gives_no_number_below_60(self) -> None:
        with pytest.raises(NotApplicableError, match=r"only a ceiling of 7\.5 mg/day"):
            to_methadone(Decimal(59), "aps-2014")

    def test_patch_table_edges(self) -> None:
        assert to_patch(Decimal(44), "label-rotation").amount == Decimal("12.5")
        assert to_patch(Decimal(45), "label-rotation").amount == 25
        assert to_patch(Decimal(1124), "label-rotation").amount == 300
        with pytest.raises(NotApplicableError, match="beyond the table"):
            to_patch(Decimal(1125), "label-rotation")
        with pytest.raises(NotApplicableError, match="below the table"):
            to_patch(Decimal(59), "canada-2010")

    def test_never_to_a_patch_from_codeine_or_tramadol(self) -> None:
        drugs, source = rotation.never_to_patch_from()
        assert drugs == ("codeine", "tramadol")
        assert source == "BCCANCER-FENTANYL"

    def test_unknown_table(self) -> None:
        with pytest.raises(CatalogueError, match="msd-modified"):
            to_methadone(Decimal(100), "msd")
        with pytest.raises(NotApplicableError, match="above 0 mg"):
            to_patch(Decimal(0), "label-rotation")


class TestCrossTolerance:
    def test_the_range_and_the_choice(self) -> None:
        low = cross_tolerance("general", morphine_mg_per_day=Decimal(60))
        assert (low.range.low, low.range.high, low.percent) == (25, 50, 25)
        high = cross_tolerance("general", morphine_mg_per_day=Decimal(60), age=80, frail=True)
        assert high.percent == 50
        assert high.reasons == ("age 65 or more", "frailty")
        route = cross_tolerance("general", morphine_mg_per_day=Decimal(200), same_drug=True)
        assert route.percent == 25
        assert cross_tolerance("methadone", morphine_mg_per_day=Decimal(120)).percent == 90
        assert cross_tolerance("patch", morphine_mg_per_day=Decimal(120)).percent == 0


@given(st.sampled_from(METHADONE), morphine_doses(60, 1124), morphine_doses(60, 1124))
def test_methadone_is_monotone_or_says_why(name: str, one: Decimal, other: Decimal) -> None:
    """More morphine never gives less methadone unless the conversion names the edge."""
    low, high = sorted((one, other))
    end = table(name, "methadone").end
    if end is not None and high >= end:
        return
    first, second = to_methadone(low, name), to_methadone(high, name)
    if second.amount < first.amount:
        assert second.near_edge is not None
        assert "mg/day of morphine" in second.near_edge


@given(st.sampled_from(METHADONE), morphine_doses(60, 1124), morphine_doses(60, 1124))
def test_within_a_band_the_dose_rises_with_the_morphine(
    name: str, one: Decimal, other: Decimal
) -> None:
    low, high = sorted((one, other))
    chosen = table(name, "methadone")
    if chosen.formula is not None or (chosen.end is not None and high >= chosen.end):
        return
    first, second = to_methadone(low, name), to_methadone(high, name)
    if first.band == second.band:
        assert first.amount <= second.amount


@given(st.sampled_from(PATCH), morphine_doses(60, 404), morphine_doses(60, 404))
def test_patch_tables_never_give_less_for_more(name: str, one: Decimal, other: Decimal) -> None:
    low, high = sorted((one, other))
    assert to_patch(low, name).amount <= to_patch(high, name).amount


@given(morphine_doses(60, 3000), st.one_of(st.none(), st.integers(18, 100)))
def test_the_aps_cap_holds(mme: Decimal, age: int | None) -> None:
    conversion = to_methadone(mme, "aps-2014", age=age)
    assert conversion.amount <= 40
    assert conversion.capped == (mme / (20 if mme >= 200 or (age or 0) >= 65 else 10) > 40)


@given(st.sampled_from(METHADONE + PATCH))
def test_every_table_names_a_known_source(name: str) -> None:
    chosen = table(name, "methadone" if name in METHADONE else "patch")
    assert chosen.source
    assert chosen.edges

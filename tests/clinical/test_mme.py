"""Tests for morphine milligram equivalents (taperplan.clinical.mme)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given

from strategies import regimens
from taperplan import CatalogueError, MMEReport, Regimen, Unit, regimen_from_mapping, regimen_mme
from taperplan.clinical.mme import medication_mme
from taperplan.errors import NotApplicableError
from taperplan.reference.products import Form
from taperplan.units import mg

#: Literal factors per mg (fentanyl: per mcg/h) from clinical reference section 1.
FACTORS: dict[str, dict[str, Decimal | None]] = {
    "cdc2022": {
        "codeine": Decimal("0.15"),
        "fentanyl": Decimal("2.4"),
        "hydrocodone": Decimal(1),
        "hydromorphone": Decimal(5),
        "methadone": Decimal("4.7"),
        "morphine": Decimal(1),
        "oxycodone": Decimal("1.5"),
        "oxymorphone": Decimal(3),
        "tapentadol": Decimal("0.4"),
        "tramadol": Decimal("0.2"),
        "buprenorphine": None,
    },
    "cdc2016": {
        "codeine": Decimal("0.15"),
        "fentanyl": Decimal("2.4"),
        "hydrocodone": Decimal(1),
        "hydromorphone": Decimal(4),
        "morphine": Decimal(1),
        "oxycodone": Decimal("1.5"),
        "oxymorphone": Decimal(3),
        "tapentadol": Decimal("0.4"),
        "tramadol": None,
        "buprenorphine": None,
    },
}


def _cdc2016_methadone(mg_per_day: Decimal) -> Decimal:
    """The cdc2016 methadone band factor (1-20: 4; 21-40: 8; 41-60: 10; 61-80: 12)."""
    for top, factor in ((20, 4), (40, 8), (60, 10), (80, 12)):
        if mg_per_day <= top:
            return Decimal(factor)
    raise AssertionError("the strategy keeps methadone at or below 80 mg/day")


def med(
    drug: str, form: str, strength: str, dose: str, times: list[str], **extra: Any
) -> dict[str, Any]:
    """A medication entry."""
    return {"drug": drug, "form": form, "strength": strength, "dose": dose, "times": times, **extra}


def regimen(*medications: dict[str, Any]) -> Regimen:
    """A loaded regimen of the given medication entries."""
    return regimen_from_mapping({"medication": list(medications)})


QID = ["06:00", "12:00", "18:00", "23:00"]
BID = ["08:00", "20:00"]


def codes(report: MMEReport) -> list[str]:
    """The warning codes of a report."""
    return [w.code for w in report.warnings]


def methadone(mg_per_day: int) -> Regimen:
    """Methadone oral solution (1 mg/mL) taken once a day."""
    return regimen(med("methadone", "oral_solution", "1 mg/mL", f"{mg_per_day} mg", ["08:00"]))


class TestWorkedChecks:
    """The CDC 2022 worked examples and other fixed values."""

    def test_hydrocodone_5_mg_four_times_a_day_is_20(self) -> None:
        """Hydrocodone 5 mg four times a day is 20 MME/day (CDC2022 footnote)."""
        report = regimen_mme(regimen(med("hydrocodone", "ir_tablet", "5 mg", "5 mg", QID)))
        assert report.total_mme_per_day == 20
        assert report.medications[0].daily_amount == mg(20)
        assert report.factor_set == "cdc2022"

    def test_oxycodone_er_10_mg_twice_a_day_is_30(self) -> None:
        """Oxycodone ER 10 mg twice a day is 30 MME/day (CDC2022 footnote)."""
        report = regimen_mme(regimen(med("oxycodone", "er_tablet", "10 mg", "10 mg", BID)))
        assert report.total_mme_per_day == 30
        assert report.medications[0].factor == Decimal("1.5")

    @pytest.mark.parametrize("factors", ["cdc2022", "cdc2016"])
    def test_fentanyl_patch_25_mcg_per_hour_is_60(self, factors: str) -> None:
        """A 25 mcg/h fentanyl patch is 60 MME/day in both sets, with the transdermal caution."""
        report = regimen_mme(
            regimen(med("fentanyl", "patch", "25 mcg/h", "25 mcg/h", ["09:00"])), factors
        )
        assert report.total_mme_per_day == 60
        assert report.medications[0].daily_amount.unit is Unit.MCG_PER_H
        assert "fentanyl-transdermal-caution" in codes(report)

    def test_uneven_doses_and_every_other_day(self) -> None:
        """Uneven doses add up, and a dose every 2 days counts half per day."""
        uneven = regimen(
            {
                "drug": "morphine",
                "form": "er_tablet",
                "strength": "15 mg",
                "doses": ["45 mg", "30 mg", "45 mg"],
                "times": ["06:00", "14:00", "22:00"],
            }
        )
        assert regimen_mme(uneven).total_mme_per_day == 120
        alternate = regimen(med("morphine", "er_tablet", "15 mg", "15 mg", ["08:00"], every_days=2))
        assert regimen_mme(alternate).total_mme_per_day == Decimal("7.5")

    def test_oral_solution_in_ml(self) -> None:
        """Oxycodone 1 mg/mL, 5 mL twice a day is 10 mg/day, 15 MME/day."""
        report = regimen_mme(regimen(med("oxycodone", "oral_solution", "1 mg/mL", "5 mL", BID)))
        assert report.medications[0].daily_amount == mg(10)
        assert report.total_mme_per_day == 15

    def test_total_sums_medications(self) -> None:
        """Oxycodone ER 20 mg twice a day (60) plus morphine IR 15 mg three times (45) is 105."""
        report = regimen_mme(
            regimen(
                med("oxycodone", "er_tablet", "20 mg", "20 mg", BID),
                med("morphine", "ir_tablet", "15 mg", "15 mg", ["08:00", "14:00", "20:00"]),
            )
        )
        assert [m.mme_per_day for m in report.medications] == [60, 45]
        assert report.total_mme_per_day == 105


class TestFactorSets:
    """Differences between the cdc2022 and cdc2016 sets."""

    @pytest.mark.parametrize(
        ("factors", "expected"), [("cdc2022", 40), ("cdc2016", 32), (None, 40)]
    )
    def test_hydromorphone_5_in_2022_and_4_in_2016(
        self, factors: str | None, expected: int
    ) -> None:
        """Hydromorphone 2 mg four times a day is 40 MME/day under cdc2022 (x5) and 32 under cdc2016 (x4)."""
        report = regimen_mme(
            regimen(med("hydromorphone", "ir_tablet", "2 mg", "2 mg", QID)), factors
        )
        assert report.total_mme_per_day == expected

    @pytest.mark.parametrize(
        ("mg_per_day", "factor", "mme"),
        [
            (1, 4, 4),
            (20, 4, 80),
            (21, 8, 168),
            (40, 8, 320),
            (41, 10, 410),
            (60, 10, 600),
            (61, 12, 732),
            (80, 12, 960),
        ],
    )
    def test_cdc2016_methadone_band_edges(self, mg_per_day: int, factor: int, mme: int) -> None:
        """Methadone under cdc2016 uses the band of its daily dose (1-20: 4, 21-40: 8, 41-60: 10, 61-80: 12)."""
        report = regimen_mme(methadone(mg_per_day), "cdc2016")
        assert report.medications[0].factor == factor
        assert report.total_mme_per_day == mme
        assert "methadone-caution" in codes(report)

    @pytest.mark.parametrize("mg_per_day", [81, 90, 200])
    def test_cdc2016_methadone_above_80_is_refused(self, mg_per_day: int) -> None:
        """Methadone above 80 mg/day has no cdc2016 band: refused, never extrapolated."""
        with pytest.raises(NotApplicableError, match="not extrapolated") as info:
            regimen_mme(methadone(mg_per_day), "cdc2016")
        assert "medication[0]" in str(info.value)
        assert "cdc2022" in str(info.value)

    @pytest.mark.parametrize("mg_per_day", [20, 81, 90])
    def test_cdc2022_methadone_is_linear(self, mg_per_day: int) -> None:
        """cdc2022 converts methadone at 4.7 whatever the dose."""
        report = regimen_mme(methadone(mg_per_day))
        assert report.total_mme_per_day == Decimal("4.7") * mg_per_day

    def test_medication_mme_at_a_given_daily_amount(self) -> None:
        """medication_mme uses the daily amount it is given (here 81 mg/day is refused by cdc2016)."""
        medication = methadone(20).medications[0]
        assert medication_mme(medication, "cdc2016", mg(61)).mme_per_day == 732
        with pytest.raises(NotApplicableError):
            medication_mme(medication, "cdc2016", mg(81))

    def test_tramadol_not_in_cdc2016(self) -> None:
        """Tramadol is 0.2 under cdc2022 and has no cdc2016 factor (MME not applicable)."""
        tramadol = regimen(med("tramadol", "ir_tablet", "50 mg", "50 mg", QID))
        assert regimen_mme(tramadol).total_mme_per_day == 40
        report = regimen_mme(tramadol, "cdc2016")
        assert report.total_mme_per_day is None
        assert "mme-not-applicable" in codes(report)

    def test_unknown_factor_set(self) -> None:
        """An unknown factor set name is a CatalogueError."""
        with pytest.raises(CatalogueError):
            regimen_mme(methadone(20), "cdc1999")


class TestBuprenorphine:
    """MME does not apply to buprenorphine (a partial agonist)."""

    def test_no_mme_and_a_warning(self) -> None:
        """A buprenorphine patch has mme None, a None total and a mme-not-applicable warning."""
        report = regimen_mme(
            regimen(med("buprenorphine", "patch", "10 mcg/h", "10 mcg/h", ["09:00"]))
        )
        part = report.medications[0]
        assert part.factor is None
        assert part.mme_per_day is None
        assert part.daily_amount.amount == 10
        assert report.total_mme_per_day is None
        warning = next(w for w in report.warnings if w.code == "mme-not-applicable")
        assert "buprenorphine" in warning.message

    def test_total_is_none_even_with_other_opioids(self) -> None:
        """A partial total would understate the regimen, so the total is None."""
        report = regimen_mme(
            regimen(
                med("buprenorphine", "patch", "10 mcg/h", "10 mcg/h", ["09:00"]),
                med("oxycodone", "er_tablet", "40 mg", "40 mg", BID),
            )
        )
        assert [m.mme_per_day for m in report.medications] == [None, 120]
        assert report.total_mme_per_day is None
        assert "mme-over-50" not in codes(report)


class TestWarnings:
    """Warnings that travel with every MME figure."""

    @pytest.mark.parametrize(
        ("entry", "total", "expected"),
        [
            (
                med("morphine", "ir_tablet", "15 mg", "15 mg", ["08:00", "14:00", "20:00"]),
                45,
                set(),
            ),
            (med("morphine", "oral_solution", "2 mg/mL", "25 mg", BID), 50, {"mme-over-50"}),
            (med("oxycodone", "er_tablet", "20 mg", "20 mg", BID), 60, {"mme-over-50"}),
            (med("morphine", "oral_solution", "2 mg/mL", "89 mg", ["08:00"]), 89, {"mme-over-50"}),
            (
                med("morphine", "ir_tablet", "30 mg", "30 mg", ["08:00", "14:00", "20:00"]),
                90,
                {"mme-over-50", "mme-over-90"},
            ),
            (
                med("oxycodone", "er_tablet", "80 mg", "80 mg", BID),
                240,
                {"mme-over-50", "mme-over-90"},
            ),
        ],
    )
    def test_thresholds(self, entry: dict[str, Any], total: int, expected: set[str]) -> None:
        """At or above 50 MME/day warns mme-over-50; at or above 90 also mme-over-90."""
        report = regimen_mme(regimen(entry))
        assert report.total_mme_per_day == total
        assert {c for c in codes(report) if c.startswith("mme-over")} == expected

    def test_threshold_message_states_the_total(self) -> None:
        """The threshold warning quotes the total MME/day."""
        report = regimen_mme(regimen(med("oxycodone", "er_tablet", "20 mg", "20 mg", BID)))
        warning = next(w for w in report.warnings if w.code == "mme-over-50")
        assert "60 MME/day" in warning.message
        assert warning.source == "CDC2022"

    def test_estimate_caution_always_first(self) -> None:
        """Every report starts with the CDC caution that MME figures are estimates."""
        report = regimen_mme(regimen(med("codeine", "ir_tablet", "30 mg", "30 mg", QID)))
        assert report.total_mme_per_day == 18
        assert codes(report)[0] == "mme-estimate"

    def test_regimen_notices_are_carried(self) -> None:
        """Notices found while loading (an assumed combination) appear among the warnings."""
        report = regimen_mme(regimen(med("hydrocodone", "ir_tablet", "10 mg", "10 mg", QID)))
        assert "acetaminophen-assumed" in codes(report)

    def test_warnings_are_not_repeated(self) -> None:
        """Each warning appears once even when several medications trigger it."""
        report = regimen_mme(
            regimen(
                med("methadone", "ir_tablet", "5 mg", "5 mg", BID),
                med("methadone", "oral_solution", "1 mg/mL", "5 mg", ["12:00"]),
            )
        )
        assert codes(report).count("methadone-caution") == 1


def _expected_daily(medication: Any) -> Decimal:
    """The daily amount from the administrations (mg/day; the mcg/h worn for a patch)."""
    if medication.form is Form.PATCH:
        return sum((a.amount.amount for a in medication.administrations), Decimal(0))
    total = sum((a.amount.to(Unit.MG).amount for a in medication.administrations), Decimal(0))
    return total / medication.every_days


class TestProperties:
    """Invariants over generated regimens."""

    @given(regimens())
    def test_cdc2022_per_medication_and_total(self, generated: Regimen) -> None:
        """Each medication's MME is its daily amount times its literal cdc2022 factor, and the total is their sum."""
        report = regimen_mme(generated, "cdc2022")
        self._check(report, generated, "cdc2022")

    @given(regimens(methadone_max_mg_per_day=80))
    def test_cdc2016_per_medication_and_total(self, generated: Regimen) -> None:
        """Under cdc2016 too, MME is daily amount times the literal factor (methadone by band)."""
        report = regimen_mme(generated, "cdc2016")
        self._check(report, generated, "cdc2016")

    @staticmethod
    def _check(report: MMEReport, generated: Regimen, factors: str) -> None:
        assert len(report.medications) == len(generated.medications)
        for part, medication in zip(report.medications, generated.medications, strict=True):
            daily = _expected_daily(medication)
            assert part.daily_amount.amount == daily
            if factors == "cdc2016" and medication.drug == "methadone":
                factor: Decimal | None = _cdc2016_methadone(daily)
            else:
                factor = FACTORS[factors][medication.drug]
            assert part.factor == factor
            assert part.mme_per_day == (None if factor is None else daily * factor)
        values = [p.mme_per_day for p in report.medications]
        if any(v is None for v in values):
            assert report.total_mme_per_day is None
            assert "mme-not-applicable" in codes(report)
        else:
            assert report.total_mme_per_day == sum((v for v in values if v is not None), Decimal(0))
        assert codes(report)[0] == "mme-estimate"
        total = report.total_mme_per_day
        assert ("mme-over-50" in codes(report)) == (total is not None and total >= 50)
        assert ("mme-over-90" in codes(report)) == (total is not None and total >= 90)

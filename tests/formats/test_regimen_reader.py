"""Tests for reading regimens (taperplan.formats.regimen)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import junk, mutated_regimen_mappings, regimen_mappings, regimen_toml
from support import DATA
from taperplan import (
    InvalidRegimenError,
    Problem,
    Regimen,
    load_regimen,
    parse_regimen,
    regimen_from_mapping,
)
from taperplan.errors import RegimenFileError
from taperplan.reference.products import Form
from taperplan.units import mcg_per_h, mg

SAMPLE = DATA / "interfaces-sample.toml"
TODAY = dt.date(2025, 6, 1)


def med(**fields: Any) -> dict[str, Any]:
    """An oxycodone ER 20 mg twice-daily entry with ``fields`` changed."""
    base: dict[str, Any] = {
        "drug": "oxycodone",
        "form": "er_tablet",
        "strength": "20 mg",
        "dose": "20 mg",
        "times": ["08:00", "20:00"],
    }
    base.update(fields)
    return base


def problems_of(mapping: dict[str, Any], **kwargs: Any) -> list[str]:
    """The problem paths reported for ``mapping``."""
    with pytest.raises(InvalidRegimenError) as info:
        regimen_from_mapping(mapping, **kwargs)
    return [p.path for p in info.value.problems]


def _attempt(mapping: dict[str, Any]) -> Regimen | tuple[Problem, ...]:
    """The loaded regimen, or the problems found."""
    try:
        return regimen_from_mapping(mapping, today=TODAY)
    except InvalidRegimenError as error:
        return error.problems


def codes(regimen: Regimen) -> list[str]:
    """The notice codes of a regimen."""
    return [n.code for n in regimen.notices]


class TestInterfacesSample:
    """The regimen file of interfaces.md section 1, as written there."""

    def test_loads_unchanged(self) -> None:
        """The sample (both TOML blocks, comments included) loads with the values it states."""
        regimen = load_regimen(SAMPLE, today=TODAY)
        assert regimen.timezone == ZoneInfo("America/New_York")
        assert regimen.context.on_opioids_since == dt.date(2021, 3, 1)
        assert regimen.context.benzodiazepines is False
        assert regimen.context.age is None
        (medication,) = regimen.medications
        assert medication.drug == "oxycodone"
        assert medication.form is Form.ER_TABLET
        assert medication.strengths == (mg(20),)
        assert [(a.time, a.amount) for a in medication.administrations] == [
            (dt.time(8, 0), mg(20)),
            (dt.time(20, 0), mg(20)),
        ]
        assert medication.every_days == 1
        assert medication.daily_amount == mg(40)
        assert regimen.pace is not None
        assert regimen.pace.name == "va-slower"
        assert regimen.notices == ()

    def test_path_text_and_bytes_agree(self) -> None:
        """A path, a str path, the text and the bytes all give the same regimen."""
        from_path = load_regimen(SAMPLE)
        assert load_regimen(str(SAMPLE)) == from_path
        assert parse_regimen(SAMPLE.read_text(encoding="utf-8")) == from_path
        assert parse_regimen(SAMPLE.read_bytes()) == from_path

    def test_byte_order_mark_is_accepted(self) -> None:
        """A UTF-8 byte order mark (as some editors write) does not stop the file loading."""
        assert parse_regimen(b"\xef\xbb\xbf" + SAMPLE.read_bytes()) == load_regimen(SAMPLE)


class TestMappings:
    """Mappings (as apps pass parsed JSON) read exactly like TOML."""

    def test_mapping_equals_toml(self) -> None:
        """The sample as a mapping (dates as ISO text) equals the sample file."""
        mapping = {
            "timezone": "America/New_York",
            "context": {"on_opioids_since": "2021-03-01", "benzodiazepines": False},
            "medication": [med()],
            "pace": {"preset": "va-slower"},
        }
        assert regimen_from_mapping(mapping) == load_regimen(SAMPLE)
        assert load_regimen(mapping) == load_regimen(SAMPLE)

    @given(regimen_mappings())
    def test_generated_mappings_load_and_match_their_toml(self, mapping: dict[str, Any]) -> None:
        """Every generated mapping loads, and its TOML text loads to an equal regimen."""
        regimen = regimen_from_mapping(mapping)
        assert len(regimen.medications) == len(mapping["medication"])
        assert parse_regimen(regimen_toml(mapping)) == regimen

    @given(mutated_regimen_mappings())
    def test_damaged_mappings_load_or_list_problems(self, mapping: dict[str, Any]) -> None:
        """A mapping with one value damaged either loads or raises InvalidRegimenError with problems."""
        outcome = _attempt(mapping)
        if isinstance(outcome, Regimen):
            assert len(outcome.medications) >= 1
        else:
            assert outcome
            assert all(p.message and p.fix for p in outcome)

    @given(junk())
    def test_arbitrary_data_is_refused_cleanly(self, data: object) -> None:
        """Arbitrary nested data never escapes as anything but InvalidRegimenError."""
        with pytest.raises(InvalidRegimenError):
            regimen_from_mapping(data)  # type: ignore[arg-type]

    @given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
    def test_arbitrary_text_is_refused_cleanly(self, text: str | bytes) -> None:
        """Arbitrary text or bytes raise only RegimenFileError or InvalidRegimenError."""
        with pytest.raises((RegimenFileError, InvalidRegimenError)):
            parse_regimen(text)


class TestDoses:
    """Doses, strengths and units."""

    def test_uneven_doses(self) -> None:
        """``doses`` gives one amount per time, in time order."""
        regimen = regimen_from_mapping(
            {
                "medication": [
                    {
                        "drug": "morphine",
                        "form": "er_tablet",
                        "strength": "15 mg",
                        "doses": ["45 mg", "30 mg", "45 mg"],
                        "times": ["22:00", "06:00", "14:00"],
                    }
                ]
            }
        )
        (medication,) = regimen.medications
        assert [(a.time.hour, a.amount) for a in medication.administrations] == [
            (6, mg(30)),
            (14, mg(45)),
            (22, mg(45)),
        ]
        assert medication.daily_amount == mg(120)

    def test_oral_solution_ml_converts_to_mg(self) -> None:
        """2.5 mL of a 4 mg/mL solution is stored as a 10 mg dose."""
        regimen = regimen_from_mapping(
            {
                "medication": [
                    {
                        "drug": "morphine",
                        "form": "oral_solution",
                        "strength": "4 mg/mL",
                        "dose": "2.5 mL",
                        "times": ["08:00", "20:00"],
                    }
                ]
            }
        )
        (medication,) = regimen.medications
        assert [a.amount for a in medication.administrations] == [mg(10), mg(10)]
        assert medication.daily_amount == mg(20)
        assert "solution-measure" in codes(regimen)

    def test_oral_solution_ml_with_two_concentrations_is_refused(self) -> None:
        """A dose in mL with two concentrations is ambiguous and refused at the dose."""
        assert problems_of(
            {
                "medication": [
                    {
                        "drug": "morphine",
                        "form": "oral_solution",
                        "strength": ["2 mg/mL", "4 mg/mL"],
                        "dose": "2 mL",
                        "times": ["08:00"],
                    }
                ]
            }
        ) == ["medication[0].dose"]

    def test_implausible_volume_names_the_dose(self) -> None:
        """150 mL of a 20 mg/mL solution (3000 mg) is refused at medication[0].dose."""
        with pytest.raises(InvalidRegimenError, match="implausibly large") as info:
            regimen_from_mapping(
                {
                    "medication": [
                        {
                            "drug": "morphine",
                            "form": "oral_solution",
                            "strength": "20 mg/mL",
                            "dose": "150 mL",
                            "times": ["08:00"],
                        }
                    ]
                }
            )
        assert [p.path for p in info.value.problems] == ["medication[0].dose"]

    def test_patch(self) -> None:
        """A fentanyl patch keeps mcg/h and is changed every 3 days by default; the patch
        labelled 12 mcg/h counts as the 12.5 mcg/h it delivers, so 25 + 12 is 37.5 mcg/h."""
        regimen = regimen_from_mapping(
            {
                "medication": [
                    {
                        "drug": "fentanyl",
                        "form": "patch",
                        "strength": ["25 mcg/h", "12 mcg/h"],
                        "dose": "37 mcg/h",
                        "times": ["09:00"],
                    }
                ]
            }
        )
        (medication,) = regimen.medications
        assert medication.every_days == 3
        assert medication.strengths == (mcg_per_h(Decimal("12.5")), mcg_per_h(25))
        assert [medication.product.label(s) for s in medication.strengths] == [
            "12 mcg/h",
            "25 mcg/h",
        ]
        assert medication.daily_amount == mcg_per_h(Decimal("37.5"))
        assert regimen.notices == ()

    def test_unknown_strength_is_accepted_with_a_notice(self) -> None:
        """A strength the catalogue does not list is accepted, with strength-not-in-catalogue."""
        regimen = regimen_from_mapping(
            {"medication": [med(form="ir_tablet", strength="12 mg", dose="12 mg")]}
        )
        assert regimen.medications[0].strengths == (mg(12),)
        assert codes(regimen) == ["strength-not-in-catalogue"]
        assert "12 mg" in regimen.notices[0].message

    def test_halves_only_where_splittable(self) -> None:
        """Morphine IR 15 mg may be halved to 7.5 mg; oxycodone ER may not."""
        regimen = regimen_from_mapping(
            {
                "medication": [
                    med(drug="morphine", form="ir_tablet", strength="15 mg", dose="7.5 mg")
                ]
            }
        )
        assert regimen.medications[0].daily_amount == mg(15)
        assert problems_of({"medication": [med(dose="10 mg")]}) == ["medication[0].dose"]

    def test_split_false_forbids_halves(self) -> None:
        """``split = false`` overrides the catalogue and makes a half tablet unmakeable."""
        assert problems_of(
            {
                "medication": [
                    med(
                        drug="morphine",
                        form="ir_tablet",
                        strength="15 mg",
                        dose="7.5 mg",
                        split=False,
                    )
                ]
            }
        ) == ["medication[0].dose"]


class TestAcetaminophen:
    """Combination tablets and the 4 g/day acetaminophen limit."""

    def test_hydrocodone_without_combination_assumes_acetaminophen(self) -> None:
        """Hydrocodone IR tablets without ``combination`` assume 325 mg acetaminophen, with a notice."""
        regimen = regimen_from_mapping(
            {
                "medication": [
                    med(
                        drug="hydrocodone",
                        form="ir_tablet",
                        strength="5 mg",
                        dose="5 mg",
                        times=["06:00", "12:00", "18:00", "23:00"],
                    )
                ]
            }
        )
        medication = regimen.medications[0]
        assert codes(regimen) == ["acetaminophen-assumed"]
        assert medication.combination is not None
        assert medication.combination.amount == mg(325)
        assert medication.acetaminophen_per_day == mg(1300)

    @pytest.mark.parametrize(
        ("name", "drug", "code"),
        [
            ("Percocet", "oxycodone", "acetaminophen-from-name"),
            ("oxycodone/acetaminophen", "oxycodone", "acetaminophen-from-name"),
            ("Norco", "hydrocodone", "acetaminophen-from-name"),
        ],
    )
    def test_a_combination_brand_is_never_the_plain_tablet(
        self, name: str, drug: str, code: str
    ) -> None:
        """Percocet without ``combination`` is oxycodone with acetaminophen (the catalogue's
        325 mg), counted toward the daily maximum, with a notice naming the assumption; plain
        oxycodone stays plain; a stated combination needs no notice (issue 12 item 5)."""
        entry = med(drug=name, form="ir_tablet", strength="5 mg", dose="5 mg")
        regimen = regimen_from_mapping({"medication": [entry]})
        medication = regimen.medications[0]
        assert medication.drug == drug
        assert medication.combination is not None
        assert medication.acetaminophen_per_day == mg(650)
        assert codes(regimen) == [code]
        assert name in regimen.notices[0].message
        stated = regimen_from_mapping(
            {"medication": [{**entry, "combination": "acetaminophen 325 mg"}]}
        )
        assert codes(stated) == []
        plain = regimen_from_mapping({"medication": [{**entry, "drug": "oxycodone"}]})
        assert plain.medications[0].combination is None

    def test_stated_combination_has_no_notice(self) -> None:
        """Stating the combination removes the assumption notice."""
        regimen = regimen_from_mapping(
            {
                "medication": [
                    med(
                        drug="hydrocodone",
                        form="ir_tablet",
                        strength="5 mg",
                        dose="5 mg",
                        combination="acetaminophen 325 mg",
                    )
                ]
            }
        )
        assert codes(regimen) == []

    def test_over_4_g_per_day_warns(self) -> None:
        """Four 2.5 mg tablets four times a day is 16 x 325 = 5200 mg acetaminophen: acetaminophen-over-4g."""
        regimen = regimen_from_mapping(
            {
                "medication": [
                    med(
                        drug="hydrocodone",
                        form="ir_tablet",
                        strength="2.5 mg",
                        dose="10 mg",
                        combination="acetaminophen 325 mg",
                        times=["06:00", "12:00", "18:00", "23:00"],
                    )
                ]
            }
        )
        assert regimen.medications[0].acetaminophen_per_day == mg(5200)
        notice = next(n for n in regimen.notices if n.code == "acetaminophen-over-4g")
        assert "5200" in notice.message

    def test_acetaminophen_adds_across_medications(self) -> None:
        """Two products of 2600 mg/day acetaminophen each warn together (5200 mg); one alone does not."""
        hydrocodone = med(
            drug="hydrocodone",
            form="ir_tablet",
            strength="5 mg",
            dose="10 mg",
            combination="acetaminophen 325 mg",
            times=["06:00", "11:00", "16:00", "21:00"],
        )
        oxycodone = med(
            drug="oxycodone",
            form="ir_tablet",
            strength="5 mg",
            dose="10 mg",
            combination="acetaminophen 325 mg",
            times=["07:00", "12:00", "17:00", "22:00"],
        )
        assert "acetaminophen-over-4g" not in codes(
            regimen_from_mapping({"medication": [hydrocodone]})
        )
        both = regimen_from_mapping({"medication": [hydrocodone, oxycodone]})
        assert "acetaminophen-over-4g" in codes(both)


class TestContext:
    """The optional [context] table."""

    def test_future_start_is_refused_when_today_is_given(self) -> None:
        """on_opioids_since after ``today`` is refused at context.on_opioids_since."""
        mapping = {"context": {"on_opioids_since": dt.date(2025, 6, 2)}, "medication": [med()]}
        assert problems_of(mapping, today=TODAY) == ["context.on_opioids_since"]

    def test_today_itself_is_accepted(self) -> None:
        """A start date equal to today is not in the future."""
        mapping = {"context": {"on_opioids_since": TODAY}, "medication": [med()]}
        assert regimen_from_mapping(mapping, today=TODAY).context.on_opioids_since == TODAY

    def test_without_today_the_clock_is_not_read(self) -> None:
        """Without ``today`` no date is in the future: taperplan never reads the clock itself."""
        mapping = {"context": {"on_opioids_since": "2999-01-01"}, "medication": [med()]}
        assert regimen_from_mapping(mapping).context.on_opioids_since == dt.date(2999, 1, 1)

    def test_flags_and_age(self) -> None:
        """Boolean flags and age are read as given."""
        regimen = regimen_from_mapping(
            {
                "context": {"age": 72, "sleep_apnea": True, "benzodiazepines": False},
                "medication": [med()],
            }
        )
        assert regimen.context.age == 72
        assert regimen.context.flag("sleep_apnea") is True
        assert regimen.context.flag("benzodiazepines") is False


class TestProblems:
    """Every problem is reported at once, each with its path."""

    def test_four_problems_at_once(self) -> None:
        """A regimen with four separate problems reports all four with their paths."""
        mapping = {
            "timezone": "Mars/Olympus",
            "context": {"age": "old"},
            "medication": [
                med(),
                med(times=["08:00", "25:00"]),
                med(drug="oxycodon"),
            ],
        }
        with pytest.raises(InvalidRegimenError) as info:
            regimen_from_mapping(mapping)
        paths = [p.path for p in info.value.problems]
        assert sorted(paths) == sorted(
            [
                "timezone",
                "context.age",
                "medication[1].times[1]",
                "medication[2].drug",
            ]
        )
        message = str(info.value)
        assert "4 problems" in message
        for path in paths:
            assert f"{path}:" in message

    def test_same_file_from_disk(self, tmp_path: Path) -> None:
        """The same four problems come from a file, and the error names the file."""
        path = tmp_path / "four.toml"
        path.write_text(
            'timezone = "Mars/Olympus"\n'
            '[context]\nage = "old"\n'
            '[[medication]]\ndrug = "oxycodone"\nform = "er_tablet"\nstrength = "20 mg"\n'
            'dose = "20 mg"\ntimes = ["08:00", "25:00"]\n'
            '[[medication]]\ndrug = "oxycodon"\nform = "er_tablet"\nstrength = "20 mg"\n'
            'dose = "15 mg"\ntimes = ["08:00"]\n'
            'dosage = "x"\n',
            encoding="utf-8",
        )
        with pytest.raises(InvalidRegimenError) as info:
            load_regimen(path)
        assert sorted(p.path for p in info.value.problems) == sorted(
            [
                "timezone",
                "context.age",
                "medication[0].times[1]",
                "medication[1].drug",
                "medication[1].dosage",
            ]
        )
        assert info.value.source == str(path)
        assert str(path) in str(info.value)

    def test_problems_carry_fixes(self) -> None:
        """Each problem says how to fix it; an unknown drug suggests the nearest names."""
        with pytest.raises(InvalidRegimenError) as info:
            regimen_from_mapping({"medication": [med(drug="morfine")]})
        (problem,) = info.value.problems
        assert problem.path == "medication[0].drug"
        assert "morphine" in problem.fix

    def test_missing_file(self, tmp_path: Path) -> None:
        """A file that does not exist is a RegimenFileError naming it."""
        missing = tmp_path / "nope.toml"
        with pytest.raises(RegimenFileError, match=r"nope\.toml"):
            load_regimen(missing)

    def test_oversized_file(self, tmp_path: Path) -> None:
        """A file over 256 KiB is refused before it is parsed."""
        path = tmp_path / "big.toml"
        path.write_text("# padding\n" * 30_000, encoding="utf-8")
        with pytest.raises(RegimenFileError, match="bytes"):
            load_regimen(path)

    def test_nesting_names_the_key(self) -> None:
        """Data nested too deeply is refused at the top-level key that holds it."""
        deep: Any = "x"
        for _ in range(12):
            deep = [deep]
        assert problems_of({"medication": [med()], "extra": deep}) == ["extra"]

    def test_amounts_are_decimal(self) -> None:
        """Loaded amounts are exact Decimals, never floats."""
        regimen = regimen_from_mapping(
            {
                "medication": [
                    med(drug="oxycodone", form="ir_tablet", strength="7.5 mg", dose="3.75 mg")
                ]
            }
        )
        amount = regimen.medications[0].administrations[0].amount.amount
        assert isinstance(amount, Decimal)
        assert amount == Decimal("3.75")


class TestZones:
    """Legacy zones are refused with the place's zone to use (issue 12 item 5)."""

    @pytest.mark.parametrize(
        ("zone", "fix"),
        [
            ("EST", "America/New_York"),
            ("MST", "America/Phoenix"),
            ("PST8PDT", "America/Los_Angeles"),
            ("CET", "Europe/Paris"),
            ("Etc/GMT+5", "the zone of the patient's city"),
        ],
    )
    def test_legacy_zone_is_refused(self, zone: str, fix: str) -> None:
        with pytest.raises(InvalidRegimenError) as info:
            regimen_from_mapping({"timezone": zone, "medication": [med()]})
        (problem,) = info.value.problems
        assert problem.path == "timezone"
        assert "legacy zone" in problem.message
        assert fix in (problem.fix or "")

    @pytest.mark.parametrize(
        "zone", ["America/New_York", "Etc/UTC", "UTC", "US/Eastern", "Etc/GMT", "GMT"]
    )
    def test_zones_of_places_load(self, zone: str) -> None:
        regimen = regimen_from_mapping({"timezone": zone, "medication": [med()]})
        assert regimen.timezone == ZoneInfo(zone)


class TestImplausibleCounts:
    """A dose of more units at one time than the catalogue's limit gets a notice naming it
    (issue 12 item 5); the dose is kept as stated."""

    def test_twenty_tablets_at_once(self) -> None:
        regimen = regimen_from_mapping(
            {
                "medication": [
                    med(drug="oxycodone", form="ir_tablet", strength="5 mg", dose="100 mg")
                ]
            }
        )
        assert codes(regimen) == ["many-units-per-dose"]
        message = regimen.notices[0].message
        assert "20 units of 5 mg oxycodone IR tablet" in message
        assert regimen.medications[0].pieces_at_once == 20

    @pytest.mark.parametrize(
        "entry",
        [
            med(drug="oxycodone", form="ir_tablet", strength="5 mg", dose="30 mg"),
            med(form="er_tablet", strength=["10 mg", "80 mg"], dose="160 mg"),
            med(drug="morphine", form="oral_solution", strength="2 mg/mL", dose="30 mg"),
        ],
    )
    def test_usual_counts_have_no_notice(self, entry: dict[str, Any]) -> None:
        assert "many-units-per-dose" not in codes(regimen_from_mapping({"medication": [entry]}))

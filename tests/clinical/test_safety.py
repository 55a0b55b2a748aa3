"""Tests for the safety notices (taperplan.clinical.safety)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import clinical_context_kwargs, total_mmes
from taperplan import Notice, Regimen, regimen_from_mapping
from taperplan._data import load_data
from taperplan.clinical.safety import (
    clock_changes,
    dst_time_warnings,
    oud_refusal_reason,
    regimen_safety_warnings,
    safety_codes,
)
from taperplan.reference.notices import warning_codes

NALOXONE_FLAGS = (
    "benzodiazepines",
    "history_of_overdose",
    "substance_use_disorder",
    "opioid_use_disorder",
    "sleep_apnea",
)

OXYCODONE = {
    "drug": "oxycodone",
    "form": "er_tablet",
    "strength": "20 mg",
    "dose": "20 mg",
    "times": ["08:00", "20:00"],
}
METHADONE = {
    "drug": "methadone",
    "form": "ir_tablet",
    "strength": "10 mg",
    "dose": "10 mg",
    "times": ["08:00", "20:00"],
}
FENTANYL = {
    "drug": "fentanyl",
    "form": "patch",
    "strength": "25 mcg/h",
    "dose": "25 mcg/h",
    "times": ["09:00"],
    "every_days": 3,
}
BUPRENORPHINE = {
    "drug": "buprenorphine",
    "form": "patch",
    "strength": "10 mcg/h",
    "dose": "10 mcg/h",
    "times": ["09:00"],
    "every_days": 7,
}


def regimen(
    *medications: dict[str, Any], context: dict[str, Any] | None = None, timezone: str | None = None
) -> Regimen:
    """A loaded regimen of ``medications`` (oxycodone ER by default)."""
    mapping: dict[str, Any] = {"medication": list(medications or (OXYCODONE,))}
    if context is not None:
        mapping["context"] = context
    if timezone is not None:
        mapping["timezone"] = timezone
    return regimen_from_mapping(mapping)


def codes(notices: tuple[Notice, ...]) -> list[str]:
    """The codes of notices, in order."""
    return [n.code for n in notices]


class TestTable:
    """The safety table is cited and its codes are its own."""

    def test_every_source_is_in_sources_toml(self) -> None:
        """Every safety notice, the OUD refusal and the DST warning cite a key from sources.toml."""
        sources = set(load_data("sources.toml"))
        raw = load_data("safety.toml")
        cited = {entry["source"] for entry in raw["notice"]} | {
            raw["oud_refusal"]["source"],
            raw["dst"]["source"],
        }
        assert cited <= sources

    def test_codes_do_not_clash_with_warnings_toml(self) -> None:
        """No safety code is also a code of data/warnings.toml."""
        assert set(safety_codes()).isdisjoint(warning_codes())

    def test_codes(self) -> None:
        """The module's codes are the documented ones."""
        assert safety_codes() == (
            "tolerance-loss",
            "naloxone",
            "benzodiazepines",
            "pregnancy",
            "methadone-taper",
            "fentanyl-patch-taper",
            "sleep-apnea",
            "history-of-overdose",
            "opioid-use-disorder",
            "dst-dose-time",
        )


class TestRegimenSafetyWarnings:
    """regimen_safety_warnings raises each notice exactly when its condition holds."""

    def test_plain_regimen_gets_loss_of_tolerance_only(self) -> None:
        """A low-dose regimen with no risks gets only the tolerance-loss notice, citing VA-TDT."""
        (notice,) = regimen_safety_warnings(regimen(), total_mme=Decimal(30))
        assert notice.code == "tolerance-loss"
        assert notice.source == "VA-TDT"
        assert "overdose" in notice.message

    @given(clinical_context_kwargs(), total_mmes())
    def test_loss_of_tolerance_always_first(
        self, context: dict[str, Any], mme: Decimal | None
    ) -> None:
        """For any context and MME the first notice is loss of tolerance."""
        context = {k: v for k, v in context.items() if v is not None}
        notices = regimen_safety_warnings(regimen(context=context), total_mme=mme)
        assert notices[0].code == "tolerance-loss"

    @pytest.mark.parametrize(
        ("mme", "present"), [(Decimal(50), True), (Decimal("49.5"), False), (None, False)]
    )
    def test_naloxone_at_50_mme(self, mme: Decimal | None, present: bool) -> None:
        """The naloxone notice appears at 50 MME/day or more."""
        assert ("naloxone" in codes(regimen_safety_warnings(regimen(), total_mme=mme))) is present

    def test_naloxone_message_names_the_reasons(self) -> None:
        """The naloxone notice names the MME figure and the stated risks, citing CDC2022."""
        notices = regimen_safety_warnings(
            regimen(context={"sleep_apnea": True}), total_mme=Decimal(60)
        )
        naloxone = next(n for n in notices if n.code == "naloxone")
        assert naloxone == Notice(
            "naloxone",
            "Offer naloxone and overdose education (60 MME/day (50 or more); sleep apnea or other sleep-disordered breathing).",
            "CDC2022",
        )

    @given(clinical_context_kwargs(), total_mmes())
    def test_context_notices_follow_the_context(
        self, context: dict[str, Any], mme: Decimal | None
    ) -> None:
        """For any context, each context notice is present exactly when its fact is stated true."""
        stated = {k: v for k, v in context.items() if v is not None}
        found = set(codes(regimen_safety_warnings(regimen(context=stated), total_mme=mme)))
        expected = {
            "naloxone": (mme is not None and mme >= 50)
            or any(context[f] is True for f in NALOXONE_FLAGS),
            "benzodiazepines": context["benzodiazepines"] is True,
            "pregnancy": context["pregnant"] is True,
            "sleep-apnea": context["sleep_apnea"] is True,
            "history-of-overdose": context["history_of_overdose"] is True,
            "opioid-use-disorder": context["opioid_use_disorder"] is True,
        }
        for code, wanted in expected.items():
            assert (code in found) is wanted, code
        assert "methadone-taper" not in found
        assert "fentanyl-patch-taper" not in found

    def test_benzodiazepines(self) -> None:
        """Benzodiazepines add a CDC2022 notice about overdose risk and a gradual benzodiazepine taper."""
        notices = regimen_safety_warnings(
            regimen(context={"benzodiazepines": True}), total_mme=Decimal(30)
        )
        assert codes(notices) == ["tolerance-loss", "naloxone", "benzodiazepines"]
        assert notices[2].source == "CDC2022"
        assert "taper it gradually" in notices[2].message

    def test_pregnancy(self) -> None:
        """Pregnancy adds a notice asking for specialist expertise before any taper."""
        notices = regimen_safety_warnings(
            regimen(context={"pregnant": True}), total_mme=Decimal(30)
        )
        assert codes(notices) == ["tolerance-loss", "pregnancy"]
        assert "specialist" in notices[1].message

    def test_methadone(self) -> None:
        """A methadone regimen adds the methadone notice (half-life, QT)."""
        notices = regimen_safety_warnings(regimen(METHADONE), total_mme=Decimal(94))
        assert codes(notices) == ["tolerance-loss", "naloxone", "methadone-taper"]
        assert "QT" in notices[2].message
        assert "half-life" in notices[2].message

    def test_fentanyl_patch(self) -> None:
        """A fentanyl patch adds the transdermal notice citing the label; a buprenorphine patch does not."""
        notices = regimen_safety_warnings(regimen(FENTANYL, OXYCODONE), total_mme=Decimal(90))
        assert codes(notices) == ["tolerance-loss", "naloxone", "fentanyl-patch-taper"]
        assert notices[2].source == "FENTANYL-TD-LABEL"
        assert codes(regimen_safety_warnings(regimen(BUPRENORPHINE), total_mme=None)) == [
            "tolerance-loss"
        ]


class TestOudRefusal:
    """Buprenorphine or methadone for opioid use disorder is refused as a pain taper."""

    @pytest.mark.parametrize("medication", [METHADONE, BUPRENORPHINE])
    def test_oud_indication_is_refused(self, medication: dict[str, Any]) -> None:
        """Methadone or buprenorphine with indication 'oud' gets the CDC2022 recommendation 12 reason."""
        loaded = regimen({**medication, "indication": "oud"}).medications[0]
        reason = oud_refusal_reason(loaded)
        assert reason is not None
        assert reason.startswith(f"{medication['drug']} is given here for opioid use disorder")
        assert "first-line" in reason
        assert "recommendation 12" in reason
        assert "MME guideposts do not apply" in reason

    @pytest.mark.parametrize("medication", [METHADONE, BUPRENORPHINE])
    def test_pain_indication_is_allowed(self, medication: dict[str, Any]) -> None:
        """The same drugs given for pain are not refused."""
        assert oud_refusal_reason(regimen(medication).medications[0]) is None

    def test_other_opioid_is_never_refused(self) -> None:
        """Only buprenorphine and methadone are medications for OUD; oxycodone marked 'oud' is not refused here."""
        assert (
            oud_refusal_reason(regimen({**OXYCODONE, "indication": "oud"}).medications[0]) is None
        )


def timed(*times: str, timezone: str | None = "America/New_York") -> Regimen:
    """An oxycodone IR regimen taken at ``times`` in ``timezone``."""
    medication = {
        "drug": "oxycodone",
        "form": "ir_tablet",
        "strength": "5 mg",
        "dose": "5 mg",
        "times": list(times),
    }
    return regimen(medication, timezone=timezone)


class TestDstTimeWarnings:
    """Doses in the clock-change hours are flagged in zones that change their clocks."""

    @pytest.mark.parametrize(
        ("time", "flagged"),
        [
            ("00:59", False),
            ("01:00", True),
            ("01:30", True),
            ("02:00", True),
            ("02:59", True),
            ("03:00", False),
            ("08:00", False),
        ],
    )
    def test_window_is_0100_inclusive_to_0300_exclusive(self, time: str, flagged: bool) -> None:
        """In New York a dose from 01:00 up to (not including) 03:00 is flagged."""
        assert bool(dst_time_warnings(timed(time))) is flagged

    @pytest.mark.parametrize("zone", ["Asia/Tokyo", "UTC", "Europe/Moscow", "Asia/Kolkata"])
    def test_zone_without_clock_changes(self, zone: str) -> None:
        """A zone that no longer changes its clocks (Moscow since 2011) gives no warning."""
        assert dst_time_warnings(timed("02:00", timezone=zone)) == ()

    def test_no_timezone(self) -> None:
        """A regimen without a timezone gives no warning."""
        assert dst_time_warnings(timed("02:00", timezone=None)) == ()

    def test_message(self) -> None:
        """The warning names the medication, the time and the zone, and says skipped or doubled."""
        (notice,) = dst_time_warnings(timed("02:30", "08:00"))
        assert notice == Notice(
            "dst-dose-time",
            "medication[0] (oxycodone ir_tablet): the 02:30 dose falls in the night hours when America/New_York "
            "changes its clocks; on a clock-change day it may be skipped (clocks go forward) or taken twice "
            "(clocks go back). Consider another time, or check that dose on those days.",
            "TAPERPLAN",
        )

    def test_one_warning_per_medication_and_time(self) -> None:
        """Each affected time of each medication gets its own warning, in regimen order."""
        second = {
            "drug": "methadone",
            "form": "ir_tablet",
            "strength": "5 mg",
            "dose": "5 mg",
            "times": ["02:15"],
        }
        first = {
            "drug": "oxycodone",
            "form": "ir_tablet",
            "strength": "5 mg",
            "dose": "5 mg",
            "times": ["01:00", "01:45", "12:00"],
        }
        notices = dst_time_warnings(regimen(first, second, timezone="Europe/Berlin"))
        assert [n.message.split(" dose")[0] for n in notices] == [
            "medication[0] (oxycodone ir_tablet): the 01:00",
            "medication[0] (oxycodone ir_tablet): the 01:45",
            "medication[1] (methadone ir_tablet): the 02:15",
        ]

    def test_period_lists_the_clock_change_dates(self) -> None:
        """With a plan period the message lists that period's clock changes."""
        (notice,) = dst_time_warnings(timed("01:30"), start=dt.date(2027, 1, 4))
        assert notice.message.endswith(
            "Clock changes in this period: 2027-03-14 (forward), 2027-11-07 (back)."
        )

    def test_period_without_clock_changes(self) -> None:
        """A plan period with no clock change in it gives no warning."""
        assert (
            dst_time_warnings(timed("02:00"), start=dt.date(2027, 4, 1), end=dt.date(2027, 10, 31))
            == ()
        )

    def test_midnight_change_outside_the_window(self) -> None:
        """In Santiago (clocks change at midnight) 23:30 and 00:30 doses are flagged, 08:00 is not."""
        notices = dst_time_warnings(timed("00:30", "08:00", "23:30", timezone="America/Santiago"))
        assert [n.message.split(" dose")[0][-5:] for n in notices] == ["00:30", "23:30"]

    @given(
        st.times(),
        st.sampled_from(
            ["America/New_York", "Europe/London", "Australia/Sydney", "Pacific/Auckland"]
        ),
    )
    def test_any_time_in_window_is_flagged_in_dst_zones(self, time: dt.time, zone: str) -> None:
        """In zones whose changes fall from 01:00 to 03:00, a dose time is flagged exactly when it lies in that window."""
        text = f"{time.hour:02d}:{time.minute:02d}"
        notices = dst_time_warnings(timed(text, timezone=zone))
        in_window = dt.time(1) <= dt.time(time.hour, time.minute) < dt.time(3)
        assert len(notices) == (1 if in_window else 0)
        assert all(f"the {text} dose" in n.message for n in notices)


def wall(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A naive local wall-clock datetime, as ClockChange reports them."""
    return dt.datetime(year, month, day, hour, minute)  # noqa: DTZ001 - wall-clock time on purpose


class TestClockChanges:
    """clock_changes finds each change to the second, with the wall times it affects."""

    def test_new_york_2027(self) -> None:
        """New York 2027: forward on 14 March (02:00-03:00 skipped), back on 7 November (01:00-02:00 twice)."""
        spring, autumn = clock_changes(
            ZoneInfo("America/New_York"), dt.date(2027, 1, 1), dt.date(2027, 12, 31)
        )
        assert (spring.forward, spring.local_from, spring.local_until) == (
            True,
            wall(2027, 3, 14, 2),
            wall(2027, 3, 14, 3),
        )
        assert spring.at == dt.datetime(2027, 3, 14, 7, tzinfo=dt.UTC)
        assert (autumn.forward, autumn.local_from, autumn.local_until) == (
            False,
            wall(2027, 11, 7, 1),
            wall(2027, 11, 7, 2),
        )
        assert str(autumn) == "2027-11-07 (back)"

    def test_lord_howe_half_hour(self) -> None:
        """Lord Howe Island moves its clocks by half an hour."""
        back, forward = clock_changes(
            ZoneInfo("Australia/Lord_Howe"), dt.date(2027, 1, 1), dt.date(2027, 12, 31)
        )
        assert (back.local_from, back.local_until) == (
            wall(2027, 4, 4, 1, 30),
            wall(2027, 4, 4, 2),
        )
        assert (forward.local_from, forward.local_until) == (
            wall(2027, 10, 3, 2),
            wall(2027, 10, 3, 2, 30),
        )

    def test_affects(self) -> None:
        """A change affects exactly the wall times it skips or repeats."""
        spring, _ = clock_changes(
            ZoneInfo("Europe/London"), dt.date(2027, 1, 1), dt.date(2027, 12, 31)
        )
        assert spring.affects(dt.time(1, 0))
        assert spring.affects(dt.time(1, 59))
        assert not spring.affects(dt.time(2, 0))
        assert not spring.affects(dt.time(0, 59))

"""Tests for the pain-pattern considerations (taperplan.reviewing.pain_pattern)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given

from strategies import PAIN_SIGNS, clinical_context_kwargs, pain_observation_kwargs, total_mmes
from taperplan import Context
from taperplan._data import load_data
from taperplan.reviewing.pain_pattern import (
    PainObservations,
    assess_pain_pattern,
    assessment_to_dict,
    oih_risk_factors,
    oih_signs,
)

#: Clinical reference §7: the pattern each sign points to and those it contrasts with.
POINTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pain_worse_with_dose_increase": ("oih", ("tolerance",)),
    "pain_better_with_dose_increase": ("tolerance", ("oih",)),
    "pain_spread_beyond_original_site": ("oih", ("tolerance",)),
    "allodynia": ("oih", ()),
    "pain_at_original_site_same_quality": ("tolerance", ("oih",)),
    "symptoms_after_cut_or_missed_dose": ("withdrawal", ()),
    "symptoms_time_limited": ("withdrawal", ()),
    "anxiety_sweating_gi_upset_craving": ("withdrawal", ()),
}

#: Clinical reference §7: each risk factor's evidence level.
EVIDENCE: dict[str, str] = {
    "long_term_use": "well supported",
    "high_dose": "well supported",
    "rapid_escalation": "not confirmed in primary sources",
    "fentanyl_or_remifentanil": "partly supported",
    "fibromyalgia": "not confirmed in primary sources",
    "neuropathy": "not confirmed in primary sources",
    "anxiety_or_depression": "not confirmed in primary sources",
    "history_of_oud": "not confirmed in primary sources",
}


def keys(signs: tuple[Any, ...]) -> list[str]:
    """The keys of signs or risk factors, in order."""
    return [s.key for s in signs]


class TestTable:
    """The packaged OIH table matches the clinical reference and is cited."""

    def test_signs_point_as_the_reference_says(self) -> None:
        """Every sign of §7 is in the table, pointing to and away from the reference's patterns."""
        assert {s.key: (s.points_to, s.points_away_from) for s in oih_signs()} == POINTS

    def test_risk_factor_evidence_levels(self) -> None:
        """Every risk factor of §7 carries the reference's evidence level."""
        assert {r.key: r.evidence for r in oih_risk_factors()} == EVIDENCE

    def test_thresholds_are_cited(self) -> None:
        """High dose is 90 MME/day or more (CDC2016); long-term is more than 90 days (CDC2022)."""
        rules = {r.key: r for r in oih_risk_factors()}
        assert rules["high_dose"].min_mme == Decimal(90)
        assert rules["high_dose"].threshold_source == "CDC2016"
        assert rules["long_term_use"].more_than_days == 90
        assert rules["long_term_use"].threshold_source == "CDC2022"

    def test_every_source_is_in_sources_toml(self) -> None:
        """Every sign, risk factor, threshold and note cites a key that sources.toml defines."""
        sources = set(load_data("sources.toml"))
        cited = {s.source for s in oih_signs()}
        cited |= {r.source for r in oih_risk_factors()}
        cited |= {r.threshold_source for r in oih_risk_factors() if r.threshold_source}
        text = load_data("oih.toml")["text"]
        cited |= {text["exclusion_source"], text["conflict_source"]}
        assert cited <= sources

    def test_observations_hold_every_sign(self) -> None:
        """PainObservations has a field for every sign, and the strategies know them all."""
        assert set(PAIN_SIGNS) == set(POINTS)
        assert {s.key for s in oih_signs()} <= set(attrs.fields_dict(PainObservations))

    def test_observations_refuse_non_booleans(self) -> None:
        """An observation that is not a bool or None is refused."""
        with pytest.raises(TypeError, match="allodynia"):
            PainObservations(allodynia="yes")  # type: ignore[arg-type]


class TestSigns:
    """Observed signs are sorted by the pattern they point to and away from."""

    def test_oih_picture(self) -> None:
        """Worse with dose, spread and allodynia point to OIH and away from tolerance."""
        result = assess_pain_pattern(
            PainObservations(
                pain_worse_with_dose_increase=True,
                pain_spread_beyond_original_site=True,
                allodynia=True,
            )
        )
        assert keys(result.oih.pointing_to) == [
            "pain_worse_with_dose_increase",
            "pain_spread_beyond_original_site",
            "allodynia",
        ]
        assert keys(result.oih.pointing_away) == []
        assert keys(result.tolerance.pointing_away) == [
            "pain_worse_with_dose_increase",
            "pain_spread_beyond_original_site",
        ]
        assert keys(result.withdrawal.pointing_to) == []

    def test_tolerance_picture(self) -> None:
        """Better with dose and same site point to tolerance and away from OIH."""
        result = assess_pain_pattern(
            PainObservations(
                pain_better_with_dose_increase=True, pain_at_original_site_same_quality=True
            )
        )
        assert keys(result.tolerance.pointing_to) == [
            "pain_better_with_dose_increase",
            "pain_at_original_site_same_quality",
        ]
        assert keys(result.oih.pointing_away) == [
            "pain_better_with_dose_increase",
            "pain_at_original_site_same_quality",
        ]
        assert result.oih.pointing_to == ()

    def test_withdrawal_picture(self) -> None:
        """Symptoms after a cut, time-limited, with anxiety and sweating point to withdrawal, citing VA-TDT."""
        result = assess_pain_pattern(
            PainObservations(
                symptoms_after_cut_or_missed_dose=True,
                symptoms_time_limited=True,
                anxiety_sweating_gi_upset_craving=True,
            )
        )
        assert len(result.withdrawal.pointing_to) == 3
        assert {s.source for s in result.withdrawal.pointing_to} == {"VA-TDT"}
        assert result.oih.pointing_to == result.tolerance.pointing_to == ()

    def test_false_and_unstated_signs_count_for_nothing(self) -> None:
        """A sign stated False points nowhere; unstated signs are listed as not stated."""
        result = assess_pain_pattern(
            PainObservations(allodynia=False, pain_worse_with_dose_increase=True)
        )
        assert keys(result.oih.pointing_to) == ["pain_worse_with_dose_increase"]
        assert "allodynia" not in result.not_stated
        assert result.not_stated == (
            "pain_better_with_dose_increase",
            "pain_spread_beyond_original_site",
            "pain_at_original_site_same_quality",
            "symptoms_after_cut_or_missed_dose",
            "symptoms_time_limited",
            "anxiety_sweating_gi_upset_craving",
        )

    def test_conflicting_observations_are_noted(self) -> None:
        """Pain both worse and better with a dose increase adds a conflict note."""
        result = assess_pain_pattern(
            PainObservations(
                pain_worse_with_dose_increase=True, pain_better_with_dose_increase=True
            )
        )
        assert [n.code for n in result.notes] == [
            "oih-diagnosis-of-exclusion",
            "oih-conflicting-observations",
        ]

    @given(pain_observation_kwargs())
    def test_each_true_sign_lands_where_the_reference_says(
        self, observed: dict[str, bool | None]
    ) -> None:
        """For any observations, each pattern lists exactly the true signs pointing to or away from it."""
        result = assess_pain_pattern(PainObservations(**observed))
        true = [k for k in PAIN_SIGNS if observed[k] is True]
        for findings in result.patterns:
            assert keys(findings.pointing_to) == [
                k for k in true if POINTS[k][0] == findings.pattern
            ]
            assert keys(findings.pointing_away) == [
                k for k in true if findings.pattern in POINTS[k][1]
            ]
        assert result.not_stated == tuple(k for k in PAIN_SIGNS if observed[k] is None)


class TestRiskFactors:
    """OIH risk factors present are listed with their evidence level."""

    def test_context_factors(self) -> None:
        """Rapid escalation, fibromyalgia, neuropathy, depression and OUD come from the context."""
        context = Context(
            rapid_escalation=True,
            fibromyalgia=True,
            neuropathy=True,
            depression=True,
            opioid_use_disorder=True,
        )
        result = assess_pain_pattern(PainObservations(), context=context)
        assert [(r.key, r.evidence) for r in result.risk_factors] == [
            ("rapid_escalation", "not confirmed in primary sources"),
            ("fibromyalgia", "not confirmed in primary sources"),
            ("neuropathy", "not confirmed in primary sources"),
            ("anxiety_or_depression", "not confirmed in primary sources"),
            ("history_of_oud", "not confirmed in primary sources"),
        ]
        assert result.risk_factors[3].because == "context: depression"

    @pytest.mark.parametrize(
        ("mme", "present"), [(Decimal(90), True), (Decimal("89.9"), False), (None, False)]
    )
    def test_high_dose_from_90_mme(self, mme: Decimal | None, present: bool) -> None:
        """High dose is a risk factor at 90 MME/day or more, and not below or without MME."""
        result = assess_pain_pattern(PainObservations(), total_mme=mme)
        assert ("high_dose" in keys(result.risk_factors)) is present

    def test_high_dose_because(self) -> None:
        """The high-dose factor says which figure raised it and is well supported."""
        (factor,) = assess_pain_pattern(PainObservations(), total_mme=Decimal(120)).risk_factors
        assert factor.because == "120 MME/day (90 or more)"
        assert factor.evidence == "well supported"

    @pytest.mark.parametrize(
        ("on", "present"), [(dt.date(2024, 4, 1), True), (dt.date(2024, 3, 31), False)]
    )
    def test_long_term_from_start_date(self, on: dt.date, present: bool) -> None:
        """Long-term use counts from 91 days on opioids: 2024-04-01 is 91 days after 2024-01-01, 03-31 is 90."""
        context = Context(on_opioids_since=dt.date(2024, 1, 1))
        result = assess_pain_pattern(PainObservations(), context=context, on=on)
        assert ("long_term_use" in keys(result.risk_factors)) is present

    def test_long_term_needs_the_date(self) -> None:
        """Without the assessment date the start date alone does not make long-term use."""
        context = Context(on_opioids_since=dt.date(2000, 1, 1))
        assert assess_pain_pattern(PainObservations(), context=context).risk_factors == ()

    def test_observed_factors(self) -> None:
        """Long-term use and fentanyl or remifentanil exposure can be stated as observations."""
        result = assess_pain_pattern(
            PainObservations(long_term_use=True, fentanyl_or_remifentanil_exposure=True)
        )
        assert [(r.key, r.evidence) for r in result.risk_factors] == [
            ("long_term_use", "well supported"),
            ("fentanyl_or_remifentanil", "partly supported"),
        ]

    @given(clinical_context_kwargs(), total_mmes())
    def test_context_factors_follow_the_context(
        self, context: dict[str, Any], mme: Decimal | None
    ) -> None:
        """For any context, each context-driven factor is present exactly when its fact is stated true."""
        result = assess_pain_pattern(PainObservations(), context=Context(**context), total_mme=mme)
        present = set(keys(result.risk_factors))
        expected = {
            "rapid_escalation": context["rapid_escalation"] is True,
            "fibromyalgia": context["fibromyalgia"] is True,
            "neuropathy": context["neuropathy"] is True,
            "anxiety_or_depression": context["anxiety"] is True or context["depression"] is True,
            "history_of_oud": context["opioid_use_disorder"] is True,
            "high_dose": mme is not None and mme >= 90,
        }
        for key, wanted in expected.items():
            assert (key in present) is wanted, key


class TestSummary:
    """The summary is a consideration for the clinician, never a diagnosis."""

    def test_summary_text(self) -> None:
        """The summary says 'considerations for the clinician', counts the signs and says OIH is a diagnosis of exclusion."""
        result = assess_pain_pattern(
            PainObservations(allodynia=True, symptoms_time_limited=True),
            context=Context(anxiety=True),
        )
        assert result.summary == (
            "Considerations for the clinician, not a diagnosis. Signs stated that point to opioid-induced "
            "hyperalgesia: 1 (against: 0); to tolerance: 0 (against: 0); to withdrawal: 1 (against: 0). "
            "OIH risk factors present: 1. Opioid-induced hyperalgesia is a diagnosis of exclusion: other "
            "explanations, including progression of the underlying condition, tolerance and withdrawal, come first."
        )

    @given(pain_observation_kwargs(), clinical_context_kwargs(), total_mmes())
    def test_every_summary_is_a_consideration(
        self, observed: dict[str, bool | None], context: dict[str, Any], mme: Decimal | None
    ) -> None:
        """For any input the summary opens with 'Considerations for the clinician' and notes the exclusion."""
        result = assess_pain_pattern(
            PainObservations(**observed), context=Context(**context), total_mme=mme
        )
        assert result.summary.startswith("Considerations for the clinician, not a diagnosis.")
        assert "diagnosis of exclusion" in result.summary
        assert result.notes[0].code == "oih-diagnosis-of-exclusion"
        assert result.notes[0].source == "PainPhys2011"

    def test_to_dict(self) -> None:
        """assessment_to_dict lists each pattern's signs with sources and each factor with its evidence."""
        data = assessment_to_dict(
            assess_pain_pattern(PainObservations(allodynia=True), total_mme=Decimal(100))
        )
        assert data["patterns"][0] == {
            "pattern": "oih",
            "label": "opioid-induced hyperalgesia",
            "pointing_to": [
                {
                    "key": "allodynia",
                    "text": "Pain from normally painless touch (allodynia), such as clothing",
                    "source": "PainPhys2011",
                }
            ],
            "pointing_away": [],
        }
        assert data["risk_factors"][0]["evidence"] == "well supported"
        assert data["risk_factors"][0]["because"] == "100 MME/day (90 or more)"
        assert data["summary"].startswith("Considerations for the clinician")

"""Tests for adjunct suggestions (taperplan.clinical.adjuncts)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given

from strategies import clinical_context_kwargs, total_mmes
from taperplan import CatalogueError, Context, Notice
from taperplan._data import load_data
from taperplan.clinical.adjuncts import (
    CATEGORIES,
    Adjunct,
    Caution,
    Condition,
    adjunct_entry,
    adjunct_rules,
    adjunct_table,
    adjunct_to_dict,
    suggest_adjuncts,
)

RULE_KEY = "no-opioids-or-benzodiazepines-for-withdrawal"
NALOXONE_FLAGS = (
    "benzodiazepines",
    "history_of_overdose",
    "substance_use_disorder",
    "opioid_use_disorder",
    "sleep_apnea",
)


def suggest(total_mme: Decimal | None = None, **context: Any) -> dict[str, Adjunct]:
    """The suggestions for a context, by key."""
    return {a.key: a for a in suggest_adjuncts(Context(**context), total_mme=total_mme)}


def codes(adjunct: Adjunct) -> list[str]:
    """The codes of an adjunct's cautions, in order."""
    return [c.code for c in adjunct.cautions]


class TestTable:
    """The packaged adjunct table is complete and cited."""

    def test_every_entry_and_caution_has_a_known_source(self) -> None:
        """Every adjunct and every caution names a source key that sources.toml defines."""
        sources = set(load_data("sources.toml"))
        for entry in adjunct_table():
            assert entry.source in sources, entry.key
            for caution in entry.cautions:
                assert caution.source in sources, caution.code

    def test_every_caution_in_the_file_is_used(self) -> None:
        """Every [caution] of adjuncts.toml is attached to at least one adjunct."""
        used = {c.code for e in adjunct_table() for c in e.cautions}
        assert used == set(load_data("adjuncts.toml")["caution"])

    def test_reference_section_6_is_covered(self) -> None:
        """The table holds every adjunct of clinical reference §6a-6d, under its category."""
        table = {e.key: e.category for e in adjunct_table()}
        expected = {
            RULE_KEY: "rule",
            "naloxone": "naloxone",
            "pregnancy-specialist": "referral",
            "interventional-referral": "referral",
            "oud-evaluation": "oud",
            "moud": "oud",
            "clonidine": "withdrawal",
            "lofexidine": "withdrawal",
            "autonomic-alternatives": "withdrawal",
            "hydroxyzine": "withdrawal",
            "diphenhydramine": "withdrawal",
            "nsaid-withdrawal": "withdrawal",
            "acetaminophen-withdrawal": "withdrawal",
            "topical-menthol-lidocaine": "withdrawal",
            "trazodone": "withdrawal",
            "doxepin": "withdrawal",
            "ondansetron": "withdrawal",
            "prochlorperazine-promethazine": "withdrawal",
            "dicyclomine": "withdrawal",
            "loperamide": "withdrawal",
            "acetaminophen": "pain-medicine",
            "nsaids": "pain-medicine",
            "snri-tca": "pain-medicine",
            "gabapentinoids": "pain-medicine",
            "topical-lidocaine-capsaicin": "pain-medicine",
            "exercise-physical-therapy": "non-drug",
            "psychological-therapy": "non-drug",
            "mindfulness": "non-drug",
            "yoga": "non-drug",
            "acupuncture": "non-drug",
            "massage": "non-drug",
            "sleep-care": "non-drug",
            "weight-loss": "non-drug",
        }
        assert table == expected

    @pytest.mark.parametrize(
        ("key", "dose"),
        [
            (
                "clonidine",
                "0.1\u20130.2 mg every 6\u20138 hours; hold a dose if blood pressure is below 90/60 mmHg",
            ),
            ("lofexidine", "0.54 mg four times daily, for up to 14 days"),
            ("hydroxyzine", "25\u201350 mg three times daily as needed"),
            ("diphenhydramine", "25 mg every 6 hours as needed"),
            (
                "nsaid-withdrawal",
                "naproxen 375\u2013500 mg twice daily, or ibuprofen 400\u2013600 mg four times daily",
            ),
            ("acetaminophen-withdrawal", "650 mg every 6 hours; at most 4 g/day from all sources"),
            ("trazodone", "25\u2013300 mg at bedtime"),
            ("doxepin", "6\u201350 mg at bedtime"),
            ("ondansetron", "4 mg every 6 hours as needed"),
            ("dicyclomine", "20 mg every 6\u20138 hours as needed"),
            ("loperamide", "4 mg at first, then 2 mg after each loose stool; at most 16 mg/day"),
        ],
    )
    def test_va_tdt_doses(self, key: str, dose: str) -> None:
        """Withdrawal adjuncts carry VA-TDT's usual adult dose."""
        entry = adjunct_entry(key)
        assert entry.dose == dose
        assert entry.source == "VA-TDT"

    def test_entries_are_in_category_order(self) -> None:
        """The table is ordered by CATEGORIES: rule first, non-drug last."""
        order = [CATEGORIES.index(e.category) for e in adjunct_table()]
        assert order == sorted(order)
        assert adjunct_table()[0].key == RULE_KEY

    def test_unknown_entry_is_refused(self) -> None:
        """adjunct_entry refuses an unknown key with close matches."""
        with pytest.raises(CatalogueError, match="did you mean 'naloxone'"):
            adjunct_entry("naloxon")

    def test_condition_refuses_unknown_flag(self) -> None:
        """A Condition naming a flag Context does not have is refused."""
        with pytest.raises(ValueError, match="kidney"):
            Condition(flags=("kidney",))


class TestRule:
    """The rule against opioids or benzodiazepines for withdrawal symptoms is always given."""

    @given(clinical_context_kwargs(), total_mmes())
    def test_rule_comes_first_in_every_suggestion_list(
        self, context: dict[str, Any], mme: Decimal | None
    ) -> None:
        """For any context and MME the first suggestion is the VA-TDT rule."""
        first = suggest_adjuncts(Context(**context), total_mme=mme)[0]
        assert first.key == RULE_KEY
        assert first.category == "rule"
        assert first.source == "VA-TDT"

    def test_rule_as_notice(self) -> None:
        """adjunct_rules gives the rule as a Notice with its code and source."""
        assert adjunct_rules() == (
            Notice(
                RULE_KEY,
                "Do not treat withdrawal symptoms during a taper with an opioid or a benzodiazepine.",
                "VA-TDT",
            ),
        )


class TestCautionFilter:
    """Cautions appear only when the context raises them, plus the always-on ones."""

    @pytest.mark.parametrize("key", ["nsaid-withdrawal", "nsaids"])
    def test_nsaids_with_kidney_disease_carry_the_kidney_caution(self, key: str) -> None:
        """NSAIDs carry the kidney caution when renal_impairment is true."""
        adjunct = suggest(renal_impairment=True)[key]
        assert codes(adjunct) == ["nsaid-kidney"]
        assert adjunct.cautions[0].because == "kidney disease or impaired kidney function"
        assert adjunct.cautions[0].source == "VA-TDT"

    @pytest.mark.parametrize("renal", [False, None])
    def test_nsaids_without_kidney_disease_carry_no_kidney_caution(
        self, renal: bool | None
    ) -> None:
        """NSAIDs carry no kidney caution when renal_impairment is false or unstated."""
        assert codes(suggest(renal_impairment=renal)["nsaids"]) == []

    @pytest.mark.parametrize(
        ("context", "expected"),
        [
            ({"gi_bleeding": True}, ["nsaid-gi-bleeding"]),
            ({"heart_disease": True}, ["nsaid-heart"]),
            ({"age": 65}, ["nsaid-older-age"]),
            ({"age": 64}, []),
            ({"gi_bleeding": True, "renal_impairment": True, "heart_disease": True, "age": 80},
             ["nsaid-gi-bleeding", "nsaid-kidney", "nsaid-heart", "nsaid-older-age"]),
        ],
    )  # fmt: skip
    def test_other_nsaid_cautions(self, context: dict[str, Any], expected: list[str]) -> None:
        """NSAIDs carry the GI bleeding, heart and age (65 or older) cautions only when stated."""
        assert codes(suggest(**context)["nsaid-withdrawal"]) == expected

    def test_acetaminophen_with_liver_disease(self) -> None:
        """Acetaminophen carries the liver caution when hepatic_impairment is true, and none otherwise."""
        assert codes(suggest(hepatic_impairment=True)["acetaminophen"]) == ["acetaminophen-liver"]
        assert codes(suggest(hepatic_impairment=True)["acetaminophen-withdrawal"]) == [
            "acetaminophen-liver"
        ]
        assert codes(suggest(hepatic_impairment=False)["acetaminophen"]) == []

    @pytest.mark.parametrize(("age", "avoid"), [(65, True), (90, True), (64, False), (None, False)])
    def test_diphenhydramine_is_marked_avoid_from_65(self, age: int | None, avoid: bool) -> None:
        """Diphenhydramine stays listed but is marked avoid at age 65 or older."""
        adjunct = suggest(age=age)["diphenhydramine"]
        assert adjunct.avoid is avoid
        if avoid:
            assert adjunct.cautions == (
                Caution(
                    "diphenhydramine-older-age",
                    "Avoid diphenhydramine at age 65 or older.",
                    "VA-TDT",
                    "avoid",
                    f"age {age} (65 or older)",
                ),
            )

    def test_only_diphenhydramine_is_avoided_at_70(self) -> None:
        """At 70 with no other facts, diphenhydramine is the only adjunct marked avoid."""
        assert [a.key for a in suggest(age=70).values() if a.avoid] == ["diphenhydramine"]

    def test_clonidine_with_hypotension(self) -> None:
        """Clonidine carries the low blood pressure caution with hypotension, and always the taper-off caution."""
        assert codes(suggest(hypotension=True)["clonidine"]) == [
            "clonidine-hypotension",
            "clonidine-taper-off",
        ]
        assert codes(suggest()["clonidine"]) == ["clonidine-taper-off"]

    def test_clonidine_with_bradycardia(self) -> None:
        """Clonidine carries the slow heart rate caution with bradycardia."""
        assert codes(suggest(bradycardia=True)["clonidine"]) == [
            "clonidine-bradycardia",
            "clonidine-taper-off",
        ]

    def test_lofexidine_cautions(self) -> None:
        """Lofexidine carries hypotension, bradycardia and QT cautions when stated, and always the taper-off one."""
        assert codes(suggest()["lofexidine"]) == ["lofexidine-taper-off"]
        adjunct = suggest(hypotension=True, bradycardia=True, qt_prolongation=True)["lofexidine"]
        assert codes(adjunct) == [
            "lofexidine-hypotension",
            "lofexidine-bradycardia",
            "lofexidine-qt",
            "lofexidine-taper-off",
        ]
        assert {c.source for c in adjunct.cautions} == {"LOFEXIDINE-LABEL"}

    def test_loperamide_high_dose_warning_is_always_on(self) -> None:
        """Loperamide always carries the FDA high-dose heart warning, with no 'because'."""
        caution = suggest()["loperamide"].cautions
        assert codes(suggest()["loperamide"]) == ["loperamide-high-dose"]
        assert caution[0].because is None
        assert caution[0].source == "FDA2016-LOPERAMIDE"

    @pytest.mark.parametrize(
        ("key", "code"),
        [
            ("loperamide", "loperamide-qt"),
            ("ondansetron", "ondansetron-qt"),
            ("lofexidine", "lofexidine-qt"),
            ("moud", "methadone-qt"),
        ],
    )
    def test_qt_risk(self, key: str, code: str) -> None:
        """Loperamide, ondansetron, lofexidine and methadone carry a QT caution only with qt_prolongation."""
        assert code in codes(suggest(qt_prolongation=True)[key])
        assert code not in codes(suggest(qt_prolongation=False)[key])

    @given(clinical_context_kwargs(), total_mmes())
    def test_conditional_cautions_follow_the_context(
        self, context: dict[str, Any], mme: Decimal | None
    ) -> None:
        """For any context, each conditional caution is present exactly when its fact is stated."""
        found = {
            (a.key, c.code)
            for a in suggest_adjuncts(Context(**context), total_mme=mme)
            for c in a.cautions
        }
        age = context["age"]
        expected_when = {
            ("nsaids", "nsaid-kidney"): context["renal_impairment"] is True,
            ("nsaids", "nsaid-gi-bleeding"): context["gi_bleeding"] is True,
            ("nsaids", "nsaid-heart"): context["heart_disease"] is True,
            ("nsaids", "nsaid-older-age"): age is not None and age >= 65,
            ("acetaminophen", "acetaminophen-liver"): context["hepatic_impairment"] is True,
            ("diphenhydramine", "diphenhydramine-older-age"): age is not None and age >= 65,
            ("clonidine", "clonidine-hypotension"): context["hypotension"] is True,
            ("clonidine", "clonidine-bradycardia"): context["bradycardia"] is True,
            ("loperamide", "loperamide-qt"): context["qt_prolongation"] is True,
            ("ondansetron", "ondansetron-qt"): context["qt_prolongation"] is True,
            ("loperamide", "loperamide-high-dose"): True,
            ("clonidine", "clonidine-taper-off"): True,
            ("lofexidine", "lofexidine-taper-off"): True,
        }
        for pair, expected in expected_when.items():
            assert (pair in found) is expected, pair


class TestNaloxone:
    """Naloxone is suggested to everyone tapering and emphasised for higher risk."""

    @pytest.mark.parametrize(
        ("mme", "emphasis"),
        [(Decimal(50), True), (Decimal("49.9"), False), (Decimal(120), True), (None, False)],
    )
    def test_emphasis_at_50_mme(self, mme: Decimal | None, emphasis: bool) -> None:
        """Naloxone is emphasised at 50 MME/day or more, and not below or without MME."""
        naloxone = suggest(total_mme=mme)["naloxone"]
        assert naloxone.emphasis is emphasis
        assert ("MME/day (50 or more)" in naloxone.reason) is emphasis

    def test_reason_names_why(self) -> None:
        """An emphasised naloxone reason names the MME figure and the benzodiazepines."""
        naloxone = suggest(total_mme=Decimal(72), benzodiazepines=True)["naloxone"]
        assert naloxone.reason == (
            "Offer to everyone tapering: tolerance falls with lower doses, so going back to an earlier "
            "dose can cause an overdose. Emphasised: 72 MME/day (50 or more); takes benzodiazepines."
        )
        assert naloxone.source == "CDC2022"

    @pytest.mark.parametrize("flag", NALOXONE_FLAGS)
    def test_emphasis_with_each_risk(self, flag: str) -> None:
        """Benzodiazepines, past overdose, substance or opioid use disorder and sleep apnea each emphasise naloxone."""
        for stated, emphasis in ((True, True), (False, False)):
            stated_flag: dict[str, Any] = {flag: stated}
            context = Context(**stated_flag)
            naloxone = next(
                a for a in suggest_adjuncts(context, total_mme=None) if a.key == "naloxone"
            )
            assert naloxone.emphasis is emphasis

    @given(clinical_context_kwargs(), total_mmes())
    def test_always_suggested_emphasis_exactly_when_at_risk(
        self, context: dict[str, Any], mme: Decimal | None
    ) -> None:
        """For any context naloxone is suggested, emphasised exactly at 50 MME/day or with a listed risk."""
        naloxone = suggest(total_mme=mme, **context)["naloxone"]
        at_risk = (mme is not None and mme >= 50) or any(context[f] is True for f in NALOXONE_FLAGS)
        assert naloxone.emphasis is at_risk


class TestInclusion:
    """Which suggestions appear for which patient."""

    def test_pregnancy_adds_specialist_item(self) -> None:
        """Pregnancy adds a specialist-before-tapering referral citing CDC2022; without it there is none."""
        item = suggest(pregnant=True)["pregnancy-specialist"]
        assert item.category == "referral"
        assert "specialist" in item.reason
        assert item.source == "CDC2022"
        assert "pregnancy-specialist" not in suggest(pregnant=False)
        assert "pregnancy-specialist" not in suggest()

    def test_oud_items(self) -> None:
        """OUD evaluation and medications for OUD are always listed; MOUD says detox alone is not recommended."""
        items = suggest()
        assert items["oud-evaluation"].source == "CDC-PG"
        assert items["moud"].source == "CDC2022"
        assert "detoxification alone is not recommended" in items["moud"].reason
        assert "buprenorphine" in items["moud"].name
        assert "licensed opioid treatment program" in items["moud"].name
        assert "extended-release naltrexone" in items["moud"].name

    def test_moud_emphasised_with_oud(self) -> None:
        """Medications for OUD are emphasised when opioid use disorder is stated."""
        assert suggest(opioid_use_disorder=True)["moud"].emphasis is True
        assert suggest()["moud"].emphasis is False

    def test_neuropathy_emphasises_neuropathic_medicines(self) -> None:
        """Neuropathy emphasises SNRIs/TCAs and gabapentinoids; fibromyalgia only SNRIs/TCAs."""
        assert suggest(neuropathy=True)["gabapentinoids"].emphasis is True
        assert suggest(neuropathy=True)["snri-tca"].emphasis is True
        assert suggest(fibromyalgia=True)["snri-tca"].emphasis is True
        assert suggest(fibromyalgia=True)["gabapentinoids"].emphasis is False

    def test_default_list(self) -> None:
        """An empty context gets every entry except the pregnancy referral, in category order."""
        result = suggest_adjuncts(Context(), total_mme=None)
        assert len(result) == 32
        assert [a.category for a in result][:4] == ["rule", "naloxone", "referral", "oud"]
        assert result[-1].category == "non-drug"


class TestAdjunctToDict:
    """adjunct_to_dict gives the plan JSON's adjuncts entry."""

    def test_shape(self) -> None:
        """The dict has the interface's category, name, reason, source plus dose and cautions."""
        data = adjunct_to_dict(suggest(qt_prolongation=True)["loperamide"])
        assert data == {
            "category": "withdrawal",
            "name": "loperamide",
            "reason": "Eases diarrhea during withdrawal.",
            "source": "VA-TDT",
            "key": "loperamide",
            "target": "diarrhea",
            "dose": "4 mg at first, then 2 mg after each loose stool; at most 16 mg/day",
            "emphasis": False,
            "avoid": False,
            "cautions": [
                {
                    "code": "loperamide-high-dose",
                    "text": "Loperamide above the recommended doses has caused serious and fatal heart rhythm problems: never exceed the daily maximum.",
                    "source": "FDA2016-LOPERAMIDE",
                    "severity": "caution",
                    "because": None,
                },
                {
                    "code": "loperamide-qt",
                    "text": "Loperamide can prolong the QT interval, more so with other QT-prolonging drugs.",
                    "source": "FDA2016-LOPERAMIDE",
                    "severity": "caution",
                    "because": "QT prolongation or its risk",
                },
            ],
        }

    def test_rule_has_null_dose(self) -> None:
        """The rule entry serialises with a null dose and no cautions."""
        data = adjunct_to_dict(suggest()[RULE_KEY])
        assert data["category"] == "rule"
        assert data["dose"] is None
        assert data["cautions"] == []

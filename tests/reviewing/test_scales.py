"""Tests for the withdrawal scales (taperplan.reviewing.scales): COWS, SOWS and SOWS-Gossop."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import (
    COWS_BANDS,
    SCALE_LEGAL,
    SCALE_MAXIMUM,
    illegal_scale_answers,
    scale_answers,
)
from taperplan import CatalogueError, Problem, TaperplanError
from taperplan._data import load_data
from taperplan.errors import InvalidScoreError
from taperplan.reviewing.scales import (
    Band,
    Scale,
    ScaleItem,
    ScaleResult,
    scale,
    scale_result_to_dict,
    scales,
    score_cows,
    score_sows,
    score_sows_gossop,
)

SCALE_KEYS = ("cows", "sows", "sows-gossop")

#: COWS answers with every item at 0.
COWS_ZERO = dict.fromkeys(SCALE_LEGAL["cows"], 0)


def cows(**changes: int) -> dict[str, int]:
    """COWS answers: all zero except ``changes``."""
    return {**COWS_ZERO, **changes}


class TestScaleData:
    """The packaged scales match the clinical reference item for item."""

    @pytest.mark.parametrize("key", SCALE_KEYS)
    def test_items_and_legal_values(self, key: str) -> None:
        """Each scale has exactly the reference's items, in order, with their legal scores."""
        items = {item.key: item.values for item in scale(key).items}
        assert items == dict(SCALE_LEGAL[key])
        assert [item.key for item in scale(key).items] == list(SCALE_LEGAL[key])

    @pytest.mark.parametrize(
        ("key", "count", "maximum"), [("cows", 11, 48), ("sows", 16, 64), ("sows-gossop", 10, 30)]
    )
    def test_item_count_and_maximum(self, key: str, count: int, maximum: int) -> None:
        """COWS has 11 items (max 48), SOWS 16 (max 64), SOWS-Gossop 10 (max 30)."""
        assert len(scale(key).items) == count
        assert scale(key).maximum == maximum

    def test_cows_bands(self) -> None:
        """COWS bands are <5, 5-12, 13-24, 25-36 and >36 with the reference's labels."""
        assert [(b.low, b.high, b.label) for b in scale("cows").bands] == list(COWS_BANDS)

    @pytest.mark.parametrize("key", ["sows", "sows-gossop"])
    def test_sows_forms_have_no_bands(self, key: str) -> None:
        """Neither SOWS form invents severity bands."""
        assert scale(key).bands == ()

    @pytest.mark.parametrize(
        ("key", "source", "rater"),
        [
            ("cows", "COWS", "clinician"),
            ("sows", "SOWS-H", "patient"),
            ("sows-gossop", "SOWS-G", "patient"),
        ],
    )
    def test_source_and_rater(self, key: str, source: str, rater: str) -> None:
        """Each scale cites its paper and says who rates it."""
        assert scale(key).source == source
        assert scale(key).rater == rater

    def test_every_source_is_in_sources_toml(self) -> None:
        """Every scale's source key names an entry of sources.toml."""
        sources = load_data("sources.toml")
        assert {s.source for s in scales()} <= set(sources)

    def test_scales_lists_all_three(self) -> None:
        """scales() returns COWS, SOWS and SOWS-Gossop in that order."""
        assert tuple(s.key for s in scales()) == SCALE_KEYS

    def test_unknown_scale_is_refused_with_suggestion(self) -> None:
        """An unknown scale name raises CatalogueError suggesting the nearest name."""
        with pytest.raises(CatalogueError, match="did you mean 'cows'"):
            scale("cow")

    def test_item_lookup_and_unknown_item(self) -> None:
        """Scale.item finds an item by key and refuses an unknown key."""
        assert scale("cows").item("gooseflesh").values == (0, 3, 5)
        with pytest.raises(CatalogueError, match="'pulse'"):
            scale("cows").item("pulses")


class TestScaleValidation:
    """A Scale refuses inconsistent definitions (so a data typo cannot ship)."""

    def test_maximum_must_match_items(self) -> None:
        """A stated maximum that is not the sum of the items' top scores is refused."""
        with pytest.raises(ValueError, match="sum to 4, not the stated maximum 5"):
            Scale(
                key="x",
                name="X",
                rater="patient",
                items=(ScaleItem("a", "A", (0, 4)),),
                maximum=5,
                source="COWS",
            )

    def test_bands_must_be_contiguous(self) -> None:
        """Bands with a gap are refused."""
        items = (ScaleItem("a", "A", (0, 4)),)
        with pytest.raises(ValueError, match="starts at 3, not 2"):
            Scale(
                key="x",
                name="X",
                rater="patient",
                items=items,
                maximum=4,
                source="COWS",
                bands=(Band(0, 1, "low"), Band(3, 4, "high")),
            )

    def test_bands_must_reach_the_maximum(self) -> None:
        """Bands that stop short of the maximum are refused."""
        items = (ScaleItem("a", "A", (0, 4)),)
        with pytest.raises(ValueError, match="bands end at 3, not 4"):
            Scale(
                key="x",
                name="X",
                rater="patient",
                items=items,
                maximum=4,
                source="COWS",
                bands=(Band(0, 3, "all"),),
            )

    def test_item_values_must_start_at_zero_and_ascend(self) -> None:
        """Legal scores out of order are refused."""
        with pytest.raises(ValueError, match="start at 0 and ascend"):
            ScaleItem("a", "A", (0, 3, 1))


class TestScoreCows:
    """score_cows totals the 11 items and names the band."""

    @pytest.mark.parametrize(
        ("answers", "total", "band"),
        [
            (cows(), 0, "not indicative of withdrawal"),
            (cows(pulse=4), 4, "not indicative of withdrawal"),
            (cows(pulse=4, tremor=1), 5, "mild"),
            (cows(restlessness=5, pupils=5, pulse=2), 12, "mild"),
            (cows(restlessness=5, pupils=5, pulse=2, tremor=1), 13, "moderate"),
            (cows(restlessness=5, pupils=5, gi_upset=5, gooseflesh=5, pulse=4), 24, "moderate"),
            (
                cows(restlessness=5, pupils=5, gi_upset=5, gooseflesh=5, pulse=4, yawning=1),
                25,
                "moderately severe",
            ),
            (
                cows(
                    restlessness=5,
                    pupils=5,
                    gi_upset=5,
                    gooseflesh=5,
                    pulse=4,
                    sweating=4,
                    tremor=4,
                    yawning=4,
                ),
                36,
                "moderately severe",
            ),
            (
                cows(
                    restlessness=5,
                    pupils=5,
                    gi_upset=5,
                    gooseflesh=5,
                    pulse=4,
                    sweating=4,
                    tremor=4,
                    yawning=4,
                    anxiety_irritability=1,
                ),
                37,
                "severe",
            ),
            (
                cows(**{item: values[-1] for item, values in SCALE_LEGAL["cows"].items()}),
                48,
                "severe",
            ),
        ],
    )
    def test_totals_and_band_edges(self, answers: dict[str, int], total: int, band: str) -> None:
        """Totals at each band edge fall in the reference's band (4/5, 12/13, 24/25, 36/37, 48)."""
        result = score_cows(**answers)
        assert result.total == total
        assert result.band is not None
        assert result.band.label == band

    def test_result_fields(self) -> None:
        """The result keeps each item's score in scale order, the maximum and the source."""
        result = score_cows(**cows(pulse=1, gi_upset=3, gooseflesh=3))
        assert result.scale == "cows"
        assert result.items[0] == ("pulse", 1)
        assert result.answers["gi_upset"] == 3
        assert result.maximum == 48
        assert result.source == "COWS"
        assert str(result) == "cows 7/48 (mild)"

    @given(scale_answers("cows"))
    def test_any_legal_answers_score_in_range_and_band(self, answers: dict[str, int]) -> None:
        """Any legal COWS answer set totals the sum of its scores, within 0-48, in the band holding it."""
        result = score_cows(**answers)
        expected = sum(answers.values())
        assert result.total == expected
        assert 0 <= result.total <= 48
        label = next(label for low, high, label in COWS_BANDS if low <= expected <= high)
        assert result.band is not None
        assert result.band.label == label

    @given(illegal_scale_answers("cows"))
    def test_any_illegal_value_is_refused_naming_the_item(
        self, case: tuple[dict[str, object], str]
    ) -> None:
        """Any COWS answer set with one illegal value raises InvalidScoreError naming that item and its legal scores."""
        answers, item = case
        with pytest.raises(InvalidScoreError) as caught:
            scale("cows").score(answers)
        assert caught.value.items == (item,)
        legal = ", ".join(map(str, SCALE_LEGAL["cows"][item]))
        assert f"{item}: " in str(caught.value)
        assert f"use one of {legal}" in str(caught.value)

    def test_gooseflesh_four_is_illegal(self) -> None:
        """Gooseflesh takes 0, 3 or 5 only: 4, a common implementation error, is refused."""
        with pytest.raises(
            InvalidScoreError,
            match=r"gooseflesh: 4 is not a legal score \(fix: use one of 0, 3, 5\)",
        ):
            score_cows(**cows(gooseflesh=4))

    def test_every_problem_is_reported_at_once(self) -> None:
        """Two illegal values, a missing item and an unknown item are all in one error."""
        answers: dict[str, object] = {**cows(pulse=3, restlessness=2)}
        del answers["tremor"]
        answers["pulsee"] = 1
        with pytest.raises(InvalidScoreError) as caught:
            scale("cows").score(answers)
        error = caught.value
        assert error.items == ("pulsee", "pulse", "restlessness", "tremor")
        assert error.scale == "cows"
        assert str(error).startswith("cows: 4 problems:")
        assert Problem("pulsee", "not an item of cows", "did you mean 'pulse'?") in error.problems
        assert Problem("tremor", "missing", "use one of 0, 1, 2, 4") in error.problems

    def test_none_counts_as_missing(self) -> None:
        """An item answered None (an empty form field or CLI option) is reported as missing."""
        with pytest.raises(
            InvalidScoreError, match=r"yawning: missing \(fix: use one of 0, 1, 2, 4\)"
        ):
            scale("cows").score({**cows(), "yawning": None})

    def test_bool_is_not_a_score(self) -> None:
        """True is refused although Python treats it as 1."""
        with pytest.raises(InvalidScoreError, match="pulse: True is not a legal score"):
            scale("cows").score(cows(pulse=True))

    def test_error_is_a_taperplan_value_error(self) -> None:
        """InvalidScoreError is caught by both TaperplanError and ValueError."""
        with pytest.raises(TaperplanError):
            score_cows(pulse=3)
        with pytest.raises(ValueError, match="pulse"):
            score_cows(pulse=3)


class TestScoreSows:
    """score_sows and score_sows_gossop total their items and report no band."""

    @given(scale_answers("sows"))
    def test_any_legal_sows_answers_score_in_range(self, answers: dict[str, int]) -> None:
        """Any legal SOWS answer set totals the sum of its scores within 0-64, without a band."""
        result = score_sows(**answers)
        assert result.total == sum(answers.values())
        assert 0 <= result.total <= 64
        assert result.band is None

    @given(scale_answers("sows-gossop"))
    def test_any_legal_gossop_answers_score_in_range(self, answers: dict[str, int]) -> None:
        """Any legal SOWS-Gossop answer set totals the sum of its scores within 0-30, without a band."""
        result = score_sows_gossop(**answers)
        assert result.total == sum(answers.values())
        assert 0 <= result.total <= 30
        assert result.band is None

    @given(
        st.sampled_from(["sows", "sows-gossop"]).flatmap(
            lambda key: st.tuples(st.just(key), illegal_scale_answers(key))
        )
    )
    def test_any_illegal_value_is_refused_naming_the_item(
        self, case: tuple[str, tuple[dict[str, object], str]]
    ) -> None:
        """Any SOWS or SOWS-Gossop answer set with one illegal value is refused naming that item."""
        key, (answers, item) = case
        with pytest.raises(InvalidScoreError) as caught:
            scale(key).score(answers)
        assert caught.value.items == (item,)
        top = SCALE_LEGAL[key][item][-1]
        assert f"use one of {', '.join(str(n) for n in range(top + 1))}" in str(caught.value)

    @pytest.mark.parametrize(("key", "top"), [("sows", 64), ("sows-gossop", 30)])
    def test_maximum_answers(self, key: str, top: int) -> None:
        """All items at their highest score give the scale's maximum."""
        answers = {item: values[-1] for item, values in SCALE_LEGAL[key].items()}
        result = scale(key).score(answers)
        assert result.total == top == SCALE_MAXIMUM[key]
        assert str(result) == f"{key} {top}/{top}"

    def test_sows_five_is_illegal(self) -> None:
        """A SOWS item scored 5 is refused with 0-4 as the legal scores."""
        answers = dict.fromkeys(SCALE_LEGAL["sows"], 0) | {"feel_like_using": 5}
        with pytest.raises(
            InvalidScoreError,
            match=r"feel_like_using: 5 is not a legal score \(fix: use one of 0, 1, 2, 3, 4\)",
        ):
            score_sows(**answers)

    def test_gossop_four_is_illegal(self) -> None:
        """A SOWS-Gossop item scored 4 is refused with 0-3 as the legal scores."""
        answers = dict.fromkeys(SCALE_LEGAL["sows-gossop"], 1) | {"insomnia": 4}
        with pytest.raises(
            InvalidScoreError,
            match=r"insomnia: 4 is not a legal score \(fix: use one of 0, 1, 2, 3\)",
        ):
            score_sows_gossop(**answers)


class TestScaleResultToDict:
    """scale_result_to_dict gives a JSON-ready view."""

    def test_cows_dict(self) -> None:
        """A COWS result becomes scale, items, total, maximum, band label and source."""
        data = scale_result_to_dict(score_cows(**cows(pulse=2, sweating=3)))
        assert data == {
            "scale": "cows",
            "items": cows(pulse=2, sweating=3),
            "total": 5,
            "maximum": 48,
            "band": "mild",
            "source": "COWS",
        }

    def test_sows_dict_has_null_band(self) -> None:
        """A SOWS result has a null band."""
        result = ScaleResult("sows", (("anxious", 1),), 1, 64, None, "SOWS-H")
        assert scale_result_to_dict(result)["band"] is None

"""Tests for the symptom-log review (taperplan.reviewing.review): rules, timelines, previews, properties."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import SCALE_TOTAL_MAXIMUM, review_cases
from support import ROOT
from taperplan import TaperPlan, load_regimen, pause, plan_taper
from taperplan._data import load_data
from taperplan.errors import InvalidPlanDataError, InvalidScoreError, TaperplanError
from taperplan.formats.json import plan_to_dict
from taperplan.formats.review_json import review_to_dict, timeline_from_json
from taperplan.model.plan import StepKind
from taperplan.reviewing.log import LogEntry, ScaleTotal, symptom_log
from taperplan.reviewing.results import Flag, Review
from taperplan.reviewing.review import review
from taperplan.reviewing.rules import default_pause_days, review_rules
from taperplan.reviewing.scales import score_cows
from taperplan.reviewing.timeline import PlanTimeline, timeline_of

SAMPLE = ROOT / "src" / "taperplan" / "data" / "sample-regimen.toml"
REGIMENS = sorted((ROOT / "tests" / "data" / "regimens").glob("*.toml"))
D = dt.date

# The sample regimen planned from 2027-01-04 (oxycodone ER, va-slower, 28-day steps; from s005
# an immediate-release substitute, from s011 an oral solution):
# s001 cut 2027-01-04..01-31, window 01-05..01-16; s002 cut 2027-02-01, window to 02-13;
# ...; s015 cut 2028-01-31..02-27, window to 02-09; s016 stop 2028-02-28..03-12, window to 03-08.


@pytest.fixture(scope="module")
def plan() -> TaperPlan:
    """The sample regimen's plan from Monday 2027-01-04."""
    regimen = load_regimen(SAMPLE, today=D(2026, 12, 1))
    return plan_taper(regimen, start=D(2027, 1, 4))


def cows(day: dt.date, total: int, **fields: Any) -> LogEntry:
    """A log entry with a COWS total."""
    return LogEntry(day=day, scale=ScaleTotal.of("cows", total), **fields)


def sows(day: dt.date, total: int, key: str = "sows", **fields: Any) -> LogEntry:
    """A log entry with a SOWS (Handelsman or Gossop) total."""
    return LogEntry(day=day, scale=ScaleTotal.of(key, total), **fields)


def rules_of(result: Review) -> list[str]:
    """The rule codes of a review's flags, in order."""
    return [flag.rule for flag in result.flags]


def pause_count(result: Review) -> int:
    """How many pause flags a review has."""
    return len(result.of_kind("pause"))


class TestPlanFixture:
    """The dates the tests below rely on."""

    def test_sample_plan_dates(self, plan: TaperPlan) -> None:
        """The sample plan cuts on 2027-01-04 and 02-01 with windows to 01-16 and 02-13, and stops 2028-02-28."""
        first, second = plan.steps[0], plan.steps[1]
        assert (first.kind, first.start, first.end) == (StepKind.CUT, D(2027, 1, 4), D(2027, 1, 31))
        assert first.withdrawal_window is not None
        assert first.withdrawal_window.end == D(2027, 1, 16)
        assert second.start == D(2027, 2, 1)
        assert second.withdrawal_window is not None
        assert second.withdrawal_window.end == D(2027, 2, 13)
        assert plan.stop_date == D(2028, 2, 28)
        last_cut, stop = plan.steps[-2], plan.steps[-1]
        assert (last_cut.start, last_cut.end) == (D(2028, 1, 31), D(2028, 2, 27))
        assert last_cut.withdrawal_window is not None
        assert last_cut.withdrawal_window.end == D(2028, 2, 9)
        assert stop.kind is StepKind.STOP
        assert stop.end == D(2028, 3, 12)
        assert stop.withdrawal_window is not None
        assert stop.withdrawal_window.end == D(2028, 3, 8)


class TestPause:
    """Moderate withdrawal or a clear SOWS rise after a cut: consider pausing."""

    def test_cows_14_three_days_after_a_cut_flags_a_pause(self, plan: TaperPlan) -> None:
        """COWS 14 three days after the first cut flags a pause with its evidence, source and preview."""
        entry = cows(D(2027, 1, 7), 14)
        result = review(plan, [entry], on=D(2027, 1, 7))
        assert len(result.flags) == 1
        flag = result.flags[0]
        assert flag.rule == "cows-moderate-after-cut"
        assert flag.kind == "pause"
        assert flag.source == "COWS"
        assert flag.also == ("VA-TDT",)
        assert flag.step_id == plan.steps[0].id
        assert [(e.day, e.finding, e.entry) for e in flag.evidence] == [
            (D(2027, 1, 7), "COWS 14/48 (moderate)", entry)
        ]
        assert flag.message.startswith(
            "Consider pausing the taper: COWS 14/48 (moderate) on 2027-01-07"
        )
        preview = flag.pause_preview
        assert preview is not None
        assert (preview.on, preview.days, preview.hold_from, preview.held_days) == (
            D(2027, 1, 8),
            14,
            D(2027, 1, 8),
            14,
        )
        assert preview.next_cut_step == plan.steps[1].id
        assert (preview.next_cut_now, preview.next_cut_paused) == (D(2027, 2, 1), D(2027, 2, 15))
        assert (preview.stop_now, preview.stop_paused) == (D(2028, 2, 28), D(2028, 3, 13))
        assert preview.source == "TAPERPLAN-REVIEW"

    def test_preview_matches_plan_pause(self, plan: TaperPlan) -> None:
        """The previewed dates are those of pause(plan, on=preview.on, days=preview.days)."""
        flag = review(plan, [cows(D(2027, 1, 7), 14)], on=D(2027, 1, 7)).flags[0]
        preview = flag.pause_preview
        assert preview is not None
        paused = pause(plan, on=preview.on, days=preview.days)
        steps = {step.id: step for step in paused.steps}
        assert preview.next_cut_step is not None
        assert steps[preview.next_cut_step].start == preview.next_cut_paused
        assert paused.stop_date == preview.stop_paused

    def test_pause_starts_on_review_day_when_later(self, plan: TaperPlan) -> None:
        """Reviewed later than the day after the evidence, the pause starts on the review day."""
        flag = review(plan, [cows(D(2027, 1, 7), 14)], on=D(2027, 1, 20)).flags[0]
        assert flag.pause_preview is not None
        assert flag.pause_preview.hold_from == D(2027, 1, 20)
        assert flag.pause_preview.stop_paused == D(2028, 3, 13)

    def test_custom_pause_days(self, plan: TaperPlan) -> None:
        """pause_days=28 previews a 28-day hold."""
        result = review(plan, [cows(D(2027, 1, 7), 14)], on=D(2027, 1, 7), pause_days=28)
        preview = result.flags[0].pause_preview
        assert preview is not None
        assert (preview.held_days, preview.next_cut_paused) == (28, D(2027, 3, 1))
        assert result.pause_days == 28

    @pytest.mark.parametrize("days", [0, 366, True, 7.0])
    def test_bad_pause_days(self, plan: TaperPlan, days: Any) -> None:
        """pause_days outside 1–365 (or not an int) is refused."""
        with pytest.raises(ValueError, match="pause_days"):
            review(plan, [], on=D(2027, 1, 7), pause_days=days)

    def test_cows_12_is_not_a_pause(self, plan: TaperPlan) -> None:
        """COWS 12 (mild) within the window raises no flag."""
        assert review(plan, [cows(D(2027, 1, 7), 12)], on=D(2027, 1, 7)).flags == ()

    def test_cows_13_on_the_cut_day_flags(self, plan: TaperPlan) -> None:
        """COWS 13 on the day of the cut itself is in the watch and flags a pause."""
        assert rules_of(review(plan, [cows(D(2027, 1, 4), 13)], on=D(2027, 1, 4))) == [
            "cows-moderate-after-cut"
        ]

    def test_cows_before_the_plan_is_not_a_pause(self, plan: TaperPlan) -> None:
        """COWS 20 before the first cut is not after a cut: no pause flag."""
        assert pause_count(review(plan, [cows(D(2027, 1, 2), 20)], on=D(2027, 1, 2))) == 0

    def test_one_flag_per_cut_with_all_evidence(self, plan: TaperPlan) -> None:
        """Two high COWS after one cut make one flag with both; after another cut, a second flag."""
        log = [cows(D(2027, 1, 6), 14), cows(D(2027, 1, 8), 16), cows(D(2027, 2, 3), 13)]
        result = review(plan, log, on=D(2027, 2, 3))
        assert [(f.step_id, [e.day for e in f.evidence]) for f in result.flags] == [
            (plan.steps[0].id, [D(2027, 1, 6), D(2027, 1, 8)]),
            (plan.steps[1].id, [D(2027, 2, 3)]),
        ]

    def test_clear_sows_rise_flags_a_pause(self, plan: TaperPlan) -> None:
        """SOWS 8 before the cut and 18 after it (a rise of 10) flags a pause, citing the baseline."""
        log = [sows(D(2027, 1, 2), 8), sows(D(2027, 1, 6), 18)]
        result = review(plan, log, on=D(2027, 1, 6))
        assert rules_of(result) == ["sows-rise-after-cut"]
        flag = result.flags[0]
        assert [(e.day, e.finding) for e in flag.evidence] == [
            (D(2027, 1, 2), "SOWS 8/64 (compared with)"),
            (D(2027, 1, 6), "SOWS 18/64"),
        ]
        assert flag.source == "VA-TDT"
        assert "a clear rise from SOWS 8/64 on 2027-01-02" in flag.message

    def test_sows_rise_of_9_is_not_clear(self, plan: TaperPlan) -> None:
        """A SOWS rise of 9 points is below the threshold of 10: no flag."""
        log = [sows(D(2027, 1, 2), 8), sows(D(2027, 1, 6), 17)]
        assert review(plan, log, on=D(2027, 1, 6)).flags == ()

    def test_sows_gossop_rise_of_5(self, plan: TaperPlan) -> None:
        """SOWS-Gossop 3 before and 8 after the cut (a rise of 5) flags a pause; 7 does not."""
        base = sows(D(2027, 1, 2), 3, "sows-gossop")
        assert rules_of(
            review(plan, [base, sows(D(2027, 1, 6), 8, "sows-gossop")], on=D(2027, 1, 6))
        ) == ["sows-rise-after-cut"]
        assert (
            review(plan, [base, sows(D(2027, 1, 6), 7, "sows-gossop")], on=D(2027, 1, 6)).flags
            == ()
        )

    def test_sows_forms_are_not_compared_with_each_other(self, plan: TaperPlan) -> None:
        """A SOWS-Gossop baseline is no baseline for a SOWS (Handelsman) total."""
        log = [sows(D(2027, 1, 2), 0, "sows-gossop"), sows(D(2027, 1, 6), 40)]
        assert review(plan, log, on=D(2027, 1, 6)).flags == ()

    def test_sows_without_a_baseline_is_not_a_rise(self, plan: TaperPlan) -> None:
        """A high SOWS total with no settled SOWS before the cut raises no flag."""
        assert review(plan, [sows(D(2027, 1, 6), 50)], on=D(2027, 1, 6)).flags == ()

    def test_baseline_is_the_last_settled_total(self, plan: TaperPlan) -> None:
        """A SOWS in an earlier window is no baseline: the last settled one (before it) is used."""
        log = [sows(D(2027, 1, 2), 5), sows(D(2027, 1, 10), 30), sows(D(2027, 2, 5), 20)]
        result = review(plan, log, on=D(2027, 2, 5))
        second = [f for f in result.flags if f.step_id == plan.steps[1].id]
        assert [f.rule for f in second] == ["sows-rise-after-cut"]
        assert [e.day for e in second[0].evidence] == [D(2027, 1, 2), D(2027, 2, 5)]

    def test_raising_the_baseline_can_remove_a_rise(self, plan: TaperPlan) -> None:
        """By design the SOWS rise is relative: a higher settled baseline can remove the flag."""
        low = [sows(D(2027, 1, 2), 8), sows(D(2027, 1, 6), 18)]
        high = [sows(D(2027, 1, 2), 12), sows(D(2027, 1, 6), 18)]
        assert pause_count(review(plan, low, on=D(2027, 1, 6))) == 1
        assert pause_count(review(plan, high, on=D(2027, 1, 6))) == 0

    def test_no_preview_after_the_stop(self, plan: TaperPlan) -> None:
        """Reviewed after the stop, a pause flag has no preview and says a pause is not possible."""
        flag = review(plan, [cows(D(2028, 2, 5), 14)], on=D(2028, 3, 5)).flags[0]
        assert flag.rule == "cows-moderate-after-cut"
        assert flag.step_id == plan.steps[-2].id
        assert flag.pause_preview is None
        assert flag.message.endswith(
            "A pause from 2028-03-05 is not possible: the plan stops on 2028-02-28; see the clinician."
        )


class TestSettling:
    """A log that settles within the window flags nothing."""

    def test_settling_log_flags_nothing(self, plan: TaperPlan) -> None:
        """Mild COWS easing from 9 to 3 within the window, steady pain, no signs: no flags."""
        log = [
            cows(D(2027, 1, 3), 2, pain=4, pain_site="low back"),
            cows(D(2027, 1, 6), 9, pain=5, pain_site="low back"),
            cows(D(2027, 1, 10), 6, pain=4),
            cows(D(2027, 1, 14), 3, pain=4, craving=False, pain_spread=False),
            cows(D(2027, 1, 20), 2, pain=4, allodynia=False, loss_of_control=False),
        ]
        result = review(plan, log, on=D(2027, 1, 20))
        assert result.flags == ()
        assert (result.entries, result.ignored) == (5, 0)
        assert [n.code for n in result.notes] == ["review-disclaimer"]

    def test_empty_log(self, plan: TaperPlan) -> None:
        """An empty log reviews to no flags."""
        result = review(plan, [], on=D(2027, 1, 7))
        assert (result.flags, result.entries, result.plan_id) == ((), 0, plan.id)


class TestClinicianReview:
    """Symptoms past the window, and withdrawal after the stop: consider a clinician review."""

    def test_cows_past_the_window(self, plan: TaperPlan) -> None:
        """COWS 7 after the first window ended (01-16) flags a clinician review for that cut."""
        result = review(plan, [cows(D(2027, 1, 20), 7)], on=D(2027, 1, 20))
        assert rules_of(result) == ["symptoms-past-window"]
        flag = result.flags[0]
        assert (flag.kind, flag.step_id, flag.source) == (
            "clinician-review",
            plan.steps[0].id,
            "VA-TDT",
        )
        assert "ended on 2027-01-16" in flag.message

    def test_cows_4_past_the_window_is_nothing(self, plan: TaperPlan) -> None:
        """COWS 4 (not indicative of withdrawal) after the window raises no flag."""
        assert review(plan, [cows(D(2027, 1, 20), 4)], on=D(2027, 1, 20)).flags == ()

    def test_sows_rise_past_the_window(self, plan: TaperPlan) -> None:
        """A clear SOWS rise after the window flags a clinician review, not a pause."""
        log = [sows(D(2027, 1, 2), 4), sows(D(2027, 1, 25), 20)]
        result = review(plan, log, on=D(2027, 1, 25))
        assert rules_of(result) == ["symptoms-past-window"]
        assert pause_count(result) == 0

    def test_moderate_withdrawal_after_the_stop(self, plan: TaperPlan) -> None:
        """COWS 15 two days after the stop is a clinician review without a pause preview."""
        result = review(plan, [cows(D(2028, 3, 1), 15)], on=D(2028, 3, 1))
        assert rules_of(result) == ["cows-moderate-after-stop"]
        assert result.flags[0].kind == "clinician-review"
        assert result.flags[0].pause_preview is None

    def test_symptoms_after_the_plan_ends(self, plan: TaperPlan) -> None:
        """COWS 6 after the stop's window (after the plan) is past the window of the stop."""
        result = review(plan, [cows(D(2028, 4, 1), 6)], on=D(2028, 4, 1))
        assert rules_of(result) == ["symptoms-past-window"]
        assert result.flags[0].step_id == plan.steps[-1].id


class TestPain:
    """Pain patterns: hyperalgesia and tolerance considerations."""

    def test_spread_flags_oih(self, plan: TaperPlan) -> None:
        """Pain spreading beyond the original site flags OIH considerations with PainPhys2011."""
        entry = LogEntry(day=D(2027, 2, 20), pain=6, pain_site="both legs", pain_spread=True)
        result = review(plan, [entry], on=D(2027, 2, 20))
        assert rules_of(result) == ["pain-spread"]
        flag = result.flags[0]
        assert (flag.kind, flag.source, flag.also) == ("oih", "PainPhys2011", ("PtEd",))
        assert [e.finding for e in flag.evidence] == [
            "pain spread beyond the original site (pain 6/10 at both legs)"
        ]
        assert "oih-diagnosis-of-exclusion" in [n.code for n in result.notes]
        assert "diagnosis" not in flag.message.replace("diagnosis of exclusion", "")

    def test_allodynia_flags_oih(self, plan: TaperPlan) -> None:
        """Allodynia flags OIH considerations."""
        entry = LogEntry(day=D(2027, 2, 20), allodynia=True, notes="clothes hurt")
        result = review(plan, [entry], on=D(2027, 2, 20))
        assert rules_of(result) == ["allodynia"]
        assert result.flags[0].evidence[0].finding == "allodynia (clothes hurt)"

    def test_pain_rising_at_a_steady_dose(self, plan: TaperPlan) -> None:
        """Pain from 3 to 6 after the window with no cut between flags OIH considerations."""
        log = [LogEntry(day=D(2027, 1, 18), pain=3), LogEntry(day=D(2027, 1, 25), pain=6)]
        result = review(plan, log, on=D(2027, 1, 25))
        assert rules_of(result) == ["pain-rise-at-steady-dose"]
        assert [e.finding for e in result.flags[0].evidence] == [
            "pain 3/10 (compared with)",
            "pain 6/10",
        ]

    def test_pain_rising_across_a_cut_is_not_steady(self, plan: TaperPlan) -> None:
        """Pain from 3 to 6 across the cut of 02-01 is not a rise at a steady dose."""
        log = [LogEntry(day=D(2027, 1, 28), pain=3), LogEntry(day=D(2027, 2, 3), pain=6)]
        assert review(plan, log, on=D(2027, 2, 3)).flags == ()

    def test_pain_rise_of_one_is_nothing(self, plan: TaperPlan) -> None:
        """A one-point rise at a steady dose raises no flag."""
        log = [LogEntry(day=D(2027, 1, 18), pain=3), LogEntry(day=D(2027, 1, 25), pain=4)]
        assert review(plan, log, on=D(2027, 1, 25)).flags == ()

    def test_pain_following_the_dose_flags_tolerance(self, plan: TaperPlan) -> None:
        """Pain at the original site up after a cut and down again flags tolerance considerations."""
        log = [
            LogEntry(day=D(2027, 1, 2), pain=4, pain_site="Low back"),
            LogEntry(day=D(2027, 1, 6), pain=7, pain_site="low  back"),
            LogEntry(day=D(2027, 1, 13), pain=4),
        ]
        result = review(plan, log, on=D(2027, 1, 13))
        assert rules_of(result) == ["pain-follows-dose"]
        flag = result.flags[0]
        assert (flag.kind, flag.source, flag.step_id) == ("tolerance", "FPM-OIH", plan.steps[0].id)
        assert [e.day for e in flag.evidence] == [D(2027, 1, 2), D(2027, 1, 6), D(2027, 1, 13)]

    def test_pain_at_another_site_is_not_tolerance(self, plan: TaperPlan) -> None:
        """The same pattern at a different site is not read as tolerance."""
        log = [
            LogEntry(day=D(2027, 1, 2), pain=4, pain_site="low back"),
            LogEntry(day=D(2027, 1, 6), pain=7, pain_site="neck"),
            LogEntry(day=D(2027, 1, 13), pain=4, pain_site="neck"),
        ]
        assert review(plan, log, on=D(2027, 1, 13)).of_kind("tolerance") == ()

    def test_pain_that_stays_up_is_not_tolerance(self, plan: TaperPlan) -> None:
        """Pain up after a cut that does not ease before the next raises no tolerance flag."""
        log = [
            LogEntry(day=D(2027, 1, 2), pain=4),
            LogEntry(day=D(2027, 1, 6), pain=7),
            LogEntry(day=D(2027, 1, 13), pain=6),
        ]
        assert review(plan, log, on=D(2027, 1, 13)).of_kind("tolerance") == ()


class TestOUD:
    """Craving or loss of control: offer an evaluation for opioid use disorder."""

    @pytest.mark.parametrize(
        ("field", "rule"), [("craving", "craving"), ("loss_of_control", "loss-of-control")]
    )
    def test_flags_oud(self, plan: TaperPlan, field: str, rule: str) -> None:
        """Craving, or loss of control, flags an OUD evaluation citing the CDC pocket guide."""
        entry = LogEntry(day=D(2027, 1, 9), **{field: True})
        result = review(plan, [entry], on=D(2027, 1, 9))
        assert rules_of(result) == [rule]
        flag = result.flags[0]
        assert (flag.kind, flag.source, flag.also) == ("oud", "CDC-PG", ("VA-TDT", "CDC2022"))
        assert flag.message.startswith("Consider offering an evaluation for opioid use disorder")
        assert "on 2027-01-09" in flag.message

    def test_stated_false_is_not_evidence(self, plan: TaperPlan) -> None:
        """Craving and loss of control stated false raise nothing."""
        entry = LogEntry(day=D(2027, 1, 9), craving=False, loss_of_control=False)
        assert review(plan, [entry], on=D(2027, 1, 9)).flags == ()


class TestOn:
    """``on`` is today: later entries are ignored."""

    def test_entries_after_on_are_ignored(self, plan: TaperPlan) -> None:
        """A COWS 20 dated after ``on`` changes nothing but the ignored count."""
        log = [cows(D(2027, 1, 5), 3)]
        later = [*log, cows(D(2027, 1, 9), 20), LogEntry(day=D(2027, 1, 10), craving=True)]
        before = review(plan, log, on=D(2027, 1, 7))
        after = review(plan, later, on=D(2027, 1, 7))
        assert after.flags == before.flags == ()
        assert (after.entries, after.ignored) == (1, 2)

    @given(review_cases())
    def test_later_entries_never_matter(
        self, case: tuple[PlanTimeline, tuple[LogEntry, ...], dt.date]
    ) -> None:
        """Adding entries dated after ``on`` never changes the flags."""
        timeline, log, on = case
        kept = [e for e in log if e.day <= on]
        assert review(timeline, kept, on=on).flags == review(timeline, log, on=on).flags


def _in_watch(timeline: PlanTimeline, day: dt.date) -> bool:
    """Whether ``day`` is from a cut (or the stop) to the end of its window (docs/review.md)."""
    return any(
        step.kind is not StepKind.PAUSE
        and step.start <= day <= (step.window_end if step.window_end is not None else step.end)
        for step in timeline.steps
    )


@st.composite
def worse_logs(
    draw: st.DrawFn,
) -> tuple[PlanTimeline, tuple[LogEntry, ...], tuple[LogEntry, ...], dt.date]:
    """``(timeline, log, worse, on)``: ``worse`` raises totals or sets signs in some entries.

    Raised: any COWS total; a SOWS total on a day in a cut's watch (a settled
    SOWS total is the baseline a rise is measured from, so raising it is not
    "worse" for the rise rule: see test_raising_the_baseline_can_remove_a_rise);
    pain; and the boolean signs set true.
    """
    timeline, log, on = draw(review_cases())
    worse = []
    for entry in log:
        changed = entry
        if draw(st.booleans()):
            reading = entry.scale
            if reading is not None and (reading.scale == "cows" or _in_watch(timeline, entry.day)):
                top = SCALE_TOTAL_MAXIMUM[reading.scale]
                total = draw(st.integers(reading.total, top))
                changed = attrs.evolve(changed, scale=ScaleTotal.of(reading.scale, total))
            for field in ("pain_spread", "allodynia", "craving", "loss_of_control"):
                if draw(st.booleans()):
                    changed = attrs.evolve(changed, **{field: True})
            if changed.pain is not None:
                changed = attrs.evolve(changed, pain=draw(st.integers(changed.pain, 10)))
        worse.append(changed)
    return timeline, log, tuple(worse), on


class TestMonotone:
    """A worse log never yields fewer pause flags."""

    @given(worse_logs())
    def test_worse_log_never_fewer_pause_flags(
        self, case: tuple[PlanTimeline, tuple[LogEntry, ...], tuple[LogEntry, ...], dt.date]
    ) -> None:
        """Raising totals or setting signs keeps every pause flag (same rule and cut) and adds evidence only."""
        timeline, log, worse, on = case
        before = review(timeline, log, on=on).of_kind("pause")
        after = review(timeline, worse, on=on).of_kind("pause")
        assert len(after) >= len(before)
        after_keys = {(f.rule, f.step_id): f for f in after}
        for flag in before:
            assert (flag.rule, flag.step_id) in after_keys
            assert len(after_keys[flag.rule, flag.step_id].evidence) >= len(flag.evidence)

    @given(review_cases())
    def test_every_flag_has_evidence_and_a_known_source(
        self, case: tuple[PlanTimeline, tuple[LogEntry, ...], dt.date]
    ) -> None:
        """Every flag has evidence dated on or before ``on``, a cited source and a "consider" message."""
        timeline, log, on = case
        sources = load_data("sources.toml")
        for flag in review(timeline, log, on=on).flags:
            assert flag.evidence
            assert all(e.day <= on for e in flag.evidence)
            assert flag.source in sources
            assert set(flag.also) <= set(sources)
            assert flag.message.startswith("Consider ")
            assert (flag.pause_preview is not None) <= (flag.kind == "pause")


class TestTimeline:
    """Plan JSON reviews exactly like the plan."""

    @pytest.mark.parametrize("path", [SAMPLE, *REGIMENS], ids=lambda p: p.name)
    def test_json_timeline_reviews_like_the_plan(self, path: Path) -> None:
        """timeline_from_json(plan_to_dict(plan)) gives the same review as the plan itself."""
        plan = plan_taper(load_regimen(path, today=D(2026, 12, 1)), start=D(2027, 1, 4))
        data = json.loads(json.dumps(plan_to_dict(plan)))
        timeline = timeline_from_json(data)
        first = plan.steps[0]
        log = [
            cows(first.start - dt.timedelta(days=2), 2, pain=3, pain_site="back"),
            sows(first.start - dt.timedelta(days=1), 4),
            cows(first.start + dt.timedelta(days=2), 16, pain=7),
            sows(first.start + dt.timedelta(days=3), 30, craving=True),
            LogEntry(day=first.start + dt.timedelta(days=4), pain=3, allodynia=True),
            cows(plan.steps[1].start + dt.timedelta(days=1), 14),
        ]
        on = plan.steps[1].start + dt.timedelta(days=1)
        from_plan = review(plan, log, on=on)
        assert review(timeline, log, on=on) == from_plan
        assert pause_count(from_plan) >= 1
        assert [(s.id, s.start, s.end, s.kind) for s in timeline.steps] == [
            (s.id, s.start, s.end, s.kind) for s in plan.steps
        ]

    def test_timeline_of_keeps_windows_and_periods(self, plan: TaperPlan) -> None:
        """timeline_of copies each step's window and a daily dosing period."""
        timeline = timeline_of(plan)
        step = timeline.steps[0]
        assert (step.window_start, step.window_end, step.period) == (
            D(2027, 1, 5),
            D(2027, 1, 16),
            1,
        )
        assert (timeline.plan_id, timeline.stop_date, timeline.baseline_period) == (
            plan.id,
            D(2028, 2, 28),
            1,
        )

    def test_bad_plan_json_lists_every_problem(self, plan: TaperPlan) -> None:
        """Wrong schema, a bad date and an unknown step kind are reported together by path."""
        data = plan_to_dict(plan)
        data["schema"] = "other/1"
        data["steps"][0]["start"] = "04/01/2027"
        data["steps"][2]["kind"] = "jump"
        with pytest.raises(InvalidPlanDataError) as caught:
            timeline_from_json(data, source="plan.json")
        assert [p.path for p in caught.value.problems] == [
            "schema",
            "steps[0].start",
            "steps[2].kind",
        ]
        assert str(caught.value).startswith("plan.json: 3 problems:")
        assert isinstance(caught.value, TaperplanError)

    def test_gap_between_steps_is_refused(self, plan: TaperPlan) -> None:
        """A step that does not start the day after the previous one is reported."""
        data = plan_to_dict(plan)
        data["steps"][1]["start"] = "2027-02-02"
        with pytest.raises(InvalidPlanDataError) as caught:
            timeline_from_json(data)
        assert "steps[1].start" in [p.path for p in caught.value.problems]

    def test_not_an_object(self) -> None:
        """A JSON list is not plan data."""
        with pytest.raises(InvalidPlanDataError, match="not a JSON object"):
            timeline_from_json([], source="plan.json")  # type: ignore[arg-type]


def _pause_days_to_try(plan: TaperPlan) -> list[dt.date]:
    """Every third day of the plan, each step's first and last day, and the day before/after."""
    days = {plan.start - dt.timedelta(days=1), plan.end + dt.timedelta(days=1)}
    day = plan.start
    while day <= plan.end:
        days.add(day)
        day += dt.timedelta(days=3)
    for step in plan.steps:
        days.update({step.start, step.end})
    return sorted(days)


class TestPreviewMatchesPlanner:
    """A pause flag's preview reads the planner's own pause: its dates are what pause gives."""

    @pytest.mark.parametrize("path", [SAMPLE, *REGIMENS], ids=lambda p: p.name)
    def test_preview_dates_match_pause(self, path: Path) -> None:
        """For days across the plan, the previewed next cut and stop match plan.pause; so does refusing."""
        from taperplan.errors import PlanningError  # noqa: PLC0415
        from taperplan.reviewing.review import _preview  # noqa: PLC0415

        plan = plan_taper(load_regimen(path, today=D(2026, 12, 1)), start=D(2027, 1, 4))
        for day in _pause_days_to_try(plan):
            for days in (1, 14):
                preview = _preview(plan, day, days, "TAPERPLAN-REVIEW")
                try:
                    paused = pause(plan, on=day, days=days)
                except PlanningError:
                    assert preview is None, (day, days)
                    continue
                assert preview is not None, (day, days)
                assert paused.stop_date == preview.stop_paused, (day, days)
                moved = {s.id: s.start for s in paused.steps}
                if preview.next_cut_step is not None:
                    assert moved[preview.next_cut_step] == preview.next_cut_paused, (day, days)
                    assert preview.next_cut_paused - preview.next_cut_now == dt.timedelta(
                        days=preview.held_days
                    )


class TestValues:
    """Log entries, scale totals and the rule data."""

    def test_scale_total(self) -> None:
        """ScaleTotal.of reads the band of a COWS total and none for SOWS."""
        assert str(ScaleTotal.of("cows", 25)) == "cows 25/48 (moderately severe)"
        assert ScaleTotal.of("sows", 64).band is None

    @pytest.mark.parametrize(("key", "total"), [("cows", 49), ("cows", -1), ("sows-gossop", 31)])
    def test_scale_total_out_of_range(self, key: str, total: int) -> None:
        """A total outside 0 to the scale's maximum is refused naming the total."""
        with pytest.raises(InvalidScoreError, match="total"):
            ScaleTotal.of(key, total)

    def test_full_answer_set_is_accepted(self, plan: TaperPlan) -> None:
        """A scored COWS answer set works as an entry's scale like a total does."""
        result = score_cows(
            pulse=2, sweating=2, restlessness=3, pupils=2, bone_joint_aches=2,
            runny_nose_tearing=1, gi_upset=1, tremor=0, yawning=1,
            anxiety_irritability=1, gooseflesh=0,
        )  # fmt: skip
        assert result.total == 15
        flags = review(plan, [LogEntry(day=D(2027, 1, 6), scale=result)], on=D(2027, 1, 6)).flags
        assert [f.evidence[0].finding for f in flags] == ["COWS 15/48 (moderate)"]

    @pytest.mark.parametrize("pain", [-1, 11, True, 5.0])
    def test_pain_must_be_0_to_10(self, pain: Any) -> None:
        """Pain outside 0–10, or not an int, is refused."""
        with pytest.raises(ValueError, match="pain"):
            LogEntry(day=D(2027, 1, 1), pain=pain)

    def test_day_is_a_date(self) -> None:
        """A datetime is not a log day."""
        with pytest.raises(TypeError, match="day"):
            LogEntry(day=dt.datetime(2027, 1, 1, 9, 0, tzinfo=dt.UTC))

    def test_symptom_log_sorts_by_day_keeping_order(self) -> None:
        """symptom_log sorts by day; entries of one day keep their order."""
        a = LogEntry(day=D(2027, 1, 2), notes="a")
        b = LogEntry(day=D(2027, 1, 1), notes="b")
        c = LogEntry(day=D(2027, 1, 2), notes="c")
        assert symptom_log([a, b, c]) == (b, a, c)

    def test_rule_thresholds(self) -> None:
        """The rules and thresholds are those docs/review.md documents."""
        rules = {rule.code: rule for rule in review_rules()}
        assert list(rules) == [
            "cows-moderate-after-cut",
            "sows-rise-after-cut",
            "cows-moderate-after-stop",
            "sows-rise-after-stop",
            "symptoms-past-window",
            "pain-spread",
            "allodynia",
            "pain-rise-at-steady-dose",
            "pain-follows-dose",
            "craving",
            "loss-of-control",
        ]
        assert rules["cows-moderate-after-cut"].at_least == 13
        assert rules["symptoms-past-window"].at_least == 5
        assert dict(rules["sows-rise-after-cut"].rise) == {"sows": 10, "sows-gossop": 5}
        assert rules["pain-rise-at-steady-dose"].pain_rise == 2
        assert default_pause_days() == 14

    def test_every_rule_has_a_source(self) -> None:
        """Every rule, threshold and default cites a key that sources.toml defines."""
        sources = set(load_data("sources.toml"))
        for rule in review_rules():
            assert rule.source in sources, rule.code
            assert set(rule.also) <= sources, rule.code
            assert rule.threshold_source is None or rule.threshold_source in sources
        general = load_data("review.toml")["general"]
        assert general["pause_days_source"] in sources
        assert general["oih_exclusion_source"] in sources

    def test_docs_list_every_rule(self) -> None:
        """docs/review.md has a table row for every rule code."""
        page = (ROOT / "docs" / "review.md").read_text(encoding="utf-8")
        assert [r.code for r in review_rules() if f"| `{r.code}` |" not in page] == []

    def test_messages_never_diagnose(self) -> None:
        """Every rule's message is a "consider" for the clinician."""
        assert all(rule.message.startswith("Consider ") for rule in review_rules())


class TestJSON:
    """review_to_dict: the JSON view."""

    def test_review_to_dict(self, plan: TaperPlan) -> None:
        """The JSON view carries the rule, evidence, source and preview as plain values."""
        result = review(plan, [cows(D(2027, 1, 7), 14, pain=6)], on=D(2027, 1, 7))
        data = json.loads(json.dumps(review_to_dict(result)))
        assert data["schema"] == "taperplan.review/1"
        assert (data["on"], data["pause_days"], data["entries"]) == ("2027-01-07", 14, 1)
        (flag,) = data["flags"]
        assert (flag["rule"], flag["kind"], flag["source"]) == (
            "cows-moderate-after-cut",
            "pause",
            "COWS",
        )
        assert flag["evidence"][0]["date"] == "2027-01-07"
        assert flag["evidence"][0]["entry"]["scale"] == {
            "scale": "cows",
            "items": None,
            "total": 14,
            "maximum": 48,
            "band": "moderate",
            "source": "COWS",
        }
        assert flag["evidence"][0]["entry"]["pain"] == 6
        assert flag["pause_preview"] == {
            "on": "2027-01-08",
            "days": 14,
            "hold_from": "2027-01-08",
            "held_days": 14,
            "next_cut_step": plan.steps[1].id,
            "next_cut_now": "2027-02-01",
            "next_cut_paused": "2027-02-15",
            "stop_now": "2028-02-28",
            "stop_paused": "2028-03-13",
            "source": "TAPERPLAN-REVIEW",
        }

    def test_flag_is_frozen(self, plan: TaperPlan) -> None:
        """Flags are frozen values."""
        flag: Flag = review(plan, [cows(D(2027, 1, 7), 14)], on=D(2027, 1, 7)).flags[0]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            flag.rule = "other"  # type: ignore[misc]

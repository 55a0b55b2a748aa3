"""Withdrawal windows (taperplan.clinical.withdrawal): each profile's window after a cut, from the
packaged rules with their sources (clinical reference §4)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperplan.clinical.withdrawal import window_after, window_rules
from taperplan.reference.products import WithdrawalProfile, catalogue


def test_every_profile_has_a_cited_rule() -> None:
    """Every profile a product can have has a window whose source the catalogue cites."""
    rules = window_rules()
    assert set(rules) == set(WithdrawalProfile)
    cited = set(catalogue().sources)
    for profile, rule in rules.items():
        assert 0 <= rule.start_day <= rule.end_day, profile
        assert rule.source in cited, profile
        assert rule.note, profile


@pytest.mark.parametrize(
    ("profile", "first", "last"),
    [
        # VA-TDT: early symptoms generally resolve 5-10 days after a reduction.
        (WithdrawalProfile.SHORT_ACTING, 0, 9),
        (WithdrawalProfile.LONG_ACTING, 1, 12),
        # Methadone: symptoms begin after 2-4 days (long, variable half-life).
        (WithdrawalProfile.METHADONE, 2, 16),
        (WithdrawalProfile.TRANSDERMAL, 1, 12),
        (WithdrawalProfile.BUPRENORPHINE, 1, 15),
    ],
)
def test_the_windows_are_the_clinical_reference_days(
    profile: WithdrawalProfile, first: int, last: int
) -> None:
    rule = window_rules()[profile]
    assert (rule.start_day, rule.end_day) == (first, last)


def test_only_buprenorphine_timing_is_low_confidence() -> None:
    """Buprenorphine's withdrawal timing comes only from weak sources; the others do not."""
    low = {p for p, rule in window_rules().items() if rule.low_confidence}
    assert low == {WithdrawalProfile.BUPRENORPHINE}


@given(st.dates(max_value=dt.date(9000, 1, 1)), st.sampled_from(list(WithdrawalProfile)))
def test_a_window_follows_its_cut_day_by_the_rule(cut: dt.date, profile: WithdrawalProfile) -> None:
    """The window runs from ``start_day`` to ``end_day`` (inclusive) after the day of the
    cut, whatever the day (month ends, leap days), and carries the rule's source."""
    rule = window_rules()[profile]
    window = window_after(cut, profile)
    assert (window.start - cut).days == rule.start_day
    assert (window.end - cut).days == rule.end_day
    assert window.days == rule.end_day - rule.start_day + 1
    assert window.profile is profile
    assert (window.source, window.low_confidence, window.note) == (
        rule.source,
        rule.low_confidence,
        rule.note,
    )
    assert window_after(cut, profile) == window

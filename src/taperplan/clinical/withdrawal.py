"""Withdrawal windows: when symptoms are expected after a cut (clinical reference §4)."""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache

import attrs

from taperplan._data import load_data
from taperplan.model.advice import WithdrawalWindow
from taperplan.reference.products import WithdrawalProfile


@attrs.frozen
class WindowRule:
    """How a withdrawal profile's window sits after the day of a cut."""

    profile: WithdrawalProfile
    start_day: int
    end_day: int
    low_confidence: bool
    source: str
    note: str


@cache
def window_rules() -> dict[WithdrawalProfile, WindowRule]:
    """The packaged window rule for every withdrawal profile."""
    rules = {}
    for entry in load_data("withdrawal.toml")["profile"]:
        profile = WithdrawalProfile(entry["name"])
        rules[profile] = WindowRule(
            profile=profile,
            start_day=int(entry["start_day"]),
            end_day=int(entry["end_day"]),
            low_confidence=bool(entry["low_confidence"]),
            source=entry["source"],
            note=entry["note"],
        )
    return rules


def window_after(cut_day: dt.date, profile: WithdrawalProfile) -> WithdrawalWindow:
    """The expected withdrawal window after a cut on ``cut_day``."""
    return _window_after(cut_day, profile)


@lru_cache(maxsize=4096)
def _window_after(cut_day: dt.date, profile: WithdrawalProfile) -> WithdrawalWindow:
    """:func:`window_after`, cached: plans that start together share their cut days."""
    rule = window_rules()[profile]
    return WithdrawalWindow(
        start=cut_day + dt.timedelta(days=rule.start_day),
        end=cut_day + dt.timedelta(days=rule.end_day),
        profile=profile,
        low_confidence=rule.low_confidence,
        source=rule.source,
        note=rule.note,
    )

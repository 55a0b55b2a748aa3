"""The review's rules as ``data/review.toml`` states them, and the kinds of flag they raise."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Literal

import attrs
from attrs import validators as v

from taperplan._data import load_data
from taperplan.reviewing.scales import scale

FlagKind = Literal["pause", "clinician-review", "oih", "tolerance", "oud"]
#: Every kind of flag, in the order a review reports them.
FLAG_KINDS: tuple[FlagKind, ...] = ("pause", "clinician-review", "oih", "tolerance", "oud")


AppliesTo = Literal["cut", "stop", "any"]


@attrs.frozen
class ReviewRule:
    """One rule of the review as ``data/review.toml`` states it."""

    code: str
    kind: FlagKind = attrs.field(validator=v.in_(FLAG_KINDS))
    message: str
    source: str
    also: tuple[str, ...] = ()
    applies_to: AppliesTo = attrs.field(default="any", validator=v.in_(("cut", "stop", "any")))
    scale: str | None = None
    at_least: int | None = None
    rise: tuple[tuple[str, int], ...] = ()
    pain_rise: int | None = None
    threshold_source: str | None = None
    note: str = ""

    def rise_for(self, scale_key: str) -> int | None:
        """The clear rise of ``scale_key`` for this rule, or None if it does not read that scale."""
        return dict(self.rise).get(scale_key)


@attrs.frozen
class _Rules:
    rules: Mapping[str, ReviewRule]
    pause_days: int
    pause_days_source: str
    text: Mapping[str, str]
    labels: Mapping[str, str]


_IMPLEMENTED = (
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
)


def _check_rule(rule: ReviewRule, sources: Mapping[str, object]) -> None:
    for key in (rule.source, *rule.also, rule.threshold_source):
        if key is not None and key not in sources:
            raise ValueError(f"review.toml: rule {rule.code!r} cites unknown source {key!r}")
    if rule.at_least is not None:
        # The COWS thresholds are band edges; a typo must not move them silently.
        assert rule.scale is not None  # noqa: S101 - data invariant
        if rule.at_least not in {band.low for band in scale(rule.scale).bands}:
            raise ValueError(f"review.toml: {rule.code}: {rule.at_least} is not a band edge")
    for key, points in rule.rise:
        if not 0 < points <= scale(key).maximum:
            raise ValueError(f"review.toml: {rule.code}: rise {points} out of range for {key}")


@cache
def rule_table() -> _Rules:
    raw = load_data("review.toml")
    sources = load_data("sources.toml")
    rules: dict[str, ReviewRule] = {}
    for entry in raw["rule"]:
        rule = ReviewRule(
            code=entry["code"],
            kind=entry["kind"],
            message=entry["message"],
            source=entry["source"],
            also=tuple(entry.get("also", ())),
            applies_to=entry.get("applies_to", "any"),
            scale=entry.get("scale"),
            at_least=entry.get("at_least"),
            rise=tuple(entry.get("rise", {}).items()),
            pain_rise=entry.get("pain_rise"),
            threshold_source=entry.get("threshold_source"),
            note=entry.get("note", ""),
        )
        _check_rule(rule, sources)
        rules[rule.code] = rule
    if tuple(rules) != _IMPLEMENTED:
        raise ValueError(f"review.toml: rules {tuple(rules)} do not match {_IMPLEMENTED}")
    general = raw["general"]
    for key in (general["pause_days_source"], general["oih_exclusion_source"]):
        if key not in sources:
            raise ValueError(f"review.toml: unknown source {key!r}")
    return _Rules(
        rules=rules,
        pause_days=int(general["pause_days"]),
        pause_days_source=general["pause_days_source"],
        text=general,
        labels=raw["labels"],
    )


def review_rules() -> tuple[ReviewRule, ...]:
    """Every rule of the review, in the order flags are reported."""
    return tuple(rule_table().rules.values())


def default_pause_days() -> int:
    """How long a pause preview holds the dose unless the caller says (14 days)."""
    return rule_table().pause_days

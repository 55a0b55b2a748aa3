"""Pain patterns during opioid therapy: hyperalgesia, tolerance or withdrawal?

Considerations for the clinician, never a diagnosis. :func:`assess_pain_pattern`
sorts the signs a clinician has observed by the pattern each points to and
the patterns it contrasts with (clinical reference §7), and lists the
opioid-induced hyperalgesia (OIH) risk factors present, each with the evidence
level the reference gives it. It does not weigh the patterns against each
other: OIH is a diagnosis of exclusion. The table lives in ``data/oih.toml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any, Literal

import attrs
from attrs import validators as v

from taperplan._data import load_data
from taperplan.model.regimen import CONTEXT_FLAGS, Context
from taperplan.reference.notices import Notice
from taperplan.units import format_decimal

Pattern = Literal["oih", "tolerance", "withdrawal"]
EvidenceLevel = Literal["well supported", "partly supported", "not confirmed in primary sources"]

#: The patterns in the order they are reported.
PATTERNS: tuple[Pattern, ...] = ("oih", "tolerance", "withdrawal")
#: The evidence levels, strongest first.
EVIDENCE_LEVELS: tuple[EvidenceLevel, ...] = (
    "well supported",
    "partly supported",
    "not confirmed in primary sources",
)

_optional_bool = v.optional(v.instance_of(bool))


@attrs.frozen
class PainObservations:
    """What the clinician has observed; every field is optional (None: not stated).

    The first eight fields are signs (``data/oih.toml``); ``long_term_use``
    and ``fentanyl_or_remifentanil_exposure`` feed the risk factors when the
    context cannot (no start date; exposure outside the current regimen).
    """

    pain_worse_with_dose_increase: bool | None = attrs.field(default=None, validator=_optional_bool)
    pain_better_with_dose_increase: bool | None = attrs.field(
        default=None, validator=_optional_bool
    )
    pain_spread_beyond_original_site: bool | None = attrs.field(
        default=None, validator=_optional_bool
    )
    allodynia: bool | None = attrs.field(default=None, validator=_optional_bool)
    pain_at_original_site_same_quality: bool | None = attrs.field(
        default=None, validator=_optional_bool
    )
    symptoms_after_cut_or_missed_dose: bool | None = attrs.field(
        default=None, validator=_optional_bool
    )
    symptoms_time_limited: bool | None = attrs.field(default=None, validator=_optional_bool)
    anxiety_sweating_gi_upset_craving: bool | None = attrs.field(
        default=None, validator=_optional_bool
    )
    long_term_use: bool | None = attrs.field(default=None, validator=_optional_bool)
    fentanyl_or_remifentanil_exposure: bool | None = attrs.field(
        default=None, validator=_optional_bool
    )


@attrs.frozen
class Sign:
    """A sign from the table, with its source."""

    key: str
    text: str
    points_to: Pattern
    points_away_from: tuple[Pattern, ...]
    source: str


@attrs.frozen
class PatternFindings:
    """For one pattern: the stated signs that point to it and those that point away."""

    pattern: Pattern
    label: str
    pointing_to: tuple[Sign, ...]
    pointing_away: tuple[Sign, ...]


@attrs.frozen
class RiskFactorRule:
    """An OIH risk factor in the table and what makes it present."""

    key: str
    text: str
    evidence: EvidenceLevel = attrs.field(validator=v.in_(EVIDENCE_LEVELS))
    source: str
    note: str | None = None
    flags: tuple[str, ...] = attrs.field(
        default=(), validator=v.deep_iterable(v.in_(CONTEXT_FLAGS))
    )
    observation: str | None = None
    min_mme: Decimal | None = None
    more_than_days: int | None = None
    threshold_source: str | None = None


@attrs.frozen
class RiskFactor:
    """An OIH risk factor present for this patient, with its evidence level.

    ``because`` says what made it present (a context fact, an observation, an
    MME figure or a duration).
    """

    key: str
    text: str
    evidence: EvidenceLevel
    source: str
    because: str
    note: str | None = None
    threshold_source: str | None = None


@attrs.frozen
class PainPatternAssessment:
    """Considerations for the clinician about a pain pattern; never a diagnosis.

    ``not_stated`` lists the signs with no answer (worth asking about);
    ``notes`` always includes that OIH is a diagnosis of exclusion.
    """

    oih: PatternFindings
    tolerance: PatternFindings
    withdrawal: PatternFindings
    risk_factors: tuple[RiskFactor, ...]
    not_stated: tuple[str, ...]
    notes: tuple[Notice, ...]
    summary: str

    @property
    def patterns(self) -> tuple[PatternFindings, PatternFindings, PatternFindings]:
        """The findings for OIH, tolerance and withdrawal, in that order."""
        return (self.oih, self.tolerance, self.withdrawal)


@attrs.frozen
class _Table:
    labels: Mapping[Pattern, str]
    signs: tuple[Sign, ...]
    risk_factors: tuple[RiskFactorRule, ...]
    text: Mapping[str, str]


_OBSERVATION_FIELDS = tuple(a.name for a in attrs.fields(PainObservations))


@cache
def _table() -> _Table:
    raw = load_data("oih.toml")
    signs = tuple(
        Sign(
            key=s["key"],
            text=s["text"],
            points_to=s["points_to"],
            points_away_from=tuple(s["points_away_from"]),
            source=s["source"],
        )
        for s in raw["sign"]
    )
    rules = tuple(
        RiskFactorRule(
            key=r["key"],
            text=r["text"],
            evidence=r["evidence"],
            source=r["source"],
            note=r.get("note"),
            flags=tuple(r.get("flags", ())),
            observation=r.get("observation"),
            min_mme=None if r.get("min_mme") is None else Decimal(str(r["min_mme"])),
            more_than_days=r.get("more_than_days"),
            threshold_source=r.get("threshold_source"),
        )
        for r in raw["risk_factor"]
    )
    # The observation class and the table must agree, or a sign would be
    # silently ignored.
    for sign in signs:
        if sign.key not in _OBSERVATION_FIELDS or {sign.points_to, *sign.points_away_from} - set(
            PATTERNS
        ):
            raise ValueError(
                f"oih.toml: sign {sign.key!r} does not match PainObservations or the patterns"
            )
    for rule in rules:
        if rule.observation is not None and rule.observation not in _OBSERVATION_FIELDS:
            raise ValueError(f"oih.toml: risk factor {rule.key!r} names an unknown observation")
    labels: dict[Pattern, str] = {p: raw["pattern"][p]["label"] for p in PATTERNS}
    return _Table(labels=labels, signs=signs, risk_factors=rules, text=raw["text"])


def oih_signs() -> tuple[Sign, ...]:
    """Every sign in the table, with the pattern it points to and its source."""
    return _table().signs


def oih_risk_factors() -> tuple[RiskFactorRule, ...]:
    """Every OIH risk factor in the table, with its evidence level and source."""
    return _table().risk_factors


def _present(
    rule: RiskFactorRule,
    observations: PainObservations,
    context: Context,
    total_mme: Decimal | None,
    on: dt.date | None,
) -> str | None:
    reasons: list[str] = []
    if rule.observation is not None and getattr(observations, rule.observation) is True:
        reasons.append(f"observed: {rule.observation.replace('_', ' ')}")
    reasons.extend(
        f"context: {flag.replace('_', ' ')}" for flag in rule.flags if context.flag(flag)
    )
    if rule.min_mme is not None and total_mme is not None and total_mme >= rule.min_mme:
        reasons.append(
            f"{format_decimal(total_mme)} MME/day ({format_decimal(rule.min_mme)} or more)"
        )
    if rule.more_than_days is not None and context.on_opioids_since is not None and on is not None:
        days = (on - context.on_opioids_since).days
        if days > rule.more_than_days:
            reasons.append(f"on opioids {days} days (more than {rule.more_than_days})")
    return "; ".join(reasons) or None


def assess_pain_pattern(
    observations: PainObservations,
    *,
    context: Context | None = None,
    total_mme: Decimal | None = None,
    on: dt.date | None = None,
) -> PainPatternAssessment:
    """Sort the observed signs by pattern and list the OIH risk factors present.

    Args:
        observations: the signs the clinician has observed (True), ruled out
            (False) or not assessed (None). Only signs stated True count; an
            absent sign is not evidence either way.
        context: the patient's context, for the risk factors (anxiety,
            fibromyalgia, opioid use disorder, ...).
        total_mme: the current total MME/day, for the high-dose factor.
        on: the date of the assessment, for long-term use from
            ``context.on_opioids_since`` (taperplan never reads the clock).

    Returns:
        Considerations for the clinician, with a summary that says so. It
        never names a most likely pattern: OIH is a diagnosis of exclusion.
    """
    table = _table()
    context = context if context is not None else Context()
    stated = [s for s in table.signs if getattr(observations, s.key) is True]
    findings = {
        pattern: PatternFindings(
            pattern=pattern,
            label=table.labels[pattern],
            pointing_to=tuple(s for s in stated if s.points_to == pattern),
            pointing_away=tuple(s for s in stated if pattern in s.points_away_from),
        )
        for pattern in PATTERNS
    }
    risk_factors = tuple(
        RiskFactor(
            key=rule.key,
            text=rule.text,
            evidence=rule.evidence,
            source=rule.source,
            because=because,
            note=rule.note,
            threshold_source=rule.threshold_source,
        )
        for rule in table.risk_factors
        if (because := _present(rule, observations, context, total_mme, on)) is not None
    )
    notes = [
        Notice(
            "oih-diagnosis-of-exclusion", table.text["exclusion"], table.text["exclusion_source"]
        )
    ]
    if observations.pain_worse_with_dose_increase and observations.pain_better_with_dose_increase:
        notes.append(
            Notice(
                "oih-conflicting-observations",
                table.text["conflict"],
                table.text["conflict_source"],
            )
        )
    counts = {
        f"{p}_{side}": len(getattr(findings[p], attr))
        for p in PATTERNS
        for side, attr in (("to", "pointing_to"), ("away", "pointing_away"))
    }
    summary = table.text["summary"].format(
        **counts, risk_factors=len(risk_factors), exclusion=table.text["exclusion"]
    )
    return PainPatternAssessment(
        oih=findings["oih"],
        tolerance=findings["tolerance"],
        withdrawal=findings["withdrawal"],
        risk_factors=risk_factors,
        not_stated=tuple(s.key for s in table.signs if getattr(observations, s.key) is None),
        notes=tuple(notes),
        summary=summary,
    )


def assessment_to_dict(assessment: PainPatternAssessment) -> dict[str, Any]:
    """A JSON-ready view of an assessment (signs, risk factors, notes, summary)."""

    def sign(s: Sign) -> dict[str, Any]:
        return {"key": s.key, "text": s.text, "source": s.source}

    return {
        "summary": assessment.summary,
        "patterns": [
            {
                "pattern": f.pattern,
                "label": f.label,
                "pointing_to": [sign(s) for s in f.pointing_to],
                "pointing_away": [sign(s) for s in f.pointing_away],
            }
            for f in assessment.patterns
        ],
        "risk_factors": [
            {
                "key": r.key,
                "text": r.text,
                "evidence": r.evidence,
                "because": r.because,
                "source": r.source,
                "note": r.note,
                "threshold_source": r.threshold_source,
            }
            for r in assessment.risk_factors
        ],
        "not_stated": list(assessment.not_stated),
        "notes": [
            {"code": n.code, "message": n.message, "source": n.source} for n in assessment.notes
        ],
    }

"""Adjuncts to a taper: considerations for the clinician, with their cautions.

The table lives in ``data/adjuncts.toml`` (clinical reference §6): medicines
for withdrawal symptoms with VA-TDT's usual doses, non-opioid pain medicines,
non-drug care, naloxone, opioid use disorder care, referrals, and the rule
that withdrawal symptoms are not treated with opioids or benzodiazepines.
Every entry and caution carries a source key.

:func:`suggest_adjuncts` reads the patient's :class:`~taperplan.Context` and
keeps, for each suggestion, only the cautions its conditions raise plus the
ones that always apply. Nothing here is an order or a diagnosis.

Choices made here, each tested:

- The rule "no opioids or benzodiazepines for withdrawal symptoms" is an
  entry of category ``"rule"`` and comes first in every suggestion list, so
  the plan JSON's ``adjuncts`` always carries it; :func:`adjunct_rules` gives
  the rules as :class:`~taperplan.Notice` values too.
- An adjunct to avoid for this patient (diphenhydramine at 65 or older) stays
  in the list with its ``"avoid"`` caution (``Adjunct.avoid`` is true): the
  clinician sees why it was set aside instead of wondering why it is missing.
- A context fact that is not stated (``None``) raises no caution.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

import attrs
from attrs import validators as v

from taperplan._data import load_data
from taperplan._reading import close_to
from taperplan.errors import CatalogueError
from taperplan.model.advice import CATEGORIES, Adjunct, AdjunctCategory, Caution, Severity
from taperplan.model.regimen import CONTEXT_FLAGS, Context
from taperplan.reference.notices import Notice
from taperplan.units import format_decimal


@cache
def _table() -> Mapping[str, Any]:
    return load_data("adjuncts.toml")


def _label(key: str) -> str:
    labels: Mapping[str, str] = _table()["labels"]
    return labels[key]


@attrs.frozen
class Condition:
    """When a caution applies or a suggestion is included or emphasised.

    The condition holds when ANY part holds: a context flag in ``flags`` is
    stated true, the stated age is at least ``min_age``, or the total MME/day
    is at least ``min_mme``. Unstated facts (``None``) never hold.
    """

    flags: tuple[str, ...] = attrs.field(
        default=(), validator=v.deep_iterable(v.in_(CONTEXT_FLAGS))
    )
    min_age: int | None = attrs.field(default=None, validator=v.optional(v.ge(0)))
    min_mme: Decimal | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Decimal))
    )

    def reasons(self, context: Context, total_mme: Decimal | None) -> tuple[str, ...]:
        """The parts that hold, in words; empty when the condition does not hold."""
        found: list[str] = []
        if self.min_mme is not None and total_mme is not None and total_mme >= self.min_mme:
            found.append(
                _label("min_mme").format(
                    mme=format_decimal(total_mme), min_mme=format_decimal(self.min_mme)
                )
            )
        found.extend(_label(flag) for flag in self.flags if context.flag(flag))
        if self.min_age is not None and context.age is not None and context.age >= self.min_age:
            found.append(_label("min_age").format(age=context.age, min_age=self.min_age))
        return tuple(found)


@attrs.frozen
class CautionRule:
    """A caution in the table, with the condition that raises it (None: always)."""

    code: str
    text: str
    source: str
    severity: Severity = attrs.field(default="caution", validator=v.in_(("caution", "avoid")))
    when: Condition | None = None


@attrs.frozen
class AdjunctEntry:
    """One row of the adjunct table, before it meets a patient."""

    key: str
    category: AdjunctCategory = attrs.field(validator=v.in_(CATEGORIES))
    name: str
    reason: str
    source: str
    target: str | None = None
    dose: str | None = None
    cautions: tuple[CautionRule, ...] = ()
    include_when: Condition | None = None
    emphasis_when: Condition | None = None


def _condition(raw: Mapping[str, Any] | None) -> Condition | None:
    if raw is None:
        return None
    min_mme = raw.get("min_mme")
    return Condition(
        flags=tuple(raw.get("flags", ())),
        min_age=raw.get("min_age"),
        min_mme=None if min_mme is None else Decimal(str(min_mme)),
    )


@cache
def adjunct_table() -> tuple[AdjunctEntry, ...]:
    """Every entry of the packaged adjunct table, with all its cautions (for review and docs)."""
    raw = _table()
    rules = {
        code: CautionRule(
            code=code,
            text=entry["text"],
            source=entry["source"],
            severity=entry.get("severity", "caution"),
            when=_condition(entry.get("when")),
        )
        for code, entry in raw["caution"].items()
    }
    entries = tuple(
        AdjunctEntry(
            key=entry["key"],
            category=entry["category"],
            name=entry["name"],
            reason=entry["reason"],
            source=entry["source"],
            target=entry.get("target"),
            dose=entry.get("dose"),
            cautions=tuple(rules[code] for code in entry.get("cautions", ())),
            include_when=_condition(entry.get("include_when")),
            emphasis_when=_condition(entry.get("emphasis_when")),
        )
        for entry in raw["adjunct"]
    )
    return tuple(sorted(entries, key=lambda e: CATEGORIES.index(e.category)))


def adjunct_entry(key: str) -> AdjunctEntry:
    """The table entry called ``key`` (``"naloxone"``, ``"loperamide"``, ...).

    Raises:
        CatalogueError: for an unknown key, with close matches.
    """
    for entry in adjunct_table():
        if entry.key == key:
            return entry
    keys = [e.key for e in adjunct_table()]
    raise CatalogueError("adjunct", key, close_to(key, keys, n=3))


def _applying(rule: CautionRule, context: Context, total_mme: Decimal | None) -> Caution | None:
    if rule.when is None:
        return Caution(rule.code, rule.text, rule.source, rule.severity)
    reasons = rule.when.reasons(context, total_mme)
    if not reasons:
        return None
    return Caution(rule.code, rule.text, rule.source, rule.severity, "; ".join(reasons))


def _for_patient(entry: AdjunctEntry, context: Context, total_mme: Decimal | None) -> Adjunct:
    cautions = tuple(
        c for c in (_applying(rule, context, total_mme) for rule in entry.cautions) if c is not None
    )
    emphasis = (
        entry.emphasis_when.reasons(context, total_mme) if entry.emphasis_when is not None else ()
    )
    reason = entry.reason
    if emphasis:
        reason = f"{reason} {_table()['text']['emphasis'].format(reasons='; '.join(emphasis))}"
    return Adjunct(
        key=entry.key,
        category=entry.category,
        name=entry.name,
        reason=reason,
        source=entry.source,
        dose=entry.dose,
        target=entry.target,
        cautions=cautions,
        emphasis=bool(emphasis),
    )


def suggest_adjuncts(context: Context, *, total_mme: Decimal | None) -> tuple[Adjunct, ...]:
    """Adjuncts to consider for a patient who is tapering, with the cautions that apply.

    Args:
        context: what is known about the patient; unstated facts raise no caution.
        total_mme: the regimen's total MME/day, or None where it does not apply
            (buprenorphine); used for the naloxone emphasis at 50 or more.

    Returns:
        Suggestions in category order (``CATEGORIES``): the withdrawal-treatment
        rule first, then naloxone, referrals, opioid use disorder care,
        withdrawal symptom relief, non-opioid pain medicines and non-drug care.
        Entries limited to a condition (specialist involvement in pregnancy)
        appear only when it holds.
    """
    try:
        # The age's type is part of the key: it is written into reasons as given.
        return _suggest(context, type(context.age).__name__, total_mme)
    except TypeError:  # pragma: no cover - an unhashable value in a hand-built context
        return _suggest.__wrapped__(context, type(context.age).__name__, total_mme)


@functools.lru_cache(maxsize=1024)
def _suggest(
    context: Context,
    age_type: str,  # the age's type name: a cache key only
    total_mme: Decimal | None,
) -> tuple[Adjunct, ...]:
    """:func:`suggest_adjuncts`, cached: the same facts give the same (frozen) suggestions,
    and a batch of plans shares a few contexts and totals."""
    result = []
    for index, (entry, reads_mme) in enumerate(_entries()):
        # An entry whose conditions never read the total is the same for every total.
        total = total_mme if reads_mme else None
        if entry.include_when is None or entry.include_when.reasons(context, total):
            result.append(_entry_for_patient(index, context, age_type, total))
    return tuple(result)


@cache
def _entries() -> tuple[tuple[AdjunctEntry, bool], ...]:
    """Every table entry, and whether any of its conditions reads the total MME/day."""

    def reads_mme(condition: Condition | None) -> bool:
        return condition is not None and condition.min_mme is not None

    return tuple(
        (
            entry,
            reads_mme(entry.include_when)
            or reads_mme(entry.emphasis_when)
            or any(reads_mme(rule.when) for rule in entry.cautions),
        )
        for entry in adjunct_table()
    )


@functools.lru_cache(maxsize=1024)
def _entry_for_patient(
    index: int,
    context: Context,
    age_type: str,  # the age's type name: a cache key only
    total_mme: Decimal | None,
) -> Adjunct:
    """The suggestion of the table's entry ``index`` (cached, so plans share their
    ``Adjunct`` values)."""
    return _for_patient(_entries()[index][0], context, total_mme)


def adjunct_rules() -> tuple[Notice, ...]:
    """The rules of the table as notices (``no-opioids-or-benzodiazepines-for-withdrawal``)."""
    return tuple(Notice(e.key, e.reason, e.source) for e in adjunct_table() if e.category == "rule")


def caution_to_dict(caution: Caution) -> dict[str, Any]:
    """``{"code", "text", "source", "severity", "because"}``."""
    return {
        "code": caution.code,
        "text": caution.text,
        "source": caution.source,
        "severity": caution.severity,
        "because": caution.because,
    }


def adjunct_to_dict(adjunct: Adjunct) -> dict[str, Any]:
    """The plan JSON's ``adjuncts`` entry (interfaces.md §4) with taperplan's extra fields.

    ``{"category", "name", "reason", "source"}`` as the interface requires,
    plus ``key``, ``target``, ``dose``, ``emphasis``, ``avoid`` and ``cautions``.
    """
    return {
        "category": adjunct.category,
        "name": adjunct.name,
        "reason": adjunct.reason,
        "source": adjunct.source,
        "key": adjunct.key,
        "target": adjunct.target,
        "dose": adjunct.dose,
        "emphasis": adjunct.emphasis,
        "avoid": adjunct.avoid,
        "cautions": [caution_to_dict(c) for c in adjunct.cautions],
    }

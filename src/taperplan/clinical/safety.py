"""Safety notices for a regimen about to be tapered.

Three checks, each reading ``data/safety.toml``:

- :func:`regimen_safety_warnings`: cautions raised by the patient's context
  and medications (benzodiazepines, pregnancy, methadone, transdermal
  fentanyl, naloxone, sleep apnea, past overdose, opioid use disorder) and
  the loss of tolerance that every taper brings.
- :func:`oud_refusal_reason`: why a medication for opioid use disorder is not
  tapered with pain presets (CDC2022 recommendation 12).
- :func:`dst_time_warnings`: doses at wall-clock times that a clock change
  can skip or double.

All are considerations for the clinician, returned as
:class:`~taperplan.Notice` values.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from taperplan._data import load_data
from taperplan.clinical.adjuncts import Condition
from taperplan.model.regimen import Context, Medication, Regimen
from taperplan.reference.notices import Notice
from taperplan.reference.products import Form


@attrs.frozen
class _SafetyRule:
    code: str
    message: str
    source: str
    always: bool = False
    when: Condition | None = None
    drugs: tuple[str, ...] = ()
    forms: tuple[Form, ...] = ()

    def reasons(
        self,
        context: Context,
        medications: tuple[tuple[str, Form], ...],
        total_mme: Decimal | None,
    ) -> tuple[str, ...] | None:
        """What raises this notice for a regimen with ``context`` and ``medications``
        (drug and form of each) (possibly no words), or None when nothing does."""
        if self.always:
            return ()
        if self.when is not None:
            found = self.when.reasons(context, total_mme)
            return found or None
        if any(self._matches(drug, form) for drug, form in medications):
            return ()
        return None

    def _matches(self, drug: str, form: Form) -> bool:
        if not (self.drugs or self.forms):
            return False
        drug_ok = not self.drugs or drug in self.drugs
        form_ok = not self.forms or form in self.forms
        return drug_ok and form_ok


@cache
def _table() -> Mapping[str, Any]:
    return _check(load_data("safety.toml"))


def _check(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    for entry in raw["notice"]:
        kinds = [bool(entry.get("always")), "when" in entry, "drugs" in entry or "forms" in entry]
        if sum(kinds) != 1:
            raise ValueError(
                f"safety.toml: notice {entry['code']!r} needs exactly one of always, when, drugs/forms"
            )
    return raw


@cache
def _rules() -> tuple[_SafetyRule, ...]:
    rules = []
    for entry in _table()["notice"]:
        when = entry.get("when")
        rules.append(
            _SafetyRule(
                code=entry["code"],
                message=entry["message"],
                source=entry["source"],
                always=bool(entry.get("always", False)),
                when=None
                if when is None
                else Condition(
                    flags=tuple(when.get("flags", ())),
                    min_age=when.get("min_age"),
                    min_mme=None if when.get("min_mme") is None else Decimal(str(when["min_mme"])),
                ),
                drugs=tuple(entry.get("drugs", ())),
                forms=tuple(Form(f) for f in entry.get("forms", ())),
            )
        )
    return tuple(rules)


def safety_codes() -> tuple[str, ...]:
    """Every notice code this module can return."""
    return (*(r.code for r in _rules()), _table()["dst"]["code"])


def regimen_safety_warnings(regimen: Regimen, *, total_mme: Decimal | None) -> tuple[Notice, ...]:
    """The safety notices for tapering ``regimen``.

    Args:
        regimen: the current regimen, with its context.
        total_mme: its total MME/day, or None where MME does not apply
            (buprenorphine); used for the naloxone notice at 50 or more.

    Returns:
        ``tolerance-loss`` first (every taper), then each notice the
        context or the medications raise, in the order of ``data/safety.toml``.
    """
    context = regimen.context
    medications = tuple((m.drug, m.form) for m in regimen.medications)
    try:
        # The age's type is part of the key: it is written into reasons as given.
        return _safety_notices(context, type(context.age).__name__, medications, total_mme)
    except TypeError:  # pragma: no cover - an unhashable value in a hand-built context
        return _safety_notices.__wrapped__(
            context, type(context.age).__name__, medications, total_mme
        )


@functools.lru_cache(maxsize=1024)
def _safety_notices(
    context: Context,
    age_type: str,  # the age's type name: a cache key only
    medications: tuple[tuple[str, Form], ...],
    total_mme: Decimal | None,
) -> tuple[Notice, ...]:
    """:func:`regimen_safety_warnings` from what it depends on (cached: a batch of
    plans shares a few contexts, products and totals)."""
    notices = []
    for rule in _rules():
        reasons = rule.reasons(context, medications, total_mme)
        if reasons is None:
            continue
        message = (
            rule.message.format(reasons="; ".join(reasons))
            if "{reasons}" in rule.message
            else rule.message
        )
        notices.append(Notice(rule.code, message, rule.source))
    return tuple(notices)


def oud_refusal_reason(medication: Medication) -> str | None:
    """Why ``medication`` must not be tapered with pain presets, or None if it may be.

    Buprenorphine or methadone given for opioid use disorder
    (``indication == "oud"``) is refused: medications for OUD are first-line
    treatment and MME guideposts do not apply (CDC2022 recommendation 12).
    """
    refusal = _table()["oud_refusal"]
    if medication.indication == "oud" and medication.drug in refusal["drugs"]:
        return str(refusal["message"].format(drug=medication.drug))
    return None


# --- clock changes --------------------------------------------------------------

#: A year far beyond the explicit transitions in the tz database: zoneinfo
#: answers it from the zone's current rule (the TZif footer), so sampling it
#: tells whether the zone still changes its clocks without reading the
#: machine's clock.
_RULE_YEAR = 2100


@attrs.frozen
class ClockChange:
    """A change of a zone's UTC offset, as the local wall clock sees it.

    Wall times from ``local_from`` up to (not including) ``local_until`` are
    skipped when the clocks go ``forward``, and occur twice when they go back.
    """

    at: dt.datetime
    forward: bool
    local_from: dt.datetime
    local_until: dt.datetime

    @property
    def date(self) -> dt.date:
        """The local date of the first affected wall time."""
        return self.local_from.date()

    def affects(self, time: dt.time) -> bool:
        """Whether the daily wall time ``time`` is skipped or repeated by this change."""
        days = {self.local_from.date(), self.local_until.date()}
        return any(self.local_from <= dt.datetime.combine(d, time) < self.local_until for d in days)

    def __str__(self) -> str:
        return f"{self.date.isoformat()} ({'forward' if self.forward else 'back'})"


def _offset(zone: ZoneInfo, instant: dt.datetime) -> dt.timedelta:
    offset = instant.astimezone(zone).utcoffset()
    return offset if offset is not None else dt.timedelta(0)


def _change_between(zone: ZoneInfo, low: dt.datetime, high: dt.datetime) -> ClockChange:
    """The change of offset between two UTC instants with different offsets.

    Bisects on whole POSIX seconds: tz database transitions fall on whole seconds.
    """
    before = _offset(zone, low)
    after = _offset(zone, high)
    first, last = int(low.timestamp()), int(high.timestamp())
    while last - first > 1:
        middle = (first + last) // 2
        if _offset(zone, dt.datetime.fromtimestamp(middle, dt.UTC)) == before:
            first = middle
        else:
            last = middle
    at = dt.datetime.fromtimestamp(last, dt.UTC)
    old_wall = (at + before).replace(tzinfo=None)
    new_wall = (at + after).replace(tzinfo=None)
    forward = after > before
    return ClockChange(
        at=at,
        forward=forward,
        local_from=old_wall if forward else new_wall,
        local_until=new_wall if forward else old_wall,
    )


def clock_changes(zone: ZoneInfo, start: dt.date, end: dt.date) -> tuple[ClockChange, ...]:
    """The clock changes of ``zone`` from ``start`` to ``end`` (inclusive), in order.

    Offsets are compared at local noon of each day and the change between two
    noons is located to the second, so at most one change per day is found
    (no zone changes twice in a day).
    """
    result: list[ClockChange] = []
    for year in range(start.year, end.year + 1):
        result.extend(c for c in _changes_in_year(zone, year) if start <= c.date <= end)
    return tuple(result)


@cache
def _changes_in_year(zone: ZoneInfo, year: int) -> tuple[ClockChange, ...]:
    """Every clock change of ``zone`` in ``year`` (cached: plans share zones and years)."""
    noon = dt.time(12)
    result = []
    day = dt.date(year, 1, 1)
    previous = dt.datetime.combine(day - dt.timedelta(days=1), noon, zone).astimezone(dt.UTC)
    while day.year == year:
        current = dt.datetime.combine(day, noon, zone).astimezone(dt.UTC)
        if _offset(zone, previous) != _offset(zone, current):
            result.append(_change_between(zone, previous, current))
        previous = current
        day += dt.timedelta(days=1)
    return tuple(result)


@cache
def _current_rule_changes(zone: ZoneInfo) -> tuple[ClockChange, ...]:
    return clock_changes(zone, dt.date(_RULE_YEAR, 1, 1), dt.date(_RULE_YEAR, 12, 31))


def dst_time_warnings(
    regimen: Regimen, *, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[Notice, ...]:
    """Warnings for doses that a clock change can skip or double.

    A dose time is flagged when the regimen's zone changes its clocks and the
    time lies from 01:00 up to (not including) 03:00, or is itself skipped or
    repeated by a clock change (zones that change at midnight, say).

    Args:
        regimen: the regimen; without a ``timezone`` there is nothing to check.
        start: the first day of the period to check (the plan's start). With
            ``start``, only clock changes from ``start`` to ``end`` count, and
            the message lists their dates. Without it, the zone's current
            rule decides.
        end: the last day to check; defaults to 365 days after ``start``.

    Returns:
        One notice per medication and affected time, in regimen order.
    """
    zone = regimen.timezone
    if zone is None:
        return ()
    spec = _table()["dst"]
    if start is None:
        changes = _current_rule_changes(zone)
        dates = ""
    else:
        last = end if end is not None else start + dt.timedelta(days=365)
        changes = clock_changes(zone, start, last)
        dates = _dates_text(changes) if changes else ""
    if not changes:
        return ()
    window_start, window_end = _dst_window()
    notices = []
    for index, medication in enumerate(regimen.medications):
        for administration in medication.administrations:
            time = administration.time
            if window_start <= time < window_end or _affected(changes, time):
                message = spec["message"].format(
                    index=index,
                    product=medication.product.name,
                    time=time.strftime("%H:%M"),
                    zone=zone.key,
                    dates=dates,
                )
                notices.append(Notice(spec["code"], message, spec["source"]))
    return tuple(notices)


@cache
def _dst_window() -> tuple[dt.time, dt.time]:
    """The wall times (from, until) that a clock change can reach, from ``safety.toml``."""
    spec = _table()["dst"]
    return dt.time.fromisoformat(spec["from"]), dt.time.fromisoformat(spec["until"])


@functools.lru_cache(maxsize=256)
def _dates_text(changes: tuple[ClockChange, ...]) -> str:
    """The message part that lists ``changes`` (cached: plans share their periods' changes)."""
    return str(_table()["dst"]["dates"].format(dates=", ".join(map(str, changes))))


@functools.lru_cache(maxsize=4096)
def _affected(changes: tuple[ClockChange, ...], time: dt.time) -> bool:
    """Whether one of ``changes`` skips or repeats the daily wall time ``time``."""
    return any(c.affects(time) for c in changes)

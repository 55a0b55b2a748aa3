"""The symptom log and its review against a taper plan.

A :class:`LogEntry` records one day's observations: a withdrawal-scale result
(every item, or only the total), pain from 0 to 10 and where it is, signs of
hyperalgesia, craving or loss of control, and notes. :func:`review` reads the
log against the plan's dates and returns :class:`Flag` values, each with the
rule, the entries that raised it and the source: a consideration for the
clinician ("consider pausing", "consider offering an evaluation"), never a
diagnosis. The rules' thresholds, messages and sources live in
``data/review.toml``; ``docs/review.md`` explains each one.

The review works from a :class:`PlanTimeline`, the dates of a plan's steps,
so a plan read back from ``taperplan plan --format json`` reviews exactly like
the :class:`~taperplan.TaperPlan` it came from. Reading log and plan files
lives in :mod:`taperplan.formats.logs`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import Literal, TypeAlias

import attrs
from attrs import validators as v

from taperplan._data import load_data
from taperplan.errors import (
    InvalidScoreError,
    Problem,
)
from taperplan.model.plan import StepKind, TaperPlan
from taperplan.reference.notices import Notice
from taperplan.reviewing.scales import Band, ScaleResult, scale

FlagKind = Literal["pause", "clinician-review", "oih", "tolerance", "oud"]
#: Every kind of flag, in the order a review reports them.
FLAG_KINDS: tuple[FlagKind, ...] = ("pause", "clinician-review", "oih", "tolerance", "oud")

#: The schema name of :func:`review_to_dict`'s output.
REVIEW_SCHEMA = "taperplan.review/1"
#: The plan JSON schema that :func:`timeline_from_json` reads.
PLAN_SCHEMA = "taperplan.plan/1"


# --- errors ----------------------------------------------------------------------


# --- the log ---------------------------------------------------------------------


def _scale_key(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    scale(value)  # raises CatalogueError, with close matches


@attrs.frozen
class ScaleTotal:
    """A withdrawal-scale total recorded without its item scores.

    Build it with :meth:`of`, which checks the total against the scale; a
    full answer set is a :class:`~taperplan.ScaleResult` instead.
    """

    scale: str = attrs.field(validator=_scale_key)
    total: int
    maximum: int
    band: Band | None
    source: str

    @classmethod
    def of(cls, scale_key: str, total: int) -> ScaleTotal:
        """The total ``total`` of the packaged scale ``scale_key``.

        Raises:
            CatalogueError: for an unknown scale.
            InvalidScoreError: when ``total`` is not a whole number from 0 to
                the scale's maximum.
        """
        found = scale(scale_key)
        if isinstance(total, bool) or not isinstance(total, int) or not 0 <= total <= found.maximum:
            raise InvalidScoreError(
                scale_key,
                [
                    Problem(
                        "total",
                        f"{total!r} is not a whole number from 0 to {found.maximum}",
                        f"give the total from 0 to {found.maximum}",
                    )
                ],
            )
        return cls(
            scale=scale_key,
            total=total,
            maximum=found.maximum,
            band=found.band_for(total),
            source=found.source,
        )

    def __str__(self) -> str:
        band = f" ({self.band.label})" if self.band is not None else ""
        return f"{self.scale} {self.total}/{self.maximum}{band}"


#: A scale recorded in a log entry: every item scored, or only the total.
ScaleReading: TypeAlias = ScaleResult | ScaleTotal


def _is_day(_instance: object, attribute: attrs.Attribute[dt.date], value: object) -> None:
    # A datetime is a date in Python; a log entry is about a whole day.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError(f"{attribute.name} must be a datetime.date, not {type(value).__name__}")


def _is_pain(_instance: object, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError(f"{attribute.name} must be a whole number from 0 to 10, not {value!r}")


_optional_bool = v.optional(v.instance_of(bool))


@attrs.frozen
class LogEntry:
    """What was observed on one day; every observation is optional.

    ``pain`` is on the 0–10 numeric scale; ``pain_site`` is free text
    compared case-insensitively with the log's first site; a boolean left
    None means "not asked" and never counts as evidence.
    """

    day: dt.date = attrs.field(validator=_is_day)
    scale: ScaleReading | None = attrs.field(
        default=None, validator=v.optional(v.instance_of((ScaleResult, ScaleTotal)))
    )
    pain: int | None = attrs.field(default=None, validator=_is_pain)
    pain_site: str | None = attrs.field(default=None, validator=v.optional(v.instance_of(str)))
    pain_spread: bool | None = attrs.field(default=None, validator=_optional_bool)
    allodynia: bool | None = attrs.field(default=None, validator=_optional_bool)
    craving: bool | None = attrs.field(default=None, validator=_optional_bool)
    loss_of_control: bool | None = attrs.field(default=None, validator=_optional_bool)
    notes: str = attrs.field(default="", validator=v.instance_of(str))


#: A symptom log: entries sorted by day (entries of one day keep their order).
SymptomLog: TypeAlias = tuple[LogEntry, ...]


def symptom_log(entries: Iterable[LogEntry]) -> SymptomLog:
    """The entries sorted by day; entries of the same day keep their order."""
    return tuple(sorted(entries, key=lambda entry: entry.day))


# --- the plan's dates ------------------------------------------------------------


@attrs.frozen
class TimelineStep:
    """The dates of one plan step: what the review needs of a :class:`~taperplan.Step`.

    ``period`` is the number of days after which every dose of the step falls
    on the same day again (1 for daily doses, 3 for a 72-hour patch); a pause
    holds the dose for whole periods, as :meth:`TaperPlan.pause` does.
    """

    id: str
    index: int
    kind: StepKind
    start: dt.date
    end: dt.date
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    total_mme_per_day: Decimal | None = None
    period: int = attrs.field(default=1, validator=v.and_(v.instance_of(int), v.ge(1)))

    @property
    def days(self) -> int:
        """Length of the step in days."""
        return (self.end - self.start).days + 1

    @property
    def is_cut(self) -> bool:
        """Whether the dose falls at the start of this step (a cut or the stop)."""
        return self.kind is not StepKind.PAUSE

    @property
    def watch_end(self) -> dt.date:
        """The last day symptoms are expected from this step's cut (the window's end)."""
        return self.window_end if self.window_end is not None else self.end


def _steps_in_order(
    _instance: object, _attribute: attrs.Attribute[tuple[TimelineStep, ...]], steps: object
) -> None:
    if not isinstance(steps, tuple) or not steps:
        raise ValueError("a timeline needs at least one step")
    for before, after in itertools.pairwise(steps):
        if after.start != before.end + dt.timedelta(days=1):
            raise ValueError(f"step {after.id} does not start the day after step {before.id}")


@attrs.frozen
class PlanTimeline:
    """The dated steps of a plan; build with :func:`timeline_of` or :func:`timeline_from_json`.

    ``baseline_period`` is the dosing period of the regimen before the first
    cut (see :attr:`TimelineStep.period`).
    """

    plan_id: str
    revision: int
    steps: tuple[TimelineStep, ...] = attrs.field(validator=_steps_in_order)
    baseline_period: int = attrs.field(default=1, validator=v.and_(v.instance_of(int), v.ge(1)))

    @property
    def start(self) -> dt.date:
        """The first day of the plan."""
        return self.steps[0].start

    @property
    def end(self) -> dt.date:
        """The last day of the plan."""
        return self.steps[-1].end

    @property
    def stop_date(self) -> dt.date:
        """The first day with no opioid (the start of the last step)."""
        return self.steps[-1].start

    def step_on(self, day: dt.date) -> TimelineStep | None:
        """The step in effect on ``day``, or None outside the plan."""
        for step in self.steps:
            if step.start <= day <= step.end:
                return step
        return None

    def cut_before(self, day: dt.date) -> TimelineStep | None:
        """The latest cut (or stop) on or before ``day``, or None before the first."""
        found = None
        for step in self.steps:
            if step.start > day:
                break
            if step.is_cut:
                found = step
        return found

    def watching(self, day: dt.date) -> TimelineStep | None:
        """The latest cut whose watch (cut day to window end) holds ``day``, or None."""
        found = None
        for step in self.steps:
            if step.start > day:
                break
            if step.is_cut and day <= step.watch_end:
                found = step
        return found


def dosing_period(every_days: Iterable[int]) -> int:
    """The days after which doses given every ``every_days`` all fall on one day again."""
    return math.lcm(1, *every_days)


def timeline_of(plan: TaperPlan) -> PlanTimeline:
    """The dates of ``plan``'s steps."""
    return PlanTimeline(
        plan_id=plan.id,
        revision=plan.revision,
        baseline_period=dosing_period(d.every_days for m in plan.baseline for d in m.doses),
        steps=tuple(
            TimelineStep(
                id=step.id,
                index=step.index,
                kind=step.kind,
                start=step.start,
                end=step.end,
                window_start=None
                if step.withdrawal_window is None
                else step.withdrawal_window.start,
                window_end=None if step.withdrawal_window is None else step.withdrawal_window.end,
                total_mme_per_day=step.total_mme_per_day,
                period=dosing_period(d.every_days for m in step.medications for d in m.doses),
            )
            for step in plan.steps
        ),
    )


# --- rules -----------------------------------------------------------------------

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
def _rules() -> _Rules:
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
    return tuple(_rules().rules.values())


def default_pause_days() -> int:
    """How long a pause preview holds the dose unless the caller says (14 days)."""
    return _rules().pause_days


# --- results ---------------------------------------------------------------------


@attrs.frozen
class Evidence:
    """A log entry behind a flag, and what in it counted (``COWS 14/48 (moderate)``)."""

    day: dt.date
    finding: str
    entry: LogEntry


@attrs.frozen
class PausePreview:
    """What :meth:`TaperPlan.pause` ``(on=on, days=days)`` would do to the plan's dates.

    The dose is held from ``hold_from`` (``on``, or the next whole dosing
    interval) for ``held_days`` more days (``days`` rounded up to whole
    intervals), and every later step moves ``held_days`` later.
    ``next_cut_step`` is the first cut (or the stop) that moves; ``*_now``
    are its date and the stop date in the plan as it is, ``*_paused`` the
    dates after the pause.
    """

    on: dt.date
    days: int
    hold_from: dt.date
    held_days: int
    next_cut_step: str | None
    next_cut_now: dt.date | None
    next_cut_paused: dt.date | None
    stop_now: dt.date
    stop_paused: dt.date
    source: str


@attrs.frozen
class Flag:
    """One consideration for the clinician raised by the log; never a diagnosis.

    ``step_id`` is the cut the flag is about (None for a sign gathered over
    the whole log, or pain before the first cut); ``pause_preview`` is set on
    pause flags while a pause is still possible.
    """

    rule: str
    kind: FlagKind
    message: str
    evidence: tuple[Evidence, ...]
    source: str
    also: tuple[str, ...] = ()
    step_id: str | None = None
    pause_preview: PausePreview | None = None


@attrs.frozen
class Review:
    """The flags a symptom log raises against a plan on a given day.

    ``entries`` counts the entries reviewed (dated ``on`` or before);
    ``ignored`` those after ``on``. ``notes`` always carry the disclaimer.
    """

    on: dt.date
    plan_id: str
    revision: int
    pause_days: int
    flags: tuple[Flag, ...]
    entries: int
    ignored: int
    notes: tuple[Notice, ...]

    def of_kind(self, kind: FlagKind) -> tuple[Flag, ...]:
        """The flags of one kind (``"pause"``, ``"oud"``, ...)."""
        return tuple(flag for flag in self.flags if flag.kind == kind)


# --- the review ------------------------------------------------------------------


def _label(key: str) -> str:
    return str(_rules().labels.get(key, key))


def _scale_finding(reading: ScaleReading) -> str:
    band = f" ({reading.band.label})" if reading.band is not None else ""
    return f"{_label(reading.scale)} {reading.total}/{reading.maximum}{band}"


def _pain_finding(entry: LogEntry) -> str:
    site = f" at {entry.pain_site}" if entry.pain_site else ""
    return f"pain {entry.pain}/10{site}"


def _values(evidence: Sequence[Evidence]) -> str:
    return "; ".join(f"{e.finding} on {e.day.isoformat()}" for e in evidence)


def _site(text: str | None) -> str | None:
    """A pain site for comparison: case-folded, single spaces; None when empty."""
    if not text:
        return None
    return " ".join(text.casefold().split()) or None


class _Group:
    """The evidence collected for one flag: what was found, and what it was compared with."""

    def __init__(self, step: TimelineStep | None) -> None:
        self.step = step
        self.found: list[Evidence] = []
        self.compared: list[Evidence] = []
        self.fields: dict[str, str] = {}

    def add(self, entry: LogEntry, finding: str) -> None:
        self.found.append(Evidence(entry.day, finding, entry))

    def compare(self, entry: LogEntry, finding: str) -> None:
        if all(e.entry is not entry for e in self.compared):
            self.compared.append(Evidence(entry.day, finding, entry))

    def message_fields(self) -> dict[str, str]:
        step = self.step
        fields = {
            "values": _values(self.found),
            "dates": ", ".join(dict.fromkeys(e.day.isoformat() for e in self.found)),
            "baseline": _values(self.compared),
            "cut": "" if step is None else step.start.isoformat(),
            "window_end": "" if step is None else step.watch_end.isoformat(),
            "peak": "",
        }
        fields.update(self.fields)
        return fields

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        # The entries compared with come first on their day: they were before.
        marked = [attrs.evolve(e, finding=f"{e.finding} (compared with)") for e in self.compared]
        return tuple(sorted([*marked, *self.found], key=lambda e: e.day))


class _Reviewer:
    """The rules' logic over one timeline and the entries up to ``on``."""

    def __init__(self, timeline: PlanTimeline, entries: Sequence[LogEntry]) -> None:
        self.timeline = timeline
        self.entries = entries
        self.settled = [timeline.watching(e.day) is None for e in entries]
        self.original_site = next(
            (site for e in entries if (site := _site(e.pain_site)) is not None), None
        )
        self._baselines: dict[tuple[str, str], LogEntry | None] = {}

    def baseline(self, scale_key: str, cut: TimelineStep) -> LogEntry | None:
        """The last settled entry of ``scale_key`` before ``cut``.

        Only settled entries count, so symptoms still settling from an earlier
        cut neither lower nor raise the bar for this one.
        """
        key = (scale_key, cut.id)
        if key not in self._baselines:
            found = None
            for entry, settled in zip(self.entries, self.settled, strict=True):
                if entry.day >= cut.start:
                    break
                if settled and entry.scale is not None and entry.scale.scale == scale_key:
                    found = entry
            self._baselines[key] = found
        return self._baselines[key]

    def clear_rise(self, rule: ReviewRule, entry: LogEntry, cut: TimelineStep) -> LogEntry | None:
        """The baseline entry when ``entry``'s SOWS total is a clear rise above it."""
        if entry.scale is None or (points := rule.rise_for(entry.scale.scale)) is None:
            return None
        base = self.baseline(entry.scale.scale, cut)
        if base is None or base.scale is None:
            return None
        return base if entry.scale.total >= base.scale.total + points else None

    def symptomatic(
        self, rule: ReviewRule, entry: LogEntry, cut: TimelineStep, group: _Group
    ) -> None:
        """Add ``entry`` to ``group`` if it meets the rule's COWS total or SOWS rise."""
        reading = entry.scale
        if reading is None:
            return
        if rule.scale == reading.scale and rule.at_least is not None:
            if reading.total >= rule.at_least:
                group.add(entry, _scale_finding(reading))
        elif (base := self.clear_rise(rule, entry, cut)) is not None and base.scale is not None:
            group.add(entry, _scale_finding(reading))
            group.compare(base, _scale_finding(base.scale))

    def after_cut(self, rule: ReviewRule) -> list[_Group]:
        """Entries in a cut's watch (or the stop's) that meet the rule."""
        wanted = StepKind.STOP if rule.applies_to == "stop" else StepKind.CUT
        groups: dict[str, _Group] = {}
        for entry in self.entries:
            cut = self.timeline.watching(entry.day)
            if cut is not None and cut.kind is wanted:
                self.symptomatic(rule, entry, cut, groups.setdefault(cut.id, _Group(cut)))
        return [g for g in groups.values() if g.found]

    def past_window(self, rule: ReviewRule) -> list[_Group]:
        """Settled entries after a cut (past every window) that meet the rule."""
        groups: dict[str, _Group] = {}
        for entry, settled in zip(self.entries, self.settled, strict=True):
            cut = self.timeline.cut_before(entry.day)
            if cut is not None and settled:
                self.symptomatic(rule, entry, cut, groups.setdefault(cut.id, _Group(cut)))
        return [g for g in groups.values() if g.found]

    def sign(self, finding: str, has: Callable[[LogEntry], bool | None]) -> list[_Group]:
        """Every entry where a sign is stated true, as one flag."""
        group = _Group(None)
        for entry in self.entries:
            if has(entry) is True:
                details = [_pain_finding(entry)] if entry.pain is not None else []
                details += [entry.notes] if entry.notes else []
                group.add(entry, f"{finding} ({'; '.join(details)})" if details else finding)
        return [group] if group.found else []

    def pain_rise(self, rule: ReviewRule) -> list[_Group]:
        """Pain up by ``pain_rise`` from the lowest earlier pain with no cut between,
        on a settled day."""
        rise = rule.pain_rise or 0
        groups: dict[str | None, _Group] = {}
        lowest: dict[str | None, tuple[LogEntry, int]] = {}
        for entry, settled in zip(self.entries, self.settled, strict=True):
            if entry.pain is None:
                continue
            cut = self.timeline.cut_before(entry.day)
            key = None if cut is None else cut.id
            low = lowest.get(key)
            if (
                low is not None
                and low[0].day < entry.day
                and settled
                and entry.pain >= low[1] + rise
            ):
                group = groups.setdefault(key, _Group(cut))
                group.compare(low[0], _pain_finding(low[0]))
                group.add(entry, _pain_finding(entry))
            if low is None or entry.pain < low[1]:
                lowest[key] = (entry, entry.pain)
        return list(groups.values())

    def at_site(self, entry: LogEntry) -> bool:
        """Pain recorded at the original site, without spread or allodynia."""
        site = _site(entry.pain_site)
        return (
            entry.pain is not None
            and entry.pain_spread is not True
            and entry.allodynia is not True
            and (site is None or self.original_site is None or site == self.original_site)
        )

    def follows_dose(self, rule: ReviewRule) -> list[_Group]:
        """Pain at the original site up after a cut, then down again before the next."""
        rise = rule.pain_rise or 0
        result = []
        for cut in (s for s in self.timeline.steps if s.is_cut):
            before = [e for e in self.entries if e.day < cut.start and self.at_site(e)]
            during = [
                e
                for e in self.entries
                if self.timeline.cut_before(e.day) == cut and self.at_site(e)
            ]
            if not before:
                continue
            base = before[-1]
            base_pain = base.pain or 0
            peak: tuple[LogEntry, int] | None = None
            for entry in during:
                pain = entry.pain or 0
                if peak is not None and pain <= peak[1] - rise:
                    group = _Group(cut)
                    group.compare(base, _pain_finding(base))
                    group.add(peak[0], _pain_finding(peak[0]))
                    group.add(entry, _pain_finding(entry))
                    group.fields["peak"] = _values(group.found[:1])
                    group.fields["values"] = _values(group.found[1:])
                    result.append(group)
                    break
                rose = entry.day <= cut.watch_end and pain >= base_pain + rise
                if rose and (peak is None or pain > peak[1]):
                    peak = (entry, pain)
        return result


def _whole(days: int, period: int) -> int:
    """``days`` rounded up to whole ``period``s."""
    return -(-days // period) * period


def _preview(timeline: PlanTimeline, on: dt.date, days: int, source: str) -> PausePreview | None:
    """The dates :meth:`TaperPlan.pause` ``(on=on, days=days)`` gives, from the timeline alone.

    Mirrors the planner: the hold starts at the next whole dosing period of
    the step in effect (or postpones the next cut when that is past the
    step's end), lasts whole periods of the dose held, and moves every later
    step by that many days. None where the plan cannot be paused.
    """
    step = timeline.step_on(on)
    if step is None or (step.kind is StepKind.STOP and on > step.start):
        return None
    before = _whole((on - step.start).days, step.period)
    if before >= step.days:
        if step.index + 1 >= len(timeline.steps):
            return None
        step = timeline.steps[step.index + 1]
        before = 0
    if before == 0:
        held = (
            timeline.baseline_period if step.index == 0 else timeline.steps[step.index - 1].period
        )
        first_moved = step.start
    else:
        held = step.period
        first_moved = step.end + dt.timedelta(days=1)
    shift = _whole(days, held)
    moved = dt.timedelta(days=shift)
    following = [s for s in timeline.steps if s.start >= first_moved and s.is_cut]
    return PausePreview(
        on=on,
        days=days,
        hold_from=step.start + dt.timedelta(days=before),
        held_days=shift,
        next_cut_step=following[0].id if following else None,
        next_cut_now=following[0].start if following else None,
        next_cut_paused=following[0].start + moved if following else None,
        stop_now=timeline.stop_date,
        stop_paused=timeline.stop_date + moved,
        source=source,
    )


def review(
    plan: TaperPlan | PlanTimeline,
    log: Iterable[LogEntry],
    *,
    on: dt.date,
    pause_days: int | None = None,
) -> Review:
    """Review a symptom log against a plan, as of the day ``on``.

    Pure: the same plan, log and ``on`` give the same review. Entries dated
    after ``on`` are ignored (counted in ``ignored``).

    Args:
        plan: the plan, or its :class:`PlanTimeline` (from plan JSON).
        log: the entries, in any order.
        on: "today" for the review; taperplan never reads the clock.
        pause_days: how long the pause previews hold the dose (default
            :func:`default_pause_days`, 14).

    Returns:
        The flags by kind (pause first) and date, each with its evidence and
        source; a pause flag previews the dates a pause from the day after its
        evidence (or from ``on``, if later) would give.

    Raises:
        ValueError: ``pause_days`` is not a whole number from 1 to 365.
    """
    rules = _rules()
    days = rules.pause_days if pause_days is None else pause_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ValueError(f"pause_days must be a whole number from 1 to 365, not {days!r}")
    timeline = plan if isinstance(plan, PlanTimeline) else timeline_of(plan)
    all_entries = symptom_log(log)
    entries = tuple(e for e in all_entries if e.day <= on)
    reviewer = _Reviewer(timeline, entries)
    logic: dict[str, Callable[[ReviewRule], list[_Group]]] = {
        "cows-moderate-after-cut": reviewer.after_cut,
        "sows-rise-after-cut": reviewer.after_cut,
        "cows-moderate-after-stop": reviewer.after_cut,
        "sows-rise-after-stop": reviewer.after_cut,
        "symptoms-past-window": reviewer.past_window,
        "pain-spread": lambda _: reviewer.sign(
            "pain spread beyond the original site", lambda e: e.pain_spread
        ),
        "allodynia": lambda _: reviewer.sign("allodynia", lambda e: e.allodynia),
        "pain-rise-at-steady-dose": reviewer.pain_rise,
        "pain-follows-dose": reviewer.follows_dose,
        "craving": lambda _: reviewer.sign("craving", lambda e: e.craving),
        "loss-of-control": lambda _: reviewer.sign("loss of control", lambda e: e.loss_of_control),
    }
    found = [(rule, group) for rule in rules.rules.values() for group in logic[rule.code](rule)]
    flags = [_flag(rule, group, timeline, on, days) for rule, group in found]
    flags.sort(key=lambda f: (FLAG_KINDS.index(f.kind), f.evidence[0].day))
    notes = [Notice("review-disclaimer", rules.text["disclaimer"], None)]
    if any(f.kind == "oih" for f in flags):
        notes.append(
            Notice(
                "oih-diagnosis-of-exclusion",
                rules.text["oih_exclusion"],
                rules.text["oih_exclusion_source"],
            )
        )
    return Review(
        on=on,
        plan_id=timeline.plan_id,
        revision=timeline.revision,
        pause_days=days,
        flags=tuple(flags),
        entries=len(entries),
        ignored=len(all_entries) - len(entries),
        notes=tuple(notes),
    )


def _flag(rule: ReviewRule, group: _Group, timeline: PlanTimeline, on: dt.date, days: int) -> Flag:
    message = rule.message.format(**group.message_fields())
    preview = None
    if rule.kind == "pause":
        last = max(e.day for e in group.found)
        # A pause cannot start in the past: from the day after the evidence, or today.
        pause_on = max(last + dt.timedelta(days=1), on)
        preview = _preview(timeline, pause_on, days, _rules().pause_days_source)
        if preview is None:
            message += " " + _rules().text["no_pause"].format(
                pause_on=pause_on.isoformat(), stop=timeline.stop_date.isoformat()
            )
    return Flag(
        rule=rule.code,
        kind=rule.kind,
        message=message,
        evidence=group.evidence,
        source=rule.source,
        also=rule.also,
        step_id=None if group.step is None else group.step.id,
        pause_preview=preview,
    )

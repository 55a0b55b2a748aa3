"""The rules' logic: which log entries, read against the plan's dates, raise each flag."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from taperplan.model.plan import StepKind
from taperplan.reviewing.log import LogEntry, ScaleReading
from taperplan.reviewing.results import Evidence
from taperplan.reviewing.rules import ReviewRule, rule_table
from taperplan.reviewing.timeline import PlanTimeline, TimelineStep


def _label(key: str) -> str:
    return str(rule_table().labels.get(key, key))


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


class Group:
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


class Reviewer:
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
        self, rule: ReviewRule, entry: LogEntry, cut: TimelineStep, group: Group
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

    def after_cut(self, rule: ReviewRule) -> list[Group]:
        """Entries in a cut's watch (or the stop's) that meet the rule."""
        wanted = StepKind.STOP if rule.applies_to == "stop" else StepKind.CUT
        groups: dict[str, Group] = {}
        for entry in self.entries:
            cut = self.timeline.watching(entry.day)
            if cut is not None and cut.kind is wanted:
                self.symptomatic(rule, entry, cut, groups.setdefault(cut.id, Group(cut)))
        return [g for g in groups.values() if g.found]

    def past_window(self, rule: ReviewRule) -> list[Group]:
        """Settled entries after a cut (past every window) that meet the rule."""
        groups: dict[str, Group] = {}
        for entry, settled in zip(self.entries, self.settled, strict=True):
            cut = self.timeline.cut_before(entry.day)
            if cut is not None and settled:
                self.symptomatic(rule, entry, cut, groups.setdefault(cut.id, Group(cut)))
        return [g for g in groups.values() if g.found]

    def sign(self, finding: str, has: Callable[[LogEntry], bool | None]) -> list[Group]:
        """Every entry where a sign is stated true, as one flag."""
        group = Group(None)
        for entry in self.entries:
            if has(entry) is True:
                details = [_pain_finding(entry)] if entry.pain is not None else []
                details += [entry.notes] if entry.notes else []
                group.add(entry, f"{finding} ({'; '.join(details)})" if details else finding)
        return [group] if group.found else []

    def pain_rise(self, rule: ReviewRule) -> list[Group]:
        """Pain up by ``pain_rise`` from the lowest earlier pain with no cut between,
        on a settled day."""
        rise = rule.pain_rise or 0
        groups: dict[str | None, Group] = {}
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
                group = groups.setdefault(key, Group(cut))
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

    def follows_dose(self, rule: ReviewRule) -> list[Group]:
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
                    group = Group(cut)
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

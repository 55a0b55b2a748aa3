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
from collections.abc import Callable, Iterable

from taperplan.errors import PlanningError
from taperplan.model.plan import StepKind, TaperPlan
from taperplan.planning import pause
from taperplan.reference.notices import Notice
from taperplan.reviewing.checks import Group, Reviewer
from taperplan.reviewing.log import LogEntry, symptom_log
from taperplan.reviewing.results import Flag, PausePreview, Review
from taperplan.reviewing.rules import FLAG_KINDS, ReviewRule, rule_table
from taperplan.reviewing.timeline import PlanTimeline, timeline_of


def _preview(plan: TaperPlan, on: dt.date, days: int, source: str) -> PausePreview | None:
    """What :func:`taperplan.pause` ``(plan, on=on, days=days)`` does to the plan's dates,
    read from the pause itself (so the preview and the pause never differ).

    None where the plan cannot be paused on ``on``.
    """
    try:
        paused = pause(plan, on=on, days=days)
    except PlanningError:
        return None
    before = {step.id: step for step in plan.steps}
    hold = next(step for step in paused.steps if step.id not in before)
    following = next(
        (s for s in paused.steps[hold.index + 1 :] if s.kind is not StepKind.PAUSE), None
    )
    return PausePreview(
        on=on,
        days=days,
        hold_from=hold.start,
        held_days=(paused.stop_date - plan.stop_date).days,
        next_cut_step=None if following is None else following.id,
        next_cut_now=None if following is None else before[following.id].start,
        next_cut_paused=None if following is None else following.start,
        stop_now=plan.stop_date,
        stop_paused=paused.stop_date,
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
    rules = rule_table()
    days = rules.pause_days if pause_days is None else pause_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ValueError(f"pause_days must be a whole number from 1 to 365, not {days!r}")
    timeline = plan if isinstance(plan, PlanTimeline) else timeline_of(plan)
    all_entries = symptom_log(log)
    entries = tuple(e for e in all_entries if e.day <= on)
    reviewer = Reviewer(timeline, entries)
    logic: dict[str, Callable[[ReviewRule], list[Group]]] = {
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


def _flag(rule: ReviewRule, group: Group, timeline: PlanTimeline, on: dt.date, days: int) -> Flag:
    message = rule.message.format(**group.message_fields())
    preview = None
    if rule.kind == "pause":
        last = max(e.day for e in group.found)
        # A pause cannot start in the past: from the day after the evidence, or today.
        pause_on = max(last + dt.timedelta(days=1), on)
        if timeline.plan is None:  # dates alone (a timeline built by hand): nothing to pause
            preview = None
        else:
            preview = _preview(timeline.plan, pause_on, days, rule_table().pause_days_source)
        if preview is None and timeline.plan is not None:
            message += " " + rule_table().text["no_pause"].format(
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

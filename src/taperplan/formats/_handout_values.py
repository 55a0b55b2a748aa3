"""The values the patient handout lays out, read from a plan.

:func:`handout_values` turns a :class:`~taperplan.model.plan.TaperPlan` into
plain values: dates, numbers, amounts in counted units (``1½ tablets of
15 mg``), medicine names, flags, and the packaged patient texts the page
shows, with the sources they cite. It writes no HTML and no sentence of its
own: the page's wording is in the template (``data/handout.html.j2``) and in
``data/handout.toml``; :mod:`taperplan.formats.handout` renders them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from taperplan._data import load_data
from taperplan._statement import DISCLAIMER, SAFETY
from taperplan.formats._handout_calendar import MonthGrid, month_grids
from taperplan.formats._handout_pharmacy import PharmacyFill, pharmacy
from taperplan.formats._handout_steps import (
    DailyTotal,
    Day,
    DoseLine,
    MedicineNow,
    StepNote,
    StepValues,
)
from taperplan.formats._handout_text import HandoutText, Text, dose_words, handout_text, page_words
from taperplan.formats.chart import chart_data, format_value, medication_words, plan_chart
from taperplan.model.advice import WithdrawalWindow
from taperplan.model.plan import Dose, MedicationDose, PlanKind, Step, TaperPlan
from taperplan.model.prescription import Fill
from taperplan.prescribing import prescriptions
from taperplan.reference.products import Form
from taperplan.reference.wording import product_words

# --- the values ----------------------------------------------------------------------------


@attrs.frozen
class HandoutValues:
    """Everything the handout's template shows."""

    title: str
    texts: HandoutText
    safety: str
    disclaimer: str
    plan_id: str
    revision: int
    printed: dt.date
    zone: str | None
    now: tuple[MedicineNow, ...]
    now_totals: tuple[DailyTotal, ...]
    now_figures: tuple[str, ...]
    until: dt.date
    start: dt.date
    last_dose: dt.date | None
    kind: str
    new_medicine: str
    old_continue: bool
    stop: dt.date
    how_to_take: tuple[Text, ...]
    chart: str | None
    mme: Text | None
    ylabel: str
    profiles: tuple[Text, ...]
    steps: tuple[StepValues, ...]
    check_ins: tuple[dt.date, ...]
    pharmacy: tuple[PharmacyFill, ...]
    calendar: tuple[MonthGrid, ...]
    citations: tuple[str, ...]


def handout_values(
    plan: TaperPlan,
    *,
    generated_on: dt.date,
    chart: bool,
    fills: tuple[Fill, ...] | None = None,
) -> HandoutValues:
    """What the handout of ``plan`` shows (``chart``: draw the SVG chart, with matplotlib;
    ``fills``: the prescriptions, by default every 28 days or per step)."""
    texts = handout_text()
    data = chart_data(plan)
    windows = [s.withdrawal_window for s in plan.steps if s.withdrawal_window]
    check_ins = {d for s in plan.steps for d in s.check_ins}
    steps = []
    previous = plan.baseline
    for number, step in enumerate(plan.steps, start=1):
        figures = tuple(format_value(line.values[number]) for line in data.series)
        steps.append(
            _step(plan, step, previous, figures=figures, windows=windows, check_ins=check_ins)
        )
        previous = step.medications
    how_to_take = _how_to_take(plan, texts)
    mme = texts.mme if data.unit == "MME a day" else None
    profiles = _profiles(plan, texts)
    cited = [
        texts.safety,
        *how_to_take,
        *([mme] if mme else []),
        texts.emergency,
        *texts.urgent,
        *texts.call_clinician,
        texts.naloxone_intro,
        *texts.naloxone_why,
        *texts.naloxone_steps,
        texts.withdrawal_intro,
        *texts.expect,
        *profiles,
        *texts.do,
        texts.after_stop,
    ]
    keys = {*(t.source for t in cited), *(w.source for w in windows)}
    sources = load_data("sources.toml")
    zone = plan.regimen.timezone
    return HandoutValues(
        title={
            PlanKind.TAPER: page_words().title,
            PlanKind.INITIATION: page_words().title_initiation,
            PlanKind.ROTATION: page_words().title_rotation,
        }[plan.kind],
        kind=plan.kind.value,
        new_medicine=_new_medicine(plan),
        old_continue=plan.kind is not PlanKind.TAPER
        and any(
            not p.stopped
            for p in plan.steps[-1].medications
            if p.index < len(plan.regimen.medications)
        ),
        texts=texts,
        safety=SAFETY,
        disclaimer=DISCLAIMER,
        plan_id=plan.id,
        revision=plan.revision,
        printed=generated_on,
        zone=zone.key if zone is not None else None,
        now=tuple(
            MedicineNow(
                medication_words(part),
                tuple(_dose(part, d) for d in part.doses),
                _as_needed(plan, part.index),
            )
            for part in plan.baseline
        ),
        now_totals=_totals(plan.baseline),
        now_figures=tuple(format_value(line.values[0]) for line in data.series),
        until=plan.start - dt.timedelta(days=1),
        start=plan.start,
        last_dose=_last_dose_day(plan),
        stop=plan.stop_date,
        how_to_take=how_to_take,
        chart=_svg(plan) if chart else None,
        mme=mme,
        ylabel=data.ylabel,
        profiles=profiles,
        steps=tuple(steps),
        check_ins=tuple(sorted(check_ins)),
        pharmacy=pharmacy(prescriptions(plan) if fills is None else fills),
        calendar=month_grids(steps),
        citations=tuple(sources.get(k, {}).get("citation", k) for k in sorted(filter(None, keys))),
    )


def _as_needed(plan: TaperPlan, index: int) -> int | None:
    """The most doses a day of an as-needed medication of the regimen, else None."""
    medication = plan.medication_of(index)
    prn = None if medication is None else medication.as_needed
    return None if prn is None else prn.max_doses_per_day


def _svg(plan: TaperPlan) -> str:
    """The chart as an ``<svg>`` element (the XML declaration and doctype left out)."""
    svg = plan_chart(plan, fmt="svg").decode("utf-8")
    return svg[svg.index("<svg ") :].strip()


def _dose(part: MedicationDose, dose: Dose) -> DoseLine:
    return DoseLine(
        time=f"{dose.time:%H:%M}",
        medicine=medication_words(part),
        drug=part.drug,
        form=part.form.value,
        patch=part.form is Form.PATCH,
        amount=str(dose.amount),
        units=dose_words(dose, part.form),
        how_often=dose.how_often,
    )


def _totals(parts: tuple[MedicationDose, ...]) -> tuple[DailyTotal, ...]:
    """Each taken medication's daily total."""
    return tuple(
        DailyTotal(
            medicine=medication_words(part),
            amount=str(part.daily_amount),
            patch=part.form is Form.PATCH,
            average=any(d.every_days > 1 for d in part.doses),
        )
        for part in parts
        if part.doses
    )


def _last_dose_day(plan: TaperPlan) -> dt.date | None:
    """The last day with an opioid dose; of an initiation, the last with a full agonist
    (buprenorphine continues)."""
    own = len(plan.regimen.medications) if plan.kind is not PlanKind.TAPER else None
    last = None
    for step in plan.steps:
        for offset, day in enumerate(step.dates()):
            if any(
                d.taken_on(offset)
                for part in step.medications
                if own is None or part.index < own
                for d in part.doses
            ):
                last = day
    return last


def _new_medicine(plan: TaperPlan) -> str:
    """The medicine a plan that is not a taper moves to, in plain words ("" for a taper)."""
    if plan.kind is PlanKind.TAPER or not plan.substitutes:
        return ""
    return product_words(plan.substitutes[0].product, "plain")


def _how_to_take(plan: TaperPlan, texts: HandoutText) -> tuple[Text, ...]:
    """The advice on the dosage forms (and drugs) the plan uses; splitting only when a
    dose takes a half tablet."""
    parts = [*plan.baseline, *(m for s in plan.steps for m in s.medications)]
    half = any(
        unit.count != int(unit.count) for part in parts for d in part.doses for unit in d.units
    )
    return tuple(
        Text(entry.text, entry.source)
        for entry in texts.how_to_take
        if (half or not entry.half_only)
        and any(p.form in entry.forms and (not entry.drugs or p.drug in entry.drugs) for p in parts)
    )


def _profiles(plan: TaperPlan, texts: HandoutText) -> tuple[Text, ...]:
    """When withdrawal starts, for each withdrawal profile of the plan's windows."""
    names: list[str] = []
    for step in plan.steps:
        window = step.withdrawal_window
        if window is not None and window.profile.value not in names:
            names.append(window.profile.value)
    return tuple(texts.profiles[name] for name in names)


def _rises(step: Step, plan: TaperPlan) -> bool:
    """Whether any drug's daily amount in ``step`` is above the step before (a
    re-plan from a higher dose than planned): never called "lower"."""
    before = plan.steps[step.index - 1].medications if step.index else plan.baseline

    def by_drug(parts: tuple[MedicationDose, ...]) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for part in parts:
            key = f"{part.drug} {part.daily_amount.unit.value}"
            totals[key] = totals.get(key, Decimal(0)) + part.daily_amount.amount
        return totals

    old, new = by_drug(before), by_drug(step.medications)
    return any(amount > old.get(key, Decimal(0)) for key, amount in new.items())


def _step(
    plan: TaperPlan,
    step: Step,
    previous: tuple[MedicationDose, ...],
    *,
    figures: tuple[str, ...],
    windows: list[WithdrawalWindow],
    check_ins: set[dt.date],
) -> StepValues:
    pairs = sorted(
        ((part, dose) for part in step.medications for dose in part.doses),
        key=lambda pair: (pair[1].time, pair[0].index),
    )
    grid = tuple(
        Day(
            day=day,
            taken=tuple(dose.taken_on(offset) for _, dose in pairs),
            first=offset == 0,
            check_in=day in check_ins,
            window=any(w.start <= day <= w.end for w in windows),
        )
        for offset, day in enumerate(step.dates())
    )
    return StepValues(
        id=step.id,
        number=step.index + 1,
        kind=step.kind.value,
        rises=_rises(step, plan),
        start=step.start,
        end=step.end,
        days=step.days,
        totals=_totals(step.medications),
        figures=figures,
        window=step.withdrawal_window,
        check_ins=step.check_ins,
        doses=tuple(_dose(part, dose) for part, dose in pairs),
        several=len(step.medications) > 1,
        notes=_notes(step, previous),
        grid=grid,
    )


def _notes(step: Step, previous: tuple[MedicationDose, ...]) -> tuple[StepNote, ...]:
    """The step's notes for the patient (the planner's own notes, on pacing and rules,
    are for the clinician: the JSON and the CLI carry them)."""
    notes = []
    before = {p.index: p for p in previous}
    for part in step.medications:
        old = before.get(part.index)
        if not part.doses:
            continue
        if old is None or not old.doses:
            notes.append(StepNote("starts", medicine=medication_words(part)))
        elif part.product.form is Form.ORAL_SOLUTION and part.strengths_used != old.strengths_used:
            notes.append(StepNote("strength", drug=part.drug, strengths=part.strengths_used))
    if any(n.startswith("this step (") for n in step.notes):
        notes.append(StepNote("fast"))
    return tuple(notes)

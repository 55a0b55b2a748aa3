"""What the calendar shows: each dose time's dates, and the texts of its events.

A :class:`DoseSeries` is one dose time of one medication in one step, with the
dates it is taken (as :func:`taperplan.export.plan_to_csv` lists them);
:class:`Words` writes the titles and descriptions of the calendar's events,
plain or discreet (naming no drug, no product and no withdrawal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import attrs

from taperplan.model.plan import Dose, MedicationDose, Step, StepKind, TaperPlan
from taperplan.reference.dispense import count_number, counted_noun
from taperplan.reference.products import Form
from taperplan.reference.wording import drug_words, form_words
from taperplan.units import format_decimal

_ONE_DAY = dt.timedelta(days=1)


@attrs.frozen
class DoseSeries:
    """One dose time of one medication in one step, and the dates it is taken."""

    step: Step
    part: MedicationDose
    dose: Dose
    days: tuple[dt.date, ...]


def dose_series(plan: TaperPlan) -> Iterator[DoseSeries]:
    """Every dose time of every step, in plan order, with its dates.

    A dose taken every N days falls on the step's day ``offset`` and every N
    days after it within the step; a stopped medication (or the stop step) has none.
    """
    for step in plan.steps:
        for part in step.medications:
            for dose in part.doses:
                days = tuple(
                    step.start + dt.timedelta(days=offset) for offset in dose.days_in(step.days)
                )
                yield DoseSeries(step, part, dose, days)


def label(part: MedicationDose) -> str:
    """``Oxycodone ER``, ``Hydrocodone/acetaminophen IR``, ``Fentanyl patch``."""
    name = drug_words(part.product)
    return f"{name[:1].upper()}{name[1:]} {form_words(part.form, 'short')}"


def _units(part: MedicationDose, dose: Dose) -> str:
    """``1 × 20 mg tablet``, ``1½ × 15 mg tablet + 1 × 5 mg tablet``, ``10 mL of 1 mg/mL``."""
    return " + ".join(unit.describe(part.form) for unit in dose.units)


def _unit_count(part: MedicationDose, dose: Dose) -> str:
    """How many units, without strengths: ``1 tablet``, ``1½ tablets``, ``2.5 mL``."""
    total = sum((unit.count for unit in dose.units), Decimal(0))
    if part.form is Form.ORAL_SOLUTION:
        return f"{format_decimal(total)} mL"
    return f"{count_number(total)} {counted_noun(part.form, total)}"


def _daily(part: MedicationDose) -> str:
    """``40 mg/day`` (an average for doses every N days), or ``50 mcg/h`` worn."""
    return f"{part.daily_amount}{'' if part.form is Form.PATCH else '/day'}"


def _mme(value: Decimal | None) -> str:
    return "not applicable" if value is None else format_decimal(value.quantize(Decimal("0.1")))


def _step_name(step: Step) -> str:
    """``step 3``: counted from 1 for patients (the plan's ``index`` counts from 0)."""
    return f"step {step.index + 1}"


def _step_dates(step: Step) -> str:
    return f"{step.start.isoformat()} to {step.end.isoformat()} ({step.days} days)"


def _live(step: Step) -> tuple[MedicationDose, ...]:
    return tuple(part for part in step.medications if part.doses)


class Words:
    """The texts of the calendar, plain or discreet (naming no drug)."""

    def __init__(self, plan: TaperPlan, *, discreet: bool) -> None:
        self.plan = plan
        self.discreet = discreet
        # The regimen's medications, then the finer products the plan adds (§4a rule 4),
        # numbered from 1 in that order (and any other medication of a step after them).
        indexes = dict.fromkeys(
            [
                *(part.index for part in plan.baseline),
                *(substitute.index for substitute in plan.substitutes),
                *sorted({part.index for step in plan.steps for part in step.medications}),
            ]
        )
        self.numbers = {index: number for number, index in enumerate(indexes, start=1)}
        self.several = len(self.numbers) > 1

    @property
    def window_category(self) -> str:
        """The category of withdrawal-window events (neutral when discreet)."""
        return "Symptoms" if self.discreet else "Withdrawal window"

    def calendar_name(self) -> str:
        if self.discreet:
            return f"Plan from {self.plan.start.isoformat()}"
        names = ", ".join(dict.fromkeys(label(part) for part in self.plan.baseline))
        return f"{self.plan.kind.title}: {names} from {self.plan.start.isoformat()}"

    def _medicine(self, part: MedicationDose) -> str:
        return f" (medicine {self.numbers[part.index]})" if self.several else ""

    def dose_summary(self, part: MedicationDose, dose: Dose) -> str:
        if self.discreet:
            return f"Dose{self._medicine(part)}: {_unit_count(part, dose)}"
        return f"{label(part)} {dose.amount} — {_units(part, dose)}"

    def dose_description(self, step: Step, part: MedicationDose, dose: Dose) -> str:
        take = "change to" if part.form is Form.PATCH else "take"
        when = f"{take} {_units(part, dose)} at {dose.time.strftime('%H:%M')}, {dose.how_often}."
        if self.discreet:
            return f"{when[:1].upper()}{when[1:]}\nPlan {_step_name(step)}: {_step_dates(step)}."
        return "\n".join(
            (
                f"{label(part)} {dose.amount}: {when}",
                f"{_step_name(step).capitalize()}: {_step_dates(step)}.",
                f"Daily total: {label(part)} {_daily(part)}; {_mme(part.mme_per_day)} MME/day.",
                f"Step total: {_mme(step.total_mme_per_day)} MME/day.",
                self._footer(),
            )
        )

    def step_summary(self, step: Step) -> str:
        of = f" of {len(self.plan.steps)}"
        if self.discreet:
            kind = "" if step.kind is StepKind.CUT else f" ({step.kind.value})"
            return f"Plan {_step_name(step)}{of}{kind}"
        name = _step_name(step).capitalize() + of
        if step.kind is StepKind.STOP:
            return f"{name} starts: stop (no more doses)"
        doses = ", ".join(f"{label(part)} {_daily(part)}" for part in _live(step))
        kind = " (pause)" if step.kind is StepKind.PAUSE else ""
        return f"{name} starts{kind}: {doses}"

    def step_description(self, step: Step) -> str:
        lines = [f"{'Plan ' if self.discreet else ''}{_step_name(step)}: {_step_dates(step)}."]
        if not self.discreet:
            lines[0] = lines[0][:1].upper() + lines[0][1:]
            if step.kind is StepKind.CUT:
                cut = format_decimal((step.cut_fraction * 100).quantize(Decimal("0.1")))
                lines.append(f"Cut: {cut}% ({step.cut_drug}).")
            elif step.kind is StepKind.PAUSE:
                lines.append("Pause: the doses are held.")
        lines.append("Doses:" if _live(step) else "No more doses.")
        # In the order of the day, whichever medication each dose is.
        doses = sorted(
            ((part, dose) for part in _live(step) for dose in part.doses),
            key=lambda pair: (pair[1].time, pair[0].index),
        )
        for part, dose in doses:
            what = (
                f"{_units(part, dose)}{self._medicine(part)}"
                if self.discreet
                else f"{label(part)} {dose.amount} — {_units(part, dose)}"
            )
            lines.append(f"  {dose.time.strftime('%H:%M')} {what}, {dose.how_often}")
        if not self.discreet:
            lines.append(f"Total: {_mme(step.total_mme_per_day)} MME/day.")
            lines.extend(f"Note: {note}" for note in step.notes)
            lines.append(self._footer())
        return "\n".join(lines)

    def window_summary(self, step: Step) -> str:
        if self.discreet:
            return f"Watch for symptoms (plan {_step_name(step)})"
        return f"Withdrawal window ({_step_name(step)})"

    def window_description(self, step: Step) -> str:
        window = step.withdrawal_window
        assert window is not None  # noqa: S101 - only called for steps with a window
        after = "stopping" if step.kind is StepKind.STOP else "the cut"
        span = f"{window.start.isoformat()} to {window.end.isoformat()}"
        if self.discreet:
            return f"Symptoms are most likely from {span}, after plan {_step_name(step)} starts."
        lines = [
            f"Withdrawal symptoms are most likely from {span}, after {after} on "
            f"{step.start.isoformat()} ({window.profile.value} profile"
            f"{', low confidence' if window.low_confidence else ''}).",
        ]
        if window.note:
            lines.append(window.note)
        lines.append(self._footer())
        return "\n".join(lines)

    def check_in_summary(self, step: Step) -> str:
        return f"Check-in ({'plan ' if self.discreet else ''}{_step_name(step)})"

    def check_in_description(self, step: Step, number: int) -> str:
        text = (
            f"Check-in {number} of {len(step.check_ins)} for {'plan ' if self.discreet else ''}"
            f"{_step_name(step)}: {_step_dates(step)}."
        )
        if step.kind is not StepKind.STOP:
            text += f" The next step starts on {(step.end + _ONE_DAY).isoformat()}."
        return text if self.discreet else f"{text}\n{self._footer()}"

    def _footer(self) -> str:
        return (
            f"taperplan {self.plan.id}, revision {self.plan.revision}. Decision support: "
            "follow the prescribing clinician's instructions."
        )

"""A printable handout for the patient: one self-contained HTML page.

:func:`plan_to_handout` writes the plan in plain words: the safety statement
(top and bottom), the medicines taken now and the start date, the plan at a
glance (a chart and the same figures in a table), when to get help, naloxone,
withdrawal (what to expect and what to do, with each window's dates), the
check-in dates, then the schedule step by step (what to take at each time in
tablets, millilitres or patches, and a grid with a box to tick for every dose
on every day), and last, as appendices, other help the clinician may offer
(the plan's adjuncts) and the plan's safety notes (written for the clinician).

The page carries no external CSS, scripts, fonts or images; its print styles
start each step on a new sheet, keep table rows whole and print the boxes as
boxes. Every text from the plan or the data files goes through
:func:`html.escape`. Patient-facing clinical wording lives in
``data/handout.toml``, each entry with a source.

The chart needs matplotlib (``taperplan[chart]``). With ``chart=True`` and
matplotlib missing, :func:`plan_to_handout` raises
:class:`~taperplan.formats.chart.MissingDependencyError` rather than quietly
leaving the chart out; pass ``chart=False`` for a handout without it (the
table still lists every figure the chart would show).
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cache
from html import escape
from typing import Any

import attrs

from taperplan._data import data_text, load_data
from taperplan._statement import DISCLAIMER, SAFETY
from taperplan.formats.chart import chart_data, format_value, medication_words, plan_chart
from taperplan.model.advice import Adjunct, WithdrawalWindow
from taperplan.model.plan import Dose, MedicationDose, Step, StepKind, TaperPlan
from taperplan.reference.dispense import UnitCount, count_number
from taperplan.reference.products import Form
from taperplan.units import format_decimal

TITLE = "Your opioid taper plan"

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_NOUNS = {
    Form.IR_TABLET: ("tablet", "tablets"),
    Form.ER_TABLET: ("tablet", "tablets"),
    Form.IR_CAPSULE: ("capsule", "capsules"),
    Form.ER_CAPSULE: ("capsule", "capsules"),
    Form.PATCH: ("patch", "patches"),
}
_SHORT_FORMS = {
    Form.IR_TABLET: "tablet",
    Form.ER_TABLET: "ER tablet",
    Form.IR_CAPSULE: "capsule",
    Form.ER_CAPSULE: "ER capsule",
    Form.ORAL_SOLUTION: "liquid",
    Form.PATCH: "patch",
}
#: Headings for the plan's adjunct categories, in plain words. "rule" and
#: "naloxone" have sections of their own.
_ADJUNCT_HEADINGS = {
    "withdrawal": "Medicines that may ease withdrawal",
    "pain-medicine": "Other medicines for pain",
    "non-drug": "Care without medicines",
    "referral": "Specialist care",
    "oud": "Care for opioid use disorder",
}


# --- the packaged text ---------------------------------------------------------------


@attrs.frozen
class Text:
    """One patient-facing text with its source key (``data/handout.toml``)."""

    text: str
    source: str
    when: str | None = None


@attrs.frozen
class HowToTake:
    """Advice for a dosage form (and optionally only some drugs)."""

    text: str
    source: str
    forms: tuple[Form, ...]
    drugs: tuple[str, ...] = ()
    half_only: bool = False


@attrs.frozen
class HandoutText:
    """The whole of ``data/handout.toml``, read once."""

    safety: Text
    mme: Text
    how_to_take: tuple[HowToTake, ...]
    withdrawal_intro: Text
    expect: tuple[Text, ...]
    profiles: Mapping[str, Text]
    after_stop: Text
    do: tuple[Text, ...]
    call_clinician: tuple[Text, ...]
    emergency: Text
    urgent: tuple[Text, ...]
    naloxone_intro: Text
    naloxone_why: tuple[Text, ...]
    naloxone_steps: tuple[Text, ...]


def _text(entry: Mapping[str, Any], key: str = "text") -> Text:
    return Text(text=entry[key], source=entry["source"], when=entry.get("when"))


@cache
def handout_text() -> HandoutText:
    """The packaged patient-facing texts (``data/handout.toml``), parsed once."""
    raw = load_data("handout.toml")
    withdrawal = raw["withdrawal"]
    naloxone = raw["naloxone"]
    return HandoutText(
        safety=_text(raw["safety"]),
        mme=_text(raw["mme"]),
        how_to_take=tuple(
            HowToTake(
                text=entry["text"],
                source=entry["source"],
                forms=tuple(Form(f) for f in entry["forms"]),
                drugs=tuple(entry.get("drugs", ())),
                half_only=bool(entry.get("half_only", False)),
            )
            for entry in raw["how_to_take"]
        ),
        withdrawal_intro=_text(withdrawal, "intro"),
        expect=tuple(_text(e) for e in withdrawal["expect"]),
        profiles={name: _text(e) for name, e in withdrawal["profile"].items()},
        after_stop=_text(withdrawal["after_stop"]),
        do=tuple(_text(e) for e in withdrawal["do"]),
        call_clinician=tuple(_text(e) for e in raw["call_clinician"]),
        emergency=_text(raw["emergency"]),
        urgent=tuple(_text(e) for e in raw["urgent"]),
        naloxone_intro=_text(naloxone, "intro"),
        naloxone_why=tuple(_text(e) for e in naloxone["why"]),
        naloxone_steps=tuple(_text(e) for e in naloxone["steps"]),
    )


# --- words for people ------------------------------------------------------------------


def long_date(day: dt.date) -> str:
    """``Monday 4 January 2027`` (English names whatever the locale)."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def short_date(day: dt.date) -> str:
    """``Mon 4 Jan``, for the rows of a tick grid."""
    return f"{_WEEKDAYS[day.weekday()][:3]} {day.day} {_MONTHS[day.month - 1][:3]}"


def _time(day: dt.date) -> str:
    return f'<time datetime="{day.isoformat()}">{escape(long_date(day))}</time>'


def count_words(unit: UnitCount, form: Form) -> str:
    """``1½ tablets of 15 mg``, ``2.5 mL of the 1 mg/mL liquid``, ``2 patches of 25 mcg/h``:
    each strength as printed on the product (``1 patch of 12 mcg/h`` for the patch that
    delivers 12.5)."""
    if form is Form.ORAL_SOLUTION:
        return f"{format_decimal(unit.count)} mL of the {unit.strength_text} liquid"
    singular, plural = _NOUNS[form]
    noun = plural if unit.count > 1 else singular
    return f"{count_number(unit.count)} {noun} of {unit.strength_text}"


def dose_words(dose: Dose, form: Form) -> str:
    """All the units of one dose: ``1 tablet of 15 mg + 1 tablet of 10 mg``."""
    return " + ".join(count_words(u, form) for u in dose.units)


def _how_often(dose: Dose, form: Form) -> str:
    if form is Form.PATCH:
        return f"change {dose.how_often}"
    return dose.how_often


def _last_dose_day(plan: TaperPlan) -> dt.date | None:
    last = None
    for step in plan.steps:
        for offset, day in enumerate(step.dates()):
            if any(d.taken_on(offset) for part in step.medications for d in part.doses):
                last = day
    return last


def _daily_total(part: MedicationDose) -> str:
    amount = part.daily_amount
    if part.form is Form.PATCH:
        return f"{amount} patch worn"
    average = any(d.every_days > 1 for d in part.doses)
    text = f"{format_decimal(amount.amount)} {amount.unit.value} a day"
    return text + (" on average" if average else "")


def _daily_totals(parts: tuple[MedicationDose, ...]) -> str:
    """Each taken medication's daily total, one per line (escaped HTML)."""
    return "<br>".join(
        f"{escape(medication_words(p))}: {escape(_daily_total(p))}" for p in parts if p.doses
    )


# --- the page -------------------------------------------------------------------------


@attrs.define
class _Page:
    """Writes the body of the handout, collecting the sources it cites."""

    plan: TaperPlan
    generated_on: dt.date
    chart: bool
    texts: HandoutText = attrs.field(factory=handout_text)
    sources: set[str] = attrs.field(factory=set)
    out: list[str] = attrs.field(factory=list)

    def cite(self, *keys: str | None) -> None:
        self.sources.update(k for k in keys if k)

    def say(self, item: Text) -> str:
        """The escaped text of a packaged entry, noting its source."""
        self.cite(item.source)
        return escape(item.text)

    def add(self, *html: str) -> None:
        self.out.extend(html)

    # -- sections

    def write(self) -> str:
        self.header()
        self.add("<main>")
        self.medicines_now()
        self.at_a_glance()
        self.get_help()
        self.naloxone()
        self.withdrawal()
        self.check_ins()
        self.schedule()
        self.other_help()
        self.notes()
        self.add("</main>")
        self.footer()
        return "\n".join(self.out)

    def safety_box(self, label: str) -> None:
        self.add(
            f'<div class="safety" role="note" aria-label="{escape(label)}">',
            f"<p><strong>Safety first.</strong> {self.say(self.texts.safety)}</p>",
            f"<p>{escape(SAFETY)}</p>",
            "</div>",
        )

    def header(self) -> None:
        plan = self.plan
        zone = plan.regimen.timezone
        where = (
            f"Times are local clock times ({escape(zone.key)})."
            if zone is not None
            else "Times are local clock times where you live."
        )
        self.add(
            "<header>",
            f"<h1>{escape(TITLE)}</h1>",
            '<p class="lede">A plan to lower your opioid dose slowly, step by step,'
            " with your clinician.</p>",
        )
        self.safety_box("Safety statement")
        self.add(
            f'<p class="meta">Plan {escape(plan.id)}, version {plan.revision}. '
            f"Printed on {_time(self.generated_on)}. {where}</p>",
            "</header>",
        )

    def medicines_now(self) -> None:
        plan = self.plan
        self.add('<section id="now" aria-labelledby="now-title">')
        self.add('<h2 id="now-title">Your medicines now</h2>', "<ul>")
        for part in plan.baseline:
            doses = "; ".join(
                f"{escape(str(d.amount))} at {d.time:%H:%M} ({escape(dose_words(d, part.form))},"
                f" {escape(_how_often(d, part.form))})"
                for d in part.doses
            )
            self.add(f"<li><strong>{escape(medication_words(part))}</strong>: {doses}</li>")
        self.add("</ul>")
        last = _last_dose_day(plan)
        self.add(f"<p>Your plan starts on <strong>{_time(plan.start)}</strong>.")
        if last is not None:
            self.add(f"Your last opioid dose is on <strong>{_time(last)}</strong>.")
        self.add(f"From <strong>{_time(plan.stop_date)}</strong> you take no opioid.</p>")
        advice = list(self._how_to_take())
        if advice:
            self.add("<h3>How to take your medicines</h3>", "<ul>")
            self.add(*(f"<li>{self.say(a)}</li>" for a in advice), "</ul>")
        self.add("</section>")

    def _how_to_take(self) -> Iterator[Text]:
        parts = [*self.plan.baseline, *(m for s in self.plan.steps for m in s.medications)]
        half = any(
            unit.count != int(unit.count) for part in parts for d in part.doses for unit in d.units
        )
        for entry in self.texts.how_to_take:
            used = any(
                p.form in entry.forms and (not entry.drugs or p.drug in entry.drugs) for p in parts
            )
            if used and (half or not entry.half_only):
                yield Text(entry.text, entry.source)

    def at_a_glance(self) -> None:
        plan = self.plan
        data = chart_data(plan)
        self.add('<section id="glance" aria-labelledby="glance-title">')
        self.add('<h2 id="glance-title">Your plan at a glance</h2>')
        if self.chart:
            svg = plan_chart(plan, fmt="svg").decode("utf-8")
            self.add(
                '<figure id="chart">',
                svg[svg.index("<svg ") :].strip(),
                "<figcaption>The black line is your daily dose. Hatched bands: withdrawal"
                " is possible. Dotted lines: check-ins. The table below lists the same"
                " figures.</figcaption>",
                "</figure>",
            )
        if data.unit == "MME a day":
            self.add(f"<p>{self.say(self.texts.mme)}</p>")
        self.add(
            '<table id="glance-table">',
            "<caption>Each step of your plan</caption>",
            "<thead><tr><th scope='col'>Step</th><th scope='col'>Dates</th>"
            "<th scope='col'>What changes</th><th scope='col'>What you take</th>"
            f"<th scope='col'>{escape(data.ylabel)}</th>"
            "<th scope='col'>Withdrawal possible</th><th scope='col'>Check-in</th></tr></thead>",
            "<tbody>",
        )
        until = plan.start - dt.timedelta(days=1)
        self.add(
            "<tr data-baseline='now'><th scope='row'>Now</th>",
            f"<td>until {escape(short_date(until))} {until.year}</td>",
            "<td>Your dose now</td>",
            f"<td>{_daily_totals(plan.baseline)}</td>",
            f"<td>{'<br>'.join(escape(format_value(line.values[0])) for line in data.series)}</td>",
            "<td></td><td></td></tr>",
        )
        for number, step in enumerate(plan.steps, start=1):
            figures = "<br>".join(escape(format_value(line.values[number])) for line in data.series)
            window = step.withdrawal_window
            windows = (
                ""
                if window is None
                else f"{escape(short_date(window.start))} to {escape(short_date(window.end))}"
            )
            self.add(
                f'<tr data-step="{escape(step.id)}">',
                f"<th scope='row'>{number}</th>",
                f"<td>{escape(short_date(step.start))} {step.start.year} to "
                f"{escape(short_date(step.end))} {step.end.year}</td>",
                f"<td>{escape(_change_words(step, plan))}</td>",
                f"<td>{_daily_totals(step.medications) or 'no opioid'}</td>",
                f"<td>{figures}</td>",
                f"<td>{windows}</td>",
                f"<td>{'<br>'.join(escape(short_date(d)) for d in step.check_ins)}</td>",
                "</tr>",
            )
        self.add("</tbody></table>", "</section>")

    def get_help(self) -> None:
        texts = self.texts
        self.add('<section id="help" aria-labelledby="help-title">')
        self.add('<h2 id="help-title">When to get help</h2>')
        self.add(
            '<div class="urgent" role="note" aria-label="Emergency">',
            f"<p><strong>{self.say(texts.emergency)}</strong></p>",
            "<ul>",
            *(f"<li>{self.say(t)}</li>" for t in texts.urgent),
            "</ul>",
            "</div>",
            "<h3>Call your clinician soon if</h3>",
            "<ul>",
            *(f"<li>{self.say(t)}</li>" for t in texts.call_clinician),
            "</ul>",
            "</section>",
        )

    def naloxone(self) -> None:
        texts = self.texts
        self.add('<section id="naloxone" aria-labelledby="naloxone-title">')
        self.add('<h2 id="naloxone-title">Naloxone: keep it close</h2>')
        self.add(f"<p>{self.say(texts.naloxone_intro)}</p>")
        self.add(*(f"<p>{self.say(t)}</p>" for t in texts.naloxone_why))
        self.add("<ul>", *(f"<li>{self.say(t)}</li>" for t in texts.naloxone_steps), "</ul>")
        self.add("</section>")

    def withdrawal(self) -> None:
        plan = self.plan
        texts = self.texts
        self.add('<section id="withdrawal" aria-labelledby="withdrawal-title">')
        self.add('<h2 id="withdrawal-title">Withdrawal: what to expect and what to do</h2>')
        self.add(f"<p>{self.say(texts.withdrawal_intro)}</p>", "<ul>")
        self.add(
            *(
                f"<li><strong>{escape(t.when or '')}:</strong> {self.say(t)}</li>"
                for t in texts.expect
            )
        )
        self.add("</ul>")
        profiles = []
        for step in plan.steps:
            window = step.withdrawal_window
            if window is not None and window.profile.value not in profiles:
                profiles.append(window.profile.value)
        for name in profiles:
            self.add(f"<p>{self.say(texts.profiles[name])}</p>")
        self.add("<h3>What to do</h3>", "<ul>")
        self.add(*(f"<li>{self.say(t)}</li>" for t in texts.do), "</ul>")
        windowed = [s for s in plan.steps if s.withdrawal_window is not None]
        if windowed:
            self.add(
                '<table id="windows">',
                "<caption>When withdrawal is possible</caption>",
                "<thead><tr><th scope='col'>Step</th><th scope='col'>Dose goes down on</th>"
                "<th scope='col'>Withdrawal possible from</th><th scope='col'>to</th></tr></thead>",
                "<tbody>",
            )
            for step in windowed:
                window = step.withdrawal_window
                assert window is not None  # noqa: S101 - filtered above
                self.cite(window.source)
                change = "stop" if step.kind is StepKind.STOP else long_date(step.start)
                self.add(
                    f"<tr><th scope='row'>{step.index + 1}</th><td>{escape(change)}</td>"
                    f"<td>{_time(window.start)}</td><td>{_time(window.end)}</td></tr>"
                )
            self.add("</tbody></table>")
        self.add(f"<p>{self.say(texts.after_stop)}</p>", "</section>")

    def check_ins(self) -> None:
        days = sorted({d for s in self.plan.steps for d in s.check_ins})
        self.add('<section id="check-ins" aria-labelledby="check-ins-title">')
        self.add(
            '<h2 id="check-ins-title">Check-ins with your clinician</h2>',
            "<p>A check-in is a visit or a call with your clinician to see how you are doing"
            " before the next change. Bring this page.</p>",
            "<ul>",
            *(f"<li>{_time(d)}</li>" for d in days),
            "</ul>",
            "</section>",
        )

    def other_help(self) -> None:
        groups: dict[str, list[Adjunct]] = {}
        avoid: list[Adjunct] = []
        for adjunct in self.plan.adjuncts:
            if adjunct.category not in _ADJUNCT_HEADINGS:
                continue
            (avoid if adjunct.avoid else groups.setdefault(adjunct.category, [])).append(adjunct)
        if not groups and not avoid:
            return
        self.add('<section id="other-help" class="appendix" aria-labelledby="other-help-title">')
        self.add(
            '<h2 id="other-help-title">Other help your clinician may offer</h2>',
            "<p>Ask your clinician about these. Take a medicine only if your clinician"
            " prescribes it or agrees, and they will tell you the dose.</p>",
        )
        for category, heading in _ADJUNCT_HEADINGS.items():
            entries = groups.get(category)
            if entries:
                self.add(f"<h3>{escape(heading)}</h3>", "<ul>")
                self.add(*(self._adjunct(a) for a in entries), "</ul>")
        if avoid:
            self.add("<h3>Not advised for you</h3>", "<ul>")
            self.add(*(self._adjunct(a) for a in avoid), "</ul>")
        self.add("</section>")

    def _adjunct(self, adjunct: Adjunct) -> str:
        self.cite(adjunct.source, *(c.source for c in adjunct.cautions))
        target = f" (for {escape(adjunct.target)})" if adjunct.target else ""
        cautions = "".join(f"<br>Caution: {escape(c.text)}" for c in adjunct.cautions)
        return (
            f'<li data-adjunct="{escape(adjunct.key)}"><strong>{escape(adjunct.name)}</strong>'
            f"{target}. {escape(adjunct.reason)}{cautions}</li>"
        )

    def notes(self) -> None:
        warnings = self.plan.warnings
        if not warnings:
            return
        self.add('<section id="notes" aria-labelledby="notes-title">')
        self.add(
            '<h2 id="notes-title">Safety notes for you and your clinician</h2>',
            "<p>These notes are written for your clinician. Ask about any you do not"
            " understand.</p>",
            "<ul>",
        )
        for warning in warnings:
            self.cite(warning.source)
            self.add(f'<li data-code="{escape(warning.code)}">{escape(warning.message)}</li>')
        self.add("</ul>", "</section>")

    def schedule(self) -> None:
        self.add('<section id="schedule" aria-labelledby="schedule-title">')
        self.add(
            '<h2 id="schedule-title">Your schedule, step by step</h2>',
            "<p>Each step starts on a new page. Tick a box each time you take a dose."
            " A dash (–) means no dose at that time on that day.</p>",
        )
        windows = [s.withdrawal_window for s in self.plan.steps if s.withdrawal_window]
        check_ins = {d for s in self.plan.steps for d in s.check_ins}
        previous = self.plan.baseline
        for step in self.plan.steps:
            _StepWriter(self, step, windows, check_ins, previous).write()
            previous = step.medications
        self.add("</section>")

    def footer(self) -> None:
        self.add("<footer>", '<h2 id="safety-title">Please remember</h2>')
        self.safety_box("Safety statement (repeated)")
        self.add(f"<p>{escape(DISCLAIMER)}</p>")
        sources = load_data("sources.toml")
        self.add(
            '<section class="sources" aria-labelledby="sources-title">',
            '<h3 id="sources-title">Where this advice comes from</h3>',
            "<ul>",
        )
        for key in sorted(self.sources):
            citation = sources.get(key, {}).get("citation", key)
            self.add(f"<li>{escape(citation)}</li>")
        self.add("</ul>", "</section>", "</footer>")


def _change_words(step: Step, plan: TaperPlan) -> str:
    if step.kind is StepKind.STOP:
        return "Stop: no opioid"
    if step.kind is StepKind.PAUSE:
        return "Same dose (a pause)"
    if _rises(step, plan):
        return "Dose changes (re-planned)"
    return "Lower dose"


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


@attrs.define
class _StepWriter:
    """One step: what to take, its window and check-in, and its tick grid."""

    page: _Page
    step: Step
    windows: list[WithdrawalWindow]
    check_ins: set[dt.date]
    previous: tuple[MedicationDose, ...]
    rises: bool = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        # Worked out once: each day's row of the step reads it.
        self.rises = _rises(self.step, self.page.plan)

    @property
    def number(self) -> int:
        return self.step.index + 1

    def columns(self) -> list[tuple[MedicationDose, Dose]]:
        pairs = [(part, dose) for part in self.step.medications for dose in part.doses]
        return sorted(pairs, key=lambda pair: (pair[1].time, pair[0].index))

    def write(self) -> None:
        step = self.step
        page = self.page
        title = f"step-{self.number}-title"
        kind = " (stop)" if step.kind is StepKind.STOP else ""
        page.add(
            f'<section class="step" id="step-{self.number}" data-step="{escape(step.id)}"'
            f' aria-labelledby="{title}">',
            f'<h3 id="{title}">Step {self.number}{kind}: {_time(step.start)} to'
            f" {_time(step.end)} ({step.days} days)</h3>",
        )
        if step.kind is StepKind.STOP:
            page.add(
                f"<p><strong>No opioid from {_time(step.start)}.</strong> Keep your naloxone"
                " close: your body is now used to no opioid.</p>"
            )
        elif step.kind is StepKind.PAUSE:
            page.add("<p>Same dose as the step before: a pause.</p>")
        elif self.rises:
            page.add(
                f"<p>Your dose changes on {_time(step.start)}: the plan was re-planned from"
                " the dose you take now.</p>"
            )
        else:
            page.add(f"<p>Your dose goes down on {_time(step.start)}.</p>")
        self.doses_table()
        window = step.withdrawal_window
        if window is not None:
            page.add(
                f"<p><strong>Withdrawal possible:</strong> {_time(window.start)} to"
                f" {_time(window.end)}. See “What to do” above.</p>"
            )
        if step.check_ins:
            days = ", ".join(_time(d) for d in step.check_ins)
            page.add(f"<p><strong>Check-in:</strong> {days}.</p>")
        for note in self.patient_notes():
            page.add(f"<p><strong>Note:</strong> {escape(note)}</p>")
        self.grid()
        page.add("</section>")

    def patient_notes(self) -> list[str]:
        """The step's notes in the patient's words (the planner's own notes, on
        pacing and rules, are for the clinician: the JSON and the CLI carry them)."""
        step = self.step
        notes = []
        before = {p.index: p for p in self.previous}
        for part in step.medications:
            old = before.get(part.index)
            if not part.doses:
                continue
            if old is None or not old.doses:
                notes.append(
                    f"A medicine starts in this step: {medication_words(part)}. Your"
                    " clinician prescribes it; take it as the table shows."
                )
            elif (
                part.product.form is Form.ORAL_SOLUTION
                and part.strengths_used != old.strengths_used
            ):
                notes.append(
                    f"Your {part.drug} oral solution is a different strength from this"
                    f" step ({', '.join(part.strengths_used)}). Use only the new bottle and"
                    " measure each dose in mL with the syringe."
                )
        if any(n.startswith("this step (") for n in step.notes):
            notes.append(
                "The next change may come before withdrawal symptoms settle. If they"
                " are troublesome, ask your clinician about a pause."
            )
        return notes

    def doses_table(self) -> None:
        columns = self.columns()
        if not columns:
            return
        self.page.add(
            "<table class='doses'>",
            "<caption>What to take in this step</caption>",
            "<thead><tr><th scope='col'>Time</th><th scope='col'>Medicine</th>"
            "<th scope='col'>Dose</th><th scope='col'>How many</th>"
            "<th scope='col'>How often</th></tr></thead>",
            "<tbody>",
        )
        for part, dose in columns:
            self.page.add(
                f"<tr><th scope='row'>{dose.time:%H:%M}</th>"
                f"<td>{escape(medication_words(part))}</td>"
                f"<td>{escape(str(dose.amount))}</td>"
                f"<td>{escape(dose_words(dose, part.form))}</td>"
                f"<td>{escape(_how_often(dose, part.form))}</td></tr>"
            )
        self.page.add("</tbody></table>")

    def _header(self, part: MedicationDose, dose: Dose) -> str:
        several = len(self.step.medications) > 1
        what = f"{part.drug} {_SHORT_FORMS[part.form]}" if several else ""
        if part.form is Form.PATCH:
            what = f"{what} change".strip()
        return f"{dose.time:%H:%M}" + (f"<br>{escape(what)}" if what else "")

    def _notes(self, offset: int, day: dt.date) -> list[str]:
        notes = []
        if offset == 0:
            notes.append(
                {
                    StepKind.CUT: "Re-planned dose starts" if self.rises else "Lower dose starts",
                    StepKind.PAUSE: "Same dose continues",
                    StepKind.STOP: "No opioid from today",
                }[self.step.kind]
            )
        if day in self.check_ins:
            notes.append("Check-in")
        if any(w.start <= day <= w.end for w in self.windows):
            notes.append("Withdrawal possible")
        return notes

    def grid(self) -> None:
        page = self.page
        columns = self.columns()
        headers = (
            [self._header(part, dose) for part, dose in columns] if columns else ["Opioid doses"]
        )
        page.add(
            "<table class='ticks'>",
            "<caption>"
            + ("Tick each dose when you take it" if columns else "Days after stopping")
            + "</caption>",
            "<thead><tr><th scope='col'>Day</th>"
            + "".join(f"<th scope='col'>{h}</th>" for h in headers)
            + "<th scope='col'>Notes</th></tr></thead>",
            "<tbody>",
        )
        for offset, day in enumerate(self.step.dates()):
            notes = self._notes(offset, day)
            classes = []
            if "Withdrawal possible" in notes:
                classes.append("window")
            if "Check-in" in notes:
                classes.append("check-in")
            if offset == 0:
                classes.append("change")
            cls = f' class="{" ".join(classes)}"' if classes else ""
            cells = (
                [self._cell(part, dose, offset) for part, dose in columns]
                if columns
                else ["<td>none</td>"]
            )
            page.add(
                f'<tr data-date="{day.isoformat()}"{cls}>'
                f"<th scope='row'>{escape(short_date(day))}</th>"
                + "".join(cells)
                + f"<td class='notes'>{escape('; '.join(notes))}</td></tr>"
            )
        page.add("</tbody></table>")

    @staticmethod
    def _cell(part: MedicationDose, dose: Dose, offset: int) -> str:
        if dose.taken_on(offset):
            label = f"{dose.time:%H:%M} {part.drug}: tick when taken"
            return (
                f'<td class="tick"><span class="box" role="img"'
                f' aria-label="{escape(label)}"></span></td>'
            )
        return '<td class="tick"><span class="no-dose" aria-label="no dose">–</span></td>'


@cache
def _template() -> string.Template:
    return string.Template(data_text("handout.html"))


def plan_to_handout(plan: TaperPlan, *, generated_on: dt.date, chart: bool = True) -> str:
    """The plan as a printable, self-contained HTML page for the patient.

    Args:
        plan: the plan to hand out.
        generated_on: the date printed on the page (taperplan never reads
            the clock itself).
        chart: include the dose-over-time chart as inline SVG (needs the
            ``chart`` extra, matplotlib). The table of the plan lists the same
            figures either way.

    Returns:
        A complete HTML document (``lang="en"``), deterministic: the same plan
        and date give the same text.

    Raises:
        MissingDependencyError: ``chart`` is true and matplotlib is not
            installed; install ``taperplan[chart]`` or pass ``chart=False``.
    """
    body = _Page(plan, generated_on, chart).write()
    return _template().substitute(title=escape(TITLE), body=body)

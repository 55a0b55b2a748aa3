"""The patient handout (``taperplan.formats.handout``) and the dose chart (``taperplan.formats.chart``).

The handout is checked as text (every step, date, dose and box; escaping; the
safety statement; a golden file), as a document rendered by headless Chromium
(the DOM and a printed PDF) and against the CSV export (one box per dose). The
chart is checked as XML and PNG bytes, for determinism across processes, and
without matplotlib.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import textwrap
import unicodedata
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings

from strategies import PlanningCase, planning_cases
from support import DATA, GOLDEN, TAPENTADOL_TID, golden_bytes, in_ci
from taperplan import (
    PlanningError,
    TaperplanError,
    load_regimen,
    plan_taper,
    prescriptions,
    regimen_from_mapping,
)
from taperplan._data import load_data
from taperplan._statement import DISCLAIMER
from taperplan.cli.render import SAFETY
from taperplan.formats.chart import MissingDependencyError, chart_data, plan_chart
from taperplan.formats.csv import plan_to_csv
from taperplan.formats.handout import HowToTake, Text, handout_text, plan_to_handout
from taperplan.formats.regimen import parse_regimen
from taperplan.model.plan import StepKind, TaperPlan
from taperplan.reference.notices import Notice
from taperplan.reference.products import WithdrawalProfile

SAMPLE = str(resources.files("taperplan") / "data" / "sample-regimen.toml")
REGIMENS = DATA / "regimens"
GOLDEN = GOLDEN / "handout-sample.html"
START = dt.date(2027, 1, 4)
PRINTED = dt.date(2026, 12, 20)
SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

BUPRENORPHINE_AND_OXYCODONE = """
[[medication]]
drug = "buprenorphine"
form = "patch"
strength = ["5 mcg/h", "10 mcg/h"]
dose = "20 mcg/h"
times = ["09:00"]
every_days = 7

[[medication]]
drug = "oxycodone"
form = "ir_tablet"
strength = "5 mg"
dose = "5 mg"
times = ["08:00", "20:00"]

[pace]
preset = "va-faster"
"""

OLDER_PATIENT_ON_LIQUID = """
[context]
age = 70

[[medication]]
drug = "oxycodone"
form = "oral_solution"
strength = "1 mg/mL"
dose = "10 mg"
times = ["08:00", "20:00"]

[pace]
preset = "va-faster"
"""


def sample_plan() -> TaperPlan:
    """The embedded sample regimen (oxycodone ER 20 mg twice a day) from 2027-01-04."""
    return plan_taper(load_regimen(SAMPLE), start=START)


def regimen_plan(name: str) -> TaperPlan:
    """A plan of one of the test regimens in tests/data/regimens."""
    return plan_taper(load_regimen(str(REGIMENS / f"{name}.toml")), start=START)


class _Tags(HTMLParser):
    """Collects start tags with their attributes and checks that elements nest."""

    VOID = frozenset({"meta", "br", "link", "img", "input", "hr", "col", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Tags:
    """The tags of ``html``; fails when elements do not nest properly."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    return parser


def with_class(tags: _Tags, tag: str, cls: str) -> list[dict[str, str | None]]:
    """The attributes of every ``tag`` whose class list holds ``cls``."""
    return [a for t, a in tags.starts if t == tag and cls in (a.get("class") or "").split()]


def svg_root(data: bytes) -> ET.Element:
    """The parsed SVG (taperplan's own output, so the stdlib parser is safe here)."""
    return ET.fromstring(data)  # noqa: S314 - not untrusted input


def dose_rows(plan: TaperPlan) -> int:
    """How many doses the plan lists, counted by the CSV export (one row per dose)."""
    return len(plan_to_csv(plan).splitlines()) - 1


# --- the packaged text ---------------------------------------------------------------


class TestHandoutText:
    """data/handout.toml: cited, complete, and free of numbers."""

    def test_every_source_key_is_in_sources_toml(self) -> None:
        """Every ``source`` and ``also`` in handout.toml is a key that sources.toml defines."""
        sources = set(load_data("sources.toml"))
        found: list[tuple[str, str]] = []

        def walk(value: object, where: str) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if key in {"source", "also"}:
                        found.append((f"{where}.{key}", item))
                    else:
                        walk(item, f"{where}.{key}")
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, f"{where}[{index}]")

        walk(load_data("handout.toml"), "handout")
        assert len(found) >= 30
        assert [(path, key) for path, key in found if key not in sources] == []

    def test_every_entry_with_text_has_a_source(self) -> None:
        """Every table that holds patient text (``text`` or ``intro``) also names its source."""
        missing: list[str] = []

        def walk(value: object, where: str) -> None:
            if isinstance(value, dict):
                if ("text" in value or "intro" in value) and "source" not in value:
                    missing.append(where)
                for key, item in value.items():
                    walk(item, f"{where}.{key}")
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, f"{where}[{index}]")

        walk(load_data("handout.toml"), "handout")
        assert missing == []

    def test_every_withdrawal_profile_has_patient_words(self) -> None:
        """Each withdrawal profile of the catalogue has a plain-words note for the patient."""
        assert set(handout_text().profiles) == {p.value for p in WithdrawalProfile}

    def test_texts_carry_no_numbers(self) -> None:
        """Patient texts hold no digits (amounts and dates come from the plan), except 911."""
        text = handout_text()
        entries: list[Text | HowToTake] = [
            text.safety,
            text.mme,
            text.withdrawal_intro,
            text.after_stop,
            text.naloxone_intro,
            *text.how_to_take,
            *text.expect,
            *text.profiles.values(),
            *text.do,
            *text.call_clinician,
            *text.urgent,
            *text.naloxone_why,
            *text.naloxone_steps,
        ]
        assert [e.text for e in entries if re.search(r"\d", e.text)] == []
        assert re.findall(r"\d+", text.emergency.text) == ["911"]


# --- the handout as text ---------------------------------------------------------------


class TestPlanToHandout:
    """plan_to_handout: one self-contained page with every step, date and dose."""

    def test_golden_sample_without_chart(self) -> None:
        """The sample plan's handout (without the chart) matches the reviewed golden file."""
        html = plan_to_handout(sample_plan(), generated_on=PRINTED, chart=False)
        expected = golden_bytes(GOLDEN, html.encode("utf-8")).decode("utf-8")
        assert html == expected, (
            "the handout changed; review it, then regenerate tests/golden/handout-sample.html"
        )

    def test_same_plan_gives_the_same_text(self) -> None:
        """Two handouts of the same plan and date are identical, chart included."""
        first = plan_to_handout(sample_plan(), generated_on=PRINTED)
        second = plan_to_handout(sample_plan(), generated_on=PRINTED)
        assert first == second
        assert first.encode("utf-8") == second.encode("utf-8")

    def test_self_contained_document(self) -> None:
        """The page is English HTML with inline styles and no external resource of any kind."""
        html = plan_to_handout(sample_plan(), generated_on=PRINTED)
        assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
        tags = parse(html)
        names = [t for t, _ in tags.starts]
        for forbidden in ("script", "link", "img", "iframe", "object", "embed"):
            assert forbidden not in names
        assert names.count("style") == 2  # the page's and matplotlib's inside the SVG
        assert names.count("h1") == 1
        assert names.count("svg") == 1
        assert "@import" not in html
        assert re.findall(r"url\((?!#)", html) == []
        assert not [a for _, a in tags.starts if "src" in a or "href" in a]
        assert "@media print" in html

    def test_safety_statement_at_top_and_bottom(self) -> None:
        """The safety statement opens and closes the page; the disclaimer closes it too."""
        html = plan_to_handout(sample_plan(), generated_on=PRINTED, chart=False)
        safety = "taperplan is decision support for clinicians. It is not medical advice"
        assert SAFETY.startswith(safety)
        assert html.count(SAFETY) == 2
        assert html.index(SAFETY) < html.index("Your medicines now")
        assert html.rindex(SAFETY) > html.index('id="schedule"')
        assert html.rindex(SAFETY) > html.index('id="calendar"')
        assert html.count(DISCLAIMER) == 1
        assert html.count("Do not change your opioid dose on your own.") == 2

    def test_every_step_date_and_dose_appears(self) -> None:
        """Each step has its section, heading dates and its doses in counts; every day of the
        plan has its calendar cell, with a box for each dose taken that day."""
        plan = sample_plan()
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        tags = parse(html)
        sections = with_class(tags, "section", "step")
        assert [s["data-step"] for s in sections] == [s.id for s in plan.steps]
        assert [s["id"] for s in sections] == [f"step-{n}" for n in range(1, 17)]
        expected = [START + dt.timedelta(days=n) for n in range((plan.end - START).days + 1)]
        assert calendar_days(tags) == [d.isoformat() for d in expected]
        # Literal expectations for the sample plan (oxycodone ER 20 mg twice a day, va-slower;
        # the plan adds oxycodone IR tablets in steps 5-7 and 9-10, then a liquid).
        for heading in (
            'Step 1: <time datetime="2027-01-04">Monday 4 January 2027</time> to'
            ' <time datetime="2027-01-31">Sunday 31 January 2027</time> (28 days)',
            'Step 16 (stop): <time datetime="2028-02-28">Monday 28 February 2028</time> to'
            ' <time datetime="2028-03-12">Sunday 12 March 2028</time> (14 days)',
        ):
            assert heading in html
        step_1 = html[html.index('id="step-1"') : html.index('id="step-2"')]
        assert "<th scope='row'>08:00</th><td>oxycodone extended-release tablets</td>" in step_1
        assert "<td>15 mg</td><td>1 tablet of 15 mg</td><td>every day</td>" in step_1
        assert "<td>20 mg</td><td>1 tablet of 20 mg</td><td>every day</td>" in step_1
        step_5 = html[html.index('id="step-5"') : html.index('id="step-6"')]
        assert (
            "<th scope='row'>08:00</th><td>oxycodone tablets</td>"
            "<td>7.5 mg</td><td>1 tablet of 7.5 mg</td><td>every day</td>"
        ) in step_5
        assert (
            "<th scope='row'>20:00</th><td>oxycodone extended-release tablets</td>"
            "<td>10 mg</td><td>1 tablet of 10 mg</td><td>every day</td>"
        ) in step_5
        step_8 = html[html.index('id="step-8"') : html.index('id="step-9"')]
        assert "<td>oxycodone tablets</td>" not in step_8
        cells = [day_cell(html, day) for day in plan.steps[7].dates()]
        assert sum(c.count('aria-label="20:00 oxycodone: tick when taken"') for c in cells) == 28
        assert not any('aria-label="08:00 oxycodone' in c for c in cells)
        step_9 = html[html.index('id="step-9"') : html.index('id="step-10"')]
        assert (
            "<td>8.75 mg</td><td>½ tablet of 7.5 mg + 1 tablet of 5 mg</td><td>every day</td>"
        ) in step_9
        stopped = [day_cell(html, day) for day in plan.steps[15].dates()]
        assert len(stopped) == 14
        assert all("no opioid" in c and 'class="box"' not in c for c in stopped)
        assert "Step 16: stop" in stopped[0]

    def test_one_box_per_dose(self) -> None:
        """Tick boxes number exactly the doses the CSV export lists, for every test regimen."""
        for name in (
            "fentanyl-patch",
            "two-opioids",
            "oxycodone-oral-solution",
            "uneven-split-doses",
        ):
            plan = regimen_plan(name)
            tags = parse(plan_to_handout(plan, generated_on=PRINTED, chart=False))
            assert len(with_class(tags, "span", "box")) == dose_rows(plan), name
        # The sample: 4 × 56 (two ER doses a day) + 3 × 56 (ER and IR) + 28 (ER)
        # + 7 × 28 (IR, then the liquid, once a day) = 616 doses.
        tags = parse(plan_to_handout(sample_plan(), generated_on=PRINTED, chart=False))
        assert len(with_class(tags, "span", "box")) == 616

    def test_a_replan_from_a_higher_dose_is_never_called_lower(self) -> None:
        """Re-planned from more than the plan had (the prescriber's override), the first
        new step says the dose changes, never that it goes down (issue 10, item 7)."""
        from taperplan import regimen_from_mapping, replan  # noqa: PLC0415

        plan = sample_plan()
        on = plan.steps[6].start
        taken = {
            "medication": [
                {"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg",
                 "doses": ["20 mg", "20 mg"], "times": ["08:00", "20:00"]}
            ]
        }  # fmt: skip
        again = replan(plan, on=on, regimen=regimen_from_mapping(taken), allow_higher_dose=True)
        first = again.step_on(on)
        assert first.total_mme_per_day is not None
        assert first.total_mme_per_day > again.steps[first.index - 1].total_mme_per_day
        html = plan_to_handout(again, generated_on=PRINTED, chart=False)
        row = html[html.index(f'<tr data-step="{first.id}"') :]
        assert "<td>Dose changes (re-planned)</td>" in row[: row.index("</tr>")]
        section = html[html.index(f'<section class="step" id="step-{first.index + 1}"') :]
        section = section[: section.index("</section>")]
        assert "goes down" not in section
        assert "Lower dose" not in section
        assert "Your dose changes on" in section
        assert f"Step {first.number}: dose changes" in day_cell(html, first.start)

    def test_patch_boxes_fall_on_change_days(self) -> None:
        """A patch changed every 3 days has a box on days 0, 3, 6, ... of each step only;
        the patch that delivers 12.5 mcg/h is named by its label, 12 mcg/h."""
        plan = regimen_plan("fentanyl-patch")
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        assert [s.days for s in plan.steps[:-1]] == [15, 21, 30]  # 25%, 33% and 50% cuts
        for step in plan.steps[:-1]:
            for offset, day in enumerate(step.dates()):
                assert ('class="box"' in day_cell(html, day)) == (offset % 3 == 0)
        assert "1 patch of 37.5 mcg/h" in html
        assert "<td>12.5 mcg/h</td><td>1 patch of 12 mcg/h</td><td>change every 3 days</td>" in (
            html
        )
        assert "of 12.5 mcg/h" not in html

    def test_boxes_of_doses_every_2_days_follow_their_offsets(self) -> None:
        """Doses every 2 days have boxes on their own days only: the 07:00 dose from the
        step's second day (offset 1), the 14:00 dose from its first, so no day is empty."""
        plan = plan_taper(parse_regimen(TAPENTADOL_TID, source="tapentadol"), start=START)
        step = plan.steps[4]
        assert [(d.time, d.every_days, d.offset) for d in step.medications[0].doses] == [
            (dt.time(7), 2, 1),
            (dt.time(14), 2, 0),
            (dt.time(21), 1, 0),
        ]
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        section = html[html.index('id="step-5"') : html.index('id="step-6"')]
        assert section.count("<td>50 mg</td><td>1 tablet of 50 mg</td><td>every 2 days</td>") == 2
        for offset, day in enumerate(step.dates()):
            cell = day_cell(html, day)
            boxes = re.findall(r'aria-label="(\d\d:\d\d) tapentadol: tick when taken"', cell)
            assert boxes == ["07:00" if offset % 2 else "14:00", "21:00"], day

    def test_half_tablets_and_liquids_in_counts(self) -> None:
        """Half tablets read ``½ tablet`` and liquids read in mL of the stated strength."""
        html = plan_to_handout(regimen_plan("hydromorphone-ir"), generated_on=PRINTED, chart=False)
        assert re.search(r"\d?½ tablets? of \d+ mg", html)
        assert "split the tablet along its score line" in html
        html = plan_to_handout(
            regimen_plan("oxycodone-oral-solution"), generated_on=PRINTED, chart=False
        )
        assert re.search(r"\d+(\.\d)? mL of the \d+ mg/mL liquid", html)
        assert "dosing syringe" in html

    def test_windows_and_check_ins_appear_and_clinician_material_does_not(self) -> None:
        """Every window and check-in of the plan is on the page; the warnings (with their
        figures for clinicians) and the non-opioid suggestions are on the clinician summary,
        not here (issue 12 item 4)."""
        plan = sample_plan()
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        windows = html[
            html.index('id="windows"') : html.index("</table>", html.index('id="windows"'))
        ]
        assert windows.count("<tr><th scope='row'>") == 16
        assert '<td><time datetime="2027-01-05">Tuesday 5 January 2027</time></td>' in windows
        assert '<td><time datetime="2028-03-08">Wednesday 8 March 2028</time></td>' in windows
        check_ins = html[html.index('id="check-ins"') : html.index('id="schedule"')]
        for step in plan.steps:
            for day in step.check_ins:
                assert f'<time datetime="{day.isoformat()}">' in check_ins
        assert check_ins.count("<li>") == sum(len(s.check_ins) for s in plan.steps) == 16
        assert "data-code=" not in html
        assert "data-adjunct=" not in html
        assert "times that at 1 to &lt;20" not in html
        assert "clinical reference" not in html
        for item in handout_text().urgent:
            assert item.text in html

    def test_everything_is_escaped(self) -> None:
        """Text from the plan (drug, product, warnings, adjuncts, notes) cannot inject markup."""
        plan = sample_plan()
        evil = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
        part = plan.steps[0].medications[0]
        drug = attrs.evolve(part.product.drug, name=f"oxy{evil}")
        product = attrs.evolve(part.product, drug=drug)
        steps = tuple(
            attrs.evolve(
                step,
                medications=tuple(attrs.evolve(m, product=product) for m in step.medications),
                notes=(f"note {evil}",),
            )
            for step in plan.steps
        )
        adjunct = attrs.evolve(plan.adjuncts[-1], name=f"yoga {evil}", reason=evil, key='k"><b')
        evil_plan = attrs.evolve(
            plan,
            id=f"tp{evil}",
            baseline=tuple(attrs.evolve(m, product=product) for m in plan.baseline),
            steps=steps,
            warnings=(Notice("naloxone", f"warning {evil}", "CDC2022"),),
            adjuncts=(*plan.adjuncts[:-1], adjunct),
        )
        html = plan_to_handout(evil_plan, generated_on=PRINTED, chart=False)
        tags = parse(html)
        names = {t for t, _ in tags.starts}
        assert "script" not in names
        assert "img" not in names
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x" in html
        assert "".join(tags.text).count(evil) >= len(plan.steps) + 3

    def test_liquid_advice_for_an_older_patient(self) -> None:
        """The advice on measuring a liquid is on the page (the adjuncts to avoid, with
        their cautions, are on the clinician summary)."""
        plan = plan_taper(parse_regimen(OLDER_PATIENT_ON_LIQUID, source="older"), start=START)
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        assert "Measure every dose of the liquid in mL" in html
        assert "diphenhydramine" not in html

    def test_buprenorphine_plan_lists_amounts_instead_of_mme(self) -> None:
        """Where MME does not apply, the table and chart show each medication's amount."""
        plan = plan_taper(parse_regimen(BUPRENORPHINE_AND_OXYCODONE, source="bup"), start=START)
        data = chart_data(plan)
        assert data.ylabel == "Daily amount (% of the dose you take now)"
        # The oral liquid the plan adds for oxycodone's last cuts carries on its line.
        assert [s.label for s in data.series] == [
            "buprenorphine skin patch",
            "oxycodone tablets and oral liquid",
        ]
        stop = next(
            s.index
            for s in plan.steps
            if not any(m.doses for m in s.medications if m.drug == "oxycodone")
        )
        assert all(v > 0 for v in data.series[1].values[: stop + 1])
        assert not any(data.series[1].values[stop + 1 :])
        assert data.series[0].values[:3] == (Decimal(100), Decimal("87.5"), Decimal(75))
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        assert "Daily amount (% of the dose you take now)" in html
        assert "MME (morphine milligram equivalents)" not in html
        assert "17.5 mcg/h patch worn" in html

    @settings(max_examples=min(settings.default.max_examples, 150))  # each renders a page
    @given(planning_cases())
    def test_any_plan_gives_a_well_formed_handout(self, case: PlanningCase) -> None:
        """For any plannable regimen the page nests properly, has every step and one box per dose."""
        try:
            plan = case.plan()
        except PlanningError:
            return
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        tags = parse(html)
        steps = [a["data-step"] for a in with_class(tags, "section", "step")]
        assert steps == [s.id for s in plan.steps]
        assert len(with_class(tags, "span", "box")) == dose_rows(plan)
        assert len(calendar_days(tags)) == (plan.end - plan.start).days + 1
        for number, step in enumerate(plan.steps, start=1):
            begin = html.index(f'<section class="step" id="step-{number}"')
            section = html[begin : html.index("</section>", begin)]
            assert f'<time datetime="{step.start.isoformat()}">' in section
            assert f'<time datetime="{step.end.isoformat()}">' in section
            for part in step.medications:
                for dose in part.doses:
                    assert f"<th scope='row'>{dose.time:%H:%M}</th>" in section
                    assert f"<td>{dose.amount}</td>" in section


# --- the chart ---------------------------------------------------------------------------


class TestPlanChart:
    """plan_chart: an accessible, deterministic SVG or PNG of the dose over time."""

    def test_chart_data_of_the_sample(self) -> None:
        """The sample's chart steps down 60 → 52.5 → … → 4.5 → 0 MME a day, with its windows."""
        plan = sample_plan()
        data = chart_data(plan)
        assert data.ylabel == "Daily dose (MME a day)"
        (line,) = data.series
        assert [str(v) for v in line.values] == [
            "60", "52.5", "45", "37.5", "30", "26.25", "22.5", "18.75", "15", "13.125",
            "11.25", "9", "7.5", "6", "5.25", "4.5", "0", "0",
        ]  # fmt: skip
        assert line.starts[0] == dt.date(2026, 12, 28)
        assert line.starts[1] == START
        assert line.starts[-1] == dt.date(2028, 3, 13)
        assert len(data.windows) == 16
        assert data.windows[0] == (dt.date(2027, 1, 5), dt.date(2027, 1, 16))
        assert len(data.check_ins) == 16

    def test_svg_parses_and_shades_every_window(self) -> None:
        """The SVG is XML with a title, a description, one shaded band per window and a
        dotted line per check-in."""
        plan = sample_plan()
        root = svg_root(plan_chart(plan, fmt="svg"))
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == "taperplan-chart-title taperplan-chart-desc"
        title = root.find(f"{SVG}title")
        assert title is not None
        assert title.text == "Your daily opioid dose over time"
        desc = root.find(f"{SVG}desc")
        assert desc is not None
        assert "16 periods" in (desc.text or "")
        ids = [g.get("id") or "" for g in root.iter(f"{SVG}g")]
        windows = [i for i in ids if i.startswith("withdrawal-window-")]
        assert windows == [f"withdrawal-window-{n}" for n in range(16)]
        assert len([i for i in ids if i.startswith("check-in-")]) == 16
        assert "dose-line-0" in ids
        texts = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
        assert "Your daily opioid dose over time" in texts
        assert "Withdrawal possible" in texts

    def test_two_medications_without_mme_draw_two_lines(self) -> None:
        """A plan without MME draws one line per medication."""
        plan = plan_taper(parse_regimen(BUPRENORPHINE_AND_OXYCODONE, source="bup"), start=START)
        root = svg_root(plan_chart(plan, fmt="svg"))
        ids = [g.get("id") or "" for g in root.iter(f"{SVG}g")]
        assert [i for i in ids if i.startswith("dose-line-")] == ["dose-line-0", "dose-line-1"]

    def test_png_bytes(self) -> None:
        """PNG output starts with the PNG signature and names no software version."""
        data = plan_chart(sample_plan(), fmt="png")
        assert data.startswith(PNG_SIGNATURE)
        assert b"Software" not in data
        assert b"matplotlib" not in data.lower()

    def test_svg_has_no_date_or_version(self) -> None:
        """SVG output carries no creation date or matplotlib version."""
        data = plan_chart(sample_plan(), fmt="svg")
        assert b"<dc:date>" not in data
        assert b"Matplotlib v" not in data

    def test_same_plan_same_bytes_across_processes(self) -> None:
        """Another Python process (another hash seed) draws byte-identical SVG and PNG."""
        here = {fmt: plan_chart(sample_plan(), fmt=fmt) for fmt in ("svg", "png")}
        assert here["svg"] == plan_chart(sample_plan(), fmt="svg")
        script = textwrap.dedent(
            f"""
            import datetime as dt, sys
            from taperplan import load_regimen, plan_taper
            from taperplan.formats.chart import plan_chart
            plan = plan_taper(load_regimen({SAMPLE!r}), start=dt.date(2027, 1, 4))
            sys.stdout.buffer.write(plan_chart(plan, fmt=sys.argv[1]))
            """
        )
        for fmt, expected in here.items():
            result = subprocess.run(
                [sys.executable, "-c", script, fmt],
                capture_output=True,
                check=True,
                env={**os.environ, "PYTHONHASHSEED": "12345"},
                timeout=120,
            )
            assert result.stdout == expected, fmt

    def test_unknown_format_is_refused(self) -> None:
        """A format other than svg or png is refused with the choices named."""
        with pytest.raises(TaperplanError, match=r"'pdf'.*'svg' or 'png'"):
            plan_chart(sample_plan(), fmt="pdf")

    def test_missing_matplotlib(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without matplotlib the chart names the extra to install; a handout needs
        ``chart=False``."""
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        plan = sample_plan()
        with pytest.raises(MissingDependencyError) as caught:
            plan_chart(plan, fmt="svg")
        assert 'pip install "taperplan[chart]"' in str(caught.value)
        assert isinstance(caught.value, TaperplanError)
        assert isinstance(caught.value, ImportError)
        assert caught.value.extra == "chart"
        with pytest.raises(MissingDependencyError):
            plan_to_handout(plan, generated_on=PRINTED)
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        assert "<svg" not in html
        assert 'id="glance-table"' in html


# --- headless Chromium -----------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium executable; a failure in CI when it is missing, else a skip."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "Debian chromium is not installed (apt-get install chromium; .ci/install-clients)"
        if in_ci():
            pytest.fail(f"CI is set: {message}")
        pytest.skip(message)
    return found


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run headless Chromium with a private profile and nothing fetched from the network."""
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )


def day_cell(html: str, day: dt.date) -> str:
    """The calendar cell of ``day`` (its inner HTML)."""
    found = re.search(rf'<td data-date="{day.isoformat()}"[^>]*>(.*?)</td>', html, re.DOTALL)
    assert found is not None, day
    return found.group(1)


def calendar_days(tags: _Tags) -> list[str]:
    """The dates of the calendar's cells, in order."""
    return [a["data-date"] for t, a in tags.starts if t == "td" and "data-date" in a]


def words(text: str) -> str:
    """``text`` with ligatures undone (NFKC) and every run of whitespace made one space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


class TestInChromium:
    """The handout as a browser renders and prints it."""

    @pytest.fixture
    def page(self, tmp_path: Path) -> tuple[TaperPlan, Path]:
        """The sample plan's handout, chart included, written to a file."""
        plan = sample_plan()
        path = tmp_path / "handout.html"
        path.write_text(plan_to_handout(plan, generated_on=PRINTED), encoding="utf-8")
        return plan, path

    def test_rendered_dom_has_every_step(
        self, chromium: str, tmp_path: Path, page: tuple[TaperPlan, Path]
    ) -> None:
        """The DOM Chromium builds holds every step, every day's cell, the chart and the boxes."""
        plan, path = page
        dom = run_chromium(chromium, tmp_path, "--dump-dom", path.as_uri()).stdout.decode()
        tags = parse(dom)
        steps = [a["data-step"] for a in with_class(tags, "section", "step")]
        assert steps == [s.id for s in plan.steps]
        assert len(calendar_days(tags)) == (plan.end - plan.start).days + 1
        assert len(with_class(tags, "span", "box")) == dose_rows(plan)
        assert [t for t, a in tags.starts if t == "svg" and a.get("role") == "img"] == ["svg"]

    def test_prints_to_pdf_with_every_step(
        self, chromium: str, tmp_path: Path, page: tuple[TaperPlan, Path]
    ) -> None:
        """Printed, the page is a PDF with a page per month of the calendar at least, and the
        text of every step."""
        from pypdf import PdfReader  # noqa: PLC0415 - a test dependency of this test only

        plan, path = page
        pdf = tmp_path / "handout.pdf"
        run_chromium(
            chromium, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", path.as_uri()
        )
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-")
        reader = PdfReader(pdf)
        months = {(d.year, d.month) for s in plan.steps for d in s.dates()}
        assert len(reader.pages) >= len(months) + 1
        text = words(" ".join(p.extract_text() for p in reader.pages))
        assert "Safety first. Do not change your opioid dose on your own." in text
        assert text.count(words(SAFETY)) == 2
        for number, step in enumerate(plan.steps, start=1):
            stop = " (stop)" if step.kind is StepKind.STOP else ""
            first = f"{step.start.day} {step.start:%B} {step.start.year}"
            last = f"{step.end.day} {step.end:%B} {step.end.year}"
            heading = f"Step {number}{stop}: {step.start:%A} {first} to {step.end:%A} {last}"
            assert f"{heading} ({step.days} days)" in text, heading
        assert "Your calendar: tick each dose" in text
        assert "Your daily opioid dose over time" in text  # drawn by the inline SVG
        assert "Naloxone: keep it close" in text


class TestPharmacy:
    """ "What to collect at the pharmacy": one row per prescription, as the fills say."""

    def test_rows_are_the_fills(self) -> None:
        plan = sample_plan()
        fills = prescriptions(plan)
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        rows = re.findall(r'<tr data-fill="(\d+)">(.*?)</tr>', html)
        assert [int(n) for n, _ in rows] == [f.number for f in fills]
        for (_, row), fill in zip(rows, fills, strict=True):
            assert f"{fill.start.day} " in row
            collected = row.rsplit("<td>", 1)[1].removesuffix("</td>").split("<br>")
            assert len(collected) == len(fill.items)
            for text, item in zip(collected, fill.items, strict=True):
                assert text.startswith(f"{item.quantity} ")

    def test_other_fill_options_reach_the_page(self) -> None:
        plan = sample_plan()
        weekly = prescriptions(plan, 7)
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False, fills=weekly)
        assert len(re.findall(r'<tr data-fill="', html)) == len(weekly)

    def test_patches_in_whole_boxes(self) -> None:
        regimen = regimen_from_mapping({"timezone": "Europe/London", "medication": [
            {"drug": "fentanyl", "form": "patch", "strength": "25 mcg/h", "dose": "25 mcg/h",
             "times": ["09:00"], "every_days": 3}]})  # fmt: skip
        plan = plan_taper(regimen, start=START)
        html = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        assert "10 patches of 12 mcg/h, in boxes of 5 (fentanyl skin patch)" in html

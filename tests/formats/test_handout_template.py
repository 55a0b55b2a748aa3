"""The handout's template (issue 11, item 4): Jinja2 with autoescape on, the wording in data.

Hostile text in every free-text field of a plan file reaches the page escaped,
in text and in attributes, and never reaches the chart; the sources listed are
exactly those of what the page shows; the title and the way amounts are written
come from ``data/handout.toml``; the template and its styles are package data;
jinja2 is imported only when a handout is written. The page itself (its bytes,
steps, dates and boxes) is checked in ``test_handout.py``.
"""

from __future__ import annotations

import ast
import datetime as dt
import html as html_module
import re
import subprocess
import sys
from decimal import Decimal
from importlib import resources

import attrs
import pytest
from test_handout import (
    BUPRENORPHINE_AND_OXYCODONE,
    OLDER_PATIENT_ON_LIQUID,
    PRINTED,
    START,
    SVG,
    parse,
    regimen_plan,
    sample_plan,
    svg_root,
    with_class,
)

from taperplan import plan_taper
from taperplan._data import load_data
from taperplan.formats.chart import chart_data, describe_chart, plan_chart
from taperplan.formats.handout import (
    TITLE,
    HowToTake,
    Text,
    count_words,
    dose_words,
    handout_text,
    long_date,
    plan_to_handout,
    short_date,
)
from taperplan.formats.json import plan_from_dict, plan_to_dict
from taperplan.formats.regimen import parse_regimen
from taperplan.formats.summary import plan_to_summary
from taperplan.model.plan import Dose, MedicationDose, TaperPlan
from taperplan.reference.dispense import UnitCount
from taperplan.reference.products import Form
from taperplan.units import Quantity


def _phrases(source: str) -> list[str]:
    """The string constants of ``source`` with two words or more, leaving out docstrings
    (of modules, classes, functions and attributes: a string standing as a statement)
    and what a ``raise`` says."""
    tree = ast.parse(source)
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))
        if isinstance(node, ast.Raise) and node.exc is not None:
            skip |= {id(sub) for sub in ast.walk(node.exc)}
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", node.value)
    ]


#: Markup, both kinds of quote and an ampersand: what must never reach the page as it is.
EVIL = "<script>alert(1)</script> \"quoted\" 'single' & <img src=x onerror=alert(2)>"
#: ``EVIL`` as the page writes it.
ESCAPED = (
    "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &#x27;single&#x27; &amp;"
    " &lt;img src=x onerror=alert(2)&gt;"
)
DATA = resources.files("taperplan") / "data"


def hostile_plan_file() -> TaperPlan:
    """The sample plan written as a plan file with ``EVIL`` in every free-text field the
    file carries (plan and step ids, step notes, pace, warnings, adjuncts and their
    cautions), then read back as a plan file is."""
    data = plan_to_dict(sample_plan())
    data["id"] = f"tp{EVIL}"
    data["pace"].update(name=f"pace {EVIL}", description=f"pace {EVIL}")
    for step in data["steps"]:
        step["id"] = f"{step['id']}{EVIL}"
        step["notes"] = [*step["notes"], f"note {EVIL}", f"this step ({EVIL})"]
    data["warnings"].append(
        # A code is one of taperplan's (WarningCode): only the message can carry text.
        {"code": "naloxone", "message": f"warning {EVIL}", "source": "CDC2022"}
    )
    for adjunct in data["adjuncts"]:
        adjunct.update(
            key=f"{adjunct['key']}{EVIL}",
            name=f"{adjunct['name']} {EVIL}",
            reason=f"reason {EVIL}",
            target=f"target {EVIL}",
        )
        caution = {"code": f"caution{EVIL}", "text": f"caution {EVIL}", "source": "VA-TDT"}
        adjunct["cautions"] = [*adjunct["cautions"], {**caution, "severity": "caution"}]
    return plan_from_dict(data)


class TestEscaping:
    """No text from a regimen, a plan or a plan file reaches the page unescaped."""

    def test_hostile_text_in_a_plan_file(self) -> None:
        """``EVIL`` in every free-text field: no tag of it on the page (chart included),
        every attribute reads back as it was written, every text escaped."""
        plan = hostile_plan_file()
        assert plan.id == f"tp{EVIL}"
        page = plan_to_handout(plan, generated_on=PRINTED, chart=True)
        tags = parse(page)
        assert {t for t, _ in tags.starts}.isdisjoint({"script", "img", "b"})
        assert "<script" not in page
        assert "<img" not in page
        # Attributes: the parser reads back exactly the text the plan holds.
        ids = [s.id for s in plan.steps]
        assert [a["data-step"] for a in with_class(tags, "section", "step")] == ids
        assert [a["data-step"] for t, a in tags.starts if t == "tr" and "data-step" in a] == ids
        # Warnings and suggestions are for the clinician: on the summary, not the handout.
        assert not [a for t, a in tags.starts if "data-code" in a or "data-adjunct" in a]
        # Text: escaped where it is written, and read back whole.
        assert f"Plan tp{ESCAPED}, version 0." in page
        text = "".join(tags.text)
        for absent in (f"warning {EVIL}", f"reason {EVIL}", f"(for target {EVIL})"):
            assert absent not in text
        summary = plan_to_summary(plan, generated_on=PRINTED)
        found = parse(summary)
        assert {t for t, _ in found.starts}.isdisjoint({"script", "img", "b"})
        assert "<script" not in summary
        codes = [a["data-code"] for t, a in found.starts if t == "li" and "data-code" in a]
        assert codes == [w.code for w in plan.warnings]
        assert codes[-1] == "naloxone"
        keys = {a["data-adjunct"] for t, a in found.starts if t == "li" and "data-adjunct" in a}
        assert keys == {a.key for a in plan.adjuncts}
        assert (
            f'<li data-code="naloxone">warning {ESCAPED} <small>[naloxone]</small></li>' in summary
        )
        summary_text = "".join(found.text)
        for expected in (f"warning {EVIL}", f"reason {EVIL}", f"for target {EVIL}"):
            assert expected in summary_text
        assert f"note {EVIL}" in summary_text  # the planner's notes are for the clinician
        # The planner's notes and the pace are for the clinician: not on the page.
        assert f"note {EVIL}" not in text
        assert f"pace {EVIL}" not in text
        assert text.count("The next change may come before withdrawal symptoms settle.") == len(
            plan.steps
        )

    def test_hostile_medicine_name_in_the_chart(self) -> None:
        """The chart's only text from the plan is the medicine names of its legend (when
        MME does not apply): matplotlib escapes them, so the SVG stays well-formed and
        holds the name as text."""
        plan = plan_taper(parse_regimen(BUPRENORPHINE_AND_OXYCODONE, source="bup"), start=START)
        part = plan.baseline[0]
        product = attrs.evolve(part.product, drug=attrs.evolve(part.product.drug, name=EVIL))

        def renamed(parts: tuple[MedicationDose, ...]) -> tuple[MedicationDose, ...]:
            return tuple(
                attrs.evolve(p, product=product) if p.product == part.product else p for p in parts
            )

        steps = tuple(attrs.evolve(s, medications=renamed(s.medications)) for s in plan.steps)
        evil = attrs.evolve(plan, baseline=renamed(plan.baseline), steps=steps)
        page = plan_to_handout(evil, generated_on=PRINTED, chart=True)
        tags = parse(page)
        assert {t for t, _ in tags.starts}.isdisjoint({"script", "img"})
        svg = page[page.index("<svg ") : page.index("</svg>") + len("</svg>")]
        assert "<script" not in svg
        legend = "".join(t.text or "" for t in svg_root(svg.encode()).iter(f"{SVG}text"))
        assert f"{EVIL} skin patch" in legend
        assert f"<td>{ESCAPED} skin patch</td>" in page

    def test_the_template_marks_nothing_safe(self) -> None:
        """The template never turns escaping off: no ``safe`` filter, no ``{% autoescape %}``."""
        template = (DATA / "handout.html.j2").read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b", template)
        assert not re.search(r"\{%-?\s*autoescape\b", template)


class TestData:
    """The page's words are data, and the data ships with the package."""

    @pytest.mark.parametrize(
        "name", ["sample", "fentanyl-patch", "two-opioids", "older-on-liquid", "buprenorphine"]
    )
    def test_the_sources_listed_are_those_of_what_the_page_shows(self, name: str) -> None:
        """Each packaged text and window on the page has its source listed, and nothing
        else is listed (the warnings and suggestions, with theirs, are on the summary)."""
        if name == "sample":
            plan = sample_plan()
        elif name == "older-on-liquid":
            plan = plan_taper(parse_regimen(OLDER_PATIENT_ON_LIQUID, source=name), start=START)
        elif name == "buprenorphine":
            plan = plan_taper(parse_regimen(BUPRENORPHINE_AND_OXYCODONE, source=name), start=START)
        else:
            plan = regimen_plan(name)
        page = plan_to_handout(plan, generated_on=PRINTED, chart=False)
        texts = handout_text()
        entries: list[Text | HowToTake] = [
            texts.safety,
            texts.mme,
            texts.withdrawal_intro,
            texts.after_stop,
            texts.naloxone_intro,
            texts.emergency,
            *texts.how_to_take,
            *texts.expect,
            *texts.profiles.values(),
            *texts.do,
            *texts.call_clinician,
            *texts.urgent,
            *texts.naloxone_why,
            *texts.naloxone_steps,
        ]
        keys = {e.source for e in entries if html_module.escape(e.text) in page}
        keys |= {s.withdrawal_window.source for s in plan.steps if s.withdrawal_window}
        sources = load_data("sources.toml")
        listed = page[page.index('<h3 id="sources-title">') : page.index("</footer>")]
        assert re.findall(r"<li>(.*?)</li>", listed) == [
            html_module.escape(sources[k]["citation"]) for k in sorted(keys)
        ]

    def test_title_and_amounts_come_from_handout_toml(self) -> None:
        """``TITLE``, :func:`count_words` and :func:`dose_words` read ``[page]``."""
        page = load_data("handout.toml")["page"]
        assert TITLE == page["title"] == "Your opioid taper plan"
        html = plan_to_handout(sample_plan(), generated_on=PRINTED, chart=False)
        assert f"<title>{TITLE}</title>" in html
        assert f"<h1>{TITLE}</h1>" in html
        fifteen = Quantity.parse("15 mg")
        assert count_words(UnitCount(fifteen, Decimal("1.5")), Form.IR_TABLET) == (
            "1½ tablets of 15 mg"
        )
        patch = UnitCount(Quantity.parse("12.5 mcg/h"), Decimal(1), label="12 mcg/h")
        assert count_words(patch, Form.PATCH) == "1 patch of 12 mcg/h"
        liquid = UnitCount(Quantity.parse("1 mg/mL"), Decimal("2.5"))
        assert count_words(liquid, Form.ORAL_SOLUTION) == "2.5 mL of the 1 mg/mL liquid"
        five = UnitCount(Quantity.parse("5 mg"), Decimal(1))
        dose = Dose(
            time=dt.time(8),
            amount=Quantity.parse("27.5 mg"),
            every_days=1,
            units=(UnitCount(fifteen, Decimal("1.5")), five),
        )
        assert dose_words(dose, Form.IR_TABLET) == "1½ tablets of 15 mg + 1 tablet of 5 mg"

    def test_dates_and_chart_words_come_from_data(self) -> None:
        """Weekday and month names come from ``[page]``; the chart's title, axes, legend
        and screen-reader sentence from ``[chart]`` of ``data/wording.toml``."""
        page = load_data("handout.toml")["page"]
        assert long_date(dt.date(2027, 1, 4)) == "Monday 4 January 2027"
        assert short_date(dt.date(2027, 1, 4)) == "Mon 4 Jan"
        assert (page["weekdays"][0], page["months"][0]) == ("Monday", "January")
        words = load_data("wording.toml")["chart"]
        plan = sample_plan()
        data = chart_data(plan)
        assert data.ylabel == words["total_axis"]
        sentence = describe_chart(data)
        assert sentence.startswith("A step chart of Daily dose (MME a day) from ")
        assert sentence.endswith("The table of the plan lists the same figures.")
        svg = plan_chart(plan, fmt="svg").decode()
        for text in (words["title"], words["window"], words["check_in"], words["x_axis"]):
            assert text in svg

    def test_no_patient_wording_in_python(self) -> None:
        """The handout's and the chart's modules hold no phrase a patient reads: every
        string of two words or more is a docstring, an error message or on this list of
        markup, drawing options and the planner's own note text."""
        allowed = {
            '\n <title id="',
            '</title>\n <desc id="',
            "outside lower center",  # a matplotlib legend position
            "DejaVu Sans",  # a font
            "this step (",  # how the planner's pacing note begins (read, not shown)
        }
        found = []
        for name in (
            "chart",
            "_handout_text",
            "_handout_values",
            "_handout_steps",
            "_handout_calendar",
            "_handout_pharmacy",
            "handout",
        ):
            path = resources.files("taperplan").joinpath("formats", f"{name}.py")
            found += [(name, text) for text in _phrases(path.read_text(encoding="utf-8"))]
        assert [f for f in found if f[1] not in allowed] == []

    def test_template_and_styles_are_package_data(self) -> None:
        """The template and its styles load from the package, and the styles reach the page
        as they are in ``handout.css`` (no template syntax in them)."""
        css = (DATA / "handout.css").read_text(encoding="utf-8")
        assert (DATA / "handout.html.j2").is_file()
        assert not (DATA / "handout.html").is_file()
        html = plan_to_handout(sample_plan(), generated_on=PRINTED, chart=False)
        assert f"<style>\n{css}</style>\n" in html

    def test_jinja2_loads_only_with_the_handout(self) -> None:
        """``import taperplan`` and the export module load no jinja2; writing a handout does."""
        code = (
            "import sys, taperplan, taperplan.formats\n"
            "before = 'jinja2' in sys.modules\n"
            "import taperplan.formats.handout\n"
            "print([before, 'jinja2' in sys.modules])\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        assert ast.literal_eval(out) == [False, True]

"""A printable handout for the patient: one self-contained HTML page.

:func:`plan_to_handout` writes only what the patient needs, in plain words: the
safety statement (top and bottom), the medicines taken now and the start date,
the plan at a glance (a chart and the same figures in a table), what to collect
at the pharmacy, when to get help, naloxone, withdrawal (what to expect and
what to do, with each window's dates), the check-in dates, the schedule step by
step (what to take at each time in tablets, millilitres or patches) and a
calendar, a month at a time, with a box to tick for every dose. What is for the
clinician (the planner's notes, the warnings with their figures, the non-opioid
suggestions) is on the clinician summary (:mod:`taperplan.formats.summary`).

The page carries no external CSS, scripts, fonts or images; its print styles
start the calendar on a new sheet, keep rows and months whole and print the
boxes as boxes. It is a Jinja2 template, ``data/handout.html.j2`` (with its styles in
``data/handout.css``), rendered with autoescape on: every value from the plan
or the data files is escaped. Python only prepares the values
(:mod:`taperplan.formats._handout_values`); the wording is data: the cited
patient texts in ``data/handout.toml``, each entry with a source, and the
page's headings, labels and captions in the template.

The chart needs matplotlib (``taperplan[chart]``). With ``chart=True`` and
matplotlib missing, :func:`plan_to_handout` raises
:class:`~taperplan.formats.chart.MissingDependencyError` rather than quietly
leaving the chart out; pass ``chart=False`` for a handout without it (the
table still lists every figure the chart would show).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs
from markupsafe import Markup

from taperplan._reading import require_date
from taperplan.formats._handout_text import (
    HandoutText,
    HowToTake,
    Text,
    count_words,
    dose_words,
    handout_text,
    long_date,
    page_words,
    short_date,
)
from taperplan.formats._handout_values import handout_values
from taperplan.formats._pages import environment
from taperplan.model.plan import TaperPlan
from taperplan.model.prescription import Fill

# TITLE is importable too (module __getattr__, below).
__all__ = [
    "HandoutText",
    "HowToTake",
    "Text",
    "count_words",
    "dose_words",
    "handout_text",
    "long_date",
    "plan_to_handout",
    "short_date",
]


def __getattr__(name: str) -> str:
    """``TITLE``: the page's title, now read from ``data/handout.toml`` (``[page]``)."""
    if name == "TITLE":
        return page_words().title
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def plan_to_handout(
    plan: TaperPlan,
    *,
    generated_on: dt.date,
    chart: bool = True,
    fills: Sequence[Fill] | None = None,
) -> str:
    """The plan as a printable, self-contained HTML page for the patient.

    Args:
        plan: the plan to hand out.
        generated_on: the date printed on the page (taperplan never reads
            the clock itself).
        chart: include the dose-over-time chart as inline SVG (needs the
            ``chart`` extra, matplotlib). The table of the plan lists the same
            figures either way.
        fills: the prescriptions for "what to collect at the pharmacy"
            (:func:`taperplan.prescriptions`); by default every 28 days or per step.

    Returns:
        A complete HTML document (``lang="en"``), deterministic: the same plan
        and date give the same text.

    Raises:
        MissingDependencyError: ``chart`` is true and matplotlib is not
            installed; install ``taperplan[chart]`` or pass ``chart=False``.
    """
    generated_on = require_date(generated_on, "generated_on")
    values = handout_values(
        plan, generated_on=generated_on, chart=chart, fills=None if fills is None else tuple(fills)
    )
    context = attrs.asdict(values, recurse=False)
    # The chart is the one value not escaped: matplotlib draws the SVG from
    # numbers, dates and our own labels, and writes every text in it (the
    # medicine names of its legend, from the catalogue) XML-escaped; its title and
    # description are escaped by formats.chart. No plan id, step id, note or
    # warning reaches it.
    context["chart"] = None if values.chart is None else Markup(values.chart)  # noqa: S704
    page: str = environment().get_template("handout.html.j2").render(context)
    return page

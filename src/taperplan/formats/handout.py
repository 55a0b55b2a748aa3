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
boxes. It is a Jinja2 template, ``data/handout.html.j2`` (with its styles in
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
from functools import cache
from html import escape
from importlib import resources

import attrs
import jinja2
from markupsafe import Markup

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
from taperplan.model.plan import TaperPlan
from taperplan.model.prescription import Fill
from taperplan.reference.wording import category_headings, form_words_by_key

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


def _template_source(name: str) -> str | None:
    """A template in the package's ``data`` folder (``None``: no such file)."""
    path = resources.files("taperplan").joinpath("data", name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _escaped(value: object) -> Markup:
    """Every ``{{ value }}`` of the template, escaped as :func:`html.escape` does
    (``&#x27;`` and ``&quot;``; Jinja's own escape writes ``&#39;`` and ``&#34;``,
    which would change the page's bytes). Only the template's own markup (its
    macros) and the chart, marked in :func:`plan_to_handout`, pass as they are."""
    if isinstance(value, Markup):
        return value
    return Markup(escape(str(value)))  # noqa: S704 - the value is escaped here


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=True,
        finalize=_escaped,
        undefined=jinja2.StrictUndefined,
        # A line that holds only a block tag leaves nothing in the page.
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    environment.filters["long_date"] = long_date
    environment.filters["short_date"] = short_date
    environment.globals["short_forms"] = form_words_by_key("column")
    environment.globals["adjunct_headings"] = category_headings("patient")
    return environment


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
    return _environment().get_template("handout.html.j2").render(context)

"""The package's HTML pages (the patient handout, the clinician summary): one Jinja2
environment with autoescape on, reading the templates of the ``data`` folder."""

from __future__ import annotations

from functools import cache
from html import escape
from importlib import resources

import jinja2
from markupsafe import Markup

from taperplan.formats._handout_text import long_date, short_date
from taperplan.reference.wording import category_headings, form_words_by_key


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
def environment() -> jinja2.Environment:
    """The environment every page renders with (its filters and globals set)."""
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
    environment.globals["clinician_headings"] = category_headings("clinician")
    return environment

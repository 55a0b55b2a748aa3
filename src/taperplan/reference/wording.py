"""Names for people of the catalogue's keys, and the chart's words, in one place.

A dosage form reads "ER" in a calendar title, "ER tablet" over a handout
column, "extended-release tablets" to a patient and "immediate-release
tablets" in a clinician's note; an adjunct category has a heading for the
clinician and one for the patient; the dose chart has its title, axes and
legend. The words live in ``data/wording.toml``.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import attrs

from taperplan._data import load_data
from taperplan.reference.products import Form, Product

FormStyle = Literal["short", "column", "plain", "clinical", "table"]
Audience = Literal["clinician", "patient"]


@cache
def _table() -> dict[str, dict[str, dict[str, str]]]:
    return load_data("wording.toml")


def form_words(form: Form, style: FormStyle) -> str:
    """How ``form`` reads in ``style`` (see ``data/wording.toml``)."""
    return _table()["form"][form.value][style]


def product_words(product: Product, style: FormStyle) -> str:
    """A product named in ``style``: ``oxycodone ER tablet`` (``table``),
    ``hydrocodone/acetaminophen tablets`` (``plain``), ``oxycodone immediate-release
    tablets`` (``clinical``)."""
    return f"{drug_words(product)} {form_words(product.form, style)}"


def drug_words(product: Product) -> str:
    """The product's drug as people say it: ``oxycodone``,
    ``hydrocodone/acetaminophen``, ``buprenorphine/naloxone``."""
    drug = product.drug.name
    if product.combination is not None:
        return f"{drug}/{product.combination.ingredient}"
    if product.variant is not None and product.variant.startswith("with "):
        return f"{drug}/{product.variant.removeprefix('with ')}"
    return drug


def form_words_by_key(style: FormStyle) -> dict[str, str]:
    """Every form's words in ``style``, keyed by the form's key (for templates)."""
    return {key: words[style] for key, words in _table()["form"].items()}


def category_heading(category: str, audience: Audience) -> str | None:
    """The heading of an adjunct category for ``audience``; None where that audience
    is not shown the category."""
    return _table()["adjunct_category"].get(category, {}).get(audience)


def category_headings(audience: Audience) -> dict[str, str]:
    """Every adjunct category's heading for ``audience``, keyed by category."""
    return {
        key: words[audience]
        for key, words in _table()["adjunct_category"].items()
        if audience in words
    }


@attrs.frozen
class ChartWords:
    """The dose chart's words (``[chart]`` in ``data/wording.toml``; ``{unit}`` and the
    description's placeholders are filled in by the chart)."""

    title: str
    x_axis: str
    months: tuple[str, ...]
    window: str
    check_in: str
    total_line: str
    total_axis: str
    total_unit: str
    percent_axis: str
    percent_unit: str
    patch_axis: str
    patch_unit: str
    amount_axis: str
    amount_unit: str
    forms_and: str
    each_medication: str
    describe: str


@cache
def chart_words() -> ChartWords:
    """The dose chart's words, read once."""
    table = dict(load_data("wording.toml")["chart"])
    table["months"] = tuple(table["months"])
    return ChartWords(**table)

"""One place for the names of the catalogue's keys (data/wording.toml)."""

from __future__ import annotations

import pytest

from taperplan.model.advice import CATEGORIES
from taperplan.reference.products import Form
from taperplan.reference.wording import (
    category_heading,
    category_headings,
    form_words,
    form_words_by_key,
)

STYLES = ("short", "column", "plain", "clinical")


@pytest.mark.parametrize("style", STYLES)
def test_every_form_has_words_in_every_style(style: str) -> None:
    assert set(form_words_by_key(style)) == {form.value for form in Form}  # type: ignore[arg-type]
    for form in Form:
        words = form_words(form, style)  # type: ignore[arg-type]
        assert words
        assert "_" not in words, "a raw key such as er_tablet is not a name for people"


def test_every_adjunct_category_has_a_clinician_heading() -> None:
    assert set(category_headings("clinician")) == set(CATEGORIES)
    assert category_heading("no-such-category", "clinician") is None


def test_patients_see_the_categories_of_the_handout_appendix() -> None:
    assert set(category_headings("patient")) == {
        "withdrawal",
        "pain-medicine",
        "non-drug",
        "referral",
        "oud",
    }

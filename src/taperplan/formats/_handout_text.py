"""The handout's words: the packaged patient texts, and dates and amounts for people.

:func:`handout_text` reads the cited patient texts of ``data/handout.toml``;
:func:`page_words`, its ``[page]`` table (the page's title and the way an
amount is written). :func:`long_date`, :func:`short_date`, :func:`count_words`
and :func:`dose_words` write dates and amounts as the page shows them. The
public names are re-exported by :mod:`taperplan.formats.handout`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any

import attrs

from taperplan._data import load_data
from taperplan.model.plan import Dose
from taperplan.reference.dispense import UnitCount, count_number, counted_noun
from taperplan.reference.products import Form
from taperplan.units import format_decimal

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
    """The cited texts of ``data/handout.toml``, read once."""

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


@attrs.frozen
class PageWords:
    """The page's title and how it writes amounts (``[page]`` in ``data/handout.toml``)."""

    title: str
    title_initiation: str
    title_rotation: str
    count: str
    liquid: str
    plus: str
    weekdays: tuple[str, ...]
    months: tuple[str, ...]
    collect: str
    boxes: str


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


@cache
def page_words() -> PageWords:
    """The ``[page]`` table of ``data/handout.toml``, parsed once."""
    page = load_data("handout.toml")["page"]
    return PageWords(
        title=page["title"],
        title_initiation=page["title_initiation"],
        title_rotation=page["title_rotation"],
        count=page["count"],
        liquid=page["liquid"],
        plus=page["plus"],
        weekdays=tuple(page["weekdays"]),
        months=tuple(page["months"]),
        collect=page["collect"],
        boxes=page["boxes"],
    )


# --- dates and amounts for people --------------------------------------------------------


def long_date(day: dt.date) -> str:
    """``Monday 4 January 2027`` (English names whatever the locale)."""
    words = page_words()
    return f"{words.weekdays[day.weekday()]} {day.day} {words.months[day.month - 1]} {day.year}"


def short_date(day: dt.date) -> str:
    """``Mon 4 Jan``, for the rows of a tick grid."""
    words = page_words()
    return f"{words.weekdays[day.weekday()][:3]} {day.day} {words.months[day.month - 1][:3]}"


def count_words(unit: UnitCount, form: Form) -> str:
    """``1½ tablets of 15 mg``, ``2.5 mL of the 1 mg/mL liquid``, ``2 patches of 25 mcg/h``:
    each strength as printed on the product (``1 patch of 12 mcg/h`` for the patch that
    delivers 12.5)."""
    words = page_words()
    if form is Form.ORAL_SOLUTION:
        return words.liquid.format(amount=format_decimal(unit.count), strength=unit.strength_text)
    return words.count.format(
        count=count_number(unit.count),
        noun=counted_noun(form, unit.count),
        strength=unit.strength_text,
    )


def dose_words(dose: Dose, form: Form) -> str:
    """All the units of one dose: ``1 tablet of 15 mg + 1 tablet of 10 mg``."""
    return page_words().plus.join(count_words(u, form) for u in dose.units)

"""What every reader of outside input shares: one "did you mean", one date parser.

Regimen files, plan JSON, symptom logs, batch lists, scales, the catalogue and
the command line all suggest the nearest known word for an unknown one, and all
read a day written ``YYYY-MM-DD``; they do it here, so they do it alike.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable

#: A day as the documents write it: four, two and two ASCII digits.
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def close_to(word: str, known: Iterable[str], *, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` known words closest to ``word`` (closest first), or none."""
    return difflib.get_close_matches(word, list(known), n=n, cutoff=cutoff)


def did_you_mean(
    word: str, known: Iterable[str], *, otherwise: str, n: int = 1, cutoff: float = 0.6
) -> str:
    """The fix for an unknown ``word``: "did you mean 'x'?" (or "'x' or 'y'"), else
    ``otherwise``."""
    close = close_to(word, known, n=n, cutoff=cutoff)
    if close:
        return f"did you mean {' or '.join(map(repr, close))}?"
    return otherwise


def iso_date_shaped(text: str) -> bool:
    """Whether ``text`` is written ``YYYY-MM-DD`` (whatever the numbers)."""
    return _ISO_DAY.fullmatch(text) is not None


def iso_date(text: str) -> dt.date | None:
    """The day ``text`` names as ``YYYY-MM-DD``, or None: any other shape (``20270104``,
    week dates, a time of day, other scripts' digits) or a day the calendar does not
    have (``2027-02-30``). :meth:`datetime.date.fromisoformat` alone accepts more
    shapes than the documents allow."""
    if not iso_date_shaped(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None

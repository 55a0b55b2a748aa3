"""What every reader of outside input shares: one list of problems, one "did you
mean", one date parser.

Regimen files, paces, plan JSON, symptom logs, batch lists, scales, the
catalogue and the command line all gather every problem before they refuse
(:class:`Problems`), name a wrong value's type the same way (:func:`type_name`),
suggest the nearest known word for an unknown one, and read a day written
``YYYY-MM-DD``; they do it here, so they do it alike.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence

from taperplan.errors import InvalidArgumentError, Problem

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


def unknown_key_fix(key: str, known: Sequence[str]) -> str:
    """The fix for an unknown key: the closest known key (or one that starts the
    same), else the list of known keys."""
    lowered = key.lower()
    close = (
        close_to(lowered, known)
        or [k for k in known if len(lowered) >= 3 and k.startswith(lowered[:4])][:1]
    )
    if close:
        return f"did you mean {close[0]!r}?"
    return f"use one of {', '.join(known)}"


def type_name(value: object) -> str:
    """A value's type in the words of the documents ("text", "a whole number", …)."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES = {
    bool: "true/false",
    int: "a whole number",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "a table",
}


class Problems:
    """Every problem found while reading one input, each with its path, what is
    wrong and the fix; a problem found twice (one field checked on two ways) is
    kept once. Readers refuse with all of them at once."""

    def __init__(self) -> None:
        self._found: list[Problem] = []

    def add(self, path: str, message: str, fix: str = "") -> None:
        """Note a problem at ``path`` (``medication[0].dose``)."""
        problem = Problem(path, message, fix)
        if problem not in self._found:
            self._found.append(problem)

    def wrong_type(self, path: str, value: object, wanted: str, fix: str) -> None:
        """Note that ``value`` at ``path`` is not ``wanted`` ("text", "a table", …)."""
        self.add(path, f"must be {wanted}, not {type_name(value)}", fix)

    def extend(self, problems: Iterable[Problem]) -> None:
        """Note problems another reader found."""
        for problem in problems:
            self.add(problem.path, problem.message, problem.fix)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def __bool__(self) -> bool:
        return bool(self._found)


def require_date(value: object, name: str) -> dt.date:
    """``value`` if it is a calendar day (a :class:`datetime.date`, not a datetime): an
    argument check a type checker would make, for callers without one.

    Raises:
        InvalidArgumentError: naming ``name`` and what to pass instead.
    """
    if isinstance(value, dt.datetime):
        msg = f"{name} must be a datetime.date, not a datetime ({value!r}): pass {name}.date()"
        raise InvalidArgumentError(msg)
    if not isinstance(value, dt.date):
        hint = ""
        if isinstance(value, str):
            hint = f" (for text, pass datetime.date.fromisoformat({value!r}))"
        msg = f"{name} must be a datetime.date, not {type_name(value)}{hint}"
        raise InvalidArgumentError(msg)
    return value


def text_problem(value: object, limit: int) -> str | None:
    """What is wrong with ``value`` as a short free text (None: nothing): text of 1 to
    ``limit`` characters without control characters (it reaches tables and files)."""
    if not isinstance(value, str):
        return f"must be text, not {type_name(value)}"
    if not value.strip() or len(value) > limit:
        return f"must be text of 1 to {limit} characters, not {len(value)}"
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        return "must not hold control characters"
    return None


class ReadRefused(Exception):  # noqa: N818 - a reason, turned into each reader's own error
    """A file :func:`read_limited` will not read: ``reason`` says why, for a message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_limited(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file ``path``, refusing a device, a pipe or a folder and
    stopping as soon as more than ``limit`` bytes have been read (a size from ``stat`` can
    lie: ``/dev/zero`` says 0). A pipe is opened without waiting for a writer.

    Raises:
        ReadRefused: not a regular file, or more than ``limit`` bytes.
        OSError: the file cannot be opened or read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except ValueError:  # a NUL in the name: no file can have it
        raise ReadRefused("has a NUL character in its name") from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise ReadRefused("is not a regular file (a folder, a device or a pipe)")
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(descriptor, min(1 << 16, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise ReadRefused(f"is more than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(descriptor)

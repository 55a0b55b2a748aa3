"""Reading the fields of a symptom-log entry (CSV text or TOML values) into a
:class:`~taperplan.LogEntry`, noting every problem."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from taperplan._reading import Problems, did_you_mean, iso_date
from taperplan.reviewing.log import (
    LogEntry,
    ScaleReading,
    ScaleTotal,
)
from taperplan.reviewing.scales import scale, scales

_BOOLEANS = ("pain_spread", "allodynia", "craving", "loss_of_control")


def suggest(name: str, known: tuple[str, ...] | list[str]) -> str:
    return did_you_mean(name, known, otherwise=f"use one of: {', '.join(known)}")


_TRUE = frozenset({"yes", "y", "true", "1"})
_FALSE = frozenset({"no", "n", "false", "0"})
_BOOL_FIX = "write yes or no, or leave it empty if not recorded"
_SCALE_FIX = "set scale to cows, sows or sows-gossop"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


#: The longest free text of a log row (notes, a pain site): they reach the review's output.
MAX_TEXT = 2000


class EntryReader:
    """Turns raw fields (CSV strings or TOML values) into entries, collecting every problem."""

    def __init__(self) -> None:
        self.problems = Problems()

    def add(self, where: str, message: str, fix: str) -> None:
        self.problems.add(where, message, fix)

    def day(self, value: object, where: str) -> dt.date | None:
        if _blank(value):
            self.add(where, "missing", "write the day as YYYY-MM-DD")
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        day = iso_date(value.strip()) if isinstance(value, str) else None
        if day is not None:
            return day
        shown = value.isoformat() if isinstance(value, dt.datetime) else repr(value)
        self.add(where, f"{shown} is not a date", "write the day as YYYY-MM-DD, e.g. 2027-01-07")
        return None

    def whole(self, value: object, where: str, low: int, high: int) -> int | None:
        if _blank(value):
            return None
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            number = int(value.strip())
        if number is None or not low <= number <= high:
            self.add(
                where,
                f"{value!r} is not a whole number from {low} to {high}",
                f"write a whole number from {low} to {high}",
            )
            return None
        return number

    def flag(self, value: object, where: str) -> bool | None:
        if _blank(value):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().casefold() in _TRUE | _FALSE:
            return value.strip().casefold() in _TRUE
        self.add(where, f"{value!r} is not yes or no", _BOOL_FIX)
        return None

    def text(self, value: object, where: str) -> str | None:
        if _blank(value):
            return None
        if not isinstance(value, str):
            self.problems.wrong_type(where, value, "text", "write it as text")
            return None
        if len(value) > MAX_TEXT:
            self.add(
                where,
                f"is {len(value)} characters long, more than {MAX_TEXT}",
                f"shorten it to at most {MAX_TEXT} characters",
            )
            return None
        return value.strip()

    def scale_key(self, value: object, where: str) -> str | None:
        if _blank(value):
            return None
        keys = [s.key for s in scales()]
        if isinstance(value, str) and value.strip().casefold() in keys:
            return value.strip().casefold()
        self.add(where, f"{value!r} is not a scale", suggest(str(value).strip().casefold(), keys))
        return None

    def reading(
        self,
        key: str | None,
        total_raw: object,
        items: Mapping[str, object],
        where: Callable[[str], str],
        item_where: Callable[[str, str], str],
    ) -> ScaleReading | None:
        """The scale result (from items) or total of one entry, or None."""
        given = {k: val for k, val in items.items() if not _blank(val)}
        if key is None:
            if not _blank(total_raw):
                self.add(where("total"), "a total without a scale", _SCALE_FIX)
            for item in given:
                self.add(item_where("", item), "an item score without a scale", _SCALE_FIX)
            return None
        found = scale(key)
        total = self.whole(total_raw, where("total"), 0, found.maximum)
        if not given:
            if total is None:
                if _blank(total_raw):
                    self.add(
                        where("scale"),
                        f"{key} has no total and no item scores",
                        f"give the total (0 to {found.maximum}) or every item's score",
                    )
                return None
            return ScaleTotal.of(key, total)
        answers: dict[str, object] = {}
        bad: set[str] = set()
        for item, raw in given.items():
            if isinstance(raw, int) and not isinstance(raw, bool):
                answers[item] = raw
            elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
                answers[item] = int(raw.strip())
            else:
                known = [i.key for i in found.items]
                legal = ", ".join(map(str, found.item(item).values)) if item in known else ""
                self.add(
                    item_where(key, item),
                    f"{raw!r} is not a whole number",
                    f"use one of {legal}" if legal else suggest(item, known),
                )
                bad.add(item)
        for problem in found.problems(answers):
            if problem.path not in bad:
                self.add(item_where(key, problem.path), problem.message, problem.fix)
        if bad or found.problems(answers):
            return None
        result = found.score(answers)
        if total is not None and total != result.total:
            self.add(
                where("total"),
                f"{total} is not the sum of the items ({result.total})",
                "correct the total or the items, or leave the total empty",
            )
            return None
        return result

    def entry(
        self,
        raw: Mapping[str, object],
        items: Mapping[str, object],
        where: Callable[[str], str],
        item_where: Callable[[str, str], str],
    ) -> LogEntry | None:
        before = len(self.problems)
        day = self.day(raw.get("date"), where("date"))
        key = self.scale_key(raw.get("scale"), where("scale"))
        reading = None
        if key is not None or _blank(raw.get("scale")):
            reading = self.reading(key, raw.get("total"), items, where, item_where)
        pain = self.whole(raw.get("pain"), where("pain"), 0, 10)
        site = self.text(raw.get("pain_site"), where("pain_site"))
        flags = {name: self.flag(raw.get(name), where(name)) for name in _BOOLEANS}
        notes = self.text(raw.get("notes"), where("notes")) or ""
        if len(self.problems) != before or day is None:
            return None
        return LogEntry(
            day=day,
            scale=reading,
            pain=pain,
            pain_site=site,
            notes=notes,
            **flags,
        )

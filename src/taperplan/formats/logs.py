"""Reading symptom logs and plan JSON for the review, and the review's JSON view.

Two log formats, both documented in ``docs/review.md``:

* **CSV** with a header row. Columns (any order, all but ``date`` optional):
  ``date,scale,total,pain,pain_site,pain_spread,allodynia,craving,loss_of_control,notes``,
  plus one column per scale item named ``<scale>.<item>`` (``cows.pulse``) to
  record a full answer set, which is then scored. Booleans are ``yes``/``no``
  (also ``true``/``false``, ``y``/``n``, ``1``/``0``); an empty cell means
  "not recorded". Problems are reported as ``row N, field`` where ``N`` is the
  spreadsheet row (the header is row 1).
* **TOML** with one ``[[entry]]`` table per entry: the same keys, TOML dates
  and booleans, and the item scores in an ``items`` table. Problems are
  reported as ``entry[N].field``, counting from 0 like the regimen file.

Every problem in a file is reported at once in one :class:`InvalidLogError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from taperplan._reading import Problems, did_you_mean, iso_date
from taperplan.errors import InvalidLogError, InvalidPlanDataError, Problem
from taperplan.formats.json import load_plan, plan_from_dict
from taperplan.reviewing.log import (
    LogEntry,
    ScaleReading,
    ScaleTotal,
    SymptomLog,
    symptom_log,
)
from taperplan.reviewing.results import Review
from taperplan.reviewing.review import REVIEW_SCHEMA
from taperplan.reviewing.scales import ScaleResult, scale, scale_result_to_dict, scales
from taperplan.reviewing.timeline import PlanTimeline, timeline_of

#: The columns of a CSV log (besides the ``<scale>.<item>`` columns), in documented order.
LOG_COLUMNS: tuple[str, ...] = (
    "date",
    "scale",
    "total",
    "pain",
    "pain_site",
    "pain_spread",
    "allodynia",
    "craving",
    "loss_of_control",
    "notes",
)
_TOML_KEYS = (*LOG_COLUMNS, "items")
_BOOLEANS = ("pain_spread", "allodynia", "craving", "loss_of_control")
_TRUE = frozenset({"yes", "y", "true", "1"})
_FALSE = frozenset({"no", "n", "false", "0"})
_BOOL_FIX = "write yes or no, or leave it empty if not recorded"
_SCALE_FIX = "set scale to cows, sows or sows-gossop"


def _suggest(name: str, known: tuple[str, ...] | list[str]) -> str:
    return did_you_mean(name, known, otherwise=f"use one of: {', '.join(known)}")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _EntryReader:
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
        elif isinstance(value, str) and value.strip().isdigit():
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
        return value.strip()

    def scale_key(self, value: object, where: str) -> str | None:
        if _blank(value):
            return None
        keys = [s.key for s in scales()]
        if isinstance(value, str) and value.strip().casefold() in keys:
            return value.strip().casefold()
        self.add(where, f"{value!r} is not a scale", _suggest(str(value).strip().casefold(), keys))
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
            elif isinstance(raw, str) and raw.strip().isdigit():
                answers[item] = int(raw.strip())
            else:
                known = [i.key for i in found.items]
                legal = ", ".join(map(str, found.item(item).values)) if item in known else ""
                self.add(
                    item_where(key, item),
                    f"{raw!r} is not a whole number",
                    f"use one of {legal}" if legal else _suggest(item, known),
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


def _decode(data: bytes, source: str) -> str:
    try:
        # utf-8-sig: spreadsheets often save CSV with a byte-order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidLogError(
            source,
            [
                Problem(
                    "",
                    f"not UTF-8 text ({error.reason} at byte {error.start})",
                    "save the file as UTF-8",
                )
            ],
        ) from None


def parse_log_csv(text: str, *, source: str = "log.csv") -> SymptomLog:
    """Read a CSV symptom log (see the module docstring for the columns).

    Raises:
        InvalidLogError: listing every problem in the file with its row and column.
    """
    reader = csv.reader(io.StringIO(text))
    problems: list[Problem] = []
    header_row = next(reader, None)
    if header_row is None:
        raise InvalidLogError(
            source,
            [Problem("row 1", "no header row", f"start with the header: {','.join(LOG_COLUMNS)}")],
        )
    header = [name.strip().casefold() for name in header_row]
    columns: dict[str, int] = {}
    item_columns: dict[tuple[str, str], int] = {}
    scale_keys = [s.key for s in scales()]
    for position, name in enumerate(header):
        place = f"row 1, column {position + 1} ({name!r})"
        if name in columns or any(f"{k}.{i}" == name for k, i in item_columns):
            problems.append(Problem(place, "appears twice", "keep one column of each name"))
        elif name in LOG_COLUMNS:
            columns[name] = position
        elif "." in name and name.split(".", 1)[0] in scale_keys:
            key, item = name.split(".", 1)
            known = [i.key for i in scale(key).items]
            if item in known:
                item_columns[key, item] = position
            else:
                columns_of_scale = [f"{key}.{i}" for i in known]
                problems.append(
                    Problem(place, f"not an item of {key}", _suggest(name, columns_of_scale))
                )
        else:
            everything = [*LOG_COLUMNS, *(f"{s.key}.{i.key}" for s in scales() for i in s.items)]
            problems.append(
                Problem(
                    place,
                    "unknown column",
                    _suggest(name, everything) if name else "name the column or delete it",
                )
            )
    if "date" not in columns:
        problems.append(
            Problem("row 1", "no date column", f"start with the header: {','.join(LOG_COLUMNS)}")
        )
        raise InvalidLogError(source, problems)
    entries_reader = _EntryReader()
    entries: list[LogEntry] = []
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            entries_reader.add(
                f"row {number}",
                f"{len(row)} fields, but the header has {len(header)}",
                "put text with commas in double quotes",
            )
            continue
        cells = row + [""] * (len(header) - len(row))
        raw = {name: cells[position] for name, position in columns.items()}
        row_scale = cells[columns["scale"]].strip().casefold() if "scale" in columns else ""
        items: dict[str, object] = {}
        for (key, item), position in item_columns.items():
            if key == row_scale:
                items[item] = cells[position]
            elif cells[position].strip():
                entries_reader.add(
                    f"row {number}, {key}.{item}",
                    f"a {key} score on a row whose scale is {row_scale or 'empty'}",
                    f"set scale to {key}, or clear the cell",
                )

        def where(field: str, number: int = number) -> str:
            return f"row {number}, {field}"

        def item_where(key: str, item: str, number: int = number) -> str:
            return f"row {number}, {key}.{item}"

        entry = entries_reader.entry(raw, items, where, item_where)
        if entry is not None:
            entries.append(entry)
    problems.extend(entries_reader.problems)
    if problems:
        raise InvalidLogError(source, problems)
    return symptom_log(entries)


def parse_log_toml(text: str, *, source: str = "log.toml") -> SymptomLog:
    """Read a TOML symptom log: one ``[[entry]]`` table per entry.

    Raises:
        InvalidLogError: listing every problem in the file with its path.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidLogError(
            source, [Problem("", f"not valid TOML: {error}", "fix the TOML syntax at that line")]
        ) from None
    problems: list[Problem] = [
        Problem(key, "unknown key", "put each entry in an [[entry]] table")
        for key in data
        if key != "entry"
    ]
    raw_entries = data.get("entry", [])
    if not isinstance(raw_entries, list):
        problems.append(
            Problem("entry", "must be a list of tables", "write each entry as [[entry]]")
        )
        raw_entries = []
    reader = _EntryReader()
    entries: list[LogEntry] = []
    for index, raw in enumerate(raw_entries):
        path = f"entry[{index}]"
        if not isinstance(raw, Mapping):
            reader.add(path, "must be a table", "write each entry as [[entry]]")
            continue
        for key in raw:
            if key not in _TOML_KEYS:
                reader.add(f"{path}.{key}", "unknown key", _suggest(key, _TOML_KEYS))
        items = raw.get("items", {})
        if not isinstance(items, Mapping):
            reader.add(
                f"{path}.items",
                "must be a table of item scores",
                "write items = { pulse = 1, ... }",
            )
            items = {}

        def where(field: str, path: str = path) -> str:
            return f"{path}.{field}"

        def item_where(_key: str, item: str, path: str = path) -> str:
            return f"{path}.items.{item}"

        entry = reader.entry(raw, items, where, item_where)
        if entry is not None:
            entries.append(entry)
    problems.extend(reader.problems)
    if problems:
        raise InvalidLogError(source, problems)
    return symptom_log(entries)


def load_log(path: str | Path) -> SymptomLog:
    """Read a symptom log file: ``.csv`` or ``.toml`` (by the file's suffix).

    Raises:
        InvalidLogError: the file cannot be read, its format is unknown, or
            entries are wrong (every problem at once).
    """
    source = str(path)
    suffix = Path(path).suffix.casefold()
    if suffix not in {".csv", ".toml"}:
        raise InvalidLogError(
            source,
            [
                Problem(
                    "",
                    f"unknown log format {suffix or '(no suffix)'!r}",
                    "use a .csv or .toml file (see docs/review.md)",
                )
            ],
        )
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InvalidLogError(
            source, [Problem("", f"cannot read the file ({error.strerror})", "check the path")]
        ) from None
    text = _decode(data, source)
    if suffix == ".csv":
        return parse_log_csv(text, source=source)
    return parse_log_toml(text, source=source)


# --- plan JSON -------------------------------------------------------------------


def timeline_from_json(data: Mapping[str, Any], *, source: str = "plan") -> PlanTimeline:
    """The timeline of a plan read back from its JSON (``taperplan plan --format json``).

    The plan is read by :func:`taperplan.export.plan_from_dict`, the one reader of
    plan JSON, so a review accepts exactly the plans taperplan wrote.

    Args:
        data: the parsed JSON object (:func:`taperplan.export.plan_to_dict`'s shape).
        source: the file name, for messages.

    Raises:
        InvalidPlanDataError: listing every missing or malformed field by path.
    """
    if not isinstance(data, Mapping):
        raise InvalidPlanDataError(
            source, [Problem("", "is not a JSON object", "use taperplan plan --format json")]
        )
    return timeline_of(plan_from_dict(data, source=source))


def load_timeline(path: str | Path) -> PlanTimeline:
    """Read the plan JSON that ``taperplan plan --format json`` wrote.

    Raises:
        InvalidPlanDataError: the file cannot be read or is not that JSON,
            naming the file and each bad field.
    """
    return timeline_of(load_plan(path))


# --- JSON views ------------------------------------------------------------------


def scale_reading_to_dict(reading: ScaleReading) -> dict[str, Any]:
    """``{"scale", "items", "total", "maximum", "band", "source"}``; ``items`` is None for a total."""
    if isinstance(reading, ScaleResult):
        return scale_result_to_dict(reading)
    return {
        "scale": reading.scale,
        "items": None,
        "total": reading.total,
        "maximum": reading.maximum,
        "band": reading.band.label if reading.band is not None else None,
        "source": reading.source,
    }


def log_entry_to_dict(entry: LogEntry) -> dict[str, Any]:
    """A JSON-ready view of one log entry."""
    return {
        "date": entry.day.isoformat(),
        "scale": None if entry.scale is None else scale_reading_to_dict(entry.scale),
        "pain": entry.pain,
        "pain_site": entry.pain_site,
        "pain_spread": entry.pain_spread,
        "allodynia": entry.allodynia,
        "craving": entry.craving,
        "loss_of_control": entry.loss_of_control,
        "notes": entry.notes,
    }


def _date(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def review_to_dict(result: Review) -> dict[str, Any]:
    """The ``taperplan review --format json`` object (schema ``taperplan.review/1``)."""
    return {
        "schema": REVIEW_SCHEMA,
        "on": result.on.isoformat(),
        "plan": {"id": result.plan_id, "revision": result.revision},
        "pause_days": result.pause_days,
        "entries": result.entries,
        "ignored_after_on": result.ignored,
        "flags": [
            {
                "rule": flag.rule,
                "kind": flag.kind,
                "step": flag.step_id,
                "message": flag.message,
                "source": flag.source,
                "also": list(flag.also),
                "evidence": [
                    {
                        "date": e.day.isoformat(),
                        "finding": e.finding,
                        "entry": log_entry_to_dict(e.entry),
                    }
                    for e in flag.evidence
                ],
                "pause_preview": None
                if flag.pause_preview is None
                else {
                    "on": flag.pause_preview.on.isoformat(),
                    "days": flag.pause_preview.days,
                    "hold_from": flag.pause_preview.hold_from.isoformat(),
                    "held_days": flag.pause_preview.held_days,
                    "next_cut_step": flag.pause_preview.next_cut_step,
                    "next_cut_now": _date(flag.pause_preview.next_cut_now),
                    "next_cut_paused": _date(flag.pause_preview.next_cut_paused),
                    "stop_now": flag.pause_preview.stop_now.isoformat(),
                    "stop_paused": flag.pause_preview.stop_paused.isoformat(),
                    "source": flag.pause_preview.source,
                },
            }
            for flag in result.flags
        ],
        "notes": [{"code": n.code, "message": n.message, "source": n.source} for n in result.notes],
    }

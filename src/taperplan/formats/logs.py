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
import io
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from taperplan._reading import ReadRefused, read_limited
from taperplan.errors import InvalidLogError, Problem
from taperplan.formats._log_fields import EntryReader, suggest
from taperplan.reviewing.log import (
    LogEntry,
    SymptomLog,
    symptom_log,
)
from taperplan.reviewing.scales import scale, scales

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


#: The largest symptom log :func:`load_log` reads (years of daily rows fit in it).
MAX_LOG_BYTES = 4 * 1024 * 1024
#: The most rows (entries) a symptom log may have: ten years of daily rows.
MAX_LOG_ROWS = 3700


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
    # newline="": the csv module splits rows itself, so a bare carriage return (an old Mac
    # file, or damage) is a line end or a character, never an error from inside it.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse_log_rows(reader, source)
    except csv.Error as error:
        raise InvalidLogError(
            source,
            [Problem(f"row {reader.line_num}", f"not CSV: {error}", "save the log as CSV (UTF-8)")],
        ) from None


def _parse_log_rows(reader: Any, source: str) -> SymptomLog:
    """The entries of a CSV log's rows (see :func:`parse_log_csv`); ``reader`` is a
    :func:`csv.reader`, whose ``line_num`` names the rows."""
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
                    Problem(place, f"not an item of {key}", suggest(name, columns_of_scale))
                )
        else:
            everything = [*LOG_COLUMNS, *(f"{s.key}.{i.key}" for s in scales() for i in s.items)]
            problems.append(
                Problem(
                    place,
                    "unknown column",
                    suggest(name, everything) if name else "name the column or delete it",
                )
            )
    if "date" not in columns:
        problems.append(
            Problem("row 1", "no date column", f"start with the header: {','.join(LOG_COLUMNS)}")
        )
        raise InvalidLogError(source, problems)
    entries_reader = EntryReader()
    entries: list[LogEntry] = []
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(entries) >= MAX_LOG_ROWS:
            entries_reader.add(
                f"row {number}",
                f"more than {MAX_LOG_ROWS} rows",
                "review a shorter period, or split the log",
            )
            break
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
    if isinstance(raw_entries, list) and len(raw_entries) > MAX_LOG_ROWS:
        raise InvalidLogError(
            source,
            [
                Problem(
                    "entry",
                    f"{len(raw_entries)} entries, more than {MAX_LOG_ROWS}",
                    "review a shorter period, or split the log",
                )
            ],
        )
    if not isinstance(raw_entries, list):
        problems.append(
            Problem("entry", "must be a list of tables", "write each entry as [[entry]]")
        )
        raw_entries = []
    reader = EntryReader()
    entries: list[LogEntry] = []
    for index, raw in enumerate(raw_entries):
        path = f"entry[{index}]"
        if not isinstance(raw, Mapping):
            reader.add(path, "must be a table", "write each entry as [[entry]]")
            continue
        for key in raw:
            if key not in _TOML_KEYS:
                reader.add(f"{path}.{key}", "unknown key", suggest(key, _TOML_KEYS))
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
        data = read_limited(path, MAX_LOG_BYTES)
    except ReadRefused as refused:
        raise InvalidLogError(
            source,
            [Problem("", refused.reason, f"a log is a file of at most {MAX_LOG_BYTES} bytes")],
        ) from None
    except OSError as error:
        raise InvalidLogError(
            source, [Problem("", f"cannot read the file ({error.strerror})", "check the path")]
        ) from None
    text = _decode(data, source)
    if suffix == ".csv":
        return parse_log_csv(text, source=source)
    return parse_log_toml(text, source=source)


# --- plan JSON -------------------------------------------------------------------


# --- JSON views ------------------------------------------------------------------

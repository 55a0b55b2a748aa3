"""A batch's input: a clinic CSV (id, regimen, start, pace) or a folder of regimen files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path

from taperplan._reading import ReadRefused, iso_date, read_limited
from taperplan.batch.items import BatchItem
from taperplan.errors import BatchInputError, CatalogueError, Problem
from taperplan.reference.paces import preset

#: The columns of a batch CSV: ``id`` and ``regimen`` are required.
BATCH_COLUMNS = ("id", "regimen", "start", "pace")


#: What an ``id`` in a batch CSV may look like: it names the output files.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"


#: Largest batch CSV taperplan reads (a row is well under 1 KiB).
MAX_BATCH_CSV_BYTES = 64 * 1024 * 1024


def load_batch(path: str | os.PathLike[str]) -> list[BatchItem]:
    """The entries of a batch: a clinic CSV, or a folder of regimen files.

    A folder gives one entry per ``*.toml`` file in it, sorted by file name,
    named by the file's stem. A CSV (UTF-8, header first) has one row per
    patient with the columns:

    - ``id`` (required): the patient's id, which names the output files:
      letters, digits, ``.``, ``_`` and ``-``, starting with a letter or
      digit, unique regardless of case;
    - ``regimen`` (required): the path of the patient's regimen TOML file,
      relative to the CSV's folder (or absolute);
    - ``start`` (optional): the day of the first cut, ``YYYY-MM-DD``;
    - ``pace`` (optional): a pace preset name.

    Blank ``start`` and ``pace`` cells use the batch's; other columns are
    ignored, and so are blank rows. The regimen files themselves are read
    when planned, so one missing or malformed file only fails its own entry.

    Raises:
        BatchInputError: the path cannot be read, or (listing every problem)
            the CSV's header or rows are wrong.
    """
    source = Path(path)
    name = os.fspath(path)
    try:
        folder = source.is_dir()
    except (OSError, ValueError) as error:
        raise _one(
            name, "", f"cannot read it ({getattr(error, 'strerror', None) or error})", _GIVE
        ) from None
    if folder:
        return _folder_items(source, name)
    try:
        text = read_limited(source, MAX_BATCH_CSV_BYTES).decode("utf-8-sig")
    except ReadRefused as refused:
        raise _one(name, "", refused.reason, "give a batch CSV file, or split the batch") from None
    except OSError as error:
        raise _one(
            name,
            "",
            f"cannot read it ({error.strerror or error})",
            _GIVE,
        ) from None
    except UnicodeDecodeError as error:
        raise _one(
            name, "", f"not UTF-8 text (byte {error.start})", "save the CSV as UTF-8"
        ) from None
    return parse_batch_csv(text, base=source.parent, source=name)


_GIVE = "give a batch CSV or a folder of regimen .toml files"


def _one(source: str, where: str, message: str, fix: str) -> BatchInputError:
    return BatchInputError([Problem(where, message, fix)], source)


def _folder_items(folder: Path, name: str) -> list[BatchItem]:
    files = sorted(
        (p for p in folder.iterdir() if p.suffix == ".toml" and p.is_file()), key=lambda p: p.name
    )
    if not files:
        raise _one(
            name,
            "",
            "the folder has no .toml regimen files",
            "put one regimen file per patient in it",
        )
    items = [BatchItem(p.stem, os.fspath(p)) for p in files]
    problems = [
        Problem(
            ascii(item.key + ".toml"),
            "the file's name (its patient id) is not letters, digits, '.', '_' and '-' "
            "starting with a letter or digit, at most 100 characters",
            "rename the file: its name becomes the patient's output file names",
        )
        for item in items
        if not re.fullmatch(ID_PATTERN, item.key)
    ]
    problems += _duplicates([(item.key, f"{item.key}.toml") for item in items])
    if problems:
        raise BatchInputError(problems, name)
    return items


def _duplicates(keys: Sequence[tuple[str, str]]) -> list[Problem]:
    """A problem for each key that repeats another regardless of case."""
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for key, where in keys:
        folded = key.casefold()
        if folded in seen:
            problems.append(
                Problem(
                    where,
                    f"id {key!r} repeats {seen[folded]} (ids name files, so case does not count)",
                    "give every patient a different id",
                )
            )
        else:
            seen[folded] = where
    return problems


def parse_batch_csv(
    text: str, *, base: str | os.PathLike[str] = ".", source: str = "batch.csv"
) -> list[BatchItem]:
    """The entries of a batch CSV's text (see :func:`load_batch` for the columns).

    Args:
        text: the CSV text, header first.
        base: the folder that relative ``regimen`` paths start from.
        source: the CSV's name, for messages.

    Raises:
        BatchInputError: listing every problem in the header and the rows.
    """

    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [(name or "").strip() for name in reader.fieldnames or ()]
    except csv.Error as error:
        raise _one(source, "line 1", f"not CSV: {error}", "save the list as CSV") from None
    missing = [column for column in ("id", "regimen") if column not in header]
    if missing:
        raise _one(
            source,
            "line 1",
            f"the header has no {' or '.join(map(repr, missing))} column"
            + (f" (it has {', '.join(map(repr, header))})" if header else ""),
            "start the CSV with the header 'id,regimen' (optional: ',start,pace')",
        )
    reader.fieldnames = header
    id_re = re.compile(ID_PATTERN)
    problems: list[Problem] = []
    items: list[BatchItem] = []
    keys: list[tuple[str, str]] = []
    try:
        for row in reader:
            line = reader.line_num
            cells = {
                key: (value or "").strip() for key, value in row.items() if isinstance(value, str)
            }
            if not any(cells.values()):
                continue
            before = len(problems)
            key = cells.get("id", "")
            if id_re.fullmatch(key):
                keys.append((key, f"line {line}, id"))
            else:
                problems.append(
                    Problem(
                        f"line {line}, id",
                        f"{key!r} is not a usable id" if key else "missing",
                        "use 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit",
                    )
                )
            regimen = cells.get("regimen", "")
            if not regimen:
                problems.append(
                    Problem(
                        f"line {line}, regimen",
                        "missing",
                        "give the path of the patient's regimen .toml file",
                    )
                )
            start = _cell_date(cells.get("start", ""), f"line {line}, start", problems)
            pace = cells.get("pace", "") or None
            if pace is not None:
                try:
                    preset(pace)
                except CatalogueError as error:
                    problems.append(
                        Problem(
                            f"line {line}, pace",
                            str(error),
                            "use a name that `taperplan paces` lists, or leave it blank",
                        )
                    )
            if len(problems) == before:
                items.append(
                    BatchItem(key, os.fspath(Path(base) / regimen), start=start, pace=pace)
                )
    except csv.Error as error:
        problems.append(Problem(f"line {reader.line_num}", f"not CSV: {error}", "fix the quoting"))
    problems += _duplicates(keys)
    if not items and not problems:
        problems.append(Problem("", "no patients", "add one row per patient under the header"))
    if problems:
        raise BatchInputError(problems, source)
    return items


def _cell_date(text: str, where: str, problems: list[Problem]) -> dt.date | None:
    if not text:
        return None
    day = iso_date(text)
    if day is None:
        problems.append(
            Problem(where, f"{text!r} is not a date", "write it as YYYY-MM-DD, or leave it blank")
        )
    return day

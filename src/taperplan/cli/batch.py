"""``taperplan batch``: plan a clinic's patients at once, on every core.

Loaded by the root group in :mod:`taperplan.cli.main` only when the command
runs or shows its help (a lazily loaded subcommand). It follows the CLI's exit
codes: 0 the batch ran (patients that could not be planned are listed in the
summary and on stderr); 2 bad input or usage (a missing input, a bad CSV header
or row, an unknown pace, outputs that exist without ``--force``), with nothing
written and nothing on stdout; 1 an internal error in taperplan (reported after
every other patient's files are written).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from taperplan._statement import SAFETY
from taperplan.batch import (
    SUMMARY_COLUMNS,
    BatchItem,
    iter_ordered,
    load_batch,
    plan_one,
    summary_row,
)
from taperplan.cli.terminal import echo
from taperplan.cli.types import ISO_DATE, Refused, next_monday
from taperplan.errors import BatchInputError, TaperplanError
from taperplan.formats import csv as csv_format
from taperplan.formats import ics as ics_format
from taperplan.formats import json as json_format
from taperplan.formats._cells import csv_cell
from taperplan.formats.files import write_output
from taperplan.reference.paces import preset

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: The files written for each planned patient, after its id.
SUFFIXES = (".json", ".csv", ".ics")
#: The summary file in the output folder, written last.
SUMMARY_FILE = "summary.csv"
#: The columns of ``summary.csv``: the batch summary, then the calendar file
#: (or why there is none).
COLUMNS = (*SUMMARY_COLUMNS, "calendar")
#: Most existing files named when refusing to overwrite.
_SHOWN = 5


class BatchInternalError(RuntimeError):
    """A bug in taperplan hit one or more patients; the others were written (exit 1)."""


@attrs.frozen
class Outcome:
    """What a worker hands back for one patient: its summary row and its files."""

    row: dict[str, str]
    files: tuple[tuple[str, bytes], ...] = ()
    internal: bool = False


def plan_files(
    item: BatchItem,
    *,
    start: dt.date,
    pace: str | None,
    today: dt.date | None,
    dtstamp: dt.datetime,
) -> Outcome:
    """Plan one patient and render its JSON, CSV and calendar (runs in a worker).

    A regimen without a ``timezone`` gets no calendar; the ``calendar``
    column says why.
    """
    result = plan_one(item, start=start, pace=pace, today=today)
    row = summary_row(result) | {"calendar": ""}
    plan = result.plan
    if plan is None:
        return Outcome(row, internal=result.internal)
    try:
        files = [
            (".json", json_format.plan_to_json(plan).encode()),
            (".csv", csv_format.plan_to_csv(plan).encode()),
        ]
        try:
            files.append((".ics", ics_format.plan_to_ics(plan, dtstamp=dtstamp)))
            row["calendar"] = f"{item.key}.ics"
        except TaperplanError as error:
            row["calendar"] = f"none: {error}"
    # One bug in an export must not stop the batch: the patient is reported.
    except Exception as error:
        row |= dict.fromkeys(("pace", "stop", "weeks", "steps", "baseline_mme_per_day"), "")
        row |= {
            "status": "error",
            "error_type": type(error).__name__,
            "error": f"internal error while writing the files: {error}",
        }
        return Outcome(row, internal=True)
    return Outcome(row, tuple(files))


def _stderr_is_tty() -> bool:
    """Whether a person watches stderr (tests replace this)."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def _dtstamp() -> dt.datetime:
    """The calendars' DTSTAMP: ``SOURCE_DATE_EPOCH`` if set, else now (UTC, whole seconds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise Refused(
                f"SOURCE_DATE_EPOCH: {epoch!r} is not a number of seconds; unset it or give one"
            )
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _load(source: str) -> list[BatchItem]:
    try:
        items = load_batch(source)
    except BatchInputError as error:
        raise Refused(str(error)) from None
    reserved = Path(SUMMARY_FILE).stem
    clash = [item.key for item in items if item.key.casefold() == reserved]
    if clash:
        raise Refused(
            f"{source}: the id {clash[0]!r} would overwrite {SUMMARY_FILE}; give that patient another id"
        )
    return items


def _targets(out: Path, items: Sequence[BatchItem]) -> list[Path]:
    return [out / f"{item.key}{suffix}" for item in items for suffix in SUFFIXES] + [
        out / SUMMARY_FILE
    ]


def _refuse_existing(out: Path, targets: Sequence[Path]) -> None:
    found = [path for path in targets if path.exists() or path.is_symlink()]
    if not found:
        return
    names = ", ".join(str(path) for path in found[:_SHOWN])
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    raise Refused(
        f"{out}: {len(found)} output file{'s' if len(found) != 1 else ''} exist ({names}{more}); "
        "nothing was written (use --force to replace them, or choose another --out)"
    )


def _summary_csv(rows: Iterable[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def _table(rows: Sequence[dict[str, str]]) -> str:
    header = ("id", "status", "pace", "start", "stop", "weeks", "MME/day", "error")
    keys = ("id", "status", "pace", "start", "stop", "weeks", "baseline_mme_per_day", "error_type")
    cells = [header, *(tuple(row[key] for key in keys) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    )


def _write(out: Path, outcome: Outcome, *, force: bool) -> None:
    key = outcome.row["id"]
    written = set()
    for suffix, data in outcome.files:
        write_output(out / f"{key}{suffix}", data, force=force)
        written.add(suffix)
    # With --force, a file left from an earlier run that this run did not
    # remake (the patient now fails, or has no calendar) would be a stale plan
    # beside the new summary: remove it.
    for suffix in SUFFIXES:
        if suffix not in written:
            (out / f"{key}{suffix}").unlink(missing_ok=True)


@click.command()
@click.argument("source", metavar="IN.csv|DIR", type=click.Path(path_type=str))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Folder for the plans and summary.csv (made if missing).",
)
@click.option(
    "--start",
    type=ISO_DATE,
    default=None,
    help="Day of the first cut for patients without a start column (YYYY-MM-DD). "
    "Default: the next Monday (UTC).",
)
@click.option(
    "--pace",
    default=None,
    metavar="NAME",
    help="A pace preset (see `taperplan paces`) for patients without a pace column; "
    "overrides each regimen's [pace].",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Worker processes. Default: every core. The output is the same for any N.",
)
@click.option("--force", is_flag=True, help="Replace output files that exist.")
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Show a progress bar on stderr (only on a terminal).",
)
def batch(
    *,
    source: str,
    out: str,
    start: dt.datetime | None,
    pace: str | None,
    jobs: int | None,
    force: bool,
    progress: bool,
) -> None:
    """Plan every patient of a clinic CSV, or every regimen file of a folder.

    IN.csv has a header and one row per patient: id (names the output
    files), regimen (path of the regimen TOML file, relative to the CSV), and
    optionally start (YYYY-MM-DD) and pace. A folder gives one patient per
    *.toml file, named by the file's stem.

    For each planned patient, the --out folder gets ID.json, ID.csv and
    ID.ics (when the regimen names a timezone); summary.csv lists every
    patient, planned or not, with the reason. One bad regimen never stops the
    others; the command exits 0 when the batch ran, whatever each patient's
    outcome. Nothing is overwritten without --force.

    \b
    Examples:
      taperplan batch clinic.csv --out plans/
      taperplan batch regimens/ --out plans/ --start 2027-01-04 --jobs 4
    """
    items = _load(source)
    if pace is not None:
        try:
            preset(pace)
        except TaperplanError as error:
            raise Refused(f"--pace: {error} (see `taperplan paces`)") from None
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise Refused(f"--out: {out} is a file; give a folder")
    above = next((p for p in folder.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise Refused(f"--out: {above} is a file, so {out} cannot be a folder; give a folder")
    targets = _targets(folder, items)
    if Path(source).resolve() in {target.resolve() for target in targets}:
        raise Refused(
            f"--out: writing to {out} would overwrite the input {source}; choose another folder"
        )
    if not force:
        _refuse_existing(folder, targets)
    dtstamp = _dtstamp()
    # The edge of the program is the one place that reads the clock.
    today = dt.datetime.now(dt.UTC).date()
    if start is None:
        day = next_monday(today)
        if any(item.start is None for item in items):
            echo(
                f"taperplan: --start not given; planning from {day.isoformat()}, "
                "the next Monday (UTC), for patients without a start",
                err=True,
            )
    else:
        day = start.date()
    folder.mkdir(parents=True, exist_ok=True)

    worker = functools.partial(plan_files, start=day, pace=pace, today=today, dtstamp=dtstamp)
    rows: list[dict[str, str]] = []
    internal: set[str] = set()
    outcomes = iter_ordered(worker, items, jobs=jobs)
    bar = (
        click.progressbar(length=len(items), label="planning", file=sys.stderr)
        if progress and _stderr_is_tty()
        else None
    )
    with bar or contextlib.nullcontext():
        for outcome in outcomes:
            try:
                _write(folder, outcome, force=force)
            except TaperplanError as error:
                raise Refused(str(error)) from None
            rows.append(outcome.row)
            if outcome.internal:
                internal.add(outcome.row["id"])
            if bar is not None:
                bar.update(1)
    write_output(folder / SUMMARY_FILE, _summary_csv(rows), force=force)
    _report(rows, folder)
    broken = [row["id"] for row in rows if row["id"] in internal]
    if broken:
        # An exception, not ctx.exit(1): the CLI's main() turns it into exit 1
        # with its "please report" line, as for any other internal error.
        raise BatchInternalError(
            f"{', '.join(broken)}: taperplan failed on {'this patient' if len(broken) == 1 else 'these patients'} "
            f"(see {folder / SUMMARY_FILE}); every other patient was written"
        )


def _report(rows: Sequence[dict[str, str]], folder: Path) -> None:
    failed = [row for row in rows if row["status"] != "ok"]
    for row in failed:
        echo(f"taperplan: {row['id']}: not planned: {row['error']}", err=True)
    echo(_table(rows))
    echo("")
    echo(
        f"{len(rows) - len(failed)} of {len(rows)} planned"
        + (f"; {len(failed)} not planned (see {folder / SUMMARY_FILE})" if failed else "")
        + f". Files in {folder}."
    )
    echo("")
    echo(SAFETY)

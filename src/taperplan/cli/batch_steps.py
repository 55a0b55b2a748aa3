"""The steps of ``taperplan batch`` after its input is checked: resuming from the output
folder's manifest, writing each patient as one unit, the summary and the report."""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from taperplan._statement import SAFETY
from taperplan.batch.files import COLUMNS, SUMMARY_FILE, Outcome, record_fits, write_patient
from taperplan.batch.manifest import (
    MANIFEST_FILE,
    RunHeader,
    Written,
    add,
    read_manifest,
    start_manifest,
    still_there,
)
from taperplan.cli.terminal import echo
from taperplan.cli.types import Refused
from taperplan.errors import TaperplanError
from taperplan.formats._cells import csv_cell
from taperplan.formats.files import check_output

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from taperplan.batch import BatchItem

#: Most names shown in one line.
SHOWN = 5


class BatchInternalError(RuntimeError):
    """A bug in taperplan hit one or more patients; the others were written (exit 1)."""


def resumable(
    folder: Path, header: RunHeader, items: Sequence[BatchItem]
) -> tuple[RunHeader, dict[str, Written]] | None:
    """The run to continue in ``folder`` and its finished patients (``--resume``), or
    None when the folder holds no manifest."""
    try:
        earlier, finished = read_manifest(folder)
    except TaperplanError as error:
        raise Refused(
            f"--resume: {error}; nothing was written (remove it, or use --force to start over)"
        ) from None
    if earlier is None:
        return None
    different = earlier.differences(header)
    if different:
        raise Refused(
            f"--resume: the batch in {folder} was made from other inputs "
            f"({', '.join(different)} changed); nothing was written "
            "(run it as before to resume, or use --force to start over)"
        )
    keys = {item.key for item in items}
    kept = {
        key: done
        for key, done in finished.items()
        if key in keys and record_fits(done) and still_there(folder, done)
    }
    return earlier, kept


def check_bookkeeping(folder: Path, *, replace: bool) -> None:
    """Refuse a summary or manifest path that is not a file this run may replace."""
    for name in (SUMMARY_FILE, MANIFEST_FILE):
        try:
            check_output(folder / name, force=replace)
        except TaperplanError as error:
            raise Refused(str(error)) from None


def write_all(
    folder: Path,
    header: RunHeader,
    finished: dict[str, Written],
    todo: Sequence[BatchItem],
    outcomes: Iterator[Outcome],
    *,
    replace: bool,
    progress: bool,
) -> dict[str, dict[str, str]]:
    """Write each patient as it is planned, recording it in the manifest (and in
    ``finished``); the summary row of every patient, finished earlier or now, by id."""
    by_key = {key: dict(done.row) for key, done in finished.items()}
    bar = (
        click.progressbar(length=len(todo), label="planning", file=sys.stderr) if progress else None
    )
    try:
        manifest = start_manifest(folder, header, finished.values())
    except (TaperplanError, OSError) as error:
        why = error if isinstance(error, TaperplanError) else _why(folder, error)
        raise Refused(
            f"{why}; nothing was written (check the free space and the folder's permissions)"
        ) from None
    with manifest, bar or contextlib.nullcontext():
        for outcome in _guarded(outcomes):
            try:
                written = write_patient(folder, outcome, force=replace)
                add(manifest, written)
            except (TaperplanError, OSError) as error:
                why = error if isinstance(error, TaperplanError) else _why(folder, error)
                raise Refused(f"{why}; {_KEPT}") from None
            by_key[written.key] = dict(written.row)
            finished[written.key] = written
            if bar is not None:
                bar.update(1)
    return by_key


#: How to go on after a batch stopped part way.
_KEPT = (
    "the patients written so far are kept: when the cause is fixed, "
    "run the same command with --resume"
)


def _why(folder: Path, error: OSError) -> str:
    return f"{folder / MANIFEST_FILE}: cannot write it ({error.strerror or error})"


def _guarded(outcomes: Iterator[Outcome]) -> Iterator[Outcome]:
    """The outcomes, with a worker process that died (killed, out of memory) reported as
    such, with the way on."""
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415 - rare

    try:
        yield from outcomes
    except BrokenProcessPool:
        raise BatchInternalError(
            f"a worker process ended unexpectedly (killed, or out of memory); {_KEPT}"
        ) from None


def summary_csv(rows: Iterable[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def table(rows: Sequence[dict[str, str]]) -> str:
    header = ("id", "status", "pace", "start", "stop", "weeks", "MME/day", "error")
    keys = ("id", "status", "pace", "start", "stop", "weeks", "baseline_mme_per_day", "error_type")
    cells = [header, *(tuple(row.get(key, "") for key in keys) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    )


def report(rows: Sequence[dict[str, str]], folder: Path, *, resumed: Sequence[str]) -> None:
    failed = [row for row in rows if row["status"] != "ok"]
    for row in failed:
        echo(f"taperplan: {row['id']}: not planned: {row['error']}", err=True)
    echo(table(rows))
    echo("")
    if resumed:
        shown = ", ".join(resumed[:SHOWN]) + (
            f" and {len(resumed) - SHOWN} more" if len(resumed) > SHOWN else ""
        )
        echo(f"Resumed: {len(resumed)} of {len(rows)} written by the interrupted run ({shown}).")
    echo(
        f"{len(rows) - len(failed)} of {len(rows)} planned"
        + (f"; {len(failed)} not planned (see {folder / SUMMARY_FILE})" if failed else "")
        + f". Files in {folder}."
    )
    echo("")
    echo(SAFETY)

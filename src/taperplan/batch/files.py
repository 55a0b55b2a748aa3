"""A batch's files: each patient's JSON, CSV and calendar, rendered where it is planned
and written as one unit.

:func:`plan_files` runs in a worker (a process of the pool, or a Dask worker):
it plans one patient and renders its files, so only bytes travel back.
:func:`write_patient` puts one patient's files in place all or nothing and
returns what the manifest records about them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs

from taperplan.batch.items import BatchItem, plan_one
from taperplan.batch.manifest import Written, digest
from taperplan.batch.summary import SUMMARY_COLUMNS, summary_row
from taperplan.errors import TaperplanError
from taperplan.formats import csv as csv_format
from taperplan.formats import ics as ics_format
from taperplan.formats import json as json_format
from taperplan.formats.files import write_outputs

#: The files written for each planned patient, after its id.
SUFFIXES = (".json", ".csv", ".ics")
#: The summary file in the output folder, written last.
SUMMARY_FILE = "summary.csv"
#: The columns of ``summary.csv``: the batch summary, then the calendar file
#: (or why there is none).
COLUMNS = (*SUMMARY_COLUMNS, "calendar")


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


def write_patient(folder: Path, outcome: Outcome, *, force: bool) -> Written:
    """Write one patient's files all or nothing and return the manifest's record of them.

    With ``force``, a file of this patient's that this run does not make (the
    patient now fails, or has no calendar) is removed: a stale plan must not
    sit beside the new summary.

    Raises:
        OutputExistsError, OutputError: as :func:`~taperplan.formats.files.write_outputs`;
            none of the patient's new files is left in place.
    """
    key = outcome.row["id"]
    files = [(str(folder / f"{key}{suffix}"), data) for suffix, data in outcome.files]
    write_outputs(files, force=force)
    written = Written(
        key,
        dict(outcome.row),
        tuple((f"{key}{suffix}", digest(data)) for suffix, data in outcome.files),
        outcome.internal,
    )
    forget_unmade(folder, written)
    return written


def record_fits(written: Written) -> bool:
    """Whether a manifest record is one this module writes: a summary row of the patient
    it names, and exactly the files that row implies (none for an error)."""
    key, row = written.key, written.row
    if set(row) != set(COLUMNS) or row["id"] != key or Path(key).name != key:
        return False
    if row["status"] == "error":
        expected = []
    elif row["status"] == "ok" and not written.internal:
        expected = [f"{key}.json", f"{key}.csv"]
        if row["calendar"] == f"{key}.ics":
            expected.append(f"{key}.ics")
    else:
        return False
    return [name for name, _ in written.files] == expected


def forget_unmade(folder: Path, written: Written) -> None:
    """Remove a finished patient's files of kinds its record does not list."""
    listed = {name for name, _ in written.files}
    for suffix in SUFFIXES:
        name = f"{written.key}{suffix}"
        if name not in listed:
            (folder / name).unlink(missing_ok=True)

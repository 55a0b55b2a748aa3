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

import datetime as dt
import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from taperplan.batch import BatchItem, iter_ordered, load_batch
from taperplan.batch.files import (
    COLUMNS,
    SUFFIXES,
    SUMMARY_FILE,
    Outcome,
    forget_unmade,
    plan_files,
)
from taperplan.batch.items import with_content
from taperplan.batch.manifest import (
    MANIFEST_FILE,
    RunHeader,
    Written,
    header_for,
)
from taperplan.batch.pool import fewer_collections
from taperplan.cli.batch_steps import (
    BatchInternalError,
    check_bookkeeping,
    report,
    resumable,
    summary_csv,
    write_all,
)
from taperplan.cli.terminal import echo
from taperplan.cli.types import ISO_DATE, Refused, next_monday
from taperplan.errors import BatchInputError, TaperplanError
from taperplan.formats.files import remove_temporaries, write_output
from taperplan.reference.paces import preset

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = [
    "COLUMNS",
    "SUFFIXES",
    "SUMMARY_FILE",
    "BatchInternalError",
    "Outcome",
    "batch",
    "plan_files",
]

#: Most existing files named when refusing to overwrite.
_SHOWN = 5


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
        out / SUMMARY_FILE,
        out / MANIFEST_FILE,
    ]


def _refuse_existing(out: Path, targets: Sequence[Path]) -> None:
    found = [path for path in targets if path.exists() or path.is_symlink()]
    if not found:
        return
    if out / MANIFEST_FILE in found:
        raise Refused(
            f"{out}: an earlier batch was written here; nothing was written "
            "(use --resume to finish it after an interruption, --force to replace it, "
            "or choose another --out)"
        )
    names = ", ".join(str(path) for path in found[:_SHOWN])
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    raise Refused(
        f"{out}: {len(found)} output file{'s' if len(found) != 1 else ''} exist ({names}{more}); "
        "nothing was written (use --force to replace them, or choose another --out)"
    )


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
    help="Processes planning and rendering: with N of 2 or more, N worker processes while "
    "this one writes the files; with 1, this one alone. Default: every core. "
    "The output is the same for any N.",
)
@click.option(
    "--dask",
    "address",
    default=None,
    metavar="ADDRESS",
    help="Plan on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786) "
    'instead of this machine\'s cores; needs "dask[distributed]". Same output.',
)
@click.option("--force", is_flag=True, help="Replace output files that exist.")
@click.option(
    "--resume",
    is_flag=True,
    help="Finish a batch that was interrupted (killed, a full disk): keep the patients "
    "it wrote completely, plan the rest. The same output as an uninterrupted run.",
)
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
    address: str | None,
    force: bool,
    resume: bool,
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
    outcome. Nothing is overwritten without --force. Each patient's files are
    written as one unit and recorded in the folder's .taperplan-batch.jsonl,
    so an interrupted batch continues with --resume.

    \b
    Examples:
      taperplan batch clinic.csv --out plans/
      taperplan batch regimens/ --out plans/ --start 2027-01-04 --jobs 4
      taperplan batch clinic.csv --out plans/ --resume
    """
    if force and resume:
        raise click.UsageError("--force starts over and --resume continues: give one of them")
    items = _load(source)
    if pace is not None:
        try:
            preset(pace)
        except TaperplanError as error:
            raise Refused(f"--pace: {error} (see `taperplan paces`)") from None
    folder = _folder(out)
    targets = _targets(folder, items)
    if Path(source).resolve() in {target.resolve() for target in targets}:
        raise Refused(
            f"--out: writing to {out} would overwrite the input {source}; choose another folder"
        )
    items = [with_content(item) for item in items]
    # The edge of the program is the one place that reads the clock.
    today = dt.datetime.now(dt.UTC).date()
    day = next_monday(today) if start is None else start.date()
    header = header_for(
        items,
        start=None if start is None else start.date(),
        pace=pace,
        day=day,
        today=today,
        dtstamp=_dtstamp(),
    )
    finished: dict[str, Written] = {}
    earlier = resumable(folder, header, items) if resume and folder.is_dir() else None
    if earlier is not None:
        header, finished = earlier
    elif not force:
        # Nothing to resume: a new batch, which replaces nothing without --force.
        _refuse_existing(folder, targets)
    if folder.is_dir():
        check_bookkeeping(folder, replace=force or resume)
    if start is None and not finished and any(item.start is None for item in items):
        echo(
            f"taperplan: --start not given; planning from {header.day}, "
            "the next Monday (UTC), for patients without a start",
            err=True,
        )
    resumed = [item.key for item in items if item.key in finished]
    todo = [item for item in items if item.key not in finished]
    # A cluster is reached before anything is written; a pool starts on first use.
    outcomes = _outcomes(todo, header, pace=pace, jobs=jobs, address=address)
    folder.mkdir(parents=True, exist_ok=True)
    remove_temporaries(folder, [target.name for target in targets])
    # Until this run's summary is written, the folder holds no finished batch.
    (folder / SUMMARY_FILE).unlink(missing_ok=True)
    for done in finished.values():
        forget_unmade(folder, done)
    with fewer_collections():  # with one job, this process plans
        by_key = write_all(
            folder,
            header,
            finished,
            todo,
            outcomes,
            replace=force or resume,
            progress=progress and _stderr_is_tty(),
        )
    rows = [by_key[item.key] for item in items]
    write_output(folder / SUMMARY_FILE, summary_csv(rows), force=force or resume)
    report(rows, folder, resumed=resumed)
    internal = {done.key for done in finished.values() if done.internal}
    broken = [row["id"] for row in rows if row["id"] in internal]
    if broken:
        # An exception, not ctx.exit(1): the CLI's main() turns it into exit 1
        # with its "please report" line, as for any other internal error.
        raise BatchInternalError(
            f"{', '.join(broken)}: taperplan failed on {'this patient' if len(broken) == 1 else 'these patients'} "
            f"(see {folder / SUMMARY_FILE}); every other patient was written"
        )


def _folder(out: str) -> Path:
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise Refused(f"--out: {out} is a file; give a folder")
    above = next((p for p in folder.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise Refused(f"--out: {above} is a file, so {out} cannot be a folder; give a folder")
    return folder


def _outcomes(
    todo: Sequence[BatchItem],
    header: RunHeader,
    *,
    pace: str | None,
    jobs: int | None,
    address: str | None,
) -> Iterator[Outcome]:
    worker = functools.partial(
        plan_files,
        start=dt.date.fromisoformat(header.day),
        pace=pace,
        today=dt.date.fromisoformat(header.today),
        dtstamp=dt.datetime.fromisoformat(header.dtstamp),
    )
    if address is None:
        return iter_ordered(worker, todo, jobs=jobs, helping=False)
    from taperplan.batch.cluster import iter_cluster  # noqa: PLC0415 - only for a cluster

    try:
        return iter_cluster(worker, todo, address)
    except TaperplanError as error:
        raise Refused(f"--dask: {error}") from None

"""Planning many regimens at once, on every core, in a deterministic order.

:func:`plan_one` is the unit of work: a pure, top-level function from one
:class:`BatchItem` to one :class:`BatchResult`. It never raises for a bad
regimen; the error is recorded in the result instead. :func:`plan_many` maps
it over a batch, in this process or in a pool of worker processes, and returns
the results in input order whatever the number of jobs. Because
:func:`plan_one` is pure and its inputs and results pickle, the same function
maps over a Dask or Spark cluster when one machine is not enough.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import attrs

from taperplan._reading import iso_date
from taperplan.errors import BatchInputError, Problem, TaperplanError

if TYPE_CHECKING:
    from taperplan.model.plan import TaperPlan
    from taperplan.model.regimen import Regimen
    from taperplan.reference.paces import Pace

#: What one batch entry may hold: a regimen, a mapping shaped like the regimen
#: file (interfaces.md §1), or the path of a regimen TOML file.
RegimenSource: TypeAlias = "Regimen | Mapping[str, Any] | str | os.PathLike[str]"

#: The columns of a batch summary (``summary.csv`` of ``taperplan batch``).
SUMMARY_COLUMNS = (
    "id",
    "status",
    "pace",
    "start",
    "stop",
    "weeks",
    "steps",
    "baseline_mme_per_day",
    "error_type",
    "error",
)

_T = TypeVar("_T")
_R = TypeVar("_R")
# Enough items per task to amortise the pickling round trip, few enough that
# the pool stays balanced and the progress bar moves.
_MAX_CHUNK = 64
_CHUNKS_PER_WORKER = 8


def _source_converter(value: object) -> object:
    # Paths pickle, but a plain string is the same on every platform and in a
    # Dask or Spark task; keep mappings and regimens as they are.
    return os.fspath(value) if isinstance(value, os.PathLike) else value


@attrs.frozen
class BatchItem:
    """One entry of a batch: a name, a regimen, and optional overrides.

    Args:
        key: the name of the entry in results and file names (a patient id,
            a file's stem).
        source: a :class:`~taperplan.Regimen`, a mapping shaped like the
            regimen file, or the path of a regimen TOML file (read by the
            worker that plans it).
        start: the day of the first cut for this entry; None: the batch's.
        pace: a pace preset name for this entry; None: the batch's pace, else
            the regimen's ``[pace]``, else the default for its context.
    """

    key: str = attrs.field(validator=attrs.validators.instance_of(str))
    source: RegimenSource = attrs.field(converter=_source_converter)
    start: dt.date | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(dt.date))
    )
    pace: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(str))
    )


@attrs.frozen
class BatchResult:
    """The outcome of planning one batch entry: a plan, or why there is none.

    Exactly one of ``plan`` and ``error`` is set. ``error_type`` is the
    exception's class name (``PlanningError``, ``InvalidRegimenError``, ...);
    ``internal`` is true when it is not a :class:`~taperplan.TaperplanError`,
    that is a bug in taperplan to report.
    """

    key: str
    start: dt.date
    plan: TaperPlan | None = None
    error: str | None = None
    error_type: str | None = None
    internal: bool = False

    @property
    def ok(self) -> bool:
        """Whether the entry was planned."""
        return self.plan is not None


def batch_items(regimens: Iterable[BatchItem | RegimenSource]) -> list[BatchItem]:
    """The batch entries for ``regimens``, naming the ones that have no name.

    A :class:`BatchItem` is kept as it is; a path is named by its file stem
    (``clinic/p001.toml`` → ``p001``); a regimen or a mapping by its position
    in the input (``"0"``, ``"1"``, ...).
    """
    items: list[BatchItem] = []
    for index, entry in enumerate(regimens):
        if isinstance(entry, BatchItem):
            items.append(entry)
        elif isinstance(entry, str | os.PathLike):
            items.append(BatchItem(Path(entry).stem, entry))
        else:
            items.append(BatchItem(str(index), entry))
    return items


def _regimen_of(item: BatchItem, today: dt.date | None) -> Regimen:
    from taperplan.formats.regimen import load_regimen, regimen_from_mapping  # noqa: PLC0415
    from taperplan.model.regimen import Regimen  # noqa: PLC0415

    source = item.source
    if isinstance(source, Regimen):
        return source
    if isinstance(source, Mapping):
        return regimen_from_mapping(source, today=today, source=item.key)
    return load_regimen(source, today=today)


def plan_one(
    item: BatchItem | RegimenSource,
    *,
    start: dt.date,
    pace: Pace | str | None = None,
    today: dt.date | None = None,
) -> BatchResult:
    """Plan one batch entry; never raise for a bad regimen.

    Pure and top-level, so it maps over a process pool or a Dask or Spark
    cluster: the same input always gives the same result.

    Args:
        item: a :class:`BatchItem`, or a regimen source (named as in
            :func:`batch_items`; a regimen or mapping is named ``"0"``).
        start: the day of the first cut, unless the item gives its own.
        pace: a :class:`~taperplan.Pace` or preset name, unless the item
            gives its own; None: the regimen's ``[pace]`` or the default.
        today: the current date, to refuse an ``on_opioids_since`` in the
            future when the regimen is read from a file or a mapping.

    Returns:
        A :class:`BatchResult` with the plan, or with the error's message and
        class name.
    """
    from taperplan.planning import plan_taper  # noqa: PLC0415 - heavy; loaded in the worker

    if not isinstance(item, BatchItem):
        item = batch_items([item])[0]
    day = item.start or start
    try:
        regimen = _regimen_of(item, today)
        plan = plan_taper(regimen, start=day, pace=item.pace or pace)
    except TaperplanError as error:
        return BatchResult(item.key, day, error=str(error), error_type=type(error).__name__)
    # One bug must not stop the batch: it is recorded, marked internal, and reported.
    except Exception as error:
        return BatchResult(
            item.key, day, error=str(error), error_type=type(error).__name__, internal=True
        )
    return BatchResult(item.key, day, plan=plan)


def default_jobs() -> int:
    """The number of worker processes to use by default: every core."""
    return os.cpu_count() or 1


def iter_ordered(
    worker: Callable[[_T], _R],
    items: Sequence[_T],
    *,
    jobs: int | None = None,
    chunksize: int | None = None,
) -> Iterator[_R]:
    """``worker(item)`` for each item, on ``jobs`` processes, yielded in input order.

    ``jobs=1`` (or a single item) runs in this process. Otherwise the work is
    sent in chunks to a pool of freshly started (``spawn``) processes, so the
    results are the same on every platform and never depend on state
    inherited from this process; ``worker`` must be a top-level function (or a
    :func:`functools.partial` of one) and the items and results must pickle.
    Results are yielded as they arrive, so a caller can write each one out
    without holding the whole batch in memory.

    Args:
        worker: the function to apply.
        items: the inputs.
        jobs: worker processes; None: every core.
        chunksize: items per task; None: chosen from the batch size.

    Raises:
        ValueError: ``jobs`` or ``chunksize`` is less than 1 (at once, not on
            the first result).
    """
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    if chunksize is not None and chunksize < 1:
        raise ValueError(f"chunksize must be at least 1, not {chunksize}")
    jobs = min(jobs, len(items))
    if jobs <= 1:
        return map(worker, items)
    size = chunksize or max(1, min(_MAX_CHUNK, len(items) // (jobs * _CHUNKS_PER_WORKER)))
    return _pooled(worker, items, jobs, size)


def _pooled(
    worker: Callable[[_T], _R], items: Sequence[_T], jobs: int, chunksize: int
) -> Iterator[_R]:
    import multiprocessing  # noqa: PLC0415 - only for a pool
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    # spawn, not fork: a forked child inherits this process's threads and
    # locks, and spawn is what macOS and Windows use anyway.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    try:
        yield from pool.map(worker, items, chunksize=chunksize)
    finally:
        # A caller that stops early (an error while writing) must not wait
        # for the rest of the batch to be planned.
        pool.shutdown(wait=True, cancel_futures=True)


def plan_many(
    regimens: Iterable[BatchItem | RegimenSource],
    *,
    start: dt.date,
    pace: Pace | str | None = None,
    today: dt.date | None = None,
    jobs: int | None = None,
    chunksize: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[BatchResult]:
    """Plan every regimen of a batch, on every core, in input order.

    One bad regimen never stops the others: its :class:`BatchResult` carries
    the error instead of a plan. The results are the same, in the same order,
    whatever ``jobs`` is.

    Args:
        regimens: :class:`BatchItem` entries, or regimen sources (a
            :class:`~taperplan.Regimen`, a mapping, a TOML file path), named
            as in :func:`batch_items`.
        start: the day of the first cut, unless an item gives its own.
        pace: a :class:`~taperplan.Pace` or preset name for every item that
            gives none; None: each regimen's ``[pace]`` or the default.
        today: the current date, to refuse an ``on_opioids_since`` in the
            future; taperplan never reads the clock itself.
        jobs: worker processes; None: every core (``os.cpu_count()``); 1: in
            this process.
        chunksize: items sent to a worker at a time; None: chosen for the
            batch.
        progress: called with 1 as each result arrives (e.g. a progress
            bar's ``update``).

    Returns:
        One :class:`BatchResult` per input, in input order.

    Raises:
        ValueError: ``jobs`` or ``chunksize`` is less than 1.
    """
    items = batch_items(regimens)
    worker = functools.partial(plan_one, start=start, pace=pace, today=today)
    results: list[BatchResult] = []
    for result in iter_ordered(worker, items, jobs=jobs, chunksize=chunksize):
        results.append(result)
        if progress is not None:
            progress(1)
    return results


def _weeks(days: int) -> str:
    return str((Decimal(days) / 7).quantize(Decimal("0.1")))


def summary_row(result: BatchResult) -> dict[str, str]:
    """One row of a batch summary, keyed by :data:`SUMMARY_COLUMNS`.

    ``stop`` is the first day without opioid, ``weeks`` the time from the
    start to it; ``baseline_mme_per_day`` is empty where no MME factor
    applies.
    """
    from taperplan.units import format_decimal  # noqa: PLC0415

    row = dict.fromkeys(SUMMARY_COLUMNS, "")
    row["id"] = result.key
    row["start"] = result.start.isoformat()
    plan = result.plan
    if plan is None:
        row["status"] = "error"
        row["error_type"] = result.error_type or ""
        row["error"] = result.error or ""
        return row
    mme = plan.baseline_total_mme_per_day
    row |= {
        "status": "ok",
        "pace": plan.pace.name,
        "stop": plan.stop_date.isoformat(),
        "weeks": _weeks((plan.stop_date - plan.start).days),
        "steps": str(len(plan.steps)),
        "baseline_mme_per_day": "" if mme is None else format_decimal(mme),
    }
    return row


# --- batch input: a clinic CSV or a folder of regimen files -------------------------

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
    if source.is_dir():
        return _folder_items(source, name)
    try:
        size = source.stat().st_size
        if size > MAX_BATCH_CSV_BYTES:
            raise _one(
                name,
                "",
                f"file is {size} bytes, more than {MAX_BATCH_CSV_BYTES}",
                "split the batch",
            )
        text = source.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise _one(
            name,
            "",
            f"cannot read it ({error.strerror or error})",
            "give a batch CSV or a folder of regimen .toml files",
        ) from None
    except UnicodeDecodeError as error:
        raise _one(
            name, "", f"not UTF-8 text (byte {error.start})", "save the CSV as UTF-8"
        ) from None
    return parse_batch_csv(text, base=source.parent, source=name)


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
    problems = _duplicates([(item.key, f"{item.key}.toml") for item in items])
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
    import csv  # noqa: PLC0415
    import io  # noqa: PLC0415

    from taperplan.errors import CatalogueError  # noqa: PLC0415
    from taperplan.reference.paces import preset  # noqa: PLC0415

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

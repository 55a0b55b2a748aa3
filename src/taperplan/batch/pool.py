"""Planning a batch on every core: a process pool that keeps the input order."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from taperplan.batch.items import BatchItem, BatchResult, RegimenSource, batch_items, plan_one

if TYPE_CHECKING:
    from taperplan.reference.paces import Pace

_T = TypeVar("_T")
_R = TypeVar("_R")
# Enough items per task to amortise the pickling round trip, few enough that
# the pool stays balanced and the progress bar moves.
_MAX_CHUNK = 64
_CHUNKS_PER_WORKER = 8


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
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415 - only for a pool

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

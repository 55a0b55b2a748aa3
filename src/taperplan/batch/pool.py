"""Planning a batch on every core: a process pool that keeps the input order."""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from taperplan.batch._collecting import fewer_collections
from taperplan.batch._crew import Crew
from taperplan.batch._worker import run_chunk, watch_parent
from taperplan.batch.items import BatchItem, BatchResult, RegimenSource, batch_items, plan_one

if TYPE_CHECKING:
    from taperplan.reference.paces import Pace

__all__ = [
    "chunk_starts",
    "default_jobs",
    "fewer_collections",
    "iter_ordered",
    "plan_many",
    "run_chunk",
    "watch_parent",
]

_T = TypeVar("_T")
_R = TypeVar("_R")
# Enough items per task to amortise the pickling round trip, few enough that
# the pool stays balanced and the progress bar moves.
_MAX_CHUNK = 16
_CHUNKS_PER_WORKER = 8
#: Chunks a worker process holds: one being planned, the rest ready to start. This
#: process hands out chunks only between two of its own items, and an item can take
#: a few hundred milliseconds (a long search): enough chunks that a worker does not
#: run out meanwhile.
_QUEUED_PER_WORKER = 6
#: Towards the end of a batch whose chunk size is chosen here, a chunk holds at most
#: 1/(jobs * _TAPER) of the items left: the last chunks take little time.
_TAPER = 4


def default_jobs() -> int:
    """The number of worker processes to use by default: every core."""
    return os.cpu_count() or 1


def iter_ordered(
    worker: Callable[[_T], _R],
    items: Sequence[_T],
    *,
    jobs: int | None = None,
    chunksize: int | None = None,
    helping: bool = True,
) -> Iterator[_R]:
    """``worker(item)`` for each item, on ``jobs`` processes, yielded in input order.

    ``jobs=1`` (or a single chunk of items) runs in this process. Otherwise
    this process and ``jobs - 1`` worker processes take chunks of the items in
    turn: this process plans too, so two jobs keep two cores busy and only the
    workers' share of the results is pickled. Between two of its own items this
    process hands out chunks and reads what the workers sent back, so a worker
    never waits long for it. The workers are forked on Linux while this process
    runs no other thread, and spawned otherwise (see
    :func:`~taperplan.batch._worker.start_method`): a forked worker has a copy of
    the items and of this process's state, a spawned one starts afresh and is sent
    its items pickled. So that both give the same results, ``worker`` must give
    the same result wherever it runs (a pure function, as :func:`plan_one` is); it
    must be a top-level function (or a :func:`functools.partial` of one), and the
    items and results must pickle.
    Results are yielded in input order as soon as they are ready, so a caller
    can write each one out without holding the whole batch in memory. The
    workers end when this process ends, however it ends (even by SIGKILL; on
    Windows, after the chunks they hold).

    Args:
        worker: the function to apply.
        items: the inputs.
        jobs: processes planning (with ``helping``, this one and ``jobs - 1``
            workers; without, ``jobs`` workers); None: every core.
        chunksize: items per task; None: chosen from the batch size, and smaller
            towards the end of the batch.
        helping: whether this process takes chunks too. False for a caller
            that has its own work for each result (writing files, which
            waits on the disk): then ``jobs`` worker processes plan and this
            process only gathers.

    Raises:
        ValueError: ``jobs`` or ``chunksize`` is less than 1 (at once, not on
            the first result).
        concurrent.futures.process.BrokenProcessPool: a worker process ended
            before sending its results (killed, out of memory).
        Exception: what ``worker`` raised in a worker process, with a note of
            where.
    """
    jobs, size = _shape(len(items), jobs, chunksize)
    if jobs <= 1:
        return map(worker, items)
    return _shared(worker, items, jobs, size, helping=helping, tapered=chunksize is None)


def _shape(count: int, jobs: int | None, chunksize: int | None) -> tuple[int, int]:
    """The number of processes and the chunk size for ``count`` items."""
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    if chunksize is not None and chunksize < 1:
        raise ValueError(f"chunksize must be at least 1, not {chunksize}")
    size = chunksize or max(1, min(_MAX_CHUNK, count // (max(jobs, 1) * _CHUNKS_PER_WORKER)))
    # No more processes than chunks: with a single chunk, this process plans it alone.
    return min(jobs, -(-count // size)), size


def chunk_starts(count: int, chunksize: int) -> range:
    """Where each chunk of ``count`` items begins."""
    return range(0, count, chunksize)


def _chunk_sizes(count: int, chunksize: int, jobs: int, *, tapered: bool) -> dict[int, int]:
    """Where each chunk of ``count`` items begins, and its length: ``chunksize``, or,
    ``tapered``, smaller and smaller over the last ``jobs * _TAPER * chunksize`` items
    (down to one), so that the last chunks, which no process can share, end together."""
    sizes: dict[int, int] = {}
    first = 0
    while first < count:
        left = count - first
        size = max(1, min(chunksize, left // (jobs * _TAPER))) if tapered else chunksize
        sizes[first] = min(size, left)
        first += sizes[first]
    return sizes


def _shared(
    worker: Callable[[_T], _R],
    items: Sequence[_T],
    jobs: int,
    chunksize: int,
    *,
    helping: bool,
    tapered: bool = False,
) -> Iterator[_R]:
    sizes = _chunk_sizes(len(items), chunksize, jobs, tapered=tapered)
    chunks = deque(sizes)
    crew = Crew(worker, jobs - 1 if helping else jobs, _QUEUED_PER_WORKER, items)
    ready: dict[int, list[_R]] = {}
    # The chunk this process is planning, one item at a time, and its results so far.
    own: tuple[int, list[_R]] | None = None
    turn = 0
    try:
        while chunks or crew.busy or own is not None:
            # Between two of this process's items: every worker's queue filled up again,
            # and what the workers sent back read, so none of them waits for this one.
            while chunks and crew.has_room():
                first = chunks.popleft()
                crew.send(first, items[first : first + sizes[first]])
            if own is not None:
                first, done = own
                done.append(worker(items[first + len(done)]))
                if len(done) == sizes[first]:
                    if first >= turn:  # else a worker sent it back first
                        ready.setdefault(first, done)
                    own = None
            if not chunks:
                # The end of the batch: no process idle while a worker holds chunks
                # it has not started.
                crew.rebalance(items, sizes)
            if helping and own is None:
                if chunks:
                    own = (chunks.popleft(), [])
                elif (taken := crew.take_back()) is not None:
                    own = (taken, [])
            # Wait for a worker only when this process has nothing left to plan.
            idle = own is None
            for first, done in crew.collect(block=idle and turn not in ready).items():
                if first >= turn:  # else planned here first, and yielded
                    ready.setdefault(first, done)
                if own is not None and own[0] == first:
                    own = None  # a chunk taken back, but the worker had finished it
            while turn in ready:
                done = ready.pop(turn)
                yield from done
                turn += len(done)
    finally:
        # A caller that stops early (an error while writing) must not wait
        # for the rest of the batch to be planned.
        crew.stop()


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
        jobs: processes planning, this one included; None: every core
            (``os.cpu_count()``); 1: only this process.
        chunksize: items sent to a worker at a time; None: chosen for the
            batch, and smaller towards its end.
        progress: called with 1 as each result arrives (e.g. a progress
            bar's ``update``).

    Returns:
        One :class:`BatchResult` per input, in input order.

    Raises:
        ValueError: ``jobs`` or ``chunksize`` is less than 1.
        concurrent.futures.process.BrokenProcessPool: a worker process ended
            before sending its results (killed, out of memory).
    """
    items = batch_items(regimens)
    worker = functools.partial(plan_one, start=start, pace=pace, today=today)
    results: list[BatchResult] = []
    # This process plans too: with the collector as rare as in the workers.
    with fewer_collections():
        for result in iter_ordered(worker, items, jobs=jobs, chunksize=chunksize):
            results.append(result)
            if progress is not None:
                progress(1)
    return results

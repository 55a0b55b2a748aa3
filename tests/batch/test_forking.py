"""How the worker processes of a batch start: forked on Linux while the calling process
runs no other thread, spawned otherwise; a forked worker keeps nothing of its parent that
a spawned one would not have."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from taperplan.batch import _crew, iter_ordered, plan_many
from taperplan.batch._crew import Crew
from taperplan.batch._worker import start_method

CLINIC = Path(__file__).parent.parent / "data" / "clinic"

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked only on Linux")


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked workers, even if another test left a thread running in this process."""
    monkeypatch.setattr(_crew, "start_method", lambda: "fork")


@pytest.fixture
def other_thread() -> Iterator[None]:
    """A second thread running in this process for the length of a test."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="host-thread", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()


def test_workers_are_forked_on_linux_while_no_other_thread_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Alone (as the command line is), whatever threads earlier tests left behind.
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert start_method() == ("fork" if sys.platform == "linux" else "spawn")


@pytest.mark.usefixtures("other_thread")
def test_workers_are_spawned_while_another_thread_runs() -> None:
    """Forking copies the locks other threads hold: a host application with threads (a
    web server) gets spawned workers."""
    assert start_method() == "spawn"


@linux_only
@pytest.mark.usefixtures("forked")
def test_forked_workers_see_their_tasks_end_and_exit_on_their_own() -> None:
    """Each forked worker closes its copies of the parent's pipe ends (its own and the
    other workers'): when the parent closes a task pipe, the worker reading it sees the
    end and exits with code 0 instead of being killed after a wait."""
    items = list(range(-12, 0))
    crew: Crew[int, int] = Crew(abs, 3, queued=2, items=items)
    processes = [member.process for member in crew._members]
    try:
        for first in range(0, 12, 2):
            crew.send(first, items[first : first + 2])
        back: dict[int, list[int]] = {}
        while crew.busy:
            back.update(crew.collect(block=True))
    finally:
        crew.stop()
    assert back == {first: [12 - first, 11 - first] for first in range(0, 12, 2)}
    assert [process.exitcode for process in processes] == [0, 0, 0]


def handler_of(number: int) -> str:
    """What a worker process does on signal ``number``."""
    return repr(signal.getsignal(number))


@linux_only
@pytest.mark.usefixtures("forked")
def test_a_forked_worker_runs_none_of_the_parent_signal_handlers() -> None:
    """A host application's handler (a clean-up on SIGTERM, say) must not run in a
    worker: a forked worker puts back each signal's default action, as a spawned one
    starts with, and ignores Ctrl-C, which its parent handles."""

    def host_handler(number: int, frame: object) -> None:
        raise AssertionError("the host's handler ran")

    previous = signal.signal(signal.SIGUSR1, host_handler)
    try:
        numbers = [signal.SIGUSR1, signal.SIGINT] * 8
        got = list(iter_ordered(handler_of, numbers, jobs=2, chunksize=2, helping=False))
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert set(got[0::2]) == {repr(signal.SIG_DFL)}
    assert set(got[1::2]) == {repr(signal.SIG_IGN)}
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_forked_and_spawned_workers_plan_the_same(
    method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if method == "fork" and sys.platform != "linux":
        pytest.skip("workers are forked only on Linux")
    monkeypatch.setattr(_crew, "start_method", lambda: method)
    files = sorted(CLINIC.glob("*.toml"))[:24]
    start = dt.date(2027, 1, 4)
    alone = plan_many(files, start=start, jobs=1)
    shared = plan_many(files, start=start, jobs=2, chunksize=2)
    assert shared == alone
    assert all(result.ok for result in shared)
    assert multiprocessing.active_children() == []


@linux_only
@pytest.mark.usefixtures("forked")
def test_workers_of_overlapping_batches_exit_on_their_own() -> None:
    """A batch started while another is running (two generators read in turn) forks its
    workers with copies of the first batch's pipe ends too: they close those as well, so
    the first batch's workers still see their tasks end when it stops first."""
    first: Crew[int, int] = Crew(abs, 2, queued=2, items=[-1, -2])
    second: Crew[int, int] = Crew(abs, 2, queued=2, items=[-3, -4])
    processes = [member.process for crew in (first, second) for member in crew._members]
    try:
        first.send(0, [-1])
        second.send(0, [-3])
        while first.busy:
            first.collect(block=True)
        while second.busy:
            second.collect(block=True)
    finally:
        first.stop()
        second.stop()
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]


class _Unpackable:
    """A result whose packing fails (a plan that cannot be pickled, say)."""

    @staticmethod
    def pack_together(results: list[_Unpackable]) -> None:
        raise ValueError(f"cannot pack {len(results)} results")


def unpackable(item: int) -> _Unpackable:
    return _Unpackable()


@pytest.mark.usefixtures("forked")
def test_a_chunk_that_cannot_be_packed_reaches_the_caller_as_its_error() -> None:
    """Packing a chunk's results is part of the chunk's work: its failure is sent back
    as the chunk's exception, not the end of the worker."""
    with pytest.raises(ValueError, match="cannot pack 2 results") as caught:
        list(iter_ordered(unpackable, list(range(8)), jobs=2, chunksize=2, helping=False))
    assert "in a worker process" in "\n".join(getattr(caught.value, "__notes__", []))
    assert multiprocessing.active_children() == []

"""The worker processes behind ``iter_ordered`` and ``plan_many``: what a caller sees when a
worker fails, dies or is no longer needed, and that none is left behind."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from taperplan.batch import _crew, iter_ordered
from taperplan.batch._crew import Crew

#: Large enough that a worker process gets chunks: the pool starts only for several chunks.
COUNT = 40


@pytest.fixture(autouse=True, params=["fork", "spawn"])
def start(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test with forked workers (Linux, a process without other threads) and with
    spawned ones (macOS, Windows, or a process running other threads)."""
    method: str = request.param
    if method == "fork" and sys.platform != "linux":
        pytest.skip("workers are forked only on Linux")
    monkeypatch.setattr(_crew, "start_method", lambda: method)
    return method


def in_worker() -> bool:
    """Whether this runs in a worker process (not in the test's own process)."""
    return multiprocessing.parent_process() is not None


def die_at_seven(item: int) -> int:
    """The item, except that a worker process planning item 7 is killed."""
    if item == 7 and in_worker():
        os.kill(os.getpid(), signal.SIGKILL)
    return item


def fail_at_seven(item: int) -> int:
    """The item, except that item 7 raises, wherever it runs."""
    if item == 7:
        raise LookupError(f"no such patient: {item}")
    return item


def _refuse_in_worker(item: int) -> int:
    """Rebuilds an :class:`OnlyHere` item, except in a worker process."""
    if in_worker():
        raise AttributeError(f"Can't get attribute 'OnlyHere' for item {item}")
    return item


class OnlyHere:
    """An item that a worker process cannot unpickle (a class defined in a notebook)."""

    def __init__(self, item: int) -> None:
        self.item = item

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return (_refuse_in_worker, (self.item,))


class NeedsTwoError(Exception):
    """An exception that pickles but cannot be rebuilt from its pickle."""

    def __init__(self, patient: str, reason: str) -> None:
        super().__init__(f"{patient}: {reason}")


def fail_oddly_at_seven(item: int) -> int:
    """The item, except that item 7 raises an exception that cannot make the round trip."""
    if item == 7:
        raise NeedsTwoError("p7", "no such product")
    return item


def exit_at_seven(item: int) -> int:
    """The item, except that a worker process ends itself quietly (exit code 0) at item 7."""
    if item == 7 and in_worker():
        os._exit(0)
    return item


def where(item: int) -> tuple[int, bool]:
    """The item and whether a worker process computed it."""
    return item, in_worker()


def test_a_killed_worker_is_reported_not_waited_for() -> None:
    """A worker killed in the middle of its chunk (out of memory, kill -9) ends the batch
    with ``BrokenProcessPool``, which the command line turns into its --resume advice;
    the batch neither hangs nor returns a short list."""
    with pytest.raises(BrokenProcessPool, match="ended unexpectedly"):
        list(iter_ordered(die_at_seven, list(range(COUNT)), jobs=2, chunksize=4, helping=False))
    assert multiprocessing.active_children() == []


def test_an_exception_in_a_worker_reaches_the_caller_with_its_traceback() -> None:
    """The worker's own exception, of its own type, with where it happened in a note."""
    with pytest.raises(LookupError, match="no such patient: 7") as caught:
        list(iter_ordered(fail_at_seven, list(range(COUNT)), jobs=2, chunksize=4, helping=False))
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "in a worker process" in notes
    assert "fail_at_seven" in notes
    assert multiprocessing.active_children() == []


def number_of(item: OnlyHere) -> int:
    return item.item


def test_a_task_a_worker_cannot_read_is_reported_not_waited_for(start: str) -> None:
    """An item that cannot be unpickled in a worker process raises its own error in the
    caller, with a note of where; the batch does not wait for the worker for ever. A
    forked worker has a copy of the batch: it is sent only where each chunk lies, and
    nothing is unpickled."""
    items = [OnlyHere(item) for item in range(COUNT)]
    if start == "fork":
        got = iter_ordered(number_of, items, jobs=2, chunksize=4, helping=False)
        assert list(got) == list(range(COUNT))
        return
    with pytest.raises(AttributeError, match="Can't get attribute 'OnlyHere'") as caught:
        list(iter_ordered(abs, items, jobs=2, chunksize=4, helping=False))
    assert "in a worker process" in "\n".join(getattr(caught.value, "__notes__", []))
    assert multiprocessing.active_children() == []


def test_an_exception_that_cannot_be_rebuilt_arrives_as_a_runtime_error() -> None:
    """An exception whose class cannot be rebuilt from its pickle reaches the caller as a
    RuntimeError that keeps its class name, its words and where it happened."""
    with pytest.raises(RuntimeError, match="NeedsTwoError: p7: no such product") as caught:
        list(
            iter_ordered(
                fail_oddly_at_seven, list(range(COUNT)), jobs=2, chunksize=4, helping=False
            )
        )
    assert "fail_oddly_at_seven" in str(caught.value)
    assert multiprocessing.active_children() == []


def test_a_worker_that_ends_quietly_is_reported_as_such() -> None:
    """A worker that ends with exit code 0 before sending its results is not reported as
    killed: the message says it ended without sending them."""
    with pytest.raises(BrokenProcessPool, match="ended without sending its results"):
        list(iter_ordered(exit_at_seven, list(range(COUNT)), jobs=2, chunksize=4, helping=False))
    with pytest.raises(BrokenProcessPool, match="killed by signal 9"):
        list(iter_ordered(die_at_seven, list(range(COUNT)), jobs=2, chunksize=4, helping=False))
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("helping", [True, False])
def test_both_processes_work_and_order_is_kept(helping: bool) -> None:
    """With two jobs and a helping caller, the caller and a worker process each compute
    part of the batch; without, the workers compute it all; the order is the input's."""
    got = list(iter_ordered(where, list(range(COUNT)), jobs=2, chunksize=4, helping=helping))
    assert [item for item, _ in got] == list(range(COUNT))
    by_worker = {in_worker for _, in_worker in got}
    assert by_worker == ({True, False} if helping else {True})
    assert multiprocessing.active_children() == []


def test_a_caller_that_stops_early_leaves_no_worker() -> None:
    """A caller that stops reading (an error while writing a patient) ends the workers at
    once, without waiting for the rest of the batch."""
    results = iter_ordered(where, list(range(400)), jobs=3, chunksize=2, helping=False)
    assert next(results) == (0, True)
    results.close()
    assert multiprocessing.active_children() == []


def test_a_crew_sends_each_chunk_to_the_least_busy_worker() -> None:
    """Two workers each hold at most two chunks; the third and fourth go to the one that
    has fewer, and every chunk comes back under its first item."""
    crew: Crew[int, int] = Crew(abs, 2, queued=2)
    try:
        for first in (0, 10, 20, 30):
            assert crew.has_room()
            crew.send(first, [-first, -first - 1])
        assert not crew.has_room()
        back: dict[int, list[int]] = {}
        while crew.busy:
            back.update(crew.collect(block=True))
    finally:
        crew.stop()
    assert back == {first: [first, first + 1] for first in (0, 10, 20, 30)}
    assert multiprocessing.active_children() == []


def slow_in_worker(item: int) -> tuple[int, bool]:
    """The item and whether a worker process computed it; a worker takes its time."""
    if in_worker():
        time.sleep(0.2)
    return where(item)


def slow_first(item: int) -> tuple[int, int]:
    """The item and the process that computed it; item 0 takes three seconds, time for the
    other workers to start and finish the rest on a busy machine."""
    if item == 0:
        time.sleep(3.0)
    return item, os.getpid()


def test_a_helping_caller_takes_back_the_chunks_a_worker_has_not_started() -> None:
    """At the end of a batch the caller plans the chunks a slow worker still holds instead
    of waiting for them: the worker computes only the chunk it had begun, each item comes
    back once, in order."""
    got = list(iter_ordered(slow_in_worker, list(range(COUNT)), jobs=2, chunksize=2))
    assert [item for item, _ in got] == list(range(COUNT))
    # The worker was given two chunks while it started; the second is taken back.
    assert sum(in_worker for _, in_worker in got) <= 2
    assert multiprocessing.active_children() == []


def test_an_idle_worker_gets_a_chunk_another_worker_has_not_started() -> None:
    """Without a helping caller, a worker with nothing left to do takes over the chunk
    waiting behind another worker's long item."""
    got = list(iter_ordered(slow_first, list(range(COUNT)), jobs=3, chunksize=1, helping=False))
    assert [item for item, _ in got] == list(range(COUNT))
    slow = got[0][1]
    assert [item for item, pid in got if pid == slow] == [0]
    assert multiprocessing.active_children() == []


def test_a_chunk_taken_back_comes_back_once_from_wherever_it_was_planned() -> None:
    """A worker told to drop a chunk it has not started sends back nothing for it; a chunk
    it had already finished comes back as usual, and :meth:`Crew.take_back` never takes
    the chunk a worker is planning."""
    crew: Crew[float, float] = Crew(_sleep, 1, queued=6)
    try:
        crew.send(0, [0.0])
        while crew.busy:  # the worker has started and sent its first chunk back
            crew.collect(block=True)
        crew.send(10, [0.5])
        crew.send(20, [0.0])
        assert crew.take_back() == 20
        assert crew.take_back() is None  # only the chunk being planned is left
        back: dict[int, list[float]] = {}
        while crew.busy:
            back.update(crew.collect(block=True))
    finally:
        crew.stop()
    assert back == {10: [0.5]}
    assert multiprocessing.active_children() == []


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_chunks_are_taken_back_from_each_worker_in_turn() -> None:
    """Once the busiest worker has nothing left to take back, the next busiest gives up
    its waiting chunks; a chunk is never taken back twice."""
    crew: Crew[float, float] = Crew(_sleep, 2, queued=6)
    try:
        crew.send(0, [0.0])
        crew.send(1, [0.0])
        while crew.busy:  # both workers started
            crew.collect(block=True)
        for first in (10, 20, 30, 40, 50):  # in turn: 10, 30, 50 to one, 20, 40 to the other
            crew.send(first, [0.3])
        taken = [crew.take_back() for _ in range(4)]
        back: dict[int, list[float]] = {}
        while crew.busy:
            back.update(crew.collect(block=True))
    finally:
        crew.stop()
    assert taken == [50, 30, 40, None]
    assert back == {10: [0.3], 20: [0.3]}
    assert multiprocessing.active_children() == []

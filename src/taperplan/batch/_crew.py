"""Worker processes for a batch: each plans the chunks it is sent and sends back the results.

The calling process reads the results itself, between its own items, instead of a
background thread doing it: a thread of a busy process waits for the interpreter's
lock at every read of a pipe, and a worker that cannot hand over its results stops
planning. Each worker reads its tasks in a thread of its own, so a task is never
stuck in a full pipe while the worker sends results; a worker whose reading or
sending thread fails ends at once, so the parent sees it gone instead of waiting.

At the end of a batch, a worker may still hold several chunks while another process
has nothing left to do: the idle one takes back the last chunk a worker holds. The
parent tells the worker to drop that chunk (a task of only its first item's index);
a worker that has not started it, or not finished it, answers that it dropped it,
and the chunk is planned elsewhere. Whichever copy of a chunk comes back first is
kept.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

from taperplan.batch._collecting import fewer_collections
from taperplan.batch._pickling import dumps

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import SpawnProcess

_T = TypeVar("_T")
_R = TypeVar("_R")
#: How often a worker checks that its parent is alive where the kernel does not tell it.
_WATCH_SECONDS = 0.5
#: The bytes of a task that give the index of its chunk's first item.
_INDEX_BYTES = 8
#: On Windows a process waits on at most 63 handles at once, two for each worker.
_WINDOWS_MOST_WORKERS = 31
#: Chunks a worker holds before it has sent anything back, while it starts.
_QUEUED_WHILE_STARTING = 2
#: How long an ended batch waits for each worker to exit before stopping it.
_JOIN_SECONDS = 5.0


def run_chunk(worker: Callable[[_T], _R], chunk: Sequence[_T]) -> list[_R]:
    """``worker`` over one chunk of items: the task a worker process or cluster runs."""
    return [worker(item) for item in chunk]


def watch_parent(parent: int) -> None:
    """End this worker process as soon as ``parent`` is gone.

    A worker blocked on its tasks would otherwise outlive a parent killed
    with SIGKILL, for ever. A daemon thread checks twice a second that the
    parent is still this process's parent. (Linux's ``PR_SET_PDEATHSIG`` is
    not used: it fires when the parent's *thread* that started the worker
    ends, and a caller may drive the batch from a short-lived thread.) On Windows,
    where a process's parent id does not change when the parent ends, a worker
    ends instead when it finds its task pipe closed, after the chunks it holds.
    """
    if os.getppid() != parent:
        os._exit(1)
    thread = threading.Thread(target=_watch, args=(parent,), name="watch-parent", daemon=True)
    thread.start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)


def _exit_now() -> None:
    """End a worker whose work is done without tearing its interpreter down: freeing
    the planner's shared memory object by object takes seconds, and the batch waits
    for its workers to end. Every result has been sent by then."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def serve(
    worker: Callable[[Any], Any], tasks: Connection, results: Connection, parent: int
) -> None:
    """A worker process's life: plan each task (a chunk and the index of its first item)
    as it comes, send back the results or the exception, end when the parent closes
    the task pipe."""
    watch_parent(parent)
    # Ctrl-C reaches the whole process group: the parent stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    dropped: set[int] = set()
    _start(_read, tasks, inbox, dropped, name="tasks")
    # Results go out from a thread of their own: this one plans the next chunk while
    # the parent, busy with its own item, has not read them yet.
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    sender = _start(_send, results, outbox, name="results")
    with fewer_collections():
        _serve_chunks(worker, inbox, outbox, dropped)
    outbox.put(None)
    sender.join()
    _exit_now()


def _serve_chunks(
    worker: Callable[[Any], Any],
    inbox: queue.SimpleQueue[bytes | None],
    outbox: queue.SimpleQueue[bytes | None],
    dropped: set[int],
) -> None:
    """Plan each chunk in ``inbox`` and put its results (or the exception, or None for a
    chunk the parent took back) in ``outbox``, until the parent closes the task pipe."""
    while (task := inbox.get()) is not None:
        first = int.from_bytes(task[:_INDEX_BYTES], "little")
        outcome: object
        try:
            chunk = pickle.loads(task[_INDEX_BYTES:])  # noqa: S301 - sent by the parent
            outcome = []
            for item in chunk:
                if first in dropped:  # taken back by the parent: planned elsewhere
                    dropped.discard(first)
                    outcome = None
                    break
                outcome.append(worker(item))
        except (Exception, SystemExit) as error:  # sent to the caller, who raises it
            error.add_note("in a worker process:\n" + traceback.format_exc())
            outcome = error
        outbox.put(_packed(first, outcome))
        del task, outcome


def _packed(first: int, outcome: object) -> bytes:
    """``(first, outcome)`` pickled; an exception that cannot make the round trip (it
    pickles, but its class cannot be rebuilt from what it pickled) as a RuntimeError
    with its words and where it happened."""
    try:
        data = dumps((first, outcome))
        if isinstance(outcome, BaseException):
            pickle.loads(data)  # noqa: S301 - made just above
    except Exception as error:  # a result that cannot be sent as it is
        notes = "\n".join(getattr(outcome, "__notes__", ()))
        text = (
            f"{type(outcome).__qualname__}: {outcome}" if isinstance(outcome, BaseException) else ""
        )
        replacement = RuntimeError(
            f"a worker's result cannot be sent back ({error!r}){': ' + text if text else ''}"
            + (f"\n{notes}" if notes else "")
        )
        data = pickle.dumps((first, replacement), protocol=pickle.HIGHEST_PROTOCOL)
    return data


def _start(target: Callable[..., None], *args: object, name: str) -> threading.Thread:
    """A daemon thread running ``target``; if it fails, the worker ends (exit code 1) so
    the parent sees it gone instead of waiting for it."""

    def guarded() -> None:
        try:
            target(*args)
        except BaseException:  # any failure ends the worker
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)

    thread = threading.Thread(target=guarded, name=name, daemon=True)
    thread.start()
    return thread


def _send(results: Connection, outbox: queue.SimpleQueue[bytes | None]) -> None:
    while (data := outbox.get()) is not None:
        results.send_bytes(data)


def _read(tasks: Connection, inbox: queue.SimpleQueue[bytes | None], dropped: set[int]) -> None:
    while True:
        try:
            task: bytes | None = tasks.recv_bytes()
        except EOFError:  # the parent closed its end: no more work
            task = None
        if task is not None and len(task) == _INDEX_BYTES:  # drop that chunk
            dropped.add(int.from_bytes(task, "little"))
            continue
        inbox.put(task)
        if task is None:
            return


class Crew(Generic[_T, _R]):
    """``size`` worker processes (``spawn``) applying ``worker`` to the chunks they are given.

    Args:
        worker: a top-level function (or a :func:`functools.partial` of one).
        size: the number of worker processes.
        queued: chunks each worker holds at most: one being planned, the rest waiting.
    """

    def __init__(self, worker: Callable[[_T], _R], size: int, queued: int) -> None:
        import multiprocessing  # noqa: PLC0415 - only for a pool

        context = multiprocessing.get_context("spawn")
        if sys.platform == "win32":
            size = min(size, _WINDOWS_MOST_WORKERS)
        self._queued = queued
        self._members: list[_Member] = []
        #: The chunks taken back from a worker: each is taken back once at most.
        self._taken: set[int] = set()
        try:
            for _ in range(size):
                task_out, task_in = context.Pipe(duplex=False)
                result_out, result_in = context.Pipe(duplex=False)
                process = context.Process(
                    target=serve,
                    args=(worker, task_out, result_in, os.getpid()),
                    name="taperplan-worker",
                    daemon=True,
                )
                process.start()
                task_out.close()
                result_in.close()
                self._members.append(_Member(process, task_in, result_out))
        except BaseException:
            self.stop()
            raise

    def _room(self, member: _Member) -> int:
        """How many more chunks ``member`` takes. Until a worker has sent something
        back it is still starting, and does not read its pipe: two chunks, which the
        pipe holds, so that this process does not wait for it."""
        return (self._queued if member.heard else _QUEUED_WHILE_STARTING) - len(member.firsts)

    def has_room(self) -> bool:
        """Whether a worker can take another chunk."""
        return any(self._room(member) > 0 for member in self._members)

    @property
    def busy(self) -> bool:
        """Whether a chunk sent is not back yet."""
        return any(member.firsts for member in self._members)

    def send(self, first: int, chunk: Sequence[_T]) -> None:
        """Give the chunk starting at item ``first`` to the least busy worker (one with
        room, if any)."""
        member = max(self._members, key=self._room)
        self._send_to(member, first, chunk)

    def take_back(self) -> int | None:
        """The first item of a chunk taken back from the busiest worker that holds one
        it has likely not started, to plan elsewhere; None if no worker does.

        The worker is told to drop the chunk; it answers with the chunk's results if
        it had finished it by then, and :meth:`collect` returns whichever comes back.
        """
        for member in sorted(self._members, key=lambda member: -len(member.firsts)):
            # A worker's first chunk is being planned; only one waiting behind it is taken.
            waiting = [first for first in list(member.firsts)[1:] if first not in self._taken]
            if waiting:
                first = waiting[-1]
                self._taken.add(first)
                try:
                    member.tasks.send_bytes(first.to_bytes(_INDEX_BYTES, "little"))
                except OSError:
                    self._died(member)
                return first
        return None

    def rebalance(self, items: Sequence[_T], chunksize: int) -> None:
        """Give a worker with nothing to do a chunk taken back from the busiest one."""
        for member in self._members:
            if member.firsts:
                continue
            first = self.take_back()
            if first is None:
                return
            self._send_to(member, first, items[first : first + chunksize])

    def _send_to(self, member: _Member, first: int, chunk: Sequence[_T]) -> None:
        try:
            member.tasks.send_bytes(first.to_bytes(_INDEX_BYTES, "little") + dumps(chunk))
        except OSError:
            self._died(member)
        member.firsts.append(first)

    def collect(self, *, block: bool) -> dict[int, list[_R]]:
        """The chunks that are back, by their first item; with ``block``, wait for one.

        Raises:
            BrokenProcessPool: a worker process ended before sending its chunks back.
            Exception: what ``worker`` raised in a worker process.
        """
        from multiprocessing.connection import wait  # noqa: PLC0415 - only for a pool

        waiting = [member for member in self._members if member.firsts]
        if not waiting:
            return {}
        by_handle: dict[object, _Member] = {}
        for member in waiting:
            by_handle[member.results] = member
            by_handle[member.process.sentinel] = member
        done: dict[int, list[_R]] = {}
        handles: list[Connection | int] = [m.results for m in waiting]
        handles += [m.process.sentinel for m in waiting]
        for handle in wait(handles, timeout=None if block else 0):
            member = by_handle[handle]
            if handle is member.results or member.results.poll():
                try:
                    data = member.results.recv_bytes()
                except (EOFError, OSError):
                    self._died(member)
                member.heard = True
                first, outcome = pickle.loads(data)  # noqa: S301 - made by serve
                if isinstance(outcome, BaseException):
                    raise outcome
                member.firsts.remove(first)
                if outcome is not None:  # None: dropped, planned elsewhere
                    done[first] = outcome
            elif member.firsts:
                self._died(member)
        return done

    def _died(self, member: _Member) -> NoReturn:
        from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415 - rare

        member.process.join(_JOIN_SECONDS)
        code = member.process.exitcode
        if code is not None and code < 0:
            how = f"was killed by signal {-code}"
        elif code:
            how = f"ended with exit code {code}"
        else:
            how = "ended without sending its results"
        raise BrokenProcessPool(f"a worker process ended unexpectedly: it {how}")

    def stop(self) -> None:
        """End every worker: at once if work is left, else once it has exited by itself."""
        for member in self._members:
            if member.firsts:
                member.process.kill()
            else:
                member.tasks.close()  # the worker's reader sees the end, and it exits
        for member in self._members:
            member.process.join(_JOIN_SECONDS)
            if member.process.is_alive():
                member.process.kill()
                member.process.join()
            member.tasks.close()
            member.results.close()
        self._members = []


class _Member:
    """One worker process, its two pipes, and the first items of the chunks it holds."""

    __slots__ = ("firsts", "heard", "process", "results", "tasks")

    def __init__(self, process: SpawnProcess, tasks: Connection, results: Connection) -> None:
        self.process = process
        self.tasks = tasks
        self.results = results
        self.firsts: deque[int] = deque()
        #: Whether the worker has sent anything back yet.
        self.heard = False

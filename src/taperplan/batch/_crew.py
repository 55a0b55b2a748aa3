"""Worker processes for a batch: each plans the chunks it is sent and sends back the results.

The calling process reads the results itself, between its own items, instead of a
background thread doing it: a thread of a busy process waits for the interpreter's
lock at every read of a pipe, and a worker that cannot hand over its results stops
planning. Each worker reads its tasks in a thread of its own, so a task is never
stuck in a full pipe while the worker sends results, and neither side can wait for
the other for ever.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import SpawnProcess

_T = TypeVar("_T")
_R = TypeVar("_R")
#: How often a worker checks that its parent is alive where the kernel does not tell it.
_WATCH_SECONDS = 0.5
#: A worker collects its young garbage after each chunk, and all of it after this many.
_FULL_COLLECTION_EVERY = 32
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
    ends, and a caller may drive the batch from a short-lived thread.)
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
    """A worker process's life: plan each ``(first, chunk)`` task as it comes, send
    ``(first, results)`` or ``(first, exception)`` back, end at ``None``."""
    watch_parent(parent)
    # Garbage is collected between chunks, not whenever enough objects were made: each
    # chunk's plans live just long enough to reach the older generations, and every
    # collection of those walks the planner's whole shared memory (about a third more
    # time a plan). The young generation after each chunk, all of it every few chunks.
    gc.disable()
    chunks = 0
    inbox: queue.SimpleQueue[tuple[int, Sequence[Any]] | None] = queue.SimpleQueue()
    reader = threading.Thread(target=_read, args=(tasks, inbox), name="tasks", daemon=True)
    reader.start()
    # Results go out from a thread of their own: this one plans the next chunk while
    # the parent, busy with its own item, has not read them yet.
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_send, args=(results, outbox), name="results", daemon=True)
    sender.start()
    while (task := inbox.get()) is not None:
        first, chunk = task
        try:
            outcome: object = run_chunk(worker, chunk)
        except Exception as error:  # sent to the caller, who raises it
            error.add_note("in a worker process:\n" + traceback.format_exc())
            outcome = error
        try:
            data = pickle.dumps((first, outcome), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # a result that cannot be sent
            data = pickle.dumps((first, RuntimeError(f"a result cannot be sent: {error!r}")))
        outbox.put(data)
        del outcome, data
        chunks += 1
        gc.collect(2 if chunks % _FULL_COLLECTION_EVERY == 0 else 0)
    outbox.put(None)
    sender.join()
    _exit_now()


def _send(results: Connection, outbox: queue.SimpleQueue[bytes | None]) -> None:
    while (data := outbox.get()) is not None:
        results.send_bytes(data)


def _read(tasks: Connection, inbox: queue.SimpleQueue[tuple[int, Sequence[Any]] | None]) -> None:
    while True:
        try:
            task = pickle.loads(tasks.recv_bytes())  # noqa: S301 - sent by the parent
        except EOFError:  # the parent closed its end: no more work
            task = None
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
        self._queued = queued
        self._members: list[_Member] = []
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

    def has_room(self) -> bool:
        """Whether a worker can take another chunk."""
        return any(len(member.firsts) < self._queued for member in self._members)

    @property
    def busy(self) -> bool:
        """Whether a chunk sent is not back yet."""
        return any(member.firsts for member in self._members)

    def send(self, first: int, chunk: Sequence[_T]) -> None:
        """Give the chunk starting at item ``first`` to the least busy worker."""
        member = min(self._members, key=lambda member: len(member.firsts))
        try:
            member.tasks.send_bytes(pickle.dumps((first, chunk), protocol=pickle.HIGHEST_PROTOCOL))
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
                    first, outcome = pickle.loads(member.results.recv_bytes())  # noqa: S301
                except (EOFError, OSError):
                    self._died(member)
                if isinstance(outcome, BaseException):
                    raise outcome
                member.firsts.remove(first)
                done[first] = outcome
            elif member.firsts:
                self._died(member)
        return done

    def _died(self, member: _Member) -> NoReturn:
        from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415 - rare

        member.process.join(0.1)
        raise BrokenProcessPool(
            f"a worker process ended unexpectedly (exit code {member.process.exitcode})"
        )

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

    __slots__ = ("firsts", "process", "results", "tasks")

    def __init__(self, process: SpawnProcess, tasks: Connection, results: Connection) -> None:
        self.process = process
        self.tasks = tasks
        self.results = results
        self.firsts: deque[int] = deque()

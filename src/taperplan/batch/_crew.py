"""The worker processes of a batch, seen from the calling process.

The calling process reads the results itself, between its own items, instead of a
background thread doing it: a thread of a busy process waits for the interpreter's
lock at every read of a pipe, and a worker that cannot hand over its results stops
planning (the workers' side is :mod:`taperplan.batch._worker`).

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
import sys
import weakref
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Generic, NoReturn, TypeVar

from taperplan.batch._pickling import dumps
from taperplan.batch._worker import INDEX_BYTES, serve, serve_forked, start_method

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

_T = TypeVar("_T")
_R = TypeVar("_R")
#: On Windows a process waits on at most 63 handles at once, two for each worker.
_WINDOWS_MOST_WORKERS = 31
#: Chunks a worker holds before it has sent anything back, while it starts.
_QUEUED_WHILE_STARTING = 2
#: How long an ended batch waits for each worker to exit before stopping it.
_JOIN_SECONDS = 5.0
#: This process's ends of the pipes of every crew alive in it.
_PARENT_ENDS: weakref.WeakSet[Connection] = weakref.WeakSet()


class Crew(Generic[_T, _R]):
    """``size`` worker processes (started as :func:`start_method` says) applying
    ``worker`` to the chunks they are given.

    Args:
        worker: a top-level function (or a :func:`functools.partial` of one).
        size: the number of worker processes.
        queued: chunks each worker holds at most: one being planned, the rest waiting.
        items: the whole batch, when every chunk sent is a slice of it
            (``items[first : first + len(chunk)]``): a forked worker has a copy of
            it, and is sent only where each chunk starts and its length.
    """

    def __init__(
        self,
        worker: Callable[[_T], _R],
        size: int,
        queued: int,
        items: Sequence[_T] | None = None,
    ) -> None:
        import multiprocessing  # noqa: PLC0415 - only for a pool

        method = start_method()
        context = (
            multiprocessing.get_context("fork")
            if method == "fork"
            else multiprocessing.get_context("spawn")
        )
        if sys.platform == "win32":
            size = min(size, _WINDOWS_MOST_WORKERS)
        self._queued = queued
        #: Whether the workers have the batch already: then a task is only its chunk's place.
        self._inherited = method == "fork" and items is not None
        self._members: list[_Member] = []
        #: The chunks taken back from a worker: each is taken back once at most.
        self._taken: set[int] = set()
        try:
            for _ in range(size):
                task_out, task_in = context.Pipe(duplex=False)
                result_out, result_in = context.Pipe(duplex=False)
                target: Callable[..., None] = serve
                args: tuple[object, ...] = (worker, task_out, result_in, os.getpid())
                if method == "fork":
                    # A forked worker holds a copy of every pipe end this process has: it
                    # closes this process's ends (of every crew alive here, another batch
                    # running alongside included), or a worker would never see its task
                    # pipe closed.
                    target = serve_forked
                    args = ([task_in, result_out, *_PARENT_ENDS], *args, items)
                process = context.Process(
                    target=target,
                    args=args,
                    name="taperplan-worker",
                    daemon=True,
                )
                process.start()
                task_out.close()
                result_in.close()
                self._members.append(_Member(process, task_in, result_out))
                _PARENT_ENDS.update((task_in, result_out))
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
                    member.tasks.send_bytes(first.to_bytes(INDEX_BYTES, "little"))
                except OSError:
                    self._died(member)
                return first
        return None

    def rebalance(self, items: Sequence[_T], sizes: Mapping[int, int]) -> None:
        """Give a worker with nothing to do a chunk taken back from the busiest one."""
        for member in self._members:
            if member.firsts:
                continue
            first = self.take_back()
            if first is None:
                return
            self._send_to(member, first, items[first : first + sizes[first]])

    def _send_to(self, member: _Member, first: int, chunk: Sequence[_T]) -> None:
        try:
            where = first.to_bytes(INDEX_BYTES, "little")
            if self._inherited:
                member.tasks.send_bytes(where + len(chunk).to_bytes(INDEX_BYTES, "little"))
            else:
                member.tasks.send_bytes(where + dumps(chunk))
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
            _PARENT_ENDS.difference_update((member.tasks, member.results))
        self._members = []


class _Member:
    """One worker process, its two pipes, and the first items of the chunks it holds."""

    __slots__ = ("firsts", "heard", "process", "results", "tasks")

    def __init__(self, process: BaseProcess, tasks: Connection, results: Connection) -> None:
        self.process = process
        self.tasks = tasks
        self.results = results
        self.firsts: deque[int] = deque()
        #: Whether the worker has sent anything back yet.
        self.heard = False

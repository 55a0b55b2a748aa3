"""A batch's worker process: it plans the chunks it is sent and sends back the results.

Each worker reads its tasks in a thread of its own, so a task is never stuck in a full
pipe while the worker sends results; a worker whose reading or sending thread fails
ends at once, so the parent sees it gone instead of waiting. A task is the index of a
chunk's first item followed by the chunk pickled or, for a worker that has a copy of
the batch, the chunk's length; a task of the index alone tells the worker to drop that
chunk (the parent took it back), unless it has already started it.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from taperplan.batch._collecting import fewer_collections
from taperplan.batch._pickling import dumps

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

_T = TypeVar("_T")
_R = TypeVar("_R")
#: How often a worker checks that its parent is alive where the kernel does not tell it.
_WATCH_SECONDS = 0.5
#: The bytes of a task that give the index of its chunk's first item (and its length).
INDEX_BYTES = 8


def run_chunk(worker: Callable[[_T], _R], chunk: Sequence[_T]) -> list[_R]:
    """``worker`` over one chunk of items: the task a worker process or cluster runs."""
    return packed_together([worker(item) for item in chunk])


def packed_together(results: list[_R]) -> list[_R]:
    """``results``, each packed with the others to be pickled as one where their class
    can do it (a ``pack_together`` static method, as batch results have)."""
    if results:
        kind = type(results[0])
        pack = getattr(kind, "pack_together", None)
        if pack is not None and all(type(result) is kind for result in results):
            pack(results)
    return results


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
    worker: Callable[[Any], Any],
    tasks: Connection,
    results: Connection,
    parent: int,
    items: Sequence[Any] | None = None,
) -> None:
    """A worker process's life: plan each task (the index of a chunk's first item, and
    the chunk, or with ``items`` its length) as it comes, send back the results or the
    exception, end when the parent closes the task pipe."""
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
        _serve_chunks(worker, inbox, outbox, dropped, items)
    outbox.put(None)
    sender.join()
    _exit_now()


def start_method() -> Literal["fork", "spawn"]:
    """How worker processes start: ``fork`` on Linux while this process runs no other
    thread, else ``spawn``.

    A forked worker starts in milliseconds, with what this process's planner already
    worked out, where a spawned one imports taperplan again (about 0.2 s before its
    first plan). Forking a process that runs other threads can copy a lock one of them
    holds, so then, and on macOS and Windows, workers are spawned.
    """
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "spawn"


def serve_forked(ends: list[Connection], *args: Any) -> None:
    """:func:`serve` in a forked worker. It first closes its copies of the parent's pipe
    ends, and puts back the default action of each signal the parent handles in Python
    (a host application's handler must not run in a worker), as a spawned worker has."""
    for end in ends:
        end.close()
    # What the parent held is never collected here: the collector skips it instead of
    # walking (and copying) it.
    gc.freeze()
    for number in signal.valid_signals():
        if callable(signal.getsignal(number)):
            signal.signal(number, signal.SIG_DFL)
    serve(*args)


def _serve_chunks(
    worker: Callable[[Any], Any],
    inbox: queue.SimpleQueue[bytes | None],
    outbox: queue.SimpleQueue[bytes | None],
    dropped: set[int],
    items: Sequence[Any] | None,
) -> None:
    """Plan each chunk in ``inbox`` and put its results (or the exception, or None for a
    chunk the parent took back) in ``outbox``, until the parent closes the task pipe."""
    while (task := inbox.get()) is not None:
        first = int.from_bytes(task[:INDEX_BYTES], "little")
        outcome: object
        try:
            if items is None:
                chunk = pickle.loads(task[INDEX_BYTES:])  # noqa: S301 - sent by the parent
            else:  # this process's copy of the batch: only the chunk's length is sent
                chunk = items[first : first + int.from_bytes(task[INDEX_BYTES:], "little")]
            outcome = []
            for item in chunk:
                if first in dropped:  # taken back by the parent: planned elsewhere
                    dropped.discard(first)
                    outcome = None
                    break
                outcome.append(worker(item))
            else:
                packed_together(outcome)
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
        if task is not None and len(task) == INDEX_BYTES:  # drop that chunk
            dropped.add(int.from_bytes(task, "little"))
            continue
        inbox.put(task)
        if task is None:
            return

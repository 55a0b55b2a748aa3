"""The garbage collector while a batch is planned: it runs less often."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

#: The collector's thresholds while a batch is planned (Python's own: 700, 10, 10): its
#: youngest generation is collected after 10,000 new objects instead of 700.
_BATCH_THRESHOLDS = (10_000, 50, 100)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Within ``with``, the garbage collector runs less often; on leaving, as before.

    Planning makes many short-lived objects, and with Python's default thresholds
    the collector runs every 700 of them, walking the plans of a chunk again and
    again, and the older generations (the planner's whole shared memory) now and
    then: planning a batch takes 15-30% longer. Collections still come, only rarer,
    and the full ones as rarely as Python's own rule for them allows. Batches that
    overlap in several threads share the raised thresholds, and the last to end puts
    back the ones before the first; thresholds that turn collection off are kept.
    """
    global _raised_by, _thresholds_before  # noqa: PLW0603 - one setting for the process
    with _thresholds_lock:
        if _raised_by == 0:
            _thresholds_before = gc.get_threshold()
            if _thresholds_before[0] != 0:  # 0: the caller turned collection off
                gc.set_threshold(*_BATCH_THRESHOLDS)
        _raised_by += 1
    try:
        yield
    finally:
        with _thresholds_lock:
            _raised_by -= 1
            if _raised_by == 0:
                gc.set_threshold(*_thresholds_before)


_thresholds_lock = threading.Lock()
#: How many batches of this process are between raising and restoring the thresholds.
_raised_by = 0
_thresholds_before: tuple[int, ...] = ()

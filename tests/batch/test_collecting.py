"""The garbage collector's thresholds while batches are planned, and after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from taperplan.batch.pool import fewer_collections

RAISED = (10_000, 50, 100)


@pytest.fixture(autouse=True)
def _thresholds_kept() -> Iterator[None]:
    was = gc.get_threshold()
    yield
    gc.set_threshold(*was)


def test_overlapping_batches_in_two_threads_restore_the_first_thresholds() -> None:
    """The first batch raises the thresholds, the last to end restores them, whichever
    thread that is."""
    gc.set_threshold(700, 10, 10)
    inside = threading.Event()
    leave = threading.Event()

    def batch() -> None:
        with fewer_collections():
            inside.set()
            leave.wait(10)

    other = threading.Thread(target=batch)
    other.start()
    assert inside.wait(10)
    with fewer_collections():
        assert gc.get_threshold() == RAISED
        leave.set()
        other.join(10)
        assert gc.get_threshold() == RAISED  # the other batch ended first: still raised
    assert gc.get_threshold() == (700, 10, 10)


def test_collection_turned_off_stays_off() -> None:
    """A threshold of 0 (the caller turned collection off) is not raised."""
    gc.set_threshold(0)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold()[0] == 0

"""How a batch is cut into chunks: every item in exactly one chunk, in order; chunks of the
chosen size, or, where the pool chose it, smaller and smaller towards the end."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from taperplan.batch.pool import _chunk_sizes, chunk_starts


@given(
    count=st.integers(0, 5000),
    chunksize=st.integers(1, 40),
    jobs=st.integers(1, 8),
    tapered=st.booleans(),
)
def test_chunks_cover_the_batch_once_in_order(
    count: int, chunksize: int, jobs: int, tapered: bool
) -> None:
    sizes = _chunk_sizes(count, chunksize, jobs, tapered=tapered)
    firsts = list(sizes)
    assert firsts == sorted(firsts)
    assert [first + sizes[first] for first in firsts] == [*firsts[1:], count][: len(firsts)]
    assert sum(sizes.values()) == count
    assert all(1 <= size <= chunksize for size in sizes.values())
    if tapered:  # never larger than the one before: the tail is in small pieces
        lengths = list(sizes.values())
        assert all(a >= b for a, b in itertools.pairwise(lengths))
        if count > jobs:
            assert sizes[firsts[-1]] == 1
    else:
        assert firsts == list(chunk_starts(count, chunksize))


def test_a_tapered_batch_ends_in_small_chunks() -> None:
    """1,000 items on two processes: chunks of 16 until fewer than 128 items are left,
    then smaller, the last fifteen of one item each: 24 chunks more than without."""
    sizes = list(_chunk_sizes(1000, 16, 2, tapered=True).values())
    assert sizes[:55] == [16] * 55
    assert sizes[55] == 15
    assert sizes[-15:] == [1] * 15
    assert len(sizes) == len(chunk_starts(1000, 16)) + 24

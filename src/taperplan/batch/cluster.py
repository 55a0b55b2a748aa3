"""Planning a batch on a Dask cluster: the same work as the process pool, in input order.

Needs ``dask[distributed]`` (imported only here, only when used). The
workers need taperplan installed at the same version; they need no access to
the regimen files when the items carry their content
(:func:`~taperplan.batch.items.with_content`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from taperplan.batch.pool import chunk_starts, run_chunk
from taperplan.errors import ClusterError

_T = TypeVar("_T")
_R = TypeVar("_R")
#: Chunks sent to the cluster ahead of the one being gathered.
_AHEAD = 32
#: How long to wait for the scheduler to answer, in seconds.
CONNECT_SECONDS = 10.0


def iter_cluster(
    worker: Callable[[_T], _R],
    items: Sequence[_T],
    address: str,
    *,
    chunksize: int = 16,
    timeout: float | None = None,
) -> Iterator[_R]:
    """``worker(item)`` for each item on the Dask cluster at ``address``, in input order.

    At most a fixed number of chunks are on the cluster at a time, so a large
    batch neither floods the scheduler nor waits for its last patient before
    the first is written.

    Raises:
        ClusterError: ``distributed`` is not installed or the scheduler does
            not answer within ``timeout`` seconds (None: :data:`CONNECT_SECONDS`),
            before any work is sent.
    """
    try:
        from distributed import Client  # noqa: PLC0415 - an optional extra, only here
    except ImportError:
        raise ClusterError(
            'a Dask cluster needs dask[distributed]: pip install "dask[distributed]"'
        ) from None
    try:
        client: Any = Client(
            address, timeout=CONNECT_SECONDS if timeout is None else timeout, set_as_default=False
        )  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} ({error}); "
            "give the address of a running scheduler, e.g. tcp://host:8786"
        ) from None
    return _gathered(client, worker, items, chunksize)


def _gathered(
    client: Any, worker: Callable[[_T], _R], items: Sequence[_T], chunksize: int
) -> Iterator[_R]:
    starts = chunk_starts(len(items), chunksize)
    futures: list[Any] = []
    try:
        for index, first in enumerate(starts):
            futures.append(
                client.submit(run_chunk, worker, items[first : first + chunksize], pure=False)
            )
            if index >= _AHEAD:
                yield from futures[index - _AHEAD].result()
                futures[index - _AHEAD] = None
        for future in futures:
            if future is not None:
                yield from future.result()
    finally:
        for future in futures:
            if future is not None:
                future.cancel()
        client.close()

"""Planning a batch on a Dask cluster: the same work as the process pool, in input order.

Needs ``dask[distributed]`` (imported only here, only when used). The
workers need taperplan installed at the same version; they need no access to
the regimen files when the items carry their content
(:func:`~taperplan.batch.items.with_content`).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from taperplan._version import __version__
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

    The scheduler is reached and its workers checked (taperplan at this
    version) before this returns, so a wrong address fails before anything is
    sent. At most a fixed number of chunks are on the cluster at a time, so a
    large batch neither floods the scheduler nor waits for its last patient
    before the first is written.

    Raises:
        ClusterError: ``distributed`` is not installed, the address is not a
            ``tcp://`` or ``tls://`` address, the scheduler does not answer
            within ``timeout`` seconds (None: :data:`CONNECT_SECONDS`), or its
            workers run another version of taperplan (or none).
    """
    try:
        from distributed import Client  # noqa: PLC0415 - an optional extra, only here
    except ImportError:
        raise ClusterError(
            'a Dask cluster needs dask[distributed]: pip install "dask[distributed]"'
        ) from None
    seconds = CONNECT_SECONDS if timeout is None else timeout
    _probe(address, seconds)

    def connect() -> Any:
        try:
            return Client(address, timeout=seconds, set_as_default=False)  # type: ignore[no-untyped-call]
        # distributed raises many kinds of errors for a scheduler it cannot use.
        except Exception as error:
            raise ClusterError(f"cannot use the Dask scheduler at {address} ({error})") from None

    client = connect()
    try:
        _same_version(client, address)
    finally:
        client.close()
    # The client of the run is made when the first result is asked for, so a
    # caller that never starts it leaves nothing open.
    return _gathered(connect, worker, items, chunksize)


def _probe(address: str, seconds: float) -> None:
    """Refuse an address that is not ``tcp://host:port`` or ``tls://host:port``, or where
    nothing answers: before a client is made, which would retry until its timeout."""
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in {"tcp", "tls"} or not host or not port.isdigit():
        raise ClusterError(
            f"{address!r} is not the address of a Dask scheduler; "
            "give tcp://host:port (or tls://host:port), e.g. tcp://scheduler:8786"
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=seconds):
            pass
    except (OSError, ValueError) as error:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} ({error}); "
            "give the address of a running scheduler, e.g. tcp://host:8786"
        ) from None


def version() -> str:
    """This taperplan's version (run on each worker to compare)."""
    return __version__


def _same_version(client: Any, address: str) -> None:
    try:
        found = client.run(version)
    except Exception as error:
        raise ClusterError(
            f"the workers of {address} cannot run taperplan ({error}); "
            f"install taperplan {__version__} on every worker"
        ) from None
    other = sorted({str(v) for v in found.values()} - {__version__})
    if other:
        raise ClusterError(
            f"the workers of {address} run taperplan {', '.join(other)}, not {__version__}; "
            "install the same version everywhere, or the plans would differ"
        )


def _gathered(
    connect: Callable[[], Any], worker: Callable[[_T], _R], items: Sequence[_T], chunksize: int
) -> Iterator[_R]:
    client = connect()
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

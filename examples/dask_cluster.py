"""Planning a batch on a Dask cluster: the same pure function, mapped by Dask.

Run:  python examples/dask_cluster.py      (needs: pip install "dask[distributed]")

:func:`plan_one` is pure and top-level, and its inputs and results pickle, so
any cluster that maps a function over a list can plan a batch. Here a local
cluster of two worker processes stands in for a real one: to use a cluster,
pass its scheduler's address to ``Client("tcp://scheduler:8786")`` instead.
Regimens are read here and sent as mappings, so the workers need no access
to the files.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

from dask.distributed import Client, LocalCluster

from taperplan.batch import BatchItem, BatchResult, load_batch, plan_one

CLINIC = Path(__file__).parent / "data" / "clinic.csv"
START = dt.date(2027, 1, 4)
TODAY = dt.date(2026, 11, 24)


def as_mapping(item: BatchItem) -> BatchItem:
    """The item with its regimen file read into a mapping (workers need no files)."""
    if not isinstance(item.source, str):  # load_batch gives paths
        return item
    data = tomllib.loads(Path(item.source).read_text(encoding="utf-8"))
    return BatchItem(item.key, data, start=item.start, pace=item.pace)


def main() -> None:
    """Plan the example clinic on a two-process local cluster and print a summary."""
    items = [as_mapping(item) for item in load_batch(CLINIC)]
    # dask's constructors carry no annotations, hence the two ignores.
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        futures = client.map(plan_one, items, start=START, today=TODAY)
        results: list[BatchResult] = client.gather(futures)
    for result in results:  # gather keeps the input order
        if result.plan is None:
            print(f"{result.key}: not planned: {result.error_type}")
        else:
            print(f"{result.key}: {result.plan.pace.name}, stops {result.plan.stop_date}")
    print("Decision support for clinicians; not medical advice.")


if __name__ == "__main__":  # needed: the worker processes import this module
    main()

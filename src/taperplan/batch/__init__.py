"""Planning many regimens at once, on every core, in a deterministic order.

:func:`plan_one` is the unit of work: a pure, top-level function from one
:class:`BatchItem` to one :class:`BatchResult`. It never raises for a bad
regimen; the error is recorded in the result instead. :func:`plan_many` maps
it over a batch, in this process or in a pool of worker processes, and returns
the results in input order whatever the number of jobs. Because
:func:`plan_one` is pure and its inputs and results pickle, the same function
maps over a Dask or Spark cluster when one machine is not enough.

Modules: :mod:`.items` (the work and its results), :mod:`.pool` (the
process pool), :mod:`.inputs` (a clinic CSV or a folder of regimen files),
:mod:`.summary` (one row per patient).
"""

from taperplan.batch.inputs import (
    BATCH_COLUMNS,
    ID_PATTERN,
    MAX_BATCH_CSV_BYTES,
    load_batch,
    parse_batch_csv,
)
from taperplan.batch.items import BatchItem, BatchResult, RegimenSource, batch_items, plan_one
from taperplan.batch.pool import default_jobs, iter_ordered, plan_many
from taperplan.batch.summary import SUMMARY_COLUMNS, summary_row

__all__ = [
    "BATCH_COLUMNS",
    "ID_PATTERN",
    "MAX_BATCH_CSV_BYTES",
    "SUMMARY_COLUMNS",
    "BatchItem",
    "BatchResult",
    "RegimenSource",
    "batch_items",
    "default_jobs",
    "iter_ordered",
    "load_batch",
    "parse_batch_csv",
    "plan_many",
    "plan_one",
    "summary_row",
]

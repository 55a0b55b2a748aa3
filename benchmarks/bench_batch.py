"""Batch throughput: plans per second with ``plan_many`` on one job and on every core.

Run:  python benchmarks/bench_batch.py [--count 10000] [--jobs 1 2 ...]

The same random regimens as benchmarks/bench_plans.py (seeded), loaded before
timing and sent to the workers as Regimen objects. Each timing covers the
whole ``plan_many`` call: starting the worker processes, pickling the
regimens there and the plans back, in input order. CPU time is printed too:
on a shared machine the wall-clock figures are noisy, the CPU figures less so. A regimen that ends in
``PlanningError`` counts as done (its result carries the error).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from regimens import random_regimen

from taperplan import regimen_from_mapping
from taperplan.batch import plan_many

START = dt.date(2027, 1, 4)


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument(
        "--jobs", type=int, nargs="+", default=sorted({1, os.cpu_count() or 1}), metavar="N"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    regimens = [regimen_from_mapping(random_regimen(rng)) for _ in range(args.count)]
    print(f"{args.count} random regimens; {os.cpu_count()} cores")

    baseline = None
    for jobs in args.jobs:
        before = _cpu()
        began = time.perf_counter()
        results = plan_many(regimens, start=START, jobs=jobs)
        elapsed = time.perf_counter() - began
        parent, children = (now - then for now, then in zip(_cpu(), before, strict=True))
        planned = sum(result.ok for result in results)
        if baseline is None:
            baseline = results
        same = "same results as the first run" if results == baseline else "RESULTS DIFFER"
        print(
            f"  jobs={jobs}: {elapsed:.2f} s, {args.count / elapsed:,.0f} plans/s "
            f"({planned} planned, {args.count - planned} refused; {same})"
        )
        print(
            f"          CPU: {parent:.2f} s in this process, {children:.2f} s in workers "
            f"({(parent + children) / args.count * 1000:.2f} ms per plan)"
        )


if __name__ == "__main__":
    main()

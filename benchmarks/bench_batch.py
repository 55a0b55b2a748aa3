"""Batch throughput: plans per second with ``plan_many`` on one job and on every core, and
patients per second with ``taperplan batch`` over the clinic panel.

Run:  python benchmarks/bench_batch.py [--count 10000] [--jobs 1 2 ...] [--cli 1000 [--dask]]
      python benchmarks/bench_batch.py --count 4000 --pairs 5

``--cli N`` also times the command line: ``taperplan batch`` over a clinic CSV of N
patients (the regimens of tests/data/clinic in turn), writing every patient's JSON, CSV and
calendar into a new folder, once per ``--jobs`` value; the folders are compared byte for byte.
``--pairs N`` runs one job and every core, each in a fresh process, N times (one job
first in every other pair), and prints the ratio of each pair and their median (on a machine shared with other work the
speed drifts between runs; a pair's ratio drifts less). ``--dask`` adds a run with ``--dask ADDRESS`` on a ``LocalCluster`` of two worker processes
(one thread each), started before the timing.

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
import filecmp
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
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
    parser.add_argument("--cli", type=int, default=0, metavar="N")
    parser.add_argument("--dask", action="store_true")
    parser.add_argument("--pairs", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if args.pairs:
        _pairs(args.pairs, args.count, max(args.jobs))
        return
    if args.cli:
        _time_cli(args.cli, args.jobs, dask=args.dask)
        return
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


def _pairs(pairs: int, count: int, jobs: int) -> None:
    """One job and ``jobs`` jobs, each in a fresh process, ``pairs`` times, in turn first
    and second: on a shared machine whose speed drifts from minute to minute, the ratio
    within a pair is steadier than either rate."""
    ratios = []
    for pair in range(pairs):
        # One job first in even pairs, last in odd ones: a machine that slows down (or
        # speeds up) over the series does not favour either.
        order = (1, jobs) if pair % 2 == 0 else (jobs, 1)
        rate = {job: _rate_in_child(count, job) for job in order}
        rates = [rate[1], rate[jobs]]
        ratios.append(rates[1] / rates[0])
        print(
            f"  pair {pair + 1}: jobs=1 {rates[0]:,.0f} plans/s, jobs={jobs} {rates[1]:,.0f} "
            f"plans/s, ratio {ratios[-1]:.2f}"
        )
    ratios.sort()
    print(
        f"  ratio: median {statistics.median(ratios):.2f}, range {ratios[0]:.2f}-{ratios[-1]:.2f}"
    )


def _rate_in_child(count: int, jobs: int) -> float:
    command = [sys.executable, __file__, "--count", str(count), "--jobs", str(jobs)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
    line = next(line for line in output.splitlines() if line.strip().startswith(f"jobs={jobs}:"))
    return float(line.split(" s, ")[1].split(" plans/s")[0].replace(",", ""))


def _time_cli(count: int, jobs: list[int], *, dask: bool) -> None:
    panel = sorted((Path(__file__).parent.parent / "tests" / "data" / "clinic").glob("*.toml"))
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        rows = ["id,regimen"] + [
            f"p{index:05},{panel[index % len(panel)]}" for index in range(count)
        ]
        (folder / "clinic.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        print(f"taperplan batch: {count} patients of the clinic panel; {os.cpu_count()} cores")
        runs = [(f"jobs={job}", ["--jobs", str(job)]) for job in jobs]
        cluster = None
        if dask:
            from distributed import LocalCluster  # noqa: PLC0415 - only with --dask

            cluster = LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            )
            runs.append(("dask, 2 workers", ["--dask", cluster.scheduler_address]))
        outputs: list[Path] = []
        try:
            for label, options in runs:
                out = folder / f"out{len(outputs)}"
                elapsed = _run_batch(folder / "clinic.csv", out, options)
                same = _same(outputs[0], out) if outputs else ""
                outputs.append(out)
                print(f"  {label}: {elapsed:.2f} s, {count / elapsed:,.1f} patients/s{same}")
        finally:
            if cluster is not None:
                cluster.close()


def _run_batch(source: Path, out: Path, options: list[str]) -> float:
    command = [
        sys.executable,
        "-c",
        "import sys; from taperplan.cli import main; sys.exit(main(sys.argv[1:]))",
        "batch",
        str(source),
        "--out",
        str(out),
        "--start",
        START.isoformat(),
        "--no-progress",
        *options,
    ]
    began = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own command line
        command,
        check=True,
        stdout=subprocess.DEVNULL,
        env=os.environ | {"SOURCE_DATE_EPOCH": "1795521600"},
    )
    return time.perf_counter() - began


def _same(first: Path, other: Path) -> str:
    names = sorted(p.name for p in first.iterdir() if not p.name.startswith("."))
    _, mismatch, errors = filecmp.cmpfiles(first, other, names, shallow=False)
    return "; same files as the first run" if not mismatch and not errors else "; FILES DIFFER"


if __name__ == "__main__":
    main()

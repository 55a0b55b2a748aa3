"""Planner throughput: plans per second on one core over 10,000 random regimens,
and time per plan for a three-drug regimen.

Run:  python benchmarks/bench_plans.py [--count 10000] [--cold] [--memory] [--panel]

Regimens are loaded before timing; each timed call is one ``plan_taper``. A
regimen whose pace cannot be met with dispensable units ends in
``PlanningError`` (a valid, fully computed answer); both outcomes are counted
and reported separately.

The planner remembers what it worked out for a product family (moves, daily
amounts, doses) within a bounded budget, so a batch gets faster as it goes; the
run starts with that memory empty. ``--cold`` empties it before every plan, to
show the cost of a plan with nothing shared. ``--memory`` traces allocations
during the run (slower) and reports the peak and what the planner keeps.
``--panel`` also plans the clinic panel (``tests/data/clinic``, realistic
regimens) at the default pace and at every preset that needs no supervision.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from regimens import random_regimen

from taperplan import PlanningError, load_regimen, plan_taper, regimen_from_mapping
from taperplan.reference.paces import presets

START = dt.date(2027, 1, 4)


def _forget() -> None:
    """Empty the planner's shared memory (a private knob, for --cold)."""
    from taperplan.planning import _doses, _families  # noqa: PLC0415

    _families.forget_all()
    _doses.forget_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--cold", action="store_true", help="share nothing between plans")
    parser.add_argument("--memory", action="store_true", help="trace allocations (slower)")
    parser.add_argument("--panel", action="store_true", help="also plan the clinic panel")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    regimens = [regimen_from_mapping(random_regimen(rng)) for _ in range(args.count)]
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{os.cpu_count()} cores, {platform.machine()}"
    )

    if args.memory:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    planned = stuck = steps = 0
    began = time.perf_counter()
    for regimen in regimens:
        if args.cold:
            _forget()
        try:
            plan = plan_taper(regimen, start=START)
        except PlanningError:
            stuck += 1
        else:
            planned += 1
            steps += len(plan.steps)
    elapsed = time.perf_counter() - began
    mode = " (nothing shared between plans)" if args.cold else ""
    print(f"random regimens: {args.count} in {elapsed:.2f} s on one core{mode}")
    print(
        f"  {args.count / elapsed:,.0f} plans/s ({planned} planned, avg {steps / max(planned, 1):.1f} steps; "
        f"{stuck} refused with PlanningError)"
    )
    if args.memory:
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"  traced memory: peak {(peak - before) / 1e6:.1f} MB above the loaded regimens, "
            f"{(current - before) / 1e6:.1f} MB kept after the run (the planner's bounded memory)"
        )

    three = regimen_from_mapping(
        {
            "timezone": "America/New_York",
            "pace": {"preset": "va-slower"},
            "medication": [
                {
                    "drug": "morphine",
                    "form": "er_tablet",
                    "strength": "30 mg",
                    "dose": "60 mg",
                    "times": ["08:00", "20:00"],
                },
                {
                    "drug": "oxycodone",
                    "form": "ir_tablet",
                    "strength": "5 mg",
                    "doses": ["10 mg", "5 mg"],
                    "times": ["12:00", "18:00"],
                },
                {
                    "drug": "fentanyl",
                    "form": "patch",
                    "strength": "25 mcg/h",
                    "dose": "25 mcg/h",
                    "times": ["09:00"],
                },
            ],
        }
    )
    if args.panel:
        _panel(cold=args.cold)

    runs = 200
    began = time.perf_counter()
    for _ in range(runs):
        if args.cold:
            _forget()
        three_plan = plan_taper(three, start=START)
    per_plan = (time.perf_counter() - began) / runs
    print(f"three-drug regimen: {per_plan * 1000:.2f} ms per plan ({len(three_plan.steps)} steps)")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak resident memory: {peak_kb / 1024:.0f} MB")


def _panel(*, cold: bool) -> None:
    """Plans per second over the clinic panel at the default and every unsupervised pace."""
    folder = Path(__file__).parent.parent / "tests" / "data" / "clinic"
    regimens = [load_regimen(path) for path in sorted(folder.glob("*.toml"))]
    paces: list[str | None] = [None, *(p.name for p in presets() if not p.supervised_only)]
    planned = stuck = 0
    began = time.perf_counter()
    for regimen in regimens:
        for pace in paces:
            if cold:
                _forget()
            try:
                plan_taper(regimen, start=START, pace=pace)
            except PlanningError:
                stuck += 1
            else:
                planned += 1
    elapsed = time.perf_counter() - began
    count = planned + stuck
    print(
        f"clinic panel: {len(regimens)} regimens x {len(paces)} paces = {count} plans in "
        f"{elapsed:.2f} s: {count / elapsed:,.0f} plans/s ({planned} planned, {stuck} refused)"
    )


if __name__ == "__main__":
    main()

"""Planner throughput: plans per second on one core over 10,000 random regimens,
and time per plan for a three-drug regimen.

Run:  python benchmarks/bench_plans.py [--count 10000]

Regimens are loaded before timing; each timed call is one ``plan_taper``. A
regimen whose pace cannot be met with dispensable units ends in
``PlanningError`` (a valid, fully computed answer); both outcomes are counted
and reported separately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from regimens import random_regimen

from taperplan import PlanningError, plan_taper, regimen_from_mapping

START = dt.date(2027, 1, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    regimens = [regimen_from_mapping(random_regimen(rng)) for _ in range(args.count)]

    planned = stuck = steps = 0
    began = time.perf_counter()
    for regimen in regimens:
        try:
            plan = plan_taper(regimen, start=START)
        except PlanningError:
            stuck += 1
        else:
            planned += 1
            steps += len(plan.steps)
    elapsed = time.perf_counter() - began
    print(f"random regimens: {args.count} in {elapsed:.2f} s on one core")
    print(
        f"  {args.count / elapsed:,.0f} plans/s ({planned} planned, avg {steps / max(planned, 1):.1f} steps; "
        f"{stuck} refused with PlanningError)"
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
    runs = 200
    began = time.perf_counter()
    for _ in range(runs):
        plan = plan_taper(three, start=START)
    per_plan = (time.perf_counter() - began) / runs
    print(f"three-drug regimen: {per_plan * 1000:.2f} ms per plan ({len(plan.steps)} steps)")


if __name__ == "__main__":
    main()

"""Plan JSON speed: time to write and to read back a typical plan.

Run:  python benchmarks/bench_json.py [--rounds 200] [--repeat 5] [REGIMEN.toml ...]

Each regimen (by default two clinic regimens whose plans have 22 steps, one
and two medications) is planned once from 2027-01-04; then ``--rounds`` times
``plan_to_json`` and ``--rounds`` times ``plan_from_json`` on its text are
timed, ``--repeat`` times over, and the best run of each is reported (the
least disturbed by other work on the machine). The first conversion, which
builds the converter, is made before timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from taperplan import load_regimen, plan_taper
from taperplan.formats.json import plan_from_json, plan_to_json

START = dt.date(2027, 1, 4)
CLINIC = Path(__file__).parent.parent / "tests" / "data" / "clinic"
DEFAULT = (
    CLINIC / "02-oxycontin-20-bid.toml",
    CLINIC / "97-au-oxycontin-10-bid-plus-endone-5-bid-ckd.toml",
)


def _best(run: object, rounds: int, repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``rounds`` calls, in seconds."""
    assert callable(run)  # noqa: S101 - a benchmark's own check
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        for _ in range(rounds):
            run()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("regimens", nargs="*", type=Path, default=list(DEFAULT))
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for path in args.regimens:
        plan = plan_taper(load_regimen(path), start=START)
        text = plan_to_json(plan)
        if plan_from_json(text) != plan:
            raise SystemExit(f"{path.name}: the plan does not read back equal")
        write = _best(lambda p=plan: plan_to_json(p), args.rounds, args.repeat)
        read = _best(lambda t=text: plan_from_json(t), args.rounds, args.repeat)
        print(
            f"{path.name}: {len(plan.steps)} steps, {len(plan.baseline)} medication(s), "
            f"{len(text):,} characters; {args.rounds} writes {write:.3f} s "
            f"({write / args.rounds * 1e3:.2f} ms each), {args.rounds} reads {read:.3f} s "
            f"({read / args.rounds * 1e3:.2f} ms each), round trip "
            f"{(write + read) / args.rounds * 1e3:.2f} ms"
        )


if __name__ == "__main__":
    main()

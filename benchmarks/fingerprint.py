"""A fingerprint of the planner's behaviour, to prove an optimisation changes no plan.

Run:
    python benchmarks/fingerprint.py record OUT.json.gz [--count 3000] [--cases 500]
    python benchmarks/fingerprint.py compare OUT.json.gz [--exporter FROZEN_JSON.py]
    python benchmarks/fingerprint.py digest [--count 200]

``record`` plans the first ``--count`` benchmark regimens (seed 20261124, as
``bench_plans.py``) and ``--cases`` derandomized Hypothesis ``planning_cases``
(their inputs are stored, so ``compare`` replays exactly the same cases), and
for every planned case also a pause and a re-plan at fixed points. Each outcome
is kept twice: the plan JSON text (``plan_to_dict``) and an exact dump of the
plan objects (every ``Decimal`` with its exponent, every field of every value
object); a refusal is kept as its exception type and message. ``compare``
reports the first differences. The JSON exporter changes as exports grow, so
``--exporter`` names a Python file that defines ``plan_to_dict`` and ``to_json``
to take instead of ``taperplan.formats.json``'s: a frozen copy of the writer the
record was made with (self-contained: ``taperplan.formats.json`` is several
modules since issue 11), or ``fingerprint_exact.py``, which keeps the exact
text of ``plan_to_json`` and whether ``plan_from_json`` reads it back.

``digest`` prints a sha256 over the exact dumps (not the JSON, which other work
extends): record one before an optimisation and compare after it. (Planner v2
changed every plan on purpose, so no test pins a digest any more; the
independent checker in ``tests/plan_invariants.py`` guards the rules instead.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import gzip
import hashlib
import json
import random
import sys
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs

sys.path.insert(0, str(Path(__file__).parent))

from regimens import random_regimen

from taperplan import (
    PlanningError,
    TaperPlan,
    TaperplanError,
    pause,
    plan_taper,
    regimen_from_mapping,
    replan,
)
from taperplan.formats import json as _json

plan_to_dict: Callable[[TaperPlan], dict[str, Any]] = _json.plan_to_dict
to_json: Callable[[Any], str] = _json.to_json

START = dt.date(2027, 1, 4)
SEED = 20261124


def exact(value: Any) -> Any:
    """A JSON-able dump of ``value`` that keeps everything equality could see, and more:
    Decimal exponents (``20.0`` vs ``20``), field names, class names.

    A field holding exactly its default is left out, so a field added to the
    model with a default does not change the dump of plans that leave it unset.
    """
    if attrs.has(type(value)):
        dumped = [type(value).__name__]
        for field in attrs.fields(type(value)):
            item = exact(getattr(value, field.name))
            default = field.default
            plain = default is not attrs.NOTHING and not isinstance(default, attrs.Factory)
            if not plain or item != exact(default):
                dumped.append([field.name, item])
        return dumped
    if isinstance(value, Decimal):
        return "D:" + str(value)
    if isinstance(value, Fraction):
        return f"F:{value}"
    if isinstance(value, enum.Enum):
        return f"E:{type(value).__name__}.{value.name}"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return f"T:{type(value).__name__}:{value.isoformat()}"
    if isinstance(value, ZoneInfo):
        return f"Z:{value.key}"
    if isinstance(value, Mapping):
        return {"M": [[exact(k), exact(v)] for k, v in value.items()]}
    if isinstance(value, tuple | list):
        return [type(value).__name__[0], *[exact(v) for v in value]]
    if value is None or isinstance(value, bool | int | str | float):
        return value
    raise TypeError(f"no exact dump for {type(value).__name__}")


def exact_text(plan: TaperPlan) -> str:
    """The exact dump of ``plan`` as compact JSON text."""
    return json.dumps(exact(plan), separators=(",", ":"))


def outcome(make: Callable[[], TaperPlan]) -> tuple[TaperPlan | None, dict[str, str]]:
    """The plan (or None) and its fingerprint entry."""
    try:
        plan = make()
    except TaperplanError as error:
        return None, {"error": f"{type(error).__name__}: {error}"}
    text = to_json(plan_to_dict(plan))
    dump = exact_text(plan)
    return plan, {"json": text, "exact": hashlib.sha256(dump.encode()).hexdigest()}


def _day(plan: TaperPlan, fraction: float) -> dt.date:
    span = (plan.stop_date - plan.start).days
    return plan.start + dt.timedelta(days=round(span * fraction))


def _follow_ups(
    key: str, plan: TaperPlan, *, supervised: bool
) -> Iterator[tuple[str, dict[str, str]]]:
    """A pause and a re-plan at points chosen from ``key`` (deterministic)."""
    rng = random.Random(key)
    if plan.stop_date > plan.start:
        on = _day(plan, rng.random())
        if on >= plan.stop_date:
            on = plan.stop_date - dt.timedelta(days=1)
        days = rng.randint(1, 60)
        yield f"{key}/pause", outcome(lambda: pause(plan, on=on, days=days))[1]
    on = _day(plan, rng.random())
    yield f"{key}/replan", outcome(lambda: replan(plan, on=on, supervised=supervised))[1]


def benchmark_entries(count: int) -> Iterator[tuple[str, dict[str, str]]]:
    rng = random.Random(SEED)
    for index in range(count):
        regimen = regimen_from_mapping(random_regimen(rng))
        key = f"bench/{index}"
        plan, entry = outcome(lambda r=regimen: plan_taper(r, start=START))
        yield key, entry
        if plan is not None and index % 3 == 0:
            yield from _follow_ups(key, plan, supervised=False)


def _encode(value: Any) -> Any:
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__date__"}:
            return dt.date.fromisoformat(value["__date__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def generate_cases(count: int) -> list[Any]:
    """``count`` derandomized Hypothesis planning cases, as stored inputs."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
    from hypothesis import HealthCheck, Phase, given, settings  # noqa: PLC0415

    from strategies import PlanningCase, planning_cases  # noqa: PLC0415

    found: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(planning_cases(max_medications=3))
    def collect(case: PlanningCase) -> None:
        found.append(_encode([case.mapping, case.spec, case.start]))

    collect()
    return found


def case_entries(cases: list[Any]) -> Iterator[tuple[str, dict[str, str]]]:
    sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
    from strategies import PlanningCase  # noqa: PLC0415

    for index, stored in enumerate(cases):
        mapping, spec, start = _decode(stored)
        case = PlanningCase(mapping, spec, start)
        key = f"case/{index}"
        plan, entry = outcome(
            lambda c=case: plan_taper(
                c.regimen, start=c.start, pace=c.pace, supervised=c.supervised
            )
        )
        yield key, entry
        if plan is not None:
            yield from _follow_ups(key, plan, supervised=case.supervised)


def digest(count: int) -> str:
    """The sha256 over the exact dumps of the first ``count`` benchmark regimens'
    plans (or their refusal messages)."""
    rng = random.Random(SEED)
    hasher = hashlib.sha256()
    for _ in range(count):
        regimen = regimen_from_mapping(random_regimen(rng))
        try:
            text = exact_text(plan_taper(regimen, start=START))
        except PlanningError as error:
            text = f"PlanningError: {error}"
        hasher.update(text.encode() + b"\n")
    return hasher.hexdigest()


def _use_exporter(path: Path) -> None:
    """Take ``plan_to_dict`` and ``to_json`` from a frozen copy of the JSON exporter."""
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.spec_from_file_location("frozen_json_export", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    global plan_to_dict, to_json
    plan_to_dict, to_json = module.plan_to_dict, module.to_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=Path)
    rec.add_argument("--count", type=int, default=3000)
    rec.add_argument("--cases", type=int, default=500)
    rec.add_argument("--exporter", type=Path)
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("file", type=Path)
    cmp_.add_argument("--exporter", type=Path)
    dig = sub.add_parser("digest")
    dig.add_argument("--count", type=int, default=200)
    args = parser.parse_args()

    if args.command == "digest":
        print(digest(args.count))
        return
    if args.command == "record":
        if args.exporter is not None:
            _use_exporter(args.exporter)
        cases = generate_cases(args.cases)
        entries = dict(benchmark_entries(args.count))
        entries.update(case_entries(cases))
        data = {"count": args.count, "cases": cases, "entries": entries}
        with gzip.open(args.out, "wt", encoding="utf-8") as handle:
            json.dump(data, handle)
        errors = sum(1 for e in entries.values() if "error" in e)
        print(f"recorded {len(entries)} outcomes ({errors} refusals) to {args.out}")
        return
    if args.exporter is not None:
        _use_exporter(args.exporter)
    with gzip.open(args.file, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    expected: dict[str, dict[str, str]] = data["entries"]
    now = dict(benchmark_entries(data["count"]))
    now.update(case_entries(data["cases"]))
    differ = [k for k in expected if expected[k] != now.get(k)]
    extra = [k for k in now if k not in expected]
    for key in differ[:5]:
        old, new = expected[key], now.get(key, {})
        for field in ("error", "json", "exact"):
            if old.get(field) != new.get(field):
                print(
                    f"{key}: {field} differs\n  before: {str(old.get(field))[:300]}\n  after:  {str(new.get(field))[:300]}"
                )
    kinds: dict[str, int] = {}
    for key in differ:
        kind = key.rsplit("/", 1)[-1] if key.endswith(("/pause", "/replan")) else "plan"
        kinds[kind] = kinds.get(kind, 0) + 1
    if kinds:
        print("different by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    print(
        f"compared {len(expected)} outcomes: {len(expected) - len(differ)} identical, "
        f"{len(differ)} different, {len(extra)} new"
    )
    sys.exit(1 if differ or extra else 0)


if __name__ == "__main__":
    main()

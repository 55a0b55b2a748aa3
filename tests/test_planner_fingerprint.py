"""Regression checks on the planner's output: optimisations must not change any plan.

The digest below is the sha256 over an exact dump of each plan (every field of
every value object that differs from its default, each ``Decimal`` with its
exponent; see ``benchmarks/fingerprint.py``) or its ``PlanningError`` message, for the first
200 regimens of ``benchmarks/bench_plans.py`` (seed 20261124), produced by the
planner as it was before the issue-3 speed-ups. A change to the planner, to
``benchmarks/regimens.py`` or to a data file a plan reads (warnings, adjuncts,
withdrawal windows, products) changes the digest: when that change is
intended, review a few of the plans it alters and regenerate the digest with
``python benchmarks/fingerprint.py digest``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))

from fingerprint import SEED, START, digest, exact_text
from regimens import random_regimen

from taperplan import PlanningError, Regimen, plan_taper, regimen_from_mapping
from taperplan import _planner as planner

#: ``python benchmarks/fingerprint.py digest --count 200`` on the planner before issue 3.
EXPECTED = "466f9df19246aaeb2a873c7fa5b6ad79755eaeca7ea567ea51fd0afc389ef2f9"


def outcome(regimen: Regimen) -> str:
    """The exact dump of the regimen's plan, or the refusal."""
    try:
        return exact_text(plan_taper(regimen, start=START))
    except PlanningError as error:
        return f"PlanningError: {error}"


class TestPlannerFingerprint:
    def test_the_first_200_benchmark_plans_are_unchanged(self) -> None:
        """The exact dumps of 200 seeded random regimens' plans (or refusals) hash to the stored digest."""
        assert digest(200) == EXPECTED


class TestPlannerMemory:
    def test_plans_do_not_depend_on_what_the_planner_remembers(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Plans are identical with the planner's memory of product families empty,
        full, filled in another order, or so small that it forgets at every plan."""
        rng = random.Random(SEED)  # noqa: S311 - seeded test data
        regimens = [regimen_from_mapping(random_regimen(rng)) for _ in range(150)]
        planner._FAMILIES.clear()
        first = [outcome(r) for r in regimens]
        again = [outcome(r) for r in regimens]
        backwards = [outcome(r) for r in reversed(regimens)][::-1]
        monkeypatch.setattr(planner, "_MAX_ENTRIES", 40)
        monkeypatch.setattr(planner, "_MAX_FAMILIES", 2)
        planner._FAMILIES.clear()
        starved = [outcome(r) for r in regimens]
        assert sum(o.startswith("PlanningError") for o in first) not in {0, len(first)}
        assert again == first
        assert backwards == first
        assert starved == first

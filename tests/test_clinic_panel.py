"""Every regimen of the clinic panel plans at the default pace and at every unsupervised
preset, and every plan keeps every rule of interfaces.md §4 and §4a (checked from its
JSON by :mod:`plan_invariants`)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic_panel import panel, unsupervised_paces
from plan_invariants import check_plan
from taperplan import plan_taper

START = dt.date(2027, 1, 4)


def test_the_panel_is_large_and_varied() -> None:
    """At least 60 regimens, of several drugs, forms and regions, one and several opioids."""
    regimens = panel()
    assert len(regimens) >= 60
    drugs = {m.drug for _, r in regimens for m in r.medications}
    forms = {m.form.value for _, r in regimens for m in r.medications}
    assert len(drugs) >= 10
    assert {"er_tablet", "ir_tablet", "oral_solution", "patch", "er_capsule"} <= forms
    assert sum(len(r.medications) > 1 for _, r in regimens) >= 12
    zones = {r.timezone.key for _, r in regimens if r.timezone is not None}
    assert {"America/New_York", "Europe/London", "Australia/Sydney"} <= zones


@pytest.mark.parametrize("pace", unsupervised_paces(), ids=lambda p: p or "default")
@pytest.mark.parametrize("name", [name for name, _ in panel()])
def test_every_panel_regimen_plans_within_the_rules(name: str, pace: str | None) -> None:
    """The regimen plans (no refusal) and the plan keeps every rule."""
    regimen = dict(panel())[name]
    plan = plan_taper(regimen, start=START, pace=pace)
    check_plan(plan, regimen, plan.pace, start=START)

"""Every regimen of the clinic panel plans at the default pace and at every unsupervised
preset, and every plan keeps every rule of interfaces.md §4 and §4a (checked from its
JSON by :mod:`plan_invariants`)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from clinic_panel import panel, unsupervised_paces
from plan_invariants import check_plan
from support import forget_shared_memory
from taperplan import Quantity, Regimen, plan_taper, regimen_from_mapping
from taperplan.formats.json import plan_to_dict, to_json
from taperplan.reference.dispense import UnitSet
from taperplan.reference.products import Form

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


def _assert_sharing_changes_nothing(regimens: list[Regimen]) -> None:
    """Each regimen's plan made with nothing remembered equals its plan made after all of
    ``regimens`` were planned, in their order and in reverse."""
    cold = []
    for regimen in regimens:
        forget_shared_memory()
        cold.append(to_json(plan_to_dict(plan_taper(regimen, start=START))))
    for order in (regimens, regimens[::-1]):
        forget_shared_memory()
        warm = {id(r): to_json(plan_to_dict(plan_taper(r, start=START))) for r in order}
        assert [warm[id(r)] for r in regimens] == cold


def test_what_plans_share_never_changes_a_panel_plan() -> None:
    """The planner remembers moves, doses and layouts across plans, and the panel's
    regimens share products, strengths and dose times: each regimen's plan made with
    nothing remembered equals the plan made after the whole panel was planned, in
    either order."""
    regimens = [r for _, r in panel()]
    _assert_sharing_changes_nothing(regimens)


@pytest.mark.parametrize(
    ("product", "strength", "doses"),
    [
        (("oxycodone", "er_tablet"), "20 mg", ("40 mg", "60 mg", "80 mg")),
        (("morphine", "er_tablet"), "15 mg", ("30 mg", "45 mg", "60 mg")),
        (("hydromorphone", "ir_tablet"), "2 mg", ("4 mg", "6 mg", "8 mg")),
    ],
)
def test_what_plans_share_never_changes_a_sibling_plan(
    product: tuple[str, str], strength: str, doses: tuple[str, ...]
) -> None:
    """Regimens of the same product, strength and times at other doses pass through each
    other's doses; a dose the patient takes now is made of their own tablets, others of
    any strength, and what one plan remembers never changes the other's."""
    drug, form = product
    regimens = [
        regimen_from_mapping(
            {
                "medication": [
                    {
                        "drug": drug,
                        "form": form,
                        "strength": strength,
                        "dose": dose,
                        "times": ["08:00", "20:00"],
                    }
                ],
                "pace": {"preset": "va-slower"},
            }
        )
        for dose in doses
    ]
    _assert_sharing_changes_nothing(regimens)


def _oxycodone(times: list[str], dose: str = "40 mg") -> Regimen:
    return regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "oxycodone",
                    "form": "er_tablet",
                    "strength": "20 mg",
                    "dose": dose,
                    "times": times,
                }
            ]
        }
    )


def test_a_dose_maker_never_reads_another_medications_doses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the shared doses are emptied (their bound reached) while a plan is being made,
    say by another thread, the numbers of the medications start no one else's: the plan
    keeps its own dose times."""
    from taperplan.clinical.mme import resolve_factor_set  # noqa: PLC0415
    from taperplan.planning import _doses  # noqa: PLC0415 - a private knob
    from taperplan.planning._lanes import build_layout  # noqa: PLC0415

    forget_shared_memory()
    monkeypatch.setattr(_doses, "MAX_PARTS", 1)
    morning = _oxycodone(["08:00", "20:00"])
    layout = build_layout(morning, resolve_factor_set(None), substitute=True)
    maker = _doses.DoseMaker(layout)
    plan_taper(_oxycodone(["09:00", "21:00"]), start=START)  # empties the shared doses
    (part,) = maker.parts(layout.baseline, [0])
    assert [d.time.isoformat() for d in part.doses] == ["08:00:00", "20:00:00"]


def test_a_layout_kept_from_before_uses_only_families_still_shared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the bound on families, the least recently used one goes with what it
    remembers; a layout kept for a regimen that used it is laid out afresh, so nothing
    is remembered outside the bound, and the plan is the same."""
    from taperplan.clinical.mme import resolve_factor_set  # noqa: PLC0415
    from taperplan.planning import _families  # noqa: PLC0415 - a private knob
    from taperplan.planning._lanes import build_layout  # noqa: PLC0415

    forget_shared_memory()
    monkeypatch.setattr(_families, "MAX_FAMILIES", 1)
    first, second = _oxycodone(["08:00", "20:00"]), _oxycodone(["08:00", "14:00", "20:00"])
    before = to_json(plan_to_dict(plan_taper(first, start=START)))
    plan_taper(second, start=START)  # another family: the first one's goes
    after = to_json(plan_to_dict(plan_taper(first, start=START)))
    assert after == before
    layout = build_layout(first, resolve_factor_set(None), substitute=True)
    shared = set(map(id, _families._FAMILIES.values()))
    assert all(id(place.family) in shared for place in layout.drugs)


def test_regimens_and_units_built_from_lists_plan() -> None:
    """An app may build values from lists; they are kept as tuples (the planner shares
    work by them, so they must be hashable)."""
    regimen = _oxycodone(["08:00", "20:00"])
    (medication,) = regimen.medications
    listed = Regimen(
        medications=[
            attrs.evolve(
                medication,
                strengths=list(medication.strengths),
                available=[Quantity.parse("10 mg"), Quantity.parse("20 mg")],
            )
        ]
    )
    assert isinstance(listed.medications, tuple)
    assert isinstance(listed.medications[0].strengths, tuple)
    assert plan_taper(listed, start=START).steps
    tablets = UnitSet(
        Form.IR_TABLET,
        [Quantity.parse("5 mg")],
        splittable=True,
        labels=[(Quantity.parse("5 mg"), "5 mg")],
    )
    assert tablets.make(Quantity.parse("7.5 mg")) is not None

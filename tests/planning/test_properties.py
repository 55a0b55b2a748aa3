"""Hypothesis properties of the taper planner over random regimens, paces and start dates.

Every plan is checked through its JSON by :mod:`plan_invariants`, which re-derives
amounts, cuts, the ceiling, the rate, the end, units, windows and check-ins on its own
(interfaces.md §4 and §4a). Every regimen the catalogue can make plans; only a case
that forbids finer products (``substitute=False``) may be refused, and then the
refusal keeps what matters.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from plan_invariants import PlanInvariantError, check_plan, check_plan_invariants, plan_json
from strategies import PLANNER_PRESETS, PlanningCase, check_refusal, plan_or_none, planning_cases
from support import forget_shared_memory
from taperplan import (
    Pace,
    PlanningError,
    Regimen,
    TaperPlan,
    pause,
    plan_taper,
    preset,
    regimen_from_mapping,
    replan,
)
from taperplan.formats.json import plan_to_dict, to_json
from taperplan.units import normalised

START = dt.date(2027, 1, 4)


def day_in(plan: TaperPlan, fraction: float, *, last: dt.date) -> dt.date:
    """A date ``fraction`` of the way from the plan's start to ``last``."""
    span = (last - plan.start).days
    return plan.start + dt.timedelta(days=round(span * fraction))


@given(planning_cases())
def test_plans_keep_every_invariant(case: PlanningCase) -> None:
    """Every plan of a random regimen, pace and start date satisfies every rule of §4 and §4a."""
    plan = plan_or_none(case)
    if plan is None:
        return
    check_plan(plan, case.regimen, plan.pace, start=case.start)


def _written_one_way(value: Decimal | None) -> bool:
    return value is None or (value == normalised(value) and str(value) == str(normalised(value)))


@given(planning_cases())
def test_amounts_come_back_written_one_way(case: PlanningCase) -> None:
    """Every MME and dose amount of a plan has no trailing zeros and no exponent (60, not 60.0)."""
    plan = plan_or_none(case)
    if plan is None:
        return
    values = [plan.baseline_total_mme_per_day, *(s.total_mme_per_day for s in plan.steps)]
    for parts in (plan.baseline, *(s.medications for s in plan.steps)):
        for part in parts:
            values += [part.mme_per_day, part.daily_amount.amount]
            values += [dose.amount.amount for dose in part.doses]
    assert all(_written_one_way(v) for v in values), values


@given(planning_cases())
def test_identical_input_gives_an_identical_plan(case: PlanningCase) -> None:
    """Planning the same input twice (even from a fresh load) gives equal plans and byte-equal JSON."""
    first = plan_or_none(case)
    again = regimen_from_mapping(case.mapping)
    try:
        second = case.plan(again)
    except PlanningError:
        second = None
    if first is None or second is None:
        assert first is None
        assert second is None
        return
    assert first == second
    assert to_json(plan_to_dict(first)) == to_json(plan_to_dict(second))


def _outcome(case: PlanningCase) -> str:
    """A case's plan as exact JSON, or its refusal's message."""
    try:
        plan = case.plan()
    except PlanningError as error:
        return f"refused: {error}"
    return to_json(plan_to_dict(plan))


@settings(max_examples=min(settings.default.max_examples, 150))  # up to 4 plans each, twice
@given(planning_cases(), st.lists(planning_cases(), min_size=1, max_size=3))
def test_what_plans_share_never_changes_a_plan(
    case: PlanningCase, others: list[PlanningCase]
) -> None:
    """The planner remembers moves, doses and layouts across plans; a plan made after
    other regimens were planned is exactly the plan made with nothing remembered (and
    so is a refusal)."""
    forget_shared_memory()
    cold = _outcome(case)
    for other in others:
        _outcome(other)
    assert _outcome(case) == cold
    forget_shared_memory()
    for other in reversed(others):
        _outcome(other)
    assert _outcome(case) == cold


def interval_period(plan: TaperPlan, on: dt.date) -> int:
    """The least common multiple of the dose intervals in effect on ``on`` and the day before
    (a pause holds one of them, and a step lasts whole intervals of its doses)."""
    held = plan.step_on(on - dt.timedelta(days=1)).medications if on > plan.start else plan.baseline
    period = 1
    for part in (*plan.step_on(on).medications, *held):
        for dose in part.doses:
            period = math.lcm(period, dose.every_days)
    return period


@given(
    planning_cases(),
    st.floats(min_value=0, max_value=1, allow_nan=False),
    st.integers(min_value=1, max_value=120),
)
def test_pause_keeps_every_invariant(case: PlanningCase, where: float, days: int) -> None:
    """A pause on any day before the stop keeps every invariant and every step's identifier,
    and moves the stop by ``days`` (rounded up to whole dose intervals: exactly ``days`` when
    it is a whole number of them)."""
    plan = plan_or_none(case)
    if plan is None or plan.stop_date == plan.start:
        return
    on = day_in(plan, where, last=plan.stop_date - dt.timedelta(days=1))
    period = interval_period(plan, on)
    paused = pause(plan, on=on, days=days)
    check_plan(paused, case.regimen, plan.pace, start=case.start)
    moved = (paused.stop_date - plan.stop_date).days
    assert days <= moved < days + period
    if days % period == 0:
        assert moved == days
    assert paused.end == plan.end + dt.timedelta(days=moved)
    assert paused.revision == plan.revision + 1
    before = [step.id for step in plan.steps]
    after = [step.id for step in paused.steps]
    assert [step_id for step_id in after if step_id in before] == before
    assert len(after) - len(before) <= 2
    assert len(set(after)) == len(after)
    # Steps wholly before the pause are untouched; the held dose is the one in effect on ``on``.
    old_json, new_json = plan_json(plan), plan_json(paused)
    for old, fresh in zip(old_json["steps"], new_json["steps"], strict=False):
        if dt.date.fromisoformat(old["end"]) >= on:
            break
        assert fresh == old
    step = plan.step_on(on)
    held = step.medications
    if on == step.start:
        held = plan.steps[step.index - 1].medications if step.index else plan.baseline
    assert [m.doses for m in paused.step_on(on).medications] == [m.doses for m in held]


@given(planning_cases(), st.floats(min_value=0, max_value=1, allow_nan=False))
def test_replan_keeps_every_invariant(case: PlanningCase, where: float) -> None:
    """Re-planning from the doses in effect on any day up to the stop keeps every invariant
    and leaves the steps before that day unchanged; the step in effect keeps its dose as
    long as its cut needs."""
    plan = plan_or_none(case)
    if plan is None:
        return
    on = day_in(plan, where, last=plan.stop_date)
    try:
        again = replan(plan, on=on, supervised=case.supervised, substitute=case.substitute)
    except PlanningError as error:
        check_refusal(case, error)
        return
    check_plan(again, case.regimen, again.pace, start=case.start)
    assert again.revision == plan.revision + 1
    old_json, new_json = plan_json(plan), plan_json(again)
    kept = [s for s in old_json["steps"] if dt.date.fromisoformat(s["end"]) < on]
    assert new_json["steps"][: len(kept)] == kept
    covering = old_json["steps"][len(kept)]
    following = new_json["steps"][len(kept)]
    if covering["start"] < on.isoformat():
        # The step in effect on ``on`` keeps its identity and doses; it is cut short, but
        # never before its cut has been held as the pace needs.
        assert following["id"] == covering["id"]
        assert following["start"] == covering["start"]
        assert following["medications"] == covering["medications"]
        assert (on - dt.timedelta(days=1)).isoformat() <= following["end"] <= covering["end"]
    else:
        assert following["start"] == on.isoformat()


def schedule(data: dict[str, Any]) -> list[tuple[str, str, list[list[tuple[str, float, int]]]]]:
    """Each step's dates and doses (time, amount, every_days), without the units that make them."""
    return [
        (
            step["start"],
            step["end"],
            [
                [(a["time"], a["amount"], a["every_days"]) for a in m["administrations"]]
                for m in step["medications"]
                if m["administrations"]
            ],
        )
        for step in data["steps"]
    ]


@given(planning_cases(), st.floats(min_value=0, max_value=1, allow_nan=False))
def test_replan_at_a_step_start_reproduces_the_rest_of_the_plan(
    case: PlanningCase, where: float
) -> None:
    """Re-planning on a step's first day from the doses the plan itself gave, at the plan's
    pace, gives back the same dates and doses (the plan is a function of where the patient
    is) for a pace measured against the current dose."""
    plan = plan_or_none(case)
    if plan is None or plan.pace.basis.value != "current" or plan.pace.first_percent:
        return
    step = plan.steps[round(where * (len(plan.steps) - 1))]
    if any(s.first_step <= step.index for s in plan.substitutes):
        # Known limit (docs/limitations.md; test_replan_after_a_substitution_*): from a
        # re-plan on, a product the plan added is the patient's own, and a later
        # substitution may take over another dose time than the plan's did.
        return
    again = replan(plan, on=step.start, supervised=case.supervised, substitute=case.substitute)
    assert schedule(plan_json(again)) == schedule(plan_json(plan))
    assert [s.id for s in again.steps] == [s.id for s in plan.steps]


@given(planning_cases(max_medications=1), st.sampled_from(PLANNER_PRESETS))
def test_a_higher_dose_never_finishes_much_sooner(case: PlanningCase, pace: str) -> None:
    """Doubling every dose of a one-medication regimen never makes its taper end sooner by
    more than one pace interval (durations make sense: a higher dose takes longer)."""
    mapping = copy.deepcopy(case.mapping)
    [entry] = mapping["medication"]
    doubled = copy.deepcopy(mapping)
    [twice] = doubled["medication"]
    if "dose" in twice:
        twice["dose"] = _double(twice["dose"])
    else:
        twice["doses"] = [_double(d) for d in twice["doses"]]
    try:
        higher = regimen_from_mapping(doubled)
    except Exception:
        return
    lower = regimen_from_mapping(mapping)
    try:
        low = plan_taper(lower, start=START, pace=pace)
        high = plan_taper(higher, start=START, pace=pace)
    except PlanningError as error:
        # Only a case restricted to some strengths may be refused (the fix says so).
        check_refusal(case, error)
        return
    assert high.stop_date >= low.stop_date - dt.timedelta(days=preset(pace).every_days)
    assert entry  # the single medication of the case


def _double(text: str) -> str:
    amount, unit = text.split(" ", 1)
    from decimal import Decimal  # noqa: PLC0415

    return f"{Decimal(amount) * 2} {unit}"


@pytest.mark.parametrize(
    "group",
    [
        ("cdc-long-term", "va-slower", "va-faster", "canada"),
        ("va-slowest", "uk-opioids-aware"),
        ("etg-short", "etg-long"),
    ],
)
def test_presets_with_one_ceiling_plan_the_same_regimens(group: tuple[str, ...]) -> None:
    """With substitution forbidden, a regimen plans under one preset exactly when it plans
    under every other preset with the same ceiling and basis (the rate changes how long,
    never whether); over the clinic panel."""
    from clinic_panel import panel  # noqa: PLC0415

    for name, regimen in panel():
        if any(m.drug == "methadone" for m in regimen.medications):
            continue  # methadone's limit follows the pace's percent, not its ceiling
        outcomes = set()
        for pace in group:
            try:
                plan_taper(regimen, start=START, pace=pace, substitute=False)
            except PlanningError:
                outcomes.add(False)
            else:
                outcomes.add(True)
        assert len(outcomes) == 1, f"{name}: plans under some of {group} and not others"


@pytest.mark.parametrize("sample_size", [200])
def test_generated_regimens_plan(sample_size: int) -> None:
    """Every case of a fixed, deterministic sample plans, unless it forbids finer products
    or restricts the pharmacy's strengths (``plan_or_none`` fails on any other refusal),
    and most of the sample plans, so the properties above are not vacuous.

    The sample is derandomized, but Hypothesis also draws constants it finds in the
    modules already imported, so it differs between a whole run and this test alone:
    the test holds for any sample rather than for one."""
    outcomes: list[bool] = []

    @settings(max_examples=sample_size, derandomize=True, database=None, phases=[Phase.generate])
    @given(planning_cases())
    def sample(case: PlanningCase) -> None:
        outcomes.append(plan_or_none(case) is not None)

    sample()
    assert len(outcomes) >= sample_size * 9 // 10
    assert sum(outcomes) >= len(outcomes) * 4 // 5, f"{sum(outcomes)} of {len(outcomes)} planned"


# -- the checker itself can fail ----------------------------------------------------------


def good_plan(name: str) -> tuple[dict[str, Any], Regimen, Pace]:
    """A known-good plan as JSON, with its regimen and pace."""
    medication, pace_name = GOOD_PLANS[name]
    regimen = regimen_from_mapping({"medication": [medication]})
    pace = preset(pace_name)
    return plan_json(plan_taper(regimen, start=START, pace=pace)), regimen, pace


GOOD_PLANS: dict[str, tuple[dict[str, Any], str]] = {
    # VA-TDT's morphine SR 90 mg q8h at va-slower.
    "va": ({"drug": "morphine", "form": "er_tablet", "strength": "15 mg", "dose": "90 mg",
            "times": ["06:00", "14:00", "22:00"], "available": ["15 mg"]}, "va-slower"),
    # Oxycodone ER 10 mg twice daily: an IR tablet, then the solution, take over.
    "er": ({"drug": "oxycodone", "form": "er_tablet", "strength": "10 mg", "dose": "10 mg",
            "times": ["08:00", "20:00"]}, "cdc-long-term"),
    # Fentanyl 25 mcg/h: the smallest patch held alone, then stopped.
    "patch": ({"drug": "fentanyl", "form": "patch", "strength": "25 mcg/h", "dose": "25 mcg/h",
               "times": ["09:00"], "every_days": 3}, "cdc-long-term"),
    # Hydromorphone 1 mg three times a day: doses spaced to every other day, staggered.
    "spaced": ({"drug": "hydromorphone", "form": "ir_tablet", "strength": "2 mg", "dose": "1 mg",
                "times": ["08:00", "14:00", "20:00"]}, "etg-short"),
    # Methadone 10 mg twice daily.
    "methadone": ({"drug": "methadone", "form": "ir_tablet", "strength": "10 mg", "dose": "10 mg",
                   "times": ["08:00", "20:00"]}, "cdc-long-term"),
}  # fmt: skip


def steps_of(data: dict[str, Any], kind: str) -> list[int]:
    """The positions of the steps of ``kind``."""
    return [i for i, s in enumerate(data["steps"]) if s["kind"] == kind]


def merge_into_previous(data: dict[str, Any], index: int) -> None:
    """Drop step ``index``, letting the step before it run on to its end."""
    steps = data["steps"]
    steps[index - 1]["end"] = steps[index]["end"]
    steps[index - 1]["days"] += steps[index]["days"]
    del steps[index]
    for position, step in enumerate(steps):
        step["index"] = position


def shorten(data: dict[str, Any], index: int, by: int) -> None:
    """End step ``index`` ``by`` days sooner, the next step starting sooner."""
    steps = data["steps"]
    end = dt.date.fromisoformat(steps[index]["end"]) - dt.timedelta(days=by)
    steps[index]["end"] = end.isoformat()
    steps[index]["days"] -= by
    steps[index + 1]["start"] = (end + dt.timedelta(days=1)).isoformat()
    steps[index + 1]["days"] += by
    checks = [c for c in steps[index]["check_ins"] if c <= end.isoformat()] or [end.isoformat()]
    steps[index]["check_ins"], steps[index]["check_in"] = checks, checks[-1]


def first_admin(data: dict[str, Any], step: int) -> dict[str, Any]:
    """The first administration of the first medication of a step."""
    admin: dict[str, Any] = data["steps"][step]["medications"][0]["administrations"][0]
    return admin


def break_contiguity(data: dict[str, Any]) -> None:
    """Leave a day between two steps."""
    data["steps"][1]["start"] = "2027-02-02"


def raise_a_dose(data: dict[str, Any]) -> None:
    """Give step 2 the doses of step 0 again (a rise)."""
    data["steps"][2]["medications"] = data["steps"][0]["medications"]
    data["steps"][2]["total_mme_per_day"] = data["steps"][0]["total_mme_per_day"]


def cut_beyond_the_ceiling(data: dict[str, Any]) -> None:
    """Skip the 180 mg step: 225 → 150 mg/day is a 33% cut above a 20% ceiling."""
    merge_into_previous(data, 1)


def drop_a_window(data: dict[str, Any]) -> None:
    """A cut without a withdrawal window."""
    data["steps"][3]["withdrawal_window"] = None


def move_a_check_in_out(data: dict[str, Any]) -> None:
    """A check-in after its step's end."""
    data["steps"][0]["check_in"] = "2027-02-03"
    data["steps"][0]["check_ins"] = ["2027-02-03"]


def leave_a_long_gap(data: dict[str, Any]) -> None:
    """Five weeks without a check-in."""
    data["steps"][1]["check_in"] = data["steps"][1]["end"]
    data["steps"][1]["check_ins"] = [data["steps"][1]["end"]]
    data["steps"][0]["check_in"] = data["steps"][0]["start"]
    data["steps"][0]["check_ins"] = [data["steps"][0]["start"]]


def miscount_units(data: dict[str, Any]) -> None:
    """Units that do not add up to the dose."""
    first_admin(data, 0)["units"][0]["count"] = 4.0


def use_an_unavailable_strength(data: dict[str, Any]) -> None:
    """A 30 mg tablet when only 15 mg tablets are available."""
    admin = first_admin(data, 5)
    assert admin["amount"] == 30.0
    admin["units"] = [{"strength": "30 mg", "count": 1.0}]


def never_stop(data: dict[str, Any]) -> None:
    """A plan that does not end at zero."""
    del data["steps"][-1]


def misstate_mme(data: dict[str, Any]) -> None:
    """An MME/day that is not the daily amount times morphine's factor of 1."""
    data["steps"][0]["medications"][0]["mme_per_day"] = 200.0


def hurry_a_cut(data: dict[str, Any]) -> None:
    """Rule 3: the 225 → 180 mg/day cut (20% at 20% a month) held 21 days, not 28."""
    shorten(data, 1, 7)


def stop_several_doses_at_once(data: dict[str, Any]) -> None:
    """Rule 5: a stop from two daily doses of 15 mg (30 MME/day), no end move."""
    steps = data["steps"]
    position = next(
        i for i, s in enumerate(steps) if len(s["medications"][0]["administrations"]) == 2
    )
    del steps[position + 1]
    steps[position + 1]["start"] = (
        dt.date.fromisoformat(steps[position]["end"]) + dt.timedelta(days=1)
    ).isoformat()
    for index, step in enumerate(steps):
        step["index"] = index
    steps[-1]["check_ins"] = [steps[-1]["end"]]
    steps[-1]["check_in"] = steps[-1]["end"]


def space_an_er_tablet(data: dict[str, Any]) -> None:
    """Rule 4: an extended-release tablet taken every other day."""
    steps = data["steps"]
    position = next(
        i for i, s in enumerate(steps)
        if [m for m in s["medications"] if m["form"] == "er_tablet" and len(m["administrations"]) == 1]
    )  # fmt: skip
    part = next(m for m in steps[position]["medications"] if m["form"] == "er_tablet")
    part["administrations"][0]["every_days"] = 2
    part["daily_amount"] = part["daily_amount"] / 2
    part["mme_per_day"] = part["mme_per_day"] / 2
    total = sum(m["mme_per_day"] for m in steps[position]["medications"])
    steps[position]["total_mme_per_day"] = total


def add_a_product_without_warning(data: dict[str, Any]) -> None:
    """Rule 4: a substitute the warnings do not name."""
    data["warnings"] = [w for w in data["warnings"] if w["code"] != "substitution"]


def forbid_substitution(data: dict[str, Any]) -> None:
    """Rule 4: a finer product although the pace says substitute = false."""
    data["pace"]["substitute"] = False


def label_the_small_patch_as_twelve(data: dict[str, Any]) -> None:
    """§4a rule 2's example: the 12 mcg/h patch counted as 12, not the 12.5 it delivers."""
    step = (
        data["steps"][steps_of(data, "pause")[0]] if steps_of(data, "pause") else data["steps"][-2]
    )
    admin = step["medications"][0]["administrations"][0]
    admin["amount"] = 12.0


def stop_the_patch_too_soon(data: dict[str, Any]) -> None:
    """Rule 5: the smallest patch stopped after 9 days worn alone (the pace's interval is 28)."""
    held = [i for i, s in enumerate(data["steps"]) if s["medications"][0]["administrations"]
            and s["medications"][0]["administrations"][0]["amount"] == 12.5]  # fmt: skip
    shorten(data, held[-1], data["steps"][held[-1]]["days"] - 9)


def wear_too_many_patches(data: dict[str, Any]) -> None:
    """No step wears more patches than the regimen's own count plus one (25 = 2 × 12.5)."""
    admin = first_admin(data, 0)
    if admin["amount"] == 12.5:
        admin["units"] = [{"strength": "12 mcg/h", "count": 1.0}]
    data["steps"][0]["medications"][0]["administrations"][0]["units"] = [
        {"strength": "12 mcg/h", "count": 2.0}
    ]
    data["steps"][0]["medications"][0]["administrations"][0]["amount"] = 25.0
    data["steps"][0]["medications"][0]["daily_amount"] = 25.0
    data["steps"][0]["medications"][0]["mme_per_day"] = 60.0
    data["steps"][0]["total_mme_per_day"] = 60.0
    data["baseline"]["medications"][0]["administrations"][0]["units"] = [
        {"strength": "25 mcg/h", "count": 1.0}
    ]
    data["pace"]["max_step_fraction"] = data["pace"]["max_step_fraction"]


def put_spaced_doses_on_one_day(data: dict[str, Any]) -> None:
    """Rule 6: two doses every other day on the same days, a day without any dose."""
    for step in data["steps"]:
        spaced = [
            a for m in step["medications"] for a in m["administrations"] if a["every_days"] == 2
        ]
        if (
            len(spaced) >= 2
            and len({a["offset"] for a in spaced}) == 2
            and all(a["every_days"] == 2 for m in step["medications"] for a in m["administrations"])
        ):
            for admin in spaced:
                admin["offset"] = 0
            return
    raise AssertionError("no step with staggered spaced doses")


def cut_methadone_too_fast(data: dict[str, Any]) -> None:
    """Methadone above 15 MME/day cut by more than the pace's 10% of its dose."""
    merge_into_previous(data, 1)


BREAKAGES: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("va", break_contiguity),
    ("va", raise_a_dose),
    ("va", cut_beyond_the_ceiling),
    ("va", drop_a_window),
    ("va", move_a_check_in_out),
    ("va", leave_a_long_gap),
    ("va", miscount_units),
    ("va", use_an_unavailable_strength),
    ("va", never_stop),
    ("va", misstate_mme),
    ("va", hurry_a_cut),
    ("va", stop_several_doses_at_once),
    ("er", space_an_er_tablet),
    ("er", add_a_product_without_warning),
    ("er", forbid_substitution),
    ("patch", label_the_small_patch_as_twelve),
    ("patch", stop_the_patch_too_soon),
    ("patch", wear_too_many_patches),
    ("spaced", put_spaced_doses_on_one_day),
    ("methadone", cut_methadone_too_fast),
]


@pytest.mark.parametrize("name", sorted(GOOD_PLANS))
def test_checker_accepts_the_known_good_plans(name: str) -> None:
    """Each known-good plan passes the checker untouched (so the breakages below are the cause)."""
    data, regimen, pace = good_plan(name)
    check_plan_invariants(data, regimen, pace, start=START)


@pytest.mark.parametrize(
    ("name", "breakage"), BREAKAGES, ids=[f"{n}-{b.__name__}" for n, b in BREAKAGES]
)
def test_checker_rejects_broken_plans(
    name: str, breakage: Callable[[dict[str, Any]], None]
) -> None:
    """Each way of breaking a rule of §4 or §4a in a good plan's JSON is caught by the checker."""
    data, regimen, pace = good_plan(name)
    broken = copy.deepcopy(data)
    breakage(broken)
    assert broken != data
    with pytest.raises(PlanInvariantError):
        check_plan_invariants(broken, regimen, pace, start=START)


def test_pace_substitute_false_round_trips_in_the_plan() -> None:
    """A plan planned with substitution forbidden says so in its pace (the checker reads it).
    (VA-TDT's morphine example needs the IR tablet; tramadol 50 mg three times a day
    needs nothing new.)"""
    tramadol = {"drug": "tramadol", "form": "ir_tablet", "strength": "50 mg", "dose": "50 mg",
                "times": ["08:00", "14:00", "20:00"]}  # fmt: skip
    regimen = regimen_from_mapping({"medication": [tramadol]})
    plan = plan_taper(regimen, start=START, pace="va-slower", substitute=False)
    assert plan.pace.substitute is False
    assert plan_json(plan)["pace"]["substitute"] is False
    assert attrs.evolve(plan.pace, substitute=True) == preset("va-slower")

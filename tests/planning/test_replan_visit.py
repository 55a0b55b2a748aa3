"""Where a re-plan starts and what it refuses (found by mutation testing): the exact
messages of a re-plan after the stop and from a higher dose, a pace given by name or as a
:class:`Pace`, a visit inside a pause of every-other-day doses, and an explicit taper
order kept through a re-plan; a plan that is not a taper refused by pause and replan, a
re-plan's refusal with substitution allowed, and the original dose of an opioid a re-plan
adds to a plan without MME."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from taperplan import (
    PlanningError,
    RefusedError,
    Regimen,
    pause,
    plan_taper,
    preset,
    regimen_from_mapping,
    replan,
)
from taperplan.model.plan import StepKind
from taperplan.planning._visit import regimen_on
from taperplan.reference.paces import pace_from_mapping
from taperplan.switching import plan_buprenorphine_initiation, plan_rotation

START = dt.date(2027, 1, 4)
DAY = dt.timedelta(days=1)
MORPHINE_ER: dict[str, Any] = {
    "drug": "morphine",
    "form": "er_tablet",
    "strength": "15 mg",
    "dose": "30 mg",
    "times": ["08:00", "20:00"],
    "available": ["15 mg"],
}
MORPHINE_IR: dict[str, Any] = {
    "drug": "morphine",
    "form": "ir_tablet",
    "strength": "15 mg",
    "dose": "15 mg",
    "times": ["12:00"],
}
FENTANYL: dict[str, Any] = {
    "drug": "fentanyl",
    "form": "patch",
    "strength": "25 mcg/h",
    "dose": "25 mcg/h",
    "times": ["08:00"],
    "every_days": 3,
}
OXYCODONE_ER: dict[str, Any] = {
    "drug": "oxycodone",
    "form": "er_tablet",
    "strength": "10 mg",
    "dose": "20 mg",
    "times": ["08:00", "20:00"],
    "available": ["10 mg", "5 mg"],
}
REFUSED = "re-planning on 2027-02-08 from a higher dose is refused: "
WHY = (
    ". Tolerance falls within about a week at a lower dose; going back to a higher dose can "
    "cause a fatal overdose. Re-plan from the doses the plan has now, or, if the prescriber "
    "has decided otherwise, pass allow_higher_dose=True"
)


#: A buprenorphine patch, 20 mcg/h changed weekly (no MME factor).
BUPRENORPHINE_PATCH_20: dict[str, Any] = {
    "drug": "buprenorphine",
    "form": "patch",
    "strength": "20 mcg/h",
    "dose": "20 mcg/h",
    "times": ["08:00"],
    "every_days": 7,
}


def _plan(*medications: dict[str, Any], **options: Any) -> Any:
    regimen = regimen_from_mapping({"medication": list(medications)})
    return plan_taper(regimen, start=START, pace="cdc-long-term", **options)


def test_a_replan_after_the_stop_is_refused() -> None:
    plan = _plan(MORPHINE_ER)
    stop = plan.steps[-1]
    with pytest.raises(PlanningError) as raised:
        replan(plan, on=stop.start + DAY)
    assert str(raised.value) == (
        f"{(stop.start + DAY).isoformat()} is after the stop ({stop.start.isoformat()}); "
        "nothing to re-plan"
    )


@pytest.mark.parametrize(
    ("medications", "above"),
    [
        (
            [{**MORPHINE_ER, "dose": "45 mg"}],
            "morphine 90 mg a day, above the plan's 52.5 mg a day",
        ),
        # Two products of one drug: their daily amounts add up.
        ([MORPHINE_ER, MORPHINE_IR], "morphine 75 mg a day, above the plan's 52.5 mg a day"),
        # A patch is per hour, not a day; a drug the plan does not have is named as such.
        (
            [{**MORPHINE_ER, "dose": "45 mg"}, FENTANYL],
            "morphine 90 mg a day, above the plan's 52.5 mg a day; "
            "fentanyl 25 mcg/h, where the plan has none",
        ),
    ],
)
def test_a_replan_from_a_higher_dose_is_refused_naming_it(
    medications: list[dict[str, Any]], above: str
) -> None:
    plan = _plan(MORPHINE_ER)
    higher = regimen_from_mapping({"medication": medications})
    with pytest.raises(PlanningError) as raised:
        replan(plan, on=plan.steps[1].start, regimen=higher)
    assert str(raised.value) == REFUSED + above + WHY


def test_a_pace_by_name_replans_as_the_pace_itself() -> None:
    plan = _plan(MORPHINE_ER)
    on = plan.steps[2].start
    by_name = replan(plan, on=on, pace="va-slowest")
    assert by_name == replan(plan, on=on, pace=preset("va-slowest"))
    assert by_name.pace.name == "va-slowest"
    assert by_name.steps[-1].start > plan.steps[-1].start


def test_a_visit_inside_a_pause_of_every_other_day_doses_ends_it_at_a_whole_interval() -> None:
    """A visit during a pause of doses taken every other day resumes the taper: the pause
    ends at the visit rounded up to a whole interval (a day in or two: after two days;
    three or four: after four), and the postponed cut and those after follow from there."""
    every_other_day = {
        "drug": "oxycodone",
        "form": "er_tablet",
        "strength": "30 mg",
        "dose": "150 mg",
        "times": ["08:00"],
        "every_days": 2,
        "available": ["30 mg"],
    }
    plan = _plan(every_other_day)
    paused = pause(plan, on=plan.steps[1].start, days=10)
    hold = paused.steps[1]
    assert (hold.kind, hold.days) == (StepKind.PAUSE, 10)
    for day, kept in ((1, 2), (2, 2), (3, 4), (4, 4)):
        again = replan(paused, on=hold.start + day * DAY)
        assert [(s.id, s.kind, s.start, s.end) for s in again.steps[:2]] == [
            (s.id, s.kind, s.start, s.end) for s in paused.steps[:1]
        ] + [(hold.id, StepKind.PAUSE, hold.start, hold.start + (kept - 1) * DAY)]
        moved = (kept - hold.days) * DAY
        assert [(s.id, s.start, s.days) for s in again.steps[2:5]] == [
            (s.id, s.start + moved, s.days) for s in paused.steps[2:5]
        ]


def test_a_replan_keeps_an_explicit_taper_order() -> None:
    """Oxycodone first, as the plan was told, though long-acting-first would cut the larger
    morphine dose first."""
    plan = _plan(MORPHINE_ER, OXYCODONE_ER, order=["oxycodone", "morphine"])
    assert plan.order == "explicit: oxycodone, morphine"
    again = replan(plan, on=plan.steps[2].start)
    assert again.order == plan.order
    assert [s.cut_drug for s in again.steps[2:8]] == ["oxycodone"] * 5 + ["morphine"]
    default = _plan(MORPHINE_ER, OXYCODONE_ER)
    assert default.steps[0].cut_drug == "morphine"


def test_a_replan_at_a_new_pace_says_so_and_one_without_keeps_the_reason() -> None:
    plan = _plan(MORPHINE_ER)
    on = plan.steps[2].start
    assert replan(plan, on=on, pace="va-slowest").pace_reason == (
        f"pace va-slowest given at re-planning on {on.isoformat()}"
    )
    assert replan(plan, on=on).pace_reason == plan.pace_reason


def test_a_replan_on_the_last_day_of_a_pause_keeps_the_days_before_it() -> None:
    """Daily doses: the visit on a pause's last day ends the pause the day before; the
    postponed cut starts on the visit."""
    plan = _plan(MORPHINE_ER)
    paused = pause(plan, on=plan.steps[1].start, days=10)
    hold = paused.steps[1]
    again = replan(paused, on=hold.end)
    assert (again.steps[1].id, again.steps[1].start, again.steps[1].days) == (
        hold.id,
        hold.start,
        9,
    )
    assert (again.steps[2].id, again.steps[2].start) == (paused.steps[2].id, hold.end)


OXYCODONE_ER_20: dict[str, Any] = {
    "drug": "oxycodone",
    "form": "er_tablet",
    "strength": "20 mg",
    "dose": "20 mg",
    "times": ["08:00", "20:00"],
}


def test_a_replan_with_substitution_off_is_refused_where_it_starts() -> None:
    """Oxycodone ER at a 10% ceiling needs the IR tablet: re-planned with substitution off,
    the refusal says where (the doses of the visit), why, and the fix."""
    plan = plan_taper(
        regimen_from_mapping({"medication": [OXYCODONE_ER_20]}),
        start=START,
        pace="uk-opioids-aware",
    )
    with pytest.raises(PlanningError) as raised:
        replan(plan, on=plan.steps[2].start, substitute=False)
    assert str(raised.value) == (
        "no plan: after 0 steps, at oxycodone er_tablet 15 mg at 08:00, 20 mg at 20:00 "
        "(52.5 MME/day), no dispensable cut keeps the uk-opioids-aware pace's rules (a ceiling "
        "of 10% a cut; substitution of a finer product is off). Fix: allow the same drug's "
        "immediate-release tablet or oral solution to take over part of the dose (allow "
        "substitution: substitute = true in the regimen's [pace] table, --substitute on the "
        "command line, or substitute=True)."
    )
    assert raised.value.fix is not None


def test_a_product_added_at_a_replan_joins_the_regimen_and_the_substitutes_move_up() -> None:
    """The patient also takes morphine IR 15 mg at the visit: it joins the plan's regimen
    after oxycodone ER, and the plan's substitutes (oxycodone IR, then the solution) move
    up one place, in the steps kept as in the new ones; a substitute new to the plan comes
    last."""
    plan = plan_taper(
        regimen_from_mapping({"medication": [OXYCODONE_ER_20]}),
        start=START,
        pace="uk-opioids-aware",
    )
    assert [(s.index, s.product.name) for s in plan.substitutes] == [
        (1, "oxycodone ir_tablet"),
        (2, "oxycodone oral_solution"),
    ]
    visit = plan.steps[3]
    taken = regimen_on(plan, plan.steps[2].medications)
    morphine_ir = regimen_from_mapping({"medication": [MORPHINE_IR]}).medications[0]
    regimen = attrs.evolve(taken, medications=(*taken.medications, morphine_ir))
    again = replan(plan, on=visit.start, regimen=regimen, allow_higher_dose=True)
    assert [m.product.name for m in again.regimen.medications] == [
        "oxycodone er_tablet",
        "morphine ir_tablet",
    ]
    # A substitute the new schedule adds (the morphine solution) comes after the others.
    assert [(s.index, s.product.name, s.replaces) for s in again.substitutes] == [
        (2, "oxycodone ir_tablet", (0,)),
        (3, "oxycodone oral_solution", (0,)),
        (4, "morphine oral_solution", (1,)),
    ]
    (raised,) = [w.message for w in again.warnings if w.code == "dose-raised-at-replan"]
    assert raised.startswith(
        "RE-PLANNED FROM A HIGHER DOSE on 2027-02-15: morphine 15 mg a day, where the plan has none."
    )
    assert again.substitutes[0].first_step == 0
    products = [m.product for m in again.regimen.medications] + [
        s.product for s in again.substitutes
    ]
    for step in again.steps:
        for part in (*step.medications, *(step.replanned_from or ())):
            assert part.product == products[part.index], (step.id, part.index)
            if not part.doses:
                # Listed but stopped: nothing a day, no MME.
                assert part.daily_amount.amount == 0
                assert part.mme_per_day in {None, 0}
    for old, new in zip(plan.steps[:3], again.steps[:3], strict=True):
        assert [(m.product.name, m.daily_amount) for m in old.medications if m.doses] == [
            (m.product.name, m.daily_amount) for m in new.medications if m.doses
        ]
    first_new = again.steps[3]
    assert first_new.replanned_from is not None
    assert [(m.product.name, str(m.daily_amount)) for m in first_new.replanned_from if m.doses] == [
        ("oxycodone er_tablet", "30 mg"),
        ("morphine ir_tablet", "15 mg"),
        ("oxycodone ir_tablet", "2.5 mg"),
    ]


def test_a_regimen_product_the_patient_stopped_comes_back_as_itself() -> None:
    """The plan's regimen has oxycodone ER and IR; at the visit the patient takes only ER
    15 mg twice a day. The new schedule needs the IR tablet again to cut within the
    ceiling: it is the regimen's own IR (index 1), not a new substitute."""
    er = {**OXYCODONE_ER_20}
    ir = {"drug": "oxycodone", "form": "ir_tablet", "strength": "5 mg", "dose": "5 mg",
          "times": ["12:00"]}  # fmt: skip
    plan = plan_taper(
        regimen_from_mapping({"medication": [er, ir]}), start=START, pace="uk-opioids-aware"
    )
    taken = regimen_from_mapping({"medication": [{**er, "strength": "15 mg", "dose": "15 mg"}]})
    again = replan(plan, on=plan.steps[2].start, regimen=taken)
    assert [m.product.name for m in again.regimen.medications] == [
        "oxycodone er_tablet",
        "oxycodone ir_tablet",
    ]
    assert [(s.index, s.product.name) for s in again.substitutes] == [
        (2, "oxycodone oral_solution")
    ]
    new_ir = [
        m for s in again.steps[2:] for m in s.medications if m.product.name == "oxycodone ir_tablet"
    ]
    assert new_ir
    assert {m.index for m in new_ir} == {1}
    assert any(m.doses for m in new_ir)


def test_a_product_taken_as_two_entries_at_a_replan_keeps_both() -> None:
    """The patient takes oxycodone ER as two entries (15 mg in the morning, 20 mg at
    night): the first is the plan's own ER, the second joins the regimen as its own entry;
    both are dosed in the new steps."""
    ir = {"drug": "oxycodone", "form": "ir_tablet", "strength": "5 mg", "dose": "5 mg",
          "times": ["12:00"]}  # fmt: skip
    plan = plan_taper(
        regimen_from_mapping({"medication": [OXYCODONE_ER_20, ir]}),
        start=START,
        pace="uk-opioids-aware",
    )
    taken = regimen_from_mapping(
        {
            "medication": [
                {**OXYCODONE_ER_20, "strength": ["15 mg", "20 mg"], "dose": "15 mg",
                 "times": ["08:00"]},
                {**OXYCODONE_ER_20, "times": ["20:00"]},
            ]
        }
    )  # fmt: skip
    again = replan(plan, on=plan.steps[2].start, regimen=taken)
    assert [m.product.name for m in again.regimen.medications] == [
        "oxycodone er_tablet",
        "oxycodone ir_tablet",
        "oxycodone er_tablet",
    ]
    first_new = again.steps[2]
    er = [m for m in first_new.medications if m.product.name == "oxycodone er_tablet"]
    assert [m.index for m in er] == [0, 2]
    assert all(m.doses for m in er)


def test_a_visit_during_the_first_cut_holds_it_as_the_new_paces_first_cut_needs() -> None:
    """Morphine ER 30 mg twice a day at cdc-long-term: the first cut (12.5%) is held 35
    days. Re-planned 3 days in at va-rapid made weekly, whose first cut may be 20%
    (``first_percent``, then 10%), the first cut is held 7 days, not the 9 a later cut of
    12.5% would need (7 × 12.5 ÷ 10)."""
    plan = _plan(MORPHINE_ER)
    assert (plan.steps[0].days, plan.steps[0].cut_fraction) == (35, Decimal("0.125"))
    weekly = attrs.evolve(preset("va-rapid"), every_days=7)
    assert (weekly.first_percent, weekly.percent) == (20, 10)
    again = replan(plan, on=START + 3 * DAY, pace=weekly, supervised=True)
    assert (again.steps[0].start, again.steps[0].days) == (START, 7)
    assert again.steps[1].start == START + 7 * DAY


def test_a_visit_during_a_cut_of_a_drug_without_mme_holds_it_by_its_own_amount() -> None:
    """Buprenorphine patches (no MME factor), 20 mcg/h weekly: the first cut, 2.5 mcg/h,
    is measured in mcg/h. Re-planned on day 7 at 1 mcg/h a week, it needs 7 × 2.5 ÷ 1 =
    17.5 days, in whole weeks of patches: 21."""
    regimen = regimen_from_mapping({"medication": [BUPRENORPHINE_PATCH_20]})
    plan = plan_taper(regimen, start=START, pace="cdc-long-term")
    assert plan.steps[0].total_mme_per_day is None
    assert plan.steps[0].cut_fraction == Decimal("0.125")
    slower = pace_from_mapping(
        {"reduction": "1 mcg/h", "every_days": 7, "min_step_days": 7, "max_step_fraction": 1}
    )
    again = replan(plan, on=START + 7 * DAY, pace=slower)
    assert (again.steps[0].start, again.steps[0].days) == (START, 21)


def test_what_was_taken_keeps_its_substitute_through_a_later_replan_adding_a_product() -> None:
    """Oxycodone ER 20 mg twice a day at uk-opioids-aware. Re-planned on step 2's first
    day from lower doses (ER 30 mg and oxycodone IR 2.5 mg a day, the IR a substitute at
    place 1), step 2 records them. A later re-plan adds morphine IR to the regimen: the
    substitutes move up one place, and so does the IR in step 2's record."""
    plan = plan_taper(
        regimen_from_mapping({"medication": [OXYCODONE_ER_20]}),
        start=START,
        pace="uk-opioids-aware",
    )
    first = replan(
        plan, on=plan.steps[1].start, regimen=regimen_on(plan, plan.steps[2].medications)
    )

    def records(p: Any) -> list[tuple[int, list[tuple[int, str, str]]]]:
        return [
            (
                s.index,
                [
                    (m.index, m.product.name, str(m.daily_amount))
                    for m in s.replanned_from
                    if m.doses
                ],
            )
            for s in p.steps
            if s.replanned_from is not None
        ]

    assert records(first) == [
        (1, [(0, "oxycodone er_tablet", "30 mg"), (1, "oxycodone ir_tablet", "2.5 mg")])
    ]
    taken = regimen_on(first, first.steps[3].medications)
    morphine_ir = regimen_from_mapping({"medication": [MORPHINE_IR]}).medications[0]
    second = replan(
        first,
        on=first.steps[4].start,
        regimen=attrs.evolve(taken, medications=(*taken.medications, morphine_ir)),
        allow_higher_dose=True,
    )
    assert [(s.index, s.product.name) for s in second.substitutes][:2] == [
        (2, "oxycodone ir_tablet"),
        (3, "oxycodone oral_solution"),
    ]
    assert records(second)[0] == (
        1,
        [(0, "oxycodone er_tablet", "30 mg"), (2, "oxycodone ir_tablet", "2.5 mg")],
    )


def test_a_replan_at_a_supervised_pace_needs_supervision() -> None:
    plan = _plan(MORPHINE_ER)
    with pytest.raises(RefusedError) as refused:
        replan(plan, on=plan.steps[2].start, pace="va-rapid")
    assert str(refused.value) == (
        "the va-rapid pace is only for patients under close supervision; pass supervised=True "
        "(or set context.supervised = true) if that is the case, or choose another pace"
    )
    assert replan(plan, on=plan.steps[2].start, pace="va-rapid", supervised=True).steps


def test_a_replan_keeps_the_plans_factor_set() -> None:
    """Tramadol planned with cdc2016, which lists no tramadol factor: the re-planned steps
    have no MME either (not cdc2022's)."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "tramadol",
                    "form": "ir_tablet",
                    "strength": "50 mg",
                    "dose": "50 mg",
                    "times": ["08:00", "20:00"],
                }
            ]
        }
    )
    plan = plan_taper(regimen, start=START, factors="cdc2016")
    again = replan(plan, on=plan.steps[2].start + 3 * DAY)
    assert again.factor_set == "cdc2016"
    assert {s.total_mme_per_day for s in again.steps} == {None}


def test_a_visit_during_a_cut_converts_a_fixed_reduction_with_the_drugs_factor() -> None:
    """Oxycodone ER 20 mg twice a day (60 MME/day): the first cut, 10 mg a day (12.5%),
    is held 35 days. Re-planned 3 days in at 5 mg less each week: 5 mg of oxycodone is
    7.5 MME, 12.5% of the 60, so the cut needs one week (7 days), not the 11 a factor of 1
    would give."""
    regimen = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "oxycodone",
                    "form": "er_tablet",
                    "strength": "10 mg",
                    "dose": "20 mg",
                    "times": ["08:00", "20:00"],
                    "available": ["10 mg"],
                }
            ]
        }
    )
    plan = plan_taper(regimen, start=START, pace="cdc-long-term")
    assert (plan.steps[0].days, plan.steps[0].cut_fraction) == (35, Decimal("0.125"))
    weekly = pace_from_mapping(
        {"reduction": "5 mg", "every_days": 7, "min_step_days": 7, "max_step_fraction": 1}
    )
    again = replan(plan, on=START + 3 * DAY, pace=weekly)
    assert (again.steps[0].start, again.steps[0].days) == (START, 7)


def test_a_plan_that_is_not_a_taper_is_neither_paused_nor_replanned() -> None:
    """A buprenorphine initiation follows its protocol day by day (a day is repeated with
    ``hold_day``), and a rotation is planned again: pause and replan refuse both, saying
    what to do instead."""
    oxycodone = regimen_from_mapping(
        {"medication": [{**OXYCODONE_ER_20, "strength": "40 mg", "dose": "40 mg"}]}
    )
    initiation = plan_buprenorphine_initiation(oxycodone, "vancouver-7d", start=START)
    morphine = regimen_from_mapping(
        {
            "medication": [
                {
                    "drug": "morphine",
                    "form": "er_tablet",
                    "strength": "60 mg",
                    "dose": "60 mg",
                    "times": ["08:00", "20:00"],
                }
            ]
        }
    )
    rotation = plan_rotation(morphine, "fentanyl", start=START)
    hold = "repeat a day with taperplan.switching.hold_day (taperplan pause does so)"
    for plan, words in (
        (initiation, f"an initiation plan: {hold}"),
        (rotation, "a rotation plan: plan it again"),
    ):
        with pytest.raises(PlanningError) as paused:
            pause(plan, on=START, days=3)
        assert str(paused.value) == f"pause works on a taper, and this is {words}"
        with pytest.raises(PlanningError) as replanned:
            replan(plan, on=START)
        assert str(replanned.value) == f"replan works on a taper, and this is {words}"


def _patches(available: list[str] | None = None) -> Regimen:
    """Fentanyl 50 mcg/h, a patch every 3 days (120 MME/day)."""
    medication: dict[str, Any] = {
        "drug": "fentanyl",
        "form": "patch",
        "strength": "50 mcg/h",
        "dose": "50 mcg/h",
        "times": ["09:00"],
        "every_days": 3,
    }
    if available is not None:
        medication["available"] = available
    return regimen_from_mapping({"medication": [medication]})


def test_a_replan_refused_with_substitution_allowed_does_not_say_it_is_off() -> None:
    """Re-planned on its first day with only 50 mcg/h patches on hand: no patch cut keeps
    the ceiling. The pace allows substitution, so the refusal does not say it is off, and
    its fix is the one that works (every strength); with substitution off, it says so."""
    plan = plan_taper(_patches(), start=START, pace="cdc-long-term")
    assert plan.pace.substitute
    where = (
        "no plan: after 0 steps, at fentanyl patch 50 mcg/h at 09:00 every 3 days (120 "
        "MME/day), no dispensable cut keeps the cdc-long-term pace's rules (a ceiling of 20% "
        "a cut"
    )
    fix = "allow every strength the catalogue lists (remove available = [...])"
    for substitute, off in (
        (None, ""),
        (True, ""),
        (False, "; substitution of a finer product is off"),
    ):
        with pytest.raises(PlanningError) as raised:
            replan(plan, on=START, regimen=_patches(["50 mcg/h"]), substitute=substitute)
        assert str(raised.value) == f"{where}{off}). Fix: {fix}."
        assert raised.value.fix == fix
    # The fix works, as it says.
    assert replan(plan, on=START, regimen=_patches()).steps


def test_an_opioid_new_at_a_replan_of_a_plan_without_mme_is_cut_against_its_own_dose() -> None:
    """A buprenorphine patch (no MME factor under cdc2022) at cdc-short-term, 10% of the
    original dose a week while more than about 30% of it remains. At the first visit the
    patient also takes oxycodone ER 20 mg twice a day, which the plan never had: its
    original is its own 40 mg a day (60 MME/day), so each 5 mg cut is 12.5% of it, held
    14 days, down to 20 mg."""
    buprenorphine = BUPRENORPHINE_PATCH_20
    plan = plan_taper(
        regimen_from_mapping({"medication": [buprenorphine]}), start=START, pace="cdc-short-term"
    )
    assert plan.baseline_total_mme_per_day is None
    on = plan.steps[1].start
    new = regimen_from_mapping(
        {
            "medication": [
                {**buprenorphine, "strength": "15 mcg/h", "dose": "15 mcg/h"},
                {**OXYCODONE_ER_20, "strength": "10 mg"},
            ]
        }
    )
    again = replan(plan, on=on, regimen=new, allow_higher_dose=True)
    assert "dose-raised-at-replan" in {w.code for w in again.warnings}
    cuts = [
        (
            s.start,
            s.cut_drug,
            sum(p.daily_amount.amount for p in s.medications if p.drug == "oxycodone"),
            s.cut_fraction,
            s.days,
        )
        for s in again.steps[1:5]
    ]
    assert cuts == [
        (on + 14 * n * DAY, "oxycodone", Decimal(35 - 5 * n), Decimal("0.125"), 14)
        for n in range(4)
    ]

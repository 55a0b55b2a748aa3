"""Prescriptions (issue 12 item 1; interfaces.md §6): fills, quantities and directions.

The properties recount every fill day by day from the plan's steps and doses
(not through the code's day arithmetic): what a fill's days take is exactly
``taken``; ``quantity`` is whole, covers it and leaves at most one partly used
tablet, capsule or millilitre (or one partly used carton of patches); fills are
contiguous from the plan's start to its last dose and never longer than asked;
by step, no fill spans two steps; the directions name each step inside the fill.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_panel import panel, unsupervised_paces
from strategies import plan_or_none, planning_cases, prescription_options
from taperplan import (
    Fill,
    PrescriptionOptionError,
    TaperPlan,
    pause,
    plan_taper,
    prescriptions,
    regimen_from_mapping,
)
from taperplan.prescribing import dispensed
from taperplan.prescribing.directions import directions_text
from taperplan.reference.products import Form, catalogue

START = dt.date(2027, 1, 4)
_DAY = dt.timedelta(days=1)


def recount(plan: TaperPlan, start: dt.date, end: dt.date) -> Counter[tuple[int, Decimal]]:
    """Units of each (medication, strength) taken from ``start`` to ``end``, day by day."""
    taken: Counter[tuple[int, Decimal]] = Counter()
    day = start
    while day <= end:
        step = plan.step_on(day)
        for part in step.medications:
            for dose in part.doses:
                if dose.taken_on((day - step.start).days):
                    for unit in dose.units:
                        taken[part.index, unit.strength.amount] += unit.count
        day += _DAY
    return taken


def last_dose_day(plan: TaperPlan) -> dt.date | None:
    days = [s.end for s in plan.steps if any(m.doses for m in s.medications)]
    return days[-1] if days else None


def check_fills(plan: TaperPlan, fills: tuple[Fill, ...], **options: object) -> None:
    every = options.get("every_days", 28)
    per_step = options.get("per_step", True)
    dispense_every = options.get("dispense_every")
    assert isinstance(every, int)
    last = last_dose_day(plan)
    assert (last is None) == (not fills)
    if last is None:
        return
    # Contiguous from the start to the last dose, numbered from 1, none too long.
    assert fills[0].start == plan.start
    assert fills[-1].end == last
    assert [f.number for f in fills] == list(range(1, len(fills) + 1))
    for before, after in itertools.pairwise(fills):
        assert after.start == before.end + _DAY
    for fill in fills:
        assert 1 <= fill.days <= every
        steps = {plan.step_on(fill.start).index, plan.step_on(fill.end).index}
        if per_step:
            assert len(steps) == 1, f"fill {fill.number} spans steps {steps}"
        # Exactly what the days take, and at most one partly used unit or carton.
        expected = recount(plan, fill.start, fill.end)
        assert {(i.index, i.strength.amount): i.taken for i in fill.items} == +expected
        for item in fill.items:
            assert item.quantity == item.quantity.to_integral_value()
            size = item.product.pack_size or 1
            assert item.quantity % size == 0
            if item.instalments:
                # Each instalment whole units (at most one partly used); cartons rounded once,
                # for the whole fill (at most one partly used carton).
                assert dispense_every is not None
                assert sum(i.taken for i in item.instalments) == item.taken
                handed = sum(i.quantity for i in item.instalments)
                assert 0 <= item.quantity - handed < size
                for part in item.instalments:
                    assert part.days <= dispense_every
                    assert fill.start <= part.start <= part.end <= fill.end
                    assert part.quantity == part.quantity.to_integral_value()
                    assert 0 <= part.quantity - part.taken < 1
                    assert (
                        part.taken
                        == +recount(plan, part.start, part.end)[item.index, item.strength.amount]
                    )
            else:
                assert dispense_every is None
                assert 0 <= item.quantity - item.taken < size
            # The directions: one per step inside the fill that takes this strength.
            covered = [(d.start, d.end) for d in item.directions]
            assert covered == sorted(covered)
            for directions in item.directions:
                step = plan.step_on(directions.start)
                assert directions.step == step.index
                assert step.start <= directions.start <= directions.end <= step.end
                assert fill.start <= directions.start <= directions.end <= fill.end
                assert directions.text.startswith(("Take by mouth", "Apply to the skin"))
            using = {
                plan.step_on(day).index
                for day in _days(fill.start, fill.end)
                if recount(plan, day, day)[item.index, item.strength.amount]
            }
            assert {d.step for d in item.directions} == using


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


@pytest.mark.parametrize(("name", "regimen"), panel(), ids=[name for name, _ in panel()])
def test_the_clinic_panel_prescribes_exactly(name: str, regimen: object) -> None:
    """Every panel regimen at the default pace and one other unsupervised preset, with
    fills of 28 days by step and 14 days across steps with weekly instalments."""
    paces = unsupervised_paces()
    pace = paces[1 + sum(map(ord, name)) % (len(paces) - 1)]
    for chosen in (None, pace):
        plan = plan_taper(regimen, start=START, pace=chosen)  # type: ignore[arg-type]
        check_fills(plan, prescriptions(plan))
        options = {"every_days": 14, "per_step": False, "dispense_every": 7}
        check_fills(plan, prescriptions(plan, **options), **options)  # type: ignore[arg-type]


@given(planning_cases(), prescription_options(), st.integers(0, 60), st.integers(1, 30))
def test_random_plans_and_pauses_prescribe_exactly(
    case: object, options: dict[str, object], pause_after: int, pause_days: int
) -> None:
    """Random regimens, paces and options; half the plans paused somewhere."""
    plan = plan_or_none(case)  # type: ignore[arg-type]
    if plan is None:
        return
    check_fills(plan, prescriptions(plan, **options), **options)  # type: ignore[arg-type]
    on = plan.start + dt.timedelta(days=pause_after)
    if on < plan.steps[-1].start:
        paused = pause(plan, on=on, days=pause_days)
        check_fills(paused, prescriptions(paused, **options), **options)  # type: ignore[arg-type]


def _plan(medication: dict[str, object], pace: str | None = None) -> TaperPlan:
    regimen = regimen_from_mapping({"timezone": "America/New_York", "medication": [medication]})
    return plan_taper(regimen, start=START, pace=pace)


class TestQuantities:
    def test_halves_round_up_to_whole_tablets(self) -> None:
        """7 days of ½ tablet twice a day take 7 tablets; 7 days of ½ once a day 3½ → 4."""
        product = catalogue().product(catalogue().opioid("oxycodone"), Form.IR_TABLET)
        assert dispensed(product, Decimal("3.5")) == 4
        assert dispensed(product, Decimal(7)) == 7
        assert dispensed(product, Decimal(0)) == 0

    def test_patches_come_in_whole_cartons_of_the_label(self) -> None:
        """Fentanyl in cartons of 5, buprenorphine in cartons of 4 (cited in the data)."""
        fentanyl = catalogue().product(catalogue().opioid("fentanyl"), Form.PATCH)
        buprenorphine = catalogue().product(catalogue().opioid("buprenorphine"), Form.PATCH)
        assert (fentanyl.pack_size, fentanyl.pack_source) == (5, "DURAGESIC-PACK")
        assert (buprenorphine.pack_size, buprenorphine.pack_source) == (4, "BUTRANS-PACK")
        assert dispensed(fentanyl, Decimal(8)) == 10
        assert dispensed(fentanyl, Decimal(10)) == 10
        assert dispensed(buprenorphine, Decimal(1)) == 4
        sources = catalogue().source("DURAGESIC-PACK"), catalogue().source("BUTRANS-PACK")
        assert all("How Supplied" in s.citation for s in sources)

    def test_a_fentanyl_patch_fill(self) -> None:
        """50 mcg/h every 3 days: the first 24-day fill applies 8 patches, so 2 cartons."""
        plan = _plan({"drug": "fentanyl", "form": "patch", "strength": "50 mcg/h", "dose": "50 mcg/h", "every_days": 3,
                      "times": ["09:00"]})  # fmt: skip
        first = prescriptions(plan)[0]
        (item,) = first.items
        assert (first.start, first.days) == (START, 24)
        assert (item.strength_text, item.taken, item.quantity, item.packs) == (
            "37.5 mcg/h",
            8,
            10,
            2,
        )
        assert item.quantity_unit == "patch"
        assert item.directions[0].text == (
            "Apply to the skin: 1 patch at 09:00, every 3 days from 2027-01-04;"
            " take every old patch off first"
        )

    def test_an_oral_solution_in_whole_millilitres(self) -> None:
        plan = _plan({"drug": "morphine", "form": "oral_solution", "strength": "2 mg/mL",
                      "dose": "5 mg", "times": ["08:00", "14:00", "20:00"]})  # fmt: skip
        fill = prescriptions(plan, every_days=7)[0]
        (item,) = fill.items
        assert item.quantity_unit == "mL"
        assert item.quantity == item.taken.to_integral_value(rounding="ROUND_CEILING")
        assert "measured with an oral syringe" in item.directions[0].text
        assert " mL at " in item.directions[0].text


class TestDirections:
    def test_uneven_doses_name_each_time(self) -> None:
        plan = _plan({"drug": "oxycodone", "form": "ir_tablet", "doses": ["10 mg", "5 mg"],
                      "strength": "5 mg", "times": ["08:00", "20:00"]})  # fmt: skip
        (part,) = plan.baseline
        five = part.doses[0].units[0].strength
        assert directions_text(part, five, START, 0) == (
            "Take by mouth: 2 tablets at 08:00 and 1 tablet at 20:00, every day"
        )

    def test_a_dose_of_two_strengths_says_so_on_each(self) -> None:
        """The first cut: 8.75 mg at 08:00 (5 + ½ × 7.5) and 5 mg at 20:00; each strength's
        label tells the whole dose."""
        plan = _plan({"drug": "oxycodone", "form": "ir_tablet", "doses": ["10 mg", "5 mg"],
                      "strength": "5 mg", "times": ["08:00", "20:00"]})  # fmt: skip
        texts = {
            (i.strength_text, d.text)
            for f in prescriptions(plan)
            for i in f.items
            for d in i.directions
        }
        assert (
            "5 mg",
            "Take by mouth: 1 tablet with ½ × 7.5 mg tablet at 08:00 and 1 tablet at 20:00,"
            " every day",
        ) in texts
        assert ("7.5 mg", "Take by mouth: ½ tablet with 1 × 5 mg tablet at 08:00, every day") in (
            texts
        )

    def test_a_fill_across_steps_has_directions_per_step(self) -> None:
        plan = _plan({"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg", "dose": "20 mg",
                      "times": ["08:00", "20:00"]}, pace="cdc-short-term")  # fmt: skip
        fills = prescriptions(plan, every_days=28, per_step=False)
        spanning = [i for f in fills for i in f.items if len(i.directions) > 1]
        assert spanning, "a 28-day fill of a weekly taper spans steps"
        for item in spanning:
            steps = [d.step for d in item.directions]
            assert steps == sorted(set(steps))


class TestReviewed:
    """Defects found in review, each held by a test."""

    def test_instalments_of_patches_do_not_hand_out_a_carton_each(self) -> None:
        """Daily instalments of a patch every 3 days: the fill's 8 patches are 2 cartons,
        handed out a patch at a time, never a carton a day."""
        plan = _plan({"drug": "fentanyl", "form": "patch", "strength": "25 mcg/h",
                      "dose": "25 mcg/h", "every_days": 3, "times": ["09:00"]})  # fmt: skip
        first = prescriptions(plan, dispense_every=1)[0]
        (item,) = first.items
        assert item.taken == 8
        assert item.quantity == 10
        assert [i.quantity for i in item.instalments] == [1] * 8

    def test_a_combination_tablet_names_both_amounts(self) -> None:
        plan = _plan({"drug": "hydrocodone", "form": "ir_tablet", "strength": "10 mg",
                      "combination": "acetaminophen 325 mg", "dose": "10 mg",
                      "times": ["06:00", "12:00", "18:00", "23:00"]})  # fmt: skip
        labels = {i.strength_text for f in prescriptions(plan) for i in f.items}
        assert labels
        assert all(label.endswith("/325 mg") for label in labels)

    def test_prescriptions_since_a_visit(self) -> None:
        """From a visit on, the fills start that day, numbered from 1; none before it."""
        plan = _plan({"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg",
                      "dose": "20 mg", "times": ["08:00", "20:00"]})  # fmt: skip
        visit = START + dt.timedelta(days=40)
        fills = prescriptions(plan, since=visit)
        assert fills[0].start == visit
        assert fills[0].number == 1
        everything = prescriptions(plan)
        assert fills[-1].end == everything[-1].end
        assert prescriptions(plan, since=dt.date(2040, 1, 1)) == ()

    def test_a_huge_fill_length_is_one_fill_per_step_or_one_for_the_plan(self) -> None:
        plan = _plan({"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg",
                      "dose": "20 mg", "times": ["08:00", "20:00"]})  # fmt: skip
        across = prescriptions(plan, 10**7, per_step=False, dispense_every=10**7)
        assert len(across) == 1
        per_step = prescriptions(plan, 10**7)
        assert len(per_step) == sum(1 for s in plan.steps if any(m.doses for m in s.medications))

    def test_directions_name_only_the_doses_the_fill_covers(self) -> None:
        """A one-day fill of an every-other-day step names only that day's doses."""
        plan = plan_taper(
            regimen_from_mapping(
                {
                    "timezone": "America/New_York",
                    "medication": [
                        {
                            "drug": "tapentadol",
                            "form": "ir_tablet",
                            "strength": "50 mg",
                            "dose": "50 mg",
                            "times": ["07:00", "14:00", "21:00"],
                        }
                    ],
                }
            ),
            start=START,
        )
        for fill in prescriptions(plan, 1, per_step=False):
            for item in fill.items:
                for directions in item.directions:
                    times = re.findall(r"\d\d:\d\d", directions.text)
                    assert len(times) == len(set(times))
                    day = (directions.start - plan.step_on(directions.start).start).days
                    step = plan.step_on(directions.start)
                    due = {
                        f"{d.time:%H:%M}"
                        for m in step.medications
                        if m.index == item.index
                        for d in m.doses
                        if d.taken_on(day) and any(u.strength == item.strength for u in d.units)
                    }
                    assert set(times) == due, (directions.text, due)

    def test_two_patches_say_take_every_old_patch_off(self) -> None:
        plan = _plan({"drug": "buprenorphine", "form": "patch", "strength": ["10 mcg/h", "20 mcg/h"],
                      "dose": "30 mcg/h", "every_days": 7, "times": ["09:00"]})  # fmt: skip
        texts = [d.text for f in prescriptions(plan) for i in f.items for d in i.directions]
        assert texts
        assert all("take every old patch off first" in t for t in texts)


class TestOptions:
    @pytest.mark.parametrize(
        ("options", "words"),
        [
            ({"every_days": 0}, ["every_days must be a whole number of days from 1, not 0"]),
            ({"every_days": True}, ["every_days", "not True"]),
            ({"every_days": 28.0}, ["every_days", "not 28.0"]),
            ({"dispense_every": 0}, ["dispense_every must be a whole number", "not 0"]),
            ({"every_days": 7, "dispense_every": 14}, ["must not be longer than a fill"]),
            ({"every_days": "x", "dispense_every": "y"}, ["not 'x'", "not 'y'"]),
        ],
    )
    def test_bad_options_say_what_and_how(
        self, options: dict[str, object], words: list[str]
    ) -> None:
        plan = _plan(
            {
                "drug": "oxycodone",
                "form": "ir_tablet",
                "strength": "5 mg",
                "dose": "5 mg",
                "times": ["08:00"],
            }
        )
        with pytest.raises(PrescriptionOptionError) as raised:
            prescriptions(plan, **options)  # type: ignore[arg-type]
        for word in words:
            assert word in str(raised.value)

    def test_a_longer_step_splits_evenly(self) -> None:
        """A 35-day step at 28 days a fill is two fills of 18 and 17 days, not 28 and 7."""
        plan = _plan({"drug": "oxycodone", "form": "er_tablet", "strength": "20 mg", "dose": "20 mg",
                      "times": ["08:00", "20:00"]})  # fmt: skip
        for step in plan.steps:
            fills = [f for f in prescriptions(plan) if step.start <= f.start <= step.end]
            if fills:
                lengths = [f.days for f in fills]
                assert max(lengths) - min(lengths) <= 1
                assert sum(lengths) == step.days

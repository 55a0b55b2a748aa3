"""Rotation to another opioid as a dated plan.

:func:`plan_rotation` converts the regimen to the new opioid with named tables
(the oral equianalgesic table, and for methadone or a fentanyl patch their own),
cuts the result for incomplete cross-tolerance, and lays the switch out day by
day: staged (the old opioid down and the new one up by the same share each week,
VA Academic Detailing) or direct (the old stopped the day the new starts). Both
drugs are in every step while they overlap, as in a taper plan, so every export
shows both. MME factors are never used to convert (CDC 2022).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import attrs

from taperplan.clinical.adjuncts import suggest_adjuncts
from taperplan.clinical.mme import resolve_factor_set
from taperplan.clinical.safety import oud_refusal_reason
from taperplan.errors import InitiationOptionError, PlanningError, Problem
from taperplan.model.plan import (
    MedicationDose,
    PlanKind,
    Substitute,
    TaperPlan,
    total_mme,
)
from taperplan.model.regimen import Regimen
from taperplan.planning import baseline_doses, plan_id, plan_start
from taperplan.reference.equianalgesic import (
    days_after,
    default_oral_table,
    oral_table,
    staged,
    three_day,
    tolerance_check_day,
)
from taperplan.reference.notices import notice
from taperplan.reference.paces import Basis, Pace
from taperplan.reference.products import FactorSet, Form, catalogue
from taperplan.switching._days import DayDoses, date_spans, merge_days
from taperplan.switching._doses import scaled, stopped
from taperplan.switching._rotation_notes import cut_shadow, large_steps, rotation_warnings
from taperplan.switching._target import (
    NewOpioid,
    calculated,
    choose_cut,
    conversion_record,
    cut_rule,
    morphine_equivalent,
    new_part,
    patch_refusal,
    resolve_target,
    target_product,
)
from taperplan.units import format_decimal

Method = Literal["staged", "direct", "three-day"]


def _problems(regimen: Regimen, new: NewOpioid, method: str, weeks: int) -> list[Problem]:
    problems = []
    for index, medication in enumerate(regimen.medications):
        reason = oud_refusal_reason(medication)
        if reason is not None:
            problems.append(Problem(f"medication[{index}]", reason, "plan with an OUD specialist"))
        if medication.drug == new.product.drug.name:
            problems.append(
                Problem(
                    "to",
                    f"the regimen already takes {medication.drug}: a rotation moves to another "
                    "opioid (another form of the same drug is a change a taper can make)",
                    "choose another opioid",
                )
            )
    refused = patch_refusal(regimen, new)
    if refused is not None:
        problems.append(refused)
    if method not in {"staged", "direct", "three-day"}:
        problems.append(
            Problem("method", f"{method!r} is not a method", "staged, direct or three-day")
        )
    if method == "three-day" and new.product.drug.name != "methadone":
        problems.append(
            Problem("method", "the three-day switch is for methadone", "staged or direct")
        )
    allowed = staged().weeks_allowed()
    if method == "staged" and weeks not in allowed:
        problems.append(
            Problem(
                "weeks",
                f"{weeks} weeks is not {format_decimal(staged().low_percent)}–"
                f"{format_decimal(staged().high_percent)}% a week ({staged().source})",
                f"{allowed.start} to {allowed.stop - 1} weeks",
            )
        )
    return problems


def _days(
    regimen: Regimen,
    baseline: tuple[MedicationDose, ...],
    new: NewOpioid,
    target: MedicationDose,
    factor_set: FactorSet,
    *,
    method: Method,
    weeks: int,
) -> list[DayDoses]:
    """Each day's doses: a staged switch moves a share of both drugs each week."""
    index = target.index
    days: list[DayDoses] = []
    if method == "three-day":
        stages, length, _ = three_day()
    else:
        stages = weeks if method == "staged" else 1
        length = staged().step_days if method == "staged" else 1
    # A week of a patch is whole patch changes (a 3-day patch: 9 days), so a step never
    # ends between changes.
    period = max((d.every_days for d in target.doses), default=1)
    length = -(-length // period) * period
    full = target.daily_amount.amount
    for stage in range(1, stages + 1):
        share = full * stage / stages
        part = target if stage == stages else new_part(index, new, share, factor_set)
        if part is None:
            # Not even the smallest unit of the new opioid yet: the stage is left out, so
            # the switch is shorter and its first step moves more (warned as a large step).
            continue
        # The old opioid falls by the share the new one has taken over (rounded down).
        left = 1 - part.daily_amount.amount / full
        old = tuple(
            scaled(p, regimen.medications[p.index], left, factor_set, nearest=True)
            if left
            else stopped(p)
            for p in baseline
        )
        days += [DayDoses(old, (part,))] * length
    return days + [days[-1]] * (-(-days_after() // period) * period)


def plan_rotation(
    regimen: Regimen,
    to: str,
    *,
    start: dt.date,
    method: Method = "staged",
    weeks: int | None = None,
    table: str | None = None,
    methadone_table: str = "msd-modified",
    patch_table: str = "label-rotation",
    cut: Decimal | int | None = None,
    age: int | None = None,
    frail: bool = False,
    factors: str | FactorSet | None = None,
) -> TaperPlan:
    """Plan a rotation from ``regimen`` to the opioid ``to``, starting on ``start``.

    Args:
        regimen: the current regimen.
        to: the new opioid: ``oxycodone``, ``morphine:er_tablet``, ``methadone``,
            ``fentanyl`` (the patch). An oral opioid is an immediate-release tablet
            unless a form is given.
        start: the first day of the switch; taperplan never reads the clock.
        method: ``staged`` (the default: a share of each drug a week, VA Academic
            Detailing) or ``direct`` (the old stopped when the new starts).
        weeks: a staged switch's length, 4 to 10 (10–30% a week); default 4.
        table: the oral equianalgesic table (``msd``, the default, or ``alberta-2020``).
        methadone_table: for methadone: ``msd-modified``, ``ccdhb``, ``aps-2014``, ``fudin``.
        patch_table: for a fentanyl patch: ``label-rotation``, ``label-stable``,
            ``canada-2010``, ``two-to-one``.
        cut: the cross-tolerance cut in percent, within the source's range; by
            default its high end for a high dose, age 65 or more or frailty, else its
            low end (the patch tables carry their own: none).
        age, frail: what the default cut reads.
        factors: the MME factor set of the plan's MME figures (never the conversion).

    Returns:
        A :class:`TaperPlan` of kind ``rotation`` with its ``conversion``.

    Raises:
        InitiationOptionError: every problem with the request at once (a drug the
            tables cannot convert from, never to a patch from codeine or tramadol, a
            cut outside the range, a staged length outside 10–30% a week).
        CatalogueError: an unknown drug, form or table.
        NotApplicableError: a dose outside the chosen methadone or patch table.
        PlanningError: a start outside the dates taperplan plans for, or a new dose
            below the product's smallest unit.
    """
    start = plan_start(start)
    new = target_product(to)
    weeks = staged().default_weeks if weeks is None else weeks
    problems = _problems(regimen, new, method, weeks)
    oral = oral_table(default_oral_table() if table is None else table)
    morphine, unconverted = morphine_equivalent(regimen, oral)
    problems += unconverted
    same = any(m.drug == new.product.drug.name for m in regimen.medications)
    percent = None if cut is None else Decimal(cut)
    rule = cut_rule(new, methadone=methadone_table, patch=patch_table)
    choice, wrong_cut = choose_cut(
        rule, morphine, same_drug=same, age=age, frail=frail, percent=percent
    )
    if wrong_cut is not None:
        problems.append(wrong_cut)
    if problems:
        raise InitiationOptionError("rotation", problems)
    found = calculated(new, morphine, oral, methadone=methadone_table, patch=patch_table, age=age)
    daily = found[0] * (1 - choice.percent / 100)
    cut_edge = None
    if percent is None:
        cut_edge = cut_shadow(
            new,
            morphine=morphine,
            daily=daily,
            oral=oral,
            rule=rule,
            methadone_table=methadone_table,
            patch_table=patch_table,
            age=age,
        )
    factor_set = resolve_factor_set(factors)
    index = len(regimen.medications)
    resolved = resolve_target(index, new, daily, factor_set)
    if resolved is None:
        msg = (
            f"the new daily dose, {format_decimal(daily.quantize(Decimal('0.01')))} "
            f"{new.product.form.dose_unit.value}, is below the smallest dose of "
            f"{new.product.name}: plan a taper instead"
        )
        raise PlanningError(msg)
    new, target = resolved
    baseline = baseline_doses(regimen, factor_set)
    days = _days(regimen, baseline, new, target, factor_set, method=method, weeks=weeks)
    record = conversion_record(
        morphine=morphine, found=found, table=oral, cut=choice, target=target
    )
    pace = Pace(
        name=f"rotation-{method}",
        description=_describe(method, weeks),
        basis=Basis.ORIGINAL,
        every_days=staged().step_days if method == "staged" else 1,
        max_step_fraction=Decimal(1),
        source={"staged": staged().source, "three-day": three_day()[2]}.get(method, "Fine2009"),
        min_step_days=1,
        substitute=False,
    )
    order = f"rotation: to {new.product.name}, {method}"
    identifier = plan_id(regimen, start, pace, f"{order}; {record.reason}", factor_set.name)
    steps = date_spans(merge_days(days), start, baseline, plan_id=identifier)
    check = start + dt.timedelta(days=tolerance_check_day()[0] - 1)
    first = steps[0]
    if first.end >= check:
        checks = tuple(sorted({*first.check_ins, check}))
        steps = (attrs.evolve(first, check_ins=checks, check_in=checks[-1]), *steps[1:])
    plan = TaperPlan(
        id=identifier,
        revision=0,
        regimen=regimen,
        pace=pace,
        pace_reason=f"a {method} switch",
        order=order,
        factor_set=factor_set.name,
        start=start,
        baseline=baseline,
        baseline_total_mme_per_day=total_mme(baseline),
        steps=tuple(steps),
        warnings=rotation_warnings(
            regimen,
            baseline,
            target,
            factor_set,
            low_confidence=record.low_confidence or oral.low_confidence,
            table=record.table,
            edge=record.near_edge,
            morphine=morphine,
            cut_edge=cut_edge,
        ),
        adjuncts=suggest_adjuncts(regimen.context, total_mme=total_mme(baseline)),
        substitutes=(
            Substitute(
                index=index,
                product=new.product,
                strengths=new.product.strengths,
                resolution=catalogue().solution_resolution
                if new.product.form is Form.ORAL_SOLUTION
                else None,
                replaces=(),
                first_step=0,
            ),
        ),
        kind=PlanKind.ROTATION,
        conversion=record,
    )
    if method == "staged":
        extra = tuple(large_steps(plan))
        plan = attrs.evolve(plan, warnings=(*plan.warnings, *extra))
    if method == "three-day":
        note = attrs.evolve(notice("rotation-three-day"), source=three_day()[2])
        plan = attrs.evolve(plan, warnings=(*plan.warnings, note))
    return plan


def _describe(method: str, weeks: int) -> str:
    if method == "staged":
        return f"{100 // weeks}% of each drug a week over {weeks} weeks"
    if method == "three-day":
        return "methadone in thirds every three days, the old opioid down by the same"
    return "the old opioid stopped the day the new one starts"

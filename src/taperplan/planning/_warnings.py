"""The warnings a plan carries: MME and pace, what its steps do, and safety.

Besides the regimen's own (MME thresholds, safety, clock changes, reading
notices), a plan warns about its pace (a ceiling above the preset's, a
supervised pace, steps shorter than their withdrawal window) and about what
its steps do: a finer product added (rule 4, with what to prescribe), cuts
above the ceiling because no smaller unit exists (rule 2), the last smallest
patch stopped (rule 5), and methadone's slower handling.
"""

from __future__ import annotations

from decimal import Decimal

from taperplan.clinical.mme import mme_notices, regimen_mme
from taperplan.clinical.safety import dst_time_warnings, regimen_safety_warnings
from taperplan.model.plan import MedicationDose, NoteKind, Step, StepKind, TaperPlan
from taperplan.reference.notices import Notice, notice
from taperplan.reference.products import FactorSet, Form, catalogue
from taperplan.reference.wording import product_words
from taperplan.units import format_decimal


def plan_warnings(plan: TaperPlan, factor_set: FactorSet) -> tuple[Notice, ...]:
    """Every warning of ``plan``: MME, pace, substitutes, large cuts, safety."""
    regimen, pace, steps = plan.regimen, plan.pace, plan.steps
    total = plan.baseline_total_mme_per_day
    if any(m.as_needed for m in regimen.medications):
        # As-needed doses count at their maximum in the regimen's MME (its warnings too).
        total = regimen_mme(regimen, factor_set).total_mme_per_day
    reads = tuple((p.drug, p.form, p.mme_per_day is None) for p in plan.baseline)
    result: list[Notice] = list(mme_notices(reads, total, factor_set))
    if pace.cap_lifted:
        result.append(
            notice(
                "cap-above-preset",
                cap=format_decimal(pace.max_step_fraction * 100),
                preset_cap=format_decimal((pace.preset_cap or Decimal(0)) * 100),
                pace=pace.name,
            )
        )
    if pace.supervised_only:
        result.append(notice("supervised-pace", pace=pace.name))
    since = regimen.context.on_opioids_since
    if since is not None and plan.start < since:
        result.append(
            notice("start-before-opioids", start=plan.start.isoformat(), since=since.isoformat())
        )
    if any(
        s.kind is StepKind.CUT and any("shorter than the expected" in n for n in s.notes)
        for s in steps
    ):
        result.append(notice("steps-shorter-than-window"))
    result.extend(_step_warnings(plan))
    result.extend(_as_needed(plan))
    result.extend(regimen_safety_warnings(regimen, total_mme=total))
    result.extend(dst_time_warnings(regimen, start=steps[0].start, end=steps[-1].end))
    result.extend(regimen.notices)
    return tuple(dict.fromkeys(result))


def _step_warnings(plan: TaperPlan) -> list[Notice]:
    """Warnings about what the steps do: substitutes, cuts above the ceiling, the
    last patch, methadone's slower handling."""
    result = []
    for substitute in plan.substitutes:
        step = plan.steps[substitute.first_step]
        result.append(
            notice(
                "substitution",
                product=product_words(substitute.product, "clinical"),
                step=step.index + 1,
                date=step.start.isoformat(),
                strengths=", ".join(substitute.product.label(s) for s in substitute.strengths),
                measure=""
                if substitute.resolution is None
                else f", measured with an oral syringe to {substitute.resolution}",
            )
        )
    coarse = sorted(
        {
            s.cut_drug
            for s in plan.steps
            if s.cut_drug and any("a cut of one smallest" in n for n in s.notes_of(NoteKind.HELD))
        }
    )
    if coarse:
        result.append(
            notice(
                "above-ceiling-unit",
                drugs=", ".join(coarse),
                ceiling=format_decimal(plan.pace.max_step_fraction * 100),
            )
        )
    for position, step in enumerate(plan.steps[1:], start=1):
        before = plan.steps[position - 1]
        for part in before.medications:
            after = next((m for m in step.medications if m.index == part.index), None)
            if (
                part.form is Form.PATCH
                and _one_smallest_patch(part)
                and after is not None
                and not after.doses
                and not _worn_beside(part, before)
            ):
                result.append(
                    notice(
                        "smallest-patch-stop",
                        label=part.doses[0].units[0].strength_text,
                        drug=part.drug,
                        days=before.days,
                    )
                )
    if any(m.drug == "methadone" for m in plan.regimen.medications):
        result.append(
            notice(
                "methadone-slower",
                percent=format_decimal(plan.pace.percent or Decimal(0)),
                every=plan.pace.every_days,
            )
        )
    result.extend(_acetaminophen(plan))
    return result


def _worn_beside(part: MedicationDose, step: Step) -> bool:
    """Whether another entry of ``part``'s drug has doses in ``step``: then ``part``'s
    patch is not the drug's last, and removing it is an ordinary cut."""
    return any(m.doses for m in step.medications if m.drug == part.drug and m.index != part.index)


def _one_smallest_patch(part: MedicationDose) -> bool:
    """Whether ``part`` is one patch of its product's smallest strength."""
    if len(part.doses) != 1:
        return False
    units = part.doses[0].units
    return len(units) == 1 and units[0].count == 1 and units[0].strength == part.smallest_unit


def _acetaminophen(plan: TaperPlan) -> list[Notice]:
    """A warning when the combination tablets of any step give more acetaminophen a day
    than the maximum (lower strengths of a combination tablet carry the same acetaminophen
    each, so a cut can need more tablets and more acetaminophen)."""
    limit = catalogue().acetaminophen_max_daily.amount
    over: list[tuple[int, Decimal]] = []
    for step in plan.steps:
        total = Decimal(0)
        for part in step.medications:
            combination = plan.combination_of(part)
            if combination is None:
                continue
            for dose in part.doses:
                pieces = sum((u.count for u in dose.units), Decimal(0))
                total += pieces * combination.amount.amount / dose.every_days
        if total > limit:
            over.append((step.number, total))
    if not over:
        return []
    highest = max(amount for _, amount in over)
    return [
        notice(
            "acetaminophen-over-4g-in-steps",
            steps=", ".join(str(number) for number, _ in over),
            amount=format_decimal(highest.quantize(Decimal(1))),
        )
    ]


def _as_needed(plan: TaperPlan) -> list[Notice]:
    """How each as-needed medication is planned: as scheduled doses (the guidelines'
    advice), or its drug tapered first (the clinician's choice)."""
    result = []
    for index, medication in enumerate(plan.regimen.medications):
        if medication.as_needed is None:
            continue
        times = ", ".join(f"{a.time:%H:%M}" for a in medication.administrations)
        code = "as-needed-scheduled"
        if medication.as_needed.plan == "stop-first":
            code = "as-needed-first"
        result.append(
            notice(
                code,
                index=index,
                product=product_words(medication.product, "table"),
                most=medication.as_needed.max_doses_per_day,
                maximum=str(medication.mme_daily_amount),
                times=times,
                drug=medication.drug,
            )
        )
    return result

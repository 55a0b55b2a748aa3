"""A rotation's warnings: the conversion and its cliffs, the rescue dose, the
tolerance check, methadone's cautions, and steps that move more than a week's share."""

from __future__ import annotations

from decimal import Decimal

import attrs

from taperplan.clinical.mme import mme_notices
from taperplan.clinical.safety import regimen_safety_warnings
from taperplan.errors import NotApplicableError
from taperplan.model.plan import MedicationDose, TaperPlan, total_mme
from taperplan.model.regimen import Regimen
from taperplan.reference.equianalgesic import OralTable, rescue_range, staged, tolerance_check_day
from taperplan.reference.notices import Notice, notice
from taperplan.reference.products import FactorSet, Form
from taperplan.reference.rotation import high_dose_threshold, methadone_caution_threshold
from taperplan.switching._target import NewOpioid, calculated, choose_cut
from taperplan.units import format_decimal


def _old_total(parts: tuple[MedicationDose, ...], own: int) -> Decimal:
    """The old opioids' total: MME/day, or their daily amounts where MME does not apply."""
    old = tuple(p for p in parts if p.index < own)
    mme = total_mme(old)
    return mme if mme is not None else sum((p.daily_amount.amount for p in old), Decimal(0))


def large_steps(plan: TaperPlan) -> list[Notice]:
    """A warning where the old opioid falls by more of its starting dose in one step than a
    staged switch moves in a week (the new opioid's units are too coarse to move less)."""
    rule = staged()
    own = len(plan.regimen.medications)
    start = _old_total(plan.baseline, own)
    before = start
    found = []
    for step in plan.steps:
        now = _old_total(step.medications, own)
        moved = (before - now) * 100 / start if start else Decimal(0)
        before = now
        if moved > rule.high_percent and step.cut_drug is not None:
            words = notice(
                "rotation-large-step",
                percent=format_decimal(moved.quantize(Decimal(1))),
                drug=step.cut_drug,
                day=step.start.isoformat(),
                high=format_decimal(rule.high_percent),
            )
            found.append(attrs.evolve(words, source=rule.source))
    return found


def cut_shadow(
    new: NewOpioid,
    *,
    morphine: Decimal,
    daily: Decimal,
    oral: OralTable,
    rule: tuple[str, str],
    methadone_table: str,
    patch_table: str,
    age: int | None,
) -> Decimal | None:
    """The cut rule's high-dose threshold (90 MME/day) when a dose just below it would
    get more of the new opioid than ``daily``: the cut's own cliff."""
    threshold = high_dose_threshold()
    if not threshold <= morphine <= threshold * 2:
        return None
    below = threshold - Decimal("0.01")
    lower, _ = choose_cut(rule, below, same_drug=False, age=age, frail=False, percent=None)
    try:
        amount = calculated(
            new, below, oral, methadone=methadone_table, patch=patch_table, age=age
        )[0]
    except NotApplicableError:
        return None
    return threshold if amount * (1 - lower.percent / 100) > daily else None


def _rescue_amounts(target: MedicationDose, low: Decimal, high: Decimal) -> str:
    """The rescue dose in words: mg a day of an oral target; for a patch, the prescriber
    chooses the immediate-release opioid and converts."""
    if target.product.form is Form.PATCH:
        return "an immediate-release opioid the prescriber chooses and converts"
    if target.product.drug.name == "methadone":
        # Methadone accumulates: the rescue is a short-acting opioid, not more methadone.
        return "a short-acting opioid the prescriber chooses and converts, not methadone"
    daily = target.daily_amount.amount
    low_mg = format_decimal((daily * low / 100).quantize(Decimal("0.01")).normalize())
    high_mg = format_decimal((daily * high / 100).quantize(Decimal("0.01")).normalize())
    return f"{low_mg}–{high_mg} mg a day of immediate-release {target.product.drug.name}"


def rotation_warnings(
    regimen: Regimen,
    baseline: tuple[MedicationDose, ...],
    target: MedicationDose,
    factor_set: FactorSet,
    *,
    low_confidence: bool,
    table: str,
    edge: str | None,
    morphine: Decimal,
    cut_edge: Decimal | None,
) -> tuple[Notice, ...]:
    low, high, source = rescue_range()
    day, check_source = tolerance_check_day()
    found = [
        notice("rotation-conversion", table=table, drug=target.product.drug.name),
        attrs.evolve(
            notice(
                "rotation-rescue",
                low=format_decimal(low),
                high=format_decimal(high),
                amounts=_rescue_amounts(target, low, high),
            ),
            source=source,
        ),
        attrs.evolve(notice("rotation-tolerance-check", day=day), source=check_source),
    ]
    if low_confidence:
        found.append(notice("rotation-low-confidence", table=table))
    if edge is not None:
        found.append(notice("rotation-band-edge", table=table, edge=edge))
    if cut_edge is not None:
        found.append(notice("rotation-cut-edge", threshold=format_decimal(cut_edge)))
    if target.product.drug.name == "methadone":
        found.append(notice("rotation-methadone"))
        if morphine >= methadone_caution_threshold():
            found.append(notice("rotation-methadone-high-dose"))
    total = total_mme(baseline)
    reads = tuple((p.drug, p.form, p.mme_per_day is None) for p in baseline)
    found.extend(mme_notices(reads, total, factor_set))
    found.extend(regimen_safety_warnings(regimen, total_mme=total))
    found.extend(regimen.notices)
    return tuple(dict.fromkeys(found))

"""Morphine milligram equivalents (MME) of medications and regimens.

MME/day = daily dose x factor (per mcg/h of the patch worn for transdermal
fentanyl), with the factor set's cautions carried as notices. MME compares
overdose risk; it is never a way to compute another opioid's dose (CDC2022).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

import attrs

from taperplan.clinical.safety import regimen_safety_warnings
from taperplan.errors import NotApplicableError
from taperplan.model.regimen import Medication, Regimen
from taperplan.reference.notices import Notice, notice
from taperplan.reference.products import FactorSet, Form, catalogue
from taperplan.units import Quantity, format_decimal, normalised

#: MME/day thresholds that add a warning (CDC2022; CDC2016 / VADoD2017).
_THRESHOLDS = ((Decimal(50), "mme-over-50"), (Decimal(90), "mme-over-90"))


@attrs.frozen
class MedicationMME:
    """One medication's daily amount and MME/day (None where no factor applies)."""

    medication: Medication
    daily_amount: Quantity
    factor: Decimal | None
    mme_per_day: Decimal | None


@attrs.frozen
class MMEReport:
    """The MME of a regimen under one factor set, with its warnings."""

    factor_set: str
    medications: tuple[MedicationMME, ...]
    total_mme_per_day: Decimal | None
    warnings: tuple[Notice, ...]


def resolve_factor_set(factors: str | FactorSet | None) -> FactorSet:
    """A factor set from its name (default ``cdc2022``)."""
    if isinstance(factors, FactorSet):
        return factors
    return catalogue().default_factor_set if factors is None else catalogue().factor_set(factors)


def medication_mme(
    medication: Medication,
    factors: str | FactorSet | None = None,
    daily_amount: Quantity | None = None,
) -> MedicationMME:
    """The MME/day of ``medication`` (at ``daily_amount`` if given; an as-needed medication
    counts at its maximum).

    Raises:
        NotApplicableError: when the factor set cannot convert this dose.
    """
    factor_set = resolve_factor_set(factors)
    amount = medication.mme_daily_amount if daily_amount is None else daily_amount
    factor = factor_set.factor_for(medication.product, amount)
    mme = None if factor is None else normalised(amount.amount * factor)
    return MedicationMME(medication=medication, daily_amount=amount, factor=factor, mme_per_day=mme)


def mme_warnings(
    total: Decimal | None, parts: Iterable[MedicationMME], factor_set: FactorSet
) -> tuple[Notice, ...]:
    """The warnings that go with an MME figure (CDC2022 cautions, thresholds)."""
    reads = tuple((p.medication.drug, p.medication.form, p.mme_per_day is None) for p in parts)
    return mme_notices(reads, total, factor_set)


_Reads = tuple[tuple[str, Form, bool], ...]

#: The notices that depend on the medications, by (factor set identity, reads);
#: each entry holds its factor set so the id stays its own.
_PART_NOTICES: dict[
    tuple[int, _Reads], tuple[FactorSet, tuple[Notice, ...], tuple[Notice, ...]]
] = {}


def mme_notices(reads: _Reads, total: Decimal | None, factor_set: FactorSet) -> tuple[Notice, ...]:
    """:func:`mme_warnings` from what it reads of each medication: its drug, its
    form and whether no factor applies (cached: plans share products and totals)."""
    key = (id(factor_set), reads)
    known = _PART_NOTICES.get(key)
    if known is None or known[0] is not factor_set:
        head = [notice("mme-estimate")]
        for drug, _, not_applicable in reads:
            if not_applicable:
                reason = factor_set.exclusion(drug) or "no factor applies"
                head.append(notice("mme-not-applicable", drug=drug, reason=reason))
        tail = []
        if "methadone" in {drug for drug, _, _ in reads}:
            tail.append(notice("methadone-caution"))
        if any(drug == "fentanyl" and form is Form.PATCH for drug, form, _ in reads):
            tail.append(notice("fentanyl-transdermal-caution"))
        if len(_PART_NOTICES) >= 1024:
            _PART_NOTICES.clear()
        known = _PART_NOTICES[key] = (factor_set, tuple(head), tuple(tail))
    _, head_notices, tail_notices = known
    return tuple(dict.fromkeys((*head_notices, *_threshold_notices(total), *tail_notices)))


@lru_cache(maxsize=1024)
def _threshold_notices(total: Decimal | None) -> tuple[Notice, ...]:
    """The warnings for a total at or over each threshold (equal totals read the same)."""
    result = []
    if total is not None:
        for threshold, code in _THRESHOLDS:
            if total >= threshold:
                result.append(notice(code, mme=format_decimal(total)))
    return tuple(result)


#: Safety warnings about a taper, not the regimen: a plan carries them, an MME report not.
_TAPER_ONLY = frozenset(
    {"tolerance-loss", "methadone-taper", "fentanyl-patch-taper", "dst-dose-time"}
)


def regimen_mme(regimen: Regimen, factors: str | FactorSet | None = None) -> MMEReport:
    """The MME of every medication and the total, with warnings.

    The total is None when any medication has no factor (buprenorphine): a
    partial sum would understate the regimen.

    Raises:
        CatalogueError: for an unknown factor set.
        NotApplicableError: when the set cannot convert a dose (methadone
            above the last cdc2016 band).
    """
    factor_set = resolve_factor_set(factors)
    parts: list[MedicationMME] = []
    for index, medication in enumerate(regimen.medications):
        try:
            parts.append(medication_mme(medication, factor_set))
        except NotApplicableError as error:
            # Name the medication so a caller (and the CLI) can point at the field.
            raise NotApplicableError(f"medication[{index}]: {error}") from None
    values = [p.mme_per_day for p in parts]
    total = (
        None
        if any(v is None for v in values)
        else normalised(sum((v for v in values if v is not None), Decimal(0)))
    )
    # The safety warnings of the patient's context (benzodiazepines, naloxone, …),
    # not those about tapering itself, which belong to a plan.
    safety = (
        n for n in regimen_safety_warnings(regimen, total_mme=total) if n.code not in _TAPER_ONLY
    )
    warnings = (*mme_warnings(total, parts, factor_set), *safety, *regimen.notices)
    return MMEReport(
        factor_set=factor_set.name,
        medications=tuple(parts),
        total_mme_per_day=total,
        warnings=tuple(dict.fromkeys(warnings)),
    )

"""A rotation's new opioid: which product, its dose from a named table, the
cross-tolerance cut, and the dose in real units.

:func:`convert` turns the regimen's daily oral morphine equivalent (from a named
oral table, never MME) into the new drug's daily dose by the table the caller
chose, cuts it for incomplete cross-tolerance, and rounds each dose down to what
the product can dispense. The refusals of the sources are here too.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from taperplan.errors import (
    CatalogueError,
    InitiationOptionError,
    NotApplicableError,
    PlanningError,
    Problem,
)
from taperplan.model.plan import ConversionRef, Dose, MedicationDose
from taperplan.model.regimen import Regimen
from taperplan.planning import product_unit_set
from taperplan.reference.dispense import UnitSet
from taperplan.reference.equianalgesic import OralTable, dose_times, doses_per_day
from taperplan.reference.products import FactorSet, Form, Product, catalogue
from taperplan.reference.rotation import (
    CutChoice,
    CutRange,
    Target,
    cross_tolerance,
    never_to_patch_from,
    table,
    to_methadone,
    to_patch,
)
from taperplan.switching._doses import largest_dispensable
from taperplan.units import Quantity, Unit, format_decimal, normalised

_HUNDRED = Decimal(100)
#: Drugs a rotation never converts from by a ratio, and why.
_NOT_FROM = {
    "methadone": "a methadone dose is not converted back by a ratio: the ratio is not the "
    "same both ways (LAWLOR-1998)",
    "buprenorphine": "buprenorphine is a partial agonist: plan a taper, or ask a specialist",
}


@attrs.frozen
class NewOpioid:
    """The product a rotation moves to, its dose times and how often."""

    product: Product
    times: int
    every_days: int

    @property
    def kind(self) -> Target:
        """Which cross-tolerance rule applies."""
        if self.product.form is Form.PATCH:
            return "patch"
        return "methadone" if self.product.drug.name == "methadone" else "general"


def target_product(text: str) -> NewOpioid:
    """``oxycodone``, ``oxycodone:er_tablet``, ``methadone`` or ``fentanyl``: the new
    opioid's product. By default an oral target is an immediate-release tablet
    (ALBERTA-2020: immediate-release until a new stable dose is found) and fentanyl
    is the patch.

    Raises:
        CatalogueError: an unknown drug, or a form the catalogue has no product of.
    """
    drug_text, _, form_text = text.partition(":")
    drug = catalogue().opioid(drug_text)
    if drug.name == "buprenorphine":
        raise InitiationOptionError(
            "rotation",
            [
                Problem(
                    "to",
                    "a move to buprenorphine is an initiation, not a rotation",
                    "plan_buprenorphine_initiation (taperplan initiate)",
                )
            ],
        )
    products = catalogue().products_for(drug)
    if form_text:
        wanted = Form(form_text.strip()) if form_text.strip() in {f.value for f in Form} else None
    elif drug.name == "fentanyl":
        wanted = Form.PATCH
    else:
        wanted = Form.IR_TABLET
    found = [p for p in products if p.form is wanted and p.combination is None]
    if not found:
        forms = sorted({p.form.value for p in products if p.combination is None})
        raise CatalogueError(
            f"{drug.name} form", form_text or (wanted.value if wanted else ""), forms
        )
    product = found[0]
    if product.form is Form.PATCH:
        return NewOpioid(product, 1, product.change_days or 1)
    if product.form.extended_release:
        hours = product.interval_hours or 12
        return NewOpioid(product, max(1, 24 // hours), 1)
    return NewOpioid(product, doses_per_day(methadone=drug.name == "methadone"), 1)


def morphine_equivalent(regimen: Regimen, table: OralTable) -> tuple[Decimal, list[Problem]]:
    """The regimen's daily oral morphine by ``table``, and the medications it cannot
    convert (each a problem with its fix)."""
    total = Decimal(0)
    problems = []
    for index, medication in enumerate(regimen.medications):
        drug = medication.drug
        where = f"medication[{index}]"
        if drug in _NOT_FROM:
            problems.append(Problem(where, _NOT_FROM[drug], "plan a taper instead"))
            continue
        if medication.form is Form.PATCH:
            problems.append(
                Problem(
                    where,
                    "no table here converts away from a patch, and fentanyl levels fall "
                    "gradually after it is removed",
                    "plan a taper of the patch, or switch with a specialist",
                )
            )
            continue
        try:
            # The doses taken as scheduled: an as-needed maximum is not what is taken.
            amount = medication.daily_amount.to(Unit.MG).amount
            total += table.to_morphine(drug, amount)
        except NotApplicableError as error:
            problems.append(Problem(where, str(error), f"choose another --table than {table.name}"))
    return total, problems


def patch_refusal(regimen: Regimen, new: NewOpioid) -> Problem | None:
    """Never to a patch from codeine or tramadol (BC Cancer)."""
    if new.product.form is not Form.PATCH:
        return None
    drugs, source = never_to_patch_from()
    found = [m.drug for m in regimen.medications if m.drug in drugs]
    if not found:
        return None
    return Problem(
        "to",
        f"never convert to a fentanyl patch from {', '.join(sorted(set(found)))} ({source})",
        "choose an oral opioid",
    )


def calculated(
    new: NewOpioid,
    morphine: Decimal,
    table: OralTable,
    *,
    methadone: str,
    patch: str,
    age: int | None,
) -> tuple[Decimal, str, str, bool, str | None]:
    """The new drug's daily dose before the cut: (amount, table, source, low confidence,
    the band edge it is near)."""
    if new.kind == "methadone":
        found = to_methadone(morphine, methadone, age=age)
        return found.amount, found.table, found.source, found.low_confidence, found.near_edge
    if new.kind == "patch":
        found = to_patch(morphine, patch)
        rate = found.amount
        if found.band != "a rule of thumb":
            # A banded table's 37 mcg/h is a 25 and a 12 mcg/h patch, which deliver 37.5.
            written = Quantity(found.amount, Unit.MCG_PER_H)
            rate = new.product.delivered(written, new.product.strengths).amount
        return rate, found.table, found.source, found.low_confidence, found.near_edge
    amount = table.from_morphine(new.product.drug.name, morphine)
    return amount, table.name, table.source, table.low_confidence, None


def cut_rule(new: NewOpioid, *, methadone: str, patch: str) -> tuple[str, str]:
    """Which cut follows the conversion: the methadone or patch table's own rule
    (``methadone``, ``general`` or ``none``), else ``general``; and its table's source."""
    if new.kind == "methadone":
        chosen = table(methadone, "methadone")
        return chosen.cut, chosen.source
    if new.kind == "patch":
        chosen = table(patch, "patch")
        return chosen.cut, chosen.source
    return "general", ""


def choose_cut(
    rule_name: tuple[str, str],
    morphine: Decimal,
    *,
    same_drug: bool,
    age: int | None,
    frail: bool,
    percent: Decimal | None,
) -> tuple[CutChoice, Problem | None]:
    """The cut: the caller's percent if within the source's range, else the rule's. A
    table that carries its own cut (``none``) cuts nothing more."""
    name, source = rule_name
    if name == "none":
        rule = CutChoice(
            CutRange(Decimal(0), Decimal(0), source, "the table's own doses carry the cut"),
            Decimal(0),
            ("the table's own doses carry the cut",),
        )
    else:
        kind: Target = "methadone" if name == "methadone" else "general"
        rule = cross_tolerance(
            kind, morphine_mg_per_day=morphine, age=age, frail=frail, same_drug=same_drug
        )
    if percent is None:
        return rule, None
    low, high = rule.range.low, rule.range.high
    if not low <= percent <= high:
        return rule, Problem(
            "cut",
            f"{format_decimal(percent)}% is outside the source's range for this switch "
            f"({format_decimal(low)}–{format_decimal(high)}%, {rule.range.source})",
            f"a percent from {format_decimal(low)} to {format_decimal(high)}",
        )
    return attrs.evolve(rule, percent=percent, reasons=("chosen by the clinician",)), None


def unit_set(new: NewOpioid) -> UnitSet:
    """The units the new opioid's doses are made of (every catalogue strength, as a
    taper's added product)."""
    return product_unit_set(new.product)


def new_part(
    index: int, new: NewOpioid, daily: Decimal, factor_set: FactorSet
) -> MedicationDose | None:
    """The new opioid at about ``daily`` (mg/day, or mcg/h for a patch), each dose rounded
    down to what the product dispenses; None when not even its smallest unit fits."""
    units = unit_set(new)
    unit = new.product.form.dose_unit
    per_dose = Quantity(daily / new.times, unit)
    amount = largest_dispensable(units, per_dose)
    if amount is None:
        return None
    made = units.make(amount)
    if made is None:  # pragma: no cover - largest_dispensable checked it
        raise PlanningError(f"{amount} cannot be made")
    clock = dose_times()[new.times]
    total = Quantity(amount.amount * new.times, unit)
    factor = factor_set.factor_for(new.product, total)
    return MedicationDose(
        index=index,
        product=new.product,
        doses=tuple(Dose(time, amount, new.every_days, made) for time in clock),
        daily_amount=total,
        mme_per_day=None if factor is None else normalised(total.amount * factor),
        smallest_unit=units.smallest_unit,
    )


def resolve_target(
    index: int, new: NewOpioid, daily: Decimal, factor_set: FactorSet
) -> tuple[NewOpioid, MedicationDose] | None:
    """The new opioid's doses at about ``daily``, never above it: the product's own
    number of doses a day or fewer, or the same drug's finer product (an oral
    solution), as a taper's finer products do (§4a rule 4), whichever comes closest
    (the product first, then more doses a day, on a tie); None when nothing
    dispenses it."""
    finer = [
        p
        for p in catalogue().products_for(new.product.drug)
        if p.finer_than(new.product) and p.combination is None
    ]
    best: tuple[NewOpioid, MedicationDose] | None = None
    for product in (new.product, *sorted(finer, key=lambda p: p.form.fineness)):
        times = (
            new.times
            if product == new.product
            else doses_per_day(methadone=product.drug.name == "methadone")
        )
        fewest = times if product.form.extended_release or product.form is Form.PATCH else 1
        for count in range(times, fewest - 1, -1):
            option = attrs.evolve(new, product=product, times=count)
            part = new_part(index, option, daily, factor_set)
            if part is not None and (
                best is None or part.daily_amount.amount > best[1].daily_amount.amount
            ):
                best = option, part
    return best


def _plain(value: Decimal) -> Decimal:
    """``value`` to the hundredth, without an exponent (120, not 1.2E+2)."""
    rounded = value.quantize(Decimal("0.01"))
    whole = rounded.to_integral_value()
    return whole if rounded == whole else rounded.normalize()


def conversion_record(
    *,
    morphine: Decimal,
    found: tuple[Decimal, str, str, bool, str | None],
    table: OralTable,
    cut: CutChoice,
    target: MedicationDose,
) -> ConversionRef:
    """The plan's record of the conversion (interfaces.md §8)."""
    amount, name, source, low, edge = found
    unit = "mcg/h" if target.product.form is Form.PATCH else "mg/day"
    return ConversionRef(
        table=name,
        source=source,
        low_confidence=low,
        oral_table=table.name,
        morphine_mg_per_day=_plain(morphine),
        calculated_daily_amount=_plain(amount),
        cross_tolerance_reduction=(cut.percent / _HUNDRED).normalize(),
        reason=f"{format_decimal(cut.percent)}% ({cut.range.source}, range "
        f"{format_decimal(cut.range.low)}–{format_decimal(cut.range.high)}%): "
        + "; ".join(cut.reasons),
        target_daily_amount=target.daily_amount.amount,
        unit=unit,
        near_edge=edge,
    )

"""Reading one ``[[medication]]`` table of a regimen file: its product, strengths,
doses and options, into a :class:`~taperplan.Medication`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from taperplan._reading import type_name, unknown_key_fix
from taperplan.errors import CatalogueError, QuantityError
from taperplan.formats._amounts import AmountReader
from taperplan.formats._as_needed import read_as_needed
from taperplan.model.regimen import Administration, AsNeeded, Medication
from taperplan.reference.notices import notice
from taperplan.reference.products import Combination, Form, Product, catalogue
from taperplan.reference.wording import product_words
from taperplan.units import Quantity, Unit

MED_KEYS = (
    "drug",
    "form",
    "strength",
    "dose",
    "doses",
    "times",
    "every_days",
    "combination",
    "available",
    "split",
    "resolution",
    "indication",
    "as_needed",
    "max_doses_per_day",
    "as_needed_plan",
)


#: The longest list each key of a medication may hold (a plan's work grows with them;
#: real products have at most 8 strengths, and a day at most a dose an hour or two).
MAX_ITEMS = {"strength": 12, "available": 20, "times": 12, "doses": 12}


class MedicationReader(AmountReader):
    """Reads ``[[medication]]`` tables (see :class:`AmountReader` for the amounts)."""

    def medication(self, index: int, entry: object) -> Medication | None:
        path = f"medication[{index}]"
        if not isinstance(entry, Mapping):
            self.add(path, f"must be a table, not {type_name(entry)}", "use a [[medication]] table")
            return None
        count_before = len(self.problems)
        for key in entry:
            if key not in MED_KEYS:
                self.add(f"{path}.{key}", "unknown key", unknown_key_fix(str(key), MED_KEYS))
        too_long = [
            (key, len(value), most)
            for key, most in MAX_ITEMS.items()
            if isinstance(value := entry.get(key), list) and len(value) > most
        ]
        for key, count, most in too_long:
            self.add(
                f"{path}.{key}", f"lists {count} items, more than {most}", f"list at most {most}"
            )
        if too_long:
            return None
        product = self.product(path, entry, index)
        form = product.form if product else self.form(path, entry.get("form"))
        strengths = self.strengths(path, entry.get("strength"), form, product, index)
        times = self.times(path, entry.get("times"), form)
        every_days = self.every_days(path, entry.get("every_days"), product, index)
        amounts = self.doses(path, entry, times, form, strengths)
        available = self.available(path, entry.get("available"), form, product, index)
        resolution = self.resolution(path, entry.get("resolution"), form)
        split = entry.get("split")
        if split is not None and not isinstance(split, bool):
            self.add(
                f"{path}.split", f"must be true or false, not {type_name(split)}", "split = false"
            )
            split = None
        indication = entry.get("indication", "pain")
        if indication not in ("pain", "oud"):
            self.add(
                f"{path}.indication",
                f"{indication!r} is not an indication",
                '"pain" or "oud" (opioid use disorder)',
            )
        as_needed = self.as_needed(path, entry, times)
        if product is None or len(self.problems) > count_before or form is None:
            return None
        if split is not None:
            if split and not form.can_split:
                self.add(
                    f"{path}.split",
                    f"{form.value} units are never split",
                    "remove split or set split = false",
                )
                return None
            if split != product.splittable:
                self.notices.append(
                    notice(
                        "split-override",
                        index=index,
                        split=str(split).lower(),
                        product=product.name,
                    )
                )
            product = product.with_split(split)
        assert strengths is not None  # noqa: S101 - no problems means it was read
        assert amounts is not None  # noqa: S101
        assert times is not None  # noqa: S101
        # Labelled strengths count as what they deliver (the 12 mcg/h fentanyl patch
        # delivers 12.5): strengths, available strengths and doses alike.
        if product.labels:
            strengths = tuple(sorted({product.from_label(s) for s in strengths}, key=_amount))
            if available is not None:
                available = tuple(sorted({product.from_label(s) for s in available}, key=_amount))
            amounts = [product.delivered(a, strengths) for a in amounts]
        medication = Medication(
            product=product,
            strengths=strengths,
            administrations=tuple(
                Administration(t, a) for t, a in zip(times, amounts, strict=True)
            ),
            every_days=every_days,
            available=available,
            combination=self.combination_of(path, entry, product),
            resolution=resolution,
            indication=indication,
            as_needed=as_needed,
        )
        stated = medication.stated_unit_set
        for position, administration in enumerate(medication.administrations):
            if not stated.can_make(administration.amount):
                where = f"{path}.doses[{position}]" if "doses" in entry else f"{path}.dose"
                self.add(
                    where,
                    f"{administration.amount} cannot be made from {', '.join(map(str, strengths))} "
                    f"{product.name} units{self.split_rule(product)}",
                    _unmakeable_fix(product.form),
                )
                return None
        limit = catalogue().max_units_per_administration
        if medication.pieces_at_once > limit:
            self.notices.append(
                notice(
                    "many-units-per-dose",
                    index=index,
                    pieces=medication.pieces_at_once,
                    product=product_words(medication.product, "table"),
                    strengths=" + ".join(product.label(s) for s in strengths),
                    limit=limit,
                )
            )
        return medication

    def as_needed(
        self, path: str, entry: Mapping[str, Any], times: Sequence[object] | None
    ) -> AsNeeded | None:
        """``as_needed = true`` with ``max_doses_per_day`` (and ``as_needed_plan``)."""
        return read_as_needed(self.add, path, entry, times)

    @staticmethod
    def split_rule(product: Product) -> str:
        if product.form is Form.ORAL_SOLUTION:
            return " at the syringe resolution"
        if product.form.extended_release or product.form is Form.PATCH:
            return f" ({product.form.value} is never split)"
        return " (halves allowed)" if product.splittable else " (not split)"

    def form(self, path: str, value: object) -> Form | None:
        if value is None:
            self.add(f"{path}.form", "missing", "one of " + ", ".join(f.value for f in Form))
            return None
        try:
            return Form(value)
        except ValueError:
            names = [f.value for f in Form]
            self.add(f"{path}.form", f"{value!r} is not a form", unknown_key_fix(str(value), names))
            return None

    def product(self, path: str, entry: Mapping[str, Any], index: int) -> Product | None:
        drug_name = entry.get("drug")
        if drug_name is None:
            self.add(f"{path}.drug", "missing", 'the generic name, e.g. drug = "oxycodone"')
            return None
        if not isinstance(drug_name, str):
            self.add(
                f"{path}.drug",
                f"must be text, not {type_name(drug_name)}",
                'e.g. drug = "oxycodone"',
            )
            return None
        try:
            drug = catalogue().opioid(drug_name)
        except CatalogueError as error:
            fix = (
                f"did you mean {' or '.join(map(repr, error.suggestions))}?"
                if error.suggestions
                else ("one of " + ", ".join(o.name for o in catalogue().opioids))
            )
            self.add(f"{path}.drug", f"unknown drug {drug_name!r}", fix)
            return None
        form = self.form(path, entry.get("form"))
        if form is None:
            return None
        combination = entry.get("combination")
        if combination is not None and not isinstance(combination, str):
            self.add(
                f"{path}.combination",
                f"must be text, not {type_name(combination)}",
                '"acetaminophen 325 mg"',
            )
            return None
        if combination is None and drug_name.strip().lower() in drug.combination_aliases:
            combined = [
                p for p in catalogue().products_for(drug) if p.form is form and p.combination
            ]
            if len(combined) == 1:
                # "Percocet" is oxycodone with acetaminophen: never the plain tablet.
                self.notices.append(
                    notice(
                        "acetaminophen-from-name",
                        index=index,
                        name=drug_name.strip(),
                        drug=drug.name,
                        combination=str(combined[0].combination),
                    )
                )
                return combined[0]
        try:
            if combination is not None:
                Combination.parse(combination)
            return catalogue().product(drug, form, combination)
        except QuantityError as error:
            self.add(f"{path}.combination", str(error), 'e.g. combination = "acetaminophen 325 mg"')
            return None
        except CatalogueError as error:
            if error.kind == "combination ingredient":
                self.add(
                    f"{path}.combination", str(error), "taperplan tracks acetaminophen combinations"
                )
                return None
            families = [p for p in catalogue().products_for(drug) if p.form is form]
            if combination is None and len(families) == 1 and families[0].combination is not None:
                product = families[0]
                self.notices.append(
                    notice(
                        "acetaminophen-assumed",
                        index=index,
                        drug=drug.name,
                        form=form.value,
                        combination=str(product.combination),
                    )
                )
                return product
            known = ", ".join(error.suggestions) or "none"
            self.add(
                f"{path}.form",
                f"taperplan has no {error.name} product",
                f"forms known for {drug.name}: {known}",
            )
            return None

    def combination_of(
        self, path: str, entry: Mapping[str, Any], product: Product
    ) -> Combination | None:
        text = entry.get("combination")
        if text is None:
            return product.combination
        try:
            return Combination.parse(text)
        except (CatalogueError, QuantityError) as error:  # pragma: no cover - checked in product()
            self.add(f"{path}.combination", str(error), '"acetaminophen 325 mg"')
            return None

    def strengths(
        self, path: str, value: object, form: Form | None, product: Product | None, index: int
    ) -> tuple[Quantity, ...] | None:
        if form is None:
            return None
        if value is None:
            self.add(
                f"{path}.strength", "missing", f'the strength per unit, e.g. "{_example(form)}"'
            )
            return None
        items = value if isinstance(value, list) else [value]
        if not items:
            self.add(f"{path}.strength", "is empty", f'e.g. "{_example(form)}"')
            return None
        result = []
        for position, item in enumerate(items):
            where = f"{path}.strength" + (f"[{position}]" if isinstance(value, list) else "")
            quantity = self.quantity(where, item, [form.strength_unit], _example(form))
            if quantity is not None:
                result.append(quantity)
                self.check_listed(quantity, product, index)
        if len(result) != len(items):
            return None
        return tuple(sorted(set(result), key=lambda q: q.amount))

    def check_listed(self, strength: Quantity, product: Product | None, index: int) -> None:
        if product is not None and product.from_label(strength) not in product.strengths:
            known = ", ".join(map(product.label, product.strengths))
            self.notices.append(
                notice(
                    "strength-not-in-catalogue",
                    index=index,
                    strength=str(strength),
                    product=product.name,
                    known=known,
                )
            )

    def available(
        self, path: str, value: object, form: Form | None, product: Product | None, index: int
    ) -> tuple[Quantity, ...] | None:
        if value is None or form is None:
            return None
        if not isinstance(value, list) or not value:
            self.add(
                f"{path}.available",
                "must be a non-empty list of strengths",
                f'e.g. ["{_example(form)}"]',
            )
            return None
        result = []
        for position, item in enumerate(value):
            quantity = self.quantity(
                f"{path}.available[{position}]", item, [form.strength_unit], _example(form)
            )
            if quantity is not None:
                result.append(quantity)
                self.check_listed(quantity, product, index)
        return (
            tuple(sorted(set(result), key=lambda q: q.amount))
            if len(result) == len(value)
            else None
        )

    def resolution(self, path: str, value: object, form: Form | None) -> Quantity | None:
        if value is None:
            return None
        if form is not Form.ORAL_SOLUTION:
            self.add(f"{path}.resolution", "applies only to oral_solution", "remove it")
            return None
        return self.quantity(f"{path}.resolution", value, [Unit.ML], "0.1 mL")


def _amount(quantity: Quantity) -> Decimal:
    return quantity.amount


def _unmakeable_fix(form: Form) -> str:
    if form is Form.PATCH:
        return 'state every patch strength worn (strength = ["50 mcg/h", "25 mcg/h"]) or correct the dose'
    if form is Form.ORAL_SOLUTION:
        return 'give a dose that measures to the syringe resolution, or set resolution = "0.1 mL"'
    return (
        'state the strength(s) the patient has (strength = ["30 mg", "15 mg"]) or correct the dose'
    )


def _example(form: Form) -> str:
    return {Unit.MG: "20 mg", Unit.MG_PER_ML: "5 mg/mL", Unit.MCG_PER_H: "25 mcg/h"}[
        form.strength_unit
    ]

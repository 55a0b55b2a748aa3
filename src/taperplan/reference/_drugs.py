"""The catalogue's drugs and products: forms, opioids, combinations, products.

Frozen values, made once per process by the catalogue's loader
(:func:`taperplan.reference.products.catalogue`) and importable from
:mod:`taperplan.reference.products`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import Decimal

import attrs

from taperplan.errors import CatalogueError
from taperplan.units import Quantity, Unit


class Form(enum.Enum):
    """The dosage forms taperplan plans with."""

    IR_TABLET = "ir_tablet"
    ER_TABLET = "er_tablet"
    IR_CAPSULE = "ir_capsule"
    ER_CAPSULE = "er_capsule"
    ORAL_SOLUTION = "oral_solution"
    PATCH = "patch"
    SL_TABLET = "sl_tablet"
    """A sublingual tablet or film (buprenorphine/naloxone): planned only by a
    buprenorphine initiation, never tapered with the pain paces."""

    @property
    def extended_release(self) -> bool:
        """Extended-release forms (never split, cut or crushed)."""
        return self in {Form.ER_TABLET, Form.ER_CAPSULE}

    @property
    def fineness(self) -> int:
        """How finely this form can be dosed: extended-release forms and patches 0,
        immediate-release tablets and capsules 1, oral solutions 2."""
        if self is Form.ORAL_SOLUTION:
            return 2
        if self in {Form.IR_TABLET, Form.IR_CAPSULE, Form.SL_TABLET}:
            return 1
        return 0

    @property
    def can_split(self) -> bool:
        """Whether any product of this form may ever be halved (scored IR tablets)."""
        return self is Form.IR_TABLET

    @property
    def strength_unit(self) -> Unit:
        """The unit a strength of this form is stated in."""
        if self is Form.ORAL_SOLUTION:
            return Unit.MG_PER_ML
        if self is Form.PATCH:
            return Unit.MCG_PER_H
        return Unit.MG

    @property
    def dose_unit(self) -> Unit:
        """The unit of an amount given at one time (mg, or mcg/h for a patch)."""
        return Unit.MCG_PER_H if self is Form.PATCH else Unit.MG

    @property
    def unit_noun(self) -> str:
        """What one unit of this form is called, for people."""
        return {
            Form.IR_TABLET: "tablet",
            Form.ER_TABLET: "tablet",
            Form.IR_CAPSULE: "capsule",
            Form.ER_CAPSULE: "capsule",
            Form.ORAL_SOLUTION: "mL",
            Form.PATCH: "patch",
            Form.SL_TABLET: "tablet",
        }[self]


class Agonist(enum.Enum):
    """Receptor activity class."""

    FULL = "full"
    PARTIAL = "partial"


class WithdrawalProfile(enum.Enum):
    """How withdrawal after a cut unfolds for a product (clinical reference §4)."""

    SHORT_ACTING = "short-acting"
    LONG_ACTING = "long-acting"
    METHADONE = "methadone"
    TRANSDERMAL = "transdermal"
    BUPRENORPHINE = "buprenorphine"


@attrs.frozen(cache_hash=True)
class Opioid:
    """An opioid ingredient."""

    name: str
    aliases: tuple[str, ...]
    agonist: Agonist
    rxnorm: str
    source: str
    combination_aliases: tuple[str, ...] = ()
    """Aliases that mean a combination tablet (``percocet``: oxycodone with acetaminophen)."""


@attrs.frozen
class Combination:
    """A second ingredient per unit of a combination tablet (``acetaminophen 325 mg``)."""

    ingredient: str
    amount: Quantity

    @classmethod
    def parse(cls, text: str) -> Combination:
        """Read ``"acetaminophen 325 mg"``.

        Raises:
            CatalogueError: for an ingredient other than acetaminophen.
            QuantityError: for a bad amount.
        """
        name, _, amount = text.strip().partition(" ")
        name = name.lower()
        if name in {"paracetamol", "apap"}:
            name = "acetaminophen"
        if name != "acetaminophen":
            raise CatalogueError("combination ingredient", name, ("acetaminophen",))
        return cls(name, Quantity.parse(amount))

    def __str__(self) -> str:
        return f"{self.ingredient} {self.amount}"


def _quantities(values: Iterable[Quantity]) -> tuple[Quantity, ...]:
    return tuple(values)


def _labels(values: Iterable[tuple[Quantity, str]]) -> tuple[tuple[Quantity, str], ...]:
    return tuple((strength, text) for strength, text in values)


@attrs.frozen(cache_hash=True)
class Product:
    """A dispensable product family: one drug in one form (and combination).

    ``strengths`` are sorted ascending. ``splittable`` says whether a unit may
    be halved; it is always false for extended-release forms, capsules and
    patches, whatever the data or the caller says.
    """

    drug: Opioid
    form: Form
    strengths: tuple[Quantity, ...] = attrs.field(converter=_quantities)
    splittable: bool
    profile: WithdrawalProfile
    source: str
    interval_hours: int | None = None
    combination: Combination | None = None
    caution: str | None = None
    split_note: str | None = None
    variant: str | None = None
    labels: tuple[tuple[Quantity, str], ...] = attrs.field(default=(), converter=_labels)
    pack_size: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.gt(0))
    )
    pack_source: str | None = None

    @property
    def name(self) -> str:
        """``oxycodone er_tablet``, ``hydrocodone/acetaminophen ir_tablet`` or, where
        one drug and form come in two variants, ``codeine/acetaminophen ir_tablet
        (co-codamol)``."""
        drug = self.drug.name
        if self.combination is not None:
            drug = f"{drug}/{self.combination.ingredient}"
        suffix = f" ({self.variant})" if self.variant else ""
        return f"{drug} {self.form.value}{suffix}"

    def label(self, strength: Quantity) -> str:
        """The strength as printed on the product: the fentanyl patch that delivers
        12.5 mcg/h is labelled ``12 mcg/h`` (every figure uses what it delivers)."""
        for delivered, text in self.labels:
            if delivered == strength:
                return text
        return str(strength)

    def from_label(self, strength: Quantity) -> Quantity:
        """What a strength written as labelled delivers (``12 mcg/h`` → 12.5 mcg/h)."""
        for delivered, text in self.labels:
            if Quantity.parse(text) == strength:
                return delivered
        return strength

    def delivered(self, amount: Quantity, stated: tuple[Quantity, ...]) -> Quantity:
        """A dose written in labelled strengths, as delivered.

        ``37 mcg/h`` worn as a 12 and a 25 mcg/h patch delivers 37.5 mcg/h. A
        dose that the ``stated`` strengths already make as written is kept.
        """
        if not self.labels or _sums_to(amount, [(s.amount, s.amount) for s in stated]) is not None:
            return amount
        pairs = [(s.amount, Quantity.parse(self.label(s)).amount) for s in stated]
        found = _sums_to(amount, pairs)
        return amount if found is None else Quantity(found, amount.unit)

    @property
    def change_days(self) -> int | None:
        """Days between patch changes (3 for fentanyl, 7 for buprenorphine); else None."""
        if self.form is not Form.PATCH or self.interval_hours is None:
            return None
        return self.interval_hours // 24

    def finer_than(self, other: Product) -> bool:
        """Whether this product is an immediate-release tablet or capsule, or an oral
        solution, that can take over part of ``other``'s dose (§4a rule 4): the
        same drug in a finer form (tablets before solutions; patches have none)."""
        return (
            self.drug == other.drug
            and other.form is not Form.PATCH
            and self.form is not Form.PATCH
            and self.form.fineness > other.form.fineness
        )

    def with_split(self, splittable: bool) -> Product:  # noqa: FBT001
        """A copy with the split rule overridden (never allowing what the form forbids)."""
        return attrs.evolve(self, splittable=splittable and self.form.can_split)


def _sums_to(amount: Quantity, pairs: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    """The delivered total of the fewest units (at most six) whose written
    amounts add up to ``amount``; ``pairs`` are (delivered, written) per strength."""
    goal = amount.amount
    totals: dict[Decimal, Decimal] = {Decimal(0): Decimal(0)}
    for _ in range(6):
        grown = dict(totals)
        for written, delivered in totals.items():
            for unit_delivered, unit_written in pairs:
                key = written + unit_written
                if key <= goal and key not in grown:
                    grown[key] = delivered + unit_delivered
        if goal in grown:
            return grown[goal]
        totals = grown
    return None

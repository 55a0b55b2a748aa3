"""The drug catalogue: opioids, products and MME factor sets, from packaged data.

Loaded once per process from ``data/*.toml`` into frozen objects; every entry
keeps the key of its source in ``data/sources.toml``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache

import attrs

from taperplan._data import load_data
from taperplan._reading import close_to
from taperplan.errors import CatalogueError, NotApplicableError
from taperplan.units import Quantity, Unit, format_decimal


class Form(enum.Enum):
    """The dosage forms taperplan plans with."""

    IR_TABLET = "ir_tablet"
    ER_TABLET = "er_tablet"
    IR_CAPSULE = "ir_capsule"
    ER_CAPSULE = "er_capsule"
    ORAL_SOLUTION = "oral_solution"
    PATCH = "patch"

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
        if self in {Form.IR_TABLET, Form.IR_CAPSULE}:
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


@attrs.frozen
class Source:
    """A cited reference from ``data/sources.toml``."""

    key: str
    citation: str
    url: str | None = None


@attrs.frozen(cache_hash=True)
class Opioid:
    """An opioid ingredient."""

    name: str
    aliases: tuple[str, ...]
    agonist: Agonist
    rxnorm: str
    source: str


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


def _factors(values: Iterable[Factor]) -> tuple[Factor, ...]:
    return tuple(values)


def _exclusions(values: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((drug, reason) for drug, reason in values)


def _bands(values: Iterable[MethadoneBand]) -> tuple[MethadoneBand, ...]:
    return tuple(values)


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


@attrs.frozen
class Factor:
    """One opioid's MME factor in a set (per mg, or per mcg/h for a patch)."""

    drug: str
    factor: Decimal
    per: Unit
    forms: tuple[Form, ...] = ()
    note: str | None = None
    alternatives: tuple[tuple[Decimal, str, str], ...] = ()


@attrs.frozen
class MethadoneBand:
    """A cdc2016 methadone band: daily doses above ``low`` up to ``high`` mg."""

    low: Decimal
    high: Decimal
    factor: Decimal


@attrs.frozen
class FactorSet:
    """A versioned, cited set of MME conversion factors."""

    name: str
    title: str
    source: str
    default: bool
    factors: tuple[Factor, ...] = attrs.field(converter=_factors)
    excluded: tuple[tuple[str, str], ...] = attrs.field(converter=_exclusions)
    methadone_bands: tuple[MethadoneBand, ...] = attrs.field(default=(), converter=_bands)

    def exclusion(self, drug: str) -> str | None:
        """Why this set gives ``drug`` no factor, or None when it has one."""
        for name, reason in self.excluded:
            if name == drug:
                return reason
        return None

    def factor_for(self, product: Product, daily_amount: Quantity) -> Decimal | None:
        """The factor for ``product`` at ``daily_amount``, or None where MME does not apply.

        Raises:
            NotApplicableError: when the set cannot convert this dose (a
                methadone dose above the last cdc2016 band, a form the set has
                no factor for).
        """
        drug = product.drug.name
        if self.exclusion(drug) is not None:
            return None
        if drug == "methadone" and self.methadone_bands:
            mg_per_day = daily_amount.to(Unit.MG).amount
            for band in self.methadone_bands:
                if mg_per_day <= band.high:
                    return band.factor
            top = format_decimal(self.methadone_bands[-1].high)
            raise NotApplicableError(
                f"methadone {format_decimal(mg_per_day)} mg/day is above the last {self.name} band "
                f"({top} mg/day); the set is not extrapolated: use the cdc2022 factor set"
            )
        for factor in self.factors:
            if factor.drug == drug:
                if factor.forms and product.form not in factor.forms:
                    forms = ", ".join(f.value for f in factor.forms)
                    raise NotApplicableError(
                        f"{self.name} converts {drug} only as {forms}, not {product.form.value}"
                    )
                return factor.factor
        raise NotApplicableError(f"{self.name} has no factor for {drug}")


@attrs.frozen(eq=False)
class Catalogue:
    """Everything taperplan knows about drugs and products; see :func:`catalogue`."""

    opioids: tuple[Opioid, ...]
    products: tuple[Product, ...]
    factor_sets: tuple[FactorSet, ...]
    sources: Mapping[str, Source]
    acetaminophen_max_daily: Quantity
    acetaminophen_source: str
    solution_resolution: Quantity
    max_units_per_administration: int

    def opioid(self, name: str) -> Opioid:
        """Find an opioid by generic name or alias, case-insensitively.

        Raises:
            CatalogueError: with the nearest names as suggestions.
        """
        wanted = " ".join(name.strip().lower().split())
        for opioid in self.opioids:
            if wanted == opioid.name or wanted in opioid.aliases:
                return opioid
        names = [o.name for o in self.opioids] + [a for o in self.opioids for a in o.aliases]
        close = close_to(wanted, names, n=3)
        raise CatalogueError("drug", name, close)

    def products_for(self, drug: Opioid) -> tuple[Product, ...]:
        """Every product family of ``drug``."""
        return tuple(p for p in self.products if p.drug == drug)

    def product(self, drug: Opioid, form: Form, combination: str | None = None) -> Product:
        """The product family of ``drug`` in ``form`` (with ``combination``'s ingredient).

        Raises:
            CatalogueError: naming the forms the catalogue has for the drug.
        """
        wanted = Combination.parse(combination) if combination else None
        ingredient = wanted.ingredient if wanted else None
        candidates = [p for p in self.products_for(drug) if p.form is form]
        matching = [
            p
            for p in candidates
            if (p.combination.ingredient if p.combination else None) == ingredient
        ]
        # Two variants of one combination (codeine with 300 or 500 mg of
        # acetaminophen): the one whose amount per unit matches.
        for product in matching:
            if wanted is not None and product.combination == wanted:
                return product
        if matching:
            return matching[0]
        known = sorted({p.form.value for p in self.products_for(drug)})
        what = f"{drug.name} {form.value}" + (f" with {ingredient}" if ingredient else "")
        raise CatalogueError("product", what, known)

    def factor_set(self, name: str) -> FactorSet:
        """A factor set by name (``cdc2022``, ``cdc2016``).

        Raises:
            CatalogueError: for an unknown name.
        """
        for factor_set in self.factor_sets:
            if factor_set.name == name:
                return factor_set
        raise CatalogueError("factor set", name, [f.name for f in self.factor_sets])

    @property
    def default_factor_set(self) -> FactorSet:
        """The set used when none is named (``cdc2022``)."""
        return next(f for f in self.factor_sets if f.default)

    def source(self, key: str) -> Source:
        """The full citation behind a source key.

        Raises:
            CatalogueError: for a key no data file defines.
        """
        try:
            return self.sources[key]
        except KeyError:
            raise CatalogueError("source", key) from None


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


def _strengths(texts: list[str], unit: Unit) -> tuple[Quantity, ...]:
    values = [Quantity.parse(t) for t in texts]
    for value in values:
        if value.unit is not unit:
            raise CatalogueError("strength unit", str(value), (unit.value,))
    return tuple(sorted(values, key=lambda q: q.amount))


def _load_products(opioids: Mapping[str, Opioid]) -> tuple[Product, ...]:
    products = []
    for entry in load_data("products.toml")["product"]:
        form = Form(entry["form"])
        combination = entry.get("combination")
        products.append(
            Product(
                drug=opioids[entry["drug"]],
                form=form,
                strengths=_strengths(entry["strengths"], form.strength_unit),
                splittable=bool(entry.get("splittable", False)) and form.can_split,
                profile=WithdrawalProfile(entry["profile"]),
                source=entry["source"],
                interval_hours=entry.get("interval_hours"),
                combination=Combination.parse(combination) if combination else None,
                caution=entry.get("caution"),
                split_note=entry.get("split_note"),
                variant=entry.get("variant"),
                labels=tuple(
                    (Quantity.parse(delivered), text)
                    for delivered, text in entry.get("labels", {}).items()
                ),
            )
        )
    return tuple(products)


def _load_factor_sets() -> tuple[FactorSet, ...]:
    sets = []
    for name, entry in load_data("factors.toml").items():
        factors = tuple(
            Factor(
                drug=drug,
                factor=Decimal(spec["factor"]),
                per=Unit(spec["per"]),
                forms=tuple(Form(f) for f in spec.get("forms", ())),
                note=spec.get("note"),
                alternatives=tuple(
                    (Decimal(alt["factor"]), alt["source"], alt.get("note", ""))
                    for alt in spec.get("alternatives", ())
                ),
            )
            for drug, spec in entry.get("factors", {}).items()
        )
        bands = tuple(
            MethadoneBand(Decimal(b["from"]) - 1, Decimal(b["to"]), Decimal(b["factor"]))
            for b in entry.get("methadone_bands", ())
        )
        excluded = tuple((drug, spec["reason"]) for drug, spec in entry.get("excluded", {}).items())
        sets.append(
            FactorSet(
                name=name,
                title=entry["title"],
                source=entry["source"],
                default=bool(entry.get("default", False)),
                factors=factors,
                excluded=excluded,
                methadone_bands=bands,
            )
        )
    return tuple(sets)


@cache
def catalogue() -> Catalogue:
    """The packaged catalogue, loaded and validated once per process."""
    raw_opioids = load_data("opioids.toml")
    opioids = {
        entry["name"]: Opioid(
            name=entry["name"],
            aliases=tuple(a.lower() for a in entry.get("aliases", ())),
            agonist=Agonist(entry["agonist"]),
            rxnorm=entry["rxnorm"],
            source=entry["source"],
        )
        for entry in raw_opioids["opioid"]
    }
    sources = {
        key: Source(key=key, citation=value["citation"], url=value.get("url"))
        for key, value in load_data("sources.toml").items()
    }
    acetaminophen = raw_opioids["acetaminophen"]
    products_data = load_data("products.toml")
    return Catalogue(
        opioids=tuple(opioids.values()),
        products=_load_products(opioids),
        factor_sets=_load_factor_sets(),
        sources=sources,
        acetaminophen_max_daily=Quantity.read(acetaminophen["max_daily"]),
        acetaminophen_source=acetaminophen["max_daily_source"],
        solution_resolution=Quantity.parse(products_data["solution"]["resolution"]),
        max_units_per_administration=int(products_data["limits"]["max_units_per_administration"]),
    )

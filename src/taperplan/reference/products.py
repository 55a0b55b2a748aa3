"""The drug catalogue: opioids, products and MME factor sets, from packaged data.

Loaded once per process from ``data/*.toml`` into frozen objects; every entry
keeps the key of its source in ``data/sources.toml``. The values are defined
in :mod:`._drugs` (forms, opioids, combinations, products) and
:mod:`._factors` (MME factor sets) and are importable from here; this module
holds the catalogue, its lookups and its loader.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache

import attrs

from taperplan._data import load_data
from taperplan._reading import close_to
from taperplan.errors import CatalogueError
from taperplan.reference._drugs import (
    Agonist,
    Combination,
    Form,
    Opioid,
    Product,
    WithdrawalProfile,
)
from taperplan.reference._factors import Factor, FactorSet, MethadoneBand
from taperplan.units import Quantity, Unit


@attrs.frozen
class Source:
    """A cited reference from ``data/sources.toml``."""

    key: str
    citation: str
    url: str | None = None


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
                pack_size=entry.get("pack_size"),
                pack_source=entry.get("pack_source"),
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
            combination_aliases=tuple(a.lower() for a in entry.get("combination_aliases", ())),
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


__all__ = [
    "Agonist",
    "Catalogue",
    "Combination",
    "Factor",
    "FactorSet",
    "Form",
    "MethadoneBand",
    "Opioid",
    "Product",
    "Source",
    "WithdrawalProfile",
    "catalogue",
]

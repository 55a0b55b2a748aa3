"""What a drug can be dispensed as, for the planner: sizes, menus, finer products.

A unit set gives amounts that are sums of its dispensable sizes (whole units
and halves of scored tablets, solution volumes on the syringe grid, patch
combinations); :func:`menu` lists them in whole atoms of the drug for a
:class:`~._family.DrugFamily`. The catalogue's finer products of a drug
(interfaces.md §4a rule 4) may take over part of a dose, and their smallest
unit bounds the exception of rule 2.
"""

from __future__ import annotations

from decimal import Decimal

from taperplan.reference.dispense import UnitSet, reachable
from taperplan.reference.products import Form, Product, catalogue


def sizes(unit_set: UnitSet) -> list[Decimal]:
    """Every dispensable size of ``unit_set`` that amounts are sums of."""
    if unit_set.form is Form.ORAL_SOLUTION:
        assert unit_set.resolution is not None  # noqa: S101 - set for every solution
        return [s.amount * unit_set.resolution.amount for s in unit_set.strengths]
    found = [s.amount for s in unit_set.strengths]
    if unit_set.splittable:
        found += [s.amount / 2 for s in unit_set.strengths]
    return found


def menu(unit_set: UnitSet, atom: Decimal, top: int) -> tuple[int, ...]:
    """Every amount from one atom to ``top`` atoms that ``unit_set`` can give at one
    time, ascending (whole units and at most one half; solution volumes on the
    syringe grid; patch combinations)."""
    if unit_set.form is Form.ORAL_SOLUTION:
        steps = sorted({int(size / atom) for size in sizes(unit_set)})
        return tuple(k for k in range(1, top + 1) if any(k % step == 0 for step in steps))
    return reachable(unit_set, atom, top)


def substitute_unit_set(product: Product) -> UnitSet:
    """The units a substitute product is dosed in: the catalogue's strengths."""
    return UnitSet(
        form=product.form,
        strengths=product.strengths,
        splittable=product.splittable,
        resolution=catalogue().solution_resolution if product.form is Form.ORAL_SOLUTION else None,
        max_pieces=catalogue().max_units_per_administration,
        labels=product.labels,
    )


def substitute_products(product: Product) -> tuple[Product, ...]:
    """The catalogue's finer products of ``product``'s drug (§4a rule 4), coarsest
    first: its immediate-release tablet (plain before a combination) and its oral
    solution."""
    finer = [p for p in catalogue().products_for(product.drug) if p.finer_than(product)]
    chosen: dict[int, Product] = {}
    for candidate in sorted(
        finer,
        key=lambda p: (
            p.form.fineness,
            p.combination != product.combination,
            p.combination is not None,
            p.variant is not None,
        ),
    ):
        chosen.setdefault(candidate.form.fineness, candidate)
    return tuple(chosen[k] for k in sorted(chosen))


def finest_unit(product: Product, unit_set: UnitSet) -> Decimal:
    """The smallest unit that ``product`` (dosed from ``unit_set``) or a finer form of
    its drug in the catalogue can give: a cut of at most this much a day is the
    exception for a product with no finer form (interfaces.md §4a rule 2)."""
    return min(
        [unit_set.smallest_unit.amount]
        + [substitute_unit_set(p).smallest_unit.amount for p in substitute_products(product)]
    )

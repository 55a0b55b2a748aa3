"""The taper order: which of the live drugs' products a cut comes from first.

A drug's products fall in two *tiers*, its long-acting and its short-acting
ones, whose moves compete; the taper order ranks the tiers of a state
(long-acting first by default, short-acting first, proportionally to what
each drug has left of its own dose, or by an explicit list of drug names).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from fractions import Fraction

from taperplan._reading import did_you_mean
from taperplan.errors import PlanningError
from taperplan.planning._lanes import Layout
from taperplan.planning._measure import Scope
from taperplan.reference.products import WithdrawalProfile


class TaperOrder(enum.StrEnum):
    """A named taper order; a plan may instead name its drugs in the order to cut them.

    Members equal their names (``TaperOrder.PROPORTIONAL == "proportional"``), so
    either may be given.
    """

    LONG_ACTING_FIRST = "long-acting-first"
    """Cut the long-acting products first (the default; VA-TDT, CDC)."""
    SHORT_ACTING_FIRST = "short-acting-first"
    """Cut the short-acting products first."""
    PROPORTIONAL = "proportional"
    """Cut each drug in proportion to what it has left of its own dose."""


def taper_order(
    order: TaperOrder | str | Sequence[str], drugs: Sequence[str] | None = None
) -> TaperOrder | tuple[str, ...]:
    """``order`` as the planner takes it: a :class:`TaperOrder`, or drug names in order
    (each one of ``drugs``, the regimen's, when given).

    Raises:
        PlanningError: a name that is no taper order, naming the ones there are; or a
            drug the regimen does not take, naming those it does.
    """
    if isinstance(order, str):
        try:
            return TaperOrder(order)
        except ValueError:
            known = ", ".join(o.value for o in TaperOrder)
            msg = f"{order!r} is not a taper order: use {known}, or a list of drug names"
            raise PlanningError(msg) from None
    names = tuple(order)
    if drugs is not None:
        # Drug names are case-insensitive, as everywhere (the catalogue's are lower case).
        names = tuple(n for name in names if (n := str(name).strip().casefold()))
        if not names:
            msg = "the taper order names no drug: name the regimen's drugs, or a taper order"
            raise PlanningError(msg)
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            msg = f"the taper order names {', '.join(map(repr, twice))} more than once"
            raise PlanningError(msg)
        unknown = [name for name in names if name not in drugs]
        if unknown:
            taken = ", ".join(sorted(set(drugs)))
            hints = [did_you_mean(name, drugs, otherwise="") for name in unknown]
            msg = (
                f"the taper order names {', '.join(map(repr, unknown))}, which the regimen"
                f" does not take: name its drugs ({taken})"
                + "".join(f"; {hint}" for hint in hints if hint)
            )
            raise PlanningError(msg)
    return names


_LONG_ACTING = frozenset(
    {
        WithdrawalProfile.LONG_ACTING,
        WithdrawalProfile.METHADONE,
        WithdrawalProfile.TRANSDERMAL,
        WithdrawalProfile.BUPRENORPHINE,
    }
)


class TierOrder:
    """The tiers of one plan's layout, ranked by its taper order."""

    def __init__(self, layout: Layout, order: TaperOrder | Sequence[str]) -> None:
        self.layout = layout
        self.order = order
        self._names = [] if isinstance(order, str) else list(order)
        self._drug_originals = [
            d.measure(d.family.daily(s)) for d, s in zip(layout.drugs, layout.baseline, strict=True)
        ]
        self._tramadol = [d.name == "tramadol" for d in layout.drugs]
        # Per drug and local medication: long-acting or not (for the taper order).
        self._long = [
            {
                m: d.family.lanes[d.family.by_medication[m][0]].product.profile in _LONG_ACTING
                for m in d.family.medications
            }
            for d in layout.drugs
        ]
        # Per drug, its long- and short-acting classes: (long, medications, lanes).
        self._classes = []
        for drug, place in enumerate(layout.drugs):
            classes = []
            for long in (True, False):
                members = frozenset(
                    m for m in place.family.medications if self._long[drug][m] == long
                )
                if members:
                    lanes = tuple(
                        p for p, spec in enumerate(place.family.lanes) if spec.medication in members
                    )
                    classes.append((long, members, lanes))
            self._classes.append(classes)

    def tiers(self, scope: Scope) -> list[tuple[int, frozenset[int]]]:
        """The live drugs' tiers, in the order to try a cut: (drug, its long- or
        short-acting medications), whose moves compete."""
        keyed = []
        for drug, classes in enumerate(self._classes):
            state = scope.state[drug]
            fam = self.layout.drugs[drug].family
            for long, members, lanes in classes:
                size = 0
                for position in lanes:
                    lane = state[position]
                    if lane.amount:
                        size += fam.contribution(position, lane)
                if size:
                    keyed.append((self._tier_key(scope, drug, long, size), (drug, members)))
        if len(keyed) > 1:
            keyed.sort(key=lambda item: item[0])
        return [tier for _, tier in keyed]

    def _tier_key(self, scope: Scope, drug: int, long: bool, size: int) -> tuple[object, ...]:  # noqa: FBT001
        if self.order == "proportional":
            # Each step cuts the drug furthest from its share: the most of its own dose left.
            start = self._drug_originals[drug]
            share = Fraction(scope.measures[drug], start) if start else Fraction(0)
            return (-share, drug, not long)
        if isinstance(self.order, str):
            place = (0 if long else 1) if self.order == "long-acting-first" else (1 if long else 0)
            return (place, self._tramadol[drug], -size * self.layout.drugs[drug].mult, drug)
        name = self.layout.drugs[drug].name
        return (
            self._names.index(name) if name in self._names else len(self._names),
            drug,
            not long,
        )

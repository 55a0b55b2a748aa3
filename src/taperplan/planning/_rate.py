"""The pace at one state, in whole numbers (interfaces.md §4a rules 2 and 3).

For a cut of one drug from a state, the pace gives its rate ``p``, the total a
cut's fraction is measured against, the target cut and the largest cut within
the ceiling (and, for methadone above the end of the taper, within ``p`` of
its own dose). Plans that meet the same totals at the same pace share the
result (whole numbers only, never tracked by the garbage collector).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import floor
from typing import NamedTuple

from taperplan.reference.paces import Pace


class PaceAt(NamedTuple):
    """The pace at one state for a cut of one drug, as whole numbers (ratios as
    numerator and denominator): the rate ``p``, the total a cut's fraction is
    measured against, the target cut, and the largest cut within the ceiling (and
    methadone's slower limit)."""

    p_num: int
    p_den: int
    reference_num: int
    reference_den: int
    target_num: int
    target_den: int
    cap: int

    @property
    def p(self) -> Fraction:
        """The pace's fraction per interval at this point."""
        return Fraction(self.p_num, self.p_den)


@lru_cache(maxsize=1 << 16)
def pace_limits(  # noqa: PLR0917 - whole numbers as a cache key
    pace: Pace,
    original_num: int,
    original_den: int,
    previous: int,
    first: bool,  # noqa: FBT001 - a cache key
    factor_num: int,
    factor_den: int,
    methadone: int | None,
    landing: int = 0,
) -> PaceAt:
    """:class:`PaceAt` from what it depends on, all whole numbers (shared by plans
    that meet the same totals at the same pace, and never tracked by the garbage
    collector). ``landing`` is the total at which the next step is the stop (5 MME/day
    in the measure's units; 0 where MME does not apply): a cut aims no lower, so the
    last dose before the stop is a real one, not a sliver."""
    rate = pace.rate(
        original=Fraction(original_num, original_den),
        previous=Fraction(previous),
        first=first,
        amount_factor=Fraction(factor_num, factor_den),
    )
    cap = floor(Fraction(pace.max_step_fraction) * rate.reference)
    if methadone is not None:
        # Methadone: no cut above the pace's percent of its own dose while the
        # total is above the end of the taper (long, variable half-life).
        cap = min(cap, floor(rate.p * methadone))
    target = rate.target
    if landing and previous > landing:
        target = min(target, Fraction(previous - landing))
    return PaceAt(
        rate.p.numerator,
        rate.p.denominator,
        rate.reference.numerator,
        rate.reference.denominator,
        target.numerator,
        target.denominator,
        cap,
    )

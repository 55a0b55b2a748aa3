"""The advice a plan carries: non-opioid adjunct suggestions with their cautions,
and the withdrawal window after a cut.

These are values only; :mod:`taperplan.clinical` decides which apply.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

from taperplan.reference.products import WithdrawalProfile

AdjunctCategory = Literal[
    "rule", "naloxone", "referral", "oud", "withdrawal", "pain-medicine", "non-drug"
]
Severity = Literal["caution", "avoid"]

#: Categories in the order suggestions are listed: the rule and safety first.
CATEGORIES: tuple[AdjunctCategory, ...] = (
    "rule",
    "naloxone",
    "referral",
    "oud",
    "withdrawal",
    "pain-medicine",
    "non-drug",
)


@attrs.frozen
class Caution:
    """A caution that applies to this patient.

    ``because`` names the context facts that raised it; None for a caution
    that always applies.
    """

    code: str
    text: str
    source: str
    severity: Severity = "caution"
    because: str | None = None


@attrs.frozen
class Adjunct:
    """A suggestion for this patient: a consideration for the clinician.

    ``cautions`` holds only the cautions the context raises plus those that
    always apply. ``emphasis`` marks a suggestion the context makes more
    pressing (naloxone at 50 MME/day, say); ``reason`` then says why.
    """

    key: str
    category: AdjunctCategory
    name: str
    reason: str
    source: str
    dose: str | None = None
    target: str | None = None
    cautions: tuple[Caution, ...] = ()
    emphasis: bool = False

    @property
    def avoid(self) -> bool:
        """Whether a caution says to avoid this adjunct for this patient."""
        return any(c.severity == "avoid" for c in self.cautions)


@attrs.frozen
class WithdrawalWindow:
    """The dates (inclusive) when withdrawal symptoms are expected after a cut."""

    start: dt.date
    end: dt.date
    profile: WithdrawalProfile
    low_confidence: bool
    source: str
    note: str

    @property
    def days(self) -> int:
        """Length of the window in days."""
        return (self.end - self.start).days + 1

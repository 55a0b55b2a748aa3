"""Taper paces: the guideline presets and custom paces.

A :class:`Pace` says how much to cut per step (a percent of the original or
current dose, or a fixed amount), how long each step lasts, and the cap
``max_step_fraction`` that no cut may exceed. Presets live in
``data/paces.toml`` with their sources.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any, NamedTuple

import attrs

from taperplan._data import load_data
from taperplan._reading import Problems, close_to, text_problem
from taperplan.errors import CatalogueError, InvalidRegimenError, Problem, QuantityError
from taperplan.units import Quantity, format_decimal


class Rate(NamedTuple):
    """The pace at one point of a taper (interfaces.md §4a rule 3).

    ``p`` is the fraction per ``every_days`` that a cut of fraction ``c`` is
    held against (a step lasts at least ``every_days × c ÷ p`` days);
    ``reference`` the total a cut's fraction is measured against (the baseline
    while an original basis applies, else the previous step's total); and
    ``target`` the cut the pace asks for, in the same measure.
    """

    p: Fraction
    reference: Fraction
    target: Fraction


class Basis(enum.Enum):
    """What a percentage reduction is a percentage of."""

    ORIGINAL = "original"
    CURRENT = "current"
    ORIGINAL_THEN_CURRENT = "original-then-current"


_HUNDRED = Decimal(100)


@attrs.frozen(cache_hash=True)
class Pace:
    """How fast to taper, and the cap that keeps every cut gradual.

    Exactly one of ``percent`` and ``reduction`` is set. ``max_step_fraction``
    is the largest cut allowed, as a fraction of the previous step's total.
    """

    name: str
    description: str
    basis: Basis
    every_days: int = attrs.field(validator=[attrs.validators.ge(1), attrs.validators.le(365)])
    max_step_fraction: Decimal = attrs.field(
        validator=[attrs.validators.gt(Decimal(0)), attrs.validators.le(Decimal(1))]
    )
    source: str
    min_step_days: int = 5
    percent: Decimal | None = None
    reduction: Quantity | None = None
    switch_at: Decimal | None = None
    after_percent: Decimal | None = None
    first_percent: Decimal | None = None
    slow_below: Decimal | None = None
    slow_factor: Decimal | None = None
    supervised_only: bool = False
    source_detail: str | None = None
    preset_cap: Decimal | None = None
    substitute: bool = True
    max_step_source: str | None = None

    @property
    def cap_lifted(self) -> bool:
        """Whether the cap is above the preset's own (the plan then warns)."""
        return self.preset_cap is not None and self.max_step_fraction > self.preset_cap

    def target_cut(
        self, *, original: Fraction, current: Fraction, index: int, amount_factor: Fraction
    ) -> Fraction:
        """The cut this pace asks for at a step, before rounding (see :meth:`rate`).

        Exact arithmetic: CDC's shorter-term example 100 → 90 → … → 30 → 27 →
        24.3 comes out to the digit.

        Args:
            original: the baseline total (MME/day, or daily amount).
            current: the total before this step.
            index: the step number (0 for the first cut).
            amount_factor: converts a fixed ``reduction`` of the medication being
                cut into the measure of the totals (its MME factor, or 1).
        """
        return self.rate(
            original=original, previous=current, first=index == 0, amount_factor=amount_factor
        ).target

    def rate(
        self,
        *,
        original: Fraction,
        previous: Fraction,
        first: bool,
        amount_factor: Fraction = Fraction(1),
    ) -> Rate:
        """The pace in effect for a cut from ``previous`` (§4a rule 3).

        Args:
            original: the baseline total (MME/day, or the daily amount).
            previous: the total before the cut, in the same measure.
            first: whether this is the plan's first cut (``first_percent``).
            amount_factor: converts a fixed ``reduction`` of the medication cut
                into the measure of the totals (its MME factor, or 1).
        """
        original_phase = self.basis is Basis.ORIGINAL or (
            self.basis is Basis.ORIGINAL_THEN_CURRENT
            and previous > Fraction(self.switch_at or 0) * original
        )
        reference = original if original_phase else previous
        if self.reduction is not None:
            target = Fraction(self.reduction.amount) * amount_factor
            p = target / original if original else Fraction(1)
            return Rate(p, reference, target)
        if self.basis is Basis.ORIGINAL_THEN_CURRENT and not original_phase:
            base = Fraction(self.after_percent or self.percent or 0) / 100
        elif first and self.first_percent is not None:
            base = Fraction(self.first_percent) / 100
        else:
            base = Fraction(self.percent or 0) / 100
        if (
            self.slow_below is not None
            and self.slow_factor is not None
            and previous <= Fraction(self.slow_below) * original
        ):
            base *= Fraction(self.slow_factor)
        target = base * reference
        if self.basis is Basis.ORIGINAL_THEN_CURRENT and original_phase:
            # Never past the switch in one cut (CDC: until about 30% remains).
            target = min(target, previous - Fraction(self.switch_at or 0) * original)
        return Rate(base, reference, target)

    def describe_rate(self) -> str:
        """``10% of current every 28 days`` and the like."""
        if self.reduction is not None:
            rate = f"{self.reduction} per step"
        else:
            rate = f"{format_decimal(self.percent or Decimal(0))}% of {self.basis.value}"
        ceiling = format_decimal(self.max_step_fraction * _HUNDRED)
        return (
            f"{rate} every {self.every_days} days (ceiling {ceiling}% a cut; "
            "a larger cut is held longer)"
        )


def _preset_from(entry: Mapping[str, Any]) -> Pace:
    def dec(key: str) -> Decimal | None:
        value = entry.get(key)
        return Decimal(value) if value is not None else None

    cap = Decimal(entry["max_step_fraction"])
    return Pace(
        name=entry["name"],
        description=entry["description"],
        basis=Basis(entry["basis"]),
        every_days=int(entry["every_days"]),
        max_step_fraction=cap,
        source=entry["source"],
        min_step_days=int(entry.get("min_step_days", 5)),
        percent=dec("percent"),
        switch_at=dec("switch_at"),
        after_percent=dec("after_percent"),
        first_percent=dec("first_percent"),
        slow_below=dec("slow_below"),
        slow_factor=dec("slow_factor"),
        supervised_only=bool(entry.get("supervised_only", False)),
        source_detail=entry.get("source_detail"),
        preset_cap=cap,
        max_step_source=entry.get("max_step_source"),
    )


@cache
def presets() -> tuple[Pace, ...]:
    """Every pace preset, in the order ``taperplan paces`` lists them."""
    return tuple(_preset_from(entry) for entry in load_data("paces.toml")["pace"])


def preset(name: str) -> Pace:
    """The preset called ``name``, whatever its case (``VA-Slower`` is ``va-slower``).

    Raises:
        CatalogueError: for an unknown name, with the known ones as suggestions.
    """
    wanted = name.strip().casefold() if isinstance(name, str) else name
    for pace in presets():
        if pace.name.casefold() == wanted:
            return pace
    close = close_to(name, [p.name for p in presets()], n=3, cutoff=0.5)
    raise CatalogueError("pace", name, close or [p.name for p in presets()])


def default_pace(on_opioids_since: dt.date | None, start: dt.date) -> tuple[Pace, str]:
    """The pace to use when none is given, and why.

    A year or more on opioids, or an unknown duration: ``cdc-long-term``;
    shorter: ``cdc-short-term`` (CDC2022 Recommendation 5). A start before
    ``on_opioids_since`` (the dates disagree) is treated as long-term use, the
    slower pace; the plan warns about it.
    """
    table = load_data("paces.toml")["default"]
    if on_opioids_since is None:
        return preset(table["long_term"]), "no on_opioids_since given: treated as long-term use"
    days = (start - on_opioids_since).days
    if days < 0:
        # The dates disagree (a warning says so): plan at the slower, long-term pace.
        return preset(table["long_term"]), (
            f"on_opioids_since {on_opioids_since.isoformat()} is after the start"
            f" {start.isoformat()}: treated as long-term use"
        )
    if days >= int(table["long_term_after_days"]):
        return preset(table["long_term"]), f"on opioids {days} days (a year or more): long-term use"
    return preset(table["short_term"]), f"on opioids {days} days (under a year): shorter-term use"


_PACE_KEYS = (
    "preset",
    "reduction",
    "percent",
    "basis",
    "switch_at",
    "every_days",
    "max_step_fraction",
    "min_step_days",
    "name",
    "substitute",
)


MAX_NAME = 80  # the longest name a custom pace may have


def pace_from_mapping(table: Mapping[str, Any]) -> Pace:
    """Read a ``[pace]`` table: a preset, a preset with overrides, or a custom pace.

    Raises:
        InvalidRegimenError: listing every problem at once, each with its path
            (``pace.percent``), what is wrong and the fix.
    """
    pace, problems = read_pace(table)
    if pace is None:
        raise InvalidRegimenError(problems, source="pace")
    return pace


def read_pace(table: Mapping[str, Any], path: str = "pace") -> tuple[Pace | None, list[Problem]]:
    """A ``[pace]`` table as a pace (None when there were problems) and every
    problem found, for readers that gather problems from a whole file."""
    problems = Problems()
    for key in table:
        if key not in _PACE_KEYS:
            problems.add(f"{path}.{key}", "unknown key", f"use one of {', '.join(_PACE_KEYS)}")
    wrong = None if "name" not in table else text_problem(table["name"], MAX_NAME)
    if wrong:
        problems.add(f"{path}.name", wrong, 'a short name, e.g. name = "slow, 5% a month"')
    base: Pace | None = None
    name = table.get("preset")
    if name is not None:
        if not isinstance(name, str):
            problems.add(f"{path}.preset", "must be text", 'e.g. preset = "va-slower"')
        else:
            try:
                base = preset(name)
            except CatalogueError as error:
                problems.add(f"{path}.preset", str(error), "run `taperplan paces` for the names")
    fields: dict[str, Any] = {}

    def number(key: str, low: Decimal, high: Decimal) -> Decimal | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            problems.add(f"{path}.{key}", "must be a number", f"a number from {low} to {high}")
            return None
        try:
            result = Decimal(str(value))
        except ArithmeticError:
            problems.add(
                f"{path}.{key}", f"{value!r} is not a number", f"a number from {low} to {high}"
            )
            return None
        if not result.is_finite() or not low <= result <= high:
            problems.add(
                f"{path}.{key}", f"{value!r} is out of range", f"a number from {low} to {high}"
            )
            return None
        return result

    percent = number("percent", Decimal("0.5"), Decimal(50))
    cap = number("max_step_fraction", Decimal("0.01"), Decimal(1))
    switch_at = number("switch_at", Decimal("0.01"), Decimal("0.99"))
    every = number("every_days", Decimal(1), Decimal(365))
    min_days = number("min_step_days", Decimal(1), Decimal(365))
    for key, value in (("every_days", every), ("min_step_days", min_days)):
        if value is not None and value != value.to_integral_value():
            problems.add(f"{path}.{key}", "must be a whole number of days", "e.g. 28")
    reduction: Quantity | None = None
    if "reduction" in table:
        try:
            reduction = Quantity.parse(table["reduction"])
        except QuantityError as error:
            problems.add(f"{path}.reduction", str(error), 'e.g. reduction = "15 mg"')
        else:
            if reduction.is_zero():
                problems.add(
                    f"{path}.reduction", "must be more than zero", 'e.g. reduction = "15 mg"'
                )
    basis: Basis | None = None
    if "basis" in table:
        try:
            basis = Basis(table["basis"])
        except ValueError:
            problems.add(
                f"{path}.basis",
                f"{table['basis']!r} is not a basis",
                "original, current or original-then-current",
            )
    substitute = table.get("substitute")
    if substitute is not None and not isinstance(substitute, bool):
        problems.add(
            f"{path}.substitute",
            "must be true or false",
            "substitute = false forbids adding an immediate-release tablet or oral solution",
        )
    if percent is not None and "reduction" in table:
        problems.add(path, "both percent and reduction given", "give one of them")
    if base is None and name is None and "percent" not in table and "reduction" not in table:
        problems.add(
            path, "no preset, percent or reduction", 'set preset = "cdc-long-term" or percent = 10'
        )
    if problems:
        return None, list(problems)

    if percent is not None:
        fields["percent"] = percent
        fields["reduction"] = None
    if reduction is not None:
        fields["reduction"] = reduction
        fields["percent"] = None
        fields.setdefault("basis", Basis.ORIGINAL)
    if basis is not None:
        fields["basis"] = basis
    if switch_at is not None:
        fields["switch_at"] = switch_at
    if every is not None:
        fields["every_days"] = int(every)
    if min_days is not None:
        fields["min_step_days"] = int(min_days)
    if cap is not None:
        fields["max_step_fraction"] = cap
    if isinstance(substitute, bool):
        fields["substitute"] = substitute
    if base is None:
        reference = _custom_reference_cap()
        pace = Pace(
            name=str(table.get("name", "custom")),
            description="A custom pace from the regimen file.",
            basis=fields.get("basis", Basis.CURRENT),
            every_days=fields.get("every_days", 28),
            max_step_fraction=fields.get("max_step_fraction", reference),
            source="TAPERPLAN",
            min_step_days=fields.get("min_step_days", 5),
            percent=fields.get("percent"),
            reduction=fields.get("reduction"),
            switch_at=fields.get("switch_at"),
            preset_cap=reference,
            substitute=fields.get("substitute", True),
        )
    else:
        # Forbidding substitution keeps the preset's name: the pace is the same.
        changed = {k: v for k, v in fields.items() if k != "substitute" and getattr(base, k) != v}
        pace = attrs.evolve(base, **fields)
        # A name given is the pace's name, changed or not (it was ignored without a change).
        if changed or "name" in table:
            pace = attrs.evolve(pace, name=str(table.get("name", f"{base.name} (custom)")))
    if "switch_at" in table and pace.basis is not Basis.ORIGINAL_THEN_CURRENT:
        # Only that basis switches; elsewhere the number would be silently ignored.
        return None, [
            Problem(
                f"{path}.switch_at",
                f"is used only with basis original-then-current, and this pace's basis is "
                f"{pace.basis.value}",
                'add basis = "original-then-current", or remove switch_at',
            )
        ]
    if pace.basis is Basis.ORIGINAL_THEN_CURRENT and pace.switch_at is None:
        return None, [
            Problem(
                f"{path}.switch_at",
                "needed with basis original-then-current",
                "e.g. switch_at = 0.30",
            )
        ]
    return pace, []


def _custom_reference_cap() -> Decimal:
    """The cap of a custom pace with none stated: the largest cap of any
    unsupervised preset (so a custom pace is never faster than every preset
    without a warning)."""
    return max(p.max_step_fraction for p in presets() if not p.supervised_only)

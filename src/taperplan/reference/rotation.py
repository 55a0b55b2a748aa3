"""Conversion tables for switching opioids, from ``data/rotation.toml``.

Each table is named and cited, and the caller chooses one: the sources
disagree (at 120 mg/day of oral morphine the fentanyl patch tables give 25,
50 or 60 mcg/h), and a plan must say which it used. MME factors are never used
here: they are for overdose risk, not dose conversion (CDC 2022).

Three kinds of number come out, none of them yet a dose to give:

- :func:`to_methadone`: the methadone mg/day a table gives for a daily oral
  morphine dose, before the cross-tolerance cut;
- :func:`to_patch`: the fentanyl patch mcg/h a table gives;
- :func:`cross_tolerance`: the cut to apply after a conversion, as a range
  with the value chosen for this patient and why.

Banded tables have cliffs, where one more mg/day of morphine gives a lower
(or much higher) dose; so does Fudin's formula. A conversion near one says
so by name (:attr:`Conversion.near_edge`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import attrs

from taperplan._data import load_data
from taperplan.errors import CatalogueError, NotApplicableError
from taperplan.reference._rotation_tables import (
    Band,
    Table,
    formula_shadow,
    fudin,
    near_edge,
    near_formula_edge,
    shadowed,
    tables,
)
from taperplan.units import format_decimal

#: The kinds of switch with their own cross-tolerance rule.
Target = Literal["general", "methadone", "patch"]


@attrs.frozen
class Conversion:
    """What a table gives for one daily oral morphine dose.

    ``amount`` is methadone mg/day or patch mcg/h, before any cross-tolerance
    cut; ``band`` names the band or rule used; ``near_edge`` names the cliff
    the dose is close to, if any; ``capped`` says the table's cap applied.
    """

    table: str
    source: str
    low_confidence: bool
    morphine_mg_per_day: Decimal
    amount: Decimal
    unit: str
    band: str
    near_edge: str | None = None
    capped: bool = False


@attrs.frozen
class CutRange:
    """A cross-tolerance cut, in percent of the converted dose."""

    low: Decimal
    high: Decimal
    source: str
    note: str


@attrs.frozen
class CutChoice:
    """The cut for one patient: the source's range, the value chosen, and why."""

    range: CutRange
    percent: Decimal
    reasons: tuple[str, ...]


def table_names(kind: Literal["methadone", "patch"]) -> tuple[str, ...]:
    """The names of the tables of one kind, in the data file's order."""
    return tuple(name for name, table in tables().items() if table.kind == kind)


def table(name: str, kind: Literal["methadone", "patch"]) -> Table:
    """A table by name.

    Raises:
        CatalogueError: no table of that kind has that name (with the names there are).
    """
    found = tables().get(name)
    if found is None or found.kind != kind:
        raise CatalogueError(f"{kind} table", name, list(table_names(kind)))
    return found


def to_methadone(morphine_mg_per_day: Decimal, name: str, *, age: int | None = None) -> Conversion:
    """The methadone mg/day that table ``name`` gives for a daily oral morphine dose.

    Raises:
        CatalogueError: an unknown table.
        NotApplicableError: a dose of 0 or less, or beyond the table's last band.
    """
    chosen = table(name, "methadone")
    mme = _positive(morphine_mg_per_day)
    if chosen.formula is not None:
        amount = fudin(mme, chosen.formula)
        edge = formula_shadow(mme, amount, chosen.formula) or near_formula_edge(mme, chosen.formula)
        return _conversion(chosen, mme, amount, unit="mg/day", band="formula", near_edge=edge)
    band = _band(chosen, mme)
    older = age is not None and chosen.older_age is not None and age >= chosen.older_age
    if band.fixed is not None:
        raise NotApplicableError(
            f"{chosen.name}: below {format_decimal(chosen.bands[1].start)} mg/day of oral morphine "
            f"the table gives only a ceiling of {format_decimal(band.fixed)} mg/day of methadone, "
            "not a conversion; choose another table"
        )
    ratio = band.older_ratio if older and band.older_ratio is not None else band.ratio
    if ratio is None:
        raise CatalogueError("methadone band with a ratio", f"{chosen.name} from {band.start}")
    amount, rule = mme / ratio, f"{format_decimal(ratio)}:1"
    capped = chosen.cap is not None and amount > chosen.cap[1]
    if chosen.cap is not None and capped:
        amount = chosen.cap[1]
    edge = shadowed(chosen, band, amount, older=older) or near_edge(chosen, mme)
    return _conversion(
        chosen,
        mme,
        amount,
        unit="mg/day",
        band=f"{_band_words(chosen, band)}: {rule}",
        near_edge=edge,
        capped=capped,
    )


def to_patch(morphine_mg_per_day: Decimal, name: str) -> Conversion:
    """The fentanyl patch mcg/h that table ``name`` gives for a daily oral morphine dose.

    Raises:
        CatalogueError: an unknown table.
        NotApplicableError: a dose of 0 or less, or outside the table.
    """
    chosen = table(name, "patch")
    mme = _positive(morphine_mg_per_day)
    if chosen.per_mg is not None:
        return _conversion(chosen, mme, mme * chosen.per_mg, unit="mcg/h", band="a rule of thumb")
    band = _band(chosen, mme)
    if band.rate is None:
        raise CatalogueError("patch band with a rate", f"{chosen.name} from {band.start}")
    return _conversion(
        chosen,
        mme,
        band.rate,
        unit="mcg/h",
        band=_band_words(chosen, band),
        near_edge=near_edge(chosen, mme),
    )


def never_to_patch_from() -> tuple[tuple[str, ...], str]:
    """The drugs never converted to a fentanyl patch, and the source that says so."""
    entry = load_data("rotation.toml")["patch"]["never_from"]
    return tuple(entry["drugs"]), str(entry["source"])


def methadone_caution_threshold() -> Decimal:
    """The daily oral morphine from which a switch to methadone needs great caution
    (Fine & Portenoy: about 1,000 mg/day)."""
    entry = load_data("rotation.toml")["cross_tolerance"]["methadone"]
    return Decimal(entry["very_high_mme_per_day"])


def high_dose_threshold() -> Decimal:
    """The current dose (oral morphine mg/day) from which the cut takes its high end."""
    return Decimal(load_data("rotation.toml")["cross_tolerance"]["high_dose"]["mme_per_day"])


def cross_tolerance(
    target: Target,
    *,
    morphine_mg_per_day: Decimal,
    age: int | None = None,
    frail: bool = False,
    same_drug: bool = False,
) -> CutChoice:
    """The cross-tolerance cut for a switch: the source's range and the value chosen.

    The high end for a high current dose (the CDC's 90 MME/day guidepost), an
    older (65 or more) or frail patient; the low end otherwise, or for a change
    of route of the same drug. A patch table carries its own cut (none here).
    """
    data = load_data("rotation.toml")["cross_tolerance"]
    entry = data[target]
    cut = CutRange(
        Decimal(entry["low_percent"]),
        Decimal(entry["high_percent"]),
        str(entry["source"]),
        str(entry["note"]),
    )
    high = data["high_dose"]
    reasons = []
    if morphine_mg_per_day >= Decimal(high["mme_per_day"]):
        reasons.append(f"a current dose of {high['mme_per_day']} MME/day or more")
    if age is not None and age >= int(high["elderly_age"]):
        reasons.append(f"age {high['elderly_age']} or more")
    if frail:
        reasons.append("frailty")
    if reasons and not same_drug:
        return CutChoice(cut, cut.high, tuple(reasons))
    why = "a change of route of the same drug" if same_drug else "none of the reasons for more"
    return CutChoice(cut, cut.low, (why,))


# --- the arithmetic -----------------------------------------------------------------


def _positive(value: Decimal) -> Decimal:
    if not value > 0:
        raise NotApplicableError(
            f"a conversion needs a daily oral morphine dose above 0 mg, not {format_decimal(value)}"
        )
    return value


def _band(chosen: Table, mme: Decimal) -> Band:
    if chosen.end is not None and mme >= chosen.end:
        raise NotApplicableError(
            f"{chosen.name}: {format_decimal(mme)} mg/day of oral morphine is beyond the table "
            f"(it ends below {format_decimal(chosen.end)} mg/day); choose another table"
        )
    inside = [band for band in chosen.bands if band.start <= mme]
    if not inside:
        raise NotApplicableError(
            f"{chosen.name}: {format_decimal(mme)} mg/day of oral morphine is below the table "
            f"(it starts at {format_decimal(chosen.bands[0].start)} mg/day); choose another table"
        )
    return inside[-1]


def _band_words(chosen: Table, band: Band) -> str:
    index = chosen.bands.index(band)
    upper = chosen.bands[index + 1].start if index + 1 < len(chosen.bands) else chosen.end
    start = format_decimal(band.start)
    return (
        f"{start} mg/day and more"
        if upper is None
        else f"{start} to under {format_decimal(upper)} mg/day"
    )


def _conversion(
    chosen: Table,
    mme: Decimal,
    amount: Decimal,
    *,
    unit: str,
    band: str,
    near_edge: str | None = None,
    capped: bool = False,
) -> Conversion:
    return Conversion(
        table=chosen.name,
        source=chosen.source,
        low_confidence=chosen.low_confidence,
        morphine_mg_per_day=mme,
        amount=amount,
        unit=unit,
        band=band,
        near_edge=near_edge,
        capped=capped,
    )

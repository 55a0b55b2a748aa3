"""The rotation tables of ``data/rotation.toml``, read into values (see
:mod:`taperplan.reference.rotation`), and the arithmetic of their edges and of Fudin's
formula."""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any, Literal

import attrs

from taperplan._data import load_data
from taperplan.units import format_decimal


@attrs.frozen
class Band:
    """One band of a table: from ``start`` mg/day of oral morphine (inclusive).

    A methadone band gives a ``ratio`` (morphine:methadone; ``older_ratio`` from
    the table's ``older_age``) or a ``fixed`` dose; a patch band a ``rate``.
    """

    start: Decimal
    ratio: Decimal | None = None
    older_ratio: Decimal | None = None
    fixed: Decimal | None = None
    rate: Decimal | None = None


@attrs.frozen
class Table:
    """A named, cited conversion table (banded, or a formula)."""

    name: str
    kind: Literal["methadone", "patch"]
    title: str
    source: str
    low_confidence: bool
    edges: str
    bands: tuple[Band, ...] = ()
    end: Decimal | None = None
    cut: str = "none"
    older_age: int | None = None
    cap: tuple[Decimal, Decimal] | None = None
    per_mg: Decimal | None = None
    formula: Mapping[str, Decimal] | None = None


# --- reading the data file ----------------------------------------------------------


@cache
def tables() -> dict[str, Table]:
    data = load_data("rotation.toml")
    tables: dict[str, Table] = {}
    for kind in ("methadone", "patch"):
        for name, entry in data[kind].items():
            if name == "never_from":
                continue
            tables[name] = _table(name, kind, entry)
    return tables


def _table(name: str, kind: Literal["methadone", "patch"], entry: Mapping[str, Any]) -> Table:
    def number(key: str) -> Decimal | None:
        return Decimal(entry[key]) if key in entry else None

    bands = tuple(
        Band(
            Decimal(band["from"]),
            **{
                key: Decimal(band[key])
                for key in ("ratio", "older_ratio", "fixed", "rate")
                if key in band
            },
        )
        for band in entry.get("bands", ())
    )
    formula_keys = (
        "divisor",
        "base",
        "first_weight",
        "second_weight",
        "angle_degrees",
        "first_edge",
        "second_edge",
        "power",
    )
    formula = {key: Decimal(entry[key]) for key in formula_keys} if "divisor" in entry else None
    cap_low, cap_high = number("cap_low"), number("cap_high")
    return Table(
        name=name,
        kind=kind,
        title=str(entry["title"]),
        source=str(entry["source"]),
        low_confidence=bool(entry["low_confidence"]),
        edges=str(entry["edges"]),
        bands=bands,
        end=number("to"),
        cut=str(entry.get("cut", "none")),
        older_age=entry.get("older_age"),
        cap=None if cap_low is None or cap_high is None else (cap_low, cap_high),
        per_mg=number("per_mg"),
        formula=formula,
    )


# --- edges and Fudin's formula ------------------------------------------------------


def _margin() -> Decimal:
    """Within this fraction of a band edge (twice it near Fudin's steps) a conversion warns."""
    return Decimal(load_data("rotation.toml")["edge_margin_percent"]) / 100


def near_edge(chosen: Table, mme: Decimal) -> str | None:
    edges = [band.start for band in chosen.bands[1:]]
    if chosen.end is not None:
        edges.append(chosen.end)
    margin = _margin()
    for edge in edges:
        if abs(mme - edge) <= edge * margin:
            return (
                f"{format_decimal(mme)} mg/day is near the table's edge at {format_decimal(edge)} "
                f"mg/day, where the {chosen.kind} dose changes in a step: a small difference in "
                "the current dose changes the result; check it against another table"
            )
    return None


def near_formula_edge(mme: Decimal, formula: Mapping[str, Decimal]) -> str | None:
    margin = _margin() * 2
    for edge in (formula["first_edge"], formula["second_edge"]):
        if abs(mme - edge) <= edge * margin:
            return (
                f"{format_decimal(mme)} mg/day is near {format_decimal(edge)} mg/day, where Fudin's "
                "formula steps: more morphine can give less methadone there; check it against "
                "another table"
            )
    return None


def shadowed(chosen: Table, band: Band, amount: Decimal, *, older: bool) -> str | None:
    """Whether a lower current dose, below one of the table's edges, gets more methadone
    than ``amount``: then name that edge (the highest such dose comes just below it)."""
    worst: tuple[Decimal, Decimal] | None = None
    for earlier, following in zip(chosen.bands, chosen.bands[1:], strict=False):
        if earlier.start >= band.start:
            break
        ratio = earlier.older_ratio if older and earlier.older_ratio is not None else earlier.ratio
        if ratio is None:
            continue
        best = following.start / ratio
        if best > amount and (worst is None or best > worst[1]):
            worst = (following.start, best)
    if worst is None:
        return None
    edge, best = worst
    return (
        f"this table gives less methadone here ({format_decimal(amount.quantize(_CENT))} mg/day) "
        f"than just below its edge at {format_decimal(edge)} mg/day of morphine (up to "
        f"{format_decimal(best.quantize(_CENT))} mg/day): a lower current dose would get more; "
        "check it against another table"
    )


def formula_shadow(mme: Decimal, amount: Decimal, formula: Mapping[str, Decimal]) -> str | None:
    """As :func:`_shadowed`, for Fudin's formula: its highest doses just below each step."""
    for edge, peak_at, peak in _formula_peaks(tuple(sorted(formula.items()))):
        if mme > peak_at and amount < peak:
            return (
                f"Fudin's formula gives less methadone here ({format_decimal(amount.quantize(_CENT))} "
                f"mg/day) than below its step at {format_decimal(edge)} mg/day of morphine (up to "
                f"{format_decimal(peak.quantize(_CENT))} mg/day at {format_decimal(peak_at)}): a lower "
                "current dose would get more; check it against another table"
            )
    return None


@cache
def _formula_peaks(
    items: tuple[tuple[str, Decimal], ...],
) -> tuple[tuple[Decimal, Decimal, Decimal], ...]:
    """The formula's local highest dose below each step, found on a 0.5 mg/day grid."""
    formula = dict(items)
    peaks = []
    for edge in (formula["first_edge"], formula["second_edge"]):
        grid = [
            edge * Decimal("0.6") + Decimal(step) / 2
            for step in range(int(edge * Decimal("0.8")) + 1)
        ]
        best = max(grid, key=lambda point: fudin(point, formula))
        peaks.append((edge, best, fudin(best, formula)))
    return tuple(peaks)


_CENT = Decimal("0.01")


def fudin(mme: Decimal, formula: Mapping[str, Decimal]) -> Decimal:
    """Fudin's expression, with its angles in degrees (the one public Python version
    passes degrees to a sine that takes radians, and gives up to a quarter more)."""
    with decimal.localcontext() as context:
        context.prec = 40
        context.Emax = 999_999
        power = int(formula["power"])
        first = formula["angle_degrees"] / ((formula["first_edge"] / mme) ** power + 1)
        second = formula["angle_degrees"] / ((formula["second_edge"] / mme) ** power + 1)
        value = (
            mme
            / formula["divisor"]
            * (
                formula["base"]
                - formula["first_weight"] * _sin_degrees(first)
                - formula["second_weight"] * _sin_degrees(second)
            )
        )
    return +value


_PI = Decimal("3.141592653589793238462643383279502884197")


def _sin_degrees(degrees: Decimal) -> Decimal:
    """sin of an angle of 0 to 90 degrees, by its Taylor series (exact to the context)."""
    x = degrees * _PI / 180
    term, total, n = x, x, 1
    while abs(term) > Decimal("1e-35"):
        term = -term * x * x / ((2 * n) * (2 * n + 1))
        total += term
        n += 1
    return total

"""Opioid withdrawal scales: COWS, SOWS (Handelsman) and SOWS (Gossop).

The items, the only scores each item may take, the totals and the bands live
in ``data/scales.toml`` with their sources (clinical reference §5). Scoring
checks every answer and refuses the whole set at once, naming each bad item
with its legal scores, so a form or a command line can show all mistakes
together. A band is the scale's published range for a total: a consideration
for the clinician, never a diagnosis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, Literal, cast

import attrs
from attrs import validators as v

from taperplan._data import load_data
from taperplan._reading import close_to, did_you_mean
from taperplan.errors import (
    CatalogueError,
    InvalidScoreError,
    Problem,
)

Rater = Literal["clinician", "patient"]


def _legal(values: Iterable[int]) -> str:
    return ", ".join(str(x) for x in values)


@attrs.frozen
class ScaleItem:
    """One item of a scale: its stable key, a short label and its legal scores."""

    key: str = attrs.field(validator=v.matches_re(r"[a-z][a-z0-9_]*"))
    label: str
    values: tuple[int, ...] = attrs.field(
        validator=[v.deep_iterable(v.and_(v.instance_of(int), v.ge(0))), v.min_len(2)],
    )

    @values.validator
    def _ascending_from_zero(
        self, _attribute: attrs.Attribute[tuple[int, ...]], value: tuple[int, ...]
    ) -> None:
        if value[0] != 0 or list(value) != sorted(set(value)):
            raise ValueError(f"{self.key}: legal scores must start at 0 and ascend: {value}")

    @property
    def maximum(self) -> int:
        """The highest score this item can take."""
        return self.values[-1]


@attrs.frozen
class Band:
    """A published severity range of totals, ``low`` to ``high`` inclusive."""

    low: int = attrs.field(validator=v.ge(0))
    high: int = attrs.field()
    label: str

    @high.validator
    def _not_below_low(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if value < self.low:
            raise ValueError(f"band {self.label!r}: high {value} is below low {self.low}")

    def __contains__(self, total: object) -> bool:
        return isinstance(total, int) and self.low <= total <= self.high

    def __str__(self) -> str:
        return self.label


@attrs.frozen
class ScaleResult:
    """A scored answer set: every item's score, the total, and its band.

    ``band`` is None for a scale without published bands (both SOWS forms):
    the total is reported as it is.
    """

    scale: str
    items: tuple[tuple[str, int], ...]
    total: int
    maximum: int
    band: Band | None
    source: str

    @property
    def answers(self) -> dict[str, int]:
        """The item scores as a new ``{key: score}`` dict, in the scale's order."""
        return dict(self.items)

    def __str__(self) -> str:
        band = f" ({self.band.label})" if self.band is not None else ""
        return f"{self.scale} {self.total}/{self.maximum}{band}"


@attrs.frozen
class Scale:
    """A withdrawal scale: items with legal scores, a maximum total, bands and a source."""

    key: str
    name: str
    rater: Rater = attrs.field(validator=v.in_(("clinician", "patient")))
    items: tuple[ScaleItem, ...] = attrs.field(validator=v.min_len(1))
    maximum: int
    source: str
    bands: tuple[Band, ...] = ()
    note: str = ""

    def __attrs_post_init__(self) -> None:
        # The data file states the maximum so a reviewer sees it; checking it
        # against the items catches a mistyped legal value (a max of 47, say).
        keys = [item.key for item in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.key}: duplicate item keys")
        top = sum(item.maximum for item in self.items)
        if top != self.maximum:
            raise ValueError(
                f"{self.key}: items sum to {top}, not the stated maximum {self.maximum}"
            )
        if self.bands:
            expected = 0
            for band in self.bands:
                if band.low != expected:
                    raise ValueError(
                        f"{self.key}: band {band.label!r} starts at {band.low}, not {expected}"
                    )
                expected = band.high + 1
            if expected != self.maximum + 1:
                raise ValueError(f"{self.key}: bands end at {expected - 1}, not {self.maximum}")

    def item(self, key: str) -> ScaleItem:
        """The item called ``key``.

        Raises:
            CatalogueError: for a key the scale does not have, with close matches.
        """
        for item in self.items:
            if item.key == key:
                return item
        close = close_to(key, [i.key for i in self.items], n=3)
        raise CatalogueError(f"{self.key} item", key, close)

    def band_for(self, total: int) -> Band | None:
        """The band that holds ``total``, or None for a scale without bands."""
        for band in self.bands:
            if total in band:
                return band
        return None

    def problems(self, answers: Mapping[str, object]) -> tuple[Problem, ...]:
        """Everything wrong with ``answers``: unknown, missing and illegal items."""
        problems: list[Problem] = []
        known = [item.key for item in self.items]
        for key in answers:
            if key not in known:
                fix = did_you_mean(
                    str(key), known, otherwise=f"use one of the items: {', '.join(known)}"
                )
                problems.append(Problem(str(key), f"not an item of {self.key}", fix))
        for item in self.items:
            fix = f"use one of {_legal(item.values)}"
            # None counts as unanswered: a form or CLI option left empty.
            if answers.get(item.key) is None:
                problems.append(Problem(item.key, "missing", fix))
                continue
            value = answers[item.key]
            # bool is an int in Python; True must not pass for a score of 1.
            if isinstance(value, bool) or not isinstance(value, int) or value not in item.values:
                problems.append(Problem(item.key, f"{value!r} is not a legal score", fix))
        return tuple(problems)

    def score(self, answers: Mapping[str, object]) -> ScaleResult:
        """Score one complete set of answers.

        Args:
            answers: ``{item key: score}`` for every item of the scale
                (a None score counts as missing).

        Returns:
            The scores in the scale's item order, the total and its band.

        Raises:
            InvalidScoreError: listing every missing, unknown or illegal item
                with the item's legal scores.
        """
        problems = self.problems(answers)
        if problems:
            raise InvalidScoreError(self.key, problems)
        # problems() has checked that every value is one of the item's ints.
        items = tuple((item.key, cast("int", answers[item.key])) for item in self.items)
        total = sum(score for _, score in items)
        return ScaleResult(
            scale=self.key,
            items=items,
            total=total,
            maximum=self.maximum,
            band=self.band_for(total),
            source=self.source,
        )


def _load_scale(entry: Mapping[str, Any]) -> Scale:
    return Scale(
        key=entry["key"],
        name=entry["name"],
        rater=entry["rater"],
        items=tuple(
            ScaleItem(key=i["key"], label=i["label"], values=tuple(i["values"]))
            for i in entry["item"]
        ),
        maximum=entry["maximum"],
        source=entry["source"],
        bands=tuple(
            Band(low=b["low"], high=b["high"], label=b["label"]) for b in entry.get("band", ())
        ),
        note=entry.get("note", ""),
    )


@cache
def scales() -> tuple[Scale, ...]:
    """Every packaged withdrawal scale (``cows``, ``sows``, ``sows-gossop``)."""
    return tuple(_load_scale(entry) for entry in load_data("scales.toml")["scale"])


def scale(key: str) -> Scale:
    """The packaged scale called ``key`` (``cows``, ``sows`` or ``sows-gossop``).

    Raises:
        CatalogueError: for an unknown scale, with close matches.
    """
    for candidate in scales():
        if candidate.key == key:
            return candidate
    raise CatalogueError("scale", key, close_to(key, [s.key for s in scales()], n=3))


def score_cows(**answers: int) -> ScaleResult:
    """Score the Clinical Opiate Withdrawal Scale (11 items, total 0 to 48, with bands).

    Example: ``score_cows(pulse=1, sweating=0, restlessness=1, pupils=1,
    bone_joint_aches=1, runny_nose_tearing=0, gi_upset=2, tremor=0,
    yawning=1, anxiety_irritability=1, gooseflesh=0)`` is 8, "mild".

    Raises:
        InvalidScoreError: naming every bad item and its legal scores.
    """
    return scale("cows").score(answers)


def score_sows(**answers: int) -> ScaleResult:
    """Score the Subjective Opiate Withdrawal Scale (Handelsman; 16 items scored 0 to 4, total 0 to 64, no bands).

    Raises:
        InvalidScoreError: naming every bad item and its legal scores.
    """
    return scale("sows").score(answers)


def score_sows_gossop(**answers: int) -> ScaleResult:
    """Score the Short Opiate Withdrawal Scale (Gossop; 10 items scored 0 to 3, total 0 to 30, no bands).

    Raises:
        InvalidScoreError: naming every bad item and its legal scores.
    """
    return scale("sows-gossop").score(answers)


def scale_result_to_dict(result: ScaleResult) -> dict[str, Any]:
    """A JSON-ready view: ``{"scale", "items", "total", "maximum", "band", "source"}``."""
    return {
        "scale": result.scale,
        "items": dict(result.items),
        "total": result.total,
        "maximum": result.maximum,
        "band": result.band.label if result.band is not None else None,
        "source": result.source,
    }

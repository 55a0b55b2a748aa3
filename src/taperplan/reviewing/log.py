"""The symptom log: one day's observations (a withdrawal-scale result, pain, signs) per entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeAlias

import attrs
from attrs import validators as v

from taperplan.errors import InvalidScoreError, Problem
from taperplan.reviewing.scales import Band, ScaleResult, scale


def _scale_key(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    scale(value)  # raises CatalogueError, with close matches


@attrs.frozen
class ScaleTotal:
    """A withdrawal-scale total recorded without its item scores.

    Build it with :meth:`of`, which checks the total against the scale; a
    full answer set is a :class:`~taperplan.ScaleResult` instead.
    """

    scale: str = attrs.field(validator=_scale_key)
    total: int
    maximum: int
    band: Band | None
    source: str

    @classmethod
    def of(cls, scale_key: str, total: int) -> ScaleTotal:
        """The total ``total`` of the packaged scale ``scale_key``.

        Raises:
            CatalogueError: for an unknown scale.
            InvalidScoreError: when ``total`` is not a whole number from 0 to
                the scale's maximum.
        """
        found = scale(scale_key)
        if isinstance(total, bool) or not isinstance(total, int) or not 0 <= total <= found.maximum:
            raise InvalidScoreError(
                scale_key,
                [
                    Problem(
                        "total",
                        f"{total!r} is not a whole number from 0 to {found.maximum}",
                        f"give the total from 0 to {found.maximum}",
                    )
                ],
            )
        return cls(
            scale=scale_key,
            total=total,
            maximum=found.maximum,
            band=found.band_for(total),
            source=found.source,
        )

    def __str__(self) -> str:
        band = f" ({self.band.label})" if self.band is not None else ""
        return f"{self.scale} {self.total}/{self.maximum}{band}"


#: A scale recorded in a log entry: every item scored, or only the total.
ScaleReading: TypeAlias = ScaleResult | ScaleTotal


def _is_day(_instance: object, attribute: attrs.Attribute[dt.date], value: object) -> None:
    # A datetime is a date in Python; a log entry is about a whole day.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError(f"{attribute.name} must be a datetime.date, not {type(value).__name__}")


def _is_pain(_instance: object, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError(f"{attribute.name} must be a whole number from 0 to 10, not {value!r}")


_optional_bool = v.optional(v.instance_of(bool))


@attrs.frozen
class LogEntry:
    """What was observed on one day; every observation is optional.

    ``pain`` is on the 0–10 numeric scale; ``pain_site`` is free text
    compared case-insensitively with the log's first site; a boolean left
    None means "not asked" and never counts as evidence.
    """

    day: dt.date = attrs.field(validator=_is_day)
    scale: ScaleReading | None = attrs.field(
        default=None, validator=v.optional(v.instance_of((ScaleResult, ScaleTotal)))
    )
    pain: int | None = attrs.field(default=None, validator=_is_pain)
    pain_site: str | None = attrs.field(default=None, validator=v.optional(v.instance_of(str)))
    pain_spread: bool | None = attrs.field(default=None, validator=_optional_bool)
    allodynia: bool | None = attrs.field(default=None, validator=_optional_bool)
    craving: bool | None = attrs.field(default=None, validator=_optional_bool)
    loss_of_control: bool | None = attrs.field(default=None, validator=_optional_bool)
    notes: str = attrs.field(default="", validator=v.instance_of(str))


#: A symptom log: entries sorted by day (entries of one day keep their order).
SymptomLog: TypeAlias = tuple[LogEntry, ...]


def symptom_log(entries: Iterable[LogEntry]) -> SymptomLog:
    """The entries sorted by day; entries of the same day keep their order."""
    return tuple(sorted(entries, key=lambda entry: entry.day))

"""Reading regimens: TOML files, TOML text, and mappings (apps passing JSON).

Every problem is collected and raised at once in one
:class:`~taperplan.InvalidRegimenError`, each with its path
(``medication[1].dose``), what is wrong and how to fix it.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from taperplan._data import load_data
from taperplan._reading import (
    Problems,
    ReadRefused,
    did_you_mean,
    iso_date,
    read_limited,
    type_name,
    unknown_key_fix,
)
from taperplan.errors import (
    InvalidRegimenError,
    RegimenFileError,
)
from taperplan.formats._medication import MedicationReader
from taperplan.model.regimen import CONTEXT_FLAGS, Context, Medication, Regimen
from taperplan.reference.notices import Notice, notice
from taperplan.reference.paces import Pace, read_pace
from taperplan.reference.products import Form, catalogue
from taperplan.units import Quantity, Unit, format_decimal

#: Largest regimen file taperplan reads (a regimen is a few hundred bytes).
MAX_FILE_BYTES = 256 * 1024
#: Deepest nesting accepted in a mapping (a regimen needs four levels).
MAX_DEPTH = 8
#: Most medications in one regimen.
MAX_MEDICATIONS = 20

_TOP_KEYS = ("timezone", "context", "medication", "pace")
_CONTEXT_KEYS = ("on_opioids_since", "age", *CONTEXT_FLAGS)


def load_regimen(
    source: str | os.PathLike[str] | Mapping[str, Any], *, today: dt.date | None = None
) -> Regimen:
    """Load a regimen from a TOML file path or from a mapping.

    Args:
        source: a path to a TOML regimen file, or a mapping of the same shape
            (as an app would pass parsed JSON).
        today: the current date, to refuse an ``on_opioids_since`` in the
            future; taperplan never reads the clock itself.

    Raises:
        RegimenFileError: the file cannot be read as TOML.
        InvalidRegimenError: listing every problem in the content.
    """
    if isinstance(source, Mapping):
        return regimen_from_mapping(source, today=today)
    path = Path(source)
    name = str(path)
    try:
        data = read_limited(path, MAX_FILE_BYTES)
    except ReadRefused as refused:
        raise RegimenFileError(
            name,
            f"{refused.reason} (a regimen is a TOML text file of at most {MAX_FILE_BYTES} bytes)",
        ) from None
    except OSError as error:
        raise RegimenFileError(name, f"cannot read the file ({error.strerror or error})") from None
    return parse_regimen(data, today=today, source=name)


def parse_regimen(
    text: str | bytes, *, today: dt.date | None = None, source: str = "regimen"
) -> Regimen:
    """Parse regimen TOML text.

    Raises:
        RegimenFileError: not UTF-8 TOML (binary junk, syntax errors, too deep).
        InvalidRegimenError: listing every problem in the content.
    """
    if isinstance(text, bytes):
        if b"\x00" in text:
            raise RegimenFileError(source, "this is a binary file, not TOML text")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RegimenFileError(
                source, f"not UTF-8 text (byte {error.start}); save the file as UTF-8"
            ) from None
    if len(text) > MAX_FILE_BYTES:
        raise RegimenFileError(source, f"text is longer than {MAX_FILE_BYTES} characters")
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as error:
        raise RegimenFileError(source, f"not valid TOML: {error}") from None
    except RecursionError:
        raise RegimenFileError(source, "nested too deeply to be a regimen") from None
    return regimen_from_mapping(data, today=today, source=source)


def regimen_from_mapping(
    data: Mapping[str, Any], *, today: dt.date | None = None, source: str = "regimen"
) -> Regimen:
    """Build a regimen from a mapping shaped like the TOML file.

    Dates may be :class:`datetime.date` or ISO text; amounts are text with a
    unit (``"20 mg"``).

    Raises:
        InvalidRegimenError: listing every problem.
    """
    reader = _Reader(today=today)
    regimen = reader.regimen(data)
    if reader.problems or regimen is None:
        raise InvalidRegimenError(reader.problems, source=source)
    return regimen


def _depth(value: object, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, Mapping):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list | tuple):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


class _Reader:
    """Walks a regimen mapping, collecting every problem."""

    def __init__(self, today: dt.date | None) -> None:
        self.today = today
        # A field can be checked twice (the form, once for the product and once
        # on its own); Problems reports each problem once.
        self.problems = Problems()
        self.notices: list[Notice] = []
        self.medication_reader = MedicationReader(self.problems, self.notices)

    def add(self, path: str, message: str, fix: str = "") -> None:
        self.problems.add(path, message, fix)

    # -- top level ---------------------------------------------------------------

    def regimen(self, data: object) -> Regimen | None:
        if not isinstance(data, Mapping):
            self.add(
                "",
                f"a regimen must be a table, not {type_name(data)}",
                "see the regimen file reference",
            )
            return None
        deep = [str(key) for key, value in data.items() if _depth(value, 1) > MAX_DEPTH]
        if deep:
            for key in deep:
                self.add(
                    key,
                    f"nested more than {MAX_DEPTH} levels deep",
                    "a regimen needs at most four levels",
                )
            return None
        for key in data:
            if key not in _TOP_KEYS:
                self.add(str(key), "unknown key", unknown_key_fix(str(key), _TOP_KEYS))
        zone = self.timezone(data.get("timezone"))
        context = self.context(data.get("context"))
        medications = self.medications(data.get("medication"))
        pace = self.pace(data.get("pace"))
        if pace is not None and pace.reduction is not None and medications:
            pace = self.reduction_in_dose_units(pace, pace.reduction, medications)
        if self.problems or context is None:
            return None
        self.regimen_notices(medications)
        return Regimen(
            medications=tuple(medications),
            timezone=zone,
            context=context,
            pace=pace,
            notices=tuple(dict.fromkeys(self.notices)),
        )

    def timezone(self, value: object) -> zoneinfo.ZoneInfo | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(
                "timezone",
                f"must be text, not {type_name(value)}",
                'an IANA zone such as "America/New_York"',
            )
            return None
        legacy = legacy_zone_fix(value)
        if legacy is not None:
            self.add(
                "timezone",
                f"{value!r} is a legacy zone: a fixed offset or an old rule, not a place's clock",
                f"use {legacy}",
            )
            return None
        try:
            return zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            zones = sorted(zoneinfo.available_timezones())
            fix = did_you_mean(value, zones, otherwise='an IANA zone such as "Europe/London"')
            self.add("timezone", f"{value!r} is not a known time zone", fix)
            return None

    def pace(self, value: object) -> Pace | None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.add("pace", f"must be a table, not {type_name(value)}", "[pace] with preset = ...")
            return None
        pace, problems = read_pace(value)
        self.problems.extend(problems)
        return pace

    def reduction_in_dose_units(
        self, pace: Pace, reduction: Quantity, medications: list[Medication]
    ) -> Pace:
        """``pace`` with its fixed ``reduction`` in the unit of the regimen's doses (mg, or
        mcg/h for patches): "1500 mcg" becomes "1.5 mg". A reduction in another dimension
        ("15 mcg/h" for tablets, "5 mL") is a problem, not a number of milligrams."""
        units = sorted({m.dose_unit for m in medications}, key=lambda unit: unit.value)
        if len({unit.dimension for unit in units}) > 1:
            self.add(
                "pace.reduction",
                f"a fixed reduction of {reduction} cannot apply to both patches (mcg/h) and "
                "doses in mg",
                "give percent instead of reduction",
            )
            return pace
        (unit,) = units
        if reduction.unit.dimension is not unit.dimension:
            example = "25 mcg/h" if unit is Unit.MCG_PER_H else "15 mg"
            self.add(
                "pace.reduction",
                f"{reduction} is not an amount of the regimen's doses, which are in {unit.value}",
                f'write it in {unit.value}, e.g. reduction = "{example}"',
            )
            return pace
        return attrs.evolve(pace, reduction=reduction.to(unit))

    # -- context -----------------------------------------------------------------

    def context(self, value: object) -> Context | None:
        if value is None:
            return Context()
        if not isinstance(value, Mapping):
            self.add(
                "context",
                f"must be a table, not {type_name(value)}",
                "[context] with keys such as age = 70",
            )
            return None
        fields: dict[str, Any] = {}
        for key, item in value.items():
            path = f"context.{key}"
            if key not in _CONTEXT_KEYS:
                self.add(path, "unknown context key", unknown_key_fix(str(key), _CONTEXT_KEYS))
            elif key == "on_opioids_since":
                fields[key] = self.date(path, item)
            elif key == "age":
                if isinstance(item, bool) or not isinstance(item, int):
                    self.add(
                        path,
                        f"must be a whole number, not {type_name(item)}",
                        "age in years, e.g. age = 67",
                    )
                elif not 0 <= item <= 120:
                    self.add(path, f"{item} is not a plausible age", "age in years from 0 to 120")
                else:
                    fields[key] = item
            elif not isinstance(item, bool):
                self.add(path, f"must be true or false, not {type_name(item)}", f"{key} = true")
            else:
                fields[key] = item
        return Context(**fields)

    def date(self, path: str, value: object) -> dt.date | None:
        if isinstance(value, dt.datetime):
            self.add(path, "must be a date without a time", "e.g. 2021-03-01")
            return None
        if isinstance(value, str):
            day = iso_date(value)
            if day is None:
                self.add(path, f"{value!r} is not a date", "write YYYY-MM-DD, e.g. 2021-03-01")
                return None
            value = day
        if not isinstance(value, dt.date):
            self.add(
                path,
                f"must be a date, not {type_name(value)}",
                "write YYYY-MM-DD, e.g. 2021-03-01",
            )
            return None
        if self.today is not None and value > self.today:
            self.add(
                path,
                f"{value.isoformat()} is in the future (today is {self.today.isoformat()})",
                "give the date opioid use began",
            )
            return None
        return value

    # -- medications -------------------------------------------------------------

    def medications(self, value: object) -> list[Medication]:
        if value is None:
            self.add("medication", "no medication given", "add at least one [[medication]] table")
            return []
        if isinstance(value, Mapping):
            value = [value]
        if not isinstance(value, list):
            self.add(
                "medication",
                f"must be a list of tables, not {type_name(value)}",
                "use [[medication]] tables",
            )
            return []
        if not value:
            self.add("medication", "is empty", "add at least one [[medication]] table")
            return []
        if len(value) > MAX_MEDICATIONS:
            self.add(
                "medication",
                f"{len(value)} medications; taperplan plans at most {MAX_MEDICATIONS}",
                "split the regimen",
            )
            return []
        result = []
        for index, entry in enumerate(value):
            medication = self.medication_reader.medication(index, entry)
            if medication is not None:
                result.append(medication)
        return result

    # -- whole-regimen notices ---------------------------------------------------

    def regimen_notices(self, medications: list[Medication]) -> None:
        for index, medication in enumerate(medications):
            caution = medication.product.caution
            if medication.form is Form.ORAL_SOLUTION and caution:
                self.notices.append(notice("solution-measure", index=index, caution=caution))
        acetaminophen = [
            m.acetaminophen_per_day for m in medications if m.acetaminophen_per_day is not None
        ]
        if acetaminophen:
            total = sum((a.amount for a in acetaminophen), Quantity(0, Unit.MG).amount)
            if total > catalogue().acetaminophen_max_daily.amount:
                self.notices.append(notice("acetaminophen-over-4g", amount=format_decimal(total)))


def legacy_zone_fix(name: str) -> str | None:
    """The zone to use instead of a legacy one (``EST``, ``PST8PDT``, ``Etc/GMT+5``,
    ``data/zones.toml``), or None for a zone of a place."""
    zones = load_data("zones.toml")
    fix: str | None = zones["legacy"].get(name)
    if fix is None and name.startswith(zones["fixed"]["prefix"]) and name != "Etc/GMT":
        fix = zones["fixed"]["fix"]
    return fix

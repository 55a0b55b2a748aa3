"""Reading regimens: TOML files, TOML text, and mappings (apps passing JSON).

Every problem is collected and raised at once in one
:class:`~taperplan.InvalidRegimenError`, each with its path
(``medication[1].dose``), what is wrong and how to fix it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from taperplan._reading import close_to, did_you_mean, iso_date
from taperplan.errors import (
    CatalogueError,
    InvalidRegimenError,
    Problem,
    QuantityError,
    RegimenFileError,
)
from taperplan.model.regimen import CONTEXT_FLAGS, Administration, Context, Medication, Regimen
from taperplan.reference.notices import Notice, notice
from taperplan.reference.paces import Pace, read_pace
from taperplan.reference.products import Combination, Form, Product, catalogue
from taperplan.units import Quantity, Unit, format_decimal

#: Largest regimen file taperplan reads (a regimen is a few hundred bytes).
MAX_FILE_BYTES = 256 * 1024
#: Deepest nesting accepted in a mapping (a regimen needs four levels).
MAX_DEPTH = 8
#: Most medications in one regimen.
MAX_MEDICATIONS = 20
#: Most administration times per day for one medication.
MAX_TIMES = 12
#: Longest interval between doses, in days.
MAX_EVERY_DAYS = 14

_TOP_KEYS = ("timezone", "context", "medication", "pace")
_MED_KEYS = (
    "drug",
    "form",
    "strength",
    "dose",
    "doses",
    "times",
    "every_days",
    "combination",
    "available",
    "split",
    "resolution",
    "indication",
)
_CONTEXT_KEYS = ("on_opioids_since", "age", *CONTEXT_FLAGS)
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


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
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise RegimenFileError(
                name, f"file is {size} bytes; a regimen file is at most {MAX_FILE_BYTES}"
            )
        data = path.read_bytes()
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


def _type_name(value: object) -> str:
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _suggest(key: str, known: Sequence[str]) -> str:
    lowered = key.lower()
    close = (
        close_to(lowered, known)
        or [k for k in known if len(lowered) >= 3 and k.startswith(lowered[:4])][:1]
    )
    if close:
        return f"did you mean {close[0]!r}?"
    return f"use one of {', '.join(known)}"


class _Reader:
    """Walks a regimen mapping, collecting every problem."""

    def __init__(self, today: dt.date | None) -> None:
        self.today = today
        self.problems: list[Problem] = []
        self.notices: list[Notice] = []

    def add(self, path: str, message: str, fix: str = "") -> None:
        problem = Problem(path, message, fix)
        # A field can be checked twice (the form, once for the product and once
        # on its own); report each problem once.
        if problem not in self.problems:
            self.problems.append(problem)

    # -- top level ---------------------------------------------------------------

    def regimen(self, data: object) -> Regimen | None:
        if not isinstance(data, Mapping):
            self.add(
                "",
                f"a regimen must be a table, not {_type_name(data)}",
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
                self.add(str(key), "unknown key", _suggest(str(key), _TOP_KEYS))
        zone = self.timezone(data.get("timezone"))
        context = self.context(data.get("context"))
        medications = self.medications(data.get("medication"))
        pace = self.pace(data.get("pace"))
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
                f"must be text, not {_type_name(value)}",
                'an IANA zone such as "America/New_York"',
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
            self.add(
                "pace", f"must be a table, not {_type_name(value)}", "[pace] with preset = ..."
            )
            return None
        pace, problems = read_pace(value)
        self.problems.extend(problems)
        return pace

    # -- context -----------------------------------------------------------------

    def context(self, value: object) -> Context | None:
        if value is None:
            return Context()
        if not isinstance(value, Mapping):
            self.add(
                "context",
                f"must be a table, not {_type_name(value)}",
                "[context] with keys such as age = 70",
            )
            return None
        fields: dict[str, Any] = {}
        for key, item in value.items():
            path = f"context.{key}"
            if key not in _CONTEXT_KEYS:
                self.add(path, "unknown context key", _suggest(str(key), _CONTEXT_KEYS))
            elif key == "on_opioids_since":
                fields[key] = self.date(path, item)
            elif key == "age":
                if isinstance(item, bool) or not isinstance(item, int):
                    self.add(
                        path,
                        f"must be a whole number, not {_type_name(item)}",
                        "age in years, e.g. age = 67",
                    )
                elif not 0 <= item <= 120:
                    self.add(path, f"{item} is not a plausible age", "age in years from 0 to 120")
                else:
                    fields[key] = item
            elif not isinstance(item, bool):
                self.add(path, f"must be true or false, not {_type_name(item)}", f"{key} = true")
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
                f"must be a date, not {_type_name(value)}",
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
                f"must be a list of tables, not {_type_name(value)}",
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
            medication = self.medication(index, entry)
            if medication is not None:
                result.append(medication)
        return result

    def medication(self, index: int, entry: object) -> Medication | None:
        path = f"medication[{index}]"
        if not isinstance(entry, Mapping):
            self.add(
                path, f"must be a table, not {_type_name(entry)}", "use a [[medication]] table"
            )
            return None
        count_before = len(self.problems)
        for key in entry:
            if key not in _MED_KEYS:
                self.add(f"{path}.{key}", "unknown key", _suggest(str(key), _MED_KEYS))
        product = self.product(path, entry, index)
        form = product.form if product else self.form(path, entry.get("form"))
        strengths = self.strengths(path, entry.get("strength"), form, product, index)
        times = self.times(path, entry.get("times"), form)
        every_days = self.every_days(path, entry.get("every_days"), product, index)
        amounts = self.doses(path, entry, times, form, strengths)
        available = self.available(path, entry.get("available"), form, product, index)
        resolution = self.resolution(path, entry.get("resolution"), form)
        split = entry.get("split")
        if split is not None and not isinstance(split, bool):
            self.add(
                f"{path}.split", f"must be true or false, not {_type_name(split)}", "split = false"
            )
            split = None
        indication = entry.get("indication", "pain")
        if indication not in ("pain", "oud"):
            self.add(
                f"{path}.indication",
                f"{indication!r} is not an indication",
                '"pain" or "oud" (opioid use disorder)',
            )
        if product is None or len(self.problems) > count_before or form is None:
            return None
        if split is not None:
            if split and not form.can_split:
                self.add(
                    f"{path}.split",
                    f"{form.value} units are never split",
                    "remove split or set split = false",
                )
                return None
            if split != product.splittable:
                self.notices.append(
                    notice(
                        "split-override",
                        index=index,
                        split=str(split).lower(),
                        product=product.name,
                    )
                )
            product = product.with_split(split)
        assert strengths is not None  # noqa: S101 - no problems means it was read
        assert amounts is not None  # noqa: S101
        assert times is not None  # noqa: S101
        # Labelled strengths count as what they deliver (the 12 mcg/h fentanyl patch
        # delivers 12.5): strengths, available strengths and doses alike.
        if product.labels:
            strengths = tuple(sorted({product.from_label(s) for s in strengths}, key=_amount))
            if available is not None:
                available = tuple(sorted({product.from_label(s) for s in available}, key=_amount))
            amounts = [product.delivered(a, strengths) for a in amounts]
        medication = Medication(
            product=product,
            strengths=strengths,
            administrations=tuple(
                Administration(t, a) for t, a in zip(times, amounts, strict=True)
            ),
            every_days=every_days,
            available=available,
            combination=self.combination_of(path, entry, product),
            resolution=resolution,
            indication=indication,
        )
        stated = medication.stated_unit_set
        for position, administration in enumerate(medication.administrations):
            if not stated.can_make(administration.amount):
                where = f"{path}.doses[{position}]" if "doses" in entry else f"{path}.dose"
                self.add(
                    where,
                    f"{administration.amount} cannot be made from {', '.join(map(str, strengths))} "
                    f"{product.name} units{self.split_rule(product)}",
                    _unmakeable_fix(product.form),
                )
                return None
        return medication

    @staticmethod
    def split_rule(product: Product) -> str:
        if product.form is Form.ORAL_SOLUTION:
            return " at the syringe resolution"
        if product.form.extended_release or product.form is Form.PATCH:
            return f" ({product.form.value} is never split)"
        return " (halves allowed)" if product.splittable else " (not split)"

    def form(self, path: str, value: object) -> Form | None:
        if value is None:
            self.add(f"{path}.form", "missing", "one of " + ", ".join(f.value for f in Form))
            return None
        try:
            return Form(value)
        except ValueError:
            names = [f.value for f in Form]
            self.add(f"{path}.form", f"{value!r} is not a form", _suggest(str(value), names))
            return None

    def product(self, path: str, entry: Mapping[str, Any], index: int) -> Product | None:
        drug_name = entry.get("drug")
        if drug_name is None:
            self.add(f"{path}.drug", "missing", 'the generic name, e.g. drug = "oxycodone"')
            return None
        if not isinstance(drug_name, str):
            self.add(
                f"{path}.drug",
                f"must be text, not {_type_name(drug_name)}",
                'e.g. drug = "oxycodone"',
            )
            return None
        try:
            drug = catalogue().opioid(drug_name)
        except CatalogueError as error:
            fix = (
                f"did you mean {' or '.join(map(repr, error.suggestions))}?"
                if error.suggestions
                else ("one of " + ", ".join(o.name for o in catalogue().opioids))
            )
            self.add(f"{path}.drug", f"unknown drug {drug_name!r}", fix)
            return None
        form = self.form(path, entry.get("form"))
        if form is None:
            return None
        combination = entry.get("combination")
        if combination is not None and not isinstance(combination, str):
            self.add(
                f"{path}.combination",
                f"must be text, not {_type_name(combination)}",
                '"acetaminophen 325 mg"',
            )
            return None
        try:
            if combination is not None:
                Combination.parse(combination)
            return catalogue().product(drug, form, combination)
        except QuantityError as error:
            self.add(f"{path}.combination", str(error), 'e.g. combination = "acetaminophen 325 mg"')
            return None
        except CatalogueError as error:
            if error.kind == "combination ingredient":
                self.add(
                    f"{path}.combination", str(error), "taperplan tracks acetaminophen combinations"
                )
                return None
            families = [p for p in catalogue().products_for(drug) if p.form is form]
            if combination is None and len(families) == 1 and families[0].combination is not None:
                product = families[0]
                self.notices.append(
                    notice(
                        "acetaminophen-assumed",
                        index=index,
                        drug=drug.name,
                        form=form.value,
                        combination=str(product.combination),
                    )
                )
                return product
            known = ", ".join(error.suggestions) or "none"
            self.add(
                f"{path}.form",
                f"taperplan has no {error.name} product",
                f"forms known for {drug.name}: {known}",
            )
            return None

    def quantity(
        self, path: str, value: object, allowed: Sequence[Unit], example: str
    ) -> Quantity | None:
        if not isinstance(value, str):
            self.add(
                path, f"must be text with a unit, not {_type_name(value)}", f'e.g. "{example}"'
            )
            return None
        try:
            quantity = Quantity.parse(value)
        except QuantityError as error:
            self.add(path, error.reason if error.text == value else str(error), f'e.g. "{example}"')
            return None
        if quantity.unit not in allowed:
            units = " or ".join(u.value for u in allowed)
            self.add(
                path,
                f"{value!r} is in {quantity.unit.value}; expected {units}",
                f'e.g. "{example}"',
            )
            return None
        if quantity.is_zero():
            self.add(path, "must be more than zero", f'e.g. "{example}"')
            return None
        return quantity

    def strengths(
        self, path: str, value: object, form: Form | None, product: Product | None, index: int
    ) -> tuple[Quantity, ...] | None:
        if form is None:
            return None
        if value is None:
            self.add(
                f"{path}.strength", "missing", f'the strength per unit, e.g. "{_example(form)}"'
            )
            return None
        items = value if isinstance(value, list) else [value]
        if not items:
            self.add(f"{path}.strength", "is empty", f'e.g. "{_example(form)}"')
            return None
        result = []
        for position, item in enumerate(items):
            where = f"{path}.strength" + (f"[{position}]" if isinstance(value, list) else "")
            quantity = self.quantity(where, item, [form.strength_unit], _example(form))
            if quantity is not None:
                result.append(quantity)
                self.check_listed(quantity, product, index)
        if len(result) != len(items):
            return None
        return tuple(sorted(set(result), key=lambda q: q.amount))

    def check_listed(self, strength: Quantity, product: Product | None, index: int) -> None:
        if product is not None and product.from_label(strength) not in product.strengths:
            known = ", ".join(map(product.label, product.strengths))
            self.notices.append(
                notice(
                    "strength-not-in-catalogue",
                    index=index,
                    strength=str(strength),
                    product=product.name,
                    known=known,
                )
            )

    def available(
        self, path: str, value: object, form: Form | None, product: Product | None, index: int
    ) -> tuple[Quantity, ...] | None:
        if value is None or form is None:
            return None
        if not isinstance(value, list) or not value:
            self.add(
                f"{path}.available",
                "must be a non-empty list of strengths",
                f'e.g. ["{_example(form)}"]',
            )
            return None
        result = []
        for position, item in enumerate(value):
            quantity = self.quantity(
                f"{path}.available[{position}]", item, [form.strength_unit], _example(form)
            )
            if quantity is not None:
                result.append(quantity)
                self.check_listed(quantity, product, index)
        return (
            tuple(sorted(set(result), key=lambda q: q.amount))
            if len(result) == len(value)
            else None
        )

    def resolution(self, path: str, value: object, form: Form | None) -> Quantity | None:
        if value is None:
            return None
        if form is not Form.ORAL_SOLUTION:
            self.add(f"{path}.resolution", "applies only to oral_solution", "remove it")
            return None
        return self.quantity(f"{path}.resolution", value, [Unit.ML], "0.1 mL")

    def times(self, path: str, value: object, form: Form | None) -> list[dt.time] | None:
        where = f"{path}.times"
        if value is None:
            self.add(where, "missing", 'local wall-clock times, e.g. times = ["08:00", "20:00"]')
            return None
        if not isinstance(value, list) or not value:
            self.add(
                where, "must be a non-empty list of HH:MM times", 'e.g. times = ["08:00", "20:00"]'
            )
            return None
        if len(value) > MAX_TIMES:
            self.add(where, f"{len(value)} times a day; at most {MAX_TIMES}", "check the list")
            return None
        result: list[dt.time] = []
        ok = True
        for position, raw in enumerate(value):
            item = raw
            if isinstance(raw, dt.time):
                item = raw.strftime("%H:%M") if not raw.second else raw.isoformat()
            if not isinstance(item, str) or not _TIME_RE.match(item):
                self.add(
                    f"{where}[{position}]",
                    f"{item!r} is not a time of day",
                    'write 24-hour HH:MM, e.g. "08:00"',
                )
                ok = False
                continue
            hour, minute = item.split(":")
            result.append(dt.time(int(hour), int(minute)))
        if not ok:
            return None
        if len(set(result)) != len(result):
            seen = sorted({t.strftime("%H:%M") for t in result if result.count(t) > 1})
            self.add(
                where,
                f"{', '.join(seen)} listed more than once",
                "give each time once; use doses for uneven amounts",
            )
            return None
        if form is Form.PATCH and len(result) != 1:
            self.add(
                where,
                "a patch regimen has one time (when the patch is changed)",
                'e.g. times = ["09:00"]',
            )
            return None
        return result

    def every_days(self, path: str, value: object, product: Product | None, index: int) -> int:
        default = (product.change_days if product else None) or 1
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(
                f"{path}.every_days",
                f"must be a whole number, not {_type_name(value)}",
                "e.g. every_days = 1",
            )
            return default
        if not 1 <= value <= MAX_EVERY_DAYS:
            self.add(
                f"{path}.every_days",
                f"{value} is out of range",
                f"a whole number of days from 1 to {MAX_EVERY_DAYS}",
            )
            return default
        if product is not None and product.change_days and value != product.change_days:
            self.notices.append(
                notice(
                    "patch-interval-unusual",
                    index=index,
                    product=product.name,
                    usual=product.change_days,
                    every=value,
                )
            )
        return value

    def doses(
        self,
        path: str,
        entry: Mapping[str, Any],
        times: list[dt.time] | None,
        form: Form | None,
        strengths: tuple[Quantity, ...] | None,
    ) -> list[Quantity] | None:
        has_dose, has_doses = "dose" in entry, "doses" in entry
        if has_dose and has_doses:
            self.add(
                f"{path}.doses",
                "both dose and doses given",
                "use dose for equal amounts or doses for one per time",
            )
            return None
        if not has_dose and not has_doses:
            self.add(f"{path}.dose", "missing", 'the amount per time, e.g. dose = "20 mg"')
            return None
        if form is None:
            return None
        allowed = [form.dose_unit] + ([Unit.ML] if form is Form.ORAL_SOLUTION else [])
        example = "50 mcg/h" if form is Form.PATCH else "20 mg"
        if has_dose:
            one = self.quantity(f"{path}.dose", entry["dose"], allowed, example)
            amounts = None if one is None else [one] * (len(times) if times else 1)
        else:
            raw = entry["doses"]
            if not isinstance(raw, list) or not raw:
                self.add(
                    f"{path}.doses",
                    "must be a non-empty list",
                    f'e.g. doses = ["{example}", "{example}"]',
                )
                return None
            parsed = [
                self.quantity(f"{path}.doses[{i}]", item, allowed, example)
                for i, item in enumerate(raw)
            ]
            if any(q is None for q in parsed):
                return None
            amounts = [q for q in parsed if q is not None]
            if times is not None and len(amounts) != len(times):
                self.add(
                    f"{path}.doses",
                    f"{len(amounts)} doses for {len(times)} times",
                    "give one dose per time",
                )
                return None
        if amounts is None:
            return None
        if any(a.unit is Unit.ML for a in amounts):
            if not strengths:
                return None
            if len(strengths) != 1:
                self.add(
                    f"{path}.dose",
                    "a dose in mL needs exactly one concentration",
                    "state the dose in mg",
                )
                return None
            amounts = [a * strengths[0] if a.unit is Unit.ML else a for a in amounts]
        for position, amount in enumerate(amounts):
            try:
                amount.check_plausible()
            except QuantityError as error:
                where = f"{path}.doses[{position}]" if has_doses else f"{path}.dose"
                self.add(where, f"{amount}: {error.reason}", "check the dose and its unit")
                return None
        return amounts

    def combination_of(
        self, path: str, entry: Mapping[str, Any], product: Product
    ) -> Combination | None:
        text = entry.get("combination")
        if text is None:
            return product.combination
        try:
            return Combination.parse(text)
        except (CatalogueError, QuantityError) as error:  # pragma: no cover - checked in product()
            self.add(f"{path}.combination", str(error), '"acetaminophen 325 mg"')
            return None

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


def _amount(quantity: Quantity) -> Decimal:
    return quantity.amount


def _unmakeable_fix(form: Form) -> str:
    if form is Form.PATCH:
        return 'state every patch strength worn (strength = ["50 mcg/h", "25 mcg/h"]) or correct the dose'
    if form is Form.ORAL_SOLUTION:
        return 'give a dose that measures to the syringe resolution, or set resolution = "0.1 mL"'
    return (
        'state the strength(s) the patient has (strength = ["30 mg", "15 mg"]) or correct the dose'
    )


def _example(form: Form) -> str:
    return {Unit.MG: "20 mg", Unit.MG_PER_ML: "5 mg/mL", Unit.MCG_PER_H: "25 mcg/h"}[
        form.strength_unit
    ]

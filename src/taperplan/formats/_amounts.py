"""Reading the amounts of a regimen file's medication: strengths and doses with their
units, the times of day and the dosing interval."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from taperplan._reading import Problems, type_name
from taperplan.errors import QuantityError
from taperplan.reference.notices import Notice, notice
from taperplan.reference.products import Form, Product
from taperplan.units import Quantity, Unit

#: Most administration times per day for one medication.
MAX_TIMES = 12
#: Longest interval between doses, in days.
MAX_EVERY_DAYS = 14
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class AmountReader:
    """Reads amounts, times and intervals, noting every problem in ``problems``
    and every notice in ``notices``."""

    def __init__(self, problems: Problems, notices: list[Notice]) -> None:
        self.problems = problems
        self.notices = notices

    def add(self, path: str, message: str, fix: str = "") -> None:
        self.problems.add(path, message, fix)

    def quantity(
        self, path: str, value: object, allowed: Sequence[Unit], example: str
    ) -> Quantity | None:
        if not isinstance(value, str):
            self.add(path, f"must be text with a unit, not {type_name(value)}", f'e.g. "{example}"')
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
                f"must be a whole number, not {type_name(value)}",
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

"""The directions (Sig) for one product strength on the days of one step.

In the plain words a pharmacy label uses, from ``[sig]`` of
``data/wording.toml``: ``Take by mouth: 1½ tablets at 08:00 and 1 tablet at
20:00, every day``; ``Apply to the skin: 1 patch at 09:00, every 3 days from
2027-01-04; take every old patch off first``. A dose made of several strengths
says so (``with the 5 mg tablets``), so each strength's label still tells the
whole dose.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

from taperplan._data import load_data
from taperplan.model.plan import MedicationDose
from taperplan.reference.dispense import count_number, counted_noun
from taperplan.reference.products import Form
from taperplan.units import Quantity, format_decimal


@cache
def _words() -> dict[str, Any]:
    words: dict[str, Any] = load_data("wording.toml")["sig"]
    return words


def _amount(form: Form, count: Decimal) -> str:
    if form is Form.ORAL_SOLUTION:
        return str(_words()["millilitres"]).format(amount=format_decimal(count))
    return f"{count_number(count)} {counted_noun(form, count)}"


def directions_text(
    part: MedicationDose,
    strength: Quantity,
    step_start: dt.date,
    first: int,
    last: int | None = None,
) -> str:
    """The directions for ``strength`` of ``part`` on days ``first`` to ``last`` (from 0;
    by default to the step's end) of its step: only the doses due on those days."""
    words = _words()
    form = part.product.form
    groups: dict[tuple[int, int], list[tuple[dt.time, str]]] = {}
    starts: dict[tuple[int, int], int] = {}
    for dose in part.doses:
        count = sum((u.count for u in dose.units if u.strength == strength), Decimal(0))
        if not count or (last is not None and not dose.days_between(first, last)):
            continue
        amount = _amount(form, count)
        others = [u.describe(form) for u in dose.units if u.strength != strength]
        if others:
            amount += words["together"].format(others=words["and"].join(others))
        group = (dose.every_days, dose.offset)
        groups.setdefault(group, []).append((dose.time, amount))
        days = dose.days_between(first, first + dose.every_days - 1)
        starts[group] = days[0] if days else first
    clauses = []
    for (every, offset), timed in sorted(groups.items(), key=lambda g: min(g[1])):
        timed.sort()
        times = [f"{time:%H:%M}" for time, _ in timed]
        if len({amount for _, amount in timed}) == 1:
            doses = words["same"].format(amount=timed[0][1], times=_listed(times))
        else:
            doses = _listed(
                [
                    words["dose"].format(amount=amount, time=text)
                    for (_, amount), text in zip(timed, times, strict=True)
                ]
            )
        if every == 1:
            clauses.append(doses + words["every_day"])
        else:
            day = step_start + dt.timedelta(days=starts[every, offset])
            clauses.append(doses + words["every_n_days"].format(n=every, date=day.isoformat()))
    text: str = words[_route(form)].format(doses=words["group_sep"].join(clauses))
    return text


def _listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` (the words of ``[sig]``)."""
    words = _words()
    if len(items) < 3:
        return str(words["time_sep"]).join(items)
    return str(words["list_sep"]).join(items[:-1]) + str(words["time_sep"]) + items[-1]


def _route(form: Form) -> str:
    if form is Form.PATCH:
        return "patch"
    if form is Form.ORAL_SOLUTION:
        return "solution"
    if form is Form.SL_TABLET:
        return "sublingual"
    return "oral"

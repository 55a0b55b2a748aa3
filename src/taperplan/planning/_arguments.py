"""Checks of the planner's arguments that a type checker would make: a caller without
one (a script, another language's binding) gets a :class:`InvalidArgumentError` that
names the argument, not an ``AttributeError`` from deep inside the planner."""

from __future__ import annotations

import datetime as dt

from taperplan._reading import type_name
from taperplan.errors import InvalidArgumentError


def require_date(value: object, name: str) -> dt.date:
    """``value`` if it is a calendar day (a :class:`datetime.date`, not a datetime).

    Raises:
        InvalidArgumentError: naming ``name`` and what to pass instead.
    """
    if isinstance(value, dt.datetime):
        msg = f"{name} must be a datetime.date, not a datetime ({value!r}): pass {name}.date()"
        raise InvalidArgumentError(msg)
    if not isinstance(value, dt.date):
        hint = ""
        if isinstance(value, str):
            hint = f" (for text, pass datetime.date.fromisoformat({value!r}))"
        msg = f"{name} must be a datetime.date, not {type_name(value)}{hint}"
        raise InvalidArgumentError(msg)
    return value

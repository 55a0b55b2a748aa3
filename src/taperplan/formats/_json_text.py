"""JSON text with exact numbers: the layout of ``json.dumps(indent=2)`` with every
digit of a ``Decimal``.

The standard library writes a ``Decimal`` only through ``default`` (as text, or
as a float that loses digits), so this module writes the text itself with the
standard library's string escaping. It imports nothing heavy: ``taperplan mme
--format json`` and the clinical commands write with it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

#: The plan document's schema (its ``schema`` key).
SCHEMA = "taperplan.plan/1"

#: The fix for a plan document that is not what taperplan wrote.
REWRITE = "write the plan again with `taperplan plan FILE --format json`"


def decimal_text(value: Decimal) -> str:
    """A JSON number with every digit of ``value`` and a decimal point.

    ``Decimal("40")`` → ``40.0``, ``Decimal("0.10")`` → ``0.1``; nothing is
    rounded. The decimal point keeps the number a float for readers that
    parse JSON numbers as floats (they read what ``float(value)`` gives).

    Raises:
        ValueError: for NaN or an infinity, which JSON cannot state.
    """
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number; JSON has no such number")
    # format() without a precision never rounds (unlike normalize(), which
    # rounds to the context's 28 digits).
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if "." in text else f"{text}.0"


def to_json(data: Any) -> str:
    """Deterministic, readable JSON text ending in a newline.

    The layout is that of ``json.dumps(data, indent=2, ensure_ascii=False)``;
    a ``Decimal`` is written with all its digits (:func:`decimal_text`).

    Raises:
        TypeError: for a value JSON cannot hold, or an object key that is not text.
        ValueError: for a ``Decimal`` that is not finite.
    """
    out: list[str] = []
    _write(data, "\n", out)
    out.append("\n")
    return "".join(out)


def clock(value: dt.time) -> str:
    """A time of day as the documents write it: ``08:00`` (``08:00:30`` with seconds)."""
    return value.strftime("%H:%M") if not value.second else value.strftime("%H:%M:%S")


def floats(value: Any) -> Any:
    """``value`` with every Decimal as a float (what :func:`json.dumps` accepts)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [floats(item) for item in value]
    return value


def _float_text(value: float) -> str:
    # The same spellings as json.dumps (which allows NaN and infinities by default).
    if math.isnan(value):
        return "NaN"
    if value in {float("inf"), float("-inf")}:
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _bool_text(value: bool) -> str:  # noqa: FBT001 - a JSON value, not an option
    return "true" if value else "false"


#: The text of a leaf by its exact type (a subclass takes the longer way in _write).
_LEAF_TEXT: dict[type, Callable[[Any], str]] = {
    str: encode_basestring,
    Decimal: decimal_text,
    int: int.__repr__,
    float: _float_text,
    bool: _bool_text,
    type(None): lambda _: "null",
}


def _write(value: Any, newline: str, out: list[str]) -> None:
    text = _LEAF_TEXT.get(type(value))
    if text is not None:
        out.append(text(value))
    elif type(value) is dict:
        _write_items(value, newline, out)
    elif type(value) is list:
        _write_list(value, newline, out)
    elif isinstance(value, str):
        out.append(encode_basestring(value))
    elif isinstance(value, int):  # after the exact bool, int and float above
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float_text(value))
    elif isinstance(value, Decimal):
        out.append(decimal_text(value))
    elif isinstance(value, Mapping):
        _write_items(value, newline, out)
    elif isinstance(value, list | tuple):
        _write_list(value, newline, out)
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _write_list(value: list[Any] | tuple[Any, ...], newline: str, out: list[str]) -> None:
    if not value:
        out.append("[]")
        return
    inner = newline + "  "
    opening = "[" + inner
    for item in value:
        text = _LEAF_TEXT.get(type(item))
        if text is not None:
            out.append(opening + text(item))
        else:
            out.append(opening)
            _write(item, inner, out)
        opening = "," + inner
    out.append(newline + "]")


def _write_items(value: Mapping[Any, Any], newline: str, out: list[str]) -> None:
    if not value:
        out.append("{}")
        return
    inner = newline + "  "
    opening = "{" + inner
    for key, item in value.items():
        if not isinstance(key, str):
            raise TypeError(f"JSON object keys must be text, not {type(key).__name__}")
        text = _LEAF_TEXT.get(type(item))
        if text is not None:
            out.append(f"{opening}{encode_basestring(key)}: {text(item)}")
        else:
            out.append(f"{opening}{encode_basestring(key)}: ")
            _write(item, inner, out)
        opening = "," + inner
    out.append(newline + "}")

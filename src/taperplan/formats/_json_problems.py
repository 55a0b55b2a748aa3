"""What is wrong with a plan document, from cattrs' detailed validation errors.

The converter (:mod:`taperplan.formats._json_converter`) reads a document with
cattrs' detailed validation: every problem is an exception, and every
exception is kept, noted with where it happened (cattrs'
``AttributeValidationNote`` for a key, ``IterableValidationNote`` for an item
of a list) inside a ``ClassValidationError`` or ``IterableValidationError``.
:func:`problems` walks that tree as cattrs' ``transform_error`` does and gives
each one as a :class:`~taperplan.errors.Problem`: its JSON path
(``steps[3].medications[0].administrations[1].time``), what is wrong and its fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

from cattrs.errors import ClassValidationError, IterableValidationError

from taperplan.errors import Problem
from taperplan.formats._json_text import REWRITE


class FieldError(ValueError):
    """One problem with a value and its fix; cattrs' notes give the path."""

    def __init__(self, message: str, fix: str = REWRITE) -> None:
        self.message = message
        self.fix = fix
        super().__init__(message)


class RegimenProblemsError(ValueError):
    """The regimen loader's problems (paths relative to ``regimen``)."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


def kind_of(value: object) -> str:
    """What a JSON value is, in words: ``a number``, ``text``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def not_an_object(value: object) -> FieldError:
    """The problem with a value where the document has an object."""
    return FieldError(f"must be a JSON object, not {kind_of(value)}")


def problems(error: BaseException, path: str = "") -> Iterator[Problem]:
    """Every problem in a (nested) structuring error, with its JSON path."""
    if isinstance(error, ClassValidationError):
        with_notes, without = error.group_exceptions()
        for sub, note in with_notes:
            yield from problems(sub, join(path, note.name))
        for sub in without:
            yield from problems(sub, path)
    elif isinstance(error, IterableValidationError):
        items, rest = error.group_exceptions()
        for sub, item in items:
            yield from problems(sub, f"{path}[{item.index}]")
        for sub in rest:
            yield from problems(sub, path)
    elif isinstance(error, RegimenProblemsError):
        for problem in error.problems:
            yield Problem(join(path, problem.path), problem.message, problem.fix)
    elif isinstance(error, FieldError):
        yield Problem(path, error.message, error.fix)
    elif isinstance(error, KeyError):
        yield Problem(path, "missing", REWRITE)
    else:
        yield Problem(path, str(error) or type(error).__name__, REWRITE)


def join(path: str, name: str) -> str:
    """``path`` and a key or path below it: ``steps[0]`` and ``start`` → ``steps[0].start``."""
    if not name:
        return path
    if not path or name.startswith("["):
        return f"{path}{name}"
    return f"{path}.{name}"

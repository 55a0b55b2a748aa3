"""Errors as RFC 9457 problem details, in the same words as the library and the CLI.

Every :class:`~taperplan.errors.TaperplanError` becomes one ``application/problem+json``
answer whose ``errors`` list each problem's ``path``, ``message`` and ``fix``: the
problems an error carries (a regimen's, a log's), or the error itself.
"""

from __future__ import annotations

from typing import Any

from taperplan.errors import Problem, TaperplanError

#: The media type of a problem details document (RFC 9457).
PROBLEM_JSON = "application/problem+json"


def problems_of(error: TaperplanError) -> list[Problem]:
    """The problems an error names: its own list, or itself as one problem."""
    found = getattr(error, "problems", None)
    if found:
        return list(found)
    fix = getattr(error, "fix", None) or ""
    return [Problem("", str(error), str(fix))]


def problem_document(
    status: int, title: str, problems: list[Problem], *, detail: str | None = None
) -> dict[str, Any]:
    """A problem details document: ``type``, ``title``, ``status``, ``detail`` and the
    ``errors`` extension (one entry per problem)."""
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or "; ".join(str(p) for p in problems) or title,
        "errors": [{"path": p.path, "message": p.message, "fix": p.fix} for p in problems],
    }


def from_error(error: TaperplanError) -> dict[str, Any]:
    """The 422 problem document of a library error."""
    return problem_document(
        422, f"{type(error).__name__}: the input cannot be planned", problems_of(error)
    )

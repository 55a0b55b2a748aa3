"""Errors as RFC 9457 problem details, in the same words as the library and the CLI.

Every :class:`~taperplan.errors.TaperplanError` becomes one ``application/problem+json``
answer whose ``errors`` list each problem's ``path``, ``message`` and ``fix``: the
problems an error carries (a regimen's, a log's), or the error itself.
"""

from __future__ import annotations

from typing import Any

from taperplan.errors import CatalogueError, PrescriptionOptionError, Problem, TaperplanError

#: The media type of a problem details document (RFC 9457).
PROBLEM_JSON = "application/problem+json"


#: The request field a catalogue lookup reads, by what it looks up.
_FIELDS = {
    "pace": "pace",
    "factor set": "factors",
    "initiation protocol": "protocol",
    "oral equianalgesic table": "table",
    "methadone table": "methadone_table",
    "patch table": "patch_table",
    "drug": "to",
}


def problems_of(error: TaperplanError) -> list[Problem]:
    """The problems an error names: its own list, or itself as one problem (at the
    request field it is about, where that is known: a pace, a table, a protocol)."""
    found = getattr(error, "problems", None)
    if found:
        return list(found)
    fix = getattr(error, "fix", None) or ""
    path = ""
    if isinstance(error, CatalogueError):
        path = _FIELDS.get(error.kind, "to" if error.kind.endswith(" form") else "")
        fix = fix or (f"one of {', '.join(error.suggestions)}" if error.suggestions else "")
    elif isinstance(error, PrescriptionOptionError):
        path = "fill_days"
    elif str(error).startswith("start "):
        path = "start"
    return [Problem(path, str(error), str(fix))]


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

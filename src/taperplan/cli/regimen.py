"""Reading the regimen FILE of a command, and refusing it by name."""

from __future__ import annotations

import datetime as dt

from taperplan.cli.types import Refused
from taperplan.errors import InvalidRegimenError, TaperplanError
from taperplan.formats.regimen import load_regimen
from taperplan.model.regimen import Regimen


def read_regimen(path: str) -> Regimen:
    """The regimen in the file ``path``."""
    # The edge of the program is the one place that reads the clock.
    return load_regimen(path, today=dt.datetime.now(dt.UTC).date())


def _about(path: str, error: Exception) -> Refused:
    """``error`` (a TaperplanError) with ``path`` in front unless it names it already."""
    if isinstance(error, InvalidRegimenError) and error.source == "regimen":
        # Found after loading (e.g. a calendar needs the zone): the file's own problems.
        return Refused("\n".join(f"{path}: {problem}" for problem in error.problems))
    text = str(error)
    return Refused(text if text.startswith(path) else f"{path}: {text}")


def refusal(path: str, error: TaperplanError) -> Refused:
    """:func:`_about`, and for a regimen that cannot be planned the safety warnings
    a plan would have printed (benzodiazepines, naloxone, …): a refusal must not
    hide them (interfaces.md §4a rule 7)."""
    refused = _about(path, error)
    warnings = getattr(error, "warnings", ())
    if not warnings:
        return refused
    lines = [f"  - {w.message} [{w.code}]" for w in warnings if w.code != "mme-estimate"]
    return Refused("\n".join([refused.message, "Warnings:", *lines]))

"""Reading an as-needed (PRN) medication's keys: ``as_needed``, ``max_doses_per_day`` and
``as_needed_plan`` (see :class:`taperplan.model.regimen.AsNeeded`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from taperplan._reading import type_name
from taperplan.model.regimen import AsNeeded


def read_as_needed(
    add: Callable[[str, str, str], None],
    path: str,
    entry: Mapping[str, Any],
    times: Sequence[object] | None,
) -> AsNeeded | None:
    """``as_needed = true`` with ``max_doses_per_day`` (and ``as_needed_plan``)."""
    flag = entry.get("as_needed", False)
    most = entry.get("max_doses_per_day")
    plan = entry.get("as_needed_plan", "schedule")
    if not isinstance(flag, bool):
        add(
            f"{path}.as_needed",
            f"must be true or false, not {type_name(flag)}",
            "as_needed = true",
        )
        return None
    if not flag:
        for key in ("max_doses_per_day", "as_needed_plan"):
            if key in entry:
                add(
                    f"{path}.{key}",
                    "applies only with as_needed = true",
                    "add as_needed = true, or remove it",
                )
        return None
    if isinstance(most, bool) or not isinstance(most, int) or most < 1:
        fix = "the most doses a day the prescription allows, e.g. max_doses_per_day = 4"
        add(
            f"{path}.max_doses_per_day",
            "missing" if most is None else f"must be a whole number from 1, not {most!r}",
            fix,
        )
        return None
    if plan not in ("schedule", "stop-first"):
        add(
            f"{path}.as_needed_plan",
            f"{plan!r} is not a way to plan as-needed doses",
            '"schedule" (the default: scheduled doses) or "stop-first"',
        )
        return None
    if "doses" in entry:
        add(
            f"{path}.doses",
            "an as-needed medication has one dose",
            'use dose = "5 mg" with as_needed = true',
        )
        return None
    if entry.get("every_days", 1) != 1:
        add(
            f"{path}.every_days",
            "an as-needed medication is taken on any day",
            "remove every_days",
        )
        return None
    if times is not None and len(times) > most:
        add(
            f"{path}.times",
            f"{len(times)} times are more than max_doses_per_day ({most})",
            "one time for each scheduled dose, at most the maximum",
        )
        return None
    return AsNeeded(max_doses_per_day=most, plan=plan)

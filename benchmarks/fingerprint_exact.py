"""An ``--exporter`` for ``fingerprint.py`` that keeps the exact plan JSON.

``fingerprint.py`` keeps ``to_json(plan_to_dict(plan))``, whose numbers are
floats. With this file as the exporter it keeps the text that ``plan_to_json``
writes (every digit of every amount) and, as one more key of that document,
whether ``plan_from_json`` reads the text back as the same plan that writes the
same text again. Record with it before a change to the JSON converter and
compare with it after::

    python benchmarks/fingerprint.py record BEFORE.json.gz --exporter benchmarks/fingerprint_exact.py
    python benchmarks/fingerprint.py compare BEFORE.json.gz --exporter benchmarks/fingerprint_exact.py
"""

from __future__ import annotations

from typing import Any

from taperplan import TaperPlan, TaperplanError
from taperplan.formats.json import plan_from_json, to_json, unstructure_plan

__all__ = ["plan_to_dict", "to_json"]


def plan_to_dict(plan: TaperPlan) -> dict[str, Any]:
    """The exact plan document, and how it reads back under ``"__read_back__"``."""
    document = unstructure_plan(plan)
    text = to_json(document)
    try:
        back = plan_from_json(text)
    except TaperplanError as error:
        read_back = f"{type(error).__name__}: {error}"
    else:
        read_back = "equal" if back == plan else "DIFFERENT"
        if to_json(unstructure_plan(back)) != text:
            read_back += ", writes other text"
    return {**document, "__read_back__": read_back}

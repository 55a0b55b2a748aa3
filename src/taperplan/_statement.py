"""The safety statement that the CLI, the printed table and the handout show.

Kept in a module of its own, without imports, so the CLI can print it
without loading the planner.
"""

from __future__ import annotations

SAFETY = (
    "taperplan is decision support for clinicians. It is not medical advice and not a diagnosis; "
    "any change to opioid doses must be made with the prescribing clinician."
)

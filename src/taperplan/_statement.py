"""The safety statements: the one place for the words every output carries.

Kept in a module of its own, without imports, so the CLI can print it
without loading the planner.
"""

from __future__ import annotations

#: The statement every export carries (plan JSON, FHIR, the handout).
DISCLAIMER = (
    "Decision support for clinicians; not medical advice and not a diagnosis. "
    "Doses must be reviewed and supervised by the prescribing clinician."
)
#: The statement the command line prints.
SAFETY = (
    "taperplan is decision support for clinicians. It is not medical advice and not a diagnosis; "
    "any change to opioid doses must be made with the prescribing clinician."
)

"""Exceptions and warnings: one root for each, named after the situation.

Every exception and warning taperplan raises on purpose is defined here, in
one module that imports nothing else of taperplan, so every other module can
raise them and callers can catch them without loading the code that raises.

Every exception derives from :class:`TaperplanError` and, where it refines a
builtin, from that builtin too, so ``except ValueError`` keeps working for
callers who do not know taperplan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs


class TaperplanError(Exception):
    """Root of every error taperplan raises on purpose.

    Catch this to handle any refusal by the library; anything else escaping
    taperplan is a bug.
    """


class TaperplanWarning(UserWarning):
    """Root of taperplan's warnings: allowed, but a clinician should look."""


# --- quantities -----------------------------------------------------------------


class QuantityError(TaperplanError, ValueError):
    """An amount could not be read or is not plausible.

    Fix: write a finite, positive number followed by one of the units
    ``mg``, ``mcg``, ``mL``, ``mg/mL`` or ``mcg/h`` (for example ``"7.5 mg"``).
    """

    def __init__(self, text: object, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"{text!r}: {reason}")


class DimensionError(TaperplanError, TypeError):
    """Two quantities of different dimensions were combined.

    Fix: convert first (for example a volume of solution to milligrams with
    its concentration); milligrams and micrograms convert freely.
    """

    def __init__(self, left: str, right: str, operation: str) -> None:
        self.left = left
        self.right = right
        self.operation = operation
        super().__init__(f"cannot {operation} {left} and {right}: different dimensions")


# --- catalogue ------------------------------------------------------------------


class CatalogueError(TaperplanError, LookupError):
    """A drug, product, factor or pace is not in the catalogue.

    Fix: use a name that ``taperplan`` lists (``taperplan paces``, the catalogue
    page of the docs); the error carries close matches in ``suggestions``.
    """

    def __init__(self, kind: str, name: str, suggestions: Sequence[str] = ()) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = (
            f"; did you mean {' or '.join(map(repr, self.suggestions))}?"
            if self.suggestions
            else ""
        )
        super().__init__(f"unknown {kind} {name!r}{hint}")


class NotApplicableError(TaperplanError, ValueError):
    """A calculation does not apply to this input (e.g. a factor set's band).

    Fix: as the message says; typically use another factor set.
    """


# --- regimens -------------------------------------------------------------------


@attrs.frozen
class Problem:
    """One problem in a regimen: where it is, what is wrong, and how to fix it."""

    path: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{where}{self.message}{fix}"


class RegimenFileError(TaperplanError, ValueError):
    """A regimen file could not be read as TOML at all.

    Fix: save the file as UTF-8 TOML; the message gives the line and column.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


def problems_message(source: str, problems: Sequence[Problem]) -> str:
    """``source: N problems:`` and one indented line per problem: the message of
    every error that lists all its problems at once."""
    noun = "problem" if len(problems) == 1 else "problems"
    lines = "\n".join(f"  {p}" for p in problems)
    return f"{source}: {len(problems)} {noun}:\n{lines}"


class InvalidRegimenError(TaperplanError, ValueError):
    """A regimen was read but its content is wrong.

    Every problem found is listed at once in ``problems``, each with its path
    (``medication[1].dose``), what is wrong and how to fix it.
    """

    def __init__(self, problems: Iterable[Problem], source: str = "regimen") -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__(problems_message(source, self.problems))


# --- planning -------------------------------------------------------------------


@attrs.frozen
class StoppedAt:
    """Where planning stopped: after ``steps`` planned steps, on ``doses`` (in
    words) totalling ``total_mme_per_day`` (None where MME does not apply)."""

    steps: int
    doses: str
    total_mme_per_day: Decimal | None


class PlanningError(TaperplanError, ValueError):
    """No plan can be made that keeps taperplan's safety rules, or a request
    about a plan cannot be met (a date outside it, a re-plan from a higher dose).

    A refused regimen carries what matters (§4a rule 7): ``stopped_at`` (where
    planning stopped), ``fix`` (a change that the planner itself checked would
    give a plan, or None when it found none) and ``warnings`` (the regimen's
    safety warnings, such as benzodiazepines or naloxone, as
    :class:`taperplan.Notice` values).

    Fix: as ``fix`` says (allow an immediate-release tablet or oral solution,
    more strengths, or another pace).
    """

    def __init__(
        self,
        message: str,
        *,
        stopped_at: StoppedAt | None = None,
        fix: str | None = None,
        warnings: tuple[Any, ...] = (),
    ) -> None:
        self.stopped_at = stopped_at
        self.fix = fix
        self.warnings = warnings
        super().__init__(message)


class RefusedError(TaperplanError, ValueError):
    """The request is outside what the tool may plan (e.g. a taper of a
    medication for opioid use disorder, or a supervised-only pace).

    Fix: as the message says; this is a clinician's decision outside the planner.
    """


class OutputExistsError(TaperplanError, FileExistsError):
    """An output file exists and would be overwritten.

    Fix: choose another path, or pass ``force=True`` (``--force``).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path}: exists; not overwritten (use --force to replace it)")


class MissingDependencyError(TaperplanError, ImportError):
    """An optional dependency that this feature needs is not installed.

    Fix: install the extra the message names (``pip install "taperplan[chart]"``
    for charts), or leave the feature out (a handout without its chart).
    """

    def __init__(self, package: str, extra: str, feature: str) -> None:
        self.package = package
        self.extra = extra
        self.feature = feature
        super().__init__(
            f'{feature} needs {package}, which is not installed: pip install "taperplan[{extra}]"'
        )


class MissingProgramError(TaperplanError, OSError):
    """A program this feature runs is not installed, or failed (Chromium for a PDF).

    Fix: install it, as the message says, or leave the feature out (write the
    handout as HTML and print it from a browser).
    """


# --- output files ------------------------------------------------------------


class OutputError(TaperplanError, OSError):
    """An output file could not be written (a missing folder, no permission,
    a full disk); nothing was changed.

    Fix: as the message says: create the folder, choose a writable path, or
    free space.
    """

    def __init__(self, path: str, reason: str, fix: str) -> None:
        self.path = path
        self.reason = reason
        self.fix = fix
        super().__init__(f"{path}: {reason} (fix: {fix})")

    def __str__(self) -> str:
        # OSError's own __str__ would show the arguments as a tuple.
        return f"{self.path}: {self.reason} (fix: {self.fix})"


# --- symptom logs and plan data for a review ---------------------------------


class _ProblemsError(TaperplanError, ValueError):
    def __init__(self, source: str, problems: Iterable[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(problems_message(source, self.problems))


class InvalidLogError(_ProblemsError):
    """A symptom log file could not be read, or some of its entries are wrong.

    Every problem is listed at once in ``problems``, each with its place
    (``row 4, pain`` in a CSV file, ``entry[2].pain`` in a TOML file), what is
    wrong and the fix; ``source`` is the file.

    Fix: as each problem says; ``docs/review.md`` describes both formats.
    """


class InvalidPlanDataError(_ProblemsError):
    """Plan data for a review is not the JSON that ``taperplan plan --format json`` writes.

    Every problem is listed at once in ``problems`` with its path
    (``steps[3].start``); ``source`` is the file.

    Fix: write the plan again with ``taperplan plan FILE --format json`` and
    pass that file unedited.
    """


# --- withdrawal scales -------------------------------------------------------


class InvalidScoreError(TaperplanError, ValueError):
    """Answers to a withdrawal scale are missing, unknown or not legal scores.

    Every problem is listed at once in ``problems`` (``path`` is the item's
    key); ``items`` holds the keys of the offending items.

    Fix: give every item of the scale exactly one of its legal scores (the
    message lists them; ``scale(key).items`` has them too).
    """

    def __init__(self, scale: str, problems: Iterable[Problem]) -> None:
        self.scale = scale
        self.problems = tuple(problems)
        self.items = tuple(p.path for p in self.problems)
        super().__init__(problems_message(scale, self.problems))


# --- batches -----------------------------------------------------------------


class BatchInputError(TaperplanError, ValueError):
    """A batch's list of patients (the CSV or the folder) is wrong.

    Every problem is listed at once in ``problems``, each with its line and
    column (``line 4, start``), what is wrong and how to fix it. Problems
    inside one regimen file are not batch input errors: they are reported in
    that entry's :class:`BatchResult`.
    """

    def __init__(self, problems: Iterable[Problem], source: str) -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__(problems_message(source, self.problems))


class ManifestError(TaperplanError, ValueError):
    """A batch's output folder holds a manifest (``.taperplan-batch.jsonl``) that
    cannot be read as one, so the batch cannot be resumed.

    Fix: remove the file, or start the batch over with ``--force``.
    """


class ClusterError(TaperplanError, OSError):
    """A batch cannot run on the Dask cluster it was given.

    Fix: as the message says: install ``dask[distributed]``, or give the
    address of a running scheduler (``tcp://host:8786``).
    """


# --- exports -----------------------------------------------------------------


class PlanExportError(TaperplanError, ValueError):
    """A plan holds something its JSON document cannot state exactly.

    Only a regimen built in code can: a per-dose interval, a dose time with
    seconds, or a pace that no ``[pace]`` table gives. The message names the
    field.

    Fix: build the regimen with :func:`taperplan.load_regimen` or
    :func:`taperplan.regimen_from_mapping`.
    """


class CalendarOptionError(TaperplanError, ValueError):
    """An option of :func:`plan_to_ics` is out of range.

    Fix: as the message says (an aware ``dtstamp``, ``alarm_minutes`` from 0
    to 1440, a non-empty ``calendar_name``).
    """


class InvalidArgumentError(TaperplanError, TypeError):
    """An argument of a library function has the wrong type (a date given as text).

    Fix: as the message says; it names the argument and what to pass instead.
    """


class PrescriptionOptionError(TaperplanError, ValueError):
    """An option of :func:`taperplan.prescriptions` is out of range.

    Fix: as the message says (``every_days`` a whole number of days from 1;
    ``dispense_every`` 1 for daily or 7 for weekly dispensing, no longer than
    a fill).
    """


class FHIRExportError(TaperplanError, ValueError):
    """A plan or an argument cannot be written as FHIR.

    Fix: as the message says (for example, give ``patient_reference`` as a
    reference such as ``"Patient/123"`` or ``"urn:uuid:..."``, without spaces).
    """


class InitiationOptionError(_ProblemsError):
    """An initiation cannot be planned as asked: the regimen already has buprenorphine,
    a protocol that leaves the dose after its last day to the prescriber was given no
    ``maintenance`` dose, or a re-dating names a day outside the plan.

    Every problem is listed at once in ``problems``, each with its place and fix.

    Fix: as each problem says; ``docs/howto-initiation.md`` describes the protocols.
    """

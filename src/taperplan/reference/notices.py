"""Notices: warnings and cautions that travel with results as data.

A plan or MME report carries its warnings as :class:`Notice` values (code,
message, source) so that apps, the CLI and exports can show them; taperplan
does not push them through :mod:`warnings`, which callers would have to catch.
"""

from __future__ import annotations

import enum
from functools import cache
from typing import Any

import attrs

from taperplan._data import load_data


class WarningCode(enum.StrEnum):
    """Every code a :class:`Notice` may carry: a stable name an app can act on.

    Members equal their text (``WarningCode.MME_OVER_90 == "mme-over-90"``); the
    message and source of each live in the data files (``data/warnings.toml``,
    ``data/safety.toml``, …), and a test holds the two lists together.
    """

    # data/warnings.toml
    MME_ESTIMATE = "mme-estimate"
    MME_OVER_50 = "mme-over-50"
    MME_OVER_90 = "mme-over-90"
    MME_NOT_APPLICABLE = "mme-not-applicable"
    METHADONE_CAUTION = "methadone-caution"
    FENTANYL_TRANSDERMAL_CAUTION = "fentanyl-transdermal-caution"
    ACETAMINOPHEN_OVER_4G = "acetaminophen-over-4g"
    ACETAMINOPHEN_OVER_4G_IN_STEPS = "acetaminophen-over-4g-in-steps"
    ACETAMINOPHEN_ASSUMED = "acetaminophen-assumed"
    ACETAMINOPHEN_FROM_NAME = "acetaminophen-from-name"
    MANY_UNITS_PER_DOSE = "many-units-per-dose"
    START_BEFORE_OPIOIDS = "start-before-opioids"
    AS_NEEDED_SCHEDULED = "as-needed-scheduled"
    AS_NEEDED_FIRST = "as-needed-first"
    STRENGTH_NOT_IN_CATALOGUE = "strength-not-in-catalogue"
    SPLIT_OVERRIDE = "split-override"
    PATCH_INTERVAL_UNUSUAL = "patch-interval-unusual"
    SOLUTION_MEASURE = "solution-measure"
    CAP_ABOVE_PRESET = "cap-above-preset"
    SUPERVISED_PACE = "supervised-pace"
    STEPS_SHORTER_THAN_WINDOW = "steps-shorter-than-window"
    SUBSTITUTION = "substitution"
    ABOVE_CEILING_UNIT = "above-ceiling-unit"
    SMALLEST_PATCH_STOP = "smallest-patch-stop"
    METHADONE_SLOWER = "methadone-slower"
    DOSE_RAISED_AT_REPLAN = "dose-raised-at-replan"
    INITIATION_PROTOCOL = "initiation-protocol"
    INITIATION_HOLD = "initiation-hold"
    PRECIPITATED_WITHDRAWAL = "precipitated-withdrawal"
    INITIATION_LOW_CONFIDENCE = "initiation-low-confidence"
    INITIATION_SUPERVISED = "initiation-supervised"
    INITIATION_MAINTENANCE = "initiation-maintenance"
    INITIATION_AFTER = "initiation-after"
    ROTATION_CONVERSION = "rotation-conversion"
    ROTATION_RESCUE = "rotation-rescue"
    ROTATION_TOLERANCE_CHECK = "rotation-tolerance-check"
    ROTATION_LOW_CONFIDENCE = "rotation-low-confidence"
    ROTATION_BAND_EDGE = "rotation-band-edge"
    ROTATION_METHADONE = "rotation-methadone"
    ROTATION_METHADONE_HIGH_DOSE = "rotation-methadone-high-dose"
    ROTATION_LARGE_STEP = "rotation-large-step"
    ROTATION_CUT_EDGE = "rotation-cut-edge"
    ROTATION_THREE_DAY = "rotation-three-day"
    # data/safety.toml
    TOLERANCE_LOSS = "tolerance-loss"
    NALOXONE = "naloxone"
    BENZODIAZEPINES = "benzodiazepines"
    PREGNANCY = "pregnancy"
    METHADONE_TAPER = "methadone-taper"
    FENTANYL_PATCH_TAPER = "fentanyl-patch-taper"
    SLEEP_APNEA = "sleep-apnea"
    HISTORY_OF_OVERDOSE = "history-of-overdose"
    OPIOID_USE_DISORDER = "opioid-use-disorder"
    DST_DOSE_TIME = "dst-dose-time"
    # the adjunct rule, the review, the pain-pattern checklist, the calendar
    NO_OPIOIDS_OR_BENZODIAZEPINES_FOR_WITHDRAWAL = "no-opioids-or-benzodiazepines-for-withdrawal"
    REVIEW_DISCLAIMER = "review-disclaimer"
    OIH_DIAGNOSIS_OF_EXCLUSION = "oih-diagnosis-of-exclusion"
    OIH_CONFLICTING_OBSERVATIONS = "oih-conflicting-observations"
    DOSE_IN_CLOCK_GAP = "dose-in-clock-gap"
    DOSE_IN_CLOCK_FOLD = "dose-in-clock-fold"


@attrs.frozen
class Notice:
    """One warning: a stable ``code``, a message for people, and its source key."""

    code: WarningCode = attrs.field(converter=WarningCode)
    message: str
    source: str | None = None


@cache
def _warning_table() -> dict[str, dict[str, Any]]:
    return {entry["code"]: entry for entry in load_data("warnings.toml")["warning"]}


def notice(code: str, **details: object) -> Notice:
    """The packaged warning ``code`` with ``{placeholders}`` filled from ``details``.

    Raises:
        KeyError: for a code that ``data/warnings.toml`` does not define (a bug).
    """
    entry = _warning_table()[code]
    return Notice(code=code, message=entry["message"].format(**details), source=entry.get("source"))


def warning_codes() -> tuple[str, ...]:
    """Every warning code taperplan can emit."""
    return tuple(_warning_table())

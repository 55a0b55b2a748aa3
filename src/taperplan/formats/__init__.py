"""Formats: the only code that knows file formats, in both directions.

Readers turn regimen TOML, plan JSON and symptom logs into the model
(:mod:`~taperplan.formats.regimen`, :mod:`~taperplan.formats.json`,
:mod:`~taperplan.formats.logs`); writers turn a plan into iCalendar, FHIR R4,
CSV, JSON, a handout and a chart. Each module is imported on first use, so a
program pays only for the formats it touches (icalendar, cattrs and
matplotlib stay unloaded until then).
"""

"""Prescriptions for a plan: the fills, the quantity of each product strength, the directions.

:func:`prescriptions` (also :func:`taperplan.prescriptions`) turns a
:class:`~taperplan.TaperPlan` into :class:`~taperplan.model.prescription.Fill`
values; :func:`dispensed` is the rounding a pharmacy applies (whole tablets,
capsules and mL; whole cartons of patches).
"""

from __future__ import annotations

from taperplan.prescribing.fills import dispensed, prescriptions

__all__ = ["dispensed", "prescriptions"]

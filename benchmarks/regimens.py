"""Deterministic random regimens for benchmarks (seeded; no hypothesis)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from taperplan import catalogue
from taperplan.reference.products import Form, Product

_TIMES = ("06:00", "08:00", "12:00", "14:00", "18:00", "20:00", "22:00")
_PACES = (
    "va-slower",
    "va-faster",
    "etg-short",
    "etg-long",
    "cdc-short-term",
    "cdc-long-term",
    "va-slowest",
)


def _dose(rng: random.Random, product: Product) -> tuple[str, str]:
    strength = rng.choice(product.strengths)
    if product.form is Form.ORAL_SOLUTION:
        volume = Decimal(rng.randint(2, 20)) / 2
        return str(strength), f"{strength.amount * volume} mg"
    count = rng.randint(1, 3)
    return str(strength), f"{strength.amount * count} {strength.unit.value}"


def random_regimen(rng: random.Random, *, medications: int | None = None) -> dict[str, Any]:
    """A regimen mapping of 1–3 medications (or ``medications``) from the catalogue."""
    products = [p for p in catalogue().products if p.drug.name != "methadone"]
    chosen = rng.sample(products, medications or rng.randint(1, 3))
    entries = []
    for product in chosen:
        strength, dose = _dose(rng, product)
        times = (
            ["09:00"]
            if product.form is Form.PATCH
            else sorted(rng.sample(_TIMES, rng.randint(1, 3)))
        )
        entry: dict[str, Any] = {
            "drug": product.drug.name,
            "form": product.form.value,
            "strength": strength,
            "dose": dose,
            "times": times,
        }
        if product.combination is not None:
            entry["combination"] = str(product.combination)
        entries.append(entry)
    return {
        "timezone": "America/New_York",
        "medication": entries,
        "pace": {"preset": rng.choice(_PACES)},
    }

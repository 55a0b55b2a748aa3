"""Reading opioid MedicationRequests (FHIR R4) into a regimen mapping.

A CDS Hooks request carries the orders being signed or selected, and a prefetch of the
patient's active MedicationRequests. Each opioid order becomes one medication of the
regimen file's shape: its product from the RxNorm code (``data/rxnorm.toml``) or the
RxNorm name, its dose from ``doseAndRate`` (a count of units, or a mass), and its times
from ``timing.repeat`` (frequency per period, or ``timeOfDay``). A benzodiazepine order
sets the regimen's context; a naloxone order is recognised (and not counted); a
buprenorphine order is named as not counted (MME does not apply). What cannot be read is
returned with why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import attrs

from taperplan._data import load_data
from taperplan.reference.products import catalogue
from taperplan.units import format_decimal

RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
#: Clock times for N doses a day (a convention, as the rotation plans use).
TIMES = {
    1: ["08:00"],
    2: ["08:00", "20:00"],
    3: ["08:00", "14:00", "20:00"],
    4: ["08:00", "12:00", "16:00", "20:00"],
    5: ["06:00", "10:00", "14:00", "18:00", "22:00"],
    6: ["00:00", "04:00", "08:00", "12:00", "16:00", "20:00"],
    8: ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"],
}
#: Dose units read as an amount (the rest that are read are counts of units).
_MASS = frozenset({"mg", "milligram", "milligrams"})
_RATE = frozenset({"mcg/h", "ug/h", "mcg/hr", "ug/hr"})
_COUNTS = frozenset(
    {"tab", "tablet", "tablets", "cap", "capsule", "capsules", "patch", "patches", "1", "each", ""}
)
_FORMS = (
    ("transdermal", "patch"),
    ("extended release oral tablet", "er_tablet"),
    ("extended release oral capsule", "er_capsule"),
    ("oral solution", "oral_solution"),
    ("oral capsule", "ir_capsule"),
    ("oral tablet", "ir_tablet"),
)


@attrs.frozen
class Order:
    """One MedicationRequest as read: the medication mapping, or why it was not read."""

    reference: str
    label: str
    medication: dict[str, Any] | None = None
    skipped: str | None = None
    benzodiazepine: bool = False
    naloxone: bool = False


@cache
def _table() -> dict[str, Any]:
    return load_data("rxnorm.toml")


def _coded(code: str) -> dict[str, Any] | None:
    for entry in _table()["drug"]:
        if entry["code"] == code:
            return dict(entry)
    return None


def _from_name(name: str) -> dict[str, Any] | None:
    """Drug, form, strength (and combination) from an RxNorm clinical drug name."""
    text = " ".join(name.lower().replace("-", " ").split())
    form = next((f for words, f in _FORMS if words in text), None)
    drug = None
    for opioid in catalogue().opioids:
        if re.search(rf"\b{re.escape(opioid.name)}\b", text):
            drug = opioid.name
    if form is None or drug is None:
        return None
    if form == "patch":
        found = re.search(r"(\d+(?:\.\d+)?) mg/hr", text)
        if found is None:
            return None
        mcg = format_decimal((Decimal(found.group(1)) * 1000).normalize())
        return {"drug": drug, "form": form, "strength": f"{mcg} mcg/h"}
    found = re.search(rf"{re.escape(drug)}\s+\w*\s*(\d+(?:\.\d+)?) mg(/ml)?", text)
    if found is None:
        return None
    unit = "mg/mL" if found.group(2) else "mg"
    entry = {"drug": drug, "form": form, "strength": f"{found.group(1)} {unit}"}
    apap = re.search(r"acetaminophen (\d+(?:\.\d+)?) mg", text)
    if apap is not None:
        entry["combination"] = f"acetaminophen {apap.group(1)} mg"
    return entry


def _codings(
    resource: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    concept = resource.get("medicationCodeableConcept")
    if not isinstance(concept, Mapping):
        reference = resource.get("medicationReference", {})
        target = reference.get("reference", "") if isinstance(reference, Mapping) else ""
        medication = index.get(str(target)) or index.get(str(target).rsplit("/", 1)[-1])
        concept = medication.get("code") if isinstance(medication, Mapping) else None
    if not isinstance(concept, Mapping):
        return []
    codings = [c for c in concept.get("coding", []) if isinstance(c, Mapping)]
    if concept.get("text"):
        codings.append({"display": concept["text"]})
    return codings


def _names(codings: list[Mapping[str, Any]]) -> str:
    return " ".join(str(c.get("display", "")) for c in codings).lower()


def _quantity(dosage: Mapping[str, Any]) -> tuple[Decimal, str] | None:
    """The dose (value, unit) of a dosage: the first ``doseQuantity``, or the high end
    of a ``doseRange`` (as needed, the most that may be taken)."""
    for rate in dosage.get("doseAndRate", []) or []:
        if not isinstance(rate, Mapping):
            continue
        quantity = rate.get("doseQuantity") or (rate.get("doseRange") or {}).get("high")
        if isinstance(quantity, Mapping) and "value" in quantity:
            try:
                value = Decimal(str(quantity["value"]))
            except InvalidOperation:
                return None
            unit = str(quantity.get("code") or quantity.get("unit") or "")
            return value, unit.strip("{}").lower()
    return None


def _timing(dosage: Mapping[str, Any]) -> tuple[int, int] | None:
    """(doses a day, every N days) of a dosage's ``timing.repeat``."""
    repeat = (dosage.get("timing") or {}).get("repeat") or {}
    times = repeat.get("timeOfDay")
    if isinstance(times, list) and times:
        return len(times), 1
    frequency = repeat.get("frequency", 1)
    if isinstance(frequency, bool) or not isinstance(frequency, int) or not 1 <= frequency <= 24:
        return None
    try:
        period = Decimal(str(repeat.get("period")))
    except (TypeError, ValueError, InvalidOperation):
        return None
    if not period.is_finite() or period <= 0:
        return None
    units = {"h": Decimal(1), "d": Decimal(24), "wk": Decimal(168)}
    hours = units.get(str(repeat.get("periodUnit")))
    if hours is None:
        return None
    span = period * hours  # hours between one group of `frequency` doses and the next
    per_day = frequency * Decimal(24) / span
    if per_day >= 1 and per_day == per_day.to_integral_value() and int(per_day) in TIMES:
        return int(per_day), 1
    days = span / 24
    if frequency == 1 and days == days.to_integral_value():
        return 1, int(days)  # one dose every N days (a patch changed every 72 hours)
    return None


def read_order(resource: Mapping[str, Any], index: Mapping[str, Mapping[str, Any]]) -> Order:
    """One MedicationRequest as an :class:`Order`."""
    reference = f"MedicationRequest/{resource.get('id', '?')}"
    codings = _codings(resource, index)
    names = _names(codings)
    label = next((str(c.get("display")) for c in codings if c.get("display")), reference)
    if "buprenorphine" in names:
        # Buprenorphine (with naloxone or not) is a partial agonist: no MME, and not for a
        # taper card; the card names it.
        return Order(reference, label, skipped="buprenorphine: MME does not apply")
    if any(name in names for name in _table()["benzodiazepines"]["names"]):
        return Order(reference, label, benzodiazepine=True)
    if any(name in names for name in _table()["naloxone"]["names"]):
        return Order(reference, label, naloxone=True)
    entry = None
    for coding in codings:
        if coding.get("system") == RXNORM_SYSTEM and coding.get("code"):
            entry = _coded(str(coding["code"]))
            if entry is not None:
                break
    if entry is None:
        entry = _from_name(names)
    if entry is None:
        return Order(
            reference, label, skipped="not an opioid taperplan knows (RxNorm code or name)"
        )
    entry.pop("code", None)
    entry.pop("name", None)
    dosages = [d for d in resource.get("dosageInstruction", []) or [] if isinstance(d, Mapping)]
    if not dosages:
        return Order(reference, label, skipped="no dosageInstruction")
    dosage = dosages[0]
    quantity, timing = _quantity(dosage), _timing(dosage)
    if quantity is not None and not _readable_unit(quantity[1], entry["form"]):
        return Order(reference, label, skipped=f"a dose in {quantity[1]!r}, not mg or a count")
    if quantity is not None and not (quantity[0].is_finite() and quantity[0] > 0):
        return Order(reference, label, skipped="a dose of 0 or less")
    if quantity is None or timing is None:
        return Order(reference, label, skipped="a dose or timing taperplan cannot read")
    return Order(reference, label, medication=_medication(entry, quantity, timing, dosage))


def _readable_unit(unit: str, form: str) -> bool:
    """Whether a dose unit is one the service reads for this form: mg for tablets and
    solutions, mcg/h for patches, or a count of units."""
    if form == "patch":
        return unit in _RATE or unit in _COUNTS
    if form == "oral_solution":
        return unit in _MASS or unit in {"ml", "milliliter", "millilitre"}
    return unit in _MASS or unit in _COUNTS


def _medication(
    entry: dict[str, Any],
    quantity: tuple[Decimal, str],
    timing: tuple[int, int],
    dosage: Mapping[str, Any],
) -> dict[str, Any]:
    value, unit = quantity
    per_day, every = timing
    strength_value = entry["strength"].split(" ", 1)[0]
    dose_unit = "mcg/h" if entry["form"] == "patch" else "mg"
    # A mass or rate as given; a count of units (or mL of a solution) times the strength.
    counted = unit not in _MASS and unit not in _RATE
    amount = value * Decimal(strength_value) if counted else value
    entry["dose"] = f"{amount.normalize():f} {dose_unit}"
    repeat = (dosage.get("timing") or {}).get("repeat") or {}
    clock = repeat.get("timeOfDay")
    entry["times"] = (
        [t[:5] for t in clock]
        if isinstance(clock, list) and clock
        else TIMES.get(per_day, TIMES[1])
    )
    if every > 1:
        entry["every_days"] = every
    if dosage.get("asNeededBoolean") is True:
        entry["as_needed"] = True
        entry["max_doses_per_day"] = per_day
        entry["times"] = entry["times"][:1]
    return entry


def resources_in(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every resource in a prefetch value or draft orders: a Bundle's entries, or a
    resource itself (``null`` entries skipped)."""
    if not isinstance(value, Mapping):
        return
    if value.get("resourceType") == "Bundle":
        for entry in value.get("entry", []) or []:
            if isinstance(entry, Mapping) and isinstance(entry.get("resource"), Mapping):
                yield entry["resource"]
    elif "resourceType" in value:
        yield value

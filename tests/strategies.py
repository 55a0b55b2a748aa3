"""Hypothesis strategies for taperplan's tests; every strategy lives here.

Sections:

1. Quantities: exact amounts of each unit, and the texts people write for them.
2. Catalogue: products and opioids drawn from :func:`taperplan.catalogue`.
3. Regimens: mappings shaped like a regimen file that always load, the loaded
   :class:`~taperplan.Regimen` objects, and a small TOML writer for them.
4. Planner: (to come) paces, start dates and plans.
5. Clinical guidance: withdrawal-scale answers, context flags, pain observations.
6. Symptom logs and reviews; 7. calendars and prescriptions; 8. JSON documents.
9. Hostile input: raw bytes, damaged files and garbage trees (TOML-shaped, JSON-shaped,
   CSV) for the readers' fuzz tests (tests/test_fuzz_readers.py).

Expected values in tests come from the literal tables here (``CEILINGS``),
never from the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from taperplan import (
    PlanningError,
    Quantity,
    Regimen,
    TaperPlan,
    Unit,
    catalogue,
    plan_taper,
    preset,
    regimen_from_mapping,
)
from taperplan.formats.logs import LOG_COLUMNS
from taperplan.reference.dispense import UnitSet
from taperplan.reference.paces import pace_from_mapping
from taperplan.reference.products import Form, Opioid, Product

# --- 1. Quantities ----------------------------------------------------------------

#: The plausibility ceiling of each unit, as documented in ``data/units.toml``.
CEILINGS: Mapping[Unit, Decimal] = {
    Unit.MG: Decimal(2000),
    Unit.MCG: Decimal(2_000_000),
    Unit.ML: Decimal(200),
    Unit.MG_PER_ML: Decimal(100),
    Unit.MCG_PER_H: Decimal(1000),
}

#: Other spellings the parser accepts for each unit (besides the canonical symbol).
SPELLINGS: Mapping[Unit, tuple[str, ...]] = {
    Unit.MG: ("mg", "MG", "Mg"),
    Unit.MCG: ("mcg", "ug", "\u00b5g", "\u03bcg", "MCG"),
    Unit.ML: ("mL", "ml", "ML"),
    Unit.MG_PER_ML: ("mg/mL", "mg/ml", "MG/ML"),
    Unit.MCG_PER_H: ("mcg/h", "mcg/hr", "mcg/hour", "ug/h", "\u00b5g/h", "\u03bcg/h"),
}

_PLAIN_DECIMAL = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


def fmt(amount: Decimal) -> str:
    """Write a Decimal the way a person would (``7.5``, ``100``), independently of taperplan."""
    text = format(amount.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def units() -> st.SearchStrategy[Unit]:
    """Any unit."""
    return st.sampled_from(list(Unit))


@st.composite
def amounts(
    draw: st.DrawFn, max_value: Decimal, *, min_value: Decimal = Decimal(0), max_places: int = 4
) -> Decimal:
    """An exact decimal in ``[min_value, max_value]`` with up to ``max_places`` decimals."""
    places = draw(st.integers(min_value=0, max_value=max_places))
    scale = Decimal(10) ** places
    low = int((min_value * scale).to_integral_value(rounding="ROUND_CEILING"))
    high = int((max_value * scale).to_integral_value(rounding="ROUND_FLOOR"))
    return Decimal(draw(st.integers(min_value=low, max_value=high))).scaleb(-places)


@st.composite
def quantities(
    draw: st.DrawFn, unit: Unit | Sequence[Unit] | None = None, *, positive: bool = False
) -> Quantity:
    """A quantity within its unit's ceiling (of ``unit``, or of any of ``unit``)."""
    if unit is None:
        chosen = draw(units())
    elif isinstance(unit, Unit):
        chosen = unit
    else:
        chosen = draw(st.sampled_from(list(unit)))
    low = Decimal("0.0001") if positive else Decimal(0)
    return Quantity(draw(amounts(CEILINGS[chosen], min_value=low)), chosen)


@st.composite
def quantity_texts(draw: st.DrawFn, unit: Unit | None = None) -> tuple[str, Quantity]:
    """A quantity within its ceiling, and a text a person might write for it.

    Varies the spelling of the unit, the spacing and redundant zeros
    (``"7.50 mg"``, ``"7.5mg"``, ``" 7.5  MG "``).
    """
    quantity = draw(quantities(unit))
    amount = fmt(quantity.amount)
    if "." in amount and draw(st.booleans()):
        amount += "0" * draw(st.integers(min_value=1, max_value=2))
    if amount.startswith("0.") and draw(st.booleans()):
        amount = amount[1:]
    spelling = draw(st.sampled_from(SPELLINGS[quantity.unit]))
    gap = draw(st.sampled_from(["", " ", "  ", "\t"]))
    pad_left = draw(st.sampled_from(["", " "]))
    pad_right = draw(st.sampled_from(["", " ", "\n"]))
    return f"{pad_left}{amount}{gap}{spelling}{pad_right}", quantity


def non_decimal_amounts() -> st.SearchStrategy[str]:
    """Amount texts (without whitespace) that are not plain ASCII decimals.

    Includes exponents, signs, separators, fractions and other scripts' digits.
    """
    curated = st.sampled_from(
        [
            "1e3",
            "1E3",
            "2e-1",
            "+5",
            "-5",
            "1,000",
            "1_000",
            "0x10",
            "\u00bd",
            "1/2",
            "\u0662\u0660",
            "\uff12\uff10",
            "\u0967\u0966",
            "5..5",
            "..5",
            ".",
            "five",
            "NaN",
            "nan",
            "sNaN",
            "inf",
            "Infinity",
            "-inf",
            "-0",
            "5.5.5",
            "\u00b2",
        ]
    )
    generated = st.text(min_size=1, max_size=8).filter(
        lambda text: not any(ch.isspace() for ch in text) and not _PLAIN_DECIMAL.match(text)
    )
    return st.one_of(curated, generated)


# --- 2. Catalogue -------------------------------------------------------------------


def products(forms: Sequence[Form] | None = None) -> st.SearchStrategy[Product]:
    """A product family from the packaged catalogue (of ``forms`` if given)."""
    found = [p for p in catalogue().products if forms is None or p.form in forms]
    return st.sampled_from(found)


@st.composite
def unit_sets(draw: st.DrawFn, *, solution: bool = False) -> UnitSet:
    """The units of a catalogue product (tablets, capsules and patches, or oral
    solutions): a non-empty choice of its strengths, its split rule, and at most 1–6
    pieces at once (solutions: the catalogue's syringe resolution)."""
    forms = [Form.ORAL_SOLUTION] if solution else [f for f in Form if f is not Form.ORAL_SOLUTION]
    product = draw(products(forms))
    strengths = draw(
        st.lists(st.sampled_from(product.strengths), min_size=1, max_size=4, unique=True)
    )
    return UnitSet(
        form=product.form,
        strengths=tuple(strengths),
        splittable=product.splittable,
        resolution=catalogue().solution_resolution if solution else None,
        max_pieces=draw(st.integers(1, 6)),
        labels=product.labels,
    )


def opioids() -> st.SearchStrategy[Opioid]:
    """An opioid from the packaged catalogue."""
    return st.sampled_from(list(catalogue().opioids))


# --- 3. Regimens --------------------------------------------------------------------

#: Real IANA zones, including half-hour and 45-minute offsets and southern-hemisphere DST.
ZONES: tuple[str, ...] = (
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "Pacific/Auckland",
)

#: Context flags that add cautions but never make the planner refuse. Left out on
#: purpose: opioid_use_disorder, substance_use_disorder, pregnant, supervised.
BENIGN_FLAGS: tuple[str, ...] = (
    "benzodiazepines",
    "renal_impairment",
    "hepatic_impairment",
    "sleep_apnea",
    "history_of_overdose",
    "gi_bleeding",
    "heart_disease",
    "fibromyalgia",
    "neuropathy",
    "anxiety",
    "depression",
)

_HALF = Decimal("0.5")
#: Oral syringe resolution assumed by the catalogue (products.toml ``[solution]``).
SOLUTION_STEP_ML = Decimal("0.5")


def times_of_day(min_size: int = 1, max_size: int = 4) -> st.SearchStrategy[list[str]]:
    """Distinct ``HH:MM`` wall-clock times, sorted."""
    minutes = st.integers(min_value=0, max_value=24 * 60 - 1)
    return st.lists(minutes, min_size=min_size, max_size=max_size, unique=True).map(
        lambda values: [f"{m // 60:02d}:{m % 60:02d}" for m in sorted(values)]
    )


def _unit_text(quantity: Quantity) -> str:
    return f"{fmt(quantity.amount)} {quantity.unit.value}"


# Built once: creating strategies inside every draw is what makes generation slow.
_ONE_TIME = times_of_day(1, 1)
_TIMES = times_of_day()
_TWO_COUNTS = st.tuples(st.integers(0, 3), st.integers(0, 3)).filter(lambda pair: sum(pair) >= 1)


def _draw_unit_dose(draw: st.DrawFn, product: Product, strengths: Sequence[Quantity]) -> Decimal:
    """One makeable amount (in the strengths' unit) from the stated strengths."""
    if len(strengths) == 1:
        steps = draw(st.integers(min_value=1, max_value=8 if product.splittable else 4))
        count = Decimal(steps) * _HALF if product.splittable else Decimal(steps)
        if product.form is Form.PATCH:
            count = min(count, Decimal(2))
        return strengths[0].amount * count
    low, high = strengths[0], strengths[1]
    counts = draw(_TWO_COUNTS)
    if product.form is Form.PATCH:
        counts = (min(counts[0], 1), min(counts[1], 1)) if sum(counts) > 1 else counts
    half = product.splittable and draw(st.booleans())
    return low.amount * (counts[0] + (_HALF if half else 0)) + high.amount * counts[1]


@st.composite
def _medication_pairs(
    draw: st.DrawFn, chosen: st.SearchStrategy[Product]
) -> tuple[dict[str, Any], Decimal]:
    """A medication entry for a product drawn from ``chosen``, and its daily amount."""
    return _draw_medication(draw, draw(chosen))


def _draw_medication(draw: st.DrawFn, product: Product) -> tuple[dict[str, Any], Decimal]:
    """A medication entry for ``product`` and its daily amount (mg/day, or mcg/h worn)."""
    entry: dict[str, Any] = {
        "drug": draw(
            st.sampled_from(
                (product.drug.name, product.drug.name.upper(), product.drug.name.title())
            )
        ),
        "form": product.form.value,
    }
    combination = product.combination
    # oxycodone/acetaminophen must say so; hydrocodone's is assumed when left out.
    if combination is not None and (product.drug.name != "hydrocodone" or draw(st.booleans())):
        entry["combination"] = f"{combination.ingredient} {_unit_text(combination.amount)}"
    times = draw(_ONE_TIME if product.form is Form.PATCH else _TIMES)
    entry["times"] = times

    if product.form is Form.ORAL_SOLUTION:
        concentration = draw(st.sampled_from(product.strengths))
        entry["strength"] = _unit_text(concentration)
        volumes = [SOLUTION_STEP_ML * draw(st.integers(min_value=1, max_value=40)) for _ in times]
        if len(times) == 1 or not draw(st.booleans()):
            volumes = [volumes[0]] * len(times)
        in_ml = draw(st.booleans())
        texts = [
            f"{fmt(v)} mL" if in_ml else f"{fmt(v * concentration.amount)} mg" for v in volumes
        ]
        amounts_per_time = [v * concentration.amount for v in volumes]
    else:
        stated = draw(
            st.lists(st.sampled_from(product.strengths), min_size=1, max_size=2, unique=True).map(
                lambda items: sorted(items, key=lambda q: q.amount)
            )
        )
        texts_of = [_unit_text(s) for s in stated]
        entry["strength"] = texts_of[0] if len(stated) == 1 and draw(st.booleans()) else texts_of
        uneven = len(times) > 1 and draw(st.booleans())
        first = _draw_unit_dose(draw, product, stated)
        amounts_per_time = [
            _draw_unit_dose(draw, product, stated) if uneven else first for _ in times
        ]
        unit = product.form.dose_unit.value
        texts = [f"{fmt(a)} {unit}" for a in amounts_per_time]
    if len(set(texts)) == 1 and (len(texts) == 1 or draw(st.booleans())):
        entry["dose"] = texts[0]
    else:
        entry["doses"] = texts

    every_days = 1
    if product.form is Form.PATCH:
        if draw(st.booleans()):
            entry["every_days"] = product.change_days
    elif len(times) == 1 and draw(st.integers(min_value=0, max_value=4)) == 0:
        every_days = draw(st.integers(min_value=2, max_value=3))
        entry["every_days"] = every_days
    if draw(st.booleans()):
        entry["available"] = draw(
            st.lists(
                st.sampled_from(tuple(_unit_text(s) for s in product.strengths)),
                min_size=1,
                unique=True,
            )
        )
    if product.form is Form.PATCH:
        daily = sum(amounts_per_time, Decimal(0))
    else:
        daily = sum(amounts_per_time, Decimal(0)) / every_days
    return entry, daily


@functools.cache
def medication_mappings(
    product: Product | None = None, *, methadone_max_mg_per_day: int | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """One ``[[medication]]`` entry that loads (makeable doses, real strengths).

    Args:
        product: the product family; any catalogue product if None.
        methadone_max_mg_per_day: keep methadone at or below this daily dose
            (80 for the cdc2016 factor set, which has no band above it).
    """
    chosen = st.just(product) if product is not None else products()

    def fits(pair: tuple[dict[str, Any], Decimal]) -> bool:
        entry, daily = pair
        if methadone_max_mg_per_day is None or entry["drug"].lower() != "methadone":
            return True
        return daily <= methadone_max_mg_per_day

    return _medication_pairs(chosen).filter(fits).map(lambda pair: pair[0])


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, Any]:
    """A ``[context]`` table: a past start date, an age and some benign flags."""
    context: dict[str, Any] = {}
    if draw(st.booleans()):
        context["on_opioids_since"] = draw(
            st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2024, 12, 31))
        )
    if draw(st.booleans()):
        context["age"] = draw(st.integers(min_value=18, max_value=100))
    flags = draw(st.lists(st.sampled_from(BENIGN_FLAGS), unique=True, max_size=3))
    for flag in flags:
        context[flag] = draw(st.booleans())
    return context


@st.composite
def regimen_mappings(
    draw: st.DrawFn,
    *,
    min_medications: int = 1,
    max_medications: int = 3,
    methadone_max_mg_per_day: int | None = None,
) -> dict[str, Any]:
    """A mapping shaped like a regimen file that always loads.

    1-3 distinct catalogue products, each with makeable doses at distinct
    times (a patch: one time), optional uneven ``doses``, ``available`` and
    ``every_days``; an optional ``[context]`` and ``timezone``.
    """
    chosen = draw(
        st.lists(
            products(),
            min_size=min_medications,
            max_size=max_medications,
            unique_by=lambda p: p.name,
        )
    )
    mapping: dict[str, Any] = {}
    if draw(st.booleans()):
        mapping["timezone"] = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        mapping["context"] = draw(contexts())
    mapping["medication"] = [
        draw(medication_mappings(p, methadone_max_mg_per_day=methadone_max_mg_per_day))
        for p in chosen
    ]
    return mapping


def regimens(**kwargs: Any) -> st.SearchStrategy[Regimen]:
    """A loaded :class:`~taperplan.Regimen` (see :func:`regimen_mappings` for the options)."""
    return regimen_mappings(**kwargs).map(regimen_from_mapping)


def scalars() -> st.SearchStrategy[object]:
    """Leaf values a TOML file or a JSON app might send, sensible or not."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.sampled_from(
            [
                "20 mg",
                "0 mg",
                "-5 mg",
                "nan mg",
                "1e9 mg",
                "25 mcg/h",
                "5 mg/mL",
                "2.5 mL",
                "08:00",
                "25:00",
                "oxycodone",
                "patch",
                "er_tablet",
                "UTC",
                "va-slower",
            ]
        ),
        st.dates(),
        st.times(),
        st.datetimes(),
    )


def junk() -> st.SearchStrategy[object]:
    """Arbitrary nested lists and tables of :func:`scalars`."""
    return st.recursive(
        scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.text(max_size=10), children, max_size=4),
        ),
        max_leaves=12,
    )


@st.composite
def mutated_regimen_mappings(draw: st.DrawFn) -> dict[str, Any]:
    """A loadable regimen mapping with one value, somewhere, replaced by :func:`junk`
    (or one key deleted, or one unknown key added)."""
    # Two medications are enough to see one damaged entry beside a good one.
    mapping = draw(regimen_mappings(max_medications=2))
    paths: list[tuple[Any, Any]] = []

    def walk(container: Any) -> None:
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in list(items):
            paths.append((container, key))
            if isinstance(value, dict | list):
                walk(value)

    walk(mapping)
    container, key = draw(st.sampled_from(paths))
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "delete":
        del container[key]
    elif action == "add" and isinstance(container, dict):
        container[draw(st.text(min_size=1, max_size=10))] = draw(junk())
    else:
        container[key] = draw(junk())
    return mapping


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string for the ASCII texts generated here
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def regimen_toml(mapping: Mapping[str, Any]) -> str:
    """Write a generated regimen mapping as regimen-file TOML (tables last)."""
    lines = [
        f"{key} = {_toml_value(value)}"
        for key, value in mapping.items()
        if not isinstance(value, dict | list)
    ]
    for key, value in mapping.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list):
            for table in value:
                lines += ["", f"[[{key}]]"]
                lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


# --- 4. Planner ---------------------------------------------------------------------
# Paces, start dates and plans go here.


# --- 5. Clinical guidance: scales, adjuncts, OIH, safety ---------------------------
# Literal tables from the clinical reference (§5, §6, §7), kept independent of the
# packaged data so the tests can catch a mistyped value there.

_SOWS_H_ITEMS = (
    "anxious", "yawning", "perspiring", "eyes_tearing", "nose_running", "gooseflesh",
    "shaking", "hot_flushes", "cold_flushes", "bones_muscles_ache", "restless", "nauseous",
    "feel_like_vomiting", "muscles_twitch", "stomach_cramps", "feel_like_using",
)  # fmt: skip
_SOWS_G_ITEMS = (
    "feeling_sick", "stomach_cramps", "muscle_spasms", "feeling_cold", "heart_pounding",
    "muscle_tension", "aches_pains", "yawning", "runny_eyes", "insomnia",
)  # fmt: skip

#: Every item of each withdrawal scale with its only legal scores (clinical reference §5).
SCALE_LEGAL: Mapping[str, Mapping[str, tuple[int, ...]]] = {
    "cows": {
        "pulse": (0, 1, 2, 4),
        "sweating": (0, 1, 2, 3, 4),
        "restlessness": (0, 1, 3, 5),
        "pupils": (0, 1, 2, 5),
        "bone_joint_aches": (0, 1, 2, 4),
        "runny_nose_tearing": (0, 1, 2, 4),
        "gi_upset": (0, 1, 2, 3, 5),
        "tremor": (0, 1, 2, 4),
        "yawning": (0, 1, 2, 4),
        "anxiety_irritability": (0, 1, 2, 4),
        "gooseflesh": (0, 3, 5),
    },
    "sows": dict.fromkeys(_SOWS_H_ITEMS, (0, 1, 2, 3, 4)),
    "sows-gossop": dict.fromkeys(_SOWS_G_ITEMS, (0, 1, 2, 3)),
}

#: The maximum total of each scale (clinical reference §5).
SCALE_MAXIMUM: Mapping[str, int] = {"cows": 48, "sows": 64, "sows-gossop": 30}

#: COWS bands as (low, high, label), inclusive (clinical reference §5).
COWS_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 4, "not indicative of withdrawal"),
    (5, 12, "mild"),
    (13, 24, "moderate"),
    (25, 36, "moderately severe"),
    (37, 48, "severe"),
)

#: Every boolean key of taperplan's Context (the regimen file's ``[context]``).
CLINICAL_FLAGS: tuple[str, ...] = (
    "benzodiazepines", "pregnant", "renal_impairment", "hepatic_impairment", "sleep_apnea",
    "history_of_overdose", "substance_use_disorder", "opioid_use_disorder", "gi_bleeding",
    "heart_disease", "hypotension", "bradycardia", "qt_prolongation", "fibromyalgia",
    "neuropathy", "anxiety", "depression", "rapid_escalation", "supervised",
)  # fmt: skip

#: The signs of PainObservations (clinical reference §7).
PAIN_SIGNS: tuple[str, ...] = (
    "pain_worse_with_dose_increase", "pain_better_with_dose_increase",
    "pain_spread_beyond_original_site", "allodynia", "pain_at_original_site_same_quality",
    "symptoms_after_cut_or_missed_dose", "symptoms_time_limited",
    "anxiety_sweating_gi_upset_craving",
)  # fmt: skip


def scale_answers(scale: str) -> st.SearchStrategy[dict[str, int]]:
    """A complete answer set of ``scale`` with only legal scores."""
    return st.fixed_dictionaries(
        {item: st.sampled_from(values) for item, values in SCALE_LEGAL[scale].items()}
    )


@st.composite
def illegal_scale_answers(draw: st.DrawFn, scale: str) -> tuple[dict[str, object], str]:
    """A complete answer set of ``scale`` with one item given an illegal value; and that item.

    Illegal: an int the item does not allow, a bool, a float (even 1.0), a string or None.
    """
    answers: dict[str, object] = dict(draw(scale_answers(scale)))
    item = draw(st.sampled_from(sorted(SCALE_LEGAL[scale])))
    legal = SCALE_LEGAL[scale][item]
    answers[item] = draw(
        st.one_of(
            st.integers(min_value=-10, max_value=100).filter(lambda n: n not in legal),
            st.booleans(),
            st.floats(allow_nan=False),
            st.text(max_size=3),
            st.none(),
        )
    )
    return answers, item


@st.composite
def clinical_context_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments for ``Context``: every flag true, false or unstated, and an age."""
    kwargs: dict[str, Any] = {flag: draw(st.none() | st.booleans()) for flag in CLINICAL_FLAGS}
    kwargs["age"] = draw(st.none() | st.integers(min_value=0, max_value=110))
    return kwargs


def total_mmes() -> st.SearchStrategy[Decimal | None]:
    """A total MME/day (0 to 400, to 0.1) or None where MME does not apply."""
    return st.none() | st.decimals(
        min_value=0, max_value=400, places=1, allow_nan=False, allow_infinity=False
    )


def pain_observation_kwargs() -> st.SearchStrategy[dict[str, bool | None]]:
    """Keyword arguments for ``PainObservations``: each sign true, false or unstated."""
    return st.fixed_dictionaries({sign: st.none() | st.booleans() for sign in PAIN_SIGNS})


# --- planner --------------------------------------------------------------------------
# Paces, start dates and planning cases for the planner's properties. Every regimen the
# catalogue can make plans at every pace (interfaces.md §4a); a case that forbids finer
# products (``substitute`` False) may be refused, with the refusal's fields.

#: Unsupervised presets (``va-rapid`` needs ``supervised=True``).
PLANNER_PRESETS: tuple[str, ...] = (
    "cdc-long-term", "cdc-short-term", "va-slowest", "va-slower", "va-faster",
    "etg-short", "etg-long", "uk-opioids-aware", "canada",
)  # fmt: skip

#: Products (drug, form, combination) with several strengths or fine steps.
FINE_PRODUCTS: tuple[tuple[str, str, str | None], ...] = (
    ("oxycodone", "oral_solution", None),
    ("morphine", "oral_solution", None),
    ("hydromorphone", "oral_solution", None),
    ("methadone", "oral_solution", None),
    ("oxycodone", "ir_tablet", None),
    ("hydrocodone", "ir_tablet", "acetaminophen"),
    ("hydromorphone", "ir_tablet", None),
    ("morphine", "ir_tablet", None),
    ("tramadol", "ir_tablet", None),
    ("fentanyl", "patch", None),
    ("buprenorphine", "patch", None),
    ("oxymorphone", "er_tablet", None),
    ("oxycodone", "er_tablet", None),
    ("morphine", "er_tablet", None),
)


def _product_of(drug: str, form: str, ingredient: str | None) -> Product:
    for product in catalogue().products:
        same = product.drug.name == drug and product.form.value == form
        combined = product.combination.ingredient if product.combination is not None else None
        if same and combined == ingredient:
            return product
    raise LookupError(f"no {drug} {form} product")


def planner_products() -> st.SearchStrategy[Product]:
    """A product family: any catalogue product, or often a common one."""
    fine = st.sampled_from([_product_of(*spec) for spec in FINE_PRODUCTS])
    return st.one_of(fine, products())


@st.composite
def custom_pace_tables(draw: st.DrawFn) -> dict[str, Any]:
    """A custom ``[pace]`` table: a percent or a fixed reduction, a basis, a step
    length and (often) a ceiling, up to 1.0."""
    table: dict[str, Any] = {"name": "custom-test"}
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        table["reduction"] = f"{draw(st.sampled_from([1, 2, 5, 10, 15, 25, 50]))} mg"
        table["basis"] = "original"
    else:
        table["percent"] = draw(st.sampled_from([5, 10, 15, 20, 25, 33, 50]))
        table["basis"] = draw(st.sampled_from(["original", "current", "original-then-current"]))
        if table["basis"] == "original-then-current":
            table["switch_at"] = draw(st.sampled_from([0.2, 0.3, 0.5]))
    table["every_days"] = draw(st.sampled_from([3, 5, 7, 10, 14, 28, 42]))
    if draw(st.booleans()):
        table["min_step_days"] = draw(st.sampled_from([5, 7]))
    if draw(st.integers(min_value=0, max_value=3)):
        table["max_step_fraction"] = draw(st.sampled_from([0.1, 0.2, 0.25, 0.3, 0.5, 1.0]))
    return table


def pace_specs() -> st.SearchStrategy[str | dict[str, Any]]:
    """A preset name, ``va-rapid``, or a custom table."""
    return st.one_of(
        st.sampled_from(PLANNER_PRESETS),
        st.sampled_from(PLANNER_PRESETS),
        st.just("va-rapid"),
        custom_pace_tables(),
    )


def start_dates() -> st.SearchStrategy[dt.date]:
    """A start date for a plan (leap days and year ends included)."""
    return st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2035, 12, 31))


@st.composite
def planner_regimen_mappings(draw: st.DrawFn, *, max_medications: int = 2) -> dict[str, Any]:
    """A regimen mapping of 1–``max_medications`` distinct products for planning."""
    chosen = draw(
        st.lists(
            planner_products(), min_size=1, max_size=max_medications, unique_by=lambda p: p.name
        )
    )
    mapping: dict[str, Any] = {}
    if draw(st.booleans()):
        mapping["timezone"] = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        mapping["context"] = draw(contexts())
    mapping["medication"] = [draw(medication_mappings(p)) for p in chosen]
    return mapping


class PlanningCase:
    """One input to :func:`taperplan.plan_taper`: a regimen mapping (the regimen
    file's shape), a pace (preset name or custom ``[pace]`` table) and a start date.
    Its repr shows just those, so a failing example reads like a regimen file."""

    def __init__(
        self,
        mapping: dict[str, Any],
        spec: str | dict[str, Any],
        start: dt.date,
        substitute: bool = True,
    ) -> None:
        self.mapping = mapping
        self.spec = spec
        self.start = start
        self.substitute = substitute
        self.regimen = regimen_from_mapping(mapping)
        if isinstance(spec, str):
            self.pace = preset(spec)
        else:
            self.pace = pace_from_mapping(spec)
        self.supervised = self.pace.supervised_only

    def plan(self, regimen: Regimen | None = None) -> TaperPlan:
        """Plan the case (``regimen`` instead of the case's own, e.g. one loaded afresh).

        Raises:
            PlanningError: as :func:`taperplan.plan_taper`.
        """
        return plan_taper(
            self.regimen if regimen is None else regimen,
            start=self.start,
            pace=self.pace,
            supervised=self.supervised,
            substitute=self.substitute,
        )

    def __repr__(self) -> str:
        return (
            f"PlanningCase(mapping={self.mapping!r}, spec={self.spec!r}, start={self.start!r}, "
            f"substitute={self.substitute!r})"
        )


@st.composite
def planning_cases(draw: st.DrawFn, *, max_medications: int = 2) -> PlanningCase:
    """A :class:`PlanningCase` (``va-rapid`` cases are supervised; one in ten forbids
    finer products)."""
    mapping = draw(planner_regimen_mappings(max_medications=max_medications))
    # One case in ten forbids finer products (sampled_from shrinks towards True;
    # an integer draw would be biased towards 0).
    substitute = draw(st.sampled_from((True,) * 9 + (False,)))
    return PlanningCase(mapping, draw(pace_specs()), draw(start_dates()), substitute)


# --- 6. Symptom log and review (taperplan.reviewing.review) ------------------------------------
# Synthetic plan timelines and symptom logs around them. Step kinds, lengths and
# windows cover what plans produce (cuts, pauses, a final stop; windows that end
# before or after the next cut); the dates of log entries fall before, during and
# after the plan.

#: The highest total of each scale (clinical reference §5), for raising totals.
SCALE_TOTAL_MAXIMUM: Mapping[str, int] = {"cows": 48, "sows": 64, "sows-gossop": 30}

#: Pain sites a log might name; the first one drawn becomes the "original" site.
PAIN_SITES: tuple[str, ...] = ("low back", "Low  Back", "left knee", "neck")


@st.composite
def review_timelines(draw: st.DrawFn) -> Any:
    """A :class:`~taperplan.reviewing.timeline.PlanTimeline`: 2–8 contiguous steps, the last a stop."""
    from taperplan.model.plan import StepKind  # noqa: PLC0415 - keeps the import list short
    from taperplan.reviewing.timeline import PlanTimeline, TimelineStep  # noqa: PLC0415

    count = draw(st.integers(min_value=2, max_value=8))
    start = draw(st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2028, 12, 31)))
    steps = []
    for index in range(count):
        if index == count - 1:
            kind = StepKind.STOP
        elif index == 0:
            kind = StepKind.CUT
        else:
            kind = draw(st.sampled_from([StepKind.CUT, StepKind.CUT, StepKind.PAUSE]))
        days = draw(st.integers(min_value=5, max_value=35))
        window = None
        if kind is not StepKind.PAUSE:
            first = draw(st.integers(min_value=0, max_value=2))
            last = draw(st.integers(min_value=max(first, 4), max_value=16))
            window = (start + dt.timedelta(days=first), start + dt.timedelta(days=last))
        steps.append(
            TimelineStep(
                id=f"tp-test-s{index + 1:03d}",
                index=index,
                kind=kind,
                start=start,
                end=start + dt.timedelta(days=days - 1),
                window_start=None if window is None else window[0],
                window_end=None if window is None else window[1],
                total_mme_per_day=None,
            )
        )
        start += dt.timedelta(days=days)
    return PlanTimeline(plan_id="tp-test", revision=0, steps=tuple(steps))


def _optional_flag() -> st.SearchStrategy[bool | None]:
    return st.none() | st.booleans()


@st.composite
def scale_totals(draw: st.DrawFn) -> Any:
    """A :class:`~taperplan.reviewing.log.ScaleTotal` of any scale."""
    from taperplan.reviewing.log import ScaleTotal  # noqa: PLC0415

    key = draw(st.sampled_from(sorted(SCALE_TOTAL_MAXIMUM)))
    return ScaleTotal.of(key, draw(st.integers(0, SCALE_TOTAL_MAXIMUM[key])))


@st.composite
def log_entries(draw: st.DrawFn, first: dt.date, last: dt.date) -> Any:
    """A :class:`~taperplan.reviewing.log.LogEntry` dated from ``first`` to ``last``."""
    from taperplan.reviewing.log import LogEntry  # noqa: PLC0415

    return LogEntry(
        day=draw(st.dates(min_value=first, max_value=last)),
        scale=draw(st.none() | scale_totals()),
        pain=draw(st.none() | st.integers(0, 10)),
        pain_site=draw(st.none() | st.sampled_from(PAIN_SITES)),
        pain_spread=draw(_optional_flag()),
        allodynia=draw(_optional_flag()),
        craving=draw(_optional_flag()),
        loss_of_control=draw(_optional_flag()),
        notes=draw(st.sampled_from(["", "slept badly", "ran out early, 2 days"])),
    )


@st.composite
def review_cases(draw: st.DrawFn, *, max_entries: int = 30) -> tuple[Any, tuple[Any, ...], dt.date]:
    """``(timeline, log, on)``: a timeline, up to ``max_entries`` entries around it, a day."""
    timeline = draw(review_timelines())
    first = timeline.start - dt.timedelta(days=14)
    last = timeline.end + dt.timedelta(days=14)
    entries = draw(st.lists(log_entries(first, last), max_size=max_entries))
    on = draw(st.dates(min_value=first, max_value=last))
    return timeline, tuple(entries), on


# --- 7. Calendar export (taperplan.formats.ics) ---------------------------------------
# A calendar needs the regimen's time zone: planning cases that always name one.


@st.composite
def zoned_planning_cases(draw: st.DrawFn, *, max_medications: int = 2) -> PlanningCase:
    """A :class:`PlanningCase` whose regimen names a zone (one of :data:`ZONES` if it had none)."""
    case = draw(planning_cases(max_medications=max_medications))
    if "timezone" in case.mapping:
        return case
    mapping = {"timezone": draw(st.sampled_from(ZONES)), **case.mapping}
    return PlanningCase(mapping, case.spec, case.start)


# --- 8. JSON documents (taperplan.formats.json) ---------------------------------------
# Plain JSON values (to compare taperplan's writer with json.dumps) and exact decimals
# (amounts, MME and cut fractions with up to 28 significant digits, as plans hold).


def json_values() -> st.SearchStrategy[object]:
    """Any JSON value Python's json module writes: text keys, finite and non-finite floats."""
    leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=20,
    )


def exact_decimals() -> st.SearchStrategy[Decimal]:
    """A finite, non-negative Decimal: short amounts, 28-digit quotients, tiny and huge values."""
    quotients = st.tuples(st.integers(0, 10**6), st.integers(1, 10**4)).map(
        lambda pair: Decimal(pair[0]) / Decimal(pair[1])
    )
    return st.one_of(
        amounts(Decimal(2000), max_places=6),
        quotients,
        st.decimals(min_value=0, allow_nan=False, allow_infinity=False),
    )


def check_refusal(case: PlanningCase, error: PlanningError) -> None:
    """A refusal is allowed only where the case forbids finer products (or restricts
    the strengths the pharmacy has, and the fix says so, or sets a fixed reduction
    that needs more than the planner's 400 steps by arithmetic alone); it says where
    planning stopped and carries the safety warnings (rule 7)."""
    restricted = any("available" in m for m in case.mapping["medication"])
    allowed = restricted and "available" in (error.fix or "")
    if "more than 400 steps" in str(error) and case.pace.reduction is not None:
        oral = sum(
            (
                m.daily_amount.amount
                for m in case.regimen.medications
                if m.daily_amount.unit.value == "mg"
            ),
            Decimal(0),
        )
        allowed = allowed or oral / case.pace.reduction.amount > 400
    assert not case.substitute or allowed, f"{case!r} was refused: {error}"
    assert error.stopped_at is not None
    assert "tolerance-loss" in {w.code for w in error.warnings}


def plan_or_none(case: PlanningCase) -> TaperPlan | None:
    """Plan a case; None when the planner refuses it, which only a case that forbids
    finer products, restricts the pharmacy's strengths (with a fix saying so) or sets
    a reduction too small for 400 steps may be (:func:`check_refusal`)."""
    try:
        return case.plan()
    except PlanningError as error:
        check_refusal(case, error)
        return None


# --- 7. Prescriptions (taperplan.prescribing) ---------------------------------------------------


@st.composite
def prescription_options(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments of :func:`taperplan.prescriptions`: a fill of 1 to 35 days (7, 14
    and 28 most often), by step or not, and daily, weekly or no instalments."""
    every = draw(st.one_of(st.sampled_from((28, 14, 7)), st.integers(1, 35)))
    dispense = draw(st.sampled_from((None, None, 1, 7)))
    return {
        "every_days": every,
        "per_step": draw(st.booleans()),
        "dispense_every": None if dispense is None or dispense > every else dispense,
    }


# --- rotation tables ---------------------------------------------------------------------


def morphine_doses(low: int = 1, high: int = 1500) -> st.SearchStrategy[Decimal]:
    """Daily oral morphine doses in mg, to a tenth of a mg (the input of a conversion)."""
    return st.integers(low * 10, high * 10).map(lambda tenths: Decimal(tenths) / 10)


# --- 9. Hostile input: raw bytes, damaged files and garbage trees for the readers' fuzz tests ---

#: Cells and values that have broken readers, or could: empty and blank text, numbers Python
#: reads but no file means (NaN, 1e400, 400 digits), superscript and full-width digits, days
#: the calendar lacks or taperplan does not plan, times with seconds, NUL, escape sequences,
#: formula starts, line and paragraph separators, a byte-order mark, long text, and a few
#: words the readers know, so that damage lands next to something valid.
HOSTILE_TEXTS: tuple[str, ...] = (
    "",
    " ",
    "\t",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1e400",
    "-1e400",
    "1e-400",
    "9" * 400,
    "-1",
    "0",
    "0.5",
    "\u00b2",
    "\uff15",
    "\u0665",
    "2027-02-30",
    "0001-01-01",
    "9999-12-31",
    "2027-01-04T08:00",
    "08:00:00.5",
    "24:00",
    "\x00",
    "a\x00b",
    "\x1b]0;title\x07",
    "\x1b[2J",
    "\x9b31m",
    "=1+1",
    "@SUM(A1)",
    "-rf",
    "\r\n",
    "\u2028",
    "\ufeff",
    "x" * 2500,
    '"',
    "'",
    ",",
    "\\",
    "20 mg",
    "15 mcg/h",
    "5 mL",
    "cows",
    "sows",
    "sows-gossop",
    "oxycodone",
    "va-slower",
    "true",
    "yes",
    "2027-01-10",
    "/dev/zero",
    "regimen.toml",
)


def hostile_texts() -> st.SearchStrategy[str]:
    """A text from :data:`HOSTILE_TEXTS`, or any short text."""
    return st.one_of(st.sampled_from(HOSTILE_TEXTS), st.text(max_size=20))


def hostile_scalars() -> st.SearchStrategy[object]:
    """:func:`scalars` and :func:`hostile_texts` (leaves of a garbage tree)."""
    return st.one_of(scalars(), hostile_texts(), st.floats(), st.integers())


def garbage_trees(keys: Sequence[str] = ()) -> st.SearchStrategy[object]:
    """Nested lists and tables of :func:`hostile_scalars`, with keys from ``keys`` (the
    ones a reader knows) or any text."""
    key = st.one_of(st.sampled_from(keys), st.text(max_size=10)) if keys else st.text(max_size=10)
    return st.recursive(
        hostile_scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(key, children, max_size=5)
        ),
        max_leaves=16,
    )


def file_bytes(max_size: int = 2000) -> st.SearchStrategy[bytes]:
    """What a file may hold: any bytes, or text in UTF-8, UTF-16 or Latin-1, with or
    without a byte-order mark."""
    text = st.text(max_size=max_size // 4)
    return st.one_of(
        st.binary(max_size=max_size),
        text.map(lambda t: t.encode("utf-8")),
        text.map(lambda t: "\ufeff" + t).map(lambda t: t.encode("utf-8")),
        text.map(lambda t: t.encode("utf-16")),
        text.map(lambda t: t.encode("latin-1", errors="replace")),
    )


@st.composite
def mutated_bytes(draw: st.DrawFn, valid: bytes) -> bytes:
    """``valid`` with one to four edits: a byte changed, bytes inserted (random or from
    :data:`HOSTILE_TEXTS`), a span deleted or repeated, or the end cut off."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["change", "insert", "delete", "repeat", "cut"]))
        if action == "change" and data:
            data[min(where, len(data) - 1)] = draw(st.integers(0, 255))
        elif action == "insert":
            inserted = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=8),
                    st.sampled_from(HOSTILE_TEXTS).map(lambda t: t.encode("utf-8")),
                )
            )
            data[where:where] = inserted
        elif action == "delete":
            del data[where : where + draw(st.integers(1, 16))]
        elif action == "repeat":
            span = bytes(data[where : where + draw(st.integers(1, 64))])
            data[where:where] = span * draw(st.integers(1, 3))
        else:
            del data[where:]
    return bytes(data)


@st.composite
def mutated_trees(
    draw: st.DrawFn, tree: Mapping[str, Any], values: st.SearchStrategy[object] | None = None
) -> dict[str, Any]:
    """A copy of the JSON-like ``tree`` with one to three edits, each somewhere in it: a
    value replaced by ``values`` (by default :func:`garbage_trees`), a key deleted, or a key
    added."""
    values = garbage_trees() if values is None else values
    copy: dict[str, Any] = json.loads(json.dumps(tree))
    for _ in range(draw(st.integers(1, 3))):
        places: list[tuple[Any, Any]] = []
        stack: list[Any] = [copy]
        while stack:
            container = stack.pop()
            items = container.items() if isinstance(container, dict) else enumerate(container)
            for key, value in list(items):
                places.append((container, key))
                if isinstance(value, dict | list):
                    stack.append(value)
        if not places:
            break
        container, key = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "delete" and isinstance(container, dict):
            del container[key]
        elif action == "add" and isinstance(container, dict):
            container[draw(st.text(min_size=1, max_size=10))] = draw(values)
        else:
            container[key] = draw(values)
    return copy


def _toml_inline(value: object) -> str:
    """``value`` as a TOML value, inline (tables as ``{...}``); None, which TOML lacks,
    as empty text."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".en") else f"{text}.0"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        pairs = ", ".join(f"{json.dumps(str(k))} = {_toml_inline(v)}" for k, v in value.items())
        return "{" + pairs + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_inline(item) for item in value) + "]"
    return json.dumps(str(value))


def toml_text(tree: Mapping[str, Any]) -> str:
    """Any tree of :func:`garbage_trees` as TOML text, one ``key = value`` line for each
    top-level key (a value TOML cannot hold makes text that is not TOML, which is fine:
    the reader must refuse it cleanly too)."""
    return "".join(f"{json.dumps(str(k))} = {_toml_inline(v)}\n" for k, v in tree.items())


#: The columns and keys of a symptom log (docs/review.md), and a few items of its scales.
LOG_KEYS: tuple[str, ...] = (*LOG_COLUMNS, "items", "cows.pulse", "sows.anxious")


@st.composite
def log_csv_texts(draw: st.DrawFn) -> str:
    """A CSV symptom log: a header of known and unknown columns, then rows of
    :func:`hostile_texts` and valid-looking cells, some rows short or long."""
    header = draw(st.lists(st.one_of(st.sampled_from(LOG_KEYS), hostile_texts()), max_size=7))
    cell = st.one_of(
        hostile_texts(), st.integers(-3, 60).map(str), st.sampled_from(["2027-01-10", "cows"])
    )
    rows = draw(st.lists(st.lists(cell, max_size=len(header) + 2), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def log_toml_trees() -> st.SearchStrategy[dict[str, Any]]:
    """A TOML-shaped symptom log: ``entry`` a list of tables of known and unknown keys with
    garbage values (or ``entry`` itself garbage), maybe beside other keys."""
    entry = st.dictionaries(st.sampled_from(LOG_KEYS), garbage_trees(LOG_KEYS), max_size=6)
    return st.fixed_dictionaries(
        {"entry": st.one_of(st.lists(entry, max_size=4), garbage_trees(LOG_KEYS))},
        optional={"extra": garbage_trees()},
    )


@st.composite
def batch_csv_texts(draw: st.DrawFn) -> str:
    """A batch CSV: a header that may lack ``id`` or ``regimen``, then rows of
    :func:`hostile_texts` and plausible cells."""
    known = ["id", "regimen", "start", "pace"]
    header = draw(st.lists(st.one_of(st.sampled_from(known), hostile_texts()), max_size=6))
    cell = st.one_of(
        hostile_texts(), st.sampled_from(["p1", "P-2", "a.toml", "2027-01-04", "va-slower"])
    )
    rows = draw(st.lists(st.lists(cell, max_size=len(header) + 2), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


# --- 7. Low-dose buprenorphine initiation (taperplan.switching) --------------------------------


@st.composite
def initiation_cases(draw: st.DrawFn) -> tuple[dict[str, Any], str, dt.date, str | None]:
    """A regimen mapping of full agonists (no buprenorphine), a protocol, a start date
    and the maintenance dose (given where the protocol needs one, sometimes otherwise)."""
    from taperplan.reference.initiation import protocols  # noqa: PLC0415 - section's own

    chosen = draw(
        st.lists(
            planner_products().filter(lambda p: p.drug.name != "buprenorphine"),
            min_size=1,
            max_size=2,
            unique_by=lambda p: p.name,
        )
    )
    mapping: dict[str, Any] = {"medication": [draw(medication_mappings(p)) for p in chosen]}
    if draw(st.booleans()):
        mapping["timezone"] = draw(st.sampled_from(ZONES))
    protocol = draw(st.sampled_from(protocols()))
    needs = protocol.maintenance_required
    maintenance = (
        draw(st.sampled_from(["8 mg", "12 mg", "16 mg", "24 mg"]))
        if needs or draw(st.booleans())
        else None
    )
    return mapping, protocol.name, draw(start_dates()), maintenance


#: The drugs the oral tables convert from, and the rotation targets.
ROTATION_FROM: tuple[str, ...] = (
    "morphine",
    "oxycodone",
    "hydromorphone",
    "codeine",
    "oxymorphone",
)
ROTATION_TO: tuple[str, ...] = (
    "oxycodone",
    "morphine",
    "hydromorphone",
    "methadone",
    "fentanyl",
    "morphine:er_tablet",
    "oxycodone:er_tablet",
)


@st.composite
def rotation_cases(draw: st.DrawFn) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A regimen mapping of oral opioids the tables convert from, a target and options."""
    from taperplan.reference.rotation import table_names  # noqa: PLC0415 - section's own

    chosen = draw(
        st.lists(
            planner_products().filter(
                lambda p: p.drug.name in ROTATION_FROM and p.form is not Form.PATCH
            ),
            min_size=1,
            max_size=2,
            unique_by=lambda p: p.name,
        )
    )
    mapping: dict[str, Any] = {"medication": [draw(medication_mappings(p)) for p in chosen]}
    options: dict[str, Any] = {
        "method": draw(st.sampled_from(("staged", "direct"))),
        "weeks": draw(st.integers(min_value=4, max_value=10)),
        "table": draw(st.sampled_from(("msd", "alberta-2020"))),
        "methadone_table": draw(st.sampled_from(table_names("methadone"))),
        "patch_table": draw(st.sampled_from(table_names("patch"))),
        "age": draw(st.none() | st.integers(min_value=18, max_value=95)),
        "frail": draw(st.booleans()),
    }
    return mapping, draw(st.sampled_from(ROTATION_TO)), options
